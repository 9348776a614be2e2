"""Start-up section: a small ``symgrad derive`` against bare ``import sympy, numpy``.

Both commands run N times each in fresh processes, alternated (so both see the same machine
state); the medians and their ratio are reported (the issue's target: at most 1.25x). Then one
``python -X importtime -m symgrad derive ...`` run lists the ten imports with the largest
cumulative time, to show where start-up goes.
"""

import statistics
import subprocess
import sys
import time

from common import fmt_seconds, table

DERIVE = ["-m", "symgrad", "derive", "(x+y)*z", "--at", "x=-2,y=5,z=-4"]
BARE = ["-c", "import sympy, numpy"]
TARGET_RATIO = 1.25


def wall(args, timeout):
    start = time.perf_counter()
    subprocess.run([sys.executable] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=timeout, check=True)
    return time.perf_counter() - start


def import_times(args, timeout):
    """[(cumulative seconds, self seconds, module)] from -X importtime, largest cumulative first.

    The stderr lines read ``import time: self [us] | cumulative | imported package``; nested
    imports are indented under the package that pulled them in.
    """
    done = subprocess.run([sys.executable, "-X", "importtime"] + args, capture_output=True,
                          text=True, timeout=timeout, check=False)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|", 2)
        rows.append((int(cumulative_us) / 1e6, int(self_us) / 1e6, name.rstrip()))
    return sorted(rows, key=lambda r: -r[0])


def run_startup(runs, timeout):
    wall(DERIVE, timeout)                     # warm the file cache (and __pycache__) first
    wall(BARE, timeout)
    ours, bare = [], []
    for _ in range(runs):
        ours.append(wall(DERIVE, timeout))
        bare.append(wall(BARE, timeout))
    t_ours, t_bare = statistics.median(ours), statistics.median(bare)
    ratio = t_ours / t_bare
    print(f"Start-up: median of {runs} alternated runs of each, fresh process each")
    print(table([("python -m symgrad derive \"(x+y)*z\" --at x=-2,y=5,z=-4", fmt_seconds(t_ours),
                  f"{ratio:.2f}x"),
                 ('python -c "import sympy, numpy"', fmt_seconds(t_bare), "1.00x")],
                ("command", "median", "vs bare imports")))
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"  {ratio:.2f}x the bare imports ({verdict} the <= {TARGET_RATIO:g}x target); "
          f"symgrad's own share: {fmt_seconds(t_ours - t_bare)}")
    rows = import_times(DERIVE, timeout)[:10]
    print("\npython -X importtime -m symgrad derive ...: the 10 largest cumulative import times")
    print(table([(name.strip(), fmt_seconds(cum), fmt_seconds(own)) for cum, own, name in rows],
                ("module", "cumulative", "self")))
