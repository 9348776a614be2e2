"""A matrix model written out entry by entry as a scalar program (for small shapes).

:func:`scalar_program` turns every matrix gate into one scalar line per entry
(``z_0_1 = x_0_0*w1_0_1 + x_0_1*w1_1_1 + ...``), in symgrad's program language.
Deriving that program with the scalar engine (``symgrad.derive``) is an
independent check of the matrix rules: it knows nothing about G·Bᵀ, only about
the scalar rule table. Entry (i, j) of ``w1`` is the scalar input ``w1_i_j``
(0-based); a vector entry is ``b_i``, a number keeps its name.
"""

import itertools

import numpy as np

from ..errors import SymgradError
from ..rules import RULES

MAX_ENTRIES = 5000          # lines: beyond this the expansion is not worth deriving by scalars

_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def entry_name(name, index):
    return name if not index else f"{name}_{'_'.join(map(str, index))}"


def scalar_point(model, arrays):
    """input entry name -> float, for the inputs of ``model`` at ``arrays``."""
    point = {}
    for name in model.inputs:
        a = np.asarray(arrays[name], dtype=float)
        for index in itertools.product(*(range(n) for n in a.shape)):
            point[entry_name(name, index)] = float(a[index])
    return point


def scalar_program(model):
    """The program text, and node name -> array of entry names (constants: numbers as strings)."""
    entries = {}
    lines = []
    for name in model.topological_order():
        node = model.nodes[name]
        shape = node.shape
        if node.is_input:
            entries[name] = _names(name, shape)
            continue
        args = [entries[a] if isinstance(a, str) else np.array(repr(a)) for a in node.args]
        out = _names(name, shape)
        for index, right in _entries(node, args, shape):
            lines.append(f"{out[index]} = {right}")
            if len(lines) > MAX_ENTRIES:
                raise SymgradError(f"model {model.name!r} is too large to expand into scalars")
        entries[name] = out
    return "\n".join(lines) + "\n", entries


def _names(name, shape):
    out = np.empty(shape, dtype=object)
    for index in itertools.product(*(range(n) for n in shape)):
        out[index] = entry_name(name, index)
    return out


def _at(a, index, shape):
    """Entry of broadcast operand ``a`` at ``index`` of the output ``shape``."""
    return np.broadcast_to(a, shape)[index]


def _entries(node, args, shape):
    op = node.op
    indices = list(itertools.product(*(range(n) for n in shape)))
    if op == "matmul":
        yield from _matmul_entries(*args, indices)
    elif op == "transpose":
        for index in indices:
            yield index, f"{args[0][index[::-1]]}"
    elif op in ("sum", "mean") and node.params:
        yield from _axis_entries(op, args[0], node.params[0], indices)
    elif op in ("sum", "mean", "sumsq", "l1", "l2"):
        items = list(args[0].ravel())
        term = {"sum": "{}", "mean": "{}", "sumsq": "{}**2", "l2": "{}**2", "l1": "abs({})"}[op]
        total = " + ".join(term.format(e) for e in items)
        yield (), f"({total}) / {len(items)}" if op == "mean" else total
    elif op in ("softmax_ce", "hinge"):
        s, y = args
        for (i,) in indices:
            row = range(s.shape[1])
            correct = " + ".join(f"{y[i, j]}*{s[i, j]}" for j in row)
            if op == "softmax_ce":
                yield (i,), f"log({' + '.join(f'exp({s[i, j]})' for j in row)}) - ({correct})"
            else:
                margin = node.params[0]
                yield (i,), " + ".join(f"(1 - {y[i, j]})*relu({s[i, j]} - ({correct}) + {margin!r})"
                                       for j in row)
    else:
        for index in indices:
            yield index, _scalar_entry(node, [_at(a, index, shape) for a in args])


def _matmul_entries(a, b, indices):
    """NumPy's four cases of ``a @ b``: an output index is the row of ``a`` (if ``a`` is a
    matrix) followed by the column of ``b`` (if ``b`` is a matrix); k runs along the shared
    dimension."""
    for index in indices:
        row, col = index[:a.ndim - 1], index[a.ndim - 1:]
        yield index, " + ".join(f"{a[(*row, k)]}*{b[(k, *col)]}" for k in range(b.shape[0]))


def _axis_entries(op, a, axis, indices):
    """``sum``/``mean`` along ``axis``: output entry ``index`` adds the entries of ``a`` that
    have ``index`` with one more index, k, inserted at ``axis``."""
    axis = axis % a.ndim
    n = a.shape[axis]
    for index in indices:
        total = " + ".join(f"{a[(*index[:axis], k, *index[axis:])]}" for k in range(n))
        yield index, f"({total}) / {n}" if op == "mean" else total


def _scalar_entry(node, entries):
    """One entry of an elementwise gate in the program language: every primitive of the scalar
    table is a function of the same name there, its constant parameters after its arguments."""
    op = node.op
    if op in _INFIX:
        return f"{entries[0]} {_INFIX[op]} {entries[1]}"
    if op == "neg":
        return f"-{entries[0]}"
    if op == "identity":
        return f"{entries[0]}"
    if op == "log_sigmoid":
        return f"log(sigmoid({entries[0]}))"
    if op in RULES:
        return f"{op}({', '.join([*map(str, entries), *map(repr, node.params)])})"
    raise SymgradError(f"no scalar expansion for matrix operation {op!r}")
