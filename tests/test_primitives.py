"""The primitive table (symgrad/rules.py): the records are checked, and the two primitives added
as records only (softplus, silu) work in derive, compile, render and check --gradcheck."""

import dataclasses
import math
import warnings

import numpy as np
import pytest
import sympy
from conftest import central_difference, close

import symgrad
from symgrad import figures
from symgrad.cli import main
from symgrad.numeric import evaluate
from symgrad.render import render_md
from symgrad.rules import PRIMITIVES, check_primitive

x = sympy.Symbol("x", real=True)
y = sympy.Symbol("y", real=True)

# each new primitive, and the same function written out with SymPy's own functions
WRITTEN_OUT = {
    "softplus": sympy.log(1 + sympy.exp(x)),
    "silu": x / (1 + sympy.exp(-x)),
}
POINTS = [-3.0, -0.7, 0.0, 0.4, 2.5]


# --- the table is checked ------------------------------------------------------------------------

def test_a_record_with_the_wrong_number_of_local_gradients_is_refused_by_name():
    bad = dataclasses.replace(PRIMITIVES["mul"], name="badmul", local=lambda a, b, out: (b,))
    with pytest.raises(TypeError, match="'badmul'.*2 local gradient"):
        check_primitive(bad)
    not_a_tuple = dataclasses.replace(PRIMITIVES["exp"], name="badexp", local=lambda a, out: out)
    with pytest.raises(TypeError, match="'badexp'"):
        check_primitive(not_a_tuple)


def test_a_record_whose_rule_fails_on_symbols_is_refused_by_name():
    broken = dataclasses.replace(PRIMITIVES["exp"], name="broken", local=lambda a, out: (1 / 0,))
    with pytest.raises(TypeError, match="'broken'"):
        check_primitive(broken)


def test_every_record_passes_the_check():
    for p in PRIMITIVES.values():
        check_primitive(p)


def test_function_classes_differentiate_with_the_table_rule():
    """SymPy's derivative of a generated class is the record's local gradient, not a second copy."""
    for name, p in PRIMITIVES.items():
        if p.function is None or p.function.__module__ != "symgrad.rules":
            continue
        args = [sympy.Symbol(f"a{i}", real=True) for i in range(p.arity)] + list(p.defaults)
        out = p.build(*args)
        for i, local in enumerate(p.local(*args, out=out)):
            assert sympy.diff(out, args[i]) == local, name


# --- softplus and silu ---------------------------------------------------------------------------

@pytest.mark.parametrize("op", sorted(WRITTEN_OUT))
def test_symbolic_gradient_equals_sympy_diff_of_the_written_out_formula(op):
    d = symgrad.derive(f"{op}(x)", at={"x": 0.3})
    reference = sympy.diff(WRITTEN_OUT[op], x)
    gap = d.closed_form("x").rewrite(sympy.exp) - reference
    assert sympy.simplify(gap) == 0


@pytest.mark.parametrize("op", sorted(WRITTEN_OUT))
@pytest.mark.parametrize("at", POINTS)
def test_numeric_gradient_equals_sympy_and_finite_differences(op, at):
    d = symgrad.derive(f"{op}(x)*y", at={"x": at, "y": 2.0})
    f = sympy.lambdify((x, y), WRITTEN_OUT[op] * y)
    df = sympy.lambdify((x, y), sympy.diff(WRITTEN_OUT[op] * y, x))
    assert close(d.value, f(at, 2.0), rel=1e-12, abs_=1e-12)
    assert close(d.gradients["x"], df(at, 2.0), rel=1e-12, abs_=1e-12)
    numeric = central_difference(lambda p: f(p["x"], p["y"]), {"x": at, "y": 2.0}, "x")
    assert close(d.gradients["x"], numeric, rel=1e-6, abs_=1e-8)


@pytest.mark.parametrize("op", sorted(WRITTEN_OUT))
def test_float_evaluation_is_finite_far_out(op):
    for at in (-1000.0, 1000.0):
        value = evaluate(PRIMITIVES[op].build(x), {x: at})
        assert math.isfinite(value)
    assert evaluate(PRIMITIVES["softplus"].build(x), {x: 1000.0}) == 1000.0
    assert evaluate(PRIMITIVES["silu"].build(x), {x: -1000.0}) == 0.0


@pytest.mark.parametrize("op", sorted(WRITTEN_OUT))
def test_compiled_code_is_finite_at_plus_minus_1000_without_a_numpy_warning(op):
    f = symgrad.compile(f"y = {op}(w*x + b)")
    xs = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        value, grads = f(w=np.ones(5), x=xs, b=np.zeros(5))
    assert np.all(np.isfinite(value)) and all(np.all(np.isfinite(g)) for g in grads.values())
    d = [symgrad.derive(f"y = {op}(w*x + b)", at={"w": 1.0, "x": v, "b": 0.0}) for v in xs[1:4]]
    assert np.allclose(value[1:4], [e.value for e in d], rtol=1e-12)
    assert np.allclose(grads["w"][1:4], [e.gradients["w"] for e in d], rtol=1e-12)


def test_silu_code_parenthesises_a_folded_argument():
    """silu(a) is printed as a·σ(a): a folded a = w*x + b needs its parentheses."""
    f = symgrad.compile("z = silu(w*x + b)\ny = z*c", wrt="c")
    value, grads = f(w=np.array(2.0), x=np.array(0.5), b=np.array(1.0), c=np.array(3.0))
    want = 2.0 / (1 + math.exp(-2.0))
    assert close(float(grads["c"]), want, rel=1e-12) and close(float(value), 3 * want, rel=1e-12)


@pytest.mark.parametrize("op", sorted(WRITTEN_OUT))
def test_render_uses_the_glyph_the_plot_and_the_note(op):
    d = symgrad.derive(f"y = {op}(w*x)", at={"w": 0.5, "x": 2.0})
    assert op in figures.ACTIVATIONS
    assert [a for a, _ in figures.activations_used(d)] == [op]
    assert figures.gate_glyph(d.graph.nodes["y"], d.graph) == op
    assert "<svg" in figures.activation_svg(op)
    for lang in ("en", "ko"):
        doc = render_md(d, lang=lang)
        assert f"y-{op}.svg" in "".join(doc.files) or any(op in name for name in doc.files)
    assert "σ(x)" in render_md(d, lang="en").text


@pytest.mark.parametrize("op", sorted(WRITTEN_OUT))
def test_check_gradcheck(op, capsys):
    assert main(["check", "--gradcheck", f"{op}(x)*y", "--at", "x=1,y=2"]) == 0
    assert "x" in capsys.readouterr().out


def test_the_examples_of_docs_extending_run_as_written():
    import doctest
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "extending.md").read_text()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for i, block in enumerate(re.findall(r"```python\n(>>>.*?)```", text, re.DOTALL)):
        test = doctest.DocTestParser().get_doctest(block, {}, f"extending-{i}", "extending.md", 0)
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
