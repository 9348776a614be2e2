"""Documents of large models summarize instead of growing unreadable: no graph drawn above
DRAWN_NODES nodes, no gate-by-gate steps above STEPPED_NODES, values only above
DETAILED_GRADIENTS gradients — each said in a sentence, in English and Korean."""

import math

import pytest

import symgrad
from symgrad.render import build
from symgrad.render.context import DETAILED_GRADIENTS, DRAWN_NODES, STEPPED_NODES

TERMS = 120          # f = Σ x_i·w_i: 3·TERMS − 1 nodes, TERMS·2 gradients


@pytest.fixture(scope="module")
def wide():
    program = "f = x1*w1\n" + "".join(f"f += x{i}*w{i}\n" for i in range(2, TERMS + 1))
    point = {**{f"x{i}": 0.5 + 0.01 * i for i in range(1, TERMS + 1)},
             **{f"w{i}": -0.2 + 0.003 * i for i in range(1, TERMS + 1)}}
    return symgrad.derive(program, at=point), point


def test_the_sizes_are_above_every_limit(wide):
    d, _ = wide
    assert len(d.forward) > max(DRAWN_NODES, STEPPED_NODES) and len(d.wrt) > DETAILED_GRADIENTS


@pytest.mark.parametrize("fmt", ["md", "html", "tex", "jekyll"])
def test_large_documents_say_what_they_leave_out(wide, fmt):
    d, point = wide
    en, ko = build(d, fmt, "en").text, build(d, fmt, "ko").text
    assert f"The graph has {len(d.forward)} nodes" in en and "gate-by-gate steps" in en
    assert f"노드가 {len(d.forward)}개" in ko and "값만 적습니다" in ko
    for text in (en, ko):
        assert "<svg" not in text and "data-stepper" not in text      # no figure, no stepper
    # the gradients are still all there, with the right values: ∂f/∂w_i = x_i
    md = build(d, "md", "en").text
    for i in (1, TERMS // 2, TERMS):
        assert f"{point[f'x{i}']:.6g}" in md
        assert math.isclose(d.gradients[f"w{i}"], point[f"x{i}"])


def test_catalog_documents_are_never_summarized():
    from symgrad.catalog import models

    biggest = max(len(symgrad.derive(m.id).forward) for m in models() if m.has_program)
    assert biggest <= DRAWN_NODES


@pytest.mark.parametrize("fmt", ["md", "tex", "html"])
def test_the_loss_curve_is_left_out_of_a_large_graph_with_a_sentence(monkeypatch, fmt):
    """Each point of the loss curve is a forward pass: above CURVE_NODES nodes the curve is not
    drawn (a 10,000-gate chain spent 8 s on it) and the update section says why, in en and ko.
    The limit is lowered here so that a 12-node chain stands for a large one."""
    import sys

    context = sys.modules["symgrad.render.context"]   # symgrad.render is also the function

    d = symgrad.derive("h = sin(x)\n" + "h = sin(h)\n" * 10 + "f = sin(h)\n", at="x=0.5")
    assert len(d.forward) == 13
    curve = "With only one parameter we can draw the whole picture"     # p_loss_curve
    assert curve in build(d, fmt, "en").text
    monkeypatch.setattr(context, "CURVE_NODES", 12)
    en, ko = build(d, fmt, "en"), build(d, fmt, "ko")
    assert curve not in en.text and not any("loss-curve" in name for name in en.files)
    assert "each of its points is a forward pass through the graph, and the graph has 13 nodes " \
           "(curves are drawn up to 12)" in " ".join(en.text.split())
    korean = " ".join(ko.text.split())
    assert "이 그래프는 노드가 13개라서" in korean and "곡선은 그리지 않았습니다" in korean
    assert "곡선은 노드 12개까지 그립니다" in korean


def test_documents_below_the_curve_limit_keep_the_curve():
    from symgrad.render.context import CURVE_NODES

    biggest = max(len(symgrad.derive(m.id).forward) for m in symgrad.catalog.models()
                  if m.has_program)
    assert biggest <= CURVE_NODES
