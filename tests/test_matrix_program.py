"""Matrix programs typed as text (symgrad/matrix/program.py) and array points (symgrad/point.py).

References are independent of the code under test: NumPy's own operators for the forward
values, central finite differences written here for the gradients.
"""

import json
import re
import time

import numpy as np
import pytest
from conftest import array_central_difference

import symgrad
from symgrad.cli import main
from symgrad.errors import SymgradError
from symgrad.matrix.program import is_matrix_program, parse_matrix
from symgrad.point import parse_point, shapes_of
from symgrad.target import resolve

W = np.array([[0.1, 0.5], [-0.3, 0.8]])
X = np.array([[0.2], [0.4]])



def test_the_issues_program_derives_with_numpy_meaning():
    d = symgrad.derive("q = W @ x\nf = sum(q**2)", at={"W": W, "x": X})
    q = W @ X
    assert d.value == pytest.approx(float(np.sum(q ** 2)), rel=1e-14)
    # by hand: ∂f/∂q = 2q, ∂f/∂W = ∂f/∂q·xᵀ, ∂f/∂x = Wᵀ·∂f/∂q
    np.testing.assert_allclose(d.gradients["W"], 2 * q @ X.T, rtol=1e-14)
    np.testing.assert_allclose(d.gradients["x"], W.T @ (2 * q), rtol=1e-14)
    assert d.shapes["q"] == (2, 1) and d.shapes["W"] == (2, 2)


def test_the_cli_takes_nested_lists_as_the_issue_writes_them(tmp_path, capsys):
    prog = tmp_path / "prog.sg"
    prog.write_text("q = W @ x\nf = sum(q**2)\n")
    code = main(["derive", str(prog), "--at", "W=[[0.1,0.5],[-0.3,0.8]]", "--at",
                 "x=[[0.2],[0.4]]", "--format", "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["level"] == "matrix" and out["shapes"]["q"] == [2, 1]
    np.testing.assert_allclose(out["gradients"]["W"], 2 * (W @ X) @ X.T, rtol=1e-14)


def test_npy_files_feed_inputs(tmp_path, capsys):
    np.save(tmp_path / "w.npy", W)
    np.save(tmp_path / "x.npy", X)
    point = parse_point(f"W=@{tmp_path / 'w.npy'},x=@{tmp_path / 'x.npy'},b=0")
    np.testing.assert_array_equal(point["W"], W)
    assert point["b"] == 0.0 and shapes_of(point) == {"W": (2, 2), "x": (2, 1), "b": ()}
    d = symgrad.derive("f = sum((W @ x + b)**2)", at=point)
    assert d.value == pytest.approx(float(np.sum((W @ X) ** 2)), rel=1e-14)


@pytest.mark.parametrize("text, message", [
    ("W=[[1,2],[3]]", "not all of one shape"),
    ("W=[[1,2],[3,4]", "not closed"),
    ("W=[1,,2]", "a number is missing"),
    ("W=[1,2]]", "without its '\\['"),
    ("W=[1 2]", "separated by commas"),
    ("W=[1,nan]", "not a finite number"),
    ("W=[]", "empty list"),
    ("W=[[1]],W=[[2]]", "twice"),
    ("W=@", "give the file"),
    ("W=@/nonexistent.npy", "no such"),
    ("W=" + "[" * 9 + "1" + "]" * 9, "nested more than"),
])
def test_bad_array_values_are_one_line(text, message):
    with pytest.raises(SymgradError, match=message) as info:
        parse_point(text)
    assert "\n" not in str(info.value)


def test_a_pickled_or_non_numeric_npy_is_refused(tmp_path):
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    with pytest.raises(SymgradError, match="not numbers"):
        parse_point(f"W=@{tmp_path / 's.npy'}")
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(SymgradError, match="not a NumPy .npy file"):
        parse_point(f"W=@{tmp_path / 'o.npy'}")


def test_declarations_give_shapes_and_must_match_values():
    m = parse_matrix("W: [2, 3]\nx: [3, 1]\nf = sum(W @ x)")
    assert m.shapes["W"] == (2, 3) and m.shapes["x"] == (3, 1)
    with pytest.raises(SymgradError, match=r"declared with shape \[2, 3\] but its value has shape"
                                           r" \[3, 3\].*line 1"):
        parse_matrix("W: [2, 3]\nx: [3, 1]\nf = sum(W @ x)", {"W": (3, 3)})
    with pytest.raises(SymgradError, match="declared but never used"):
        parse_matrix("V: [2]\nW: [2, 2]\nf = sum(W)")
    with pytest.raises(SymgradError, match="positive whole number"):
        parse_matrix("W: [2, 0]\nf = sum(W)")
    with pytest.raises(SymgradError, match="shape's value|no value after it|shape only"):
        parse_matrix("W: [2, 2] = 3\nf = sum(W)")


def test_mismatched_shapes_are_refused_before_computing_naming_both_and_the_line():
    with pytest.raises(SymgradError) as info:
        parse_matrix("W: [2, 3]\nx: [2, 1]\nh = sigmoid(x)\nq = W @ h\nf = sum(q)")
    message = str(info.value)
    assert "(2, 3)" in message and "(2, 1)" in message and "line 4" in message


def test_the_output_must_be_a_number():
    """NumPy's way of writing a shape, (2, 1) or (2,); when the last line is not a number but an
    earlier one is, the message names it for --output."""
    with pytest.raises(SymgradError, match=r"has shape \(2, 1\).*wrap it in sum") as raised:
        parse_matrix("q = W @ x", {"W": (2, 2), "x": (2, 1)})
    assert "--output" not in str(raised.value)
    with pytest.raises(SymgradError, match=r"'r' has shape \(2,\).*--output f in 'r = W @ x'"):
        parse_matrix("f = sum(x ** 2)\nr = W @ x", {"W": (2, 2), "x": (2,)})


def test_unknown_shapes_say_how_to_give_them():
    with pytest.raises(SymgradError, match="shape of 'W' is not known.*W: \\[2, 2\\]"):
        parse_matrix("f = sum(W @ x)", {"x": (2, 1)})


@pytest.mark.parametrize("text, message", [
    ("f = sum(x.dot(W))", "write x @ W for the matrix product"),
    ("f = sum((x + 1).dot(W.T))", re.escape("write (x + 1) @ W.T")),
    ("f = x.sum()", r"write sum\(x\)"),
    ("f = sum(np.exp(x))", "without 'np.'"),
    ("f = sum(x.transpose())", "write x.T"),
    ("f = sum(x ** y)", "constant exponent"),
    ("f = sum(2 @ x)", "use \\* to multiply"),
    ("f = sum(x, keepdims=1)", "optional axis="),
    ("f = sum(x, axis=0.5)", "whole number"),
    ("f = sum(foo(x))", "foo"),
    ("sum = x\nf = sum", "is a function"),
    ("import os", "not allowed"),
    ("f = sum(x[0])", "not allowed"),
    ("f = sum(__import__('os'))", "_"),
    ("f = sum(x) / 0 * 0 + 1 / 0", "division by zero"),
])
def test_refusals_are_one_line(text, message):
    with pytest.raises(SymgradError, match=message) as info:
        parse_matrix(text, {"x": (2, 2), "y": (2, 2), "W": (2, 2)})
    assert "\n" not in str(info.value)


def test_the_scalar_bounds_still_apply():
    with pytest.raises(SymgradError, match="too long|nested"):
        parse_matrix("f = sum(" + "(" * 60 + "x" + ")" * 60 + ")", {"x": (2,)})


def test_labels_of_a_loss_are_data_not_parameters():
    m = parse_matrix("s = X @ W\nL = mean(softmax_ce(s, Y))", {"X": (4, 3), "W": (3, 2),
                                                               "Y": (4, 2)})
    assert m.data == ("Y",) and m.params == ("X", "W")


def test_reassignment_and_augmented_assignment_keep_every_version():
    m = parse_matrix("h = x @ W\nh = relu(h)\nh += x @ W\nf = sum(h)",
                     {"x": (2, 2), "W": (2, 2)})
    assert [n for n in m.nodes if n.startswith("h")] == ["h", "h_1", "h_2"]


@pytest.mark.parametrize("seed", range(6))
def test_random_programs_agree_with_finite_differences(seed):
    rng = np.random.default_rng(seed)
    n, d, k = rng.integers(1, 5, size=3)
    arrays = {"X": rng.standard_normal((n, d)), "W": rng.standard_normal((d, k)),
              "b": rng.standard_normal((1, k)), "V": rng.standard_normal((k, d))}
    text = ("z = X @ W + b\nh = tanh(z)\nr = h @ V - X\n"
            "loss = mean(r**2) + 0.1 * sum(W * W) + sum(sigmoid(h.T @ h))")

    def f(X, W, b, V):
        h = np.tanh(X @ W + b)
        r = h @ V - X
        return np.mean(r ** 2) + 0.1 * np.sum(W * W) + np.sum(1 / (1 + np.exp(-(h.T @ h))))

    d = symgrad.derive(text, at=arrays)
    assert d.value == pytest.approx(f(**arrays), rel=1e-12)
    for name in arrays:
        fd = array_central_difference(lambda a: f(**a), arrays, name)
        np.testing.assert_allclose(d.gradients[name], fd, rtol=1e-6, atol=1e-8)


def test_an_array_given_to_a_scalar_looking_program_makes_it_a_matrix_program():
    with pytest.raises(SymgradError, match="wrap it in sum"):
        symgrad.derive("f = (w*x - y)**2", at={"w": 2.0, "x": np.ones(3), "y": np.zeros(3)})
    d = symgrad.derive("f = sum((w*x - y)**2)", at={"w": 2.0, "x": np.arange(3.0),
                                                   "y": np.ones(3)})
    x, y = np.arange(3.0), np.ones(3)
    assert d.gradients["w"] == pytest.approx(float(np.sum(2 * (2 * x - y) * x)), rel=1e-14)


def test_scalar_programs_stay_scalar():
    assert not is_matrix_program("f = (x + y) * z")
    assert resolve("(x+y)*z").is_matrix is False
    assert is_matrix_program("q = W @ x\nf = sum(q)") and is_matrix_program("W: [2]\nf = sum(W)")


def test_compile_gives_blas_level_code():
    text = "h = sigmoid(x @ w1)\ny_pred = h @ w2\nloss = sum((y_pred - y)**2)"
    c = symgrad.compile(text, shapes={"x": (64, 100), "w1": (100, 20), "w2": (20, 10),
                                      "y": (64, 10)})
    assert c.source.count("@") >= 4                 # forward 2, backward 2 (+ transposes)
    assert not re.search(r"\bfor \w+ in\b", c.source)        # no loop over entries


def test_a_matrix_of_ones_is_kept_in_a_matrix_product():
    """∂/∂X of sum(X @ W.T) is 𝟙·W (ones times W), not W: the printed formula, evaluated with
    NumPy, must give the gradient."""
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 0.0]])
    Wm = np.array([[1.0, 1.0], [2.0, 3.0]])
    d = symgrad.derive("f = sum(X @ W.T)", at={"X": X, "W": Wm})
    assert d.formulas["X"] == "𝟙·W" and d.formulas["W"] == "(Xᵀ·𝟙)ᵀ"
    ones = np.ones((3, 2))
    np.testing.assert_allclose(d.gradients["X"], ones @ Wm, rtol=1e-14)
    np.testing.assert_allclose(d.gradients["W"], (X.T @ ones).T, rtol=1e-14)


@pytest.mark.parametrize("text, fix", [
    ("f = sum(np.dot(W, x))", "write W @ x for the matrix product"),
    ("f = np.sum(W)", "write 'sum(W)'"),
    ("f = sum(np.transpose(W))", "write W.T"),
    ("f = sum(np.maximum(W, 0))", "write max(W, 0)"),
])
def test_numpy_module_functions_get_their_fix_with_the_users_names(text, fix):
    with pytest.raises(SymgradError) as info:
        parse_matrix(text, {"W": (2, 2), "x": (2,)})
    assert fix in str(info.value)


def test_a_square_product_of_subscripted_names_renders(tmp_path):
    """The index sentence of W @ W names the gate n1: n_{1}_{ik} would be a double subscript
    (MathML conversion and pdflatex refuse it)."""
    from symgrad.render import build

    for text in ("W: [2, 2]\nf = sum(W @ W)",
                 "W: [2, 2]\nV: [2, 2]\ny_pred = W @ V\nf = sum(y_pred)"):
        doc = build(text, format="html", lang="both")
        assert "matrix product" in doc.text
        tex = build(text, format="tex", lang="en").text
        assert "}_{1}_{" not in tex and "_{1}_{ik}" not in tex


@pytest.mark.parametrize("text, message", [
    ("a: [1000000, 1]\nb: [1000000]\nf = sum(a * b)", "at most 10,000,000"),
    ("a: [20000, 1]\nb: [1, 20000]\nf = sum(a @ b)", "at most 10,000,000"),
    ("W: [3000, 3000]\nV: [3000, 3000]\nf = sum(W @ V)", "multiply-adds"),
    ("q: [5, 5, 5]\nq = W @ x\nf = sum(q)", "only inputs are declared"),
    ("f = sum(A, axis=1e300)", "out of range"),
    ("f = sum(hinge(S, Y, 1, 2))", re.escape("hinge(S, Y) or hinge(S, Y, margin)")),
    ("f = sum(softmax_ce(S))", re.escape("softmax_ce(S, Y)")),
])
def test_sizes_and_misuses_are_refused_at_once(text, message):
    start = time.process_time()
    with pytest.raises(SymgradError, match=message) as info:
        shapes = {"W": (2, 2), "x": (2,), "A": (1, 2), "S": (1, 2), "Y": (1, 2)}
        parse_matrix(text, {k: v for k, v in shapes.items() if f"{k}:" not in text})
    assert "\n" not in str(info.value) and len(str(info.value)) < 300
    assert time.process_time() - start < 1.0


def test_a_long_chain_of_transposes_is_linear():
    text = "A: [2, 3]\nf = sum((A" + ".T" * 41 + ") * C)"
    c = np.arange(6.0).reshape(3, 2)
    d = symgrad.derive(text, at={"A": np.ones((2, 3)), "C": c})
    np.testing.assert_array_equal(d.gradients["A"], c.T)      # an odd number of transposes


def test_labels_are_not_differentiated():
    at = {"S": np.array([[1.0, 2.0], [3.0, 4.0]]), "Y": np.array([[0.0, 1.0], [1.0, 0.0]])}
    with pytest.raises(SymgradError, match="labels of a loss"):
        symgrad.derive("f = mean(softmax_ce(S, Y))", at=at, wrt="Y")
