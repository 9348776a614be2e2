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

:func:`stepper_block` writes the HTML block (figure, caption, buttons, the frames as JSON and
``templates/stepper.js``) that the renderer puts above a document; :func:`stepper_page` wraps
it into a standalone page (for tests and previews). The contract the block keeps for tests and
for people who embed it is written down in ``docs/stepper.md``.
"""

import json
import math
import re
from dataclasses import asdict, dataclass, field

import sympy
from sympy.printing.str import StrPrinter

LANGS = ("en", "ko")
BOTH_ORDER = ("ko", "en")        # "both" documents put Korean first (as the rendered pages do)
MAX_EXPRESSION = 120             # a longer closed form is left out of the start caption

# The stepper's words. Captions are plain text (the script writes them with textContent).
STRINGS = {
    "en": {
        "region": "Step through the forward and backward pass",
        "first": "First", "prev": "Previous", "next": "Next", "last": "Last",
        "first_label": "Go to the start", "prev_label": "Previous step",
        "next_label": "Next step", "last_label": "Go to the last step",
        "link": "↓ this step in the document", "back": "↑ back to the stepper",
        "keys_help": "Keys: ← → step, Home / End jump (when the stepper has focus).",
        "start": "Start: {model} at {point}. Next runs the forward pass, one gate at a time.",
        "model_expr": "{out} = {expr}", "model_plain": "the model {out}",
        "forward": "Forward {k}/{n} · {label} gate {node}: {node} = {expr} = {numbers} = {value}",
        "backward": "Backward {k}/{n} · {label} gate {gate} → {input}: "
                    "downstream = upstream × local = {up} × {local} = {down} "
                    "(upstream ∂{out}/∂{gate}; local ∂{gate}/∂{input} = {local_expr})",
        "fanout_part": " · {input} is read by {count} gates; running sum so far: "
                       "∂{out}/∂{input} = {sum}",
        "fanout_done": " · {input} is read by {count} gates, so its gradients add: "
                       "∂{out}/∂{input} = {sum}",
        "m_start": "Start: the matrix model {model}, shapes {shapes}. "
                   "Next runs the forward pass, one matrix gate at a time.",
        "m_forward": "Forward {k}/{n} · {label} {node} = {formula}, shape {shape}",
        "m_backward": "Backward {k}/{n} · {label} gate {gate} → {input}: "
                      "with G = {up} ({gshape}), the rule gives {rule}, "
                      "so ∂{out}/∂{input} gets {down}; its shape {ishape} is the shape of {input} ✓",
        "m_fanout": " · {input} is read by {gates}: its gradients add",
    },
    "ko": {
        "region": "순전파와 역전파를 한 단계씩 따라가기",
        "first": "처음", "prev": "이전", "next": "다음", "last": "끝",
        "first_label": "처음으로", "prev_label": "이전 단계",
        "next_label": "다음 단계", "last_label": "마지막 단계로",
        "link": "↓ 본문의 이 단계", "back": "↑ 단계 보기로 돌아가기",
        "keys_help": "키: ← → 한 단계, Home / End 처음과 끝 (단계 보기에 포커스가 있을 때).",
        "start": "시작: {point}에서의 {model}. 다음을 누르면 순전파가 gate 하나씩 진행됩니다.",
        "model_expr": "{out} = {expr}", "model_plain": "모델 {out}",
        "forward": "순전파 {k}/{n} · {label} gate {node}: {node} = {expr} = {numbers} = {value}",
        "backward": "역전파 {k}/{n} · {label} gate {gate} → {input}: "
                    "downstream = upstream × local = {up} × {local} = {down} "
                    "(upstream ∂{out}/∂{gate}, local ∂{gate}/∂{input} = {local_expr})",
        "fanout_part": " · {input}은(는) gate {count}개가 읽으므로 gradient가 더해집니다. "
                       "지금까지의 합: ∂{out}/∂{input} = {sum}",
        "fanout_done": " · {input}은(는) gate {count}개가 읽으므로 gradient가 더해집니다: "
                       "∂{out}/∂{input} = {sum}",
        "m_start": "시작: 행렬 모델 {model}, 모양 {shapes}. "
                   "다음을 누르면 순전파가 행렬 gate 하나씩 진행됩니다.",
        "m_forward": "순전파 {k}/{n} · {label} {node} = {formula}, 모양 {shape}",
        "m_backward": "역전파 {k}/{n} · {label} gate {gate} → {input}: "
                      "G = {up} ({gshape})일 때 규칙은 {rule}이므로 "
                      "∂{out}/∂{input}에 {down}이 더해집니다. 모양 {ishape}는 {input}의 모양과 같습니다 ✓",
        "m_fanout": " · {input}은(는) {gates}가 읽으므로 gradient가 더해집니다",
    },
}


@dataclass
class Frame:
    """One state of the stepper."""

    index: int
    kind: str                 # "start", "forward" or "backward"
    node: str                 # the gate that lights up ("" at the start)
    edge: str                 # the edge that lights up, "<from>-><to>" (backward frames), else ""
    caption: dict             # lang -> plain text
    reveal: list              # labels this frame makes visible: "value:<node>", "grad:<from>-><to>"
    anchor: str               # id of the frame's paragraph in the document ("" when none)
    numbers: dict = field(default_factory=dict)   # the numbers of the caption, for tests


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


class _NumbersPrinter(StrPrinter):
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
    if hasattr(d, "shapes"):            # a MatrixDerivation: matrix gates, formulas, shapes
        return matrix_frames(d)
    return [start_frame(d)] + forward_frames(d) + backward_frames(d)


def _texts(key, **values):
    return {lang: STRINGS[lang][key].format(**values) for lang in LANGS}


def start_frame(d):
    expr = sympy.sstr(d.expression()) if d.expanded else ""
    point = ", ".join(f"{k} = {number(v)}" for k, v in d.point.items())
    caption = {}
    for lang in LANGS:
        words = STRINGS[lang]
        model = words["model_expr"].format(out=d.output, expr=expr) \
            if expr and len(expr) <= MAX_EXPRESSION else words["model_plain"].format(out=d.output)
        caption[lang] = words["start"].format(model=model, point=point)
    return Frame(0, "start", "", "", caption, [f"value:{n}" for n in d.inputs], "",
                 {"at": dict(d.point)})


def forward_frames(d):
    rows = [r for r in d.forward if r.op != "input"]
    printer = _NumbersPrinter(d.values)
    out = []
    for k, row in enumerate(rows, 1):
        caption = _texts("forward", k=k, n=len(rows), label=row.label, node=row.name,
                         expr=sympy.sstr(row.expr), numbers=printer.doprint(row.expr),
                         value=number(row.value))
        out.append(Frame(k, "forward", row.name, "", caption, [f"value:{row.name}"],
                         f"fwd-{row.name}", {"value": row.value}))
    return out


def backward_frames(d):
    start = 1 + sum(1 for r in d.forward if r.op != "input")
    fanout = {a.node: len(a.parts) for a in d.accumulations}
    seen = {}                                  # node -> parts received so far (fan-out)
    out = []
    for k, s in enumerate(d.steps, 1):
        edge = edge_id(s.input, s.gate)
        caption = _texts("backward", k=k, n=len(d.steps), label=d.graph.nodes[s.gate].label,
                         gate=s.gate, input=s.input, up=number(s.upstream),
                         local=factor(s.local_value), down=number(s.downstream), out=d.output,
                         local_expr=sympy.sstr(s.local))
        numbers = {"upstream": s.upstream, "local": s.local_value, "downstream": s.downstream}
        if s.input in fanout:
            parts = seen.setdefault(s.input, [])
            parts.append(s.downstream)
            total = sum(parts)
            terms = " + ".join([number(parts[0])] + [factor(p) for p in parts[1:]])
            key = "fanout_done" if len(parts) == fanout[s.input] else "fanout_part"
            for lang in LANGS:
                caption[lang] += STRINGS[lang][key].format(
                    input=s.input, count=fanout[s.input], out=d.output,
                    sum=f"{terms} = {number(total)}" if len(parts) > 1 else number(total))
            numbers["running_sum"] = total
        reveal = [f"grad:{edge}"] + ([f"grad:{edge_id(d.output, '')}"] if k == 1 else [])
        out.append(Frame(start + k - 1, "backward", s.gate, edge, caption, reveal,
                         f"gate-{s.gate}", numbers))
    return out


# --- matrix derivations ------------------------------------------------------------------
def _shape(shape):
    return "×".join(map(str, shape)) or "scalar"


def matrix_frames(d):
    """Matrix gates: formulas and shapes (there are no per-entry numbers to show)."""
    shapes = ", ".join(f"{n} {_shape(d.shapes[n])}" for n in d.inputs)
    result = [Frame(0, "start", "", "", _texts("m_start", model=d.target, shapes=shapes),
                    [f"value:{n}" for n in d.inputs], "", {"shapes": {n: list(d.shapes[n])
                                                                      for n in d.inputs}})]
    for k, row in enumerate(d.forward, 1):
        caption = _texts("m_forward", k=k, n=len(d.forward), label=row.label, node=row.name,
                         formula=row.formula.text, shape=_shape(row.shape))
        result.append(Frame(len(result), "forward", row.name, "", caption, [f"value:{row.name}"],
                            f"fwd-{row.name}", {"shape": list(row.shape)}))
    fanout = d.accumulations
    for k, s in enumerate(d.steps, 1):
        caption = _texts("m_backward", k=k, n=len(d.steps), label=s.label, gate=s.gate,
                         input=s.input, up=s.upstream, gshape=_shape(s.gate_shape),
                         rule=s.rule.text, down=s.downstream.text, ishape=_shape(s.input_shape),
                         out=d.output)
        if s.input in fanout:
            for lang in LANGS:
                caption[lang] += STRINGS[lang]["m_fanout"].format(
                    input=s.input, gates=", ".join(fanout[s.input]))
        edge = edge_id(s.input, s.gate)
        result.append(Frame(len(result), "backward", s.gate, edge, caption, [f"grad:{edge}"],
                            f"gate-{s.gate}", {"gate_shape": list(s.gate_shape),
                                               "input_shape": list(s.input_shape)}))
    return result


# --- HTML ----------------------------------------------------------------------------------
def script_json(data):
    """JSON for a ``<script type="application/json">`` element: ``<``, ``>`` and ``&`` are
    written as \\u escapes, so no text inside (a node name, a caption) can close the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def frames_data(d, lang):
    """What the script reads: the frames, with captions in the page's language(s) only."""
    langs = BOTH_ORDER if lang == "both" else (lang,)
    items = []
    for f in frames(d):
        item = asdict(f)
        item["caption"] = [[x, f.caption[x]] for x in langs]
        for unused in ("numbers", "index", "kind"):      # the script does not read them
            del item[unused]
        items.append(item)
    return {"frames": items}


def _env():
    # Lazy: the renderer imports this module to call stepper_block, so importing it back at
    # module level would be a cycle. Its environment autoescapes *.html.j2 and *.svg.j2.
    from .render import ENV

    return ENV


def matrix_figure(d):
    """The figure slot of a matrix model (it has no circuit drawing): one list item per gate."""
    from markupsafe import escape

    items = [f'<li data-node="{escape(n)}" data-part="input">{escape(n)} '
             f'<span class="shape">{escape(_shape(d.shapes[n]))}</span></li>' for n in d.inputs]
    items += [f'<li data-node="{escape(r.name)}" data-part="gate">{escape(r.name)} = '
              f'{escape(r.formula.text)} <span class="shape">{escape(_shape(r.shape))}</span></li>'
              for r in d.forward]
    return '<ol class="symgrad-matrix-gates">\n' + "\n".join(items) + "\n</ol>"


WIDE = 900          # px: a wider circuit keeps 70 % of its size and scrolls instead of shrinking


def _scrolling(svg):
    """The figure scaled as the document's figures are: to the column, but a wide graph is drawn
    at 70 % and scrolls sideways inside the block (its labels would be unreadable shrunk)."""
    width = re.search(r'<svg [^>]*?width="([0-9.]+)"', svg)
    if not width or float(width.group(1)) <= WIDE:
        return svg
    wide = f"{float(width.group(1)) * 0.7:.0f}"
    return svg.replace("<svg ", f'<svg style="width:{wide}px;max-width:none;height:auto" ', 1)


def compact_script(text):
    """The script without indentation, blank lines and comment lines: a few kB less per page, and
    no blank line, so a Markdown processor (a Jekyll post) sees the block as one HTML block."""
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def stepper_block(d, lang, svg, env=None):
    """The stepper's HTML block for derivation ``d`` in ``lang`` ("en", "ko" or "both").

    ``svg`` is the circuit figure drawn by ``templates/graph.svg.j2`` with ``data_attributes``
    set (so its gates, edges and labels carry ``data-node``); for a matrix derivation pass ""
    and the block lists the matrix gates instead. The block is ``hidden`` until its script
    runs, so without JavaScript the page is today's static page.
    """
    if lang not in LANGS + ("both",):
        raise ValueError(f"stepper_block: unknown language {lang!r}")
    env = env or _env()
    langs = BOTH_ORDER if lang == "both" else (lang,)
    words = {key: " · ".join(STRINGS[x][key] for x in langs) for key in STRINGS["en"]}
    all_frames = frames(d)
    if not svg and hasattr(d, "shapes"):
        svg = matrix_figure(d)
    svg = _scrolling(svg)
    script = compact_script(env.loader.get_source(env, "stepper.js")[0])
    return env.get_template("stepper.html.j2").render(
        words=words, svg=svg, data=script_json(frames_data(d, lang)), script=script,
        first=[(x, all_frames[0].caption[x]) for x in langs], count=len(all_frames))


def graph_svg(d, env=None):
    """The circuit figure with the stepper's data attributes (what the renderer draws, plus them)."""
    from . import figures

    env = env or _env()
    return env.get_template("graph.svg.j2").render(
        L=figures.graph_layout(d), title=f"computational graph of {d.output}",
        value_colour=figures.VALUE_COLOUR, grad_colour=figures.GRAD_COLOUR,
        legend_value="forward value", legend_grad=f"gradient ∂{d.output}/∂(edge source)",
        data_attributes=True)


def stepper_page(d, lang="en", env=None):
    """A standalone HTML page holding only the stepper (for tests and previews; no network)."""
    env = env or _env()
    svg = "" if hasattr(d, "shapes") else graph_svg(d, env)
    block = stepper_block(d, lang, svg, env)
    return env.get_template("stepper_page.html.j2").render(
        lang="en" if lang == "en" else "ko", title=f"symgrad stepper · {d.target}", block=block)
