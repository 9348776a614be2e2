"""The text defects of issue 14, each checked against an independent reference: NumPy by hand for
the numbers, the catalog's own data for what a sentence must name."""

import re

import numpy as np
import pytest

from symgrad import catalog
from symgrad.cli import main
from symgrad.render import build


def section(md, heading):
    """The text of the section whose heading starts with ``heading``."""
    start = md.index("\n## " + heading)
    end = md.find("\n## ", start + 1)
    return md[start:end if end > 0 else None]


@pytest.mark.parametrize("model", [m.id for m in catalog.models()])
def test_footer_never_names_an_empty_list(model):
    for lang in ("en", "ko"):
        footer = build(model, "md", lang).text.rstrip().splitlines()[-1]
        assert not re.search(r"\s[)\]]|\(\s*\)|,\s*\)", footer), footer
        seeds = catalog.lookup(model).seeds
        assert ("seed posts" in footer or "원본 글" in footer) == bool(seeds), footer


def test_softmax_matrix_form_defines_every_symbol_and_reuses_no_scalar_name():
    md = build("softmax-ce", "md", "en").text
    block = section(md, "The matrix form")
    scalar_names = set(catalog.lookup("softmax-ce").graph().nodes)
    lines = re.findall(r"^(.+?) &= (.*?)(?: \\\\)?$", block, flags=re.M)
    defined = {head.strip() for head, _ in lines}
    assert "Y" in defined                                        # the one-hot label is written out
    assert r"Y &= \begin{bmatrix}1 & 0 & 0\end{bmatrix}" in block
    for head in defined:
        name = re.sub(r"\\mathrm\{(\w+)\}", r"\1", head)
        assert name.replace("_{", "").replace("}", "") not in scalar_names - {"L"}, head


def test_softmax_gradient_closed_form_is_p_minus_one():
    md = build("softmax-ce", "md", "en").text
    rows = section(md, "The chain rule")
    s1 = rows[rows.index(r"\frac{\partial L}{\partial s_{1}}"):]
    s1 = s1[:s1.index(r"\end{aligned}")]
    assert r"e^{- s_{1}}" not in s1                     # not (−e^{−s1} + 1/Σ)·e^{s1}
    assert r"\frac{e^{s_{1}}}{e^{s_{1}} + e^{s_{2}} + e^{s_{3}}}" in s1 and "-1" in s1
    s = np.array([3.2, 5.1, -1.7])                      # the catalog's default scores
    p = np.exp(s) / np.exp(s).sum()
    value = float(re.findall(r"= (-?[0-9.]+)\s*$", s1.strip())[-1])
    assert value == pytest.approx(p[0] - 1, rel=1e-5)


def test_times_minus_one_gate_is_explained_as_a_scaling():
    md = build("sigmoid-neuron", "md", "en").text
    gate = md[md.index("### The `×-1` gate"):]
    gate = gate[:gate.index("$$")]
    assert "swaps" not in gate and "constant" in gate


def test_model_heading_names_a_loss_only_when_the_output_is_one():
    assert "## The model and its output" in build("sigmoid-neuron", "md", "en").text
    assert "## 모델과 출력" in build("sigmoid-neuron", "md", "ko").text
    assert "## The model and the loss" in build("linear-mse", "md", "en").text


def test_mathml_negative_numbers_are_signed_and_fences_unpadded():
    html = build("sigmoid-neuron", "html", "en").text
    assert "<mn>&#x02212;0.534447</mn>" in html
    assert not re.search(r'<mo stretchy="false">&#x00028;</mo><mo>&#x02212;</mo><mn>', html)
    fences = re.findall(r'<mo stretchy="(?:true|false)" fence="true"[^>]*>', html)
    assert fences and all('lspace="0em" rspace="0em"' in f for f in fences)
    # σ(w0·x0 + …) is one line high: plain brackets, not stretched ones with their padding
    net = build("net-2-2-2-1", "html", "en").text
    assert re.search(r'<mi>&#x003C3;</mi><mrow><mo stretchy="false" fence="true"', net)
    # a subtraction after a closing bracket or a number stays a binary minus
    from latex2mathml.converter import convert

    from symgrad.render.mathml import tidy_mathml

    out = tidy_mathml(convert(r"(-1) - 2 + \left(a\right) - 3 = -4"))
    assert out.count("<mo>&#x02212;</mo><mn>") == 2 and out.count("<mn>&#x02212;") == 2


def test_matrix_documents_set_loss_upright_like_scalar_ones():
    md = build("mlp-2layer", "md", "en").text
    assert r"\partial loss" not in md and r"$loss$" not in md
    assert r"\frac{\partial \mathrm{loss}}{\partial w_{1}}" in md


def mlp_step(lr):
    """One SGD step of seed 004's network by hand (NumPy), from the catalog's default arrays."""
    arrays = catalog.lookup("mlp-2layer").matrix.default_arrays()
    x, y, w1, w2 = (arrays[k] for k in ("x", "y", "w1", "w2"))

    def loss(w1, w2):
        # after the diverging 0.1 step some pre-activations are below −709: exp overflows to
        # inf there and σ is 0, as it should be
        with np.errstate(over="ignore"):
            return float(((1 / (1 + np.exp(-x @ w1)) @ w2 - y) ** 2).sum())
    h = 1 / (1 + np.exp(-x @ w1))
    g_yhat = 2 * (h @ w2 - y)
    g_w2 = h.T @ g_yhat
    g_w1 = x.T @ ((g_yhat @ w2.T) * h * (1 - h))
    return loss(w1, w2), loss(w1 - lr * g_w1, w2 - lr * g_w2)


def update_sentence_numbers(md):
    m = re.search(r"goes from \$([^$]+)\$ to \$([^$]+)\$", md)
    return [float(v.replace(r"\times 10^{", "e").rstrip("}")) for v in m.groups()]


def test_mlp_post_takes_seed_004s_step_which_lowers_the_loss(tmp_path):
    assert catalog.lookup("mlp-2layer").learning_rate == 1e-4
    before, after = update_sentence_numbers(build("mlp-2layer", "md", "en").text)
    ref_before, ref_after = mlp_step(1e-4)
    assert before == pytest.approx(ref_before, rel=1e-5)
    assert after == pytest.approx(ref_after, rel=1e-5) and after < before
    assert main(["render", "mlp-2layer", "--lr", "0.1", "-o", str(tmp_path)]) == 0
    text = (tmp_path / "mlp-2layer.md").read_text(encoding="utf-8")
    before, after = update_sentence_numbers(text)
    assert after == pytest.approx(mlp_step(0.1)[1], rel=1e-5) and after > before


class Terminal:
    """A stderr that says it is a terminal and keeps what is written to it."""

    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass

    def isatty(self):
        return True


def test_long_renders_show_progress_on_a_terminal_only(monkeypatch, tmp_path, capsys):
    import sys

    documents = sys.modules["symgrad.render.documents"]
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(documents, "DELAY", 0)        # as if the render took over 2 s
    assert main(["render", "circuit-xyz", "-o", str(tmp_path)]) == 0
    shown = terminal.text
    assert "render md" in shown and "deriving" in shown and "writing" in shown
    terminal.text = ""
    monkeypatch.setattr(documents, "DELAY", 2.0)      # a quick render prints nothing
    assert main(["render", "circuit-xyz", "-o", str(tmp_path)]) == 0
    assert terminal.text == ""
    assert main(["render", "--all", "--format", "jekyll", "-o", str(tmp_path / "posts")]) == 0
    n = len(catalog.models())
    shown = terminal.text
    assert "render --all" in shown and f"/{n} " in shown and "svm-total" in shown
    monkeypatch.undo()
    assert main(["render", "--all", "--format", "jekyll", "-o", str(tmp_path / "p2")]) == 0
    assert capsys.readouterr().err == ""              # not a terminal: nothing on stderr
