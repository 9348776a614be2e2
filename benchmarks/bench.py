"""symgrad benchmarks: compiled gradients against hand-written NumPy and the SymPy route; scaling.

    python benchmarks/bench.py                 # sections mlp, derivation, eval (about 10 minutes)
    python benchmarks/bench.py scaling         # derive/compile/render/check at 1k-10k gates
    python benchmarks/bench.py startup         # start-up against bare `import sympy, numpy`
    python benchmarks/bench.py all --quick     # every section, smallest sizes (a smoke test)
    python benchmarks/bench.py mlp --peer-python /tmp/peers/bin/python   # PyTorch/JAX elsewhere

Sections:
mlp (a)   ``mlp-2layer`` (seed 004's network: x 64×1000, w1 1000×100, w2 100×10): loss and both
          gradients. Each implementation (symgrad.compile, PyTorch autograd float64, JAX jit
          float64) runs in its own process beside the seed's hand-written NumPy step, calls
          alternated, and is reported against the hand-written step of the same process (their
          thread pools compete when they share one). Peers that are not installed say so.
derivation (b)  a scalar-symbol network (2 inputs, two sigmoid hidden layers of width W, 1 sigmoid
          output, squared error; 2W + W² + W weights) at W = 4, 8, 16, 32. Time from the program
          text to a callable that returns every weight gradient: symgrad (parse + compile) against
          what a SymPy user writes today (build the expression, ``sympy.diff`` per weight,
          ``lambdify(cse=True)``). Each route runs in a fresh Python process; a route slower than
          ``--timeout`` is reported as "> T s".
eval (c)  evaluating those gradients on 100,000 samples (width ``--eval-width``, default 16):
          symgrad's compiled function against the ``lambdify(cse=True)`` function, medians of
          alternated calls.
scaling   see benchmarks/scaling.py: chains, residual chains and wide sums at 1k/2k/5k/10k gates,
          each case in a fresh process with a timeout (``--case-timeout``), time and peak memory,
          growth against the issue's target (8× the gates → at most 10× the time).
startup   see benchmarks/startup.py: ``symgrad derive "(x+y)*z" ...`` against bare imports,
          median of ``--runs`` runs, and the ten slowest imports (``-X importtime``).

Not part of the test suite. Prints tables of medians and ratios (progress goes to stderr).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np
from common import alternate, fmt_seconds, run_child, table
from peers import PEERS

HERE = os.path.dirname(os.path.abspath(__file__))


# --- the models -----------------------------------------------------------------------------------
def network_program(width):
    """symgrad program of the scalar network.

    h1 = σ(W1ᵀx), h2 = σ(W2ᵀh1), out = σ(w3·h2), loss (out − y)².
    """
    lines = []
    for j in range(width):
        terms = " + ".join(f"w1_{i}_{j}*x{i + 1}" for i in range(2))
        lines.append(f"h1_{j} = sigmoid({terms})")
    for k in range(width):
        terms = " + ".join(f"w2_{j}_{k}*h1_{j}" for j in range(width))
        lines.append(f"h2_{k} = sigmoid({terms})")
    lines.append("out = sigmoid(" + " + ".join(f"w3_{k}*h2_{k}" for k in range(width)) + ")")
    lines.append("loss = (out - y)**2")
    return "\n".join(lines) + "\n"


def weight_names(width):
    return ([f"w1_{i}_{j}" for i in range(2) for j in range(width)]
            + [f"w2_{j}_{k}" for j in range(width) for k in range(width)]
            + [f"w3_{k}" for k in range(width)])


def sympy_network(width):
    """The same network as one SymPy expression, σ(z) = 1/(1 + e^(−z)) as a SymPy user writes it."""
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


# --- (a) mlp-2layer: each peer in its own process -------------------------------------------------
def bench_peers(repeats, peer_python, timeout):
    """{implementation: (median, hand-written median of the same process, note)} for every peer."""
    import symgrad

    defaults = symgrad.compile("mlp-2layer").defaults
    results = {}
    with tempfile.TemporaryDirectory(prefix="symgrad-bench-") as tmp:
        arrays = os.path.join(tmp, "mlp-2layer.npz")
        np.savez(arrays, **{k: defaults[k] for k in ("x", "y", "w1", "w2")})
        for peer, label in PEERS.items():
            python = sys.executable if peer == "symgrad" else (peer_python or sys.executable)
            cmd = [python, os.path.join(HERE, "peers.py"), peer, arrays, str(repeats)]
            r = run_child(cmd, timeout)
            print(f"  (a) {peer}: {r.status}", file=sys.stderr)
            if r.status == "ok":
                results[label] = (r.data["peer"], r.data["hand"], r.data["version"])
            elif r.status == "timeout":
                results[label] = (None, None, f"> {timeout:g} s (timeout)")
            else:
                results[label] = (None, None, r.data.get("error") or r.message or r.status)
    return results


def print_peers(results, repeats):
    print(f"(a) mlp-2layer, loss + gradients of w1 and w2 (x 64×1000, w1 1000×100, w2 100×10): "
          f"each implementation in its own process beside the hand-written step, median of "
          f"{repeats} alternated calls")
    rows = []
    for label, (t, hand, note) in results.items():
        if t is None:
            rows.append((label, note, "-", "-"))
        else:
            rows.append((label, fmt_seconds(t), fmt_seconds(hand), f"{t / hand:.3f}×"))
    print(table(rows, ("implementation", "median", "hand-written NumPy, same process",
                       "vs hand-written")))
    versions = [note for t, _, note in results.values() if t is not None]
    print(f"({'; '.join(versions)})")


# --- (b) derivation: each route in a fresh process ------------------------------------------------
def run_route(route, width, timeout):
    """Seconds of one route in a fresh process, or None when it outlived ``timeout``."""
    cmd = [sys.executable, os.path.abspath(__file__), "--route", route, "--width", str(width)]
    r = run_child(cmd, timeout)
    if r.status == "timeout":
        return None
    if r.status != "ok":
        raise RuntimeError(f"the {route} route failed at W = {width}: {r.message}")
    return r.data["seconds"]


def section_derivation(args):
    widths = (4, 8) if args.quick else (4, 8, 16, 32)
    print(f"(b) derive + compile every weight gradient of the W-wide network, fresh process per "
          f"route (symgrad: median of 3 runs; SymPy: 1 run, timeout {args.timeout:g} s)")
    rows = []
    for w in widths:
        ours = statistics.median(run_route("symgrad", w, args.timeout) for _ in range(3))
        theirs = run_route("sympy", w, args.timeout)
        theirs_text = fmt_seconds(theirs) if theirs is not None else f"> {args.timeout:g} s"
        ratio = f"{theirs / ours:.0f}×" if theirs is not None else f"> {args.timeout / ours:.0f}×"
        rows.append((w, len(weight_names(w)), fmt_seconds(ours), theirs_text, ratio))
        print(f"  (b) W = {w} done", file=sys.stderr)
    print(table(rows, ("W", "weights", "symgrad", "sympy.diff + lambdify(cse=True)", "speed-up")))


# --- (c) evaluation on many samples ---------------------------------------------------------------
def bench_eval(width, samples, repeats):
    rng = np.random.default_rng(0)
    data = {"x1": rng.standard_normal(samples), "x2": rng.standard_normal(samples),
            "y": rng.random(samples)}
    weights = {n: float(rng.normal(scale=0.5)) for n in weight_names(width)}
    compiled, _ = symgrad_route(width)
    lambdified, _ = sympy_route(width)
    args = [data["x1"], data["x2"], data["y"]] + [weights[n] for n in weight_names(width)]
    loss, grads = compiled(**data, **weights)
    reference = lambdified(*args)
    worst = max(np.max(np.abs(grads[n] - reference[i + 1]))
                / (np.max(np.abs(reference[i + 1])) + 1e-300)
                for i, n in enumerate(weight_names(width)))
    assert worst < 1e-9 and np.allclose(loss, reference[0], rtol=1e-12), worst
    times = alternate({"symgrad.compile": lambda: compiled(**data, **weights),
                       "sympy lambdify(cse=True)": lambda: lambdified(*args)}, repeats)
    return times, worst


def section_mlp(args):
    repeats = 60 if args.quick else args.repeats
    print_peers(bench_peers(repeats, args.peer_python, args.timeout), repeats)


def section_eval(args):
    # --quick: W = 8, since the SymPy route alone takes over a minute at W = 16
    width = 8 if args.quick else args.eval_width
    samples = 10_000 if args.quick else args.samples
    repeats = 5 if args.quick else 9
    print(f"(c) evaluate loss + all {len(weight_names(width))} weight gradients (W = {width}) on "
          f"{samples:,} samples, median of {repeats} alternated calls")
    times, worst = bench_eval(width, samples, repeats)
    base = times["sympy lambdify(cse=True)"]
    print(table([(name, fmt_seconds(t), f"{t / base:.3f}×") for name, t in times.items()],
                ("implementation", "median", "vs lambdify")))
    print(f"(largest relative difference between the two: {worst:.1e})")


def section_scaling(args):
    from scaling import FAMILIES, OPERATIONS, QUICK_SIZES, SIZES, run_scaling

    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    operations = args.operations or ([op for op in OPERATIONS if op != "render-html"] if args.quick
                                     else OPERATIONS)
    timeout = args.case_timeout or (30.0 if args.quick else 120.0)
    run_scaling(sizes, operations, args.families or FAMILIES, timeout,
                int(args.memory_limit * 2**30), 1 if args.quick else args.case_runs)


def section_startup(args):
    from startup import run_startup

    run_startup(5 if args.quick else args.runs, args.timeout)


SECTIONS = {"mlp": section_mlp, "derivation": section_derivation, "eval": section_eval,
            "scaling": section_scaling, "startup": section_startup}
DEFAULT_SECTIONS = ("mlp", "derivation", "eval")


def comma_list(choices=None, convert=str):
    def parse(text):
        items = [convert(item) for item in text.split(",") if item]
        unknown = [i for i in items if choices and i not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {', '.join(choices)}")
        return items
    return parse


def build_parser():
    from scaling import FAMILIES, OPERATIONS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    # no choices=: argparse checks a nargs="*" default against them and refuses an empty command
    parser.add_argument("sections", nargs="*", metavar="SECTION",
                        help=f"{', '.join(SECTIONS)} or all "
                             f"(default: {' '.join(DEFAULT_SECTIONS)})")
    parser.add_argument("--quick", action="store_true",
                        help="smallest sizes and fewer repeats in every section (a smoke test)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds allowed per child of mlp, derivation, startup (default 300)")
    parser.add_argument("--repeats", type=int, default=300, help="calls per function in mlp")
    parser.add_argument("--peer-python", metavar="PYTHON",
                        help="the interpreter that runs the PyTorch and JAX children (e.g. a venv "
                             "with torch, jax and numpy); default: this one")
    parser.add_argument("--eval-width", type=int, default=16)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--sizes", type=comma_list(convert=int), metavar="N,N,...",
                        help="scaling: gate counts (default 1000,2000,5000,10000; --quick 10,20)")
    parser.add_argument("--operations", type=comma_list(OPERATIONS), metavar="OP,...",
                        help=f"scaling: some of {','.join(OPERATIONS)} (default all; --quick "
                             f"skips render-html)")
    parser.add_argument("--families", type=comma_list(FAMILIES), metavar="SHAPE,...",
                        help=f"scaling: some of {','.join(FAMILIES)} (default all)")
    parser.add_argument("--case-timeout", type=float,
                        help="scaling: seconds allowed per case (default 120; --quick 30)")
    parser.add_argument("--case-runs", type=int, default=3, metavar="N",
                        help="scaling: fresh processes per case at least, the median reported "
                             "(default 3; short cases run until they add up to 3 s; --quick 1)")
    parser.add_argument("--memory-limit", type=float, default=8.0, metavar="GIB",
                        help="scaling: address-space cap per case in GiB (default 8)")
    parser.add_argument("--runs", type=int, default=21, help="startup: runs of each command")
    parser.add_argument("--route", choices=["symgrad", "sympy"], help=argparse.SUPPRESS)
    parser.add_argument("--width", type=int, help=argparse.SUPPRESS)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections if name not in SECTIONS and name != "all"]
    if unknown:
        parser.error(f"unknown section {unknown[0]!r} (choose from {', '.join(SECTIONS)}, all)")
    if args.route:                                   # a child process of (b)
        route = symgrad_route if args.route == "symgrad" else sympy_route
        _, seconds = route(args.width)
        print(json.dumps({"seconds": seconds}))
        return 0

    import platform

    import sympy

    import symgrad

    print(f"symgrad {symgrad.__version__} ({os.path.dirname(symgrad.__file__)}), NumPy "
          f"{np.__version__}, SymPy {sympy.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} (other work on the machine inflates every time)")
    sections = args.sections or DEFAULT_SECTIONS
    sections = list(SECTIONS) if "all" in sections else list(dict.fromkeys(sections))
    for name in sections:
        print()
        start = time.perf_counter()
        SECTIONS[name](args)
        print(f"  ({name}: {time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
