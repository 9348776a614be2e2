"""Tests for symgrad check: seed verdicts recomputed independently with plain math."""
import glob
import math

import pytest

import symgrad.rules as rules_mod
from symgrad.check import check, gradcheck, tolerance_of
from symgrad.cli import main
from symgrad.errors import SymgradError
from symgrad.testing import assert_claims


def sig(v):
    return 1 / (1 + math.exp(-v))


def seed002(w9):
    st11, st12 = sig(20 * 0.3 + 0.1), sig(20 * 0.2 + 0.5)
    st21, st22 = sig(st11 * 0.6 + st12 * 0.4), sig(st11 * 0.2 + st12 * 0.3)
    yhat = sig(st21 * w9 + st22 * 0.5)
    return st21, yhat, (0.9 - yhat) ** 2


def test_seed002_verdicts():
    f = check("examples/claims/seed002_net.toml").files[0]
    st21, yhat, _ = seed002(0.2)
    grad = -2 * (0.9 - yhat) * yhat * (1 - yhat) * st21
    w9 = 0.2 - 0.3 * grad
    fails = [c.number for c in f.claims if not c.holds]
    assert fails == [10, 11, 12]  # the post's w9_new and the two numbers computed from it
    assert abs(f.claims[9].correct - w9) < 1e-12 and round(w9, 6) == 0.229918  # post says 0.237479: wrong
    assert "final update" in f.claims[9].note
    # the shown chain has the post's three factors: ∂E/∂ŷ (the unnamed y − ŷ gate folded in), σ′, st21
    factors = [-2 * (0.9 - yhat), yhat * (1 - yhat), st21]
    shown = f.claims[9].derivation.split("(")[1].split(")")[0].split(" x ")
    assert sorted(float(v) for v in shown) == pytest.approx(sorted(factors), abs=5e-7)
    assert abs(f.claims[10].correct - seed002(w9)[1]) < 1e-12
    assert abs(seed002(0.237479)[1] - 0.618723) < 5e-7  # the post's ŷ matches its wrong w9
    for c in f.claims[10:]:
        assert c.note == "holds only for the post's wrong w9 = 0.237479"


def test_other_seeds():
    assert check("examples/claims/seed000_linear.toml").ok
    assert check("examples/claims/seed004_circuit.toml").ok
    assert check("examples/claims/seed004_circuit_q.toml").ok
    reg = check("examples/claims/seed004_regularization.toml").files[0]
    assert [c.holds for c in reg.claims] == [False] * 4
    assert [c.correct for c in reg.claims] == [1, 4 * 0.25 ** 2, 1, 4 * 0.25]


def test_cli_exit_codes(tmp_path, capsys):
    assert main(["check", *sorted(glob.glob("examples/claims/*.toml"))]) == 1
    assert main(["check", "examples/claims/seed000_linear.toml"]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\n\nequals = = 3\n')
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "line 3" in err


def test_tolerance_from_digits(tmp_path):
    assert tolerance_of("0.612248") == pytest.approx(5e-7)
    assert tolerance_of("3") == 0.5 and tolerance_of("1.5e-3") == pytest.approx(5e-5)
    text = 'expression = "x*1"\n[at]\nx = 0.6122485\n[[claim]]\nvalue = "f"\nequals = {}\n'
    p = tmp_path / "t.toml"
    p.write_text(text.replace("0.6122485", "0.6122484").format("0.612248"))
    assert check(p).ok  # 4e-7 off: inside the half-unit band
    p.write_text(text.replace("0.6122485", "0.6122486").format("0.612248"))
    assert not check(p).ok  # 6e-7 off: outside


def test_unknown_node_and_key(tmp_path):
    p = tmp_path / "u.toml"
    p.write_text('expression = "x*y"\n[at]\nx = 1\ny = 2\n[[claim]]\nvalue = "nope"\nequals = 1\n')
    with pytest.raises(SymgradError, match="claim 1.*nope"):
        check(p)
    p.write_text('expression = "x*y"\n[at]\nx = 1\ny = 2\n[[claim]]\nvalu = "f"\nequals = 1\n')
    with pytest.raises(SymgradError, match="claim 1.*valu"):
        check(p)


def test_assert_claims():
    assert_claims("examples/claims/seed004_circuit.toml")
    with pytest.raises(AssertionError, match="0.229918"):
        assert_claims("examples/claims/seed002_net.toml")


def test_gradcheck_passes_and_can_fail(monkeypatch):
    assert gradcheck("circuit-xyz").passed
    assert gradcheck("sigmoid(x*y) + exp(x)", at="x=0.3,y=-1.2").passed
    rule = rules_mod.RULES["exp"]
    monkeypatch.setitem(rules_mod.RULES, "exp", rule.__class__(
        **{**rule.__dict__, "local": lambda *a, **k: tuple(2 * g for g in rule.local(*a, **k))}))
    assert not gradcheck("exp(x)", at="x=0.5").passed
