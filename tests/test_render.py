"""Tests of symgrad.render and symgrad.figures: every catalog model in every format and language,
math that parses, LaTeX that compiles, HTML that opens in Chromium, deterministic output, and a
committed gallery (output/) that matches the code.

Numbers are checked against independent references: SymPy's own diff of the model written by hand,
and gradient-descent arithmetic done here.
"""

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sympy

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from symgrad import catalog
from symgrad.cli import main
from symgrad.derivation import derive
from symgrad.errors import SymgradError
from symgrad.render import (
    REFRESH,
    ROW_EM,
    aligned_rows,
    build,
    math_width,
    polite_ko,
    render_all,
    ro_particle,
    split_math,
    strings,
    templates_dir,
)

ROOT = Path(__file__).resolve().parent.parent
MODELS = [m.id for m in catalog.models()]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
CHROMIUM = "/usr/bin/chromium"
GREEN, RED = "#1a7f37", "#c62828"


# --- helpers --------------------------------------------------------------------------------------
def display_blocks(markdown):
    """The contents of the $$ display blocks; asserts each $$ sits alone on a line between blank
    lines."""
    lines = markdown.split("\n")
    blocks, current, start = [], None, None
    for i, line in enumerate(lines):
        if line.strip() == "$$":
            if current is None:
                assert i == 0 or lines[i - 1].strip() == "", (
                    f"no blank line before $$ at line {i + 1}"
                )
                current, start = [], i
            else:
                assert i + 1 == len(lines) or lines[i + 1].strip() == "", (
                    f"no blank line after $$ at line {i + 1}"
                )
                blocks.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
        else:
            assert "$$" not in line, f"$$ inside a line (line {i + 1}): {line[:80]}"
    assert current is None, f"unclosed $$ block opened at line {start + 1}"
    return blocks


def inline_maths(markdown):
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    text = re.sub(r"<svg.*?</svg>", "", text, flags=re.S)
    text = re.sub(r"^\$\$$.*?^\$\$$", "", text, flags=re.S | re.M)
    return re.findall(r"\$([^$\n]+)\$", text)


def check_math(latex):
    """The portability rules: aligned not align, no bare |, Korean only inside \\text{}."""
    assert r"\begin{align}" not in latex and r"\begin{align*}" not in latex, latex
    assert "|" not in latex, f"bare | in math: {latex[:120]}"
    outside_text = re.sub(r"\\text\{[^{}]*\}", "", latex)
    assert not HANGUL.search(outside_text), f"Korean inside math: {latex[:120]}"
    assert latex.count("{") == latex.count("}"), f"unbalanced braces: {latex[:120]}"


def check_markdown(markdown):
    from markdown_it import MarkdownIt

    for block in display_blocks(markdown):
        check_math(block)
    for math in inline_maths(markdown):
        check_math(math)
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    assert any(t.type == "heading_open" for t in tokens)
    assert any(t.type == "table_open" for t in tokens)


def jekyll_body(post):
    """A Jekyll post's body as GitHub Markdown: the front matter and the Liquid raw block taken
    off, kramdown's inline $$…$$ (inside a line) written $…$ again, so the checks above apply."""
    body = post.split("---", 2)[2]
    assert body.count("{% raw %}") == 1 and body.count("{% endraw %}") == 1, "body not raw"
    body = body.replace("{% raw %}\n", "", 1).replace("\n{% endraw %}", "", 1)
    return "\n".join(line if line.strip() == "$$" else re.sub(r"\$\$([^$\n]+?)\$\$", r"$\1$", line)
                     for line in body.split("\n"))


def check_html(html):
    assert "$$" not in html, "raw $$ left in the HTML"
    assert "\\frac" not in html and "\\partial" not in html, "raw LaTeX left in the HTML"
    # the only scripts are the stepper's (its data and its code), inside its block
    stepper = re.search(r'<section class="symgrad-stepper".*?</section>', html, flags=re.S)
    outside = html.replace(stepper.group(0), "") if stepper else html
    assert "<script" not in outside.lower()
    if stepper:
        assert stepper.group(0).lower().count("<script") == 2
    assert not re.search(r'(src|href)="(https?:)?//', html), (
        "the page loads something from the network"
    )
    maths = re.findall(r"<math.*?</math>", html, flags=re.S)
    assert maths, "no MathML in the page"
    for m in maths:
        ET.fromstring(m)        # well-formed XML, or ParseError
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        ET.fromstring(svg)


def svg_texts(svg, colour):
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    out = []
    for group in root.iter(f"{ns}g"):
        for t in group.iter(f"{ns}text"):
            if (t.get("fill") or group.get("fill")) == colour and re.fullmatch(
                r"-?[0-9.e+-]+", t.text
            ):
                out.append(t.text)
    return out


def label_boxes(svg):
    """The boxes of the edge labels (green values, red gradients) of a graph SVG: 12px bold text
    centred on x with its baseline at y, about 7.2px per character of DejaVu Sans Bold."""
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    boxes = []
    for group in root.iter(f"{ns}g"):
        if group.get("text-anchor") != "middle" or group.get("font-weight") != "bold":
            continue
        for t in group.iter(f"{ns}text"):
            if t.get("fill") in (GREEN, RED) and re.fullmatch(r"-?[0-9.e+-]+", t.text or ""):
                x, y, w = float(t.get("x")), float(t.get("y")), 7.2 * len(t.text)
                boxes.append((t.text, x - w / 2, y - 10, x + w / 2, y + 1))
    return boxes


def graph_nodes(model):
    d = derive(model)
    return len(d.graph.nodes) if hasattr(d, "graph") else None


# the scalar catalog graphs of up to 30 nodes (larger ones are drawn, but labels may crowd)
SMALL_GRAPHS = [m for m in MODELS if (graph_nodes(m) or 99) <= 30]


@pytest.mark.parametrize("model", SMALL_GRAPHS)
def test_graph_labels_do_not_overlap(model, tmp_path):
    assert main(["render", model, "--lang", "en", "-o", str(tmp_path)]) == 0
    boxes = label_boxes((tmp_path / f"{model}-graph.svg").read_text(encoding="utf-8"))
    assert len(boxes) >= 2
    clashes = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
               if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]]
    assert not clashes, f"{model}: overlapping labels {clashes[:4]}"


# --- every model, every format, every language ----------------------------------------------------
@pytest.fixture(scope="session")
def gallery(tmp_path_factory):
    """The gallery rendered from the current code and templates (md+html in both languages, tex
    en)."""
    out = tmp_path_factory.mktemp("gallery")
    render_all(out)
    return out


MATPLOTLIB_SVG = re.compile(r"<svg\b(?:(?!</svg>).)*?id=\"matplotlib\.axis.*?</svg>", re.S)


def without_matplotlib_figures(data):
    """The text with every matplotlib-drawn <svg>...</svg> replaced by a marker (its bytes change
    between matplotlib releases; everything else symgrad writes itself)."""
    return MATPLOTLIB_SVG.sub("<svg matplotlib/>", data.decode("utf-8"))


def test_gallery_is_current(gallery):
    committed = ROOT / "output"
    fresh = {p.relative_to(gallery).as_posix(): p for p in gallery.rglob("*") if p.is_file()}
    old = {p.relative_to(committed).as_posix(): p for p in committed.rglob("*") if p.is_file()} \
        if committed.is_dir() else {}
    hint = f"output/ is stale; refresh it with: {REFRESH}"
    assert sorted(fresh) == sorted(old), f"{hint} (files differ: " \
        f"{sorted(set(fresh) ^ set(old))[:5]})"
    import matplotlib

    pinned = re.search(r'"matplotlib==([0-9.]+)', (ROOT / "pyproject.toml").read_text()).group(1)
    if matplotlib.__version__ == pinned:        # the release that made output/: byte for byte
        stale = [name for name in fresh if fresh[name].read_bytes() != old[name].read_bytes()]
    else:   # another release draws its plots differently: compare everything but those plots
        stale = [name for name in fresh if not name.endswith(".pdf") and without_matplotlib_figures(
            fresh[name].read_bytes()) != without_matplotlib_figures(old[name].read_bytes())]
        for name in fresh:
            if name.endswith(".svg"):
                ET.fromstring(fresh[name].read_bytes())
            elif name.endswith(
                ".pdf"
            ):  # the plot PDFs are matplotlib's too: only their kind is compared
                assert fresh[name].read_bytes()[:5] == b"%PDF-", name
    assert not stale, f"{hint} (changed: {stale[:5]})"


def test_matplotlib_figures_are_masked_and_nothing_else():
    page = (ROOT / "output" / "act-relu" / "act-relu.html").read_bytes()
    masked = without_matplotlib_figures(page)
    assert masked.count("<svg matplotlib/>") == 2 and masked.count("<svg") == 3   # the graph stays
    assert "computational graph of" in masked and "matplotlib.axis" not in masked


@pytest.mark.parametrize("model", MODELS)
def test_gallery_documents_of_each_model(gallery, model):
    folder = gallery / model
    md = (folder / "README.md").read_text(encoding="utf-8")
    check_markdown(md)
    assert HANGUL.search(md) and "Backward pass" in md          # both languages
    html = (folder / f"{model}.html").read_text(encoding="utf-8")
    check_html(html)
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):     # every linked figure exists
        assert (folder / image).is_file(), image
    tex = (folder / f"{model}.tex").read_text(encoding="utf-8")
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    for figure in re.findall(
        r"\\includegraphics\[[^]]*\]\{([^}]+)\}", tex
    ):  # the article's plots are beside it
        assert (folder / figure).read_bytes()[:5] == b"%PDF-", figure


@pytest.mark.parametrize("model", MODELS)
def test_every_model_in_the_other_formats_and_languages(model):
    jekyll = build(model, "jekyll", "both").text
    assert jekyll.startswith("---\nlayout: post\ntitle: ")
    assert "use_math: true" in jekyll.split("---")[1]
    check_markdown(jekyll_body(jekyll))
    en = build(model, "md", "en").text
    ko = build(model, "md", "ko").text
    check_markdown(en)
    check_markdown(ko)
    assert not HANGUL.search(en)
    assert HANGUL.search(ko)
    assert "(으)로" not in ko and "(이)" not in ko and "을/를" not in ko and "은/는" not in ko
    prose = re.sub(r"<svg.*?</svg>|```.*?```", "", ko, flags=re.S)
    assert not re.search(r"(?<!니)다\.(\s|$)", prose), (
        "a sentence in the plain -다 style among -습니다 prose"
    )
    assert ko.startswith("# ") and HANGUL.search(ko.splitlines()[0]), (
        "the Korean document has an English title"
    )
    tex = build(model, "tex", "both").text
    assert (
        "\\usepackage{kotex}" in tex and "\\usepackage{kotex}" not in build(model, "tex", "en").text
    )
    html_ko = build(model, "html", "ko").text
    check_html(html_ko)


# --- the numbers, against independent references --------------------------------------------------
def test_linear_mse_post_is_publishable(tmp_path):
    """The issue's acceptance check: front matter, both languages, the circuit, the backward pass,
    ∂loss/∂w = −2 and the update, with the numbers recomputed here."""
    assert (
        main(
            [
                "render",
                "linear-mse",
                "--lang",
                "both",
                "--format",
                "jekyll",
                "--date",
                "2024-03-04",
                "-o",
                str(tmp_path),
            ]
        )
        == 0
    )
    post = (tmp_path / "2024-03-04-linear-mse.md").read_text(encoding="utf-8")
    front, body = post.split("---", 2)[1], jekyll_body(post)
    assert "layout:" in front and "title:" in front and "categories:" in front and "tags:" in front
    assert "use_math: true" in front
    assert HANGUL.search(body) and "Backward pass" in body

    w, x, y = sympy.symbols("w x y")
    point = {w: 1, x: 1, y: 2}
    grad = sympy.diff((w * x - y) ** 2, w).subs(point)          # −2, by SymPy directly
    new_w = 1 - sympy.Rational(1, 10) * grad                    # 1.2
    new_loss = ((new_w * x - y) ** 2).subs({x: 1, y: 2})        # 0.64
    blocks = display_blocks(body)
    gradient_block = (
        r"\\frac\{\\partial \\mathrm\{loss\}\}\{\\partial w\} &=.*= "
        + str(grad)
        + r"\s*\\end\{aligned\}$"
    )
    assert any(re.search(gradient_block, b, re.S) for b in blocks), (
        "no block ends with ∂loss/∂w = -2"
    )
    update = [b for b in blocks if "\\leftarrow" in b][0]
    assert f"= 1 - 0.1 \\cdot ({grad}) = {float(new_w):g}" in update
    assert f"${float(new_loss):g}$" in body

    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    values = svg_texts(svg, GREEN)
    grads = svg_texts(svg, RED)
    assert str(grad) in grads and "1" in values                 # ∂loss/∂w on the w edge; w = 1
    assert "x²" in svg and "×" in svg and "−" in svg


def test_circuit_figure_values_and_gradients():
    """Every edge of the cs231n circuit carries its forward value and its gradient (SymPy
    reference)."""
    from symgrad.render import make_figures

    d = derive("circuit-xyz")
    figs, layout = make_figures(d, 0.1)
    x, y, z = sympy.symbols("x y z")
    f = (x + y) * z
    at = {x: -2, y: 5, z: -4}
    expected = {
        ("x", "q"): (-2, sympy.diff(f, x).subs(at)),
        ("y", "q"): (5, sympy.diff(f, y).subs(at)),
        ("z", "f"): (-4, sympy.diff(f, z).subs(at)),
        ("q", "f"): (3, z.subs(at)),
    }
    edges = {(e.source, e.target): (float(e.value), float(e.grad)) for e in layout.edges}
    for key, (value, gradient) in expected.items():
        assert edges[key] == (float(value), float(gradient)), key
    assert edges[("f", "")] == (float(f.subs(at)), 1.0)
    boxes = {b.name: b for b in layout.boxes}
    assert max(b.x for b in layout.boxes if b.is_input) < boxes["f"].x  # inputs left of the output
    assert boxes["f"].x == max(b.x for b in layout.boxes)
    svg = figs[0].svg
    assert sorted(svg_texts(svg, GREEN)) == sorted(["-2", "5", "-4", "3", "-12"])
    assert sorted(svg_texts(svg, RED)) == sorted(["-4", "-4", "3", "-4", "1"])


def test_fan_out_gradients_add():
    """x is used twice, so its two gradients add: d/dx (x·y + x) = y + 1."""
    md = build("x*y + x", "md", "en", at="x=3,y=2").text
    x, y = sympy.symbols("x y")
    total = sympy.diff(x * y + x, x).subs({x: 3, y: 2})
    assert "is used 2 times" in md
    assert re.search(r"\\frac\{\\partial f\}\{\\partial x\} = (2 \+ 1|1 \+ 2) = " + str(total), md)


def test_loss_curve_descends_along_the_gradient():
    from symgrad.figures import descent_path

    d = derive("linear-mse")
    path = descent_path(d, "w", 0.1, steps=3)
    w = 1.0
    for w_k, loss_k, grad_k in path:                 # w ← w − 0.1·2x(wx − y), x = 1, y = 2, by hand
        assert w_k == pytest.approx(w)
        assert loss_k == pytest.approx((w - 2) ** 2)
        assert grad_k == pytest.approx(2 * (w - 2))
        w -= 0.1 * 2 * (w - 2)


def test_activation_plot_uses_the_rule_table_derivative():
    from symgrad.figures import activation_curve

    a = sympy.Symbol("a")
    for op, f in (("sigmoid", 1 / (1 + sympy.exp(-a))), ("tanh", sympy.tanh(a))):
        xs, fs, dfs = activation_curve(op)
        df = sympy.lambdify(a, sympy.diff(f, a))
        for i in range(0, len(xs), 37):
            assert dfs[i] == pytest.approx(float(df(xs[i])), rel=1e-9, abs=1e-12)
            assert fs[i] == pytest.approx(float(f.subs(a, xs[i])), rel=1e-9)


# --- Korean prose ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "number, particle",
    [
        ("0", "으로"),
        ("1", "로"),
        ("2", "로"),
        ("3", "으로"),
        ("4", "로"),
        ("5", "로"),
        ("6", "으로"),
        ("7", "로"),
        ("8", "로"),
        ("9", "로"),
        ("10", "으로"),
        ("12", "로"),
        ("100", "으로"),
        ("3000", "으로"),
        ("20000", "으로"),
        ("100000", "으로"),
        ("1000000000000", "로"),  # 일조
        ("0.64", "로"),
        ("0.10", "으로"),
        ("1.0", "으로"),
        ("-0.5", "로"),
        ("-13", "으로"),
        ("0.229918", "로"),
        ("1.2e-05", None),
        (r"1.2\times 10^{-5}", None),
        (r"\infty", None),
        ("x", None),
        ("", None),
    ],
)
def test_ro_particle_follows_the_korean_reading(number, particle):
    assert ro_particle(number) == particle


def test_update_sentence_takes_the_particle_of_the_new_value():
    """f = 2w and one step of α = 0.1 (∂f/∂w = 2): f goes to 2(w − 0.2). Read aloud, 3 (삼)
    takes 으로 and 2.7 (이 점 칠) takes 로; a number written with a power of ten is not read, so
    that sentence needs no particle."""
    for w, shown, particle in ((1.7, "3", "으로"), (1.55, "2.7", "로")):
        assert f"{2 * (w - 0.1 * 2):g}" == shown
        text = build("2*w", "md", "ko", at=f"w={w}", lr=0.1).text
        assert f"${shown}${particle} 바뀝니다" in text
    after = (0.001 - 0.1 * 2 * 0.001) ** 2
    assert f"{after:g}" == "6.4e-07"
    text = build("w**2", "md", "ko", at="w=0.001", lr=0.1).text
    assert "한 걸음 뒤에는 $6.4\\times 10^{-7}$입니다" in text
    assert "(으)로" not in text and "로 바뀝니다" not in text


def test_polite_ko_turns_plain_sentences_into_the_documents_style():
    cases = {
        "0.229918이 나온다.": "0.229918이 나옵니다.",
        "w9는 약 0.0299만큼만 커진다.": "w9는 약 0.0299만큼만 커집니다.",
        "잘못 구한 값이다.": "잘못 구한 값입니다.",
        "R(x − W)를 계산했다. 그러나 정의는 R(W)이다.":
            "R(x − W)를 계산했습니다. 그러나 정의는 R(W)입니다.",
        "줄어든다는 결론은 그대로 맞다.": "줄어든다는 결론은 그대로 맞습니다.",
        "그 값은 아니다.": "그 값은 아닙니다.",
        "이미 맞습니다. 값은 1입니다.": "이미 맞습니다. 값은 1입니다.",
    }
    for plain, polite in cases.items():
        assert polite_ko(plain) == polite


def test_catalog_titles_and_errata_have_current_korean():
    """The catalog is English; strings.json holds the Korean of every title and erratum, and its
    "en" is still the catalog's text (an edited catalog entry shows up here, not as an English
    line in a Korean post)."""
    table = strings()
    for model in catalog.models():
        assert table[f"title:{model.id}"]["en"] == model.title, model.id
        assert HANGUL.search(table[f"title:{model.id}"]["ko"]), model.id
        for i, e in enumerate(model.errata, 1):
            assert table[f"erratum:{model.id}:{i}"]["en"] == e.quantity, (model.id, i)
    ko = build("net-2-2-2-1", "md", "ko").text
    rows = [
        line
        for line in ko.split("## 정오표")[1].splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    errata = catalog.get_model("net-2-2-2-1").errata
    assert len(rows) == len(errata) + 1  # the header and one row each
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert HANGUL.search(cells[0]) and HANGUL.search(cells[-1]), row  # item and explanation
        assert not re.search(r"(?<!니)다\.", cells[-1]), row
    both = build("reg-l2", "tex", "both").text
    title = re.search(r"\\title\{(.*)\}", both).group(1)
    assert HANGUL.search(title) and "L2 regularization" in title


# --- long equations -------------------------------------------------------------------------------
def test_long_products_are_broken_into_rows_that_fit():
    d = derive("net-2-2-2-1")
    from symgrad.render import Maths, gradient_entry

    entry = gradient_entry(d, Maths(d), "w1")
    rows = entry["rows"]
    assert len(rows) > 2 + len(
        entry["chain"]
    )  # each path, and the numbers, needed more than one row
    lhs = math_width(entry["target_tex"])
    for row in rows:
        assert row.count("\\left") == row.count("\\right"), row
        assert lhs + math_width(row.replace("&", "")) <= ROW_EM + 1.5, row
    joined = " ".join(
        r.split("&", 1)[1] for r in rows
    )  # nothing lost: every factor of every path is there
    for term in entry["chain"]:
        for factor in term.split(" \\cdot "):
            assert factor in joined
    # a break inside brackets closes them on the row and reopens them on the next one
    long = r"\sigma\left(" + " + ".join(f"w_{{{i}}} x_{{{i}}}" for i in range(40)) + r"\right)"
    pieces = split_math(long, 20, 20)
    assert len(pieces) > 2
    assert pieces[0].endswith(r"\right.") and pieces[1].startswith(r"\left.")
    assert all(math_width(piece) <= 21 for piece in pieces)
    short = aligned_rows([("f", "=", "x + y")])
    assert short == ["f &= x + y"]


# --- escaping, Jupyter, templates, packaging ------------------------------------------------------
def test_user_names_are_escaped():
    tex = build("my_var * w_1 + my_var", "tex", "en", at="my_var=2,w_1=3").text
    assert "my_var" not in re.sub(r"\$[^$]*\$", "", tex), "unescaped _ in LaTeX text"
    assert "\\texttt{my\\_var\\ *\\ w\\_1\\ +\\ my\\_var}" in tex
    html = build("my_var * w_1 + my_var", "html", "en", at="my_var=2,w_1=3").text
    check_html(html)


def test_names_with_double_or_trailing_underscores_are_written_as_they_are():
    from symgrad.render import tex_name

    literal = {
        "x_1__y": r"\mathrm{x\_1\_\_y}",
        "loss__": r"\mathrm{loss\_\_}",
        "theta_": r"\mathrm{theta\_}",
    }
    for name, tex in literal.items():
        assert tex_name(name) == tex
    assert (
        tex_name("x1") == "x_{1}" and tex_name("w_1") == "w_{1}" and tex_name("theta") == "\\theta"
    )
    md = build("x_1__y * theta_ + loss__", "md", "en", at="x_1__y=2,theta_=3,loss__=1").text
    check_markdown(md)
    assert "^{y}" not in md and "^{}" not in md and "_{}" not in md
    assert (
        r"\frac{\partial f}{\partial \mathrm{x\_1\_\_y}} &= " in md
        and r"&= \mathrm{theta\_} \\" in md
    )
    check_html(
        build("x_1__y * theta_ + loss__", "html", "en", at="x_1__y=2,theta_=3,loss__=1").text
    )


def test_jupyter_reprs():
    d = derive("circuit-xyz")
    md = d._repr_markdown_()
    check_markdown(md)
    assert "<svg" in md  # figures inline: a notebook has no files beside it
    latex = d._repr_latex_()
    assert latex.startswith("$$") and latex.endswith("$$")
    assert "\\frac{\\partial f}{\\partial z} &= x + y = 3" in latex


def test_user_templates_override(tmp_path):
    (tmp_path / "post.jekyll.j2").write_text(
        "---\ntitle: mine\n---\nMY TEMPLATE\n{{ body }}", encoding="utf-8"
    )
    text = build("circuit-xyz", "jekyll", "en", templates=str(tmp_path)).text
    assert text.startswith("---\ntitle: mine\n---\nMY TEMPLATE\n")
    assert "Backward pass" in text                 # derivation.md.j2 still comes from the package


def test_rendering_is_deterministic(tmp_path):
    for fmt in ("md", "tex", "html"):
        a, b = build("linear-mse", fmt, "both"), build("linear-mse", fmt, "both")
        assert a.text == b.text and a.files == b.files
    svg = build("act-sigmoid", "md", "en").files
    for data in svg.values():
        assert "<dc:date>" not in data and "Date" not in data


def test_every_subpackage_is_packaged():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "symgrad").rglob("__init__.py")
    }
    assert found <= listed, (
        f"add {sorted(found - listed)} to [tool.setuptools] packages in pyproject.toml"
    )
    assert "symgrad.templates" in listed and (templates_dir() / "derivation.md.j2").is_file()


def test_cli_errors_are_one_line(capsys):
    assert main(["render"]) == 2
    assert main(["render", "--all", "linear-mse"]) == 2
    capsys.readouterr()
    assert main(["render", "circuit-xyz", "--lr", "nan"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "learning rate" in err


def test_learning_rate_of_the_post_and_of_the_user():
    # seed 002 takes its step with α = 0.3; the document uses that, and --lr overrides it
    d = derive("net-2-2-2-1")
    w9 = 0.2 - 0.3 * d.gradients["w9"]
    assert f"{w9:.6f}" == "0.229918"
    assert "= 0.229918" in build("net-2-2-2-1", "md", "en").text
    text = build("circuit-xyz", "md", "en", lr=0.5).text
    assert r"\alpha = 0.5" in text and r"= -2 - 0.5 \cdot (-4) = 0 \\" in text     # x - α·∂f/∂x


# --- external tools: pdflatex and Chromium --------------------------------------------------------
# .ci/run installs both tools and sets SYMGRAD_REQUIRE_TOOLS=1, so in CI these run or fail, never
# skip.
REQUIRED = os.environ.get("SYMGRAD_REQUIRE_TOOLS") == "1"


NO_PDFLATEX = pytest.mark.skipif(
    shutil.which("pdflatex") is None and not REQUIRED, reason="pdflatex is not installed"
)
OVERFULL_PT = 10.0


def pdflatex(folder, name, work):
    """Compile ``folder/name`` in a copy under ``work``; returns (exit code, PDF written, the .log
    text)."""
    shutil.copytree(folder, work, dirs_exist_ok=True)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name], cwd=work,
                         capture_output=True, text=True, errors="replace", timeout=120)
    log = work / name.replace(".tex", ".log")
    text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else run.stdout
    return run.returncode, (work / name.replace(".tex", ".pdf")).is_file(), text


def overfull(log):
    """The widths (pt) of the overfull boxes pdflatex reports: material that runs into the
    margin."""
    return [float(w) for w in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log)]


def included_graphics(log):
    """The graphics files pdflatex really placed (``\\IfFileExists`` skips a missing one
    silently)."""
    return set(re.findall(r"<use ([^>]+)>", log))


@NO_PDFLATEX
def test_articles_compile_with_pdflatex(gallery, tmp_path):
    """Every gallery article, and four in both languages, compiles; no line runs more than 10pt
    into the margin, and every figure the article asks for is really in the PDF."""
    jobs = [(gallery / m, f"{m}.tex") for m in MODELS]
    for model in (
        "linear-mse",
        "mlp-2layer",
        "act-sigmoid",
        "net-2-2-2-1",
    ):  # Korean, matrix-level, plots
        folder = tmp_path / model
        doc = build(model, "tex", "both")
        folder.mkdir()
        (folder / doc.name).write_text(doc.text, encoding="utf-8")
        for name, data in doc.files.items():
            (folder / name).write_bytes(data)
        jobs.append((folder, doc.name))

    def compile_one(job):
        folder, name = job
        tex = (folder / name).read_text(encoding="utf-8")
        wanted = set(re.findall(r"\\includegraphics\[[^]]*\]\{([^}]+)\}", tex))
        code, pdf, log = pdflatex(
            folder, name, tmp_path / "build" / f"{folder.name}-{len(str(folder))}"
        )
        return name, code, pdf, log, wanted

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(compile_one, jobs))
    for name, code, pdf, log, wanted in results:
        assert code == 0 and pdf, f"{name} does not compile:\n{log[-1500:]}"
        wide = [w for w in overfull(log) if w > OVERFULL_PT]
        assert not wide, f"{name}: lines run {wide} pt into the margin"
        missing = wanted - included_graphics(log)
        assert not missing, f"{name}: figures missing from the PDF: {missing}"
    assert any(wanted for *_, wanted in results), "no article has a plot"


@NO_PDFLATEX
def test_chain_rule_products_fit_the_page(tmp_path):
    """net-2-2-2-1's chain-rule products have eleven factors per path; before they were broken
    into rows they ran 183–205pt off the page."""
    assert (
        main(
            [
                "render",
                "net-2-2-2-1",
                "--format",
                "tex",
                "--lang",
                "both",
                "-o",
                str(tmp_path / "doc"),
            ]
        )
        == 0
    )
    tex = (tmp_path / "doc" / "net-2-2-2-1.tex").read_text(encoding="utf-8")
    assert tex.count("\\frac{\\partial n_{1}}{\\partial w_{1}}") >= 2  # the w1 products are printed
    code, pdf, log = pdflatex(tmp_path / "doc", "net-2-2-2-1.tex", tmp_path / "build")
    assert code == 0 and pdf, log[-1500:]
    assert max(overfull(log), default=0.0) <= OVERFULL_PT, sorted(overfull(log))[-5:]


@NO_PDFLATEX
def test_tex_plots_are_written_and_appear_in_the_pdf(tmp_path, gallery):
    """``render --format tex`` and the gallery write the PDF plots next to the article, and
    pdflatex places them (the log lists each file it used)."""
    assert main(["render", "act-sigmoid", "--format", "tex", "-o", str(tmp_path / "doc")]) == 0
    written = sorted(p.name for p in (tmp_path / "doc").iterdir())
    assert written == ["act-sigmoid-loss-curve.pdf", "act-sigmoid-sigmoid.pdf", "act-sigmoid.tex"]
    for folder in (tmp_path / "doc", gallery / "act-sigmoid"):
        code, pdf, log = pdflatex(
            folder, "act-sigmoid.tex", tmp_path / f"build-{folder.parent.name}"
        )
        assert code == 0 and pdf
        assert {"act-sigmoid-sigmoid.pdf", "act-sigmoid-loss-curve.pdf"} <= included_graphics(log)
    for name in (
        "act-sigmoid-sigmoid.pdf",
        "act-sigmoid-loss-curve.pdf",
    ):  # byte-stable: no date inside
        data = (gallery / "act-sigmoid" / name).read_bytes()
        assert (
            data.startswith(b"%PDF-") and b"/CreationDate" not in data and b"/ModDate" not in data
        )


@pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not REQUIRED, reason="chromium is not installed"
)
def test_html_page_opens_in_chromium(gallery, tmp_path):
    from PIL import Image

    page = gallery / "linear-mse" / "linear-mse.html"
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--hide-scrollbars",
            "--window-size=1000,2600",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=90,
    )
    assert shot.is_file(), "Chromium wrote no screenshot"
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50, "the screenshot is blank"
    import numpy as np

    pixels = np.asarray(image, dtype=int).reshape(-1, 3)

    def count_near(target):
        return int((np.abs(pixels - np.array(target)).sum(axis=1) < 60).sum())
    green, red = count_near((0x1a, 0x7f, 0x37)), count_near((0xc6, 0x28, 0x28))
    assert green > 30 and red > 30, (
        "the graph's forward values (green) and gradients (red) are not visible"
    )


MEASURE = """<script>
addEventListener("load", () => {
  const rows = [...document.querySelectorAll(".math-display")].map(div => {
    const inner = Math.max(...[...div.querySelector("math").children]
                                .map(c => c.getBoundingClientRect().width));
    const style = getComputedStyle(div);
    return [div.scrollWidth, div.clientWidth, div.scrollHeight, div.clientHeight, Math.ceil(inner),
            style.overflowX].join(" ");
  });
  const out = document.createElement("pre");
  out.id = "symgrad-measure";
  out.textContent = rows.join("\\n");
  document.body.append(out);
});
</script>"""


@pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not REQUIRED, reason="chromium is not installed"
)
def test_display_math_scrolls_only_when_it_is_too_wide(gallery, tmp_path):
    """A display equation that fits its column has no scrollbar (its box contains the MathML, so
    neither direction overflows); one that is wider than the column still scrolls sideways.
    Measured in Chromium on copies of the pages with a measuring script added (the pages
    themselves have none)."""
    names = [
        f"a{i}" for i in range(1, 61)
    ]  # one fraction of 60 terms: no row break can make it fit
    wide = build(
        "(" + " + ".join(names) + ")/b", "html", "en", at=",".join(f"{n}=1" for n in names + ["b"])
    ).text
    pages = {
        "net-2-2-2-1": (gallery / "net-2-2-2-1" / "net-2-2-2-1.html").read_text(encoding="utf-8"),
        "wide": wide,
    }
    measured = {}
    for key, html in pages.items():
        page = tmp_path / f"{key}.html"
        page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
        run = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--window-size=1000,1400",
                "--virtual-time-budget=5000",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
        found = re.search(r'<pre id="symgrad-measure">(.*?)</pre>', run.stdout, re.S)
        assert found, f"Chromium did not run the measurement of {key}"
        measured[key] = [line.split() for line in found.group(1).splitlines()]
    too_wide = {key: 0 for key in measured}
    for key, rows in measured.items():
        assert rows, key
        for scroll_w, client_w, scroll_h, client_h, inner, overflow_x in rows:
            scroll_w, client_w, scroll_h, client_h, inner = map(
                int, (scroll_w, client_w, scroll_h, client_h, inner)
            )
            assert scroll_h <= client_h, (
                f"{key}: a display equation overflows vertically ({scroll_h} > {client_h})"
            )
            assert overflow_x == "auto", key
            if inner <= client_w:
                assert scroll_w <= client_w, f"{key}: an equation that fits shows a scrollbar"
            else:
                too_wide[key] += 1
                assert scroll_w > client_w, f"{key}: a wide equation cannot be scrolled"
    assert too_wide["wide"] >= 1


def test_render_api_writes_the_document_and_its_figures(tmp_path):
    from symgrad import render as render_document

    text = render_document(derive("act-sigmoid"), format="md", lang="en", out_dir=tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert (tmp_path / "act-sigmoid.md").read_text(encoding="utf-8") == text
    assert "act-sigmoid-graph.svg" in written and "act-sigmoid-sigmoid.svg" in written
    for name in written:
        if name.endswith(".svg"):
            ET.fromstring((tmp_path / name).read_text(encoding="utf-8"))


def _tex_float(text):
    """A number as ``tex_num`` writes it (``8.76408\\times 10^{9}``) → float."""
    mantissa, _, exponent = text.partition(r"\times 10^{")
    return float(mantissa) * 10.0 ** int(exponent.rstrip("}")) if exponent else float(mantissa)


def test_matrix_document_takes_the_learning_rate(tmp_path):
    """``--lr`` reaches matrix documents: mlp-2layer rendered with two learning rates shows two
    different steps, each the loss after w ← w − α·g, recomputed here with NumPy from the
    derivation's own gradients (loss = Σ(σ(x·w1)·w2 − y)²)."""
    import numpy as np

    d = derive("mlp-2layer")
    x, y, w1, w2 = (np.asarray(d.arrays[n], dtype=float) for n in ("x", "y", "w1", "w2"))
    g1, g2 = (np.asarray(d.gradients[n], dtype=float) for n in ("w1", "w2"))
    sentence = re.compile(r"\$\\alpha = ([^$]+)\$ moves every parameter matrix.*? goes from "
                          r"\$([^$]+)\$ to \$([^$]+)\$")
    seen = {}
    for lr in (0.01, 0.002):
        text = build("mlp-2layer", format="md", lang="en", lr=lr).text
        alpha, before, after = sentence.search(text).groups()
        assert _tex_float(alpha) == lr
        assert _tex_float(before) == pytest.approx(d.value, rel=1e-5)
        moved1, moved2 = w1 - lr * g1, w2 - lr * g2
        expected = float(np.sum((1 / (1 + np.exp(-(x @ moved1))) @ moved2 - y) ** 2))
        assert _tex_float(after) == pytest.approx(expected, rel=1e-5)
        seen[lr] = after
    assert seen[0.01] != seen[0.002]
    # and through the command line
    assert main(["render", "mlp-2layer", "--lr", "0.002", "--lang", "en", "-o", str(tmp_path)]) == 0
    text = (tmp_path / "mlp-2layer.md").read_text(encoding="utf-8")
    assert sentence.search(text).group(3) == seen[0.002]


# --- hostile input (issue 18) ---------------------------------------------------------------------
HOSTILE_TITLE = "# <script>alert(1)</script> *b* [x](javascript:1) $x^2$ &amp; `c` ~s~ |t|"
HOSTILE = HOSTILE_TITLE + "\nh = w*x  # ``` {{ site.title }} {% endraw %}\nloss = (h - y)**2\n"


def test_user_text_is_escaped_in_every_format(tmp_path):
    from markdown_it import MarkdownIt

    md = build(HOSTILE, "md", "en", at="w=1,x=2,y=3").text
    tokens = MarkdownIt("commonmark").parse(md)
    heading = tokens[[t.type for t in tokens].index("heading_open") + 1]
    assert [c.type for c in heading.children] == ["text"], "markup in the title"
    assert heading.content and "<script>" not in MarkdownIt("commonmark").render(
        md.split("\n", 1)[0]
    )
    # the program is one code block: its ``` does not close the fence
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1 and fences[0].content.splitlines()[1].startswith("h = w*x  # ```")
    html = build(HOSTILE, "html", "en", at="w=1,x=2,y=3", static=True).text
    assert "<script" not in html.lower() and "&lt;script&gt;" in html
    # with the stepper: its own two scripts only, the user's text escaped everywhere
    html = build(HOSTILE, "html", "en", at="w=1,x=2,y=3").text
    check_html(html)
    assert "<script>alert" not in html.lower()
    post = build(HOSTILE, "jekyll", "en", at="w=1,x=2,y=3", date="2024-01-02").text
    front = post.split("---", 2)[1]
    assert "<" not in front and "&lt;script&gt;" in front
    tex = build(HOSTILE, "tex", "en", at="w=1,x=2,y=3").text
    title = re.search(r"\\title\{(.*)\}", tex).group(1)
    assert "$" not in title.replace(r"\$", "") and "#" not in title.replace(r"\#", "")


def test_program_file_path_with_html_is_escaped(tmp_path):
    folder = tmp_path / "<img src=x onerror=alert(1)>"
    folder.mkdir()
    program = folder / "model.txt"
    program.write_text("loss = (w*x - y)**2\n", encoding="utf-8")
    md = build(str(program), "md", "en", at="w=1,x=2,y=3").text
    first = md.split("\n", 1)[0]
    assert re.search(r"(?<!\\)<img", first) is None and "\\<img" in first
    html = build(str(program), "html", "en", at="w=1,x=2,y=3").text
    assert "<img" not in html


def bad_templates(tmp_path):
    cases = {
        "syntax": ("x\n{% if %}\n", 2),
        "undefined": ("x\n\n{{ no_such_name }}\n", 3),
        "include": ('x\n{% include "missing.j2" %}\n', 2),
        "division": ("a\n{{ 1/0 }}\n", 2),
        "utf8": (b"a\n\xff\xfe\n", 2),
        "os": ("{{ cycler.__init__.__globals__.os.system('id') }}\n", 1),
        "class": ("a\n{{ model.__class__.__mro__ }}\n", 2),
    }
    for name, (text, line) in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        target = folder / "derivation.md.j2"
        target.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        yield name, folder, line


def test_template_mistakes_are_one_line_naming_file_and_line(tmp_path, capsys):
    for name, folder, line in bad_templates(tmp_path):
        code = main(["render", "linear-mse", "--templates", str(folder), "-o", str(tmp_path / "o")])
        err = capsys.readouterr().err
        assert code == 2, (name, err)
        assert err.count("\n") == 1 and "Traceback" not in err, (name, err)
        assert f"derivation.md.j2, line {line}:" in err, (name, err)
    assert not (tmp_path / "o").exists()


def test_user_templates_are_sandboxed(tmp_path):
    import jinja2.sandbox

    from symgrad.render import environment

    (tmp_path / "derivation.md.j2").write_text("{{ title }}\n", encoding="utf-8")
    assert isinstance(environment(str(tmp_path)), jinja2.sandbox.SandboxedEnvironment)
    # a sandboxed template still renders the whole document, the packaged templates included
    assert build("circuit-xyz", "html", "en", templates=str(tmp_path)).text.startswith("<!DOCTYPE")
    (tmp_path / "derivation.md.j2").write_text("{{ lipsum.__globals__ }}\n", encoding="utf-8")
    with pytest.raises(SymgradError, match="unsafe"):
        build("circuit-xyz", "md", "en", templates=str(tmp_path))
