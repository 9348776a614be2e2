"""The stepper's frames and HTML block (symgrad/render/stepper.py), without a browser.

The numbers are checked against ``Derivation.to_json()`` (what ``symgrad derive --format json``
prints), formatted here independently of the stepper's own helpers.
"""

import json
import re

import numpy as np
import pytest

import symgrad
from symgrad.render import stepper

MODELS = [("sigmoid-neuron", None), ("net-2-2-2-1", None), ("(x+y)*z", "x=-2,y=5,z=-4"),
          ("softmax-ce", None)]


def fmt(v):
    """6 significant digits; zero is 0 (the caption's number format, docs/render.md)."""
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
        for f, row in zip([f for f in frames if f.kind == "forward"], forward, strict=True):
            assert f.caption[lang].endswith(f" = {fmt(row['value'])}"), f.caption[lang]
            assert f"gate {row['name']}: {row['name']} = {row['expr']} = " in f.caption[lang]
        for f, s in zip([f for f in frames if f.kind == "backward"], js["steps"], strict=True):
            expected = (f"{fmt(s['upstream'])} × {fmt_factor(s['local_value'])} = "
                        f"{fmt(s['downstream'])}")
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


def block_data(block):
    return json.loads(re.search(r'<script type="application/json" data-step-data>(.*?)</script>',
                                block, re.DOTALL).group(1))


def fill(template, values):
    return re.sub(r"\{(\d+)\}", lambda m: values[int(m.group(1))], template)


def script_captions(data):
    """The captions as the script writes them (templates.js's formatting, redone here)."""
    out = []
    for row in data["frames"]:
        texts = []
        for i, lang in enumerate(data["langs"]):
            texts.append((lang, "".join(fill(data["words"][key][i], values)
                                        for key, values in row[4])))
        out.append(texts)
    return out


def test_block_carries_the_contract():
    d = symgrad.derive("(x+y)*z", at="x=-2,y=5,z=-4")
    svg = stepper.graph_svg(d)
    block = stepper.stepper_block(d, "en", svg)
    head = block.split(">", 1)[0]
    assert " hidden" in head and "data-stepper" in head
    for action, label in (("first", "Start"), ("prev", "Previous"), ("next", "Next"),
                          ("last", "End")):
        assert f'<button type="button" data-step-action="{action}">{label}</button>' in block
    assert re.search(r"<p [^>]*data-step-caption[^>]*aria-live=\"polite\"", block)
    for name in ("x", "y", "z", "n1", "f"):
        assert f'data-node="{name}"' in svg
    for edge in ("x->n1", "n1->f", "z->f", "f->"):
        assert f'data-edge="{edge}"' in svg
    assert svg.count('data-part="gate"') == 2
    assert svg.count('data-label="value"') == svg.count('data-label="grad"') == 5
    data = block_data(block)
    assert len(data["frames"]) == 1 + 2 + 4
    captions = script_captions(data)
    assert [c[0][1] for c in captions] == [f.caption["en"] for f in stepper.frames(d)]
    assert "\n\n" not in block                  # one HTML block for kramdown


def test_html_page_has_the_stepper_and_static_has_none():
    from symgrad.render import build

    page = build("circuit-xyz", "html", "en").text
    static = build("circuit-xyz", "html", "en", static=True).text
    section = '<section class="symgrad-stepper" id="stepper" data-stepper'
    assert page.count(section) == 1 and page.index(section) < page.index("<h2>")
    assert page.count("<svg") == static.count("<svg")      # the figure is not copied
    assert "data-node" not in static and "data-step" not in static and "<script" not in static
    assert "#step-" not in static
    for frame in stepper.frames(symgrad.derive("circuit-xyz")):
        if frame.anchor:
            assert f'id="{frame.anchor}"' in page, frame.anchor
    assert page.count('href="#step-') == page.count('class="symgrad-step-link"') == 4
    assert build("circuit-xyz", "md", "en").text == build("circuit-xyz", "md", "en",
                                                          static=True).text
    assert "data-step" not in build("circuit-xyz", "md", "both").text
    matrix = build("mlp-2layer", "html", "en").text
    assert 'id="matrix-forward"' in matrix and 'id="matrix-backward"' in matrix
    assert "data-stepper" in matrix and "data-stepper" not in build("mlp-2layer", "md", "en").text


def test_jekyll_post_embeds_the_block_in_raw_tags():
    from symgrad.render import build

    post = build("net-2-2-2-1", "jekyll", "both").text
    body = post.split("---", 2)[2]
    start, end = body.index("{% raw %}"), body.index("{% endraw %}")
    assert body.count("{% raw %}") == body.count("{% endraw %}") == 1   # one region: block, post
    raw = body[start + len("{% raw %}"):end]
    block = raw[:raw.index("</section>") + len("</section>")]
    assert block.lstrip().startswith("<section") and "\n\n" not in block
    assert "{%" not in block and "{{" not in block
    assert body[:start].strip() == "" and raw[len(block):].startswith("\n\n")
    assert "data-stepper" not in build("net-2-2-2-1", "jekyll", "both", static=True).text
    # a Liquid-like text in the data cannot end the raw region
    assert "{%" not in stepper.script_json({"t": "{% endraw %}{{ x }}"})
    assert stepper.jekyll_html("<p>{% endraw %}</p>") == "<p>{&#37; endraw %}</p>"


def test_cli_static_flag(tmp_path):
    from symgrad.cli import main

    assert main(["render", "circuit-xyz", "--format", "html", "-o", str(tmp_path)]) == 0
    assert main(["render", "circuit-xyz", "--format", "html", "--static", "-o",
                 str(tmp_path / "s")]) == 0
    assert "data-stepper" in (tmp_path / "circuit-xyz.html").read_text(encoding="utf-8")
    assert "data-stepper" not in (tmp_path / "s" / "circuit-xyz.html").read_text(encoding="utf-8")


def test_page_size_stays_under_one_and_a_half_times_the_static_page():
    """The smallest pages (the largest share of stepper) of the catalog, measured over all of it
    when this was written: circuit-xyz and the matrix-level mlp-2layer."""
    from symgrad.render import build

    for model in ("circuit-xyz", "mlp-2layer", "chain-rule"):
        for lang in ("en", "both"):
            full = len(build(model, "html", lang).text.encode())
            static = len(build(model, "html", lang, static=True).text.encode())
            assert full < 1.5 * static, (model, lang, full / static)


def test_both_languages_korean_first():
    d = symgrad.derive("sigmoid-neuron")
    block = stepper.stepper_block(d, "both")
    assert "다음 · Next" in block
    data = block_data(block)
    assert data["langs"] == ["ko", "en"]
    first = script_captions(data)[1]
    assert first == [(x, stepper.frames(d)[1].caption[x]) for x in ("ko", "en")]
    with pytest.raises(ValueError):
        stepper.stepper_block(d, "fr")


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
    for f, s in zip([f for f in frames if f.kind == "backward"], js["steps"], strict=True):
        ishape = "×".join(map(str, s["input_shape"])) or "scalar"
        assert f"rule {s['rule']}," in f.caption["en"]
        assert f"{ishape}, the shape of {s['input']} ✓" in f.caption["en"]
        assert s["downstream"] in f.caption["ko"]
    for f, r in zip([f for f in frames if f.kind == "forward"], js["forward"], strict=True):
        assert f"{r['name']} = {r['formula']}, shape {'×'.join(map(str, r['shape']))}" in \
            f.caption["en"]
    page = stepper.stepper_page(d, "ko")
    assert page.count('data-part="gate"') == len(js["forward"])
    # the arrays the derivation holds: small inputs and the parameters' gradients, written out
    start = frames[0].caption["en"]
    for name in js["inputs"]:
        assert f"{name} = " in start
    for name, grad in js["gradients"].items():
        done = [f for f in frames if f.kind == "backward" and f.numbers.get("gradient")
                and f.edge.startswith(name + "->")]
        assert len(done) == 1
        assert np.allclose(done[0].numbers["gradient"], grad)
        text = "[" + ", ".join("[" + ", ".join(fmt(v) for v in row) + "]" for row in grad) + "]"
        assert f"∂{js['output']}/∂{name} is complete: " in done[0].caption["en"]
        assert text in done[0].caption["en"], (text, done[0].caption["en"])
    rows = [f for f in frames if f.kind == "forward" and f.node == js["output"]]
    assert rows[0].caption["en"].endswith(f", value {fmt(js['value'])}")
