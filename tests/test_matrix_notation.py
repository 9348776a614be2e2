"""How a matrix gradient is written for a reader: a value per row scales the rows (diag(w)·X,
NumPy's w[:, None] * X), the 1/N of a mean is a number (c·X, not (c·𝟙) ⊙ X), and the code keeps
NumPy's broadcasting. The numbers are checked against hand-written NumPy."""

import numpy as np
import pytest

import symgrad
from symgrad.errors import SymgradError
from symgrad.point import parse_point

S = np.array([[1.0, 2.0, 3.0], [0.0, 4.0, 1.0]])
Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_a_weight_per_row_is_a_diagonal_matrix():
    at = {"S": S, "Y": Y, "w": np.array([0.3, 0.7])}
    d = symgrad.derive("f = sum(softmax_ce(S, Y) * w)", at=at, wrt="S")
    assert d.formulas["S"] == "diag(w)·(softmax(S) − Y)"
    assert d.latex_formulas["S"] == \
        r"\operatorname{diag}(w) \left(\operatorname{softmax}(S) - Y\right)"
    assert np.allclose(d.gradients["S"], at["w"][:, None] * (softmax(S) - Y), rtol=1e-12)
    source = symgrad.compile("f = sum(softmax_ce(S, Y) * w)", wrt="S",
                             shapes={"S": (2, 3), "Y": (2, 3), "w": (2,)}).source
    assert "[:, None]" in source and "diag" not in source          # the code broadcasts


def test_the_mean_over_rows_is_one_number():
    d = symgrad.derive("f = mean(softmax_ce(S, Y))", at={"S": S, "Y": Y}, wrt="S")
    assert d.formulas["S"] == "(1/2)·(softmax(S) − Y)"
    assert "𝟙" not in d.formulas["S"]
    assert np.allclose(d.gradients["S"], (softmax(S) - Y) / 2, rtol=1e-12)


def test_the_mean_over_all_entries_is_one_number():
    w = np.array([[1.0, -2.0], [3.0, 4.0]])
    d = symgrad.derive("f = sum(relu(W) ** 2) + mean(tanh(W))", at={"W": w})
    assert d.formulas["W"] == "(1/4)·(1 - n4^2) + (2·n1) ⊙ step(W)"
    expected = (1 - np.tanh(w) ** 2) / 4 + 2 * np.maximum(w, 0) * (w > 0)
    assert np.allclose(d.gradients["W"], expected, rtol=1e-12)


@pytest.mark.parametrize("program, at", [
    ("r = w*2\nf = x*3", "x=1,w=2"),                                   # scalar
    ("r = W @ x\nf = sum(x**2)", "W=[[1,2],[3,4]],x=[1,2]"),           # matrix
])
def test_a_gradient_the_output_does_not_depend_on_is_named_so(program, at):
    wrt = "w" if "w*2" in program else "W"
    with pytest.raises(SymgradError, match=rf"'{wrt}': the output 'f' does not depend on it "
                                           r"\(the inputs it reads: x\)"):
        symgrad.derive(program, at=parse_point(at), wrt=wrt)
    with pytest.raises(SymgradError, match=r"'Q': not a name of the graph of 'f'"):
        symgrad.derive(program, at=parse_point(at), wrt="Q")


def test_a_mean_along_an_axis_is_one_number_too():
    s = np.array([[1.0, 2.0, 3.0], [0.0, 4.0, 1.0]])
    d = symgrad.derive("f = sum(mean(tanh(S), axis=1))", at={"S": s})
    assert d.formulas["S"] == "(1/3)·(1 - n1^2)"
    assert r"\frac{1}{3}" in d.latex_formulas["S"]
    assert np.allclose(d.gradients["S"], (1 - np.tanh(s) ** 2) / 3, rtol=1e-12)
