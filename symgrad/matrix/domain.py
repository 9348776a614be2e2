"""Domain errors of a matrix derivation, found line by line in the generated code.

``derive`` refuses a point outside a function's domain (docs/conventions.md): log of a number
≤ 0, sqrt of a negative number, a division by zero, a local gradient with a pole such as
sqrt′(0). The scalar engine sees each gate's number; a matrix gate computes a whole array at
once, so when a matrix derivation's loss or a gradient is not finite, the same generated lines
(forward, then backward) are run again one by one, with NumPy raising on a division by zero or
an invalid operation, to name the first line that failed and the entry where it did.

Overflow is not a domain error (a value that overflows is ±inf, as in the scalar engine), and
once a value is infinite the lines after it follow IEEE: only a line whose operands were all
finite can be a domain error.
"""

import numpy as np

from ..codegen import BACKENDS, python_names
from ..errors import DomainError
from .codegen import helper_sources
from .sweep import reverse_sweep


def domain_error(model, wrt, arrays):
    """The :class:`DomainError` of the first generated line that divides by zero or computes an
    invalid value from finite operands at ``arrays``, or None."""
    order = model.topological_order()
    names = python_names(order)
    sweep = reverse_sweep(model, wrt, names)
    namespace = {}
    exec("\n".join([BACKENDS["numpy"], *helper_sources(sweep.helpers)]), namespace)  # noqa: S102
    for n in order:
        if model.nodes[n].is_input:
            namespace[names[n]] = np.asarray(arrays[n], dtype=float)
    gate_of = {names[n]: n for n in order}
    node_of_gradient = {code.code: n for n, code in sweep.adjoint_code.items()}
    formula_of = {row.name: row.formula.text for row in sweep.forward}
    finite_so_far = all(np.all(np.isfinite(v)) for v in namespace.values()
                        if isinstance(v, np.ndarray))
    for line in sweep.forward_code + sweep.backward_code:
        # the lines are the generated code of the sweep (targets and operands are python_names
        # of the model's nodes), never text the user typed
        target = line.split(" = ", 1)[0]
        code = compile(line, "<symgrad-domain-check>", "exec")
        try:
            with np.errstate(divide="raise", invalid="raise", over="ignore", under="ignore"):
                exec(code, namespace)  # noqa: S102
        except FloatingPointError as exc:
            with np.errstate(all="ignore"):
                exec(code, namespace)  # noqa: S102
            if finite_so_far:
                return _error(target, exc, namespace[target], gate_of, node_of_gradient,
                              formula_of, model.output)
        if not np.all(np.isfinite(namespace[target])):
            finite_so_far = False
    return None


def _error(target, exc, value, gate_of, node_of_gradient, formula_of, output):
    bad = np.argwhere(~np.isfinite(np.asarray(value)))
    entry = f" at entry {list(int(i) for i in bad[0])}" if bad.size and np.ndim(value) else ""
    reason = str(exc).replace(" encountered in ", " in ")
    if target in gate_of and gate_of[target] in formula_of:
        gate = gate_of[target]
        return DomainError(f"gate {gate!r} = {formula_of[gate]}: {reason}{entry}; the point is "
                           f"outside the function's domain")
    node = node_of_gradient.get(target, target.removeprefix("grad_"))
    return DomainError(f"the gradient ∂{output}/∂{node}: {reason}{entry}; a local gradient has a "
                       f"pole at this point (as sqrt′(0) has)")
