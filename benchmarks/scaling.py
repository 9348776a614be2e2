"""Scaling section: derive, compile, render and check against the number of gates.

Three program shapes, each at 1k, 2k, 5k and 10k gates (``--sizes`` to change):

- chain     ``h = sin(x)``, then ``h = sin(h)`` repeated, ``f = sin(h)`` last (one gate a line);
- residual  ``h = x + tanh(x)``, then ``h += tanh(h)`` repeated, ``f = h + tanh(h)`` last (two gates
            a line, each reading the previous value twice: the shape whose closed form explodes,
            worst at 20-100 gates, where it is still expanded: try ``--sizes 20,40,100``);
- wide      ``f = x1*w1 + x2*w2 + ...`` (two gates a term), written as partial sums of at most ~100
            terms a line (a longer line passes the parser's 5,000-character and depth limits).

Operations: ``derive`` (the CLI, text output), ``compile`` (``symgrad.compile(text, wrt=...)``),
``render-md`` and ``render-html`` (the CLI), ``check`` (a claims file with one value claim and one
gradient claim, no ``after_steps``, in a temporary directory). Each measurement runs in a fresh
child process: it imports symgrad, runs the operation once on a 10-gate program of the same shape
(so that one-time costs such as lazy imports and template loading are not counted), then times the
operation on the case. The child reports its wall-clock time, its CPU time (user + system: what a
busy machine inflates least) and its peak resident memory (ru_maxrss). Each case runs in
``--case-runs`` fresh children (default 3; a short case more often, until its runs add up
to 3 s, at most 15) and the medians are reported. A child
that outlives the timeout is killed and reported as "> T s", and the larger sizes of that shape
and operation are skipped; so is a size whose time, projected from the last two sizes measured,
exceeds twice the timeout (the row says so). The numbers computed are checked against values
the bench computes itself (float64 loops), so a fast wrong answer is a failure, not a result.

    python benchmarks/scaling.py OP FAMILY GATES WORKDIR MEMORY_BYTES   # one child
"""

import contextlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass

from common import (
    ChildResult,
    fmt_mib,
    fmt_seconds,
    limit_memory,
    maxrss_kib,
    run_child,
    table,
)

FAMILIES = ("chain", "residual", "wide")
OPERATIONS = ("derive", "compile", "render-md", "render-html", "check")
SIZES = (1000, 2000, 5000, 10000)
QUICK_SIZES = (10, 20)          # residual chains explode in derive beyond ~20 lines today
WARM_UP_GATES = 10
TARGET_RATIO = 10.0            # the target: 8x the gates -> at most 10x the time


@dataclass
class Case:
    family: str
    gates: int
    text: str                  # the program
    point: dict                # every input's value
    wrt: list                  # the names compile differentiates with respect to
    value: float               # f at the point, computed here in float64
    gradient_of: str           # an input, and df/d(it) at the point
    gradient: float


def chain_case(n):
    n = max(n, 2)
    text = "\n".join(["h = sin(x)"] + ["h = sin(h)"] * (n - 2) + ["f = sin(h)"]) + "\n"
    h, g = 0.5, 1.0
    for _ in range(n):
        g *= math.cos(h)
        h = math.sin(h)
    return Case("chain", n, text, {"x": 0.5}, ["x"], h, "x", g)


def residual_case(n):
    lines = max(n // 2, 2)
    program = ["h = x + tanh(x)"] + ["h += tanh(h)"] * (lines - 2) + ["f = h + tanh(h)"]
    text = "\n".join(program) + "\n"
    h, g = 0.5, 1.0
    for _ in range(lines):
        g *= 2.0 - math.tanh(h) ** 2
        h = h + math.tanh(h)
    return Case("residual", 2 * lines, text, {"x": 0.5}, ["x"], h, "x", g)


def wide_case(n):
    terms = max((n + 1) // 2, 2)
    group = max(50, math.ceil(terms / 100))    # at most ~100 terms a line, ~100 partial sums
    point, products = {}, []
    for i in range(1, terms + 1):
        point[f"x{i}"], point[f"w{i}"] = (5 + i % 7) / 10, (i % 11 - 6) / 20
        products.append(f"x{i}*w{i}")
    chunks = [products[i:i + group] for i in range(0, terms, group)]
    if len(chunks) == 1:
        lines = ["f = " + " + ".join(chunks[0])]
    else:
        lines = [f"s{k} = " + " + ".join(c) for k, c in enumerate(chunks, 1)]
        lines.append("f = " + " + ".join(f"s{k}" for k in range(1, len(chunks) + 1)))
    value = math.fsum(point[f"x{i}"] * point[f"w{i}"] for i in range(1, terms + 1))
    wrt = [f"w{i}" for i in range(1, terms + 1)]
    text = "\n".join(lines) + "\n"
    return Case("wide", 2 * terms - 1, text, point, wrt, value, "w1", point["x1"])


BUILD = {"chain": chain_case, "residual": residual_case, "wide": wide_case}


# --- the child: one operation on one case ---------------------------------------------------------
def close(a, b):
    return abs(a - b) <= 1e-9 * abs(b) + 1e-12


def claims_toml(case):
    def number(v):
        return repr(float(v))
    lines = ['title = "bench scaling"', 'program = """', case.text.rstrip("\n"), '"""', "[at]"]
    lines += [f"{k} = {number(v)}" for k, v in case.point.items()]
    for key, name, v in (("value", "f", case.value), ("gradient", case.gradient_of, case.gradient)):
        tol = max(1e-9 * abs(v), 1e-12)
        lines += ["[[claim]]", f'{key} = "{name}"', f"equals = {number(v)}", f"tol = {tol!r}"]
    return "\n".join(lines) + "\n"


def run_operation(op, case, workdir):
    """(wall-clock, CPU) seconds that ``op`` takes on ``case``; raises AssertionError when it
    fails or is wrong. CPU time (this process's user + system) is what other work on the machine
    inflates least: the operation is single-threaded, so on a busy machine its wall-clock time
    is CPU time plus time spent waiting for a core."""
    import symgrad
    from symgrad import cli

    os.makedirs(workdir, exist_ok=True)
    program = os.path.join(workdir, "program.sg")
    with open(program, "w") as f:
        f.write(case.text)
    at = ",".join(f"{k}={v!r}" for k, v in case.point.items())
    claims = os.path.join(workdir, "claims.toml")
    with open(claims, "w") as f:
        f.write(claims_toml(case))
    if op == "compile":
        start, cpu = time.perf_counter(), time.process_time()
        compiled = symgrad.compile(case.text, wrt=case.wrt)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        value, grads = compiled(**case.point)
        assert close(float(value), case.value), f"compiled value {value} != {case.value}"
        got = float(grads[case.gradient_of])
        assert close(got, case.gradient), f"compiled gradient {got} != {case.gradient}"
        return seconds, cpu
    argv = {"derive": ["derive", program, "--at", at],
            "render-md": ["render", program, "--at", at, "--format", "md", "-o", workdir],
            "render-html": ["render", program, "--at", at, "--format", "html", "-o", workdir],
            "check": ["check", claims]}[op]
    with open(os.path.join(workdir, "stdout.txt"), "w") as out, contextlib.redirect_stdout(out):
        start, cpu = time.perf_counter(), time.process_time()
        code = cli.main(argv)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert code == 0, f"symgrad {argv[0]} exited {code}" + (" (a claim failed)" * (code == 1))
    return seconds, cpu


def child(op, family, gates, workdir):
    import symgrad  # noqa: F401 (imported before the clock starts: start-up is its own section)

    # the warm-up's input is u, not x: SymPy caches expressions, and a warm-up on the case's own
    # names would hand the timed run cached results
    warm = BUILD[family](WARM_UP_GATES)
    warm.text = warm.text.replace("x", "u")
    warm.point = {k.replace("x", "u"): v for k, v in warm.point.items()}
    warm.wrt = [w.replace("x", "u") for w in warm.wrt]
    warm.gradient_of = warm.gradient_of.replace("x", "u")
    run_operation(op, warm, os.path.join(workdir, "warm-up"))
    case = BUILD[family](gates)
    try:
        seconds, cpu = run_operation(op, case, os.path.join(workdir, "case"))
    except AssertionError as exc:
        print(json.dumps({"status": "failed", "error": str(exc)[:200], "maxrss_kib": maxrss_kib()}))
        return 1
    print(json.dumps({"status": "ok", "seconds": seconds, "cpu_seconds": cpu, "gates": case.gates,
                      "maxrss_kib": maxrss_kib()}))
    return 0


# --- the parent: every case in a child, one table per operation -----------------------------------
RUN_SECONDS = 3.0      # a small case runs until its runs add up to this (at most MAX_RUNS)
MAX_RUNS = 15


def measure(cmd, timeout, runs):
    """``cmd`` run at least ``runs`` times, each in a fresh process: the median wall-clock and CPU
    times of the runs (a busy moment inflates one run, not the median), the largest peak
    memory. A short case runs more often, until its runs add up to RUN_SECONDS (at most
    MAX_RUNS): a 0.2 s case varies by half from one process to the next on this machine, and it
    is the denominator of every ratio. A run that fails or times out is the result: a case is
    never reported from its good runs alone."""
    results = []
    while len(results) < runs or (runs > 1 and len(results) < MAX_RUNS and
                                  sum(r.data["seconds"] for r in results) < RUN_SECONDS):
        r = run_child(cmd, timeout)
        if r.status != "ok":
            return r
        results.append(r)
    data = dict(results[-1].data)
    for key in ("seconds", "cpu_seconds"):
        data[key] = statistics.median(r.data[key] for r in results)
    peak = max((r.peak_bytes for r in results if r.peak_bytes is not None), default=None)
    return ChildResult("ok", data, statistics.median(r.wall for r in results), peak)


def run_scaling(sizes, operations, families, timeout, memory_limit, runs=1):
    each = (f"median of {runs} or more fresh processes (short cases until they add up to "
            f"{RUN_SECONDS:g} s, at most {MAX_RUNS})" if runs > 1 else "in a fresh process")
    print(f"Scaling: each case {each} (timeout {timeout:g} s, address space capped at "
          f"{memory_limit / 2**30:g} GiB); time of the operation alone, peak resident memory of "
          f"the child; target: 8x the gates -> at most {TARGET_RATIO:g}x the time "
          f"(growth exponent <= {math.log(TARGET_RATIO) / math.log(8):.2f})")
    for op in operations:
        rows, notes = [], []
        for family in families:
            measured = []                    # (gates, seconds or None for timeout)
            measured_cpu = []                # (gates, CPU seconds) of the cases that finished
            skipped_after = None
            for n in sizes:
                gates = BUILD[family](n).gates
                if skipped_after is not None:
                    why = f"skipped ({skipped_after} timed out)"
                    rows.append((family, gates, why, "-", "-", "-", "-", "-"))
                    continue
                projected = _projection(measured, gates)
                if projected is not None and projected > 2 * timeout:
                    # the growth so far says this size would take over twice the timeout: spend
                    # the time on the other cases (the row says it is a projection, not a run)
                    why = f"skipped (projected {projected:.0f} s)"
                    rows.append((family, gates, why, "-", "-", "-", "-", "-"))
                    continue
                with tempfile.TemporaryDirectory(prefix="symgrad-bench-") as workdir:
                    r = measure([sys.executable, os.path.abspath(__file__), op, family, str(n),
                                 workdir, str(memory_limit)], timeout, runs)
                print(f"  {op} {family} {gates} gates: {r.status} "
                      f"({r.data.get('seconds', r.wall):.2f} s)", file=sys.stderr)
                rows.append(_row(family, gates, r, measured, timeout, measured_cpu))
                if r.status == "timeout":
                    skipped_after = gates
            notes.append(_growth_note(family, measured))
            notes.append(_growth_note(family, measured_cpu, "CPU"))
        print(f"\n{op}")
        print(table(rows, ("shape", "gates", "time", "peak memory", "vs smallest", "exponent",
                           "CPU", "CPU vs smallest")))
        for note in notes:
            print(note)


def _projection(measured, gates):
    """Seconds that ``gates`` would take at the growth exponent of the last two sizes measured."""
    done = [(g, t) for g, t in measured if t]
    if len(done) < 2:
        return None
    (g1, t1), (g2, t2) = done[-2:]
    exponent = max(1.0, math.log(t2 / t1) / math.log(g2 / g1))
    return t2 * (gates / g2) ** exponent


def _row(family, gates, r, measured, timeout, measured_cpu):
    if r.status == "ok":
        seconds, shown = r.data["seconds"], fmt_seconds(r.data["seconds"])
    elif r.status == "timeout":
        seconds, shown = None, f"> {timeout:g} s (timeout)"
    else:
        why = f"failed: {r.data.get('error') or r.message}"
        return (family, gates, why, fmt_mib(r.peak_bytes), "-", "-", "-", "-")
    lower = seconds if seconds is not None else timeout        # a timeout is a lower bound
    prefix = "" if seconds is not None else "> "
    ratio = exponent = "-"
    if measured and measured[0][1]:
        t0 = measured[0][1]
        ratio = f"{prefix}{lower / t0:.1f}x"
        gp, tp = measured[-1]
        if tp:
            exponent = f"{prefix}{math.log(lower / tp) / math.log(gates / gp):.2f}"
    measured.append((gates, seconds))
    cpu = r.data.get("cpu_seconds")
    cpu_shown = cpu_ratio = "-"
    if cpu is not None:
        cpu_shown = fmt_seconds(cpu)
        if measured_cpu:
            cpu_ratio = f"{cpu / measured_cpu[0][1]:.1f}x"
        measured_cpu.append((gates, cpu))
    return (family, gates, shown, fmt_mib(r.peak_bytes), ratio, exponent, cpu_shown, cpu_ratio)


def _growth_note(family, measured, clock="wall-clock"):
    done = [(g, t) for g, t in measured if t]
    if len(done) < 2:
        return f"  {family} ({clock}): fewer than two sizes finished; no growth rate"
    (g1, t1), (g2, t2) = done[0], done[-1]
    e = math.log(t2 / t1) / math.log(g2 / g1)
    verdict = "meets" if 8 ** e <= TARGET_RATIO else "misses"
    return (f"  {family} ({clock}): t({g2})/t({g1}) = {t2 / t1:.1f}x for {g2 / g1:.1f}x the "
            f"gates; exponent {e:.2f}, so 8x the gates -> {8 ** e:.1f}x the time "
            f"({verdict} the <= {TARGET_RATIO:g}x target)")


if __name__ == "__main__":
    limit_memory(int(sys.argv[5]))
    sys.exit(child(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
