"""Start-up section: a small ``symgrad derive`` against bare ``import sympy, numpy``.

Both commands run N times each in fresh processes, alternated (so both see the same machine
state); the medians and their ratio are reported (the issue's target: at most 1.25x). Then one
``python -X importtime -m symgrad derive ...`` run lists the ten imports with the largest
cumulative time, to show where start-up goes.

Each run is timed twice: wall-clock (what a user waits) and CPU (user + system time of the
child, from ``os.wait4``), which other work on the machine does not inflate much. The children
run with bytecode caching on, in a temporary ``PYTHONPYCACHEPREFIX`` filled by the warm-up runs:
an installed symgrad has its ``.pyc`` files, and with ``PYTHONDONTWRITEBYTECODE=1`` in the
environment (as on some CI machines) every start would compile symgrad's ~20 modules from source
while SymPy's and NumPy's bytecode came with their wheels (SymPy's and NumPy's are cached in
the same prefix, so both commands are treated alike).
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

from common import fmt_seconds, table

DERIVE = ["-m", "symgrad", "derive", "(x+y)*z", "--at", "x=-2,y=5,z=-4"]
BARE = ["-c", "import sympy, numpy"]
TARGET_RATIO = 1.25


def child_env(pycache):
    """The environment of the timed children: bytecode written to and read from ``pycache``."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def timed(args, timeout, env=None):
    """(wall seconds, CPU seconds) of one run of ``python args``."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable] + args, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
    try:
        _, status, usage = _wait4(child, timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        raise
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), args)
    return wall, usage.ru_utime + usage.ru_stime


def _wait4(child, timeout):
    """os.wait4 on ``child`` (its resource usage), polling so that ``timeout`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)   # Popen must not wait again
            return pid, status, usage
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(args=child.args, timeout=timeout)
        time.sleep(0.002)


def wall(args, timeout, env=None):
    return timed(args, timeout, env)[0]


def import_times(args, timeout, env=None):
    """[(cumulative seconds, self seconds, module)] from -X importtime, largest cumulative first.

    The stderr lines read ``import time: self [us] | cumulative | imported package``; nested
    imports are indented under the package that pulled them in.
    """
    done = subprocess.run([sys.executable, "-X", "importtime"] + args, capture_output=True,
                          text=True, timeout=timeout, check=False, env=env)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|", 2)
        rows.append((int(cumulative_us) / 1e6, int(self_us) / 1e6, name.rstrip()))
    return sorted(rows, key=lambda r: -r[0])


def run_startup(runs, timeout):
    with tempfile.TemporaryDirectory(prefix="symgrad-pycache-") as pycache:
        env = child_env(pycache)
        for _ in range(2):                 # warm the file cache and write the bytecode first
            wall(DERIVE, timeout, env)
            wall(BARE, timeout, env)
        ours, bare = [], []
        for _ in range(runs):
            ours.append(timed(DERIVE, timeout, env))
            bare.append(timed(BARE, timeout, env))
        rows = import_times(DERIVE, timeout, env)[:10]
    medians = {}
    for i, clock in enumerate(("wall", "cpu")):
        medians[clock] = (statistics.median(r[i] for r in ours),
                          statistics.median(r[i] for r in bare))
    print(f"Start-up: median of {runs} alternated runs of each, fresh process each, bytecode "
          f"cached (as installed); wall-clock and CPU (user + system) time")
    (w_ours, w_bare), (c_ours, c_bare) = medians["wall"], medians["cpu"]
    print(table([("python -m symgrad derive \"(x+y)*z\" --at x=-2,y=5,z=-4", fmt_seconds(w_ours),
                  f"{w_ours / w_bare:.2f}x", fmt_seconds(c_ours), f"{c_ours / c_bare:.2f}x"),
                 ('python -c "import sympy, numpy"', fmt_seconds(w_bare), "1.00x",
                  fmt_seconds(c_bare), "1.00x")],
                ("command", "wall", "vs bare", "CPU", "vs bare")))
    for clock, (t_ours, t_bare) in medians.items():
        ratio = t_ours / t_bare
        verdict = "meets" if ratio <= TARGET_RATIO else "misses"
        print(f"  {clock}: {ratio:.2f}x the bare imports ({verdict} the <= {TARGET_RATIO:g}x "
              f"target); symgrad's own share: {fmt_seconds(t_ours - t_bare)}")
    print("\npython -X importtime -m symgrad derive ...: the 10 largest cumulative import times")
    print(table([(name.strip(), fmt_seconds(cum), fmt_seconds(own)) for cum, own, name in rows],
                ("module", "cumulative", "self")))
