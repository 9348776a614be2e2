"""Matrix documents show the program they come from, as the user wrote it (comments and
declarations), escaped for every format; the stepper names a program file by its file name."""

import html as html_lib
import json
import os
import re
import shutil
import subprocess

import pytest
from test_jekyll import NO_JEKYLL, jekyll_build

from symgrad.catalog import models
from symgrad.derivation import derive
from symgrad.render import build
from symgrad.render.stepper import matrix_target_name, stepper_page

REQUIRED = os.environ.get("SYMGRAD_REQUIRE_TOOLS") == "1"
NO_PDFLATEX = pytest.mark.skipif(
    (shutil.which("pdflatex") is None or shutil.which("pdftotext") is None) and not REQUIRED,
    reason="pdflatex or pdftotext is not installed")

# Every format's markup in one comment: Liquid tags (and the tag that would end a raw region),
# HTML and TeX's specials. (A backslash is refused by the parser, even in a comment.)
HOSTILE = ("# {{ site.title }} {% include nothing.html %} {% endraw %} <script>alert(1)</script>"
           "\n# costs $5 & 100% at {quote} } x_1^2 ~ #3 ^ `tick`")
PROGRAM = HOSTILE + "\nW: [2, 3]\nq = W @ x\nf = sum(q**2)\n"
AT = "W=[[0.1,0.5,-0.2],[-0.3,0.8,0.4]],x=[0.2,0.4,-0.1]"


@pytest.fixture
def program_file(tmp_path):
    path = tmp_path / "models" / "hostile.sg"
    path.parent.mkdir()
    path.write_text(PROGRAM, encoding="utf-8")
    return str(path)


def code_blocks(html):
    """The text of every <code> element of an HTML page, unescaped as a browser shows it."""
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<code[^>]*>(.*?)</code>", html, flags=re.S)]


@pytest.mark.parametrize("lang", ["en", "ko", "both"])
def test_markdown_shows_the_program_in_a_fence(program_file, lang):
    doc = build(program_file, format="md", lang=lang, at=AT)
    fence = re.search(r"^(`{3,})python\n(.*?)\n\1$", doc.text, flags=re.S | re.M)
    assert fence is not None
    assert fence.group(2) == PROGRAM.strip()
    # near the top: before the first section
    assert doc.text.index(fence.group(0)) < doc.text.index("\n## ")


def test_a_backtick_run_in_a_comment_cannot_close_the_fence(tmp_path):
    path = tmp_path / "ticks.sg"
    path.write_text("# a ```` run\nq = W @ x\nf = sum(q**2)\n", encoding="utf-8")
    doc = build(str(path), format="md", lang="en", at=AT)
    assert "`````python\n# a ```` run\n" in doc.text


@pytest.mark.parametrize("lang", ["en", "ko", "both"])
def test_html_shows_the_program_as_written(program_file, lang):
    doc = build(program_file, format="html", lang=lang, at=AT)
    assert PROGRAM.strip() in code_blocks(doc.text)
    assert "<script>alert(1)" not in doc.text          # escaped, never markup


@pytest.mark.parametrize("lang", ["en", "ko", "both"])
def test_static_html_shows_the_program_too(program_file, lang):
    page = build(program_file, format="html", lang=lang, at=AT, static=True)
    assert PROGRAM.strip() in code_blocks(page.text)


@NO_JEKYLL
@pytest.mark.parametrize("static", [False, True])
def test_jekyll_publishes_the_program_as_written(program_file, tmp_path, static):
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    doc = build(program_file, format="jekyll", lang="both", at=AT, date="2024-02-03",
                static=static)
    (site / "_posts" / doc.name).write_text(doc.text, encoding="utf-8")
    pages = jekyll_build(site)
    assert len(pages) == 1
    page = pages[0].read_text(encoding="utf-8")
    assert PROGRAM.strip() in code_blocks(page)
    assert "<script>alert(1)" not in page
    assert "symgrad test" not in page.split("</title>", 1)[1]        # site.title never expanded


@NO_PDFLATEX
@pytest.mark.parametrize("lang", ["en", "both"])
def test_latex_article_compiles_and_prints_the_program(program_file, tmp_path, lang):
    doc = build(program_file, format="tex", lang=lang, at=AT)
    (tmp_path / doc.name).write_text(doc.text, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
                         cwd=tmp_path, capture_output=True, text=True, errors="replace",
                         timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    pdf = tmp_path / doc.name.replace(".tex", ".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, timeout=60).stdout
    # (pdftotext reads \\_ in typewriter type, a drawn rule, as a space, and ` as a quote)
    for piece in ("{{ site.title }} {% include nothing.html %} {% endraw %} "
                  "<script>alert(1)</script>", "# costs $5 & 100% at {quote} } x", "1^2 ~ #3 ^",
                  "W: [2, 3]", "q = W @ x", "f = sum(q**2)"):
        assert piece in text, piece
    assert r"x\_1\textasciicircum{}2" in doc.text


def test_catalog_matrix_documents_show_their_matrix_program():
    entry = next(m for m in models() if m.id == "relu-2layer")
    doc = build("relu-2layer", format="md", lang="en", matrix=True)
    assert "```python\n" + entry.matrix_program.strip() + "\n```" in doc.text


def test_catalog_matrix_program_is_left_out_when_the_shapes_differ():
    """Arrays of other shapes than the catalog's declarations: its text would be wrong."""
    at = {"x": [[1.0], [2.0], [0.5]], "W1": [[0.1, 0.2, 0.3]] * 3, "W2": [[1.0, -1.0, 0.5]]}
    d = derive("relu-2layer", at=at, matrix=True)
    assert d.shapes["x"] == (3, 1)
    doc = build("relu-2layer", format="md", lang="en", matrix=True, at=at)
    assert "```python" not in doc.text


def test_stepper_names_the_program_by_its_file_name(program_file):
    d = derive(program_file, at=AT)
    assert d.target == program_file                  # the JSON keeps the target as typed
    assert matrix_target_name(d) == "hostile.sg"
    page = stepper_page(d)
    assert "symgrad stepper · hostile.sg" in page
    assert os.path.dirname(program_file) not in page


def test_stepper_names_program_text_and_catalog_models_shortly():
    d = derive("q = W @ x\nf = sum(q**2)", at=AT)
    assert matrix_target_name(d) == "program"
    assert matrix_target_name(derive("relu-2layer", matrix=True)) == "relu-2layer"


def test_stepper_start_caption_has_the_file_name_only(program_file):
    page = build(program_file, format="html", lang="en", at=AT).text
    data = json.loads(re.search(r"<script[^>]*data-step-data[^>]*>(.*?)</script>", page,
                                flags=re.S).group(1))
    start = json.dumps(data, ensure_ascii=False)
    assert "hostile.sg" in start
    assert os.path.dirname(program_file) not in start
