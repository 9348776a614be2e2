"""Jekyll posts that publish as they are: dated file names, math that kramdown hands to a stock
MathJax 3, nothing Liquid would run. The site is built offline with Debian's ``jekyll`` (no theme,
no plugin: a minimal layout written here), as a blogger following the README would."""

import os
import re
import shutil
import subprocess

import pytest

from symgrad import catalog
from symgrad.cli import main
from symgrad.errors import InputError
from symgrad.render import GALLERY_DATE, build, kramdown_math, liquid_raw, post_date

REQUIRED = os.environ.get("SYMGRAD_REQUIRE_TOOLS") == "1"
JEKYLL = shutil.which("jekyll")
NO_JEKYLL = pytest.mark.skipif(JEKYLL is None and not REQUIRED, reason="jekyll is not installed")

# The layout a site without a theme needs: the post, and the one-line MathJax include of
# docs/render.md (nothing is fetched while the test runs: the page is only read).
LAYOUT = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ page.title | escape }}</title>
<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>
</head><body><article>{{ content }}</article></body></html>
"""

# TeX that must never be seen by a reader: it is left outside \( \) and \[ \] only when a
# delimiter was lost.
TEX_MARKS = ("$", "\\frac", "\\partial", "\\mathrm", "\\cdot", "\\left", "^{", "_{", "\\begin")


def jekyll_build(site):
    (site / "_layouts").mkdir(exist_ok=True)
    (site / "_layouts" / "post.html").write_text(LAYOUT, encoding="utf-8")
    (site / "_config.yml").write_text("title: symgrad test\nmarkdown: kramdown\n",
                                      encoding="utf-8")
    run = subprocess.run([JEKYLL or "jekyll", "build", "-q", "-s", str(site), "-d",
                          str(site / "_site")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return sorted((site / "_site").rglob("*.html"))


def outside_math(html):
    """The page's text with math, code, SVG figures and scripts taken out."""
    text = re.sub(r"<(svg|pre|code|script|title)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]", "", text, flags=re.S)


def math_spans(html):
    return re.findall(r"\\\((.*?)\\\)", html, flags=re.S), \
        re.findall(r"\\\[(.*?)\\\]", html, flags=re.S)


# --- without jekyll ---------------------------------------------------------------------
def test_post_is_dated_for_posts_folder(tmp_path):
    assert main(["render", "linear-mse", "--format", "jekyll", "--date", "2023-05-17",
                 "-o", str(tmp_path)]) == 0
    post = (tmp_path / "2023-05-17-linear-mse.md").read_text(encoding="utf-8")
    front = post.split("---", 2)[1]
    assert "\ndate: 2023-05-17\n" in front


def test_default_date_is_source_date_epoch_else_today(monkeypatch):
    import datetime

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")          # 1970-01-02 00:00 UTC
    assert post_date() == "1970-01-02"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert post_date() == datetime.date.today().isoformat()
    for bad in ("2023-02-30", "17.5.2023", "2023-5-1", "today"):
        with pytest.raises(InputError, match="YYYY-MM-DD"):
            post_date(bad)


def test_bad_date_is_one_line(capsys):
    assert main(["render", "linear-mse", "--format", "jekyll", "--date", "2023-13-01"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "YYYY-MM-DD" in err


def test_gallery_posts_carry_the_fixed_date(tmp_path):
    assert main(["render", "--all", "--format", "jekyll", "-o", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{GALLERY_DATE}-{m.id}.md" for m in catalog.models())


def test_inline_math_is_doubled_and_the_rest_is_kept():
    md = ("Value $x^{2}$ and `$HOME` costs $5.\n\n$$\n\\frac{a}{b}\n$$\n\n"
          "```python\ncost = '$a$'\n```\n\n<svg><text>$z$</text></svg>\n| $w$ | $1$ |\n")
    out = kramdown_math(md)
    assert "Value $$x^{2}$$ and `$HOME` costs $5." in out
    assert "$$\n\\frac{a}{b}\n$$" in out and "$$$$" not in out
    assert "cost = '$a$'" in out and "<text>$z$</text>" in out
    assert "| $$w$$ | $$1$$ |" in out


def test_liquid_never_sees_a_tag():
    body = "a {{ site.title }} b {% include x.html %} c {%- endraw -%} d {% endraw %} e"
    out = liquid_raw(body)
    assert out.startswith("{% raw %}") and out.rstrip().endswith("{% endraw %}")
    # every endraw but the last is immediately reopened, so no text is outside a raw block
    pieces = re.split(r"\{%-?\s*endraw\s*-?%\}", out)
    for piece in pieces[1:-1]:
        assert re.fullmatch(r'\{\{ "\{%" \}\}\{% raw %\}.*', piece, flags=re.S), piece


# --- a real site -----------------------------------------------------------------------
@NO_JEKYLL
def test_every_catalog_post_is_published_with_its_math_delimited(tmp_path):
    posts = tmp_path / "_posts"
    assert main(["render", "--all", "--format", "jekyll", "--lang", "both", "-o",
                 str(posts)]) == 0
    pages = jekyll_build(tmp_path)
    ids = [m.id for m in catalog.models()]
    built = {p.stem for p in pages}
    assert built == set(ids), f"not published: {sorted(set(ids) - built)}"
    for page in pages:
        html = page.read_text(encoding="utf-8")
        rest = outside_math(html)
        for mark in TEX_MARKS:
            assert mark not in rest, f"{page.stem}: {mark!r} outside math: " \
                f"{rest[max(0, rest.find(mark) - 80):rest.find(mark) + 80]!r}"
        inline, display = math_spans(html)
        md = build(page.stem, format="md", lang="both").text
        # every formula of the GitHub post reaches the page inside MathJax's delimiters
        n_display = len(re.findall(r"^\$\$$", md, flags=re.M)) // 2
        assert len(display) == n_display, page.stem
        assert len(inline) >= len(re.findall(r"(?<!\$)\$[^$\n]+\$(?!\$)", md)) - 2 * n_display


@NO_JEKYLL
def test_liquid_in_programs_and_latex_is_published_as_written(tmp_path):
    program = ("# {{ site.title }} {% include nothing.html %} {% endraw %} done\n"
               "h = 0.3**x/y\nloss = h*w\n")
    (tmp_path / "_posts").mkdir()
    doc = build(program, format="jekyll", lang="en", at="x=2,y=3,w=1.5", date="2024-02-03")
    assert "{{" in doc.text           # 0.3**x/y is \frac{{0.3}^{x}}{y}: Liquid must not run it
    (tmp_path / "_posts" / doc.name).write_text(doc.text, encoding="utf-8")
    pages = jekyll_build(tmp_path)
    assert len(pages) == 1
    html = pages[0].read_text(encoding="utf-8")
    assert "{{ site.title }} {% include nothing.html %} {% endraw %} done" in html
    assert "symgrad test" not in html.split("</title>", 1)[1]        # site.title never expanded
    inline, display = math_spans(html)
    assert any("{{0.3}^{x}}" in m for m in inline + display)
