"""The vector-Jacobian rule table for matrix operations: one entry per operation.

Each :class:`MatrixRule` says, once, how an operation

- checks and computes its output shape (``shape``),
- is written (``forward``: a formula tree of its arguments, see ``formula.py``), and
- sends the upstream gradient G = ∂L/∂out back to each differentiable argument
  (``vjp``: one formula per differentiable argument, built from G, the arguments and ``out``;
  the sweep checks the count).

The rules of the matrix operations sit in one literal table below, e.g.

    matmul   out = A·B      dA = G·Bᵀ        dB = Aᵀ·G        (bilinear: one rule per side)
             out = A·b      dA = G·bᵀ        db = Aᵀ·G        (b a vector: np.outer(G, b))
             out = a·B      da = B·G         dB = a·Gᵀ        (a a vector: np.outer(a, G))
             out = a·b      da = G·b         db = G·a         (two vectors: a number)
    sum      out = Σ A      dA = G·𝟙
    sum      out = Σ₀ A     dA = 𝟙·Gᵀ                         (axis=0: G repeated along axis 0)
    sigmoid  out = σ(Z)     dZ = G ⊙ out ⊙ (1 − out)

Elementwise operations do not get rules of their own here: every primitive of
the scalar table ``symgrad/rules.py`` applies entry by entry, and its vjp is
G ⊙ (its scalar local gradient), so the two tables cannot disagree. An argument
that was broadcast (a bias row added to every sample of a batch) gets the sum of
G over the broadcast axes: :func:`unbroadcast` does that, in one place.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy

from ..errors import LimitError, SymgradError
from ..rules import RULES
from .formula import (
    Call,
    ChainRule,
    Entrywise,
    Expand,
    Hadamard,
    Infix,
    MatMul,
    Name,
    Neg,
    Ones,
    Outer,
    Over,
    Rows,
    Spelling,
    Stable,
    SumOver,
    Times,
    Transpose,
)

MAX_PRODUCT = 1_000_000_000      # multiply-adds of one matrix product (1000×1000 by 1000×1000)


class ShapeMismatch(SymgradError):
    """Operands whose shapes do not fit; the message names both shapes."""


@dataclass(frozen=True)
class MatrixRule:
    arity: int                # differentiable arguments (the first ones)
    nargs: int                # all arguments (the rest are data, e.g. the labels of a loss)
    shape: Callable           # (shapes, names, params) -> output shape; raises ShapeMismatch
    forward: Callable         # (args: list of formulas, params) -> formula of the gate
    vjp: Callable             # (ctx: VJPContext) -> one formula per differentiable argument
    label: str


@dataclass(frozen=True)
class VJPContext:
    G: object                 # formula of the upstream gradient ∂L/∂out
    args: list                # formula (a name) of each argument
    out: object               # formula (a name) of the gate itself
    shapes: list              # shapes of the arguments
    out_shape: tuple
    params: tuple


# --- shape rules ----------------------------------------------------------------------------------
def broadcast_shape(shapes, names, op):
    """NumPy broadcasting of elementwise operands, or a ShapeMismatch naming both shapes."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        pairs = " and ".join(f"{n} {tuple(s)}" for n, s in zip(names, shapes, strict=True))
        raise ShapeMismatch(f"{op}: shapes do not broadcast: {pairs}") from None


def matmul_shape(shapes, names, params=()):
    """NumPy's ``@``: (m,n)@(n,p) → (m,p), (m,n)@(n,) → (m,), (n,)@(n,p) → (p,), (n,)@(n,) → ().

    A number is refused as NumPy refuses it (``*`` scales); so is an operand of 3 or more
    dimensions (NumPy would multiply stacks of matrices, which the rules here do not cover)."""
    (a, b), (na, nb) = [tuple(s) for s in shapes], names
    for name, shape in ((na, a), (nb, b)):
        if not shape:
            raise ShapeMismatch(f"matmul {na}@{nb}: {name} is a number (shape ()); "
                                f"use * to scale a matrix")
        if len(shape) > 2:
            raise ShapeMismatch(f"matmul {na}@{nb}: {name} has {len(shape)} dimensions "
                                f"(shape {shape}); @ takes matrices and vectors only")
    inner_a = f"columns of {na}" if len(a) == 2 else f"length of {na}"
    inner_b = f"rows of {nb}" if len(b) == 2 else f"length of {nb}"
    if a[-1] != b[0]:
        raise ShapeMismatch(f"matmul {na}·{nb}: shapes {a} and {b} do not fit "
                            f"({inner_a}, {a[-1]}, ≠ {inner_b}, {b[0]})")
    work = math.prod(a) * math.prod(b[1:])
    if work > MAX_PRODUCT:
        raise LimitError(f"matmul {na}·{nb}: shapes {a} and {b} take {work:,} multiply-adds; "
                         f"a matrix product here has at most {MAX_PRODUCT:,} (about a second)")
    return a[:-1] + b[1:]


def rows_loss_shape(shapes, names, op):
    (s, y), (ns, ny) = shapes, names
    if len(s) != 2 or tuple(s) != tuple(y):
        raise ShapeMismatch(f"{op}({ns}, {ny}): scores and labels must be matrices of the same "
                            f"shape (samples × classes), got {s} and {y}")
    return (s[0],)


def _rows_loss(op):
    return lambda shapes, names, params: rows_loss_shape(shapes, names, op)


def _same_shape(shapes, names, params):
    return tuple(shapes[0])


def _transposed_shape(shapes, names, params):
    return tuple(reversed(shapes[0]))


def _scalar_shape(shapes, names, params):
    return ()


def check_shapes(op, rule, shapes, names, params):
    if len(shapes) != rule.nargs:
        raise SymgradError(f"{op} takes {rule.nargs} argument{'s' * (rule.nargs != 1)}, "
                           f"got {len(shapes)}")
    return rule.shape(list(shapes), list(names), params)


# --- unbroadcast: the one place where broadcasting is undone --------------------------------------
def unbroadcast(g, from_shape, to_shape):
    """``g`` (of ``from_shape``) summed over the axes along which ``to_shape`` was broadcast."""
    from_shape, to_shape = tuple(from_shape), tuple(to_shape)
    return g if from_shape == to_shape else SumOver(g, from_shape, to_shape)


# --- elementwise operations, from the scalar rule table -------------------------------------------
_PLACEHOLDERS = [sympy.Symbol(f"ARG{i}", real=True) for i in range(3)]
_OUT = sympy.Symbol("OUT", real=True)

# Arithmetic gates are written as typed (SymPy would reorder ``yhat - y`` into ``-y + yhat``).
ARITHMETIC = {
    "add": lambda a, b: Infix("add", a, b),
    "sub": lambda a, b: Infix("sub", a, b),
    "mul": Hadamard,
    "div": lambda a, b: Infix("div", a, b),
    "neg": Neg,
    "identity": lambda a: a,
}


def elementwise(op):
    """The matrix rule of scalar primitive ``op``: applied entry by entry, with broadcasting."""
    scalar = RULES[op]
    n = scalar.arity

    def shape(shapes, names, params):
        return broadcast_shape(shapes, names, op)

    def forward(args, params):
        if op in ARITHMETIC:
            return ARITHMETIC[op](*args)
        bindings = tuple(zip(_PLACEHOLDERS, args, strict=False))
        return Entrywise(scalar.build(*_PLACEHOLDERS[:n], *params), bindings)

    def vjp(ctx):
        locals_ = scalar.local(*_PLACEHOLDERS[:n], *ctx.params, out=_OUT)
        if len(locals_) != n:
            raise SymgradError(f"the scalar rule of {op!r} gives {len(locals_)} local gradients "
                               f"for {n} differentiable arguments")
        bindings = (*zip(_PLACEHOLDERS, ctx.args, strict=False), (_OUT, ctx.out))
        # a whole-number constant argument (the 2 of q**2) goes into the local gradient as a
        # number, so SymPy can simplify 2·q^(2 − 1) to 2·q; other constants stay names (SymPy
        # would print 0.5 as 0.500000000000000)
        constants = [_constant(a) for a in ctx.args]
        numbers = {p: sympy.Integer(int(v))
                   for p, v in zip(_PLACEHOLDERS, constants, strict=False)
                   if v is not None and v.is_integer() and abs(v) < 2 ** 53}
        locals_ = tuple(sympy.sympify(local).xreplace(numbers) for local in locals_)
        grads = []
        for local, shape_ in zip(locals_, ctx.shapes, strict=True):
            if local == 1:
                g = ctx.G                      # passes through (a seed of ones stays one)
            elif local == -1:
                g = Neg(ctx.G)
            else:
                g = ChainRule(ctx.G, Entrywise(local, bindings))
            grads.append(unbroadcast(g, ctx.out_shape, shape_))
        return tuple(grads)

    return MatrixRule(n, n, shape, forward, vjp, scalar.label)


def _constant(formula):
    """The number a constant argument stands for (``Name("2.0", "2", "2")``), or None."""
    if not isinstance(formula, Name) or formula.code_name.isidentifier():
        return None
    try:
        return float(formula.code_name)
    except ValueError:
        return None


# --- reductions, the matrix product and the losses -----------------------------------------
# How the functions of the non-elementwise rules are written (code, text, LaTeX).
SUM = Spelling("np.sum({0})", "sum({0})", r"\sum {0}")
MEAN = Spelling("np.mean({0})", "mean({0})", r"\operatorname{{mean}} {0}")
SUM_AXIS = Spelling("np.sum({0}, axis={1})", "sum({0}, axis={1})",
                    r"\textstyle\sum_{{\text{{axis }}{1}}} {0}")
MEAN_AXIS = Spelling("np.mean({0}, axis={1})", "mean({0}, axis={1})",
                     r"\operatorname{{mean}}_{{\text{{axis }}{1}}} {0}")
SUMSQ = Spelling("np.sum(np.square({0}))", "sum({0}²)", r"\sum {0}^{{2}}")
L1 = Spelling("np.sum(np.abs({0}))", "‖{0}‖₁", r"\lVert {0} \rVert_1")
L2 = Spelling("np.sum(np.square({0}))", "‖{0}‖²", r"\lVert {0} \rVert_2^2")
SIGN = Spelling("np.sign({0})", "sign({0})", r"\operatorname{{sign}}{0}")
LOG_SIGMOID = Spelling("_log_sigmoid({0})", "log σ({0})", r"\log\sigma\left({0}\right)",
                       ("_log_sigmoid",))
SIGMA = Spelling("_sigmoid({0})", "σ({0})", r"\sigma\left({0}\right)", ("_sigmoid",))
SIGMA_OF_MINUS = Spelling("_sigmoid(-{0})", "σ(−{0})", r"\sigma\left(-{0}\right)", ("_sigmoid",))
SOFTMAX_CE = Spelling("_softmax_ce({0}, {1})", "softmax_ce({0}, {1})",
                      r"\operatorname{{CE}}\left({0}, {1}\right)", ("_logsumexp", "_softmax_ce"))
SOFTMAX = Spelling("_softmax({0})", "softmax({0})", r"\operatorname{{softmax}}({0})", ("_softmax",))
HINGE = Spelling("_hinge({0}, {1}, {2})", "hinge({0}, {1}; Δ={2})",
                 r"\operatorname{{hinge}}_{{{2}}}\left({0}, {1}\right)", ("_hinge",))
HINGE_GRAD = Spelling("_hinge_grad({0}, {1}, {2})", "hinge′({0}, {1})",
                      r"\operatorname{{hinge}}'\left({0}, {1}\right)", ("_hinge_grad",))
ONE, TWO = Name("1.0", "1", "1"), Name("2.0", "2", "2")


def number(p):
    """A constant parameter (the margin of hinge) as a formula."""
    return Name(repr(float(p)), str(p), str(p))


def _call(fn):
    """The forward rule of a gate written as one call of its arguments and parameters."""
    return lambda args, params: Call(fn, (*args, *map(number, params)))


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _matmul_vjp(ctx):
    """Bilinear: one rule per side, for each of NumPy's four cases. A 1-D operand is a column
    in the formulas (text and LaTeX), so a vector's gradient against a vector is an outer
    product, written G·xᵀ and computed by np.outer (one BLAS-level call, no loop)."""
    a, b = ctx.args
    ndim = (len(ctx.shapes[0]), len(ctx.shapes[1]))
    if ndim == (2, 2):                        # out = A·B
        return MatMul(ctx.G, Transpose(b)), MatMul(Transpose(a), ctx.G)
    if ndim == (2, 1):                        # out = A·b, a vector: dA = G·bᵀ, db = Aᵀ·G
        return Outer(ctx.G, b), MatMul(Transpose(a), ctx.G)
    if ndim == (1, 2):                        # out = aᵀ·B, a vector: da = B·G, dB = a·Gᵀ
        return MatMul(b, ctx.G), Outer(a, ctx.G)
    return Times(ctx.G, b), Times(ctx.G, a)   # out = aᵀ·b, a number: da = G·b, db = G·a


def reduction_axis(params, shape):
    """The axis of a sum or mean (``params == (axis,)``) made non-negative, or None for the sum
    of every entry (``params == ()``)."""
    if not params:
        return None
    axis = params[0]
    return axis + len(shape) if axis < 0 else axis


def _reduction_shape(op):
    def shape(shapes, names, params):
        (a,), (na,) = [tuple(s) for s in shapes], names
        if not params:
            return ()
        axis = params[0]
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ShapeMismatch(f"{op}({na}, axis={axis!r}): the axis must be an integer")
        if not -len(a) <= axis < len(a):
            raise ShapeMismatch(f"{op}({na}, axis={axis}): axis {axis} is out of range for "
                                f"{na} of shape {a}")
        axis = reduction_axis(params, a)
        return a[:axis] + a[axis + 1:]
    return shape


def _reduction_forward(whole, along):
    def forward(args, params):
        if not params:
            return Call(whole, args)
        return Call(along, (*args, Name(str(params[0]), str(params[0]), str(params[0]))))
    return forward


def _reduction_vjp(mean):
    """G sent back to every entry that was summed: 𝟙·G for the sum of everything, G repeated
    along the axis for an axis sum; a mean divides by the number of entries it averaged."""
    def vjp(ctx):
        shape = tuple(ctx.shapes[0])
        axis = reduction_axis(ctx.params, shape)
        if axis is None or len(shape) == 1:   # every entry summed: the vjp is one number G
            return (Ones(shape, Over(ctx.G, _size(shape)) if mean else ctx.G),)
        return (Expand(ctx.G, shape, axis, shape[axis] if mean else 1),)
    return vjp


def _log_sigmoid_vjp(ctx):
    (z,) = ctx.args
    one_minus_sigma = Stable(Call(SIGMA_OF_MINUS, (z,)), Infix("sub", ONE, Call(SIGMA, (z,))))
    return (Hadamard(ctx.G, one_minus_sigma),)


def _softmax_ce_vjp(ctx):
    s, y = ctx.args
    return (Hadamard(Rows(ctx.G), Infix("sub", Call(SOFTMAX, (s,)), y)),)


def _hinge_vjp(ctx):
    s, y = ctx.args
    return (Hadamard(Rows(ctx.G), Call(HINGE_GRAD, (s, y, number(ctx.params[0])))),)


MATRIX_RULES = {
    # --- bilinear and structural ---------------------------------------------------------------
    "matmul": MatrixRule(2, 2, matmul_shape, lambda args, params: MatMul(*args), _matmul_vjp,
                         "matrix product"),
    "transpose": MatrixRule(1, 1, _transposed_shape, lambda args, params: Transpose(args[0]),
                            lambda ctx: (Transpose(ctx.G),), "transpose"),
    # --- reductions to a number ----------------------------------------------------------------
    # params: () sums every entry, (axis,) sums along one axis (as NumPy's axis=)
    "sum": MatrixRule(1, 1, _reduction_shape("sum"), _reduction_forward(SUM, SUM_AXIS),
                      _reduction_vjp(mean=False), "sum"),
    "mean": MatrixRule(1, 1, _reduction_shape("mean"), _reduction_forward(MEAN, MEAN_AXIS),
                       _reduction_vjp(mean=True), "mean"),
    "sumsq": MatrixRule(1, 1, _scalar_shape, _call(SUMSQ),
                        lambda ctx: (Times(TWO, ctx.G, ctx.args[0]),), "sum of squares"),
    "l1": MatrixRule(1, 1, _scalar_shape, _call(L1),
                     lambda ctx: (Times(ctx.G, Call(SIGN, (ctx.args[0],))),), "L1 penalty"),
    "l2": MatrixRule(1, 1, _scalar_shape, _call(L2),
                     lambda ctx: (Times(TWO, ctx.G, ctx.args[0]),), "L2 penalty"),
    # log σ(Z) as one gate (matrix.log of a sigmoid gate builds it): log(σ(Z)) would be −inf once
    # σ(Z) underflows and its gradient would divide by σ(Z); this is −softplus(−Z), with gradient
    # 1 − σ(Z), computed as σ(−Z).
    "log_sigmoid": MatrixRule(1, 1, _same_shape, _call(LOG_SIGMOID), _log_sigmoid_vjp,
                              "log-sigmoid"),
    # --- losses of a batch of scores (rows: samples, columns: classes); one loss per sample ----
    # softmax cross-entropy, Lᵢ = logsumexp(Sᵢ) − Σⱼ Yᵢⱼ·Sᵢⱼ
    # (= −Σⱼ Yᵢⱼ log softmax(Sᵢ)ⱼ for one-hot or probability rows Y), through a stable log-sum-exp.
    "softmax_ce": MatrixRule(1, 2, _rows_loss("softmax_ce"), _call(SOFTMAX_CE), _softmax_ce_vjp,
                             "softmax cross-entropy"),
    # multiclass hinge (cs231n SVM), Lᵢ = Σ_{j≠yᵢ} max(0, Sᵢⱼ − S_{i,yᵢ} + Δ), labels one-hot in Y;
    # at a margin of exactly 0 the gradient is 0 (relu'(0) = 0).
    "hinge": MatrixRule(1, 2, _rows_loss("hinge"), _call(HINGE), _hinge_vjp, "multiclass hinge"),
}

# Every primitive of the scalar table, applied entry by entry.
for _op in RULES:
    MATRIX_RULES[_op] = elementwise(_op)
