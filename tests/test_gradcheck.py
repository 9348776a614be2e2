"""Tests for gradcheck (symgrad.check.gradcheck): scalar targets against a wrong rule, steps kept
inside the domain, every entry of a small matrix model against NumPy, deterministic samples of a
large one, and strict JSON output."""
import importlib
import json
import math
import re

import numpy as np
import pytest

import symgrad.rules as rules_mod
from symgrad.check import gradcheck
from symgrad.cli import main

# `symgrad.check.gradcheck` is also the function: import the module by name
check_mod = importlib.import_module("symgrad.check")
gradcheck_mod = importlib.import_module("symgrad.check.gradcheck")

def test_gradcheck_passes_and_can_fail(monkeypatch):
    assert gradcheck("circuit-xyz").passed
    assert gradcheck("sigmoid(x*y) + exp(x)", at="x=0.3,y=-1.2").passed
    rule = rules_mod.RULES["exp"]
    monkeypatch.setitem(rules_mod.RULES, "exp", rule.__class__(
        **{**rule.__dict__, "local": lambda *a, **k: tuple(2 * g for g in rule.local(*a, **k))}))
    r = gradcheck("exp(x)", at="x=0.5")
    assert not r.passed and r.max_rel_error == pytest.approx(0.5, abs=1e-6)  # 2e^x vs e^x


def test_gradcheck_step_stays_inside_the_domain():
    r = gradcheck("log(x)", at="x=1e-7")
    (row,) = r.rows
    assert r.passed and row["numeric"] == pytest.approx(1e7, rel=1e-6)
    assert row["h"] < 1e-7                       # x − h stays positive
    r = gradcheck("sqrt(x)", at="x=2e-9")
    assert r.passed and r.rows[0]["numeric"] == pytest.approx(0.5 / math.sqrt(2e-9), rel=1e-6)
    # away from an edge the step is ε^(1/3)·max(1, |x|)
    h = gradcheck("sin(x)", at="x=3").rows[0]["h"]
    assert h == pytest.approx((2.0 ** -52) ** (1 / 3) * 3, rel=1e-6)


def test_gradcheck_refuses_a_point_outside_the_domain(capsys):
    assert main(["check", "--gradcheck", "log(x)", "--at", "x=-1"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def _tiny_matrix_model():
    from symgrad.matrix import MatrixModel, sigmoid, sumsq

    m = MatrixModel("tiny")
    x, w = m.input("x", (3, 4)), m.input("w", (4, 2))
    m.let("loss", sumsq(sigmoid(x @ w)))
    return m


def test_gradcheck_matrix_model_every_entry(monkeypatch):
    m = _tiny_matrix_model()
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    r = gradcheck(m, at={"x": x, "w": w})
    assert r.passed and r.checked == {"x": [12, 12], "w": [8, 8]}
    assert len(r.rows) == 20 and r.rows[0]["wrt"] == "x[0, 0]" and r.rows[-1]["wrt"] == "w[3, 1]"

    # independent reference: the loss and its gradient written in NumPy
    def loss(w_):
        return float(np.sum((1 / (1 + np.exp(-(x @ w_)))) ** 2))
    s_ = 1 / (1 + np.exp(-(x @ w)))
    grad_w = x.T @ (2 * s_ * s_ * (1 - s_))
    e = np.zeros_like(w)
    e[2, 1] = 1e-6
    fd = (loss(w + e) - loss(w - e)) / 2e-6
    row = next(row for row in r.rows if row["wrt"] == "w[2, 1]")
    assert row["numeric"] == pytest.approx(fd, rel=1e-6)
    assert row["symbolic"] == pytest.approx(grad_w[2, 1])
    # a wrong gradient entry is caught
    real = gradcheck_mod.derive

    def broken(*a, **k):
        d = real(*a, **k)
        d.gradients["w"] = np.array(d.gradients["w"], dtype=float)
        d.gradients["w"][1, 0] *= 1.5
        return d
    monkeypatch.setattr(gradcheck_mod, "derive", broken)
    bad = gradcheck(m, at={"x": x, "w": w})
    assert not bad.passed
    worst = max(bad.rows, key=lambda row: row["rel_error"])
    assert worst["wrt"] == "w[1, 0]" and worst["rel_error"] == pytest.approx(1 / 3, rel=1e-4)


def test_gradcheck_catalog_matrix_model_samples_deterministically(capsys):
    r = gradcheck("mlp-2layer")
    assert r.passed
    n = check_mod.MATRIX_SAMPLE
    assert r.checked["w1"][1] == 1000 * 100 and n <= r.checked["w1"][0] <= n + 1
    assert r.checked["w2"][1] == 100 * 10 and n <= r.checked["w2"][0] <= n + 1
    assert {"w1[0, 0]", "w1[999, 99]", "w2[0, 0]", "w2[99, 9]"} <= {row["wrt"] for row in r.rows}
    assert main(["check", "--gradcheck", "mlp-2layer"]) == 0
    out = capsys.readouterr().out
    assert "of 100000 entries checked" in out and "PASS" in out


def test_gradcheck_json_is_strict(capsys):
    assert main(["check", "--gradcheck", "sigmoid(x*y)", "--at", "x=0.3,y=-1.2",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True and [row["wrt"] for row in data["rows"]] == ["x", "y"]


def test_gradcheck_text_in_korean_has_the_english_numbers(capsys):
    """--lang ko: the same numbers in Korean words; both: each line in Korean, then English. The
    derivatives of sin(x)*y at (1, 2) are 2cos(1) and sin(1), recomputed here."""
    texts = {}
    for lang in ("en", "ko", "both"):
        assert main(["check", "--gradcheck", "sin(x)*y", "--at", "x=1,y=2", "--lang", lang]) == 0
        texts[lang] = capsys.readouterr().out.splitlines()
    en, ko, both = texts["en"], texts["ko"], texts["both"]
    dx = f"{2 * math.cos(1):.9g}"
    assert f"symbolic {dx}" in en[0] and f"기호 미분 {dx}" in ko[0]
    assert f"기호 미분 {math.sin(1):.9g}, 수치 미분" in ko[1]
    assert ko[-1].startswith("최대 절대 오차") and ko[-1].split(": ")[1].startswith("통과")
    assert both == [line for pair in zip(ko, en, strict=True) for line in pair]
    number = r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?"
    assert [re.findall(number, line) for line in ko] == [re.findall(number, line) for line in en]


def test_gradcheck_failure_in_korean_says_so():
    from symgrad.check.report import format_gradcheck

    result = gradcheck("x**3", at="x=1")
    result.passed = False
    assert format_gradcheck(result, lang="ko").splitlines()[-1].split(": ")[1].startswith("실패")
