"""The catalog's errata diagnosed (issue 15): each erratum's claim checked with the same search as
``symgrad check``, its correct value and its (missing) diagnosis recomputed here by hand; the
diagnosis in every document format and language; and ``check --lang ko|both``.

The references are written independently of symgrad: the seed 002 network's forward pass and
∂E/∂w9 by hand in floats, the wrong variants of the w9 step by hand, R(W) by hand."""

import json
import math
import re

import pytest

from symgrad import catalog
from symgrad.catalog import Erratum
from symgrad.check import check, report_json
from symgrad.check.claims import claims_from_data
from symgrad.check.errata import check_erratum, erratum_claims
from symgrad.check.verdict import check_claims
from symgrad.cli import main
from symgrad.render import build
from symgrad.render.prose import erratum_diagnosis

HANGUL = re.compile(r"[\uac00-\ud7a3]")
HOMEWORK = "examples/claims/homework_sigmoid_neuron.toml"


def sig(x):
    return 1.0 / (1.0 + math.exp(-x))


def net_forward(w, x1=20.0, x2=1.0, y=0.9):
    """Seed 002's network by hand: (units, ŷ, E)."""
    st11 = sig(x1 * w[1] + x2 * w[3])
    st12 = sig(x1 * w[2] + x2 * w[4])
    st21 = sig(st11 * w[5] + st12 * w[7])
    st22 = sig(st11 * w[6] + st12 * w[8])
    yhat = sig(st21 * w[9] + st22 * w[10])
    return (st21, st22), yhat, (y - yhat) ** 2


W0 = {1: 0.3, 2: 0.2, 3: 0.1, 4: 0.5, 5: 0.6, 6: 0.2, 7: 0.4, 8: 0.3, 9: 0.2, 10: 0.5}


def dE_dw9_by_hand(w, y=0.9):
    """The chain −2(y − ŷ) · ŷ(1 − ŷ) · st21, and its factors."""
    (st21, _), yhat, _ = net_forward(w)
    upstream, local = -2.0 * (y - yhat), yhat * (1.0 - yhat)
    return upstream * local * st21, (upstream, local, st21, yhat)


def test_every_erratum_carries_its_published_claim():
    for model in catalog.models():
        for i, e in enumerate(model.errata, 1):
            data = erratum_claims(model, i)
            assert data["claim"][-1] == e.claim
            assert float(e.claim["equals"]) == e.published
            if e.at:
                assert data["at"] == model.points[e.at]


def test_an_erratum_claiming_another_number_than_the_published_is_refused():
    with pytest.raises(ValueError, match="published"):
        Erratum("x", 0.5, 0.4, "why", claim={"value": "y", "equals": "0.6"})


def test_seed_002_w9_correct_value_and_no_known_mistake_by_hand():
    g, (upstream, local, st21, yhat) = dE_dw9_by_hand(W0)
    lr, published = 0.3, 0.237479
    right = W0[9] - lr * g
    r = check_erratum(catalog.get_model("net-2-2-2-1"), 1)
    assert not r.holds and r.claimed == published
    assert r.correct == pytest.approx(right, abs=1e-12)
    # the single mistakes a student makes on this step, by hand: none gives the published number
    wrong = {
        "update-sign": W0[9] + lr * g, "no lr": W0[9] - g, "lr twice": W0[9] - lr * lr * g,
        "σ′ = σ": W0[9] - lr * upstream * yhat * st21,
        "σ′ = 1 − σ": W0[9] - lr * upstream * (1 - yhat) * st21,
        "no factor 2": W0[9] - lr * g / 2, "upstream dropped at ŷ": W0[9] - lr * local * st21,
        "upstream dropped at st3_in": W0[9] - lr * st21,
    }
    tol = 5e-7                                        # half a unit of 0.237479's last digit
    assert all(abs(v - published) > tol for v in wrong.values()), wrong
    assert r.diagnosis is None
    assert r.searched.startswith("no single known mistake gives 0.237479 (")
    assert r.search.tried > len(wrong)


def test_seed_002_values_after_the_step_by_hand():
    g, _ = dE_dw9_by_hand(W0)
    w = {**W0, 9: W0[9] - 0.3 * g}
    _, yhat, err = net_forward(w)
    model = catalog.get_model("net-2-2-2-1")
    for number, right in ((2, yhat), (3, err)):
        r = check_erratum(model, number)
        assert r.correct == pytest.approx(right, abs=1e-12)
        assert not r.holds and r.diagnosis is None
    # the post's numbers are what its wrong w9 gives (so no mistake of the step explains them)
    _, yhat_post, err_post = net_forward({**W0, 9: 0.237479})
    assert abs(yhat_post - 0.618723) < 5e-7 and 0 <= err_post - 0.079116 < 1e-6


@pytest.mark.parametrize("model_id,square", [("reg-l2", True), ("reg-l1", False)])
def test_seed_004_regularization_by_hand(model_id, square):
    model = catalog.get_model(model_id)
    points = {"w1": [1.0, 0.0, 0.0, 0.0], "w2": [0.25] * 4}
    for i, e in enumerate(model.errata, 1):
        w = points[e.at]
        right = sum(v * v if square else abs(v) for v in w)
        post = sum((1 - v) ** 2 if square else abs(1 - v) for v in w)   # R(x − W), x = 1
        r = check_erratum(model, i)
        assert r.correct == pytest.approx(right, abs=1e-15)
        assert r.claimed == pytest.approx(post) and not r.holds
        assert r.diagnosis is None            # R(x − W) is no mistake of the library


def test_an_erratum_a_known_mistake_gives_is_diagnosed_and_shown():
    """The same path with a number a mistake does give: w9 after the step w + α·∂E/∂w."""
    g, _ = dE_dw9_by_hand(W0)
    climbed = f"{W0[9] + 0.3 * g:.6f}"
    model = catalog.get_model("net-2-2-2-1")
    data = erratum_claims(model, 1)
    data["claim"][-1] = dict(data["claim"][-1], equals=climbed)
    r = check_claims(claims_from_data("test", data)).claims[-1]
    assert r.diagnosis is not None and r.diagnosis.kind == "update-sign"
    assert r.diagnosis.reproduced == pytest.approx(W0[9] + 0.3 * g, abs=1e-12)
    en, ko = erratum_diagnosis(r, "en"), erratum_diagnosis(r, "ko")
    assert en == f"The published {climbed} is what you get with the step w + α·∂E/∂w."
    assert ko == f"갱신을 w + α·∂E/∂w로 하면 원문 값({climbed})이 그대로 나옵니다."


def _errata_section(text, fmt):
    if fmt == "tex":
        return text.split(r"\section*{")[-1]
    return text.rsplit("## ", 1)[-1]


EN = "No single known mistake gives 0.237479 ("
KO = "알려진 실수 하나로는 원문 값(0.237479)이 나오지 않습니다(실수 "


@pytest.mark.parametrize("fmt", ["md", "jekyll", "tex", "html"])
@pytest.mark.parametrize("lang", ["en", "ko", "both"])
def test_documents_show_the_diagnosis_in_their_language(fmt, lang):
    text = build("net-2-2-2-1", fmt, lang, static=True, show_progress=False).text
    tried = check_erratum(catalog.get_model("net-2-2-2-1"), 1).search.tried
    assert (f"{EN}{tried} mistakes tried)." in text) == (lang != "ko")
    assert (f"{KO}{tried}가지를 시도했습니다)." in text) == (lang != "en")
    assert "diagnosis" in text if lang != "ko" else "진단" in text


def test_regularization_document_diagnosis_in_tex_and_md():
    for fmt in ("md", "tex"):
        text = build("reg-l1", fmt, "en", static=True, show_progress=False).text
        assert text.count("No single known mistake gives 3 (1 mistake tried).") == 2


def test_check_lang_ko_prints_korean(capsys):
    assert main(["check", "--lang", "ko", HOMEWORK]) == 1
    out = capsys.readouterr().out
    assert "  주장 4 (13행) ∂f/∂s = -0.196612: 틀렸습니다 (올바른 값 0.196612, 허용 오차 5e-07)" \
        in out
    assert "    진단: `gate` e의 `local gradient` 부호를 반대로 하면 주장한 값(-0.196612)이 " \
        "그대로 나옵니다." in out
    assert out.rstrip().endswith("주장 5개 가운데 2개가 틀렸습니다")
    assert "FAILS" not in out and "holds" not in out and "diagnosis" not in out
    # every explanation line has Korean words, not only the verdicts
    for line in out.splitlines():
        if line.startswith("    ") and not line.startswith("    계산"):
            assert HANGUL.search(line), line


def test_check_lang_both_prints_each_claim_in_korean_then_english(capsys):
    assert main(["check", "--lang", "both", HOMEWORK]) == 1
    out = capsys.readouterr().out.splitlines()
    ko = out.index("  주장 1 (4행) f = 0.731059: 맞습니다 (올바른 값 0.731059, 허용 오차 5e-07)")
    assert out[ko + 1] == "  claim 1 (line 4) f = 0.731059: holds (correct 0.731059, tol 5e-07)"
    assert out[-2:] == ["주장 5개 가운데 2개가 틀렸습니다", "2 of 5 claims fail"]


def test_check_lang_en_is_the_default_text(capsys):
    assert main(["check", HOMEWORK]) == 1
    default = capsys.readouterr().out
    assert main(["check", "--lang", "en", HOMEWORK]) == 1
    assert capsys.readouterr().out == default
    assert not HANGUL.search(default.split("\n", 1)[1].replace("homework", ""))


def test_check_json_is_the_same_whatever_the_language(capsys):
    assert main(["check", "--format", "json", HOMEWORK]) == 1
    plain = capsys.readouterr().out
    assert main(["check", "--format", "json", "--lang", "ko", HOMEWORK]) == 1
    assert capsys.readouterr().out == plain
    data = json.loads(plain)
    keys = set(data["files"][0]["claims"][0])
    assert keys == {"number", "kind", "quantity", "claimed", "correct", "tol", "holds",
                    "derivation", "divergence", "remark", "note", "line", "diagnosis",
                    "searched"}
    d = data["files"][0]["claims"][3]["diagnosis"]
    assert set(d) == {"kind", "gate", "explanation", "explanation_ko", "reproduced", "also"}
    assert report_json(check(HOMEWORK)) == plain.rstrip("\n")


def test_korean_after_steps_report_of_seed_002():
    text = check("examples/claims/seed002_net.toml").text("ko")
    assert "  주장 10 (56행) 1번 갱신한 뒤의 w9 = 0.237479: 틀렸습니다" in text
    assert "    진단: 알려진 실수 하나로는 주장한 값(0.237479)이 나오지 않습니다(실수 " in text
    assert "    참고: 글에 적힌 잘못된 값(w9 = 0.237479)으로 계산해야만 맞습니다" in text
