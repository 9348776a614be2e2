"""The stepper in a real browser: Chromium driven by Selenium through every frame.

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
    """(caption substring, active gate, active edge, caption ending) per frame, from derive's JSON."""
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
    path = Path(folder) / f"{name}.html"
    path.write_text(stepper_page(d, lang), encoding="utf-8")
    browser.get(path.as_uri())
    browser.get_log("performance")         # start the network check from this page's load
    return path.as_uri()


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
def test_every_frame_next_then_previous(browser, pages, target, at):
    d = symgrad.derive(target, at=at)
    url = load(browser, pages, d, "en", f"page-{len(target)}")
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
    no_network(browser, url)
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_keys_and_korean(browser, pages):
    from selenium.webdriver.common.keys import Keys

    d = symgrad.derive("(x+y)*z", at="x=-2,y=5,z=-4")
    load(browser, pages, d, "both", "keys")
    root = browser.find_element("css selector", "[data-stepper]")
    root.click()
    total = 1 + 2 + 4
    index = lambda: int(root.get_attribute("data-step-index"))
    root.send_keys(Keys.ARROW_RIGHT)
    root.send_keys(Keys.ARROW_RIGHT)
    assert index() == 2
    root.send_keys(Keys.ARROW_LEFT)
    assert index() == 1
    root.send_keys(Keys.END)
    assert index() == total - 1
    state = browser.execute_script(STATE)
    assert "역전파 4/4" in state["caption"]["ko"] and "Backward 4/4" in state["caption"]["en"]
    root.send_keys(Keys.HOME)
    assert index() == 0
    assert browser.find_element("css selector", '[data-step-action="next"]').text == "다음 · Next ›"


def test_matrix_model(browser, pages):
    d = symgrad.derive("relu-2layer", matrix=True)
    js = d.to_json()
    load(browser, pages, d, "en", "matrix")
    click(browser, "last")
    state = browser.execute_script(STATE)
    last = js["steps"][-1]
    assert state["gates"] == [last["gate"]]
    assert last["rule"] in state["caption"]["en"]
    click(browser, "first")
    for row in js["forward"]:
        state = browser.execute_script(STATE, "next")
        assert state["gates"] == [row["name"]] and row["formula"] in state["caption"]["en"]


@pytest.mark.parametrize("width", [1200, 400])
def test_no_horizontal_overflow(browser, pages, width):
    shots = Path(os.environ.get("SYMGRAD_SCREENSHOTS") or pages)
    shots.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(width, 900)
    try:
        for target, at in CASES[1:3]:
            d = symgrad.derive(target, at=at)
            load(browser, pages, d, "both", f"wide-{len(target)}")
            for _ in range(len(d.forward) - len(d.inputs) + 2):    # into the backward pass
                browser.execute_script(STATE, "next")
            overflow = browser.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]")
            name = "xyz" if at else target
            browser.save_screenshot(str(shots / f"stepper-{name}-{width}.png"))
            assert overflow[0] <= overflow[1], (target, width, overflow)
    finally:
        browser.set_window_size(1200, 900)
