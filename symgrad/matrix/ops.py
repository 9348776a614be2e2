"""The operations a user calls to build a matrix model (``sigmoid(x @ w1)``, ``sumsq(r)``).

The elementwise ones are generated from the scalar primitive table ``symgrad.rules.RULES``:
every primitive that is not written with a Python operator (``+ - * / **`` on :class:`Var`)
becomes a function of the same name, taking its differentiable arguments, then its constant
parameters (with the table's defaults), then ``out=`` to name the gate. A primitive added to
the table is therefore a matrix operation too, with no edit here.
"""

import inspect

import numpy as np

from ..errors import SymgradError
from ..rules import RULES
from .model import Var, op
from .rules import MATRIX_RULES, ShapeMismatch

# Primitives written with operators on Var (model.py), not called by name.
OPERATORS = ("add", "sub", "div", "neg", "identity", "pow")
# Public names that differ from the primitive's: abs, max and min would shadow Python builtins;
# mul is the Hadamard product (``*`` on Var).
RENAMED = {"abs": "abs_", "max": "maximum", "min": "minimum", "mul": "hadamard"}
_ARGUMENT_NAMES = ("a", "b", "c")


def elementwise_function(name):
    """The function applying scalar primitive ``name`` entry by entry (with broadcasting)."""
    rule = RULES[name]

    def apply(*args, out=None, **named):
        if len(args) < rule.arity or len(args) > rule.arity + len(rule.params):
            raise SymgradError(f"{name} takes {rule.arity} matrix argument"
                               f"{'s' * (rule.arity != 1)} and up to {len(rule.params)} "
                               f"constant parameter(s), got {len(args)} arguments")
        unknown = set(named) - set(rule.params)
        if unknown:
            raise SymgradError(f"{name} has no parameter {min(unknown)!r} "
                               f"(its parameters: {', '.join(rule.params) or 'none'})")
        given = dict(zip(rule.params, args[rule.arity:], strict=False), **named)
        params = tuple(float(given.get(p, d))
                       for p, d in zip(rule.params, rule.defaults, strict=True))
        return op(name, *args[:rule.arity], params=params, out=out)

    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    apply.__signature__ = inspect.Signature(
        [inspect.Parameter(a, positional) for a in _ARGUMENT_NAMES[:rule.arity]]
        + [inspect.Parameter(p, positional, default=float(d))
           for p, d in zip(rule.params, rule.defaults, strict=True)]
        + [inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)])
    apply.__name__ = apply.__qualname__ = RENAMED.get(name, name)
    apply.__doc__ = (f"{rule.label}, entry by entry: the scalar primitive {name!r} of "
                     f"symgrad.rules applied to every entry (arguments broadcast as in NumPy).")
    return apply


ELEMENTWISE = {RENAMED.get(name, name): elementwise_function(name)
               for name in RULES if name not in OPERATORS}


def _structural(name, nargs):
    """The function of a non-elementwise matrix rule (reductions, transpose, matmul)."""
    def apply(*args, out=None):
        if len(args) != nargs:
            raise SymgradError(f"{name} takes {nargs} argument{'s' * (nargs != 1)}, "
                               f"got {len(args)}")
        return op(name, *args, out=out)
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"{MATRIX_RULES[name].label} (see symgrad.matrix.rules)"
    return apply


sumsq, l1, l2, transpose = (_structural(n, 1) for n in ("sumsq", "l1", "l2", "transpose"))
matmul = _structural("matmul", 2)


def _reduction(name):
    """``sum_`` or ``mean``: of every entry (``axis=None``), or along one axis, as NumPy's."""
    def apply(a, axis=None, out=None):
        params = () if axis is None else (_normalised_axis(name, a, axis),)
        return op(name, a, params=params, out=out)
    apply.__name__ = apply.__qualname__ = "sum_" if name == "sum" else name
    apply.__doc__ = (f"The {name} of every entry of ``a`` (a number), or with ``axis=k`` along "
                     f"axis k (negative counts from the end), as np.{name}(a, axis=k).")
    return apply


def _normalised_axis(name, a, axis):
    """``axis`` as a non-negative int for ``a``; a number that is no axis of it is refused in one
    line naming the shape (the rule checks again, for models built with :func:`op`)."""
    shown = a.name if isinstance(a, Var) else repr(a)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise SymgradError(f"{name}({shown}, axis={axis!r}): the axis must be an integer")
    axis = int(axis)
    shape = a.shape if isinstance(a, Var) else ()
    if not -len(shape) <= axis < len(shape):
        raise ShapeMismatch(f"{name}({shown}, axis={axis}): axis {axis} is out of range for "
                            f"{shown} of shape {tuple(shape)}")
    return axis % len(shape)


sum_, mean = _reduction("sum"), _reduction("mean")


def log(a, out=None):
    """Elementwise log; log of a sigmoid gate becomes one stable log-sigmoid gate."""
    if isinstance(a, Var):
        node = a.model.nodes[a.name]
        if node.op == "sigmoid" and isinstance(node.args[0], str):
            return op("log_sigmoid", Var(a.model, node.args[0]), out=out)
    return ELEMENTWISE["log"](a, out=out)


def softmax_ce(scores, labels, out=None):
    """Per-sample softmax cross-entropy of score rows against one-hot (or probability) labels."""
    return op("softmax_ce", scores, labels, out=out)


def hinge(scores, labels, margin=1.0, out=None):
    """Per-sample multiclass hinge (cs231n SVM) of score rows against one-hot label rows."""
    return op("hinge", scores, labels, params=(float(margin),), out=out)


STRUCTURAL = {"sum_": sum_, "mean": mean, "sumsq": sumsq, "l1": l1, "l2": l2,
              "transpose": transpose, "matmul": matmul, "log": log, "softmax_ce": softmax_ce,
              "hinge": hinge}
# Every function a user calls by name: the generated elementwise ones, then the rest (``log``
# replaces the generated one: it also fuses log σ).
FUNCTIONS = {**ELEMENTWISE, **STRUCTURAL}
