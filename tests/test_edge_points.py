"""Issue 18, "tracebacks" and "refusals where PyTorch gives a finite answer": each case gives the
right number or one clean line, in derive and in compiled code alike (docs/conventions.md).

Expected numbers are computed independently: mpmath at 50 digits, or exact arithmetic by hand,
with PyTorch's conventions (FunctionsManual.cpp: pow_backward_self is 0 where the exponent is 0,
pow_backward_exponent is 0 where the base is 0 and the exponent ≥ 0)."""

import math
import warnings

import mpmath
import numpy as np
import pytest

import symgrad
from symgrad.errors import DomainError

mpmath.mp.dps = 50


def derived(expr, at):
    d = symgrad.derive(expr, at=at)
    return d.value, d.gradients


def compiled(expr, at):
    f = symgrad.compile(expr)
    with np.errstate(all="ignore"):
        value, grads = f(**at)
    return float(value), {k: float(v) for k, v in grads.items()}


def same(a, b):
    """Equal as floats: nan equals nan, infinities by sign, finite numbers within 1e-12."""
    if math.isnan(b):
        return math.isnan(a)
    if math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


def assert_both(expr, at, value, grads):
    for how, (v, g) in (("derive", derived(expr, at)), ("compile", compiled(expr, at))):
        assert same(v, value), f"{how} {expr} at {at}: value {v}, expected {value}"
        for name, want in grads.items():
            assert same(g[name], want), f"{how} {expr} at {at}: ∂/∂{name} = {g[name]}, not {want}"


def one_line_error(run_cli, *argv):
    code, out, err = run_cli(*argv)
    assert code == 2 and out == "", (code, out, err)
    assert err.count("\n") == 1 and err.startswith("symgrad: error: "), err
    assert "Traceback" not in err
    return err


# --- tracebacks that are now numbers or one line ------------------------------------------------

@pytest.mark.parametrize("x, value", [(1.0, 0.0), (2.5, 0.0), (0.0, 1.0)])
def test_zero_to_a_variable_power_is_pytorchs(x, value):
    # 0**x is 0 for x > 0 and 1 at x = 0; its gradient in x is 0 there (PyTorch: base 0, x ≥ 0)
    assert_both("0**x", {"x": x}, value, {"x": 0.0})


def test_zero_to_a_variable_power_on_the_command_line(run_cli):
    code, out, err = run_cli("derive", "0**x", "--at", "x=1", "--format", "json")
    assert code == 0 and err == ""
    assert '"gradients": {\n    "x": 0.0\n  }' in out


@pytest.mark.parametrize("argv", [
    ["derive", "(-1)**x", "--at", "x=1"],
    ["derive", "(-2)**y", "--at", "y=1"],
    ["derive", "x**y", "--at", "x=-2,y=2"],
    ["derive", "(-2)**y", "--at", "y=1", "--format", "python"],
    ["check", "--gradcheck", "(-1)**x", "--at", "x=1"],
    ["train", "(-2)**w", "--at", "w=1", "--params", "w", "--steps", "2"],
])
def test_a_negative_base_with_a_variable_exponent_is_one_line(run_cli, argv):
    err = one_line_error(run_cli, *argv)
    assert "negative base" in err and "variable exponent is a domain error" in err


def test_a_negative_base_in_render_and_claims_files_is_one_line(run_cli, tmp_path):
    err = one_line_error(run_cli, "render", "(-1)**x", "--at", "x=1", "-o", str(tmp_path / "out"))
    assert "negative base (-1)" in err
    claims = tmp_path / "neg.toml"
    claims.write_text('expression = "(-1)**x"\n[at]\nx = 1\n[[claim]]\nvalue = "f"\nequals = -1\n')
    err = one_line_error(run_cli, "check", str(claims))
    assert "neg.toml" in err and "negative base (-1)" in err


def test_a_variable_base_that_is_negative_is_nan_in_compiled_code():
    # compiled code works on arrays of samples: PyTorch's nan for ∂/∂y, not an error
    value, grads = compiled("x**y", {"x": -2.0, "y": 2.0})
    assert value == 4.0 and grads["x"] == -4.0 and math.isnan(grads["y"])


@pytest.mark.parametrize("text, shown", [
    ("x*(2.5/0.0)", "'2.5/0.0'"), ("x + 2.5/0.0", "'2.5/0.0'"), ("x*(0.0/0.0)", "'0.0/0.0'"),
    ("x/(1.5 - 1.5)", "'x/(1.5 - 1.5)'"), ("x + 1/0.0", "'1/0.0'"),
])
def test_a_constant_division_by_zero_is_one_line(run_cli, text, shown):
    err = one_line_error(run_cli, "derive", text, "--at", "x=1")
    assert "division by zero" in err and shown in err


# --- refusals where PyTorch gives a finite answer ---------------------------------------------

def test_elu_does_not_evaluate_the_branch_it_does_not_take():
    assert_both("elu(x)", {"x": 710.0}, 710.0, {"x": 1.0})
    assert_both("elu(x, 0.5)", {"x": 1e308}, 1e308, {"x": 1.0})
    at = -710.0     # the other branch: α(e^x − 1) and αe^x, exact in mpmath
    assert_both("elu(x)", {"x": at}, float(mpmath.expm1(at)), {"x": float(mpmath.exp(at))})


@pytest.mark.parametrize("expr, at, value, grads", [
    ("max(x, y)", {"x": 1e308, "y": -1e308}, 1e308, {"x": 1.0, "y": 0.0}),
    ("max(x, y)", {"x": -1e308, "y": 1e308}, 1e308, {"x": 0.0, "y": 1.0}),
    ("min(x, y)", {"x": 1e308, "y": -1e308}, -1e308, {"x": 0.0, "y": 1.0}),
    ("max(x, y)", {"x": 1e308, "y": 1e308}, 1e308, {"x": 0.5, "y": 0.5}),
])
def test_max_and_min_compare_instead_of_subtracting(expr, at, value, grads):
    assert_both(expr, at, value, grads)


@pytest.mark.parametrize("at, value, grads", [
    ({"x": 0.0, "y": 0.0}, 1.0, {"x": 0.0, "y": 0.0}),     # PyTorch: value 1, gradients (0, 0)
    ({"x": 0.0, "y": 2.0}, 0.0, {"x": 0.0, "y": 0.0}),     # 2·0¹ = 0; base 0, y ≥ 0 → 0
    ({"x": 0.0, "y": 1.0}, 0.0, {"x": 1.0, "y": 0.0}),     # 1·0⁰ = 1
    ({"x": 3.0, "y": 0.0}, 1.0, {"x": 0.0, "y": math.log(3.0)}),
])
def test_powers_at_base_zero_follow_pytorch(at, value, grads):
    assert_both("x**y", at, value, grads)


def test_log_sigmoid_is_stable_in_derive_as_in_compiled_code():
    # log σ(−1000) = −1000 − log(1 + e^−1000): −1000 in floats; d/dx = 1 − σ(−1000) = 1
    ref = -mpmath.log1p(mpmath.exp(1000))
    assert float(ref) == -1000.0
    assert_both("log(sigmoid(x))", {"x": -1000.0}, float(ref), {"x": 1.0})
    assert_both("log(1 - sigmoid(x))", {"x": 1000.0}, -1000.0, {"x": -1.0})
    # where the plain form is finite, derive keeps it (the gate's derivation is unchanged)
    d = symgrad.derive("log(sigmoid(x))", at={"x": -3.0})
    assert [s.input for s in d.steps] == ["n1", "x"]
    want = float(-mpmath.log1p(mpmath.exp(3)))
    assert math.isclose(d.value, want, rel_tol=1e-12)


def test_binary_cross_entropy_at_a_confident_wrong_answer():
    # −y·log σ(z) − (1 − y)·log(1 − σ(z)) at z = 800, y = 0: 800 exactly, gradient σ(800) − y = 1
    bce = "p = sigmoid(z)\nL = -y*log(p) - (1 - y)*log(1 - p)\n"
    assert_both(bce, {"z": 800.0, "y": 0.0}, 800.0, {"z": 1.0})


@pytest.mark.parametrize("expr, value, grads", [
    ("x + y", math.inf, {"x": 1.0, "y": 1.0}),
    ("x*y", math.inf, {"x": 1e308, "y": 1e308}),
    ("x - (-y)", math.inf, {"x": 1.0, "y": 1.0}),
    ("exp(x/1e305)*y", math.inf, {"x": math.inf, "y": math.inf}),    # e^1000
])
def test_overflow_is_inf_in_derive_and_compiled_code_alike(expr, value, grads):
    assert_both(expr, {"x": 1e308, "y": 1e308}, value, grads)


def test_after_an_overflow_ieee_follows_as_in_pytorch():
    # tanh(e^1000) = 1; its gradient (1 − 1)·e^1000 is 0·∞ = nan, as PyTorch gives
    assert_both("tanh(exp(x))", {"x": 1000.0}, 1.0, {"x": math.nan})
    # 1/(x·y) at 1e308: the product overflows, the quotient is 0 and so are the gradients
    assert_both("1/(x*y)", {"x": 1e308, "y": 1e308}, 0.0, {"x": 0.0, "y": 0.0})


@pytest.mark.parametrize("expr, at, words", [
    ("log(x)", {"x": 0.0}, "log(0)"),
    ("log(x)", {"x": -1.0}, "outside the function's domain"),
    ("sqrt(x)", {"x": -4.0}, "sqrt of a negative number"),
    ("sqrt(x)", {"x": 0.0}, "division by zero"),        # sqrt′(0) = 1/(2·0): a pole
    ("1/x", {"x": 0.0}, "division by zero"),
    ("0**x", {"x": -1.0}, "division by zero"),
    ("x**0.5", {"x": -4.0}, "outside the function's domain"),
])
def test_domain_errors_are_refused_by_derive_and_ieee_in_compiled_code(expr, at, words):
    with pytest.raises(DomainError, match="gate 'f'") as caught:
        symgrad.derive(expr, at=at)
    assert words in str(caught.value)
    value, grads = compiled(expr, at)
    assert not (math.isfinite(value) and all(math.isfinite(g) for g in grads.values()))


def test_stable_compiled_code_warns_of_nothing_at_the_edges():
    cases = [("elu(x)", {"x": 710.0}), ("max(x, y)", {"x": 1e308, "y": -1e308}),
             ("x**y", {"x": 0.0, "y": 0.0}), ("0**x", {"x": 0.0}), ("silu(x)", {"x": -1000.0}),
             ("log(sigmoid(x))", {"x": -1000.0})]
    for expr, at in cases:
        f = symgrad.compile(expr)
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise",
                                                    divide="raise"):
            warnings.simplefilter("error")
            f(**at)


def test_silu_far_below_zero_underflows_to_zero_not_to_a_clamped_value():
    # x·σ(x) at x = −1000 is about −5e-432: 0 in floats (σ was clamped at −709 before: −1.2e-305)
    assert_both("silu(x)", {"x": -1000.0}, 0.0, {"x": 0.0})
    assert_both("sigmoid(x)", {"x": -800.0}, 0.0, {"x": 0.0})
    at = -700.0
    sig = 1 / (1 + mpmath.exp(-at))
    assert_both("silu(x)", {"x": at}, float(at * sig), {"x": float(sig * (1 + at * (1 - sig)))})


# --- generated code never depends on a name a user can choose ---------------------------------

USER_NAMES = ["id", "self", "np", "numpy", "jax", "shape", "seen", "value", "loss_and_grads",
              "sum", "len", "float", "print", "input", "exec", "type", "range", "object",
              "match", "case", "grad_w", "v_id"]


@pytest.mark.parametrize("name", USER_NAMES)
def test_an_input_may_be_called_anything_the_language_allows(name):
    # (w·name − y)² at w = 2, name = 3, y = 1: value 25; ∂w = 2·5·3, ∂name = 2·5·2, ∂y = −2·5
    expr = f"(w*{name} - y)**2"
    at = {"w": 2.0, name: 3.0, "y": 1.0}
    assert_both(expr, at, 25.0, {"w": 30.0, name: 20.0, "y": -10.0})


def test_variables_named_like_builtins_and_renamed_names_do_not_collide():
    program = "id = w*x\nv_id = id + self\nsum = v_id*v_id\n"
    f = symgrad.compile(program)
    value, grads = f(w=2.0, x=3.0, self=1.0)
    # (w·x + self)² = 49; ∂w = 2·7·3, ∂x = 2·7·2, ∂self = 2·7
    assert float(value) == 49.0
    assert {k: float(v) for k, v in grads.items()} == {"w": 42.0, "x": 28.0, "self": 14.0}
    assert "seen = {id(" in f.source                   # the builtin, never shadowed
    assert "\n    id = " not in f.source and "\n    sum = " not in f.source


def test_printed_python_code_of_a_builtin_named_input_runs(run_cli, tmp_path):
    code, out, err = run_cli("derive", "id*x", "--at", "id=1,x=2", "--format", "python")
    assert code == 0 and err == ""
    namespace = {}
    exec(compile(out, "<printed>", "exec"), namespace)  # noqa: S102 (symgrad's own output)
    value, grads = namespace["loss_and_grads"](5.0, 7.0)
    assert float(value) == 35.0 and float(grads["id"]) == 7.0 and float(grads["x"]) == 5.0


def test_training_with_an_input_called_id_or_self(run_cli):
    for name in ("id", "self"):
        code, out, err = run_cli("train", f"(w*{name} - y)**2", "--at", f"w=0,{name}=1,y=2",
                                 "--params", "w", "--steps", "3", "--lr", "0.25")
        assert code == 0 and err == ""
        # w ← w − 0.25·2(w − 2): 0 → 1 → 1.5 → 1.75
        assert "w = 1.75" in out
