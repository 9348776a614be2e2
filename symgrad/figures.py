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
import warnings

import sympy

from .backward import derive_graph, forward_pass
from .errors import DomainError
from .graph_layout import (  # noqa: F401  (public names, imported from here)
    COLUMN_WIDTH,
    Box,
    Edge,
    GraphSpec,
    Layout,
    choose_layout,
)
from .numeric import evaluate
from .optimizers import sgd_step
from .rules import PRIMITIVES, rule_for

# --- the computational graph -------------------------------------------------------------
VALUE_COLOUR = "#1a7f37"      # forward values: green
GRAD_COLOUR = "#c62828"       # gradients: red

# What is written inside a gate's box, and the activations plotted with their derivative: from
# the primitive table.
GLYPHS = {name: p.glyph or p.label for name, p in PRIMITIVES.items()}
SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

# The figure's own words, per language ("both": Korean first, as the documents put them).
STRINGS = {
    "en": {"title": "computational graph of {out}", "value": "forward value",
           "grad": "gradient ∂{out}/∂(edge source)", "act_title": "{op} and its derivative",
           "descent": "gradient descent, α = {lr}"},
    "ko": {"title": "{out}의 계산 그래프", "value": "순전파 값",
           "grad": "gradient ∂{out}/∂(화살표가 나오는 노드)", "act_title": "{op} 함수와 도함수",
           "descent": "경사 하강법, α = {lr}"},
}


def figure_text(key, lang="en", **values):
    """The figure string ``key`` in ``lang`` ("en", "ko" or "both")."""
    if lang == "both":
        return " · ".join(figure_text(key, x, **values) for x in ("ko", "en"))
    if lang not in STRINGS:
        raise ValueError(f"figures: unknown language {lang!r}")
    return STRINGS[lang][key].format(**values)


def short(v):
    """A number for a figure: at most 4 significant digits, written out in full between 10⁻⁶ and
    10⁷ (0.00001439, not 1.439e-05, as a post writes it), in e-notation beyond."""
    v = float(v)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    text = f"{v:.4g}"
    if "e" not in text:
        return text
    exponent = int(text.split("e")[1])
    if not -6 <= exponent < 7:
        return text
    if exponent < 0:
        fixed = f"{v:.{3 - exponent}f}".rstrip("0").rstrip(".")
        return fixed
    return str(int(round(v, 3 - exponent)))


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


def graph_spec(d):
    """What the layout needs of derivation ``d``: nodes in topological order, arguments, glyphs,
    and every edge with its forward value and the gradient flowing back along it."""
    graph = d.graph
    order = list(d.values)                       # topological order, inputs first
    args, glyphs, inputs = {}, {}, set()
    for name in order:
        node = graph.nodes[name]
        if node.is_input:
            inputs.add(name)
            continue
        args[name] = list(dict.fromkeys(a.name for a in graph.arg_nodes(node)))
        glyphs[name] = gate_glyph(node, graph)
    grads = {}
    for s in d.steps:                            # a gate reading x twice: one edge, gradients add
        grads[(s.input, s.gate)] = grads.get((s.input, s.gate), 0.0) + s.downstream
    edges = [(a, name, short(d.values[a]), short(grads[(a, name)]))
             for name in order if name in args for a in args[name]]
    # edges grouped by source, in topological order, as the old figure listed them
    rank = {n: i for i, n in enumerate(order)}
    edges.sort(key=lambda e: (rank[e[0]], rank[e[1]]))
    edges.append((d.output, "", short(d.values[d.output]), short(1.0)))
    return GraphSpec(order, inputs, args, glyphs, d.output, edges)


def graph_layout(d, lang="en", max_width=COLUMN_WIDTH):
    """Place the boxes, edges and labels of derivation ``d``'s graph (see
    :mod:`symgrad.graph_layout`); the legend and title are in ``lang``, and the figure is at
    most ``max_width`` px wide (an 820 px blog column by default)."""
    layout = choose_layout(graph_spec(d), max_width)
    layout.title = figure_text("title", lang, out=d.output)
    layout.legend_value = figure_text("value", lang)
    layout.legend_grad = figure_text("grad", lang, out=d.output)
    return layout


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
        fig.savefig(buf, format="pdf", bbox_inches="tight",
                    metadata={"CreationDate": None, "Creator": None, "Producer": None})
        plt.close(fig)
        return buf.getvalue()
    buf = io.StringIO()
    # the SVG keeps its text as text (svg.fonttype none), so the browser draws Korean with its
    # own fonts: matplotlib's "glyph missing from DejaVu Sans" does not apply to it
    with plt.rc_context({"svg.hashsalt": "symgrad", "svg.fonttype": "none"}), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None},
                    bbox_inches="tight")
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


def activation_svg(op, params=(), lang="en"):
    """SVG of activation ``op`` and its derivative, titled in ``lang`` ("en", "ko", "both")."""
    return activation_figure(op, params, "svg", lang)


def activation_pdf(op, params=(), lang="en"):
    return activation_figure(op, params, "pdf", lang)


@functools.lru_cache(maxsize=64)
def activation_figure(op, params, fmt, lang="en"):
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
    if _has_glyphs(fmt, lang):
        ax.set_title(figure_text("act_title", lang, op=op), fontsize=10)
    return _save(fig, plt, fmt)


def _has_glyphs(fmt, lang):
    """Whether a plot may carry words in ``lang``: the SVG keeps text as text (the reader's
    browser draws Hangul), but a PDF is drawn with matplotlib's DejaVu Sans, which has none. So
    Korean PDF plots carry no words; the LaTeX caption under them says what they show."""
    return fmt == "svg" or lang == "en"


def descent_path(d, name, lr, steps=5):
    """[(w, loss, dloss/dw)] for ``steps`` gradient-descent steps on the single parameter
    ``name``."""
    point = dict(d.point)
    path = []
    for _ in range(steps + 1):
        sweep = derive_graph(d.graph, point)
        path.append((point[name], sweep.values[d.output], sweep.adjoints[name]))
        point[name] = sgd_step(point[name], sweep.adjoints[name], lr)
        if not math.isfinite(point[name]):
            break
    return path


def loss_curve_svg(d, name, lr, steps=5, lang="en"):
    """SVG of the output against parameter ``name`` (others fixed), with gradient-descent steps;
    its legend in ``lang`` ("en", "ko", "both")."""
    return loss_curve_figure(d, name, lr, steps, "svg", lang)


def loss_curve_pdf(d, name, lr, steps=5, lang="en"):
    return loss_curve_figure(d, name, lr, steps, "pdf", lang)


def loss_curve_figure(d, name, lr, steps, fmt, lang="en"):
    key = (d.graph.source, d.output, tuple(sorted(d.point.items())), name, lr, steps, fmt, lang)
    if not d.graph.source:
        return _loss_curve_figure(d, name, lr, steps, fmt, lang)
    if key not in _CURVES:
        if len(_CURVES) > 64:
            _CURVES.clear()
        _CURVES[key] = _loss_curve_figure(d, name, lr, steps, fmt, lang)
    return _CURVES[key]


# the same model at the same point draws the same curve (documents in several formats)
_CURVES = {}


CURVE_FINE_NODES = 500      # graphs up to this size get the fine loss curve (every catalog model)


def _loss_curve_figure(d, name, lr, steps, fmt, lang):
    plt = _pyplot()
    path = descent_path(d, name, lr, steps)
    ws = [p[0] for p in path]
    lo, hi = min(ws), max(ws)
    span = max(hi - lo, 1.0)
    lo, hi = lo - 0.6 * span, hi + 0.6 * span
    order = d.graph.topological_order()
    # one forward pass per point of the curve: a big graph gets a coarser (still smooth) curve
    points = 240 if len(order) <= CURVE_FINE_NODES else 60
    xs, ys = [], []
    for i in range(points + 1):
        w = lo + (hi - lo) * i / points
        try:
            values, _ = forward_pass(d.graph, dict(d.point, **{name: w}), order)
        except (DomainError, OverflowError, ValueError, ZeroDivisionError):
            continue
        xs.append(w)
        ys.append(values[d.output])
    fig, ax = plt.subplots(figsize=(4.6, 3.0))
    ax.plot(xs, ys, color="#1f4e9c", lw=2, label=f"{d.output}({name})")
    ax.plot(ws, [p[1] for p in path], "o-", color=GRAD_COLOUR, ms=5, lw=1,
            label=figure_text("descent", lang, lr=short(lr)) if _has_glyphs(fmt, lang)
            else f"α = {short(lr)}")
    for i, (w, loss, _) in enumerate(path[:3]):
        ax.annotate(f"{name}{str(i).translate(str.maketrans('0123456789', '₀₁₂₃₄₅₆₇₈₉'))}",
                    (w, loss), textcoords="offset points", xytext=(6, 6), fontsize=9)
    ax.grid(True, color="#e6e6e6", lw=0.6)
    ax.set_xlabel(name)
    ax.set_ylabel(d.output)
    ax.legend(loc="best", fontsize=9, frameon=False)
    return _save(fig, plt, fmt)
