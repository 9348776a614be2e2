"""Blog-style documents of a derivation: Markdown, Jekyll, LaTeX and HTML, in English and Korean.

One Jinja2 environment (:data:`ENV`) with named filters renders the templates of
the top-level ``templates/`` folder (packaged as ``symgrad/templates`` in the
wheel). :func:`document_context` turns a :class:`~symgrad.derivation.Derivation`
into plain data — LaTeX strings, formatted numbers, figure references — and one
small function per format writes the document:

* ``md``: GitHub-flavoured Markdown with ``$$`` display math and SVG figures beside it;
* ``jekyll``: the same with front matter, figures inline, ready for ``_posts/``;
* ``tex``: a standalone article for pdflatex (kotex for Korean);
* ``html``: one self-contained page, math converted to MathML, figures inline.

Templates never compute a derivative; the numbers come from the derivation and
the figures from ``figures.py``. Rendering is deterministic.
"""

import json
import os
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import sympy

from . import figures
from .errors import InputError, SymgradError
from .io import write_atomic
from .terminal import num

FORMATS = ("md", "jekyll", "tex", "html")
LANGS = ("en", "ko", "both")
DEFAULT_LR = 0.1
CLOSED_FORM_LIMIT = 700      # longer closed forms (LaTeX characters) are not printed
DESCENT_STEPS = 5
REFRESH = "symgrad render --all -o output/"


def templates_dir():
    """The packaged templates (``symgrad/templates`` in a wheel, ``templates/`` in a checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "derivation.md.j2").is_file():
            return candidate
    return here / "templates"        # missing: get_template will say which file it could not find


# --- LaTeX, HTML and number helpers (the environment's filters) -----------------------------
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


_TEX_UNICODE = {"−": "$-$", "·": "$\\cdot$", "×": "$\\times$", "÷": "$\\div$", "→": "$\\to$", "←": "$\\leftarrow$",
                "∂": "$\\partial$", "∈": "$\\in$", "≈": "$\\approx$", "≠": "$\\neq$", "≥": "$\\geq$", "≤": "$\\leq$",
                "′": "$'$", "⊙": "$\\odot$", "∑": "$\\sum$", "√": "$\\surd$", "…": "\\ldots{}", "ŷ": "$\\hat{y}$",
                "‖": "$\\Vert$", "∞": "$\\infty$", "±": "$\\pm$", "°": "$^\\circ$"}
_SCRIPTS = {"²": "^{2}", "³": "^{3}", "¹": "^{1}", "ˣ": "^{x}", "ʸ": "^{y}", "ᵀ": "^{\\top}", "ᵢ": "_{i}",
            "ⱼ": "_{j}", "ₖ": "_{k}", "⁻": "^{-}", "₀": "_{0}", "₁": "_{1}", "₂": "_{2}", "₃": "_{3}", "ⁿ": "^{n}"}


def _tex_char(c):
    if c in _TEX_SPECIAL:
        return _TEX_SPECIAL[c]
    if ord(c) < 128 or "\uac00" <= c <= "\ud7a3" or "\u3131" <= c <= "\u318e" or c in "’‘“”–—":
        return c
    if c in _TEX_UNICODE:
        return _TEX_UNICODE[c]
    if c in _SCRIPTS:
        return "$" + _SCRIPTS[c] + "$"
    name = unicodedata.name(c, "")
    if name.startswith("GREEK SMALL LETTER "):
        return "$\\" + name.split()[-1].lower().replace("lamda", "lambda") + "$"
    if name.startswith("GREEK CAPITAL LETTER "):
        return "$\\" + name.split()[-1].capitalize().replace("Lamda", "Lambda") + "$"
    if "\u00c0" <= c <= "\u00ff":           # Latin-1 letters: inputenc knows them
        return c
    return "?"


def escape_tex(text):
    """Text safe for LaTeX's text mode (pdflatex): specials escaped, math symbols as math."""
    return "".join(_tex_char(c) for c in str(text))


def tex_name(name):
    """A node name as LaTeX math: ``yhat`` → ``\\hat{y}``, ``w1`` → ``w_{1}``, ``loss`` → ``\\mathrm{loss}``."""
    name = str(name)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        return r"\text{" + escape_tex(name) + "}"
    latex = sympy.latex(sympy.Symbol(name))
    if re.fullmatch(r"[A-Za-z]{2,}", latex):
        return r"\mathrm{" + latex + "}"
    return latex


def clean_math(latex):
    """Make SymPy's LaTeX portable across MathJax, KaTeX, GitHub and latex2mathml: no bare ``|``."""
    latex = latex.replace(r"\left|", r"\left\vert ").replace(r"\right|", r"\right\vert ")
    return latex.replace("|", r"\vert ")


def tex_num(v, paren=False):
    """A number for math; negative numbers in parentheses when they are a factor."""
    text = num(v)
    if text in ("inf", "-inf"):
        text = text.replace("inf", r"\infty")
    elif text == "nan":
        text = r"\mathrm{NaN}"
    else:
        text = re.sub(r"e([+-])0*(\d+)", lambda m: r"\times 10^{" + ("-" if m.group(1) == "-" else "")
                      + m.group(2) + "}", text)
    return f"({text})" if paren and text.startswith("-") else text


_GLYPH_TEX = {"×": r"$\times$", "−": r"$-$", "÷": r"$\div$", "σ": r"$\sigma$", "√": r"$\surd$",
              "·": r"$\cdot$", "ʸ": r"$^{y}$", "ˣ": r"$^{x}$", "|": r"$\vert$"}
_SUPER = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-"))


def tex_glyph(text):
    """A gate glyph or label (×, x², σ, …) for LaTeX text mode."""
    out, sup = [], ""
    for c in str(text) + " ":
        if c in _SUPER:
            sup += _SUPER[c]
            continue
        if sup:
            out.append("$^{" + sup + "}$")
            sup = ""
        out.append(_GLYPH_TEX.get(c, escape_tex(c)))
    return "".join(out).rstrip()


def tex_code(text):
    """Program text for LaTeX: one \\texttt line per line, spaces kept, everything escaped."""
    lines = []
    for line in str(text).splitlines():
        lines.append(r"\texttt{" + escape_tex(line).replace(" ", r"\ ") + r"}\\")
    return "\n".join(lines)


def md_cell(text):
    """Text for one Markdown table cell: no pipe or line break can end the cell early."""
    return " ".join(str(text).split()).replace("|", "\\|")


def px(v):
    """A coordinate for SVG/LaTeX pictures: one decimal, no trailing zero."""
    text = f"{float(v):.1f}"
    return text[:-2] if text.endswith(".0") else text


def edge_angle(e):
    import math

    return px(math.degrees(math.atan2(e.y2 - e.y1, e.x2 - e.x1)))


def yaml_string(text):
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _autoescape(name):
    return name is not None and name.endswith((".html.j2", ".svg.j2"))


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(templates_dir())),
    autoescape=_autoescape,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
ENV.filters.update(
    md_cell=md_cell, escape_tex=escape_tex, tex_code=tex_code, tex_glyph=tex_glyph, tex_name=tex_name,
    tex_num=tex_num, num=num, px=px, edge_angle=edge_angle, yaml_string=yaml_string,
)


def environment(templates=None):
    """The environment, or an overlay that looks in the user's ``templates`` folder first."""
    if templates is None:
        return ENV
    folder = Path(templates)
    if not folder.is_dir():
        raise InputError(f"--templates {templates}: not a folder")
    return ENV.overlay(loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(folder)), ENV.loader]))


_STRINGS = {}


def strings():
    """The i18n table (``templates/strings.json``): key -> {"en": ..., "ko": ...}."""
    if not _STRINGS:
        path = templates_dir() / "strings.json"
        try:
            with open(path, encoding="utf-8") as fh:
                _STRINGS.update(json.load(fh))
        except OSError as exc:
            raise SymgradError(f"cannot read the document strings {path}: {exc.strerror}") from None
    return _STRINGS


# --- the data of a document ------------------------------------------------------------------
@dataclass
class Figure:
    key: str            # "graph", "loss-curve", "act-sigmoid"
    file: str           # file name next to the document
    svg: str            # the SVG text
    caption: dict       # lang -> caption (Markdown prose)


@dataclass
class Document:
    name: str           # main file name
    text: str
    files: dict = field(default_factory=dict)      # extra file name -> str or bytes


class Prose:
    """Looks up the i18n strings and lays them out for one language setting and one format."""

    def __init__(self, lang, fmt):
        self.lang, self.fmt = lang, fmt
        self.langs = ("ko", "en") if lang == "both" else (lang,)

    def text(self, key, lang, **kw):
        entry = strings()[key]
        out = entry[lang].format(**{k: (v[lang] if isinstance(v, dict) else v) for k, v in kw.items()})
        return prose_to_tex(out) if self.fmt == "tex" else out

    def say(self, key, **kw):
        """One paragraph per language (Korean first), separated by a blank line."""
        return "\n\n".join(self.text(key, lang, **kw) for lang in self.langs)

    def head(self, key, **kw):
        """A heading: both languages on one line (Korean · English)."""
        return self.joiner.join(self.text(key, lang, **kw) for lang in self.langs)

    @property
    def joiner(self):
        return " $\\cdot$ " if self.fmt == "tex" else " · "


def prose_to_tex(text):
    """Markdown-ish prose (``code``, $math$, **bold**) → LaTeX text; math is kept, the rest escaped."""
    out = []
    for part in re.split(r"(\$[^$]+\$|`[^`]+`)", text):
        if part.startswith("$") and part.endswith("$") and len(part) > 1:
            out.append(part)
        elif part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(r"\texttt{" + escape_tex(part[1:-1]) + "}")
        else:
            esc = escape_tex(part)
            esc = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", esc)
            esc = re.sub(r"\*(.+?)\*", r"\\emph{\1}", esc)
            out.append(esc)
    return "".join(out)


def slug_of(d):
    if d.model is not None:
        return d.model.id
    slug = re.sub(r"[^a-z0-9]+", "-", str(d.target).lower()).strip("-")[:40].strip("-")
    return slug or "derivation"


class Maths:
    """LaTeX for the symbols and partial derivatives of one derivation."""

    def __init__(self, d):
        self.d = d
        self.names = {node.symbol: tex_name(name) for name, node in d.graph.nodes.items()}
        self.out = tex_name(d.output)

    def expr(self, e):
        return clean_math(sympy.latex(e, symbol_names=self.names))

    def gate(self, e):
        """A gate's own expression, its arguments in program order (``\\hat{y} - y``, not ``-y + \\hat{y}``)."""
        return clean_math(sympy.latex(e, symbol_names=self.names, order="none"))

    def name(self, n):
        return self.names[self.d.graph.nodes[n].symbol]

    def partial(self, top, bottom):
        return r"\frac{\partial " + self.name(top) + r"}{\partial " + self.name(bottom) + "}"


def lr_of(d, lr=None):
    """The learning rate of the update step shown: the caller's, the post's, else DEFAULT_LR."""
    if lr is not None:
        lr = float(lr)
        if not math.isfinite(lr) or lr <= 0:
            raise InputError(f"the learning rate must be a positive number, got {lr:g}")
        return lr
    model_lr = getattr(d.model, "learning_rate", None) if d.model is not None else None
    return float(model_lr) if model_lr else DEFAULT_LR


def document_context(d, lang="en", fmt="md", lr=None):
    """Everything a template needs, as plain data (no template computes anything)."""
    m = Maths(d)
    prose = Prose(lang, fmt)
    graph = d.graph
    lr = lr_of(d, lr)
    title = d.model.title if d.model is not None else str(d.target).strip().splitlines()[0][:80]
    consumers = {}
    for s in d.steps:
        consumers.setdefault(s.input, set()).add(s.gate)

    expr_tex = m.expr(d.expression()) if d.expanded else ""
    forward = []
    for row in d.forward:
        is_input = row.op == "input"
        forward.append({
            "name": row.name, "name_tex": m.name(row.name), "label": row.label, "is_input": is_input,
            "glyph": "" if is_input else figures.gate_glyph(graph.nodes[row.name], graph),
            "expr_tex": "" if is_input else m.gate(row.expr), "value": tex_num(row.value),
        })

    gates, explained = [], set()
    for s in d.steps:
        if not gates or gates[-1]["name"] != s.gate:
            node = graph.nodes[s.gate]
            note = f"op_{node.op}" if f"op_{node.op}" in strings() and node.op not in explained else ""
            explained.add(node.op)
            gates.append({
                "name": s.gate, "name_tex": m.name(s.gate), "label": node.label, "op": node.op,
                "glyph": figures.gate_glyph(node, graph),
                "expr_tex": m.gate(node.expr), "value": tex_num(d.values[s.gate]),
                "upstream_tex": m.partial(d.output, s.gate), "upstream": tex_num(s.upstream),
                "is_output": s.gate == d.output, "items": [], "note": note,
            })
        local_tex = m.expr(s.local)
        local_value = tex_num(s.local_value)
        gates[-1]["items"].append({
            "input": s.input, "input_tex": m.name(s.input),
            "local_name": m.partial(s.gate, s.input),
            "local_tex": local_tex if local_tex != local_value else "",
            "local_value": local_value, "local_factor": tex_num(s.local_value, paren=True),
            "upstream_factor": tex_num(s.upstream, paren=True),
            "downstream": tex_num(s.downstream),
            "target_tex": m.partial(d.output, s.input),
            "shared": len(consumers.get(s.input, ())) > 1,
        })

    accumulations = [{
        "node": a.node, "node_tex": m.name(a.node), "count": len(a.parts),
        "target_tex": m.partial(d.output, a.node),
        "sum_tex": " + ".join(tex_num(v, paren=True) for _, v in a.parts),
        "gates": ", ".join(f"`{g}`" for g, _ in a.parts), "total": tex_num(a.total),
    } for a in d.accumulations]

    gradients = []
    for name in d.wrt:
        gradients.append(gradient_entry(d, m, name))

    updates, after = [], None
    params = [w for w in d.wrt if graph.nodes[w].is_input]
    if params:
        from .backward import derive_graph

        point = dict(d.point)
        for w in params:
            new = d.point[w] - lr * d.gradients[w]
            point[w] = new
            updates.append({"name": w, "name_tex": m.name(w), "old": tex_num(d.point[w]),
                            "grad": tex_num(d.gradients[w], paren=True), "new": tex_num(new),
                            "target_tex": m.partial(d.output, w)})
        try:
            after = tex_num(derive_graph(graph, point).values[d.output])
        except SymgradError:
            after = None

    errata = []
    if d.model is not None:
        for e in d.model.errata:
            errata.append({"quantity": e.quantity, "published": num(e.published), "correct": num(e.correct),
                           "explanation": {"en": e.explanation, "ko": e.explanation_ko or e.explanation}})

    return {
        "title": title, "slug": slug_of(d), "lang": lang, "format": fmt, "langs": prose.langs,
        "say": prose.say, "head": prose.head, "text": prose.text,
        "model": d.model, "model_id": d.model.id if d.model is not None else "",
        "description": d.model.description if d.model is not None else "",
        "seeds": ", ".join(d.model.seeds) if d.model is not None else "",
        "out": d.output, "out_tex": m.out, "value": tex_num(d.value),
        "expr_tex": expr_tex if len(expr_tex) <= CLOSED_FORM_LIMIT else "",
        "program": (d.model.program if d.model is not None else graph.source or "").strip(),
        "point": [{"name": k, "name_tex": m.name(k), "value": tex_num(v)} for k, v in reading_order(d).items()],
        "point_tex": point_block(m, reading_order(d)),
        "wrt": [{"name": w, "name_tex": m.name(w)} for w in d.wrt],
        "wrt_tex": ", ".join(f"${m.name(w)}$" for w in d.wrt),
        "forward": forward, "gates": gates, "accumulations": accumulations, "gradients": gradients,
        "lr": tex_num(lr), "updates": updates, "after": after,
        "matrix": matrix_entry(d.model),
        "errata": errata,
    }


def reading_order(d):
    """The point in the order a reader expects: a catalog model's data inputs, then its parameters as
    the post numbers them (w1, w2, …), then anything else; otherwise the order of first use."""
    if d.model is None:
        return dict(d.point)
    first = [n for n in list(d.model.data_inputs) + list(d.model.params) if n in d.point]
    return {n: d.point[n] for n in first + [n for n in d.point if n not in first]}


POINT_ROW = 4         # assignments per line when the point is written out


def point_block(m, point):
    """``w = 1,\\quad x = 1`` — in an ``aligned`` block of several lines when there are many inputs."""
    items = [f"{m.name(k)} = {tex_num(v)}" for k, v in point.items()]
    rows = [r",\quad ".join(items[i:i + POINT_ROW]) for i in range(0, len(items), POINT_ROW)]
    if len(rows) <= 1:
        return rows[0] if rows else ""
    return "\\begin{aligned}\n" + " \\\\\n".join(f"&{row}" for row in rows) + "\n\\end{aligned}"


def gradient_entry(d, m, name):
    out = d.output
    entry = {"name": name, "name_tex": m.name(name), "target_tex": m.partial(out, name),
             "value": tex_num(d.gradients[name]), "chain": [], "numeric_chain": "", "closed": "",
             "closed_too_long": False, "independent": False}
    if name == out:
        entry["closed"] = "1"
        return entry
    paths = d.chain_paths(name)
    if paths == []:
        entry["independent"] = True
        return entry
    if paths is not None:
        numeric_terms = []
        for path in paths:
            factors = [m.partial(path[i + 1], path[i]) for i in reversed(range(len(path) - 1))]
            entry["chain"].append(r" \cdot ".join(factors))
            values = [d.edge_local(path[i + 1], path[i]) for i in reversed(range(len(path) - 1))]
            numeric_terms.append(r" \cdot ".join(tex_num(v, paren=True) for v in values))
        entry["numeric_chain"] = " + ".join(numeric_terms)
    closed = d.symbolic_gradients[name]
    closed_tex = m.expr(closed)
    if len(closed_tex) > CLOSED_FORM_LIMIT:
        entry["closed_too_long"] = True
    else:
        entry["closed"] = closed_tex if closed_tex != entry["value"] else ""
    return entry


def matrix_entry(model):
    """The model's matrix form as LaTeX lines, when the catalog has one (else None)."""
    if model is None:
        return None
    try:
        form = model.matrix
    except Exception:        # the matrix layer is optional; a model without it renders without it
        return None
    if form is None:
        return None
    fn = getattr(form, "latex_lines", None)
    if not callable(fn):
        return None
    return [align_equation(clean_math(line)) for line in fn()]


def align_equation(line):
    """``a = b`` → ``a &= b`` for an ``aligned`` block."""
    head, sep, tail = line.partition(" = ")
    return f"{head} &= {tail}" if sep else line


# --- figures ---------------------------------------------------------------------------------
def make_figures(d, lr):
    """The document's figures: the graph, activation plots, and the loss curve for one parameter."""
    m = Maths(d)
    slug = slug_of(d)
    layout = figures.graph_layout(d)
    svg = ENV.get_template("graph.svg.j2").render(
        L=layout, title=f"computational graph of {d.output}", value_colour=figures.VALUE_COLOUR,
        grad_colour=figures.GRAD_COLOUR, legend_value="forward value",
        legend_grad=f"gradient ∂{d.output}/∂(edge source)")
    caption = {lang: Prose(lang, "md").text("cap_graph", lang, out=f"${m.out}$") for lang in ("en", "ko")}
    out = [Figure("graph", f"{slug}-graph.svg", svg, caption)]
    for op, params in figures.activations_used(d):
        caption = {lang: Prose(lang, "md").text("cap_activation", lang, op=op) for lang in ("en", "ko")}
        out.append(Figure(f"act-{op}", f"{slug}-{op}.svg", figures.activation_svg(op, params), caption))
    params = [w for w in d.wrt if d.graph.nodes[w].is_input]
    if len(params) == 1:
        w = params[0]
        caption = {lang: Prose(lang, "md").text("cap_loss_curve", lang, out=f"${m.out}$", w=f"${m.name(w)}$",
                                                 n=DESCENT_STEPS, lr=tex_num(lr))
                   for lang in ("en", "ko")}
        try:
            out.append(Figure("loss-curve", f"{slug}-loss-curve.svg",
                              figures.loss_curve_svg(d, w, lr, DESCENT_STEPS), caption))
        except SymgradError:
            pass
    return out, layout


def inline_svg(fig):
    """A figure for inlining in HTML: scaled to the column, but wide graphs scroll instead of shrinking."""
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
    return f"![{fig.key}]({fig.file})\n\n*{caption}*"


# --- one function per format -----------------------------------------------------------------
def _markdown(d, lang, fmt, lr, env, figure_mode):
    """The Markdown body; ``figure_mode`` is "files", "inline" or "placeholder" (for HTML)."""
    ctx = document_context(d, lang, fmt, lr)
    figs, _ = make_figures(d, lr_of(d, lr))
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


def render_md(d, lang="en", lr=None, env=ENV, inline_figures=False):
    ctx, figs, body, _ = _markdown(d, lang, "md", lr, env, "inline" if inline_figures else "files")
    files = {} if inline_figures else {f.file: f.svg for f in figs}
    return Document(f"{ctx['slug']}.md", body, files)


def render_jekyll(d, lang="en", lr=None, env=ENV):
    ctx, figs, body, _ = _markdown(d, lang, "jekyll", lr, env, "inline")
    ctx["body"] = body
    ctx["tags"] = ["backpropagation", "chain-rule"] + [op for op, _ in figures.activations_used(d)]
    text = env.get_template("post.jekyll.j2").render(ctx)
    return Document(f"{ctx['slug']}.md", text, {})


def render_html(d, lang="en", lr=None, env=ENV):
    ctx, figs, body, placeholders = _markdown(d, lang, "html", lr, env, "placeholder")
    html = markdown_to_html(body)
    for token, fig in placeholders.items():
        html = html.replace(f"<p>{token}</p>", inline_svg(fig))
    ctx["body"] = html
    text = env.get_template("page.html.j2").render(ctx)
    return Document(f"{ctx['slug']}.html", text, {})


def render_tex(d, lang="en", lr=None, env=ENV):
    ctx = document_context(d, lang, "tex", lr)
    figs, layout = make_figures(d, lr_of(d, lr))
    ctx["graph_picture"] = env.get_template("graph.tex.j2").render(
        L=layout, value_colour=figures.VALUE_COLOUR[1:], grad_colour=figures.GRAD_COLOUR[1:])
    ctx["tex_figures"] = []
    files = {}
    for fig in figs:
        if fig.key == "graph":
            ctx["graph_caption"] = " $\\cdot$ ".join(prose_to_tex(fig.caption[x]) for x in ctx["langs"])
            continue
        pdf_name = fig.file[:-4] + ".pdf"
        files[pdf_name] = svg_plot_pdf(d, fig, lr_of(d, lr))
        ctx["tex_figures"].append({"file": pdf_name,
                                   "caption": " $\\cdot$ ".join(prose_to_tex(fig.caption[x]) for x in ctx["langs"])})
    text = env.get_template("article.tex.j2").render(ctx)
    return Document(f"{ctx['slug']}.tex", text, files)


def svg_plot_pdf(d, fig, lr):
    """The PDF twin of a matplotlib figure (pdflatex cannot include SVG)."""
    if fig.key == "loss-curve":
        w = [w for w in d.wrt if d.graph.nodes[w].is_input][0]
        return figures.loss_curve_pdf(d, w, lr, DESCENT_STEPS)
    op = fig.key[len("act-"):]
    params = dict(figures.activations_used(d))[op]
    return figures.activation_pdf(op, params)


_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)


def protect_math(markdown):
    """Replace $$…$$ and $…$ by placeholders before Markdown runs (code blocks are left alone)."""
    maths, out = [], []
    for block in re.split(r"(^```.*?^```\s*$)", markdown, flags=re.S | re.M):
        if block.startswith("```"):
            out.append(block)
            continue

        def keep(match):
            display = match.group(1) is not None
            maths.append((display, (match.group(1) if display else match.group(2)).strip()))
            return f"SYMGRADMATH{len(maths) - 1:04d}X"
        out.append(_MATH.sub(keep, block))
    return "".join(out), maths


def restore_math(html, maths):
    from latex2mathml.converter import convert

    def put(match):
        display, latex = maths[int(match.group(1))]
        # latex2mathml knows align* (and not aligned): the same alignment table
        latex = latex.replace(r"\begin{aligned}", r"\begin{align*}").replace(r"\end{aligned}", r"\end{align*}")
        return convert(latex, display="block" if display else "inline")
    html = re.sub(r"<p>SYMGRADMATH(\d{4})X</p>", lambda m: '<div class="math-display">' + put(m) + "</div>",
                  html)
    return re.sub(r"SYMGRADMATH(\d{4})X", put, html)


RENDERERS = {"md": render_md, "jekyll": render_jekyll, "tex": render_tex, "html": render_html}


# --- matrix-level derivations (models that only exist with matrices) -----------------------------
def shape_tex(shape):
    return r" \times ".join(map(str, shape)) if shape else r"\text{scalar}"


def matrix_context(d, lang, fmt, lr=None):
    """The data of a document for a :class:`~symgrad.matrix.derivation.MatrixDerivation`."""
    import numpy as np

    from .matrix.sweep import latex_name

    prose = Prose(lang, fmt)
    model = d.catalog
    lr = float(getattr(model, "learning_rate", None) or DEFAULT_LR) if model is not None else DEFAULT_LR
    out_tex = latex_name(d.output)
    part = lambda name: r"\frac{\partial " + out_tex + r"}{\partial " + latex_name(name) + "}"  # noqa: E731
    arrays = {k: np.asarray(v, dtype=float) for k, v in d.arrays.items()}
    after = None
    params = [w for w in d.wrt if w in arrays]
    if params:
        moved = dict(arrays)
        for w in params:
            moved[w] = arrays[w] - lr * np.asarray(d.gradients[w], dtype=float)
        after = tex_num(d.compiled(**{n: moved[n] for n in d.compiled.inputs})[0])
    errata = []
    if model is not None:
        for e in model.errata:
            errata.append({"quantity": e.quantity, "published": num(e.published), "correct": num(e.correct),
                           "explanation": {"en": e.explanation, "ko": e.explanation_ko or e.explanation}})
    return {
        "title": model.title if model is not None else d.model.name, "slug": model.id if model else d.model.name,
        "lang": lang, "format": fmt, "langs": prose.langs, "say": prose.say, "head": prose.head,
        "text": prose.text, "model_id": model.id if model is not None else "",
        "seeds": ", ".join(model.seeds) if model is not None else "",
        "description": model.description if model is not None else getattr(d.model, "description", ""),
        "out_tex": out_tex, "value": tex_num(d.value),
        "shapes": [{"name_tex": latex_name(n), "shape": shape_tex(d.shapes[n]),
                    "role": "param" if n in d.wrt else "data"} for n in d.inputs],
        "forward": [{"name_tex": latex_name(r.name), "label": r.label, "formula": clean_math(r.formula.latex),
                     "shape": shape_tex(r.shape)} for r in d.forward],
        "steps": [{"gate_tex": latex_name(s.gate), "input_tex": latex_name(s.input), "label": s.label,
                   "rule": clean_math(s.rule.latex), "downstream": clean_math(s.downstream.latex),
                   "upstream": part(s.gate), "target": part(s.input),
                   "shared": s.input in d.accumulations} for s in d.steps],
        "accumulations": [{"node_tex": latex_name(n), "gates": ", ".join(f"`{g}`" for g in gates),
                           "count": len(gates)} for n, gates in d.accumulations.items()],
        "gradients": [{"name_tex": latex_name(w), "target": part(w), "formula": clean_math(d.latex_formulas[w]),
                       "norm": tex_num(float(np.linalg.norm(d.gradients[w]))),
                       "shape": shape_tex(np.shape(d.gradients[w]))} for w in d.wrt],
        "lr": tex_num(lr), "updates": [{"name_tex": latex_name(w), "target": part(w)} for w in params],
        "after": after, "errata": errata,
    }


def _matrix_markdown(d, lang, fmt, lr, env):
    ctx = matrix_context(d, lang, fmt, lr)
    return ctx, env.get_template("matrix.md.j2").render(ctx)


def render_matrix(d, format, lang="en", lr=None, env=ENV):
    """The document of a matrix-level derivation, in any of the four formats (no figures)."""
    if format == "tex":
        ctx = matrix_context(d, lang, "tex", lr)
        return Document(f"{ctx['slug']}.tex", env.get_template("matrix.tex.j2").render(ctx), {})
    ctx, body = _matrix_markdown(d, lang, format, lr, env)
    if format == "md":
        return Document(f"{ctx['slug']}.md", "# " + ctx["title"] + "\n\n" + body, {})
    if format == "jekyll":
        ctx["body"] = body
        ctx["tags"] = ["backpropagation", "chain-rule", "matrix-calculus"]
        return Document(f"{ctx['slug']}.md", env.get_template("post.jekyll.j2").render(ctx), {})
    ctx["body"] = markdown_to_html(body)
    return Document(f"{ctx['slug']}.html", env.get_template("page.html.j2").render(ctx), {})


def markdown_to_html(markdown):
    """Markdown with $…$/$$…$$ → HTML with MathML (no script)."""
    from markdown_it import MarkdownIt

    body, maths = protect_math(markdown)
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(body)
    return restore_math(html, maths)


# --- the public API --------------------------------------------------------------------------
def build(target, format="md", lang="en", templates=None, at=None, wrt=None, output=None, lr=None):
    """The :class:`Document` (text and figure files) of ``target`` in one format and language."""
    from .derivation import Derivation, derive

    if format not in FORMATS:
        raise InputError(f"unknown format {format!r} (choose from {', '.join(FORMATS)})")
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r} (choose from {', '.join(LANGS)})")
    from .matrix.derivation import MatrixDerivation

    d = target if isinstance(target, (Derivation, MatrixDerivation)) else \
        derive(target, at=at, wrt=wrt, output=output)
    if isinstance(d, MatrixDerivation):
        return render_matrix(d, format, lang=lang, lr=lr, env=environment(templates))
    return RENDERERS[format](d, lang=lang, lr=lr, env=environment(templates))


def render(target, format="md", lang="en", out_dir=None, templates=None, at=None, wrt=None, output=None,
           lr=None):
    """The document of ``target`` (a Derivation, expression, program or catalog id) as text.

    With ``out_dir``, the document and its figures are also written there.
    """
    doc = build(target, format, lang, templates, at, wrt, output, lr)
    if out_dir is not None:
        write_document(doc, out_dir)
    return doc.text


def write_document(doc, out_dir, name=None):
    """Write a document and its figure files into ``out_dir``; returns the paths written."""
    out_dir = Path(out_dir)
    paths = [out_dir / (name or doc.name)]
    write_atomic(paths[0], doc.text)
    for file, data in sorted(doc.files.items()):
        write_atomic(out_dir / file, data)
        paths.append(out_dir / file)
    return paths


# The gallery: which documents each catalog model gets in output/<id>/: (format, language, file name,
# whether its extra files are written). The LaTeX article's plot PDFs are left out (binary, and the
# article compiles without them); the Markdown post's SVG figures are kept.
GALLERY = (("md", "both", "README.md", True), ("html", "both", None, True), ("tex", "en", None, False))


def render_all(out_dir, templates=None):
    """Render every catalog model into ``out_dir/<id>/`` and write the index pages; returns the paths."""
    from .catalog import models

    out_dir = Path(out_dir)
    written, entries = [], []
    for model in models():
        folder = out_dir / model.id
        docs = {}
        for fmt, lang, name, with_files in GALLERY:
            doc = build(model.id, fmt, lang, templates)
            if not with_files:
                doc.files = {}
            written += write_document(doc, folder, name)
            docs[fmt] = name or doc.name
        entries.append({"id": model.id, "title": model.title, "description": model.description,
                        "seeds": ", ".join(model.seeds), "docs": docs})
    env = environment(templates)
    ctx = {"entries": entries, "refresh": REFRESH}
    index_md = env.get_template("index.md.j2").render(ctx)
    write_atomic(out_dir / "README.md", index_md)
    written.append(out_dir / "README.md")
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(index_md)
    write_atomic(out_dir / "index.html", env.get_template("index.html.j2").render(body=body))
    written.append(out_dir / "index.html")
    return written


def run_cli(args):
    """``symgrad render``: one target, or ``--all`` for the gallery."""
    if args.all:
        if args.target:
            raise InputError("give either TARGET or --all, not both")
        paths = render_all(args.out, templates=args.templates)
        print(f"wrote {len(paths)} files under {args.out}")
        return 0
    if not args.target:
        raise InputError("symgrad render needs a TARGET (an expression, a program file or a catalog id) or --all")
    doc = build(args.target, args.format, args.lang, args.templates, args.at, args.wrt, args.output,
                getattr(args, "lr", None))
    paths = write_document(doc, args.out)
    extra = f" and {len(doc.files)} figure file{'s' if len(doc.files) != 1 else ''}" if doc.files else ""
    print(f"wrote {os.fspath(paths[0])}{extra}")
    return 0


def summary_latex(d):
    """The gradients of a derivation as one display-math block (Jupyter's ``_repr_latex_``)."""
    m = Maths(d)
    lines = []
    for name in d.wrt:
        entry = gradient_entry(d, m, name)
        rhs = (entry["closed"] + " = " if entry["closed"] else "") + entry["value"]
        lines.append(entry["target_tex"] + " &= " + rhs)
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n$$"
