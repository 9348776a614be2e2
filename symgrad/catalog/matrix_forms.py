"""Matrix-level forms of catalog models: id -> function returning the
:class:`~symgrad.matrix.MatrixModel`.

Each form is the same model as the catalog's scalar program, written with
matrices, and starts from the same numbers (the scalar model's default point,
gathered into arrays), so the two derivations can be compared entry by entry:
``W1[i, j]`` is the scalar input ``W1_{i+1}{j+1}`` and ``x[i, 0]`` is ``x{i+1}``.
The networks of seeds 002 and 004 use column vectors (W·x); the batch losses
put one sample per row.
"""

import numpy as np

from ..matrix import MatrixModel, hinge, l2, mean, relu, sigmoid, softmax_ce, sum_, sumsq
from .losses import SOFTMAX_CE, SVM_TOTAL
from .networks import LINEAR_COLLAPSE, RELU_2LAYER, RELU_3LAYER, SIGMOID_3LAYER

MLP_SHAPES = {"N": 64, "D_in": 1000, "H": 100, "D_out": 10}


def mlp_2layer(N=64, D_in=1000, H=100, D_out=10):  # noqa: N803 (the post's names)
    """Seed 004: h = σ(x·w1), ŷ = h·w2, loss = Σ(ŷ − y)²."""
    m = MatrixModel("mlp-2layer", params=("w1", "w2"), data=("x", "y"),
                    description="h = σ(x·w1), ŷ = h·w2, loss = Σ(ŷ − y)²")
    x, y = m.input("x", (N, D_in)), m.input("y", (N, D_out))
    w1, w2 = m.input("w1", (D_in, H)), m.input("w2", (H, D_out))
    h = m.let("h", sigmoid(m.let("z", x @ w1)))
    yhat = m.let("yhat", h @ w2)
    m.let("loss", sumsq(m.let("r", yhat - y)))

    def defaults(seed=None):
        rng = np.random.default_rng(0 if seed is None else seed)
        return {"x": rng.standard_normal((N, D_in)), "y": rng.standard_normal((N, D_out)),
                "w1": rng.random((D_in, H)), "w2": rng.standard_normal((H, D_out))}

    m.defaults = defaults
    return m


# --- forms of the scalar catalog models -----------------------------------------------------------
def _from_catalog(entry, m, arrays):
    """Default arrays from the scalar model's default point: array name -> nested list of scalar
    names."""
    point = entry.defaults

    def defaults(seed=None):
        return {
            name: np.array([[float(point[n]) for n in row] for row in names])
            if isinstance(names[0], list)
            else np.array(names, dtype=float)
            for name, names in arrays.items()
        }
    m.defaults = defaults
    return m


def _names(name, rows, cols):
    return [[f"{name}_{i + 1}{j + 1}" for j in range(cols)] for i in range(rows)]


def _column(name, size):
    sep = "_" if name[-1].isdigit() else ""
    return [[f"{name}{sep}{i + 1}"] for i in range(size)]


def sigmoid_3layer():
    m = MatrixModel("sigmoid-3layer", data=("x",), params=("W1", "b1", "W2", "b2", "W3", "b3"),
                    description="ŷ = σ(W3·σ(W2·σ(W1·x + b1) + b2) + b3)")
    x = m.input("x", (2, 1))
    W1, b1 = m.input("W1", (3, 2)), m.input("b1", (3, 1))
    W2, b2 = m.input("W2", (2, 3)), m.input("b2", (2, 1))
    W3, b3 = m.input("W3", (1, 2)), m.input("b3", (1, 1))
    h1 = m.let("h1", sigmoid(m.let("z1", W1 @ x + b1)))
    h2 = m.let("h2", sigmoid(m.let("z2", W2 @ h1 + b2)))
    m.let("yhat", sigmoid(m.let("z3", W3 @ h2 + b3)))
    return _from_catalog(
        SIGMOID_3LAYER,
        m,
        {
            "x": _column("x", 2),
            "W1": _names("W1", 3, 2),
            "b1": _column("b1", 3),
            "W2": _names("W2", 2, 3),
            "b2": _column("b2", 2),
            "W3": _names("W3", 1, 2),
            "b3": _column("b3", 1),
        },
    )


def relu_2layer():
    m = MatrixModel(
        "relu-2layer", data=("x",), params=("W1", "W2"), description="f = W2·max(0, W1·x)"
    )
    x, W1, W2 = m.input("x", (2, 1)), m.input("W1", (3, 2)), m.input("W2", (1, 3))
    h1 = m.let("h1", relu(m.let("z1", W1 @ x)))
    m.let("f", W2 @ h1)
    return _from_catalog(RELU_2LAYER, m, {"x": _column("x", 2), "W1": _names("W1", 3, 2),
                                            "W2": _names("W2", 1, 3)})


def relu_3layer():
    m = MatrixModel("relu-3layer", data=("x",), params=("W1", "W2", "W3"),
                    description="f = W3·max(0, W2·max(0, W1·x))")
    x, W1 = m.input("x", (2, 1)), m.input("W1", (3, 2))
    W2, W3 = m.input("W2", (2, 3)), m.input("W3", (1, 2))
    h1 = m.let("h1", relu(m.let("z1", W1 @ x)))
    h2 = m.let("h2", relu(m.let("z2", W2 @ h1)))
    m.let("f", W3 @ h2)
    return _from_catalog(RELU_3LAYER, m, {"x": _column("x", 2), "W1": _names("W1", 3, 2),
                                            "W2": _names("W2", 2, 3), "W3": _names("W3", 1, 2)})


def linear_collapse():
    m = MatrixModel(
        "linear-collapse", data=("x",), params=("W1", "W2"), description="f = W2·(W1·x)"
    )
    x, W1, W2 = m.input("x", (2, 1)), m.input("W1", (3, 2)), m.input("W2", (1, 3))
    h = m.let("h", W1 @ x)
    m.let("f", W2 @ h)
    return _from_catalog(LINEAR_COLLAPSE, m, {"x": _column("x", 2), "W1": _names("W1", 3, 2),
                                                "W2": _names("W2", 1, 3)})


# svm-total: samples as rows, X (2×2) = [x1ᵀ; x2ᵀ], labels one-hot (classes 1 and 3).
SVM_LABELS = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def svm_total():
    m = MatrixModel("svm-total", data=("X", "Y", "lam"), params=("W1", "W2"),
                    description="L = mean_i hinge(max(0, X·W1ᵀ)·W2ᵀ, Y) + λ‖W1‖² + λ‖W2‖²")
    X, Y, lam = m.input("X", (2, 2)), m.input("Y", (2, 3)), m.input("lam", ())
    W1, W2 = m.input("W1", (2, 2)), m.input("W2", (3, 2))
    H = m.let("H", relu(m.let("Z", X @ W1.T)))
    S = m.let("S", H @ W2.T)
    data = m.let("data_loss", mean(m.let("losses", hinge(S, Y))))
    R1, R2 = m.let("R1", l2(W1)), m.let("R2", l2(W2))
    m.let("L", data + lam * R1 + lam * R2)
    m = _from_catalog(SVM_TOTAL, m, {"X": [["x1_1", "x1_2"], ["x2_1", "x2_2"]],
                                       "W1": _names("W1", 2, 2), "W2": _names("W2", 3, 2)})
    arrays = m.defaults

    def defaults(seed=None):
        return {**arrays(seed), "Y": SVM_LABELS.copy(), "lam": np.array(SVM_TOTAL.defaults["lam"])}
    m.defaults = defaults
    return m


def softmax_ce_form():
    m = MatrixModel(
        "softmax-ce",
        params=("s",),
        data=("Y",),
        description="L = Σ_i (logsumexp(s_i) − Σ_j Y_ij s_ij), one sample, correct class 1",
    )
    s, Y = m.input("s", (1, 3)), m.input("Y", (1, 3))
    # "ce" names the per-sample loss, which would otherwise be n1, a name of the scalar program
    m.let("L", sum_(m.let("ce", softmax_ce(s, Y))))
    m = _from_catalog(SOFTMAX_CE, m, {"s": [["s1", "s2", "s3"]]})
    arrays = m.defaults
    m.defaults = lambda seed=None: {**arrays(seed), "Y": np.array([[1.0, 0.0, 0.0]])}
    return m


FORMS = {
    "mlp-2layer": mlp_2layer,
    "sigmoid-3layer": sigmoid_3layer,
    "relu-2layer": relu_2layer,
    "relu-3layer": relu_3layer,
    "linear-collapse": linear_collapse,
    "svm-total": svm_total,
    "softmax-ce": softmax_ce_form,
}

__all__ = ["FORMS", "MLP_SHAPES", "mlp_2layer", "sumsq"]
