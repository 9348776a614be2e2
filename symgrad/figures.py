"""The figures of a derivation document.

* :func:`graph_layout` places the computational graph in the cs231n style:
  inputs on the left, the output on the right, one labelled box per gate, and
  on every edge the forward value (above, green) and the gradient flowing back
  along it (below, red). The layout is plain data; ``templates/graph.svg.j2``
  draws it as SVG and ``templates/graph.tex.j2`` as a LaTeX ``picture``.
* :func:`activation_svg` plots an activation function and its derivative, and
  :func:`loss_curve_svg` the loss against a single parameter with a few
  gradient-descent steps marked (matplotlib, Agg backend).

Everything here is deterministic: no dates, no random ids (matplotlib's SVG ids
are seeded with ``svg.hashsalt``), so a rerun writes the same bytes.
"""

import functools
import io
import math
from dataclasses import dataclass, field

import sympy

from .backward import derive_graph, forward_pass
from .errors import DomainError
from .numeric import evaluate
from .optimizers import sgd_step
from .rules import PRIMITIVES, rule_for

# --- the computational graph -------------------------------------------------------------
COLUMN = 150          # horizontal distance between columns (px)
ROW = 78              # vertical distance between rows (px)
MARGIN_X = 48
MARGIN_TOP = 56       # room for the legend
MARGIN_BOTTOM = 30
BOX_H = 30
CHAR_W = 8.2          # width of one glyph character at the gate font size (px, estimate)
VALUE_COLOUR = "#1a7f37"      # forward values: green
GRAD_COLOUR = "#c62828"       # gradients: red

# What is written inside a gate's box, and the activations plotted with their derivative: from
# the primitive table.
GLYPHS = {name: p.glyph or p.label for name, p in PRIMITIVES.items()}
SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def short(v):
    """A number for a figure: 4 significant digits."""
    v = float(v)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.4g}"


def gate_glyph(node, graph):
    """What is written inside a gate's box: the operation, with its constant argument if any."""
    op = node.op
    if op == "pow":
        base, exponent = node.args[0], node.args[1]
        if graph.node_of(exponent) is None:
            text = sympy.sstr(exponent)
            if isinstance(exponent, sympy.Integer):
                return "x" + text.translate(SUPERSCRIPTS)
            return f"x^{text}"
        return "xʸ" if graph.node_of(base) is not None else f"{sympy.sstr(base)}ˣ"
    glyph = GLYPHS.get(op, op)
    if op in ("add", "sub", "mul", "div", "max", "min"):
        consts = [(i, a) for i, a in enumerate(node.args) if graph.node_of(a) is None]
        if consts and op in ("max", "min"):
            return f"{glyph}(·,{sympy.sstr(consts[0][1])})"
        if consts:
            pos, c = consts[0]
            return f"{glyph}{sympy.sstr(c)}" if pos == 1 else f"{sympy.sstr(c)}{glyph}"
    return glyph


@dataclass
class Box:
    name: str
    is_input: bool
    glyph: str
    x: float          # centre
    y: float
    w: float
    h: float


@dataclass
class Edge:
    source: str
    target: str
    x1: float
    y1: float
    x2: float
    y2: float
    value: str        # forward value of the source, formatted
    grad: str         # gradient flowing back along this edge, formatted
    vx: float         # baseline of the value label: above the edge's middle
    vy: float
    gx: float         # baseline of the gradient label: below it
    gy: float


@dataclass
class Layout:
    width: float
    height: float
    output: str
    boxes: list = field(default_factory=list)
    edges: list = field(default_factory=list)


def graph_layout(d):
    """Place the boxes and edges of derivation ``d``'s graph (see the module docstring)."""
    graph = d.graph
    order = list(d.values)                       # topological order, inputs first
    consumers = {}
    for name in order:
        for arg in graph.arg_nodes(graph.nodes[name]):
            consumers.setdefault(arg.name, [])
            if name not in consumers[arg.name]:
                consumers[arg.name].append(name)

    # Columns: a gate sits right of all its arguments; an input sits just left of its first reader.
    column = {}
    for name in order:
        node = graph.nodes[name]
        if not node.is_input:
            column[name] = 1 + max((column.get(a.name, 0) for a in graph.arg_nodes(node)), default=0)
    for name in order:
        if graph.nodes[name].is_input:
            readers = [column[c] for c in consumers.get(name, [])]
            column[name] = (min(readers) - 1) if readers else 0
    for name in order:                           # re-settle gates after moving inputs
        node = graph.nodes[name]
        if not node.is_input:
            column[name] = 1 + max(column[a.name] for a in graph.arg_nodes(node)) \
                if graph.arg_nodes(node) else 1
    base = min(column.values())
    column = {k: v - base for k, v in column.items()}
    n_cols = max(column.values()) + 1

    # Rows: order each column by the mean row of the neighbours already placed (barycentre), a
    # forward sweep for gates and then a backward sweep so inputs line up with their readers.
    by_col = [[] for _ in range(n_cols)]
    for name in order:
        by_col[column[name]].append(name)
    rank = {}
    for col in by_col:
        for i, name in enumerate(col):
            rank[name] = i

    def barycentre(name, neighbours):
        placed = [rank[n] for n in neighbours if n in rank]
        return sum(placed) / len(placed) if placed else rank[name]

    for _ in range(2):
        for col in by_col[1:]:
            col.sort(key=lambda n: (barycentre(n, [a.name for a in graph.arg_nodes(graph.nodes[n])]),
                                    order.index(n)))
            for i, n in enumerate(col):
                rank[n] = i
        for col in reversed(by_col[:-1]):
            col.sort(key=lambda n: (barycentre(n, consumers.get(n, [])), order.index(n)))
            for i, n in enumerate(col):
                rank[n] = i

    n_rows = max(len(c) for c in by_col)
    widths = {name: max(40.0, CHAR_W * len(gate_glyph(graph.nodes[name], graph)) + 18)
              for name in order if not graph.nodes[name].is_input}
    left = max([MARGIN_X] + [9.0 * len(n) + 14 for n in by_col[0]])   # room for the input names
    layout = Layout(width=left + MARGIN_X + (n_cols - 1) * COLUMN + 120,
                    height=MARGIN_TOP + MARGIN_BOTTOM + max(n_rows - 1, 0) * ROW + BOX_H + 16,
                    output=d.output)
    for c, col in enumerate(by_col):
        offset = (n_rows - len(col)) * ROW / 2
        for i, name in enumerate(col):
            node = graph.nodes[name]
            x = left + c * COLUMN
            y = MARGIN_TOP + BOX_H / 2 + offset + i * ROW
            w = 0.0 if node.is_input else widths[name]
            layout.boxes.append(Box(name, node.is_input, "" if node.is_input else gate_glyph(node, graph),
                                    x, y, w, BOX_H))
    where = {b.name: b for b in layout.boxes}
    grads = {}
    for s in d.steps:
        grads[(s.input, s.gate)] = grads.get((s.input, s.gate), 0.0) + s.downstream
    taken = [(b.x - b.w / 2, b.y - b.h / 2, b.x + b.w / 2, b.y + b.h / 2 + 14) for b in layout.boxes
             if not b.is_input]
    pairs = [(name, target) for name in order for target in consumers.get(name, [])]
    spans = {}
    for name, target in pairs:
        a, b = where[name], where[target]
        spans[(name, target)] = (a.x + (a.w / 2 if not a.is_input else 10), a.y, b.x - b.w / 2, b.y,
                                 0.62 if len(consumers[name]) > 1 else 0.3)
    placed = {}

    def place(pair):
        """Put ``pair``'s labels where they overlap the boxes and the other labels least."""
        others = taken + [box for p, (_, boxes, _) in placed.items() if p != pair for box in boxes]
        x1, y1, x2, y2, t = spans[pair]
        placed[pair] = _placed_edge(*pair, x1, y1, x2, y2, d.values[pair[0]], grads[pair], t, others)

    # greedily, level edges first (their labels have the least room), then the sloped ones around them
    for pair in sorted(pairs, key=lambda p: spans[p][1] != spans[p][3]):
        place(pair)
    for _ in range(3):                           # then move labels that still collide, given the rest
        clashing = [p for p in pairs if placed[p][2] > 0]
        if not clashing:
            break
        for pair in clashing:
            place(pair)
    layout.edges.extend(placed[p][0] for p in pairs)
    out = where[d.output]
    x1 = out.x + out.w / 2
    layout.edges.append(_edge(d.output, "", x1, out.y, x1 + 95, out.y, d.values[d.output], 1.0))
    return layout


def _edge(source, target, x1, y1, x2, y2, value, grad, t=0.3):
    """An edge with its labels at fraction ``t`` along it: the value above the line, the gradient below.

    Sloped edges carry their labels near the source, where edges converging on one gate are still
    apart, unless the source fans out, in which case near the target, where its edges have spread.
    Level edges carry them in the middle unless that spot is taken (see ``_placed_edge``).
    """
    mx, my = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
    slope = min(abs(y2 - y1) / max(x2 - x1, 1.0), 2.0)
    return Edge(source, target, x1, y1, x2, y2, short(value), short(grad),
                mx, my - 6 - 9 * slope, mx, my + 16 + 9 * slope)


LABEL_H = 15.0
LABEL_CHAR_W = 7.6


def _label_boxes(e):
    wv, wg = LABEL_CHAR_W * len(e.value) + 4, LABEL_CHAR_W * len(e.grad) + 4
    return [(e.vx - wv / 2, e.vy - LABEL_H + 2, e.vx + wv / 2, e.vy + 2),
            (e.gx - wg / 2, e.gy - LABEL_H + 2, e.gx + wg / 2, e.gy + 2)]


def _overlap(box, boxes):
    """The area ``box`` shares with ``boxes``."""
    return sum(max(0.0, min(box[2], o[2]) - max(box[0], o[0])) * max(0.0, min(box[3], o[3]) - max(box[1], o[1]))
               for o in boxes)


def _placed_edge(source, target, x1, y1, x2, y2, value, grad, t, taken):
    """(edge, its label boxes, overlap): the labels at the first position along the edge that
    collides with none of ``taken``, or, when every position collides, where they overlap least."""
    preferred = 0.5 if y1 == y2 else t
    best = None
    for candidate in (preferred, 0.3, 0.5, 0.7, 0.2, 0.62, 0.4, 0.8, 0.15, 0.55, 0.85,
                      0.25, 0.35, 0.45, 0.65, 0.75, 0.1, 0.9):
        e = _edge(source, target, x1, y1, x2, y2, value, grad, candidate)
        boxes = _label_boxes(e)
        clash = sum(_overlap(b, taken) for b in boxes)
        if best is None or clash < best[2]:
            best = (e, boxes, clash)
        if clash == 0:
            break
    return best


# --- plots -----------------------------------------------------------------------------------
ACTIVATIONS = tuple(name for name, p in PRIMITIVES.items() if p.plot is not None)


def _pyplot():
    """matplotlib's pyplot on the Agg backend (files, never windows). Imported here on purpose:
    deliberate lazy loading, so ``import symgrad`` does not pay for matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, plt, fmt):
    """The figure as SVG text or PDF bytes, without dates or random ids."""
    if fmt == "pdf":
        buf = io.BytesIO()
        fig.savefig(buf, format="pdf", metadata={"CreationDate": None, "Creator": None, "Producer": None},
                    bbox_inches="tight")
        plt.close(fig)
        return buf.getvalue()
    buf = io.StringIO()
    with plt.rc_context({"svg.hashsalt": "symgrad", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    plt.close(fig)
    # matplotlib writes a blank line or two; keep the SVG free of blank lines so it can sit
    # inside a Markdown document as one HTML block
    return "\n".join(line for line in buf.getvalue().splitlines() if line.strip()) + "\n"


def activations_used(d):
    """The activation ops of the graph, in the order they first appear, with their parameters."""
    seen = {}
    for row in d.forward:
        if row.op in ACTIVATIONS and row.op not in seen:
            node = d.graph.nodes[row.name]
            seen[row.op] = tuple(node.args[rule_for(row.op).arity:])
    return list(seen.items())


def activation_curve(op, params=()):
    """(xs, f(xs), f'(xs)) for activation ``op``; f' comes from the rule table."""
    rule = rule_for(op)
    a, out = sympy.Symbol("a", real=True), sympy.Symbol("out", real=True)
    f = rule.build(a, *params)
    df = rule.local(a, *params, out=out)[0]
    lo, hi = rule.plot or (-4.0, 4.0)
    xs, fs, dfs = [], [], []
    for i in range(201):
        x = lo + (hi - lo) * i / 200
        fx = evaluate(f, {a: x})
        xs.append(x)
        fs.append(fx)
        dfs.append(evaluate(df, {a: x, out: fx}))
    return xs, fs, dfs


def activation_svg(op, params=()):
    """SVG of activation ``op`` and its derivative."""
    return activation_figure(op, params, "svg")


def activation_pdf(op, params=()):
    return activation_figure(op, params, "pdf")


@functools.lru_cache(maxsize=64)
def activation_figure(op, params, fmt):
    plt = _pyplot()
    xs, fs, dfs = activation_curve(op, params)
    fig, ax = plt.subplots(figsize=(4.2, 2.8))
    name = GLYPHS.get(op, op)
    ax.plot(xs, fs, color="#1f4e9c", lw=2, label=f"{name}(x)")
    ax.plot(xs, dfs, color=GRAD_COLOUR, lw=2, ls="--", label=f"{name}′(x)")
    ax.axhline(0, color="#999999", lw=0.6)
    ax.axvline(0, color="#999999", lw=0.6)
    ax.grid(True, color="#e6e6e6", lw=0.6)
    ax.legend(loc="best", fontsize=9, frameon=False)
    ax.set_xlabel("x")
    ax.set_title(f"{op} and its derivative", fontsize=10)
    return _save(fig, plt, fmt)


def descent_path(d, name, lr, steps=5):
    """[(w, loss, dloss/dw)] for ``steps`` gradient-descent steps on the single parameter ``name``."""
    point = dict(d.point)
    path = []
    for _ in range(steps + 1):
        sweep = derive_graph(d.graph, point)
        path.append((point[name], sweep.values[d.output], sweep.adjoints[name]))
        point[name] = sgd_step(point[name], sweep.adjoints[name], lr)
        if not math.isfinite(point[name]):
            break
    return path


def loss_curve_svg(d, name, lr, steps=5):
    """SVG of the output against parameter ``name`` (others fixed), with gradient-descent steps."""
    return loss_curve_figure(d, name, lr, steps, "svg")


def loss_curve_pdf(d, name, lr, steps=5):
    return loss_curve_figure(d, name, lr, steps, "pdf")


def loss_curve_figure(d, name, lr, steps, fmt):
    key = (d.graph.source, d.output, tuple(sorted(d.point.items())), name, lr, steps, fmt)
    if not d.graph.source:
        return _loss_curve_figure(d, name, lr, steps, fmt)
    if key not in _CURVES:
        if len(_CURVES) > 64:
            _CURVES.clear()
        _CURVES[key] = _loss_curve_figure(d, name, lr, steps, fmt)
    return _CURVES[key]


_CURVES = {}      # the same model at the same point draws the same curve (documents in several formats)


def _loss_curve_figure(d, name, lr, steps, fmt):
    plt = _pyplot()
    path = descent_path(d, name, lr, steps)
    ws = [p[0] for p in path]
    lo, hi = min(ws), max(ws)
    span = max(hi - lo, 1.0)
    lo, hi = lo - 0.6 * span, hi + 0.6 * span
    order = d.graph.topological_order()
    xs, ys = [], []
    for i in range(241):
        w = lo + (hi - lo) * i / 240
        try:
            values, _ = forward_pass(d.graph, dict(d.point, **{name: w}), order)
        except (DomainError, OverflowError, ValueError, ZeroDivisionError):
            continue
        xs.append(w)
        ys.append(values[d.output])
    fig, ax = plt.subplots(figsize=(4.6, 3.0))
    ax.plot(xs, ys, color="#1f4e9c", lw=2, label=f"{d.output}({name})")
    ax.plot(ws, [p[1] for p in path], "o-", color=GRAD_COLOUR, ms=5, lw=1,
            label=f"gradient descent, α = {short(lr)}")
    for i, (w, loss, _) in enumerate(path[:3]):
        ax.annotate(f"{name}{str(i).translate(str.maketrans('0123456789', '₀₁₂₃₄₅₆₇₈₉'))}",
                    (w, loss), textcoords="offset points", xytext=(6, 6), fontsize=9)
    ax.grid(True, color="#e6e6e6", lw=0.6)
    ax.set_xlabel(name)
    ax.set_ylabel(d.output)
    ax.legend(loc="best", fontsize=9, frameon=False)
    return _save(fig, plt, fmt)
