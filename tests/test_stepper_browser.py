"""The stepper in a real browser: Chromium driven by Selenium through every frame of the pages
``symgrad render TARGET --format html`` writes (and one standalone page).

Needs selenium, /usr/bin/chromium and /usr/bin/chromedriver (Debian's chromium and
chromium-driver); skipped when one is missing, unless SYMGRAD_REQUIRE_TOOLS=1 (then it fails).
Screenshots go to the test's temporary folder, or to $SYMGRAD_SCREENSHOTS when set.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

import symgrad
from symgrad.cli import main
from symgrad.render.stepper import stepper_page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PROGRAM = "a = x * y\nb = a + x\nf = b * a\n"      # a user program with fan-out (a and x)
CASES = [("sigmoid-neuron", None), ("net-2-2-2-1", None), ("(x+y)*z", "x=-2,y=5,z=-4"),
         (PROGRAM, "x=3,y=-2")]

# one call per frame: what the page shows (the test reads the DOM through the contract only)
STATE = """
if (arguments.length) {    // press a button first (a DOM click: one round trip per frame)
  document.querySelector('[data-step-action="' + arguments[0] + '"]').click();
}
const root = document.querySelector('[data-stepper]');
const fig = root.querySelector('[data-step-figure]');
const nodes = sel => Array.from(fig.querySelectorAll(sel)).map(e => e.getAttribute('data-node'));
const caption = {};
root.querySelectorAll('[data-step-caption] [lang]').forEach(s => caption[s.lang] = s.textContent);
return {
  caption: caption,
  gates: nodes('[data-part="gate"].active'),
  current: nodes('[aria-current="step"]'),
  edges: Array.from(fig.querySelectorAll('line.active')).map(e => e.getAttribute('data-edge')),
  pending: Array.from(fig.querySelectorAll('[data-label].pending')).length,
  counter: root.querySelector('[data-step-counter]').textContent,
};
"""


def fmt(v):
    return "0" if v == 0 else f"{v:.6g}"


def fmt_factor(v):
    text = fmt(v)
    return f"({text})" if text.startswith("-") else text


def tools_missing():
    try:
        import selenium  # noqa: F401  (only whether it is installed)
    except ImportError:
        return "selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return f"{path} is missing"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = tools_missing()
    if missing:
        if os.environ.get("SYMGRAD_REQUIRE_TOOLS") == "1":
            pytest.fail(f"SYMGRAD_REQUIRE_TOOLS=1 but {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,900",
                "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stepper")
    return folder


def expected_frames(d):
    """(caption substring, active gate, active edge, caption ending) per frame, from derive's
    JSON."""
    js = d.to_json()
    out = [(", ".join(f"{k} = {fmt(v)}" for k, v in js["at"].items()), None, None, "")]
    for row in js["forward"]:
        if row["op"] != "input":
            out.append((f"{row['name']} = {row['expr']} = ", row["name"], None,
                        f" = {fmt(row['value'])}"))
    for s in js["steps"]:
        product = f"{fmt(s['upstream'])} × {fmt_factor(s['local_value'])} = {fmt(s['downstream'])}"
        out.append((product, s["gate"], f"{s['input']}->{s['gate']}", ""))
    return out


def load(browser, folder, d, lang, name):
    """A standalone page holding only the stepper."""
    path = Path(folder) / f"{name}.html"
    path.write_text(stepper_page(d, lang), encoding="utf-8")
    return open_page(browser, path)


def open_page(browser, path):
    browser.get(path.as_uri())
    browser.get_log("performance")         # start the network check from this page's load
    return path.as_uri()


def rendered(browser, folder, target, at, lang, name):
    """The page ``symgrad render TARGET --format html`` writes, opened in the browser."""
    out = Path(folder) / name
    args = ["render", target, "--format", "html", "--lang", lang, "-o", str(out)]
    assert main(args + (["--at", at] if at else [])) == 0
    (page,) = out.glob("*.html")
    return open_page(browser, page)


def click(browser, action):
    browser.find_element("css selector", f'[data-step-action="{action}"]').click()


def check_frame(state, want, index, total):
    text, gate, edge, ending = want
    assert text in state["caption"]["en"], (index, text, state["caption"])
    assert state["caption"]["en"].endswith(ending)
    assert state["counter"] == f"{index + 1} / {total}"
    assert state["gates"] == ([gate] if gate else [])
    assert state["current"] == ([gate] if gate else [])
    assert state["edges"] == ([edge] if edge else [])


def no_network(browser, url):
    """Every request the page made since it loaded is the page itself (file://) or data:."""
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested = message["params"]["request"]["url"]
            assert requested == url or requested.startswith("data:"), requested


@pytest.mark.parametrize("target,at", CASES, ids=["sigmoid-neuron", "net-2-2-2-1", "xyz",
                                                  "program"])
def test_every_frame_next_then_previous(browser, pages, target, at, tmp_path):
    d = symgrad.derive(target, at=at)
    if target == PROGRAM:        # a user program, from a file as users give it
        program = tmp_path / "program.py"
        program.write_text(PROGRAM, encoding="utf-8")
        target = str(program)
    url = rendered(browser, pages, target, at, "en", f"page-{len(target)}")
    wants = expected_frames(d)
    states = []
    for i, want in enumerate(wants):
        state = browser.execute_script(STATE, "next") if i else browser.execute_script(STATE)
        check_frame(state, want, i, len(wants))
        states.append(state)
    assert states[0]["pending"] > 0 and states[-1]["pending"] == 0   # every label shown by the end
    assert browser.find_element("css selector", '[data-step-action="next"]').get_attribute(
        "disabled")
    for i in range(len(wants) - 2, -1, -1):                       # Previous undoes Next
        assert browser.execute_script(STATE, "prev") == states[i], i
    # the figure is the document's own, borrowed: one drawing in the page, one copy shown
    assert browser.execute_script(
        "return document.querySelectorAll('svg [data-part=\"gate\"]').length") == \
        2 * sum(1 for r in d.forward if r.op != "input")
    no_network(browser, url)
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


LINKS = """
const root = document.querySelector('[data-stepper]');
const link = root.querySelector('[data-step-link]');
const target = link.hidden ? null : document.getElementById(link.getAttribute('href').slice(1));
return [link.hidden, target ? target.closest('tr, h3, h2').textContent : null];
"""


def test_links_to_the_document_and_back(browser, pages):
    d = symgrad.derive("(x+y)*z", at="x=-2,y=5,z=-4")
    rendered(browser, pages, "(x+y)*z", "x=-2,y=5,z=-4", "en", "links")
    assert browser.execute_script(LINKS)[0]                  # the start has no paragraph
    browser.execute_script(STATE, "next")                     # forward: the node's table row
    hidden, row = browser.execute_script(LINKS)
    first_gate = [r.name for r in d.forward if r.op != "input"][0]
    assert not hidden and row.strip().startswith(first_gate + " ↑"), row
    browser.execute_script(STATE, "last")                     # backward: the gate's heading
    hidden, heading = browser.execute_script(LINKS)
    assert not hidden and heading == f"The + gate: {d.steps[-1].gate} ↑", heading
    # and back: the document's link to step 3 opens frame 3
    browser.find_element("css selector", 'a.symgrad-step-link[href="#step-3"]').click()
    root = browser.find_element("css selector", "[data-stepper]")
    assert root.get_attribute("data-step-index") == "3"
    assert browser.execute_script(STATE)["gates"] == [d.steps[0].gate]


def test_keys_and_korean(browser, pages):
    from selenium.webdriver.common.keys import Keys

    d = symgrad.derive("sigmoid-neuron")
    js = d.to_json()
    rendered(browser, pages, "sigmoid-neuron", None, "ko", "keys")
    root = browser.find_element("css selector", "[data-stepper]")
    root.click()
    total = len(expected_frames(d))
    index = lambda: int(root.get_attribute("data-step-index"))  # noqa: E731
    root.send_keys(Keys.ARROW_RIGHT)
    root.send_keys(Keys.ARROW_RIGHT)
    assert index() == 2
    root.send_keys(Keys.ARROW_LEFT)
    assert index() == 1
    state = browser.execute_script(STATE)
    forward = [r for r in js["forward"] if r["op"] != "input"]
    assert state["caption"]["ko"].startswith(f"순전파 1/{len(forward)} ")
    assert state["caption"]["ko"].endswith(f" = {fmt(forward[0]['value'])}")
    root.send_keys(Keys.END)
    assert index() == total - 1
    last = js["steps"][-1]
    state = browser.execute_script(STATE)
    assert f"역전파 {len(js['steps'])}/{len(js['steps'])}" in state["caption"]["ko"]
    assert f"{fmt(last['upstream'])} × {fmt_factor(last['local_value'])}" in \
        state["caption"]["ko"]
    root.send_keys(Keys.HOME)
    assert index() == 0
    assert browser.find_element("css selector", '[data-step-action="next"]').text == "다음"


def test_matrix_model_on_its_page(browser, pages):
    d = symgrad.derive("mlp-2layer")
    js = d.to_json()
    url = rendered(browser, pages, "mlp-2layer", None, "en", "matrix")
    states = [browser.execute_script(STATE)]
    assert "Start: the matrix model mlp-2layer" in states[0]["caption"]["en"]
    for row in js["forward"]:
        state = browser.execute_script(STATE, "next")
        shape = "×".join(map(str, row["shape"])) or "scalar"
        assert state["gates"] == state["current"] == [row["name"]]
        assert f"{row['name']} = {row['formula']}, shape {shape}" in state["caption"]["en"]
        states.append(state)
    assert states[-1]["caption"]["en"].endswith(f", value {fmt(js['value'])}")
    for s in js["steps"]:
        state = browser.execute_script(STATE, "next")
        ishape = "×".join(map(str, s["input_shape"])) or "scalar"
        assert state["gates"] == [s["gate"]], s
        assert f"rule {s['rule']}, " in state["caption"]["en"]
        assert f"gets {s['downstream']}: {ishape}, the shape of {s['input']} ✓" in \
            state["caption"]["en"]
        states.append(state)
    for i in range(len(states) - 2, -1, -1):
        assert browser.execute_script(STATE, "prev") == states[i], i
    no_network(browser, url)


def test_matrix_model_standalone_with_small_arrays(browser, pages):
    d = symgrad.derive("relu-2layer", matrix=True)
    js = d.to_json()
    load(browser, pages, d, "en", "matrix-small")
    click(browser, "last")
    state = browser.execute_script(STATE)
    last = js["steps"][-1]
    assert state["gates"] == [last["gate"]]
    grad = js["gradients"][last["input"]]
    values = "[" + ", ".join("[" + ", ".join(fmt(v) for v in r) + "]" for r in grad) + "]"
    assert values in state["caption"]["en"]


BLOCK_FITS = """
const root = document.querySelector('[data-stepper]');
const box = root.getBoundingClientRect();
const out = [];
root.querySelectorAll('*').forEach(e => {
  if (e.closest('[data-step-figure] > *') || e.tagName === 'SCRIPT' || e.tagName === 'STYLE') {
    return;                   // the figure scrolls inside its own box, checked with the block
  }
  const r = e.getBoundingClientRect();
  if (r.right > box.right + 0.5 || r.left < box.left - 0.5) { out.push(e.outerHTML.slice(0, 80)); }
});
return [box.left >= 0 && box.right <= window.innerWidth, out,
        document.documentElement.scrollWidth];
"""


@pytest.mark.parametrize("width", [1200, 400])
def test_no_horizontal_overflow(browser, pages, width):
    """The stepper fits the window and adds no width to the page (at 400 px the documents' own
    wide tables already scroll the page sideways: the static page is the reference)."""
    shots = Path(os.environ.get("SYMGRAD_SCREENSHOTS") or pages)
    shots.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(width, 900)
    try:
        for target, at, lang in (("net-2-2-2-1", None, "en"), ("(x+y)*z", "x=-2,y=5,z=-4", "ko"),
                                 ("mlp-2layer", None, "both")):
            name = "xyz" if at else target
            out = Path(pages) / f"static-{name}-{lang}-{width}"
            args = ["render", target, "--format", "html", "--lang", lang, "--static", "-o",
                    str(out)] + (["--at", at] if at else [])
            assert main(args) == 0
            open_page(browser, next(out.glob("*.html")))
            static_width = browser.execute_script(
                "return document.documentElement.scrollWidth")
            rendered(browser, pages, target, at, lang, f"wide-{name}-{lang}-{width}")
            for _ in range(6):                                # into the backward pass
                browser.execute_script(STATE, "next")
            browser.execute_script("document.querySelector('[data-stepper]').scrollIntoView()")
            inside, sticking_out, page_width = browser.execute_script(BLOCK_FITS)
            browser.save_screenshot(str(shots / f"stepper-{name}-{lang}-{width}.png"))
            assert inside and not sticking_out, (target, width, sticking_out)
            assert page_width <= max(static_width, width), (target, width, page_width)
    finally:
        browser.set_window_size(1200, 900)
