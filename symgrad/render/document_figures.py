"""The figures of a scalar document (graph, activation plots, loss curve) and how each format
embeds them: SVG files beside Markdown, SVG inline in HTML, PDF twins for LaTeX."""

import re
from dataclasses import dataclass

from .. import figures
from ..errors import SymgradError
from ..i18n import joined
from .context import Maths, curve_drawn, drawn, slug_of
from .environment import ENV
from .escape import px, tex_num
from .prose import Prose

DESCENT_STEPS = 5


@dataclass
class Figure:
    key: str            # "graph", "loss-curve", "act-sigmoid"
    file: str           # file name next to the document
    svg: str            # the SVG text
    caption: dict       # lang -> caption (Markdown prose)



def figure_text(key, lang, **kw):
    """A figure's own words (title, legend) in the document's languages, Korean · English for
    both: a Korean document has no English legend."""
    prose = Prose(lang, "md")
    return joined(prose.raw(key, x, **kw) for x in prose.langs)


def graph_figure_svg(d, lang="en", env=ENV, data_attributes=False, layout=None):
    """The circuit figure in the document's languages; ``data_attributes``: with the ``data-*``
    attributes the stepper's script reads (the same drawing otherwise)."""
    return env.get_template("graph.svg.j2").render(
        L=layout or figures.graph_layout(d),
        title=figure_text("fig_graph_title", lang, out=d.output),
        value_colour=figures.VALUE_COLOUR, grad_colour=figures.GRAD_COLOUR,
        legend_value=figure_text("fig_legend_value", lang),
        legend_grad=figure_text("fig_legend_grad", lang, out=d.output),
        data_attributes=data_attributes)


def make_figures(d, lr, lang="en", steps=False):
    """The document's figures: the graph, activation plots, and the loss curve for one parameter.
    ``steps``: the graph carries the stepper's ``data-*`` attributes (its script borrows it, so
    the page holds the drawing once)."""
    m = Maths(d)
    slug = slug_of(d)
    out, layout = [], None
    if drawn(d):
        layout = figures.graph_layout(d)
        svg = graph_figure_svg(d, lang, data_attributes=steps, layout=layout)
        caption = {lang: Prose(lang, "md").text("cap_graph", lang, out=f"${m.out}$")
                   for lang in ("en", "ko")}
        out.append(Figure("graph", f"{slug}-graph.svg", svg, caption))
    for op, params in figures.activations_used(d):
        caption = {lang: Prose(lang, "md").text("cap_activation", lang, op=op)
                   for lang in ("en", "ko")}
        svg = figures.activation_svg(op, params, lang)
        out.append(Figure(f"act-{op}", f"{slug}-{op}.svg", svg, caption))
    params = [w for w in d.wrt if d.graph.nodes[w].is_input]
    if len(params) == 1 and curve_drawn(d):
        w = params[0]
        caption = {lang: Prose(lang, "md").text("cap_loss_curve", lang, out=f"${m.out}$",
                                                 w=f"${m.name(w)}$", n=DESCENT_STEPS,
                                                 lr=tex_num(lr))
                   for lang in ("en", "ko")}
        try:
            out.append(Figure("loss-curve", f"{slug}-loss-curve.svg",
                              figures.loss_curve_svg(d, w, lr, DESCENT_STEPS, lang), caption))
        except SymgradError:
            pass
    return out, layout


def inline_svg(fig):
    """A figure for inlining in HTML: scaled to the column, but wide graphs scroll instead of
    shrinking."""
    width = re.search(r'width="([0-9.]+)"', fig.svg)
    style = "max-width:100%;height:auto"
    if fig.key == "graph" and width and float(width.group(1)) > 900:
        style = f"width:{px(0.7 * float(width.group(1)))}px;max-width:none;height:auto"
    svg = fig.svg.replace("<svg ", f'<svg style="{style}" ', 1).strip()
    return f'<figure class="symgrad-figure" style="overflow-x:auto">\n{svg}\n</figure>'


def figure_markdown(fig, lang, inline):
    caption = " · ".join(fig.caption[x] for x in (("ko", "en") if lang == "both" else (lang,)))
    if inline:
        return f"{inline_svg(fig)}\n\n*{caption}*"
    kind = "graph" if fig.key == "graph" else "loss" if fig.key == "loss-curve" else "activation"
    alt = figure_text(f"fig_alt_{kind}", lang, op=fig.key[len("act-"):])
    return f"![{alt}]({fig.file})\n\n*{caption}*"



def svg_plot_pdf(d, fig, lr, lang="en"):
    """The PDF twin of a matplotlib figure (pdflatex cannot include SVG)."""
    if fig.key == "loss-curve":
        w = [w for w in d.wrt if d.graph.nodes[w].is_input][0]
        return figures.loss_curve_pdf(d, w, lr, DESCENT_STEPS, lang)
    op = fig.key[len("act-"):]
    params = dict(figures.activations_used(d))[op]
    return figures.activation_pdf(op, params, lang)

