"""Matrix-level reverse mode: variables with shapes, one vector-Jacobian rule per operation.

Build a model with :class:`MatrixModel` and the operations below, then derive it
(:func:`derive_matrix`, or :func:`symgrad.derive`) or compile it
(:func:`symgrad.compile`)::

    from symgrad.matrix import MatrixModel, sigmoid, sumsq
    m = MatrixModel("mlp")
    x, y = m.input("x", (64, 1000)), m.input("y", (64, 10))
    w1, w2 = m.input("w1", (1000, 100)), m.input("w2", (100, 10))
    h = m.let("h", sigmoid(x @ w1))
    yhat = m.let("yhat", h @ w2)
    m.let("loss", sumsq(yhat - y))
"""

from .derivation import MatrixDerivation, derive_matrix
from .model import MatrixModel, Var, op
from .rules import MATRIX_RULES, ShapeMismatch


def _unary(name):
    def apply(a, out=None):
        return op(name, a, out=out)
    apply.__name__ = name
    apply.__doc__ = f"{MATRIX_RULES[name].label} (see symgrad.matrix.rules)"
    return apply


def _binary(name):
    def apply(a, b, out=None):
        return op(name, a, b, out=out)
    apply.__name__ = name
    apply.__doc__ = f"{MATRIX_RULES[name].label} (see symgrad.matrix.rules)"
    return apply


# elementwise functions (every function of the scalar rule table)
exp, sqrt, sin, cos, tanh, sigmoid, relu = (_unary(n) for n in
                                            ("exp", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu"))
abs_ = _unary("abs")
maximum, minimum = _binary("max"), _binary("min")
hadamard = _binary("mul")
# reductions and penalties
sum_, mean, sumsq, l1, l2, transpose = (_unary(n) for n in ("sum", "mean", "sumsq", "l1", "l2", "transpose"))
matmul = _binary("matmul")


def log(a, out=None):
    """Elementwise log; log of a sigmoid gate becomes one stable log-sigmoid gate."""
    if isinstance(a, Var):
        node = a.model.nodes[a.name]
        if node.op == "sigmoid" and isinstance(node.args[0], str):
            return op("log_sigmoid", Var(a.model, node.args[0]), out=out)
    return op("log", a, out=out)


def leaky_relu(a, alpha=0.01, out=None):
    return op("leaky_relu", a, params=(float(alpha),), out=out)


def elu(a, alpha=1.0, out=None):
    return op("elu", a, params=(float(alpha),), out=out)


def softmax_ce(scores, labels, out=None):
    """Per-sample softmax cross-entropy of score rows against one-hot (or probability) label rows."""
    return op("softmax_ce", scores, labels, out=out)


def hinge(scores, labels, margin=1.0, out=None):
    """Per-sample multiclass hinge (cs231n SVM) of score rows against one-hot label rows."""
    return op("hinge", scores, labels, params=(float(margin),), out=out)


__all__ = ["MatrixModel", "Var", "MatrixDerivation", "derive_matrix", "ShapeMismatch",
           "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs_", "maximum",
           "minimum", "hadamard", "sum_", "mean", "sumsq", "l1", "l2", "transpose", "matmul", "leaky_relu",
           "elu", "softmax_ce", "hinge", "op"]
