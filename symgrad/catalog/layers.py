"""Small helpers that write matrix-shaped models as scalar programs.

The catalog's network models (``networks.py``, ``losses.py``) use explicit
matrices of scalar symbols: ``W1`` of shape 3×2 becomes the inputs
``W1_11, W1_12, …, W1_32`` (row, column; shapes stay below 10 so the two
digits read unambiguously). These helpers build the program lines and the
default-point dictionaries, so a model's definition stays a few readable lines
and its program text still reads like the post's formula, one unit per line.
"""


def vector_names(name, size):
    """``x, 2`` -> ``["x1", "x2"]``; a name ending in a digit gets a ``_``: ``h1`` -> ``h1_1``."""
    sep = "_" if name[-1].isdigit() else ""
    return [f"{name}{sep}{i + 1}" for i in range(size)]


def matrix_names(name, rows, cols):
    """``W1, 3, 2`` -> ``[["W1_11", "W1_12"], ["W1_21", "W1_22"], ["W1_31", "W1_32"]]``."""
    return [[f"{name}_{i + 1}{j + 1}" for j in range(cols)] for i in range(rows)]


def affine(inputs, weights, bias=None):
    """The right-hand sides of ``W·x (+ b)``: one string per row of ``weights``."""
    rows = []
    for i, row in enumerate(weights):
        terms = [f"{w}*{x}" for w, x in zip(row, inputs, strict=True)]
        if bias is not None:
            terms.append(bias[i])
        rows.append(" + ".join(terms))
    return rows


def assign(names, right_sides):
    """Program lines ``name = rhs``."""
    return [f"{n} = {r}" for n, r in zip(names, right_sides, strict=True)]


def apply(function, names, arguments):
    """Program lines ``name = function(argument)``, one per unit."""
    return [f"{n} = {function}({a})" for n, a in zip(names, arguments, strict=True)]


def layer(out_name, inputs, weights, bias=None, function=None, pre_name=None):
    """Lines of one layer and the names of its outputs.

    Without ``function``: ``out_i = W_i·x (+ b_i)``. With it, the pre-activation
    gets its own line (``pre_i = …``, then ``out_i = function(pre_i)``) so the
    derivation shows the activation's local gradient as its own gate.
    """
    size = len(weights)
    outs = vector_names(out_name, size)
    if function is None:
        return assign(outs, affine(inputs, weights, bias)), outs
    pres = vector_names(pre_name or f"{out_name}_in", size)
    return assign(pres, affine(inputs, weights, bias)) + apply(function, outs, pres), outs


def output_unit(name, inputs, weights, bias=None):
    """The line ``name = W·x (+ b)`` of a layer with one unit (``weights`` has one row)."""
    (right_side,) = affine(inputs, weights, bias)
    return f"{name} = {right_side}"


def program(*blocks):
    """Join blocks of lines (lists of strings, or strings) into program text."""
    lines = []
    for block in blocks:
        lines.extend([block] if isinstance(block, str) else block)
    return "\n".join(lines) + "\n"


def values(names, numbers):
    """Default point entries for a vector or a matrix of names: name -> float."""
    if names and isinstance(names[0], list):
        return {n: float(v) for row_n, row_v in zip(names, numbers, strict=True)
                for n, v in zip(row_n, row_v, strict=True)}
    return {n: float(v) for n, v in zip(names, numbers, strict=True)}


def flat(names):
    """A matrix of names as one tuple, row by row."""
    if names and isinstance(names[0], list):
        return tuple(n for row in names for n in row)
    return tuple(names)
