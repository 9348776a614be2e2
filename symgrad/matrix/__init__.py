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

The elementwise functions (``sigmoid``, ``relu``, ``exp``, ``maximum``, … one per primitive
of the scalar table ``symgrad.rules``) are generated in ``ops.py``.
"""

from .derivation import MatrixDerivation, derive_matrix
from .model import MatrixModel, Var, op
from .ops import FUNCTIONS
from .rules import MATRIX_RULES, ShapeMismatch

# The user-facing functions, one module attribute each (``from symgrad.matrix import sigmoid``).
globals().update(FUNCTIONS)


__all__ = ["MatrixModel", "Var", "MatrixDerivation", "derive_matrix", "ShapeMismatch",
           "MATRIX_RULES", "op", *FUNCTIONS]
