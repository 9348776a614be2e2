"""What a notebook shows for a derivation: a compact HTML card (the summary, the graph, the
gradients) with the whole post folded behind ``<details>``, and a short ``repr``.

``symgrad/derivation.py`` and ``symgrad/matrix/derivation.py`` never import the renderers; the
render package registers these views in their ``JUPYTER_VIEWS`` tables when it is imported."""

import html

import numpy as np

from ..terminal import num
from .context import learning_rate
from .document_figures import inline_svg, make_figures
from .environment import ENV
from .formats import html_body, render_md
from .mathml import markdown_to_html
from .matrix_context import matrix_context


def _title(d):
    model = getattr(d, "catalog", None) or getattr(d, "model", None)
    if getattr(model, "title", None):
        return model.title
    return str(d.target).strip().splitlines()[0][:80] if str(d.target).strip() else d.output


def _card(d, rows, figure, post_html):
    """The HTML card: title and value, the figure, the gradient table, the post folded."""
    table = "".join(f"<tr><td><code>{html.escape(name)}</code></td>{cells}</tr>"
                    for name, cells in rows)
    return (f'<div class="symgrad-derivation">'
            f"<p><b>{html.escape(_title(d))}</b>: <code>{html.escape(d.output)}</code> = "
            f"{html.escape(num(d.value))}</p>{figure}"
            f"<table>{table}</table>"
            f"<details><summary>the whole post</summary>{post_html}</details></div>")


def derivation_html(d):
    """A scalar :class:`~symgrad.derivation.Derivation` as a compact HTML card."""
    figs, _ = make_figures(d, learning_rate(d.model))
    rows = [(f"∂{d.output}/∂{w}", f"<td>{html.escape(num(d.gradients[w]))}</td>")
            for w in d.wrt]
    _, body = html_body(d, "en", None, ENV)
    return _card(d, rows, inline_svg(figs[0]), body)


def matrix_html(d):
    """A :class:`~symgrad.matrix.derivation.MatrixDerivation` as a compact HTML card (no figure:
    its gates are whole matrices)."""
    rows = []
    for w in d.wrt:
        g = np.asarray(d.gradients[w])
        rows.append((f"∂{d.output}/∂{w}", f"<td>shape {html.escape(str(g.shape))}</td>"
                     f"<td>norm {html.escape(num(float(np.linalg.norm(g))))}</td>"))
    ctx = matrix_context(d, "en", "html")
    body = markdown_to_html(ENV.get_template("matrix.md.j2").render(ctx))
    return _card(d, rows, "", body)


def matrix_markdown(d):
    ctx = matrix_context(d, "en", "md")
    return "# " + ctx["title"] + "\n\n" + ENV.get_template("matrix.md.j2").render(ctx)


def scalar_markdown(d):
    return render_md(d, inline_figures=True).text
