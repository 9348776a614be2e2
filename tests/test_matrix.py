"""Matrix-level derivations against the seed's hand-written NumPy, scalar expansions and finite
differences."""

import json
import math
import warnings

import numpy as np
import pytest

import symgrad
from symgrad import derive
from symgrad.catalog import get_model
from symgrad.catalog.matrix_forms import FORMS, mlp_2layer
from symgrad.errors import SymgradError
from symgrad.matrix import (
    MatrixDerivation,
    MatrixModel,
    ShapeMismatch,
    abs_,
    cos,
    derive_matrix,
    elu,
    exp,
    hadamard,
    hinge,
    l1,
    l2,
    leaky_relu,
    log,
    maximum,
    mean,
    minimum,
    relu,
    sigmoid,
    sin,
    softmax_ce,
    sqrt,
    sum_,
    sumsq,
    tanh,
)
from symgrad.matrix.expand import scalar_point, scalar_program


def seed_004(x, y, w1, w2):
    """The seed's loop body, verbatim in substance (seed 004, "full implementation")."""
    h = 1 / (1 + np.exp(-x.dot(w1)))
    y_pred = h.dot(w2)
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h * h * (1 - h))
    return loss, grad_w1, grad_w2


def rel_err(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("shapes", [(64, 1000, 100, 10), (5, 7, 4, 3)])
@pytest.mark.parametrize("seed", [0, 1])
def test_mlp_2layer_equals_the_seed_formulas(shapes, seed):
    rng = np.random.default_rng(seed + 10)
    n, d_in, h, d_out = shapes
    arrays = {
        "x": rng.standard_normal((n, d_in)),
        "y": rng.standard_normal((n, d_out)),
        "w1": rng.standard_normal((d_in, h)) * 0.1,
        "w2": rng.standard_normal((h, d_out)),
    }
    f = symgrad.compile(mlp_2layer(*shapes))
    loss, grads = f(**arrays)
    ref_loss, ref_w1, ref_w2 = seed_004(**arrays)
    assert abs(loss - ref_loss) <= 1e-12 * abs(ref_loss)
    assert rel_err(grads["w1"], ref_w1) <= 1e-12
    assert rel_err(grads["w2"], ref_w2) <= 1e-12


def test_mlp_2layer_catalog_defaults_and_derivation():
    d = derive("mlp-2layer")
    assert isinstance(d, MatrixDerivation)
    assert (
        d.shapes["x"] == (64, 1000)
        and d.shapes["w1"] == (1000, 100)
        and d.shapes["w2"] == (100, 10)
    )
    ref_loss, ref_w1, ref_w2 = seed_004(**{k: d.arrays[k] for k in ("x", "y", "w1", "w2")})
    assert math.isclose(d.value, ref_loss, rel_tol=1e-12)
    assert (
        rel_err(d.gradients["w1"], ref_w1) <= 1e-12 and rel_err(d.gradients["w2"], ref_w2) <= 1e-12
    )
    # the matrix formulas, as the post writes them
    assert d.formulas["w2"] == "hᵀ·(2·r)"
    assert d.formulas["w1"] == "xᵀ·(((2·r)·w2ᵀ) ⊙ h ⊙ (1 - h))"
    # one step per (matrix gate, argument on the way to a parameter)
    assert [(s.gate, s.input) for s in d.steps] == [
        ("loss", "r"),
        ("r", "yhat"),
        ("yhat", "h"),
        ("yhat", "w2"),
        ("h", "z"),
        ("z", "w1"),
    ]
    data = json.loads(d.to_json_text())
    assert data["level"] == "matrix" and data["formulas"]["w2"] == "hᵀ·(2·r)"
    assert data["gradients"]["w1"]["shape"] == [1000, 100]
    assert "∂loss/∂w1 = xᵀ" in str(d)


def test_h_is_computed_once():
    source = symgrad.compile("mlp-2layer").source
    body = source.split("def loss_and_grads")[1]
    # as many matrix products as the seed: x·w1, h·w2, hᵀ·G, G·w2ᵀ, xᵀ·G
    assert body.count("_sigmoid(") == 1 and body.count(" @ ") == 5


# --- every matrix gradient against the scalar expansion and finite differences --------------------
def every_op_model():
    """Bias broadcast, transpose, Hadamard, every elementwise function, reductions, both losses."""
    m = MatrixModel("every-op", params=("W", "b", "V", "c"))
    X, Y = m.input("X", (3, 2)), m.input("Y", (3, 2))
    W, b = m.input("W", (2, 4)), m.input("b", (4,))
    V, c = m.input("V", (4, 2)), m.input("c", (1, 2))
    Z = m.let("Z", X @ W + b)  # bias row over the batch
    A = tanh(Z) + sigmoid(Z) * relu(Z) + leaky_relu(Z, 0.1) - elu(Z, 0.7) + sin(Z) / (2.0 + cos(Z))
    B = (
        hadamard(exp(Z * 0.1), sqrt(Z * Z + 1.0))
        + log(abs_(Z) + 1.0)
        + maximum(Z, 0.3 - Z)
        + minimum(Z, -Z)
        + log(sigmoid(Z))
    )
    S = m.let("S", (A + B) @ V + c)
    T = S.T  # 2×3
    loss = (
        mean(softmax_ce(S, Y))
        + sum_(hinge(T.T, Y, 0.5))
        + 0.01 * l2(W)
        + 0.02 * l1(V)
        + sumsq(S) * 0.001
        + mean(T)
        - 0.5 * sum_(-S) / 3.0
    )
    m.let("loss", loss)
    return m


def every_op_arrays(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=3)
    return {
        "X": rng.normal(size=(3, 2)),
        "Y": np.eye(2)[labels],
        "W": rng.normal(size=(2, 4)),
        "b": rng.normal(size=4),
        "V": rng.normal(size=(4, 2)),
        "c": rng.normal(size=(1, 2)),
    }


CROSS_CHECKS = {
    name: (lambda build=build: (build(), build().default_arrays(None)))
    for name, build in FORMS.items()
    if name != "mlp-2layer"
}
CROSS_CHECKS["mlp-2layer-small"] = lambda: (
    mlp_2layer(3, 4, 3, 2),
    mlp_2layer(3, 4, 3, 2).default_arrays(5),
)
CROSS_CHECKS["every-op"] = lambda: (every_op_model(), every_op_arrays(7))


@pytest.mark.parametrize("name", list(CROSS_CHECKS))
def test_matrix_gradients_equal_the_scalar_expansion(name):
    model, arrays = CROSS_CHECKS[name]()
    wrt = list(model.params)
    loss, grads = symgrad.compile(model, wrt=wrt)(**arrays)
    program, entries = scalar_program(model)
    d = derive(
        program, at=scalar_point(model, arrays), wrt=[e for w in wrt for e in entries[w].ravel()]
    )
    assert math.isclose(float(loss), d.value, rel_tol=1e-12, abs_tol=1e-12)
    for w in wrt:
        scalar = np.array([d.gradients[e] for e in entries[w].ravel()]).reshape(entries[w].shape)
        assert grads[w].shape == model.nodes[w].shape
        np.testing.assert_allclose(grads[w], scalar, rtol=1e-10, atol=1e-12, err_msg=w)


@pytest.mark.parametrize("name", list(CROSS_CHECKS))
def test_matrix_gradients_equal_finite_differences(name):
    model, arrays = CROSS_CHECKS[name]()
    f = symgrad.compile(model, wrt=list(model.params))
    _, grads = f(**arrays)
    for w in model.params:
        a = arrays[w]
        for index in np.ndindex(*a.shape):
            step = 1e-6 * max(1.0, abs(a[index]))
            up, down = a.copy(), a.copy()
            up[index] += step
            down[index] -= step
            num = (f(**{**arrays, w: up})[0] - f(**{**arrays, w: down})[0]) / (2 * step)
            assert math.isclose(grads[w][index], num, rel_tol=1e-5, abs_tol=1e-6), (w, index)


@pytest.mark.parametrize("model_id", [k for k in FORMS if k != "mlp-2layer"])
def test_matrix_form_equals_the_catalog_scalar_derivation(model_id):
    """Entry (i, j) of W1 is the scalar model's W1_{i+1}{j+1}: they agree entry by entry."""
    scalar = derive(model_id)
    matrix = derive_matrix(get_model(model_id).matrix)
    assert math.isclose(matrix.value, scalar.value, rel_tol=1e-12)
    checked = 0
    for w in matrix.wrt:
        g = matrix.gradients[w]
        for index in np.ndindex(*g.shape):
            name = scalar_name(model_id, w, index, g.shape)
            if name in scalar.gradients:
                assert math.isclose(
                    g[index], scalar.gradients[name], rel_tol=1e-10, abs_tol=1e-12
                ), name
                checked += 1
    assert checked == len([p for p in scalar.wrt])


def scalar_name(model_id, w, index, shape):
    if model_id == "softmax-ce":
        return f"s{index[1] + 1}"
    if shape[1:] == (1,):  # a column vector: b1_1, b1_2, ...
        sep = "_" if w[-1].isdigit() else ""
        return f"{w}{sep}{index[0] + 1}"
    return f"{w}_{index[0] + 1}{index[1] + 1}"


# --- stability ------------------------------------------------------------------------------------
def test_inputs_of_1000_give_finite_values_and_no_warning():
    m = MatrixModel("stable", params=("S", "Z"))
    S, Y, Z = m.input("S", (2, 3)), m.input("Y", (2, 3)), m.input("Z", (2, 3))
    m.let("loss", mean(softmax_ce(S, Y)) + sum_(log(sigmoid(Z))) + sumsq(sigmoid(Z)))
    big = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    f = symgrad.compile(m)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            loss, grads = f(S=big, Y=np.eye(3)[[1, 0]], Z=big)
            mlp = symgrad.compile(mlp_2layer(2, 3, 2, 1))
            mloss, mgrads = mlp(
                x=np.full((2, 3), 1000.0),
                y=np.zeros((2, 1)),
                w1=np.array([[1.0, -1]] * 3),
                w2=np.ones((2, 1)),
            )
    assert np.isfinite(loss) and all(np.all(np.isfinite(g)) for g in grads.values())
    assert np.isfinite(mloss) and all(np.all(np.isfinite(g)) for g in mgrads.values())
    # row 1: scores (1000, −1000, 0), label 1: CE = 1000 + 1000; row 2: (−1000, 1000, 999), label 0:
    # CE = logsumexp + 1000 = 1000 + log(1 + e^−1) + 1000
    expected_ce = (2000.0 + 2000.0 + math.log(1 + math.exp(-1.0))) / 2
    expected_logsig = -(1000.0 + math.log(2.0) + 1000.0)  # log σ(±1000), log σ(0), log σ(999)
    expected = expected_ce + expected_logsig + 1.0 + 0.25 + 1.0 + 1.0  # Σ σ(Z)²
    assert math.isclose(loss, expected, rel_tol=1e-12)
    # ∂/∂S of the mean CE: (softmax(S) − Y)/2; row 1: softmax = (1, 0, e^−1000 = 0), label 1
    np.testing.assert_allclose(grads["S"][0], [0.5, -0.5, 0.0], atol=1e-300)
    # ∂/∂Z of log σ(Z) + σ(Z)²: 1 − σ + 2σ²(1 − σ)
    sig = 1 / (1 + np.exp(-np.clip(big, -700, 700)))
    np.testing.assert_allclose(grads["Z"], 1 - sig + 2 * sig**2 * (1 - sig), atol=1e-300)


# --- shapes and errors ----------------------------------------------------------------------------
def test_shape_mismatch_names_both_shapes():
    m = MatrixModel("bad")
    x, w = m.input("x", (64, 1000)), m.input("w", (100, 10))
    with pytest.raises(ShapeMismatch, match=r"\(64, 1000\) and \(100, 10\)"):
        x @ w
    b = m.input("b", (7,))
    z = m.input("z", (64, 10))
    with pytest.raises(ShapeMismatch, match=r"\(64, 10\).*\(7,\)"):
        z + b
    with pytest.raises(SymgradError, match="single number"):
        derive_matrix(m.set_output(z))


def test_bias_gradient_sums_over_the_batch():
    m = MatrixModel("bias", params=("b",))
    X, b = m.input("X", (5, 3)), m.input("b", (3,))
    m.let("loss", sumsq(X + b))
    d = derive_matrix(m, at={"X": np.arange(15.0).reshape(5, 3), "b": np.array([1.0, 2.0, 3.0])})
    np.testing.assert_allclose(
        d.gradients["b"], 2 * (np.arange(15.0).reshape(5, 3) + [1, 2, 3]).sum(axis=0)
    )
    assert d.formulas["b"] == "sum_rows(2·n1)"
    assert "np.sum(" in d.source and "axis=0" in d.source


def test_fan_out_gradients_add():
    m = MatrixModel("fan", params=("A",))
    A = m.input("A", (2, 2))
    m.let("loss", sum_(m.let("P", A @ A)))
    d = derive_matrix(m, at={"A": np.array([[1.0, 2.0], [3.0, 4.0]])})
    assert d.accumulations == {"A": ["P", "P"]}
    ones = np.ones((2, 2))
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(d.gradients["A"], ones @ a.T + a.T @ ones)


def test_latex_lines_for_documents():
    lines = get_model("mlp-2layer").matrix.latex_lines()
    assert r"h = \sigma\left(z\right)" in lines
    assert any(
        line.startswith(r"\frac{\partial loss}{\partial w_{1}} = x^{\top}") for line in lines
    )


def test_matrix_names_with_double_or_trailing_underscores_are_written_as_they_are():
    from symgrad.matrix.sweep import latex_name

    assert latex_name("x__y") == r"\mathrm{x\_\_y}" and latex_name("b_") == r"\mathrm{b\_}"
    assert latex_name("lambda_") == r"\lambda" and latex_name("W1") == "W_{1}"
    assert latex_name("yhat") == r"\hat{y}"


def test_cli_matrix_switch_shows_the_matrix_form_of_a_catalog_model(run_cli):
    code, out, _ = run_cli("derive", "relu-2layer", "--matrix", "--format", "json")
    matrix = json.loads(out)
    code2, out2, _ = run_cli("derive", "relu-2layer", "--format", "json")
    scalar = json.loads(out2)
    assert code == code2 == 0 and matrix["level"] == "matrix" and "level" not in scalar
    assert matrix["model"] == scalar["model"] == "relu-2layer"
    assert math.isclose(matrix["value"], scalar["value"], rel_tol=1e-12)
    code, out, _ = run_cli("derive", "relu-2layer", "--matrix", "--format", "python")
    assert code == 0 and "matrix model 'relu-2layer'" in out
    code, out, err = run_cli("derive", "linear-mse", "--matrix")
    assert code == 2 and out == "" and "has no matrix form" in err and "relu-2layer" in err
