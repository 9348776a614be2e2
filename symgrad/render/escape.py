"""Text for the documents' formats: TeX text mode, names and numbers as LaTeX math, Markdown table
cells, YAML strings, SVG coordinates. These are the Jinja environment's filters."""

import json
import math
import re
import unicodedata

import sympy

from ..terminal import num

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}"}


_TEX_UNICODE = {"−": "$-$", "·": "$\\cdot$", "×": "$\\times$", "÷": "$\\div$", "→": "$\\to$",
                "←": "$\\leftarrow$", "∂": "$\\partial$", "∈": "$\\in$", "≈": "$\\approx$",
                "≠": "$\\neq$", "≥": "$\\geq$", "≤": "$\\leq$", "′": "$'$", "⊙": "$\\odot$",
                "∑": "$\\sum$", "√": "$\\surd$", "…": "\\ldots{}", "ŷ": "$\\hat{y}$",
                "‖": "$\\Vert$", "∞": "$\\infty$", "±": "$\\pm$", "°": "$^\\circ$"}
_SCRIPTS = {"²": "^{2}", "³": "^{3}", "¹": "^{1}", "ˣ": "^{x}", "ʸ": "^{y}", "ᵀ": "^{\\top}",
            "ᵢ": "_{i}", "ⱼ": "_{j}", "ₖ": "_{k}", "⁻": "^{-}", "₀": "_{0}", "₁": "_{1}",
            "₂": "_{2}", "₃": "_{3}", "ⁿ": "^{n}"}


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
    """A node name as LaTeX math: ``yhat`` → ``\\hat{y}``, ``w1`` → ``w_{1}``, ``loss`` →
    ``\\mathrm{loss}``.

    Names with a double or a trailing underscore are written as they are (``x_1__y`` →
    ``\\mathrm{x\\_1\\_\\_y}``): SymPy would read ``__`` as a superscript and print an empty script.
    """
    name = str(name)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        return r"\text{" + escape_tex(name) + "}"
    if "__" in name or name.endswith("_"):
        return r"\mathrm{" + name.replace("_", r"\_") + "}"
    latex = sympy.latex(sympy.Symbol(name))
    if re.fullmatch(r"[A-Za-z]{2,}", latex):
        return r"\mathrm{" + latex + "}"
    return latex


def clean_math(latex):
    """Make SymPy's LaTeX portable across MathJax, KaTeX, GitHub and latex2mathml: no bare ``|``."""
    latex = latex.replace(r"\left|", r"\left\vert ").replace(r"\right|", r"\right\vert ")
    return latex.replace("|", r"\vert ")


def _times_ten(m):
    """``e-05`` → ``\\times 10^{-5}`` (a ``re.sub`` replacement)."""
    return r"\times 10^{" + ("-" if m.group(1) == "-" else "") + m.group(2) + "}"


def tex_num(v, paren=False):
    """A number for math; negative numbers in parentheses when they are a factor."""
    text = num(v)
    if text in ("inf", "-inf"):
        text = text.replace("inf", r"\infty")
    elif text == "nan":
        text = r"\mathrm{NaN}"
    else:
        text = re.sub(r"e([+-])0*(\d+)", _times_ten, text)
    return f"({text})" if paren and text.startswith("-") else text


_GLYPH_TEX = {"×": r"$\times$", "−": r"$-$", "÷": r"$\div$", "σ": r"$\sigma$", "√": r"$\surd$",
              "·": r"$\cdot$", "ʸ": r"$^{y}$", "ˣ": r"$^{x}$", "|": r"$\vert$"}
_SUPER = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-", strict=True))


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


# What can start markup in a GitHub Markdown line: emphasis, code, links and images, raw HTML,
# entities, math, a heading's closing #, strikethrough, table pipes, the escape itself.
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]<>&$#~|])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def plain_line(text):
    """User text for a title: control characters (and line separators) removed."""
    return _CONTROL.sub("", str(text))


def md_text(text):
    """User text for Markdown prose (a heading): each character that could start markup
    backslash-escaped, so nothing in it is emphasis, a link, raw HTML, an entity or math."""
    return _MD_PUNCTUATION.sub(r"\\\1", plain_line(text))


def html_text(text):
    """User text that a Jekyll layout may print without escaping (the front matter's title):
    ``<``, ``>`` and ``&`` as entities."""
    return plain_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code_fence(text):
    """A backtick fence longer than any run of backticks in ``text``, so the code cannot close
    it."""
    longest = max((len(run) for run in re.findall(r"`+", str(text))), default=0)
    return "`" * max(3, longest + 1)


def md_cell(text):
    """Text for one Markdown table cell: no pipe or line break can end the cell early."""
    return " ".join(str(text).split()).replace("|", "\\|")


def px(v):
    """A coordinate for SVG/LaTeX pictures: one decimal, no trailing zero."""
    text = f"{float(v):.1f}"
    return text[:-2] if text.endswith(".0") else text




def edge_angle(e):
    """The angle of an edge of the graph picture, in degrees (for rotated labels)."""
    return px(math.degrees(math.atan2(e.y2 - e.y1, e.x2 - e.x1)))


def yaml_string(text):
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def prose_to_tex(text):
    """Markdown-ish prose (``code``, $math$, **bold**) → LaTeX text; math is kept, the rest
    escaped."""
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




# (a word already inside \mathrm{...} is left as it is)
_WORD = re.compile(r"(?<![\\A-Za-z])(?<!\\mathrm\{)[A-Za-z]{2,}(?![A-Za-z])")


def upright_names(latex, names):
    """``latex`` with each bare word of several letters that is one of ``names`` (``loss``, ``ce``)
    set upright, as :func:`tex_name` writes names, not as a product of italic letters."""
    return _WORD.sub(lambda m: rf"\mathrm{{{m.group(0)}}}" if m.group(0) in names
                     else m.group(0), latex)
