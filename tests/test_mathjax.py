"""Real renderers over the gallery: every formula converted by MathJax 3 (npm ``mathjax-full``,
run with Debian's ``node``) with zero errors, and Korean pages in headless Chromium at 1200 px and
400 px with nothing wider than the window.

MathJax lives outside the repository: ``$SYMGRAD_MATHJAX`` (default
``~/.cache/symgrad-mathjax``) holds ``node_modules/mathjax-full``; ``.ci/run`` installs it there
with ``npm install mathjax-full@3``. Without node, MathJax or Chromium the tests skip, unless
SYMGRAD_REQUIRE_TOOLS=1 (CI), where they fail."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from symgrad import catalog
from symgrad.render import build

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = os.environ.get("SYMGRAD_REQUIRE_TOOLS") == "1"
MATHJAX = Path(os.environ.get("SYMGRAD_MATHJAX", Path.home() / ".cache" / "symgrad-mathjax"))
NODE = shutil.which("node")
CHROMIUM = "/usr/bin/chromium"
HAVE_MATHJAX = NODE is not None and (MATHJAX / "node_modules" / "mathjax-full").is_dir()
NO_MATHJAX = pytest.mark.skipif(not HAVE_MATHJAX and not REQUIRED,
                                reason=f"node or mathjax-full in {MATHJAX} is missing")
NO_CHROMIUM = pytest.mark.skipif(not os.path.exists(CHROMIUM) and not REQUIRED,
                                 reason="chromium is not installed")

# TeX → MathML with MathJax's full TeX input (every package a page with tex-chtml.js can
# autoload); a formula MathJax cannot read is reported, not drawn as red error text.
CONVERT = r"""
const {mathjax} = require('mathjax-full/js/mathjax.js');
const {TeX} = require('mathjax-full/js/input/tex.js');
const {liteAdaptor} = require('mathjax-full/js/adaptors/liteAdaptor.js');
const {RegisterHTMLHandler} = require('mathjax-full/js/handlers/html.js');
const {AllPackages} = require('mathjax-full/js/input/tex/AllPackages.js');
const {SerializedMmlVisitor} = require('mathjax-full/js/core/MmlTree/SerializedMmlVisitor.js');
const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);
// bussproofs needs a layout engine; autoload would load the others on a page on demand
const packages = AllPackages.filter(name => name !== 'bussproofs');
const tex = new TeX({packages, formatError: (jax, err) => { throw err; }});
const doc = mathjax.document('', {InputJax: tex});
const visitor = new SerializedMmlVisitor();
const formulas = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const errors = [];
let converted = 0;
for (const [where, latex, display] of formulas) {
  try {
    const mml = visitor.visitTree(doc.convert(latex, {display}));
    if (/<merror|mathcolor="red"/.test(mml)) throw new Error('merror in the output');
    converted++;
  } catch (err) {
    errors.push([where, latex.slice(0, 200), String(err.message || err)]);
  }
}
console.log(JSON.stringify({converted, errors}));
"""


def formulas_of(markdown, where):
    """Every formula of a GitHub Markdown document: display blocks and inline $…$."""
    text = re.sub(r"^(`{3,}).*?^\1[ \t]*$", "", markdown, flags=re.S | re.M)
    text = re.sub(r"<svg.*?</svg>", "", text, flags=re.S)
    out = [(where, m, True) for m in re.findall(r"^\$\$\n(.*?)\n\$\$$", text, flags=re.S | re.M)]
    text = re.sub(r"^\$\$\n.*?\n\$\$$", "", text, flags=re.S | re.M)
    out += [(where, m, False) for m in re.findall(r"\$([^$\n]+)\$", text)]
    return out


@NO_MATHJAX
def test_every_gallery_formula_converts_in_mathjax(tmp_path):
    formulas = []
    for model in catalog.models():
        gallery_md = ROOT / "output" / model.id / "README.md"
        formulas += formulas_of(gallery_md.read_text(encoding="utf-8"), model.id)
    formulas += formulas_of(build("0.3**x/y + x_1__y", "md", "en", at="x=2,y=3,x_1__y=1").text,
                            "user")
    assert len(formulas) > 1000
    script = tmp_path / "convert.js"
    script.write_text(CONVERT, encoding="utf-8")
    env = dict(os.environ, NODE_PATH=str(MATHJAX / "node_modules"))
    run = subprocess.run([NODE or "node", str(script)], input=json.dumps(formulas),
                         capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["errors"] == [], f"{len(result['errors'])} errors, e.g. {result['errors'][:3]}"
    assert result["converted"] == len(formulas)


MEASURE = """<script>
addEventListener("load", () => {
  const root = document.documentElement;
  const wide = [...document.body.querySelectorAll("*")]
    .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1
                 && !e.closest("figure, .math-display, pre, table"))
    .map(e => e.tagName + "." + (e.className.baseVal ?? e.className)).slice(0, 5);
  const out = document.createElement("pre");
  out.id = "symgrad-measure";
  out.textContent = JSON.stringify({scroll: root.scrollWidth, client: root.clientWidth, wide});
  document.body.append(out);
});
</script>"""

KOREAN_PAGES = ("net-2-2-2-1", "mlp-2layer")


def chromium(args, tmp_path):
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                           f"--user-data-dir={tmp_path / 'profile'}"] + args,
                          capture_output=True, text=True, timeout=120)


@NO_CHROMIUM
@pytest.mark.parametrize("width", [1200, 400])
@pytest.mark.parametrize("model", KOREAN_PAGES)
def test_korean_page_has_no_horizontal_overflow(model, width, tmp_path):
    from PIL import Image

    html = build(model, "html", "ko").text
    page = tmp_path / f"{model}.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / f"{model}-{width}.png"
    chromium([f"--window-size={width},1600", f"--screenshot={shot}", page.as_uri()], tmp_path)
    assert shot.is_file(), "Chromium wrote no screenshot"
    image = Image.open(shot).convert("RGB")
    assert image.size[0] == width
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 50, "the screenshot is blank"
    measured = tmp_path / f"{model}-measure.html"
    measured.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    run = chromium([f"--window-size={width},1600", "--virtual-time-budget=5000", "--dump-dom",
                    measured.as_uri()], tmp_path)
    found = re.search(r'<pre id="symgrad-measure">(.*?)</pre>', run.stdout, re.S)
    assert found, "Chromium did not run the measurement"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["scroll"] <= result["client"], f"{model} at {width} px: the page scrolls " \
        f"sideways ({result['scroll']} > {result['client']} px; {result['wide']})"
    assert result["wide"] == [], result
