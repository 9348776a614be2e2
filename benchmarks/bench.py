"""symgrad benchmarks: compiled gradients against hand-written NumPy and the SymPy route.

    python benchmarks/bench.py                 # everything (several minutes: the SymPy route is slow)
    python benchmarks/bench.py --quick         # smaller widths, fewer repeats
    python benchmarks/bench.py --timeout 600   # allow the SymPy route more time per width

(a) ``mlp-2layer`` (seed 004's network: x 64×1000, w1 1000×100, w2 100×10): loss and both gradients,
    symgrad's compiled function against the seed's hand-written NumPy on the same arrays; medians of
    many calls, alternated in one process. PyTorch and JAX are timed too when they are installed.
(b) derivation scaling: a scalar-symbol network (2 inputs, two sigmoid hidden layers of width W,
    1 sigmoid output, squared error; 2W + W² + W weights) at W = 4, 8, 16, 32. Time from the program
    text to a callable that returns every weight gradient: symgrad (parse + compile) against what a
    SymPy user writes today (build the expression, ``sympy.diff`` per weight, ``lambdify(cse=True)``).
    Each route runs in a fresh Python process; a route slower than ``--timeout`` is reported as "> T s".
(c) evaluating those gradients on 100,000 samples (width ``--eval-width``, default 16): symgrad's
    compiled function against the ``lambdify(cse=True)`` function, medians of alternated calls.

Not part of the test suite. Prints a table of medians and ratios.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


# --- the models -------------------------------------------------------------------------------------
def network_program(width):
    """symgrad program of the scalar network: h1 = σ(W1ᵀx), h2 = σ(W2ᵀh1), out = σ(w3·h2), (out − y)²."""
    lines = []
    for j in range(width):
        lines.append(f"h1_{j} = sigmoid(" + " + ".join(f"w1_{i}_{j}*x{i + 1}" for i in range(2)) + ")")
    for k in range(width):
        lines.append(f"h2_{k} = sigmoid(" + " + ".join(f"w2_{j}_{k}*h1_{j}" for j in range(width)) + ")")
    lines.append("out = sigmoid(" + " + ".join(f"w3_{k}*h2_{k}" for k in range(width)) + ")")
    lines.append("loss = (out - y)**2")
    return "\n".join(lines) + "\n"


def weight_names(width):
    return ([f"w1_{i}_{j}" for i in range(2) for j in range(width)]
            + [f"w2_{j}_{k}" for j in range(width) for k in range(width)] + [f"w3_{k}" for k in range(width)])


def sympy_network(width):
    """The same network as one SymPy expression, σ(z) written 1/(1 + e^(−z)) as a SymPy user would."""
    import sympy

    def sig(z):
        return 1 / (1 + sympy.exp(-z))

    x = sympy.symbols("x1 x2", real=True)
    y = sympy.Symbol("y", real=True)
    w = {n: sympy.Symbol(n, real=True) for n in weight_names(width)}
    h1 = [sig(sum(w[f"w1_{i}_{j}"] * x[i] for i in range(2))) for j in range(width)]
    h2 = [sig(sum(w[f"w2_{j}_{k}"] * h1[j] for j in range(width))) for k in range(width)]
    out = sig(sum(w[f"w3_{k}"] * h2[k] for k in range(width)))
    return (out - y) ** 2, [w[n] for n in weight_names(width)], [x[0], x[1], y]


def sympy_route(width):
    """diff per weight, then lambdify(cse=True): returns (function, seconds)."""
    import sympy

    start = time.perf_counter()
    loss, weights, data = sympy_network(width)
    grads = [sympy.diff(loss, w) for w in weights]
    function = sympy.lambdify(data + weights, [loss] + grads, modules="numpy", cse=True)
    return function, time.perf_counter() - start


def symgrad_route(width):
    import symgrad

    start = time.perf_counter()
    function = symgrad.compile(network_program(width), wrt=weight_names(width))
    return function, time.perf_counter() - start


# --- (a) mlp-2layer ------------------------------------------------------------------------------------
def seed_004_step(x, y, w1, w2):
    """The loop body of seed 004's "full implementation" (without the update)."""
    h = 1 / (1 + np.exp(-x.dot(w1)))
    y_pred = h.dot(w2)
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h * h * (1 - h))
    return loss, grad_w1, grad_w2


def alternate(functions, repeats):
    """Median seconds per call of each function, calls alternated so that all see the same machine state."""
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def bench_mlp(repeats):
    import symgrad

    f = symgrad.compile("mlp-2layer")
    arrays = f.defaults
    x, y, w1, w2 = (arrays[k] for k in ("x", "y", "w1", "w2"))
    loss, grads = f(**arrays)
    ref = seed_004_step(x, y, w1, w2)
    assert abs(loss - ref[0]) <= 1e-12 * abs(ref[0])
    assert np.allclose(grads["w1"], ref[1], rtol=1e-12, atol=0) and np.allclose(grads["w2"], ref[2], rtol=1e-12)
    functions = {"hand-written NumPy (seed 004)": lambda: seed_004_step(x, y, w1, w2),
                 "symgrad.compile": lambda: f(**arrays)}
    try:
        import torch

        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        tw1, tw2 = torch.from_numpy(w1).requires_grad_(), torch.from_numpy(w2).requires_grad_()

        def torch_step():
            tw1.grad = tw2.grad = None
            loss = (torch.sigmoid(tx @ tw1) @ tw2 - ty).square().sum()
            loss.backward()
            return loss
        functions["PyTorch autograd (float64)"] = torch_step
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        step = jax.jit(jax.value_and_grad(lambda w1, w2, x, y: jnp.sum(jnp.square(
            jax.nn.sigmoid(x @ w1) @ w2 - y)), argnums=(0, 1)))
        jargs = [jnp.asarray(a) for a in (w1, w2, x, y)]
        jax.block_until_ready(step(*jargs))
        functions["JAX jit value_and_grad (float64)"] = lambda: jax.block_until_ready(step(*jargs))
    except ImportError:
        pass
    for fn in functions.values():          # warm up
        fn()
    return alternate(functions, repeats)


# --- (b) scaling: each route in a fresh process ----------------------------------------------------------
def run_route(route, width, timeout):
    cmd = [sys.executable, os.path.abspath(__file__), "--route", route, "--width", str(width)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


# --- (c) evaluation on many samples -------------------------------------------------------------------
def bench_eval(width, samples, repeats):
    rng = np.random.default_rng(0)
    data = {"x1": rng.standard_normal(samples), "x2": rng.standard_normal(samples), "y": rng.random(samples)}
    weights = {n: float(rng.normal(scale=0.5)) for n in weight_names(width)}
    compiled, _ = symgrad_route(width)
    lambdified, seconds = sympy_route(width)
    args = [data["x1"], data["x2"], data["y"]] + [weights[n] for n in weight_names(width)]
    loss, grads = compiled(**data, **weights)
    reference = lambdified(*args)
    worst = max(np.max(np.abs(grads[n] - reference[i + 1])) / (np.max(np.abs(reference[i + 1])) + 1e-300)
                for i, n in enumerate(weight_names(width)))
    assert worst < 1e-9 and np.allclose(loss, reference[0], rtol=1e-12), worst
    times = alternate({"symgrad.compile": lambda: compiled(**data, **weights),
                       "sympy lambdify(cse=True)": lambda: lambdified(*args)}, repeats)
    return times, worst


# --- report -----------------------------------------------------------------------------------------------
def fmt_seconds(s):
    if s is None:
        return "-"
    if isinstance(s, str):
        return s
    return f"{s * 1e3:.3f} ms" if s < 1 else f"{s:.2f} s"


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    lines = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(header, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="widths 4, 8, 16; fewer repeats")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per SymPy-route width")
    parser.add_argument("--repeats", type=int, default=300, help="calls per function in (a)")
    parser.add_argument("--eval-width", type=int, default=16)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--route", choices=["symgrad", "sympy"], help=argparse.SUPPRESS)
    parser.add_argument("--width", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.route:                                   # a child process of (b)
        route = symgrad_route if args.route == "symgrad" else sympy_route
        _, seconds = route(args.width)
        print(json.dumps({"seconds": seconds}))
        return 0

    import platform

    import sympy

    import symgrad

    print(f"symgrad {symgrad.__version__}, NumPy {np.__version__}, SymPy {sympy.__version__}, "
          f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs\n")

    repeats = 60 if args.quick else args.repeats
    print(f"(a) mlp-2layer, loss + gradients of w1 and w2 (x 64×1000, w1 1000×100, w2 100×10), "
          f"median of {repeats} alternated calls")
    times = bench_mlp(repeats)
    base = times["hand-written NumPy (seed 004)"]
    print(table([(name, fmt_seconds(t), f"{t / base:.3f}×") for name, t in times.items()],
                ("implementation", "median", "vs hand-written")))
    missing = [n for n in ("torch", "jax") if not _importable(n)]
    if missing:
        print(f"(not installed, not timed: {', '.join(missing)})")

    widths = (4, 8, 16) if args.quick else (4, 8, 16, 32)
    print(f"\n(b) derive + compile every weight gradient of the W-wide network, fresh process per route "
          f"(symgrad: median of 3 runs; SymPy: 1 run, timeout {args.timeout:g} s)")
    rows = []
    for w in widths:
        ours = statistics.median(run_route("symgrad", w, args.timeout) for _ in range(3))
        theirs = run_route("sympy", w, args.timeout)
        theirs_text = fmt_seconds(theirs) if theirs is not None else f"> {args.timeout:g} s"
        ratio = f"{theirs / ours:.0f}×" if theirs is not None else f"> {args.timeout / ours:.0f}×"
        rows.append((w, len(weight_names(w)), fmt_seconds(ours), theirs_text, ratio))
        print(f"  W = {w} done", file=sys.stderr)
    print(table(rows, ("W", "weights", "symgrad", "sympy.diff + lambdify(cse=True)", "speed-up")))

    print(f"\n(c) evaluate loss + all {len(weight_names(args.eval_width))} weight gradients (W = "
          f"{args.eval_width}) on {args.samples:,} samples, median of {5 if args.quick else 9} alternated calls")
    times, worst = bench_eval(args.eval_width, args.samples, 5 if args.quick else 9)
    base = times["sympy lambdify(cse=True)"]
    print(table([(name, fmt_seconds(t), f"{t / base:.3f}×") for name, t in times.items()],
                ("implementation", "median", "vs lambdify")))
    print(f"(largest relative difference between the two: {worst:.1e})")
    return 0


def _importable(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    sys.exit(main())
