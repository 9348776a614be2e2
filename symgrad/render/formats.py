"""One function per output format: Markdown, Jekyll, LaTeX and HTML, for scalar and matrix
derivations. Each returns a :class:`Document` (the main text and the files beside it)."""

from dataclasses import dataclass, field

from .. import figures
from . import stepper
from .context import document_context, drawn, learning_rate
from .document_figures import figure_markdown, inline_svg, make_figures, svg_plot_pdf
from .environment import ENV
from .escape import md_text, prose_to_tex
from .jekyll import kramdown_math, liquid_raw, post_date, post_name
from .mathml import markdown_to_html
from .matrix_context import matrix_context


@dataclass
class Document:
    name: str           # main file name
    text: str
    files: dict = field(default_factory=dict)      # extra file name -> str or bytes



def _markdown(d, lang, fmt, lr, env, figure_mode, steps=False):
    """The Markdown body; ``figure_mode`` is "files", "inline" or "placeholder" (for HTML).
    ``steps``: the page has a stepper (its anchors in the text, its data on the graph)."""
    ctx = document_context(d, lang, fmt, lr)
    figs, _ = make_figures(d, learning_rate(d.model, lr), lang, steps=steps)
    ctx["anchors"] = stepper.anchor_tokens(d) if steps else {}
    placeholders = {}
    shown = {}
    for i, fig in enumerate(figs):
        if figure_mode == "placeholder":
            token = f"SYMGRADFIGURE{i:03d}"
            placeholders[token] = fig
            caption = " · ".join(fig.caption[x] for x in ctx["langs"])
            shown[fig.key] = f"{token}\n\n*{caption}*"
        else:
            shown[fig.key] = figure_markdown(fig, lang, inline=figure_mode == "inline")
    ctx["figures"] = shown
    ctx["activation_keys"] = [f.key for f in figs if f.key.startswith("act-")]
    body = env.get_template("derivation.md.j2").render(ctx)
    return ctx, figs, body, placeholders


def render_md(d, lang="en", lr=None, env=ENV, inline_figures=False, static=False):
    """Markdown with the SVG figures as files beside it (or inline, for Jupyter)."""
    ctx, figs, body, _ = _markdown(d, lang, "md", lr, env, "inline" if inline_figures else "files")
    files = {} if inline_figures else {f.file: f.svg for f in figs}
    return Document(f"{ctx['slug']}.md", body, files)


def jekyll_post(ctx, body, tags, env, date, block=""):
    """A dated post for ``_posts/``: front matter, then the stepper ``block`` (if any) and
    ``body`` with kramdown's math delimiters, both in one raw region out of Liquid's reach."""
    text = kramdown_math(body)
    if block:
        text = stepper.jekyll_html(block) + "\n\n" + text
    ctx["body"] = liquid_raw(text)
    ctx["tags"] = tags
    ctx["date"] = post_date(date)
    text = env.get_template("post.jekyll.j2").render(ctx)
    return Document(post_name(ctx["slug"], ctx["date"]), text, {})


def render_jekyll(d, lang="en", lr=None, env=ENV, date=None, static=False):
    """A Jekyll post: front matter, the stepper (unless ``static``), then the Markdown with the
    figures inline."""
    static = static or not drawn(d)          # the stepper walks the drawn graph
    ctx, figs, body, _ = _markdown(d, lang, "jekyll", lr, env, "inline", steps=not static)
    tags = ["backpropagation", "chain-rule"] + [op for op, _ in figures.activations_used(d)]
    if static:
        return jekyll_post(ctx, body, tags, env, date)
    return jekyll_post(ctx, stepper.place_anchors(body, d, lang), tags, env, date,
                       stepper.stepper_block(d, lang, env=env))


def html_body(d, lang, lr, env, steps=False):
    """The document's context and its body as HTML: math as MathML, figures inline (with the
    stepper's anchors when ``steps``)."""
    ctx, figs, body, placeholders = _markdown(d, lang, "html", lr, env, "placeholder", steps)
    html = markdown_to_html(body)
    for token, fig in placeholders.items():
        html = html.replace(f"<p>{token}</p>", inline_svg(fig))
    return ctx, stepper.place_anchors(html, d, lang) if steps else html


def render_html(d, lang="en", lr=None, env=ENV, static=False):
    """One self-contained HTML page: the stepper (unless ``static``), math as MathML, figures
    inline."""
    static = static or not drawn(d)          # the stepper walks the drawn graph
    ctx, body = html_body(d, lang, lr, env, steps=not static)
    ctx["body"] = body
    ctx["stepper"] = "" if static else stepper.stepper_block(d, lang, env=env)
    text = env.get_template("page.html.j2").render(ctx)
    return Document(f"{ctx['slug']}.html", text, {})


def tex_caption(fig, langs):
    """A figure's caption in LaTeX, one language after the other."""
    return " $\\cdot$ ".join(prose_to_tex(fig.caption[x]) for x in langs)


def render_tex(d, lang="en", lr=None, env=ENV, static=False):
    """A standalone LaTeX article; the plots go beside it as PDF files."""
    ctx = document_context(d, lang, "tex", lr)
    lr = learning_rate(d.model, lr)
    figs, layout = make_figures(d, lr, lang)
    ctx["graph_picture"] = env.get_template("graph.tex.j2").render(
        L=layout, value_colour=figures.VALUE_COLOUR[1:],
        grad_colour=figures.GRAD_COLOUR[1:]) if layout is not None else ""
    ctx["tex_figures"] = []
    files = {}
    for fig in figs:
        if fig.key == "graph":
            ctx["graph_caption"] = tex_caption(fig, ctx["langs"])
            continue
        pdf_name = fig.file[:-4] + ".pdf"
        files[pdf_name] = svg_plot_pdf(d, fig, lr, lang)
        ctx["tex_figures"].append({"file": pdf_name, "caption": tex_caption(fig, ctx["langs"])})
    text = env.get_template("article.tex.j2").render(ctx)
    return Document(f"{ctx['slug']}.tex", text, files)


RENDERERS = {"md": render_md, "jekyll": render_jekyll, "tex": render_tex, "html": render_html}


def _matrix_markdown(d, lang, fmt, lr, env, steps=False):
    ctx = matrix_context(d, lang, fmt, lr)
    ctx["anchors"] = stepper.anchor_tokens(d) if steps else {}
    return ctx, env.get_template("matrix.md.j2").render(ctx)


def render_matrix(d, format, lang="en", lr=None, env=ENV, date=None, static=False):
    """The document of a matrix-level derivation, in any of the four formats (no figures); the
    HTML page and the Jekyll post have the stepper unless ``static``."""
    if format == "tex":
        ctx = matrix_context(d, lang, "tex", lr)
        return Document(f"{ctx['slug']}.tex", env.get_template("matrix.tex.j2").render(ctx), {})
    steps = format in ("html", "jekyll") and not static
    ctx, body = _matrix_markdown(d, lang, format, lr, env, steps)
    if format == "md":
        return Document(f"{ctx['slug']}.md", "# " + md_text(ctx["title"]) + "\n\n" + body, {})
    block = stepper.stepper_block(d, lang, env=env) if steps else ""
    if format == "jekyll":
        body = stepper.place_anchors(body, d, lang) if steps else body
        return jekyll_post(ctx, body, ["backpropagation", "chain-rule", "matrix-calculus"], env,
                           date, block)
    html = markdown_to_html(body)      # the anchors go in after: the conversion escapes raw HTML
    ctx["body"] = stepper.place_anchors(html, d, lang) if steps else html
    ctx["stepper"] = block
    return Document(f"{ctx['slug']}.html", env.get_template("page.html.j2").render(ctx), {})

