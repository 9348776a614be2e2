"""The dimension check of each matrix backward step, against independent computations: the
product the sentence names, computed with NumPy on the actual arrays in the stated order, has the
stated shape and equals the gradient by central finite differences."""

import itertools
import json
import os
import re
import subprocess

import numpy as np
import pytest
from conftest import array_central_difference
from test_mathjax import CONVERT, HAVE_MATHJAX, MATHJAX, NODE, REQUIRED, formulas_of

import symgrad
from symgrad.matrix import MatrixModel, relu, sum_
from symgrad.matrix.dimensions import candidates, dimension_checks
from symgrad.render import build


def linear_model(m_rows, n_cols):
    """q = W @ x, f = sum(q**2): the issue's example (square when m_rows == n_cols)."""
    m = MatrixModel("lin")
    W, x = m.input("W", (m_rows, n_cols)), m.input("x", (n_cols, 1))
    q = m.let("q", W @ x)
    m.let("f", sum_(q ** 2))
    return m


def loss_lin(a):
    return float(np.sum((a["W"] @ a["x"]) ** 2))


def spelled(check, candidate, arrays, upstream):
    """The candidate product evaluated with NumPy: the factors the sentence names, in its order."""
    def value(f):
        v = upstream if f.role == "G" else arrays[check.other]
        return v.T if f.transposed else v
    return value(candidate.left) @ value(candidate.right)


@pytest.mark.parametrize("shape", [(3, 2), (2, 4)])
def test_the_only_product_is_the_gradient(shape):
    rng = np.random.default_rng(1)
    arrays = {"W": rng.standard_normal(shape), "x": rng.standard_normal((shape[1], 1))}
    d = symgrad.derive(linear_model(*shape), at=arrays, wrt=["W", "x"])
    check = [c for c in dimension_checks(d) if c.input == "W"][0]
    assert check.kind == "matmul" and check.shapes_decide
    upstream = 2 * (arrays["W"] @ arrays["x"])               # ∂f/∂q by hand
    product = spelled(check, check.chosen, arrays, upstream)
    assert product.shape == shape == check.chosen.shape
    fd = array_central_difference(loss_lin, arrays, "W")
    np.testing.assert_allclose(product, fd, rtol=1e-6, atol=1e-8)
    text = check.sentence("en")
    left, right = (f"{a}×{b}" for a, b in (check.chosen.left.shape, check.chosen.right.shape))
    assert f"so the only product with that shape is ∂f/∂q · xᵀ ({left} · {right} = " \
           f"{shape[0]}×{shape[1]})" in text
    assert "하나뿐입니다" in check.sentence("ko")
    # an independent count: every product of G and x (each maybe transposed, either order)
    mats = {"G": upstream, "Gt": upstream.T, "x": arrays["x"], "xt": arrays["x"].T}
    fits = [(a, b) for a, b in itertools.product(mats, repeat=2) if a[0] != b[0]
            and mats[a].shape[1] == mats[b].shape[0]
            and (mats[a].shape[0], mats[b].shape[1]) == shape]
    assert len(fits) == len(check.fitting) == 1


def test_square_shapes_do_not_decide():
    rng = np.random.default_rng(2)
    arrays = {"W": rng.standard_normal((2, 2)), "x": rng.standard_normal((2, 1))}
    d = symgrad.derive(linear_model(2, 2), at=arrays, wrt=["W"])
    check = [c for c in dimension_checks(d) if c.input == "W"][0]
    assert not check.shapes_decide and len(check.fitting) == 2
    assert "the shapes alone do not decide" in check.sentence("en")
    assert "모양만으로는 정할 수 없습니다" in check.sentence("ko")
    assert "The rule picks ∂f/∂q · xᵀ" in check.sentence("en")
    upstream = 2 * (arrays["W"] @ arrays["x"])
    fd = array_central_difference(loss_lin, arrays, "W")
    values = [spelled(check, c, arrays, upstream) for c in check.fitting]
    assert all(v.shape == (2, 2) for v in values)
    # exactly one of the two fitting products is the gradient; the other is its transpose
    right = [np.allclose(v, fd, rtol=1e-6, atol=1e-8) for v in values]
    assert right.count(True) == 1
    assert check.fitting[right.index(True)] == check.chosen
    np.testing.assert_allclose(values[right.index(False)], fd.T, rtol=1e-6, atol=1e-8)


def test_candidates_skip_transposing_a_one_by_one():
    assert len(candidates((1, 1), (3, 1))) == 4
    assert len(candidates((2, 1), (3, 1))) == 8


def test_every_step_of_the_catalog_forms_names_its_shapes():
    for target in ["relu-2layer", "svm-total", "sigmoid-3layer", "softmax-ce", "mlp-2layer"]:
        d = symgrad.derive(target, matrix=True)
        for step, check in zip(d.steps, dimension_checks(d), strict=True):
            assert check.target_shape == tuple(np.shape(np.zeros(step.input_shape)))
            for lang in ("en", "ko"):
                assert check.sentence(lang).strip()
            if check.kind == "matmul":
                assert check.chosen is not None, (target, step)
                assert check.chosen.shape == (tuple(step.input_shape) + (1, 1))[:2] \
                    or len(step.input_shape) < 2


def test_broadcast_names_the_axis_and_the_sum_is_the_gradient():
    m = MatrixModel("bias")
    X, b = m.input("X", (4, 3)), m.input("b", (1, 3))
    m.let("f", sum_(relu(X + b)))
    rng = np.random.default_rng(3)
    arrays = {"X": rng.standard_normal((4, 3)), "b": rng.standard_normal((1, 3))}
    d = symgrad.derive(m, at=arrays, wrt=["b"])
    check = [c for c in dimension_checks(d) if c.input == "b"][0]
    assert check.kind == "broadcast" and check.axes == (0,)
    assert "broadcast along axis 0" in check.sentence("en")
    assert "used 4 times" in check.sentence("en")
    assert "0번 축" in check.sentence("ko")
    fd = array_central_difference(lambda a: float(np.sum(np.maximum(a["X"] + a["b"], 0))),
                                  arrays, "b")
    np.testing.assert_allclose(d.gradients["b"], fd, rtol=1e-6, atol=1e-8)


def test_json_and_text_carry_the_check():
    d = symgrad.derive("relu-2layer", matrix=True)
    data = d.to_json()
    check = data["steps"][-1]["dimension_check"]
    assert check["chosen"] == "∂f/∂z1 · xᵀ" and check["shapes_decide"] is True
    assert check["chosen_shapes"] == [[3, 1], [1, 2], [3, 2]]
    assert set(check) >= {"en", "ko", "products_that_fit", "target_shape", "upstream_shape"}
    text = str(d)
    assert "so the only product with that shape is ∂f/∂z1 · xᵀ" in re.sub(r"\s+", " ", text)
    assert "[   1     2]" in text                # the 3×2 gradient written out


@pytest.mark.parametrize("fmt", ["md", "jekyll", "tex", "html"])
@pytest.mark.parametrize("lang", ["en", "ko", "both"])
def test_every_format_explains_in_its_languages(fmt, lang):
    text = build("relu-2layer", fmt, lang, matrix=True).text
    en = "so the only product with that shape is"
    ko = "하나뿐입니다"
    assert (en in text) == (lang in ("en", "both")), (fmt, lang)
    assert (ko in text) == (lang in ("ko", "both")), (fmt, lang)
    if fmt != "html":                 # the html page writes math as MathML
        assert r"\frac{\partial f}{\partial z_{1}} \, x^{\top}" in text


def test_the_scalar_chain_equals_the_matrix_entry():
    text = build("relu-2layer", "md", "en", matrix=True).text
    d = symgrad.derive("relu-2layer", matrix=True)
    assert d.gradients["W1"][0, 1] == pytest.approx(2.0)
    assert "This is $2$, entry (0, 1) of the value of the matrix formula" in text
    assert "the two derivations agree" in text


def test_large_arrays_are_shape_and_norm():
    text = build("mlp-2layer", "md", "en").text
    d = symgrad.derive("mlp-2layer")
    norm = f"{np.linalg.norm(d.arrays['w1']):.6g}"
    assert re.search(r"w_\{1\} &= 1000 \\times 100, \\quad \\lVert\\cdot\\rVert = " +
                     re.escape(norm[:5]), text)


def test_the_new_latex_converts_in_mathjax(tmp_path):
    """Every formula of the matrix-level documents (checks, arrays, scalar chain) in MathJax 3."""
    if not HAVE_MATHJAX and not REQUIRED:
        pytest.skip(f"node or mathjax-full in {MATHJAX} is missing")
    formulas = []
    for target in ["relu-2layer", "svm-total", "sigmoid-3layer", "softmax-ce", "relu-3layer"]:
        formulas += formulas_of(build(target, "md", "both", matrix=True).text, target)
    assert len(formulas) > 300
    script = tmp_path / "convert.js"
    script.write_text(CONVERT, encoding="utf-8")
    env = dict(os.environ, NODE_PATH=str(MATHJAX / "node_modules"))
    run = subprocess.run([NODE or "node", str(script)], input=json.dumps(formulas),
                         capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["errors"] == [], result["errors"][:3]
    assert result["converted"] == len(formulas)
