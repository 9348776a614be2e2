"""The steppable page: the forward and backward pass of a derivation, one gate at a time.

:func:`frames` turns a :class:`~symgrad.derivation.Derivation` (or a matrix-level
:class:`~symgrad.matrix.derivation.MatrixDerivation`) into plain data, one :class:`Frame`
per state of the stepper:

* frame 0, the start: the model and the point (the inputs' values appear on their edges);
* one frame per gate of the forward pass, in topological order (``d.forward``, inputs left out):
  the gate lights up and its value appears on its outgoing edges;
* one frame per backward step, in the order of ``symgrad derive --format json``'s ``steps``:
  the gate and the edge to its input light up, the gradient appears under the edge, and the
  caption reads ``downstream = upstream × local`` with the numbers; a node read by several
  gates (fan-out) shows its running sum, and the complete sum when its last part arrives.

:func:`stepper_block` writes the HTML block (caption, buttons, the frames as JSON and
``templates/stepper.js``) that ``render --format html`` and ``--format jekyll`` put above the
document (``formats.py``). The block of a document holds no drawing: its script borrows the
document's own circuit figure, drawn with ``data-*`` attributes
(``make_figures(..., steps=True)``), so the page carries the figure once. :func:`anchor_tokens`
and :func:`place_anchors` put the ids the frames link to (and the links back to ``#step-<n>``)
into the document. :func:`stepper_page` wraps
a block with its own figure into a standalone page (tests, previews). The contract is written
down in ``docs/render.md`` (section "The stepper").
"""

import json
import math
import os
import re
import string
from dataclasses import dataclass, field

import numpy as np
from markupsafe import escape

from ..functions import UserStrPrinter, user_text
from ..matrix.derivation import MatrixDerivation
from .document_figures import graph_figure_svg
from .environment import ENV

LANGS = ("en", "ko")
BOTH_ORDER = ("ko", "en")        # "both" documents put Korean first (as the rendered pages do)
MAX_EXPRESSION = 120             # a longer closed form is left out of the start caption

# The stepper's words. Captions are plain text (the script writes them with textContent).
STRINGS = {
    "en": {
        "region": "Step through the forward and backward pass",
        # the buttons' words are their labels (read by screen readers as they are)
        "first": "Start", "prev": "Previous", "next": "Next", "last": "End",
        "link": "↓ this step in the document", "back": "Step {n} in the stepper above",
        "keys_help": "Keys: ← →, Home, End.",
        "start_expr": "Start: {out} = {expr} at {point}. "
                      "Next runs the forward pass, one gate at a time.",
        "start_plain": "Start: the model {out} at {point}. "
                       "Next runs the forward pass, one gate at a time.",
        "forward": "Forward {k}/{n} · {label} gate {node}: {node} = {expr} = {numbers} = {value}",
        "backward": "Backward {k}/{n} · {label} gate {gate} → {input}: "
                    "downstream = upstream × local = {up} × {local} = {down} "
                    "(upstream ∂{out}/∂{gate}; local ∂{gate}/∂{input} = {local_expr})",
        "fanout_part": " · {input} is read by {count} gates; running sum so far: "
                       "∂{out}/∂{input} = {sum}",
        "fanout_done": " · {input} is read by {count} gates, so its gradients add: "
                       "∂{out}/∂{input} = {sum}",
        "m_start": "Start: the matrix model {model}{values}. "
                   "Next runs the forward pass, one matrix gate at a time.",
        "m_forward": "Forward {k}/{n} · {label} {node} = {formula}, shape {shape}",
        "m_backward": "Backward {k}/{n} · {label} gate {gate} → {input}: G = {up} ({gshape}), "
                      "rule {rule}, ∂{out}/∂{input} gets {down}: {ishape}, "
                      "the shape of {input} ✓",
        "m_fanout": " · {input} is read by {gates}: its gradients add",
        "m_value": ", value {value}",
        "m_gradient": " · ∂{out}/∂{input} is complete: {values}",
    },
    "ko": {
        "region": "순전파와 역전파를 한 단계씩 따라가기",
        "first": "처음", "prev": "이전", "next": "다음", "last": "끝",
        "link": "↓ 본문의 이 단계", "back": "위의 단계 보기에서 {n}단계",
        "keys_help": "키: ← →, Home, End.",
        "start_expr": "시작: {point}에서의 {out} = {expr}. "
                      "다음을 누르면 순전파가 gate 하나씩 진행됩니다.",
        "start_plain": "시작: {point}에서의 모델 {out}. "
                       "다음을 누르면 순전파가 gate 하나씩 진행됩니다.",
        "forward": "순전파 {k}/{n} · {label} gate {node}: {node} = {expr} = {numbers} = {value}",
        "backward": "역전파 {k}/{n} · {label} gate {gate} → {input}: "
                    "downstream = upstream × local = {up} × {local} = {down} "
                    "(upstream ∂{out}/∂{gate}, local ∂{gate}/∂{input} = {local_expr})",
        "fanout_part": " · {input}은(는) gate {count}개가 읽으므로 gradient가 더해집니다. "
                       "지금까지의 합: ∂{out}/∂{input} = {sum}",
        "fanout_done": " · {input}은(는) gate {count}개가 읽으므로 gradient가 더해집니다: "
                       "∂{out}/∂{input} = {sum}",
        "m_start": "시작: 행렬 모델 {model}{values}. "
                   "다음을 누르면 순전파가 행렬 gate 하나씩 진행됩니다.",
        "m_forward": "순전파 {k}/{n} · {label} {node} = {formula}, 모양 {shape}",
        "m_backward": "역전파 {k}/{n} · {label} gate {gate} → {input}: G = {up} ({gshape}), "
                      "규칙 {rule}, ∂{out}/∂{input}에 {down}이 더해집니다: "
                      "모양 {ishape}, {input}의 모양과 같습니다 ✓",
        "m_fanout": " · {input}은(는) {gates}가 읽으므로 gradient가 더해집니다",
        "m_value": ", 값 {value}",
        "m_gradient": " · ∂{out}/∂{input}이 완성되었습니다: {values}",
    },
}


@dataclass
class Frame:
    """One state of the stepper."""

    index: int
    kind: str                 # "start", "forward" or "backward"
    node: str                 # the gate that lights up ("" at the start)
    edge: str                 # the edge that lights up, "<from>-><to>" (backward frames), else ""
    parts: list               # the caption: (key of STRINGS, {field: text}) pieces, in order
    reveal: list              # labels this frame makes visible: "value:<node>", "grad:<from>-><to>"
    anchor: str               # id of the frame's paragraph in the document ("" when none)
    numbers: dict = field(default_factory=dict)   # the numbers of the caption, for tests

    @property
    def caption(self):
        """lang -> the caption as plain text."""
        return {lang: "".join(STRINGS[lang][key].format(**values) for key, values in self.parts)
                for lang in LANGS}


def number(v):
    """A number in a caption: up to 6 significant digits (Python's ``{:.6g}``); zero is ``0``."""
    v = float(v)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.6g}"


def factor(v):
    """A number as the right operand of ×: negative numbers in parentheses, ``1 × (-4)``."""
    text = number(v)
    return f"({text})" if text.startswith("-") else text


class _NumbersPrinter(UserStrPrinter):
    """Prints a gate's expression with each node symbol replaced by the node's value."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def _print_Symbol(self, symbol):
        return factor(self.values[symbol.name])


def edge_id(source, target):
    return f"{source}->{target}"


# --- scalar derivations ------------------------------------------------------------------
def frames(d):
    """The frames of derivation ``d`` (scalar or matrix level), start first."""
    if isinstance(d, MatrixDerivation):            # matrix gates, formulas, shapes
        return matrix_frames(d)
    return [start_frame(d)] + forward_frames(d) + backward_frames(d)


def start_frame(d):
    expr = user_text(d.expression()) if d.expanded else ""
    point = ", ".join(f"{k} = {number(v)}" for k, v in d.point.items())
    part = ("start_expr", {"out": d.output, "expr": expr, "point": point}) \
        if expr and len(expr) <= MAX_EXPRESSION else \
        ("start_plain", {"out": d.output, "point": point})
    return Frame(0, "start", "", "", [part], [f"value:{n}" for n in d.inputs], "",
                 {"at": dict(d.point)})


def forward_frames(d):
    rows = [r for r in d.forward if r.op != "input"]
    printer = _NumbersPrinter(d.values)
    out = []
    for k, row in enumerate(rows, 1):
        part = ("forward", dict(k=k, n=len(rows), label=row.label, node=row.name,
                                expr=user_text(row.expr), numbers=printer.doprint(row.expr),
                                value=number(row.value)))
        out.append(Frame(k, "forward", row.name, "", [part], [f"value:{row.name}"],
                         f"fwd-{row.name}", {"value": row.value}))
    return out


def backward_frames(d):
    start = 1 + sum(1 for r in d.forward if r.op != "input")
    fanout = {a.node: len(a.parts) for a in d.accumulations}
    seen = {}                                  # node -> parts received so far (fan-out)
    out = []
    for k, s in enumerate(d.steps, 1):
        edge = edge_id(s.input, s.gate)
        parts = [("backward", dict(k=k, n=len(d.steps), label=d.graph.nodes[s.gate].label,
                                   gate=s.gate, input=s.input, up=number(s.upstream),
                                   local=factor(s.local_value), down=number(s.downstream),
                                   out=d.output, local_expr=user_text(s.local)))]
        numbers = {"upstream": s.upstream, "local": s.local_value, "downstream": s.downstream}
        if s.input in fanout:
            received = seen.setdefault(s.input, [])
            received.append(s.downstream)
            total = sum(received)
            terms = " + ".join([number(received[0])] + [factor(p) for p in received[1:]])
            key = "fanout_done" if len(received) == fanout[s.input] else "fanout_part"
            parts.append((key, dict(
                input=s.input, count=fanout[s.input], out=d.output,
                sum=f"{terms} = {number(total)}" if len(received) > 1 else number(total))))
            numbers["running_sum"] = total
        reveal = [f"grad:{edge}"] + ([f"grad:{edge_id(d.output, '')}"] if k == 1 else [])
        out.append(Frame(start + k - 1, "backward", s.gate, edge, parts, reveal,
                         f"gate-{s.gate}", numbers))
    return out


# --- matrix derivations ------------------------------------------------------------------
SHOW_VALUES = 12    # arrays with at most this many entries are written out in captions


def _shape(shape):
    """``2×3``; a vector as NumPy writes it, ``(3,)``; a number: scalar."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "×".join(map(str, shape)) or "scalar"


def array_text(a):
    """An array in a caption: its shape, and its entries when there are few (``[[1, -2]]``), else
    its norm. The matrix derivation knows the arrays of the inputs, the loss and the gradients of
    the parameters (not the intermediate gates' values)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return number(a)
    if a.size > SHOW_VALUES:
        return f"{_shape(a.shape)}, ‖·‖ = {number(np.linalg.norm(a))}"

    def nested(x):
        return "[" + ", ".join(nested(r) if np.ndim(r) else number(r) for r in x) + "]"
    return f"{_shape(a.shape)} {nested(a)}"


NAME_LIMIT = 60     # characters of a program file's name in the start caption


def matrix_target_name(d):
    """What the start caption calls the model: the catalog id, the program file's name (not the
    path as typed: ``/home/me/models/net.sg`` is ``net.sg``), or the model's name for program
    text. The caption is text the page escapes (the frames are JSON, shown with textContent)."""
    if d.catalog is not None:
        return d.catalog.id
    if d.path:
        name = os.path.basename(d.path.replace("\\", "/")) or d.model.name
        return name if len(name) <= NAME_LIMIT else name[:NAME_LIMIT - 1] + "…"
    return d.model.name


def matrix_frames(d):
    """Matrix gates: formulas and shapes, and the arrays the derivation holds (inputs, loss,
    parameter gradients) written out when small."""
    # the figure lists the inputs' shapes: the start writes out the small arrays only
    small = [n for n in d.inputs if n in d.arrays and np.size(d.arrays[n]) <= SHOW_VALUES]
    values = "".join(f", {n} = {array_text(d.arrays[n])}" for n in small)
    # the list of matrix gates has no labels to reveal: the frames' reveal lists stay empty
    start = ("m_start", {"model": matrix_target_name(d), "values": values})
    result = [Frame(0, "start", "", "", [start], [], "",
                    {"shapes": {n: list(d.shapes[n]) for n in d.inputs}})]
    for k, row in enumerate(d.forward, 1):
        parts = [("m_forward", dict(k=k, n=len(d.forward), label=row.label, node=row.name,
                                    formula=row.formula.text, shape=_shape(row.shape)))]
        numbers = {"shape": list(row.shape)}
        if row.name == d.output:
            parts.append(("m_value", {"value": number(d.value)}))
            numbers["value"] = d.value
        result.append(Frame(len(result), "forward", row.name, "", parts, [], "matrix-forward",
                            numbers))
    result += _matrix_backward(d, len(result))
    return result


def _matrix_backward(d, start):
    fanout = d.accumulations
    last = {s.input: k for k, s in enumerate(d.steps)}       # a gradient is complete here
    out = []
    for k, s in enumerate(d.steps):
        parts = [("m_backward", dict(k=k + 1, n=len(d.steps), label=s.label, gate=s.gate,
                                     input=s.input, up=s.upstream, gshape=_shape(s.gate_shape),
                                     rule=s.rule.text, down=s.downstream.text,
                                     ishape=_shape(s.input_shape), out=d.output))]
        numbers = {"gate_shape": list(s.gate_shape), "input_shape": list(s.input_shape)}
        if s.input in fanout:
            parts.append(("m_fanout", {"input": s.input, "gates": ", ".join(fanout[s.input])}))
        if s.input in d.gradients and last[s.input] == k:
            parts.append(("m_gradient", {"out": d.output, "input": s.input,
                                         "values": array_text(d.gradients[s.input])}))
            numbers["gradient"] = np.asarray(d.gradients[s.input], dtype=float).tolist()
        edge = edge_id(s.input, s.gate)
        out.append(Frame(start + k, "backward", s.gate, edge, parts, [], "matrix-backward",
                         numbers))
    return out


# --- HTML ----------------------------------------------------------------------------------
def script_json(data):
    """JSON for a ``<script type="application/json">`` element: ``<``, ``>`` and ``&`` are
    written as \\u escapes, so no text inside (a node name, a caption) can close the element;
    and ``{{`` / ``{%`` (only possible inside strings) as ``{\\u007b`` / ``{\\u0025``, so Liquid
    (a Jekyll post) reads no tag in it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)        # JSON.parse refuses NaN and Infinity
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("{{", "{\\u007b").replace("{%", "{\\u0025")


def _langs(lang):
    if lang not in LANGS + ("both",):
        raise ValueError(f"stepper: unknown language {lang!r}")
    return BOTH_ORDER if lang == "both" else (lang,)


def _fields(key):
    """The fields of caption template ``key``, in one order for every language."""
    names = {n for lang in LANGS for _, n, _, _ in string.Formatter().parse(STRINGS[lang][key])}
    return sorted(n for n in names if n)


def frames_data(d, lang, all_frames=None):
    """What the script reads (the bulk of the block, so it is written without repetition):

    * ``words``: each caption template used, ``key -> [template per page language]``, its fields
      numbered (``{0}``) in the order of :func:`_fields`;
    * ``frames``: one row per frame, ``[node, edge, anchor, reveal, parts]``, the caption's
      ``parts`` as ``[[key, [field values]], ...]``.
    """
    langs = _langs(lang)
    all_frames = all_frames or frames(d)
    keys = sorted({key for f in all_frames for key, _ in f.parts})
    words = {}
    for key in keys:
        numbered = {n: f"{{{i}}}" for i, n in enumerate(_fields(key))}
        words[key] = [STRINGS[x][key].format(**numbered) for x in langs]
    rows = [[f.node, f.edge, f.anchor, f.reveal,
             [[key, [str(values[n]) for n in _fields(key)]] for key, values in f.parts]]
            for f in all_frames]
    return {"langs": list(langs), "words": words, "frames": rows}


def matrix_figure(d):
    """The figure slot of a matrix model (it has no circuit drawing): one list item per gate."""
    inputs = ", ".join(f"{escape(n)} <span>{escape(_shape(d.shapes[n]))}</span>"
                       for n in d.inputs)
    items = [f"<li>{inputs}</li>"]
    items += [f'<li data-node="{escape(r.name)}" data-part="gate">{escape(r.name)} = '
              f'{escape(r.formula.text)} <span>{escape(_shape(r.shape))}</span></li>'
              for r in d.forward]
    return '<ol class="symgrad-matrix-gates">\n' + "\n".join(items) + "\n</ol>"


_JS_STRING = re.compile(r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")
_JS_SPACES = re.compile(r"\s*([-+*/%=<>!&|?:;,(){}\[\]])\s*")


def compact_script(text):
    """The script without comment lines, indentation and the spaces beside punctuation (outside
    string literals; its two regular expressions hold no space): a third smaller, each statement
    still on its own line, and no blank line, so a Markdown processor (a Jekyll post) sees the
    block as one HTML block. The browser tests run the compacted script."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        pieces = _JS_STRING.split(line)        # odd pieces are string literals, kept as they are
        out.append("".join(piece if i % 2 else _JS_SPACES.sub(r"\1", piece)
                           for i, piece in enumerate(pieces)))
    return "\n".join(out)


def stepper_block(d, lang, svg=None, env=ENV):
    """The stepper's HTML block for derivation ``d`` in ``lang`` ("en", "ko" or "both").

    ``svg``: None in a rendered document, whose circuit figure (drawn by
    ``make_figures(..., steps=True)``) the script borrows; a standalone page passes
    :func:`graph_svg`.
    A matrix derivation has no drawing: the block lists its matrix gates. The block is
    ``hidden`` until its script runs, so without JavaScript the page is the static page, and it
    has no blank line (a Markdown processor keeps it one HTML block).
    """
    langs = _langs(lang)
    words = {key: " · ".join(STRINGS[x][key] for x in langs) for key in STRINGS["en"]}
    all_frames = frames(d)
    if isinstance(d, MatrixDerivation):
        svg = matrix_figure(d)
    script = compact_script(env.loader.get_source(env, "stepper.js")[0])
    return env.get_template("stepper.html.j2").render(
        words=words, svg=(svg or "").strip(), data=script_json(frames_data(d, lang, all_frames)),
        script=script, count=len(all_frames), matrix=isinstance(d, MatrixDerivation))


def jekyll_html(block):
    """The block as a Jekyll post holds it, inside the post's ``{% raw %}`` region: its JSON has
    no ``{{`` or ``{%`` (:func:`script_json`) and the script none; a ``{%`` of user text in the
    HTML is written ``{&#37;``, so nothing in it can close the raw region early."""
    return block.strip().replace("{%", "{&#37;")


def graph_svg(d, env=ENV, lang="en"):
    """The circuit figure with the stepper's data attributes (the document's drawing, plus
    them), for a standalone page."""
    return graph_figure_svg(d, lang, env, data_attributes=True)


# --- links between the frames and the document ---------------------------------------------
def anchor_tokens(d):
    """id -> a placeholder the document template writes after the id's row or heading
    (``fwd-<node>``: the node's row of the forward table; ``gate-<gate>``: the gate's heading;
    ``matrix-forward`` / ``matrix-backward``: the matrix document's headings). Placeholders,
    because the HTML format's Markdown converter escapes raw HTML: :func:`place_anchors` puts the
    links in after the conversion (and straight into a Jekyll post's Markdown)."""
    ids = sorted({f.anchor for f in frames(d) if f.anchor})
    return {anchor: f" SYMGRADSTEPLINK{i:04d}X" for i, anchor in enumerate(ids)}


def place_anchors(text, d, lang):
    """``text`` with each placeholder of :func:`anchor_tokens` replaced by a small link back to
    the first frame showing it (``#step-<n>``), carrying the id the frame links to. A gate with
    two headings keeps its id on the first one (ids are unique on a page)."""
    langs = _langs(lang)
    first = {}
    for f in frames(d):
        if f.anchor:
            first.setdefault(f.anchor, f.index)
    for anchor, token in anchor_tokens(d).items():
        n = first[anchor]
        label = escape(" · ".join(STRINGS[x]["back"].format(n=n + 1) for x in langs))
        link = f' <a class="symgrad-step-link" href="#step-{n}" title="{label}">↑</a>'
        with_id = link.replace("<a ", f'<a id="{escape(anchor)}" ', 1)
        text = text.replace(token, with_id, 1).replace(token, link)
    return text


def stepper_page(d, lang="en", env=ENV):
    """A standalone HTML page holding only the stepper (for tests and previews; no network)."""
    matrix = isinstance(d, MatrixDerivation)
    svg = None if matrix else graph_svg(d, env, lang)
    block = stepper_block(d, lang, svg, env)
    name = matrix_target_name(d) if matrix else d.target
    return env.get_template("stepper_page.html.j2").render(
        lang="en" if lang == "en" else "ko", title=f"symgrad stepper · {name}", block=block)
