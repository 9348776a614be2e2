"""Elementwise matrix operations come from the scalar primitive table: every primitive, on random
shapes, against central finite differences; a primitive added to the table is a matrix op too."""

import math
import types

import numpy as np
import pytest
import sympy

import symgrad
from symgrad.errors import SymgradError
from symgrad.matrix import MatrixModel, hadamard, sum_
from symgrad.matrix import rules as matrix_rules
from symgrad.matrix.ops import ELEMENTWISE, FUNCTIONS, OPERATORS, RENAMED, elementwise_function
from symgrad.rules import RULES

CALLED_BY_NAME = [name for name in RULES if name not in OPERATORS]


def test_every_scalar_primitive_is_a_matrix_operation():
    for name in RULES:
        assert name in matrix_rules.MATRIX_RULES, name
    for name in CALLED_BY_NAME:
        public = RENAMED.get(name, name)
        assert public in ELEMENTWISE and public in FUNCTIONS
        assert getattr(symgrad.matrix, public) is FUNCTIONS[public]


def _finite_difference_check(model, arrays, wrt):
    f = symgrad.compile(model, wrt=wrt)
    _, grads = f(**arrays)
    for w in wrt:
        a = arrays[w]
        for index in np.ndindex(*a.shape):
            step = 1e-6 * max(1.0, abs(a[index]))
            up, down = a.copy(), a.copy()
            up[index] += step
            down[index] -= step
            numeric = (f(**{**arrays, w: up})[0] - f(**{**arrays, w: down})[0]) / (2 * step)
            assert math.isclose(grads[w][index], numeric, rel_tol=1e-5, abs_tol=1e-6), (w, index)


def _model(name, rows, cols, broadcast):
    """sum(C ⊙ f(X[, B])): B, for a binary primitive, is a row broadcast over X's rows."""
    fn = ELEMENTWISE[RENAMED.get(name, name)]
    m = MatrixModel(f"generic-{name}", params=("X", "B") if RULES[name].arity == 2 else ("X",))
    X, C = m.input("X", (rows, cols)), m.input("C", (rows, cols))
    args = (X,)
    if RULES[name].arity == 2:
        args = (X, m.input("B", (cols,) if broadcast else (rows, cols)))
    m.let("L", sum_(hadamard(fn(*args), C)))
    return m


@pytest.mark.parametrize("name", CALLED_BY_NAME)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generic_elementwise_gradient_equals_finite_differences(name, seed):
    rng = np.random.default_rng(seed)
    rows, cols = (int(n) for n in rng.integers(1, 5, size=2))
    model = _model(name, rows, cols, broadcast=bool(seed % 2))
    arrays = {n: rng.uniform(-2, 2, size=model.nodes[n].shape) for n in model.inputs}
    with np.errstate(invalid="ignore", divide="ignore"):
        value, _ = symgrad.compile(model)(**arrays)
    if not np.isfinite(value):                    # log, sqrt: a positive domain
        arrays = {n: rng.uniform(0.5, 2, size=model.nodes[n].shape) for n in model.inputs}
    _finite_difference_check(model, arrays, list(model.params))


def test_a_primitive_added_to_the_scalar_table_needs_no_matrix_edit(monkeypatch):
    """A new record (read through .arity .build .local .label .params .defaults only) becomes a
    matrix rule and a user function by the same two generic builders the table loop uses."""
    cube = types.SimpleNamespace(arity=1, build=lambda a, k: k * a**3,
                                 local=lambda a, k, out: (3 * k * a**2,), label="cube",
                                 params=("k",), defaults=(sympy.Rational(1, 2),))
    monkeypatch.setitem(RULES, "cube", cube)
    monkeypatch.setitem(matrix_rules.MATRIX_RULES, "cube", matrix_rules.elementwise("cube"))
    fn = elementwise_function("cube")
    m = MatrixModel("cube", params=("X",))
    X = m.input("X", (2, 3))
    m.let("L", sum_(fn(X, k=0.25)))
    rng = np.random.default_rng(3)
    arrays = {"X": rng.normal(size=(2, 3))}
    _, grads = symgrad.compile(m)(**arrays)
    np.testing.assert_allclose(grads["X"], 0.75 * arrays["X"] ** 2, rtol=1e-12)
    _finite_difference_check(m, arrays, ["X"])
    d = symgrad.derive(m, at=arrays)
    assert "X^2" in d.formulas["X"] and m.nodes[m.output].op == "sum"


def test_generated_functions_check_their_arguments():
    m = MatrixModel("args")
    X = m.input("X", (2, 2))
    leaky = ELEMENTWISE["leaky_relu"]
    assert m.nodes[leaky(X).name].params == (0.01,)
    assert m.nodes[leaky(X, 0.2).name].params == (0.2,)
    assert m.nodes[leaky(X, alpha=0.3, out="h").name].params == (0.3,)
    with pytest.raises(SymgradError, match="no parameter 'beta'"):
        leaky(X, beta=1.0)
    with pytest.raises(SymgradError, match="takes 1 matrix argument"):
        ELEMENTWISE["tanh"](X, X)


def test_a_rule_returning_the_wrong_number_of_gradients_fails_naming_the_op(monkeypatch):
    broken = matrix_rules.MatrixRule(2, 2, matrix_rules.matmul_shape,
                                     matrix_rules.MATRIX_RULES["matmul"].forward,
                                     lambda ctx: (ctx.G,), "broken product")
    monkeypatch.setitem(matrix_rules.MATRIX_RULES, "matmul", broken)
    m = MatrixModel("broken", params=("A",))
    A = m.input("A", (2, 2))
    m.let("L", sum_(A @ A))
    with pytest.raises(SymgradError, match="'matmul' returned 1 gradients for 2"):
        symgrad.derive(m)
