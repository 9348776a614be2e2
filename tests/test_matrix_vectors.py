"""NumPy's rules for vectors in matrix models: the four cases of ``@``, sums and means along an
axis, and elementwise broadcasting.

Every gradient is checked three ways: against central finite differences computed here with
NumPy, against the entry-by-entry scalar expansion derived by the scalar engine
(``symgrad.derive``, which knows nothing of the matrix rules), and every forward value against
NumPy's own ``@`` and ``np.sum(axis=)``.
"""

import math

import numpy as np
import pytest
from conftest import array_central_difference

from symgrad import derive
from symgrad.errors import SymgradError
from symgrad.matrix import MatrixModel, ShapeMismatch, exp, mean, op, sum_, sumsq, tanh
from symgrad.matrix.codegen import compile_matrix
from symgrad.matrix.derivation import derive_matrix
from symgrad.matrix.expand import scalar_point, scalar_program
from symgrad.matrix.sweep import reverse_sweep

SEEDS = range(4)


# --- the three references ---------------------------------------------------------------------

def scalar_gradients(model, arrays, wrt):
    """Loss and gradients of the scalar expansion of ``model``, derived by ``symgrad.derive``."""
    program, entries = scalar_program(model)
    d = derive(program, at=scalar_point(model, arrays),
               wrt=[e for w in wrt for e in entries[w].ravel()])
    grads = {w: np.array([d.gradients[e] for e in entries[w].ravel()],
                         dtype=float).reshape(entries[w].shape) for w in wrt}
    return d.value, grads


def check_gradients(model, arrays, wrt, expected_loss):
    """Compiled loss equals ``expected_loss`` (NumPy); compiled gradients equal finite
    differences and the scalar expansion. Returns the compiled gradients."""
    f = compile_matrix(model, wrt)
    loss, grads = f(**arrays)
    assert math.isclose(float(loss), expected_loss, rel_tol=1e-12, abs_tol=1e-12)
    scalar_loss, scalar = scalar_gradients(model, arrays, wrt)
    assert math.isclose(scalar_loss, expected_loss, rel_tol=1e-10, abs_tol=1e-12)
    for w in wrt:
        assert grads[w].shape == np.shape(arrays[w]), w
        fd = array_central_difference(lambda a: f(**a)[0], arrays, w)
        np.testing.assert_allclose(grads[w], fd, rtol=1e-6, atol=1e-8, err_msg=w)
        np.testing.assert_allclose(grads[w], scalar[w], rtol=1e-10, atol=1e-12, err_msg=w)
    return grads


def random_dims(rng, n):
    return [int(d) for d in rng.integers(1, 5, size=n)]


# --- the four cases of @ ------------------------------------------------------------------------
def matmul_shapes(case, rng):
    m, n, p = random_dims(rng, 3)
    return {"matrix@matrix": ((m, n), (n, p)), "matrix@vector": ((m, n), (n,)),
            "vector@matrix": ((n,), (n, p)), "vector@vector": ((n,), (n,))}[case]


CASES = ["matrix@matrix", "matrix@vector", "vector@matrix", "vector@vector"]


def matmul_model(shape_a, shape_b):
    """q = A @ B; loss = sum(q ⊙ C) + sum(tanh(q)): ∂loss/∂C is q itself, so the gradient of C
    reads the forward value of the product."""
    m = MatrixModel("matmul")
    A, B = m.input("A", shape_a), m.input("B", shape_b)
    q = m.let("q", A @ B)
    C = m.input("C", q.shape)
    m.let("loss", sum_(q * C) + sum_(tanh(q)))
    return m


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", SEEDS)
def test_matmul_gradients_and_values_match_numpy(case, seed):
    rng = np.random.default_rng(seed)
    shape_a, shape_b = matmul_shapes(case, rng)
    model = matmul_model(shape_a, shape_b)
    arrays = {"A": rng.standard_normal(shape_a), "B": rng.standard_normal(shape_b)}
    q = arrays["A"] @ arrays["B"]                      # NumPy's own product
    arrays["C"] = rng.standard_normal(np.shape(q))
    assert model.nodes["q"].shape == np.shape(q)
    expected = float(np.sum(q * arrays["C"]) + np.sum(np.tanh(q)))
    grads = check_gradients(model, arrays, ["A", "B", "C"], expected)
    np.testing.assert_allclose(grads["C"], q, rtol=1e-12, atol=1e-15)


# The vector-Jacobian rules of each case, in code, text and LaTeX (vectors are columns).
RULES_BY_CASE = {
    "matrix@matrix": [("G @ B.T", "G·Bᵀ", r"G B^{\top}"), ("A.T @ G", "Aᵀ·G", r"A^{\top} G")],
    "matrix@vector": [("np.outer(G, B)", "G·Bᵀ", r"G B^{\top}"),
                      ("A.T @ G", "Aᵀ·G", r"A^{\top} G")],
    "vector@matrix": [("B @ G", "B·G", "B G"), ("np.outer(A, G)", "A·Gᵀ", r"A G^{\top}")],
    "vector@vector": [("G * B", "G·B", "G B"), ("G * A", "G·A", "G A")],
}


@pytest.mark.parametrize("case", CASES)
def test_matmul_rules_are_written_as_the_textbook_does(case):
    shape_a, shape_b = matmul_shapes(case, np.random.default_rng(0))
    sweep = reverse_sweep(matmul_model(shape_a, shape_b), ["A", "B"])
    steps = {s.input: s.rule for s in sweep.steps if s.gate == "q"}
    for name, (code, text, latex) in zip("AB", RULES_BY_CASE[case], strict=True):
        assert (steps[name].code, steps[name].text, steps[name].latex) == (code, text, latex)


def test_the_textbook_linear_layer_reads_df_dq_times_x_transposed():
    m = MatrixModel("linear")
    W, x = m.input("W", (2, 3)), m.input("x", (3,))
    q = m.let("q", W @ x)
    m.let("f", sum_(q ** 2))
    d = derive_matrix(m, at={"W": np.arange(6.0).reshape(2, 3) / 7, "x": np.array([1.0, -2, .5])},
                      wrt=["W", "x"])
    step = next(s for s in d.steps if s.gate == "q" and s.input == "W")
    assert step.rule.text == "G·xᵀ" and step.downstream.text == "∂f/∂q·xᵀ"
    assert step.downstream.latex == r"\frac{\partial f}{\partial q} x^{\top}"
    # the whole-number exponent is simplified: 2·q, not 2·q^(2 - 1)
    assert d.formulas == {"W": "(2·q)·xᵀ", "x": "Wᵀ·(2·q)"}
    qv = d.arrays["W"] @ d.arrays["x"]
    np.testing.assert_allclose(d.gradients["W"], np.outer(2 * qv, d.arrays["x"]), rtol=1e-14)
    np.testing.assert_allclose(d.gradients["x"], d.arrays["W"].T @ (2 * qv), rtol=1e-14)


@pytest.mark.parametrize("case", CASES)
def test_generated_code_is_one_blas_call_per_product(case):
    shape_a, shape_b = matmul_shapes(case, np.random.default_rng(1))
    source = compile_matrix(matmul_model(shape_a, shape_b), ["A", "B"]).source
    body = source.split("def loss_and_grads")[1]
    assert "for " not in body and "[0]" not in body          # no loop, no entry by entry
    products = body.count(" @ ") + body.count("np.outer(")
    # forward A @ B, then one product per side (vector·vector: G * B and G * A, no product)
    assert products == (1 if case == "vector@vector" else 3)


# --- refusals of @ ------------------------------------------------------------------------------
def refused(build):
    """The SymgradError ``build`` raises; its message is one line."""
    with pytest.raises(SymgradError) as info:
        build()
    message = str(info.value)
    assert "\n" not in message and message
    return message


def test_matmul_refuses_a_number_as_numpy_does():
    m = MatrixModel("scale")
    W, c = m.input("W", (2, 2)), m.input("c", ())
    assert refused(lambda: W @ c) == ("matmul W@c: c is a number (shape ()); "
                                      "use * to scale a matrix")
    assert refused(lambda: c @ W) == ("matmul c@W: c is a number (shape ()); "
                                      "use * to scale a matrix")
    assert "2.0 is a number (shape ())" in refused(lambda: W @ 2)
    with pytest.raises(ValueError):                       # NumPy refuses it too
        np.ones((2, 2)) @ np.float64(2.0)


def test_matmul_refuses_three_dimensions_and_names_mismatched_sizes():
    m = MatrixModel("bad")
    T, W = m.input("T", (2, 3, 4)), m.input("W", (4, 2))
    x, y = m.input("x", (3,)), m.input("y", (4,))
    assert "T has 3 dimensions (shape (2, 3, 4))" in refused(lambda: T @ W)
    assert refused(lambda: W @ x) == ("matmul W·x: shapes (4, 2) and (3,) do not fit "
                                      "(columns of W, 2, ≠ length of x, 3)")
    assert refused(lambda: x @ W) == ("matmul x·W: shapes (3,) and (4, 2) do not fit "
                                      "(length of x, 3, ≠ rows of W, 4)")
    assert refused(lambda: x @ y) == ("matmul x·y: shapes (3,) and (4,) do not fit "
                                      "(length of x, 3, ≠ length of y, 4)")
    assert isinstance(pytest.raises(ShapeMismatch, lambda: x @ y).value, ShapeMismatch)


# --- sums and means along an axis ---------------------------------------------------------------
def reduction_model(fn, shape, axis):
    """s = fn(A, axis); loss = sum(s ⊙ C) + sum(tanh(s)); ∂loss/∂C reads s."""
    m = MatrixModel("reduce")
    A = m.input("A", shape)
    s = m.let("s", fn(A, axis=axis))
    C = m.input("C", s.shape)
    m.let("loss", sum_(s * C) + sum_(tanh(s)))
    return m


@pytest.mark.parametrize("name", ["sum", "mean"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("seed", SEEDS)
def test_axis_reductions_match_numpy(name, ndim, seed):
    rng = np.random.default_rng(100 + 10 * ndim + seed)
    shape = tuple(random_dims(rng, ndim))
    for axis in range(-len(shape), len(shape)):
        model = reduction_model(sum_ if name == "sum" else mean, shape, axis)
        assert model.nodes["s"].params == (axis % len(shape),)       # normalised
        arrays = {"A": rng.standard_normal(shape)}
        s = getattr(np, name)(arrays["A"], axis=axis)                 # NumPy's own
        arrays["C"] = rng.standard_normal(np.shape(s))
        expected = float(np.sum(s * arrays["C"]) + np.sum(np.tanh(s)))
        grads = check_gradients(model, arrays, ["A", "C"], expected)
        np.testing.assert_allclose(grads["C"], s, rtol=1e-12, atol=1e-15)
        assert grads["A"].flags.writeable                         # may be updated in place


def test_full_reductions_keep_their_form():
    m = MatrixModel("full")
    A = m.input("A", (2, 3))
    s = m.let("s", sum_(A))
    assert m.nodes["s"].params == () and m.nodes["s"].shape == ()
    t = m.let("t", mean(A))
    m.let("loss", s + t)
    sweep = reverse_sweep(m, ["A"])
    assert [r.formula.text for r in sweep.forward[:2]] == ["sum(A)", "mean(A)"]
    assert sorted(s.rule.text for s in sweep.steps if s.input == "A") == ["(G/6)·𝟙", "G·𝟙"]


AXIS_TEXTS = {
    ("sum", 0): ("sum(A, axis=0)", "np.repeat(np.expand_dims(G, 0), 3, axis=0)", "𝟙·Gᵀ",
                 r"\mathbf{1} G^{\top}"),
    ("sum", 1): ("sum(A, axis=1)", "np.repeat(np.expand_dims(G, 1), 4, axis=1)", "G·𝟙ᵀ",
                 r"G \mathbf{1}^{\top}"),
    ("mean", 0): ("mean(A, axis=0)", "np.repeat(np.expand_dims(G / 3.0, 0), 3, axis=0)",
                  "𝟙·Gᵀ/3", r"\frac{1}{3} \mathbf{1} G^{\top}"),
    ("mean", -1): ("mean(A, axis=1)", "np.repeat(np.expand_dims(G / 4.0, 1), 4, axis=1)",
                   "G·𝟙ᵀ/4", r"\frac{1}{4} G \mathbf{1}^{\top}"),
}


@pytest.mark.parametrize("key", list(AXIS_TEXTS))
def test_axis_reduction_rules_are_written_out(key):
    name, axis = key
    sweep = reverse_sweep(reduction_model(sum_ if name == "sum" else mean, (3, 4), axis), ["A"])
    forward, code, text, latex = AXIS_TEXTS[key]
    assert sweep.forward[0].formula.text == forward
    assert sweep.forward[0].formula.code == "np." + forward
    (rule,) = [s.rule for s in sweep.steps if s.input == "A"]
    assert (rule.code, rule.text, rule.latex) == (code, text, latex)


def test_three_dimensional_axis_reduction_reads_broadcast():
    sweep = reverse_sweep(reduction_model(sum_, (2, 3, 4), 1), ["A"])
    (rule,) = [s.rule for s in sweep.steps if s.input == "A"]
    assert rule.text == "broadcast(G, axis=1)"
    assert rule.latex == r"\operatorname{broadcast}_{1}\left(G\right)"


def test_axis_refusals_name_the_shape_and_the_axis():
    m = MatrixModel("axes")
    A, v = m.input("A", (3, 4)), m.input("v", (5,))
    assert refused(lambda: sum_(A, axis=2)) == ("sum(A, axis=2): axis 2 is out of range for A "
                                                "of shape (3, 4)")
    assert refused(lambda: mean(v, axis=-2)) == ("mean(v, axis=-2): axis -2 is out of range "
                                                 "for v of shape (5,)")
    assert "axis must be an integer" in refused(lambda: sum_(A, axis=1.0))
    assert "axis must be an integer" in refused(lambda: sum_(A, axis=True))
    # a model built with op() directly is checked by the rule too
    assert "axis 3 is out of range for A of shape (3, 4)" in refused(
        lambda: op("sum", A, params=(3,)))
    with pytest.raises(np.exceptions.AxisError):                     # as NumPy
        np.sum(np.ones((3, 4)), axis=2)


# --- elementwise broadcasting -------------------------------------------------------------------
BROADCASTS = {
    "bias row (H,) + batch (N, H)": ((4, 3), (3,)),
    "row (1, H) + batch (N, H)": ((4, 3), (1, 3)),
    "column (N, 1) + batch (N, H)": ((4, 3), (4, 1)),
    "number () * batch (N, H)": ((4, 3), ()),
    "vector (H,) * number ()": ((3,), ()),
}


@pytest.mark.parametrize("name", list(BROADCASTS))
@pytest.mark.parametrize("seed", SEEDS)
def test_broadcast_operands_get_their_gradient_summed_back(name, seed):
    rng = np.random.default_rng(200 + seed)
    shape_x, shape_b = BROADCASTS[name]
    # random sizes of the same pattern: every dimension of size > 1 redrawn in 1..4
    sizes = dict(zip((4, 3), random_dims(rng, 2), strict=True))
    shape_x = tuple(sizes.get(d, d) for d in shape_x)
    shape_b = tuple(sizes.get(d, d) if d != 1 else 1 for d in shape_b)
    m = MatrixModel("broadcast")
    X, b = m.input("X", shape_x), m.input("b", shape_b)
    z = m.let("z", X * b if "*" in name else X + b)
    m.let("loss", sum_(tanh(z)) + sumsq(z))
    arrays = {"X": rng.standard_normal(shape_x), "b": rng.standard_normal(shape_b)}
    zv = arrays["X"] * arrays["b"] if "*" in name else arrays["X"] + arrays["b"]
    assert m.nodes["z"].shape == zv.shape
    check_gradients(m, arrays, ["X", "b"], float(np.sum(np.tanh(zv)) + np.sum(zv ** 2)))


def test_a_column_gradient_reads_sum_over_columns():
    m = MatrixModel("column")
    X, c = m.input("X", (4, 3)), m.input("c", (4, 1))
    m.let("loss", sumsq(X + c))
    sweep = reverse_sweep(m, ["c"])
    assert sweep.inlined["c"].text == "sum_columns(2·n1)"
    assert sweep.inlined["c"].code == "np.sum(2.0 * n1, axis=1, keepdims=True)"


def test_a_python_number_scales_a_matrix_and_is_no_parameter():
    m = MatrixModel("scaled")
    W = m.input("W", (2, 3))
    m.let("loss", sum_(tanh(2.5 * W)))
    w = np.random.default_rng(3).standard_normal((2, 3))
    grads = check_gradients(m, {"W": w}, ["W"], float(np.sum(np.tanh(2.5 * w))))
    np.testing.assert_allclose(grads["W"], 2.5 * (1 - np.tanh(2.5 * w) ** 2), rtol=1e-12)


# --- a vector model end to end ------------------------------------------------------------------
def test_a_linear_layer_on_a_vector_with_a_bias_and_a_transposed_vector():
    """s = W @ x + b, f = sum(s²) + sum(xᵀ @ W2), with xᵀ = x (NumPy's .T of a vector)."""
    rng = np.random.default_rng(9)
    m = MatrixModel("layer")
    W, x, b = m.input("W", (3, 4)), m.input("x", (4,)), m.input("b", (3,))
    W2 = m.input("W2", (4, 2))
    s = m.let("s", W @ x + b)
    m.let("f", sumsq(s) + sum_(x.T @ W2))
    arrays = {"W": rng.standard_normal((3, 4)), "x": rng.standard_normal(4),
              "b": rng.standard_normal(3), "W2": rng.standard_normal((4, 2))}
    sv = arrays["W"] @ arrays["x"] + arrays["b"]
    expected = float(np.sum(sv ** 2) + np.sum(arrays["x"].T @ arrays["W2"]))
    check_gradients(m, arrays, ["W", "x", "b", "W2"], expected)


def test_constant_exponents_whole_and_fractional():
    """q**3 has the local gradient 3·q^2; e^q ** 1.5 keeps 1.5 as a name (no 1.50000000)."""
    rng = np.random.default_rng(11)
    m = MatrixModel("powers")
    W, x = m.input("W", (3, 2)), m.input("x", (2,))
    q = m.let("q", W @ x)
    m.let("f", sum_(q ** 3) + sum_(exp(q) ** 1.5))
    arrays = {"W": rng.standard_normal((3, 2)) / 2, "x": rng.standard_normal(2)}
    qv = arrays["W"] @ arrays["x"]
    expected = float(np.sum(qv ** 3) + np.sum(np.exp(qv) ** 1.5))
    check_gradients(m, arrays, ["W", "x"], expected)
    rules = [s.rule.text for s in reverse_sweep(m, ["W"]).steps]
    assert "G ⊙ 3·q^2" in rules
    assert any("1.5·" in r for r in rules) and not any("1.500" in r for r in rules)
