"""Gradient check: every symbolic gradient of a target against central finite differences."""
import math
from dataclasses import dataclass, field

import numpy as np

from ..backward import forward_pass
from ..derivation import derive
from ..errors import DomainError
from ..matrix import MatrixDerivation

EPS_STEP = (2.0 ** -52) ** (1 / 3)   # ≈ 6.06e-6, the usual step scale of central differences
# Entries checked per matrix parameter larger than this (plus the entry of its largest gradient).
MATRIX_SAMPLE = 32


@dataclass
class GradcheckReport:
    target: str
    rows: list
    max_abs_error: float
    max_rel_error: float
    passed: bool
    atol: float = 1e-5
    rtol: float = 1e-3
    checked: dict = field(default_factory=dict)    # name -> [entries checked, entries in all]


def _central(f, x, name):
    """Central difference of the scalar function f at x, with h = ε^(1/3)·max(1, |x|) kept inside
    the domain: while f is not finite at x ± h, h is halved; the edge is then within 2h of x, so
    the step becomes ε^(1/3)·h (the same rule with the distance to the edge as the scale)."""
    def finite(v):
        try:
            y = f(v)
        except DomainError:
            return None
        return y if math.isfinite(y) else None

    h, shrunk = EPS_STEP * max(1.0, abs(x)), False
    for _ in range(200):
        hi, lo = finite(x + h), finite(x - h)
        if hi is not None and lo is not None:
            break
        h, shrunk = h / 2, True
        if h <= abs(x) * 2.0 ** -52 or h < 1e-300:
            raise DomainError(f"gradcheck: the output is not finite on either side of "
                              f"{name} = {x:g}, so no finite difference can be taken there")
    if shrunk:
        h *= EPS_STEP
        hi, lo = finite(x + h), finite(x - h)
        if hi is None or lo is None:
            raise DomainError(f"gradcheck: the output is not finite near {name} = {x:g}")
    step = (x + h) - (x - h)                   # the step as the floats actually represent it
    return (hi - lo) / step, step / 2


def _row(wrt, sym, fd, h):
    err = abs(sym - fd)
    scale = max(abs(sym), abs(fd))
    return {"wrt": wrt, "symbolic": float(sym), "numeric": float(fd), "abs_error": err,
            "rel_error": err / scale if scale else 0.0, "h": h}


def _gradcheck_scalar(d):
    graph, point = d.graph, dict(d.point)
    order = graph.topological_order()
    rows = []
    for name, sym in d.gradients.items():
        def f(v, name=name):
            return forward_pass(graph, {**point, name: v}, order)[0][graph.output]
        fd, h = _central(f, point[name], name)
        rows.append(_row(name, sym, fd, h))
    return rows, {name: [1, 1] for name in d.gradients}


def _sample(size, grad):
    """Every entry of a small array; else MATRIX_SAMPLE evenly spaced entries (row-major) and the
    entry with the largest gradient."""
    if size <= MATRIX_SAMPLE:
        return list(range(size))
    picks = {int(round(k)) for k in np.linspace(0, size - 1, MATRIX_SAMPLE)}
    picks.add(int(np.argmax(np.abs(grad))))
    return sorted(picks)


def _gradcheck_matrix(d):
    arrays = {k: np.array(v, dtype=float) for k, v in d.arrays.items()}
    rows, checked = [], {}
    for name in d.wrt:
        grad = np.asarray(d.gradients[name], dtype=float)
        base = arrays[name]
        flat = base.reshape(-1)
        picks = _sample(flat.size, grad.reshape(-1))
        checked[name] = [len(picks), int(flat.size)]
        for k in picks:
            x = float(flat[k])

            def f(v, k=k, name=name, flat=flat, base=base):
                trial = flat.copy()
                trial[k] = v
                value, _ = d.compiled(**{**arrays, name: trial.reshape(base.shape)})
                return float(value)
            fd, h = _central(f, x, name)
            index = np.unravel_index(k, base.shape) if base.shape else ()
            label = f"{name}[{', '.join(map(str, index))}]" if index else name
            rows.append(_row(label, grad.reshape(-1)[k], fd, h))
    return rows, checked


def gradcheck(target, at=None, atol=1e-5, rtol=1e-3):
    """Compare the symbolic gradients of ``target`` with central finite differences.

    Scalar targets: every gradient. Matrix models: every entry of each parameter with at most
    ``MATRIX_SAMPLE`` entries, else a deterministic sample (see :func:`_sample`). Passes when
    |symbolic − numeric| ≤ atol + rtol·|numeric| for every row; reports the worst errors.
    """
    d = derive(target, at=at)
    if isinstance(d, MatrixDerivation):
        rows, checked = _gradcheck_matrix(d)
    else:
        rows, checked = _gradcheck_scalar(d)
    max_abs = max((r["abs_error"] for r in rows), default=0.0)
    max_rel = max((r["rel_error"] for r in rows), default=0.0)
    passed = all(r["abs_error"] <= atol + rtol * abs(r["numeric"]) for r in rows)
    return GradcheckReport(str(target), rows, max_abs, max_rel, passed, atol, rtol, checked)
