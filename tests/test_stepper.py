"""The stepper's frames and HTML block (symgrad/stepper.py), without a browser.

The numbers are checked against ``Derivation.to_json()`` (what ``symgrad derive --format json``
prints), formatted here independently of the stepper's own helpers.
"""

import json
import re

import pytest

import symgrad
from symgrad import stepper

MODELS = [("sigmoid-neuron", None), ("net-2-2-2-1", None), ("(x+y)*z", "x=-2,y=5,z=-4"),
          ("softmax-ce", None)]


def fmt(v):
    """6 significant digits; zero is 0 (the caption's number format, docs/stepper.md)."""
    return "0" if v == 0 else f"{v:.6g}"


def fmt_factor(v):
    text = fmt(v)
    return f"({text})" if text.startswith("-") else text


@pytest.fixture(scope="module", params=MODELS, ids=[m for m, _ in MODELS])
def case(request):
    target, at = request.param
    d = symgrad.derive(target, at=at)
    return d, d.to_json(), stepper.frames(d)


def test_sequence_is_start_forward_then_the_json_steps(case):
    _, js, frames = case
    gates = [r["name"] for r in js["forward"] if r["op"] != "input"]
    assert [f.kind for f in frames] == ["start"] + ["forward"] * len(gates) + \
        ["backward"] * len(js["steps"])
    assert [f.index for f in frames] == list(range(len(frames)))
    assert [f.node for f in frames if f.kind == "forward"] == gates
    assert [(f.node, f.edge) for f in frames if f.kind == "backward"] == \
        [(s["gate"], f"{s['input']}->{s['gate']}") for s in js["steps"]]


def test_captions_carry_the_json_numbers(case):
    _, js, frames = case
    forward = [r for r in js["forward"] if r["op"] != "input"]
    for lang in ("en", "ko"):
        start = frames[0].caption[lang]
        for name, value in js["at"].items():
            assert f"{name} = {fmt(value)}" in start
        for f, row in zip([f for f in frames if f.kind == "forward"], forward):
            assert f.caption[lang].endswith(f" = {fmt(row['value'])}"), f.caption[lang]
            assert f"gate {row['name']}: {row['name']} = {row['expr']} = " in f.caption[lang]
        for f, s in zip([f for f in frames if f.kind == "backward"], js["steps"]):
            expected = f"{fmt(s['upstream'])} × {fmt_factor(s['local_value'])} = {fmt(s['downstream'])}"
            assert expected in f.caption[lang], (expected, f.caption[lang])
            assert f"∂{s['gate']}/∂{s['input']} = {s['local']}" in f.caption[lang]


def test_fan_out_shows_the_running_sum_and_the_total(case):
    _, js, frames = case
    backward = [f for f in frames if f.kind == "backward"]
    for acc in js["accumulations"]:
        mine = [f for f in backward if f.edge.startswith(acc["node"] + "->")]
        assert len(mine) == len(acc["parts"])
        terms = [fmt(acc["parts"][0]["value"])] + [fmt_factor(p["value"]) for p in acc["parts"][1:]]
        last = mine[-1].caption["en"]
        assert "so its gradients add" in last
        assert f"∂{js['output']}/∂{acc['node']} = {' + '.join(terms)} = {fmt(acc['total'])}" in last
        assert mine[-1].numbers["running_sum"] == pytest.approx(acc["total"])
        assert all("running sum so far" in f.caption["en"] for f in mine[:-1])


def test_net_has_fan_out():
    d = symgrad.derive("net-2-2-2-1")
    assert len(d.accumulations) >= 2     # so the fan-out test above is not vacuous


def test_reveals_every_label_once_by_the_end(case):
    d, js, frames = case
    shown = [key for f in frames for key in f.reveal]
    assert len(shown) == len(set(shown)) + sum(1 for s in js["steps"]) - \
        len({(s["input"], s["gate"]) for s in js["steps"]})    # a gate reading x twice: one edge
    assert {f"value:{n}" for n in d.values} <= set(shown)
    assert f"grad:{js['output']}->" in frames[len(js['forward']) - len(js['inputs']) + 1].reveal


def test_block_carries_the_contract():
    d = symgrad.derive("(x+y)*z", at="x=-2,y=5,z=-4")
    svg = stepper.graph_svg(d)
    block = stepper.stepper_block(d, "en", svg)
    head = block.split(">", 1)[0]
    assert " hidden" in head and "data-stepper" in head
    for action in ("first", "prev", "next", "last"):
        assert re.search(rf'<button type="button" data-step-action="{action}" aria-label="[^"]+"',
                         block)
    assert re.search(r"<p [^>]*data-step-caption[^>]*aria-live=\"polite\"", block)
    for name in ("x", "y", "z", "n1", "f"):
        assert f'data-node="{name}"' in svg
    for edge in ("x->n1", "n1->f", "z->f", "f->"):
        assert f'data-edge="{edge}"' in svg
    assert svg.count('data-part="gate"') == 2
    assert svg.count('data-label="value"') == svg.count('data-label="grad"') == 5
    data = re.search(r'<script type="application/json" data-step-data>(.*?)</script>', block, re.DOTALL)
    frames = json.loads(data.group(1))["frames"]
    assert len(frames) == 1 + 2 + 4
    assert frames[3]["caption"] == [["en", stepper.frames(d)[3].caption["en"]]]


def test_the_static_figure_is_unchanged_without_data_attributes():
    from symgrad.render import build

    html = build("circuit-xyz", "html", "en").text
    assert "data-node" not in html and "data-step" not in html


def test_both_languages_korean_first():
    d = symgrad.derive("sigmoid-neuron")
    block = stepper.stepper_block(d, "both", "")
    assert "다음 · Next" in block
    data = json.loads(re.search(r"data-step-data>(.*?)</script>", block, re.DOTALL).group(1))
    assert [lang for lang, _ in data["frames"][1]["caption"]] == ["ko", "en"]
    with pytest.raises(ValueError):
        stepper.stepper_block(d, "fr", "")


def test_script_json_cannot_close_the_script_element():
    text = stepper.script_json({"name": "</script><b>&amp;"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><b>&amp;"}


def test_user_text_is_escaped_and_the_page_is_offline_and_deterministic():
    d = symgrad.derive("(x+y)*z", at="x=-2,y=5,z=-4")
    d.target = "</title><script>alert(1)</script>"
    page = stepper.stepper_page(d, "en")
    assert "<script>alert(1)" not in page and "&lt;/title&gt;" in page
    assert page == stepper.stepper_page(d, "en")
    assert "default-src 'none'" in page
    for external in ("src=", "href=\"http", "@import", "url("):
        assert external not in page
    assert page.count("<script>") == 1


def test_matrix_frames_show_shapes():
    d = symgrad.derive("relu-2layer", matrix=True)
    frames = stepper.frames(d)
    js = d.to_json()
    assert len(frames) == 1 + len(js["forward"]) + len(js["steps"])
    assert [(f.node, f.edge) for f in frames if f.kind == "backward"] == \
        [(s["gate"], f"{s['input']}->{s['gate']}") for s in js["steps"]]
    for f, s in zip([f for f in frames if f.kind == "backward"], js["steps"]):
        ishape = "×".join(map(str, s["input_shape"])) or "scalar"
        assert f"{s['rule']}" in f.caption["en"] and f"its shape {ishape}" in f.caption["en"]
        assert s["downstream"] in f.caption["ko"]
    for f, r in zip([f for f in frames if f.kind == "forward"], js["forward"]):
        assert f"{r['name']} = {r['formula']}, shape {'×'.join(map(str, r['shape']))}" in \
            f.caption["en"]
    page = stepper.stepper_page(d, "ko")
    assert page.count('data-part="gate"') == len(js["forward"])
