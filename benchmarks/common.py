"""Pieces shared by the benchmark sections: running a child process, medians, tables."""

import json
import resource
import statistics
import subprocess
import time
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass
class ChildResult:
    status: str              # "ok", "timeout", "failed", or the child's own ("not installed")
    data: dict               # the JSON object on the child's last stdout line, or {}
    wall: float              # seconds from start to exit, as seen by the parent
    peak_bytes: int = None   # the child's peak resident memory, when known
    message: str = ""        # the last line of stderr, for a failure


def run_child(cmd, timeout):
    """Run ``cmd`` with a timeout; the child's result is the JSON object on its last stdout line.

    A child that outlives ``timeout`` is killed (its peak memory is read from /proc first) and
    reported as "timeout": the bench never hangs on one case.
    """
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        peak = _vm_hwm(child.pid)          # before the kill: afterwards /proc/PID is gone
        child.kill()
        child.communicate()
        return ChildResult("timeout", {}, time.perf_counter() - start, peak)
    wall = time.perf_counter() - start
    data = _last_json(out)
    peak = data.get("maxrss_kib")
    peak = peak * 1024 if peak is not None else None
    if child.returncode != 0 or not data:
        message = (err.strip().splitlines() or [f"exit code {child.returncode}"])[-1]
        return ChildResult(data.get("status", "failed"), data, wall, peak, message[:200])
    return ChildResult(data.get("status", "ok"), data, wall, peak)


def _last_json(out):
    for line in reversed(out.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}


def _vm_hwm(pid):
    """Peak resident memory of a running process (Linux /proc), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def limit_memory(nbytes):
    """Cap this process's address space, so that a case that would eat the machine fails with
    MemoryError instead (called by a child first thing; a preexec_fn in the parent is unsafe
    once NumPy has started its threads)."""
    if nbytes:
        resource.setrlimit(resource.RLIMIT_AS, (nbytes, nbytes))


def maxrss_kib():
    """This process's peak resident memory in KiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def alternate(functions, repeats):
    """Median seconds per call of each function, calls alternated (one machine state for all)."""
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def fmt_seconds(s):
    if s is None:
        return "-"
    if isinstance(s, str):
        return s
    return f"{s * 1e3:.3f} ms" if s < 1 else f"{s:.2f} s"


def fmt_mib(nbytes):
    return "-" if nbytes is None else f"{nbytes / MIB:.0f} MiB"


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
    lines = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [line(r) for r in rows]
    return "\n".join(lines)
