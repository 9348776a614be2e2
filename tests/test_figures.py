"""The graph figures read at column width: measured from the SVG that is written, not from the
layout code. No two texts overlap, no edge segment crosses a text, the figure fits an 820 px
column (so it is shown at full size) and no text is under 11 px. Every catalog graph, and random
user graphs of 20-60 nodes.

Run as a script, it prints the table of the issue's closing note (per catalog model: width and
collisions of the committed gallery at a git revision, and of the current code):
``PYTHONPATH=. python tests/test_figures.py [REV]`` (REV defaults to HEAD).
"""

import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import symgrad
from symgrad import catalog, figures
from symgrad.render.environment import ENV

NS = "{http://www.w3.org/2000/svg}"
COLUMN = 820
MIN_FONT = 11.0
CHAR_EM = 0.70        # widest DejaVu Sans Bold digit is 0.696 em: every character counted that wide
ROOT = Path(__file__).resolve().parent.parent


def _texts_and_lines(svg):
    """([(text, font size, (x0, y0, x1, y1))], [(x1, y1, x2, y2)]) of an SVG, with the font size
    and text-anchor inherited from enclosing groups."""
    root = ET.fromstring(svg)
    texts, lines = [], []

    def walk(el, size, anchor):
        size = float(el.get("font-size", size))
        anchor = el.get("text-anchor", anchor)
        if el.tag == f"{NS}text" and (el.text or "").strip():
            text = el.text.strip()
            x, y, w = float(el.get("x")), float(el.get("y")), CHAR_EM * size * len(text)
            x0 = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
            texts.append((text, size, (x0, y - 0.76 * size, x0 + w, y + 0.2 * size)))
        if el.tag == f"{NS}line":
            lines.append(tuple(float(el.get(k)) for k in ("x1", "y1", "x2", "y2")))
        if el.tag == f"{NS}polyline":
            points = [tuple(map(float, p.split(","))) for p in el.get("points").split()]
            lines.extend(a + b for a, b in zip(points, points[1:], strict=False))
        for child in el:
            walk(child, size, anchor)

    walk(root, 16.0, "start")
    return texts, lines, float(root.get("width"))


def _overlap(a, b, slack=0.5):
    return (a[0] + slack < b[2] and b[0] + slack < a[2] and
            a[1] + slack < b[3] and b[1] + slack < a[3])


def _crosses(seg, box, slack=0.5):
    """Does segment ``seg`` pass through the inside of ``box`` (Liang-Barsky clipping)?"""
    x1, y1, x2, y2 = seg
    x0, y0, xe, ye = box[0] + slack, box[1] + slack, box[2] - slack, box[3] - slack
    dx, dy = x2 - x1, y2 - y1
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x1 - x0), (dx, xe - x1), (-dy, y1 - y0), (dy, ye - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return False
    return True


def measure(svg):
    """{width, min_font, text_overlaps: [(a, b)], struck: [text]} of a graph SVG."""
    texts, lines, width = _texts_and_lines(svg)
    overlaps = [(a[0], b[0]) for i, a in enumerate(texts) for b in texts[i + 1:]
                if _overlap(a[2], b[2])]
    struck = [t[0] for t in texts if any(_crosses(s, t[2]) for s in lines)]
    return {"width": width, "min_font": min(t[1] for t in texts), "text_overlaps": overlaps,
            "struck": struck}


def graph_svg(d):
    return ENV.get_template("graph.svg.j2").render(
        L=figures.graph_layout(d), value_colour=figures.VALUE_COLOUR,
        grad_colour=figures.GRAD_COLOUR)


def assert_readable(svg, what):
    m = measure(svg)
    assert m["width"] <= COLUMN, f"{what}: {m['width']} px wide, over the {COLUMN} px column"
    assert m["min_font"] >= MIN_FONT, f"{what}: text at {m['min_font']} px"
    assert not m["text_overlaps"], f"{what}: overlapping texts {m['text_overlaps'][:4]}"
    assert not m["struck"], f"{what}: edges cross {m['struck'][:6]}"


SCALAR_MODELS = [m.id for m in catalog.models() if not m.id.startswith("mlp-2layer")]


@pytest.mark.parametrize("model", SCALAR_MODELS)
def test_catalog_graph_reads_at_column_width(model):
    d = symgrad.derive(model)
    if not hasattr(d, "graph"):
        pytest.skip("a matrix model has no circuit figure")
    assert_readable(graph_svg(d), model)


def random_program(rng, gates):
    """A random program of ``gates`` assignments over a few inputs, each reading one or two
    earlier names (so fan-out and long edges occur), all folded into the output."""
    names = [f"x{i}" for i in range(1, rng.randint(3, 7))]
    lines, pool, unread = [], list(names), set()
    for k in range(1, gates + 1):
        a, b = rng.choice(pool[-6:] + names), rng.choice(pool)
        kind = rng.random()
        expr = (f"{a} + {b}" if kind < 0.35 else f"{a} * {b}" if kind < 0.65 else
                f"tanh({a})" if kind < 0.8 else f"sigmoid({a} - {b})")
        lines.append(f"g{k} = {expr}")
        unread.add(f"g{k}")
        unread.difference_update(re.findall(r"\w+", expr)[1:] if "(" in expr else
                                 re.findall(r"\w+", expr))
        pool.append(f"g{k}")
    lines.append("out = " + " + ".join(sorted(unread | {f"g{gates}"})))
    text = "\n".join(lines) + "\n"
    used = sorted(n for n in names if re.search(rf"\b{n}\b", text))
    return text, {n: round(rng.uniform(-1, 1), 2) for n in used}


@pytest.mark.parametrize("seed", range(8))
def test_random_user_graph_reads_at_column_width(seed):
    rng = random.Random(seed)
    text, point = random_program(rng, rng.randint(10, 26))
    d = symgrad.derive(text, at=",".join(f"{k}={v}" for k, v in point.items()))
    nodes = len(d.values)
    assert 20 <= nodes <= 60, f"seed {seed}: {nodes} nodes, not the 20-60 this test is about"
    assert_readable(graph_svg(d), f"seed {seed} ({nodes} nodes): {text}")


def test_the_measure_catches_collisions():
    """The checks are not vacuous: a label drawn over another, and an edge through a label."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="900" height="100">'
           '<g font-size="12"><text x="10" y="20">0.4</text><text x="20" y="20">0.9978</text>'
           '<text x="100" y="60">24.53</text></g>'
           '<polyline points="80,40 90,55 200,56"/></svg>')
    m = measure(svg)
    assert m["width"] == 900 and m["text_overlaps"] == [("0.4", "0.9978")]
    assert m["struck"] == ["24.53"]


@pytest.mark.parametrize("value,text", [
    (-1.439e-05, "-0.00001439"), (1.44e-5, "0.0000144"), (0.9978, "0.9978"), (188.7, "188.7"),
    (61720.2, "61720"), (8.76408e9, "8.764e+09"), (2.5e-8, "2.5e-08"), (0.1 + 0.2, "0.3"),
    (0, "0"), (9.99996e-6, "0.00001"), (1234567, "1235000")])
def test_numbers_have_four_digits_and_no_e_noise(value, text):
    assert figures.short(value) == text
    assert float(text) == pytest.approx(value, rel=5e-4)


def test_every_edge_has_an_arrowhead_and_the_pdf_solid_lines():
    d = symgrad.derive("net-2-2-2-1")
    layout = figures.graph_layout(d)
    svg = graph_svg(d)
    assert svg.count("<path d=\"M") == len(layout.edges) + 1          # + the legend's arrow
    assert "stroke-dasharray" not in svg
    tex = ENV.get_template("graph.tex.j2").render(L=layout, value_colour="1A7F37",
                                                  grad_colour="C62828")
    assert tex.count(r"\vector(") == len(layout.edges)
    assert r"\qbeziermax}{3000}" in tex and "e-0" not in tex
    assert tex.count(r"\begin{picture}") >= 2          # a tall graph runs on over pieces


def test_figure_text_in_korean():
    d = symgrad.derive("circuit-xyz")
    svg = ENV.get_template("graph.svg.j2").render(
        L=figures.graph_layout(d, lang="ko"), value_colour=figures.VALUE_COLOUR,
        grad_colour=figures.GRAD_COLOUR)
    assert "순전파 값" in svg and "forward value" not in svg and "f의 계산 그래프" in svg
    both = figures.graph_layout(d, lang="both")
    assert both.legend_value == "순전파 값 · forward value"
    assert "함수와 도함수" in figures.activation_svg("sigmoid", (), lang="ko")
    with pytest.raises(ValueError):
        figures.graph_layout(d, lang="fr")


def test_layout_is_deterministic():
    d = symgrad.derive("sigmoid-3layer")
    assert graph_svg(d) == graph_svg(symgrad.derive("sigmoid-3layer"))


# --- the table of the closing note ---------------------------------------------------------
def _committed_svg(rev, model):
    path = f"output/{model}/{model}-graph.svg"
    done = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"], capture_output=True,
                          text=True)
    return done.stdout if done.returncode == 0 else None


def table(rev="HEAD"):
    rows = ["| model | nodes | before: width, overlaps, struck | after: width, overlaps, struck |",
            "| --- | --- | --- | --- |"]
    for model in SCALAR_MODELS:
        d = symgrad.derive(model)
        if not hasattr(d, "graph"):
            continue
        cells = []
        for svg in (_committed_svg(rev, model), graph_svg(d)):
            if svg is None:
                cells.append("-")
                continue
            m = measure(svg)
            cells.append(f"{m['width']:.0f} px, {len(m['text_overlaps'])}, {len(m['struck'])}")
        rows.append(f"| {model} | {len(d.values)} | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(sys.argv[1] if len(sys.argv) > 1 else "HEAD"))
