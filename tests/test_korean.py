"""Korean documents as a Korean reader expects them: particles attached to what they follow and
chosen as the number or symbol is read aloud, no English captions, legends or table cells (terms
in code font, as the seed posts write `gradient`, may stay), no word broken in the middle."""

import re

import pytest

from symgrad import catalog
from symgrad.render import build, ro_particle

MODELS = [m.id for m in catalog.models()]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
PARTICLES = ("입니다", "이고", "이며", "으로", "로", "가", "이", "을", "를", "은", "는", "의",
             "에서", "에", "와", "과", "일 때", "이면", "만큼")
# A particle after a formula, a number or a Latin letter, with a space between: "−1 입니다".
SEPARATED = re.compile(r"([$0-9A-Za-z)\]]) (" + "|".join(PARTICLES) + r")(?=[ .,)]|$)", re.M)
# Plots drawn by matplotlib (the activation plots, the loss curve) are outside this check:
# their titles come from symgrad/figures.py.
MATPLOTLIB_SVG = re.compile(r"<svg\b(?:(?!</svg>).)*?id=\"matplotlib\.axis.*?</svg>", re.S)


def prose_of(markdown):
    """The document without code blocks, figures and display math; an image keeps its alt text."""
    text = re.sub(r"^(`{3,}).*?^\1[ \t]*$", "", markdown, flags=re.S | re.M)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<svg.*?</svg>|<figure.*?</figure>", "", text, flags=re.S)
    return re.sub(r"^\$\$$.*?^\$\$$", "", text, flags=re.S | re.M)


def latin_words(text):
    """The Latin words of ``text`` outside math and code font."""
    text = re.sub(r"\$[^$\n]*\$|`[^`\n]*`", "", text)
    return re.findall(r"[A-Za-z]{3,}", text)


@pytest.fixture(scope="module", params=MODELS)
def korean(request):
    return request.param, build(request.param, "md", "ko").text


def test_no_space_before_a_particle(korean):
    model, md = korean
    found = [m.group(0) for m in SEPARATED.finditer(prose_of(md))]
    assert not found, f"{model}: separated particles {found[:5]}"


# English words that only an English sentence or phrase has (a name such as sigmoid, ReLU or
# symgrad is no sign of English: Korean technical prose writes them so).
ENGLISH = re.compile(r"\b(the|and|of|with|its|for|from|to|is|are|value|product|squares|"
                     r"scalar|derivative|input|sample|classes|entries|circuit)\b", re.I)


def english_in(text, formula=False):
    """Why ``text`` (a caption, heading, cell or legend) reads as English, or None: Latin words
    with no Korean beside them (unless it is a ``formula`` line, ``y = tanh(x)``), or an English
    function word, outside math and code font."""
    bare = re.sub(r"\$[^$\n]*\$|`[^`\n]*`", "", text)
    if latin_words(bare) and not HANGUL.search(bare) and not formula:
        return f"Latin words and no Korean: {latin_words(bare)}"
    word = ENGLISH.search(bare)
    return f"English word {word.group(0)!r}" if word else None


def test_no_english_caption_heading_or_table_cell(korean):
    model, md = korean
    for line in prose_of(md).splitlines():
        if line.startswith(("*", "#", ">")):          # captions, headings, the description
            pieces = [line]
        elif line.startswith("|") and not set(line) <= set("|-: "):   # a table row
            pieces = [c for c in line.strip("|").split("|") if c.strip()]
        else:
            pieces = [line]
        for piece in pieces:
            why = english_in(piece, formula=line.startswith(">"))
            assert why is None, f"{model}: {why} in {piece.strip()[:80]!r}"


def test_graph_title_and_legend_are_korean(korean):
    model, md = korean
    for svg in re.findall(r"<svg.*?</svg>", MATPLOTLIB_SVG.sub("", md), flags=re.S):
        title = re.search(r"<title>([^<]*)</title>", svg).group(1)
        legends = re.findall(r"<text[^>]*>([vg]: [^<]*)</text>", svg)
        assert HANGUL.search(title) and len(legends) == 2, (model, title, legends)
        for text in [title] + legends:
            words = [w for w in re.findall(r"[A-Za-z]{3,}", text) if w != "gradient"]
            words = [w for w in words if w not in catalog.lookup(model).graph().nodes] \
                if catalog.lookup(model).has_program else words
            assert not words, (model, text)


def test_particle_after_a_formula_follows_its_reading():
    """The update sentence ends "… $15920.6$으로 바뀝니다": 6 is read 육, so 으로, and the particle
    is written right after the closing $."""
    md = build("mlp-2layer", "md", "ko").text
    sentence = [line for line in md.splitlines() if "바뀝니다" in line][0]
    after = re.findall(r"\$([^$]+)\$(으로|로) 바뀝니다", sentence)
    assert after, sentence
    number, particle = after[0]
    assert particle == ro_particle(number)


@pytest.mark.parametrize("model", ["net-2-2-2-1", "mlp-2layer", "sigmoid-neuron"])
def test_korean_pages_break_between_words(model):
    html = build(model, "html", "ko").text
    assert 'lang="ko"' in html
    assert re.search(r":lang\(ko\)\s*\{[^}]*word-break:\s*keep-all", html)


def test_matrix_gate_column_and_shapes_are_korean():
    md = build("mlp-2layer", "md", "ko").text
    assert "matrix product" not in md and "sum of squares" not in md and "scalar" not in md
    assert "| 행렬 곱 |" in md and "| 제곱합 |" in md
    both = build("mlp-2layer", "md", "both").text
    assert "행렬 곱 · matrix product" in both
