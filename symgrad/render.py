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
from .derivation import JUPYTER_VIEWS
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
    """A node name as LaTeX math: ``yhat`` → ``\\hat{y}``, ``w1`` → ``w_{1}``, ``loss`` → ``\\mathrm{loss}``.

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


# --- long equations: estimated widths and row breaks ----------------------------------------------
# Display math has no automatic line breaking (not in LaTeX's amsmath, not in MathML), so a long
# right-hand side is broken here, at the operators of its outermost level, into the rows of an
# ``aligned`` block. Widths are estimates in em of the body font, from the glyph widths of Computer
# Modern; ROW_EM leaves a margin below the article's text width (about 44.6 em at 11pt) and suits
# the HTML page and GitHub's column too.
ROW_EM = 38.0
QUAD_EM = 1.0

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.S)
_ONE_ARG = {"mathrm", "operatorname", "text", "mathbb", "mathbf", "mathit", "mathsf", "mathcal", "boldsymbol",
            "hat", "bar", "tilde", "vec", "dot", "ddot", "overline", "underline", "textbf", "textit", "texttt"}
_TEXTUAL = {"mathrm", "operatorname", "text", "textbf", "textit", "texttt", "mathsf"}
_BINARY = {"+", "-", r"\cdot", r"\times", r"\pm", r"\mp", r"\div", r"\odot", r"\circ"}
_RELATION = {"=", "<", ">", r"\leq", r"\geq", r"\neq", r"\approx", r"\leftarrow", r"\to", r"\rightarrow",
             r"\equiv", r"\le", r"\ge", r"\mapsto", r"\sim"}
_WIDE = {r"\cdot": 0.28, r"\times": 0.78, r"\pm": 0.78, r"\div": 0.78, r"\odot": 0.78, r"\leftarrow": 1.0,
         r"\to": 1.0, r"\rightarrow": 1.0, r"\mapsto": 1.0, r"\infty": 1.0, r"\partial": 0.57, r"\sum": 1.44,
         r"\prod": 1.3, r"\vert": 0.28, r"\Vert": 0.5, r"\top": 0.78, r"\quad": 1.0, r"\qquad": 2.0,
         r"\,": 0.17, r"\;": 0.28, r"\:": 0.22, r"\!": -0.17, r"\ ": 0.33, r"\{": 0.5, r"\}": 0.5, r"\_": 0.5,
         r"\%": 0.83, r"\&": 0.78, r"\#": 0.83, r"\ldots": 1.2, r"\cdots": 1.2}
_FUNCTIONS = {"log", "ln", "exp", "sin", "cos", "tan", "tanh", "sinh", "cosh", "max", "min", "sign", "arg"}
_CHAR_EM = {"(": 0.39, ")": 0.39, "[": 0.28, "]": 0.28, ",": 0.28, ".": 0.28, ";": 0.28, ":": 0.28, "!": 0.28,
            "'": 0.28, "|": 0.28, "/": 0.5, "+": 0.78, "-": 0.78, "=": 0.78, "<": 0.78, ">": 0.78, "1": 0.5,
            "m": 0.88, "w": 0.72, "W": 1.0, "M": 0.97, "i": 0.35, "j": 0.41, "l": 0.3, "f": 0.49, "t": 0.36}


@dataclass
class _Atom:
    start: int          # its source text is latex[start:end]
    end: int
    width: float        # at the size it is typeset in
    kind: str = ""      # "bin", "rel", "open" (\left), "close" (\right), "paren", "unparen" or ""
    op: str = ""


def _tokens(latex):
    return [(m.start(), m.group()) for m in _TOKEN.finditer(latex)]


def _atoms(latex, tokens, i, scale, frac_scale, stop=None):
    """The atoms of ``tokens[i:]`` up to the closing brace ``stop``; returns (atoms, next index)."""
    atoms = []
    while i < len(tokens):
        pos, tok = tokens[i]
        if tok == "}" and stop is not None:
            return atoms, i + 1
        if tok.isspace():
            i += 1
            continue
        if tok == "{":
            inner, j = _atoms(latex, tokens, i + 1, scale, frac_scale, stop="}")
            atoms.append(_Atom(pos, tokens[j - 1][0] + 1 if j <= len(tokens) else len(latex),
                               sum(a.width for a in inner)))
            i = j
            continue
        if tok in ("^", "_"):
            arg, j = _argument(latex, tokens, i + 1, scale * 0.7, frac_scale * 0.7)
            atoms.append(_Atom(pos, arg[1], arg[0] + 0.05))
            i = j
            continue
        if tok in (r"\left", r"\right"):
            j = i + 1
            while j < len(tokens) and tokens[j][1].isspace():
                j += 1
            delim = tokens[j][1] if j < len(tokens) else "."
            end = tokens[j][0] + len(delim) if j < len(tokens) else len(latex)
            atoms.append(_Atom(pos, end, 0.12 if delim == "." else 0.45 * scale,
                               "open" if tok == r"\left" else "close"))
            i = j + 1
            continue
        name = tok[1:]
        if tok in (r"\frac", r"\dfrac", r"\tfrac"):
            num_, j = _argument(latex, tokens, i + 1, frac_scale, frac_scale * 0.7)
            den, j = _argument(latex, tokens, j, frac_scale, frac_scale * 0.7)
            atoms.append(_Atom(pos, den[1], max(num_[0], den[0]) + 0.24))
            i = j
            continue
        if tok == r"\sqrt":
            arg, j = _argument(latex, tokens, i + 1, scale, frac_scale)
            atoms.append(_Atom(pos, arg[1], arg[0] + 0.85 * scale))
            i = j
            continue
        if name in _ONE_ARG:
            arg, j = _argument(latex, tokens, i + 1, scale, frac_scale, textual=name in _TEXTUAL)
            extra = 0.17 * scale if name == "operatorname" else 0.0
            atoms.append(_Atom(pos, arg[1], arg[0] + extra))
            i = j
            continue
        kind = ""
        if tok in _BINARY:
            kind = "bin"
        elif tok in _RELATION:
            kind = "rel"
        elif tok in "([":
            kind = "paren"
        elif tok in ")]":
            kind = "unparen"
        if tok.startswith("\\") and len(tok) > 1:
            width = _WIDE.get(tok, len(name) * 0.5 + 0.17 if name in _FUNCTIONS else 0.6)
        else:
            width = _CHAR_EM.get(tok, 0.5 if tok.isdigit() or tok.isalpha() else 0.55)
        atoms.append(_Atom(pos, pos + len(tok), width * scale, kind, tok))
        i += 1
    return atoms, i


def _argument(latex, tokens, i, scale, frac_scale, textual=False):
    """The next argument (a brace group or one token): ((width, end position), next index)."""
    while i < len(tokens) and tokens[i][1].isspace():
        i += 1
    if i >= len(tokens):
        return (0.0, len(latex)), i
    pos, tok = tokens[i]
    if tok != "{":
        width = _atoms(latex, [(pos, tok)], 0, scale, frac_scale)[0]
        return (sum(a.width for a in width), pos + len(tok)), i + 1
    if textual:
        depth, j = 1, i + 1
        while j < len(tokens) and depth:
            depth += {"{": 1, "}": -1}.get(tokens[j][1], 0)
            j += 1
        text = latex[pos + 1:tokens[j - 1][0]]
        letters = len(re.sub(r"\\.", "x", text))
        return (letters * 0.5 * scale, tokens[j - 1][0] + 1), j
    inner, j = _atoms(latex, tokens, i + 1, scale, frac_scale, stop="}")
    return (sum(a.width for a in inner), tokens[j - 1][0] + 1), j


def _spaced(atoms):
    """Add the spaces TeX puts around binary operators and relations; mark unary signs."""
    out, prev = [], None
    for a in atoms:
        if a.kind == "bin" and (prev is None or prev.kind in ("bin", "rel", "open", "paren")
                                or (prev.op in (",", "&"))):
            a.kind = "unary"
        elif a.kind == "bin":
            a.width += 0.44
        elif a.kind == "rel":
            a.width += 0.56
        out.append(a)
        prev = a
    return out


def _top_atoms(latex):
    atoms, _ = _atoms(latex, _tokens(latex), 0, 1.0, 1.0)
    return _spaced(atoms)


def math_width(latex):
    """The estimated width of display math ``latex``, in em of the body font."""
    return sum(a.width for a in _top_atoms(latex))


def split_math(latex, first, rest):
    """``latex`` cut before operators of its outermost level into pieces of at most ``first`` em (the
    first piece) and ``rest`` em (the others), preferring breaks outside brackets, then before + and −
    (between terms) rather than before · (inside a product). Breaks inside ``\\left…\\right`` are
    closed with ``\\right.`` and reopened with ``\\left.``. A single piece if it fits."""
    atoms = _top_atoms(latex)
    if sum(a.width for a in atoms) <= first:
        return [latex]
    depth, parens, candidates = 0, 0, {}
    for i, a in enumerate(atoms):
        if a.kind == "open":
            depth += 1
        elif a.kind == "close":
            depth -= 1
        elif a.kind == "paren":
            parens += 1
        elif a.kind == "unparen":
            parens -= 1
        elif a.kind in ("bin", "rel") and i > 0:
            candidates[i] = (depth + parens, 0 if a.kind == "rel" else 1 if a.op in ("+", "-") else 2)
    cuts = _cuts(atoms, candidates, first, rest)
    total = sum(a.width for a in atoms)
    for stretch in (1.05, 1.15, 1.3):          # the same number of rows, but of even lengths
        target = stretch * total / (len(cuts) + 1)
        even = _cuts(atoms, candidates, min(first, target), min(rest, target))
        if len(even) == len(cuts):
            cuts = even
            break
    bounds = [0] + [atoms[c].start for c in cuts] + [len(latex)]
    pieces, opened = [], 0
    for k in range(len(bounds) - 1):
        text = latex[bounds[k]:bounds[k + 1]].strip()
        lo, hi = (cuts[k - 1] if k else 0), (cuts[k] if k < len(cuts) else len(atoms))
        closes = opened + sum(1 for a in atoms[lo:hi] if a.kind == "open") \
            - sum(1 for a in atoms[lo:hi] if a.kind == "close")
        if opened:
            text = r"\left. " * opened + "{} " + text
        pieces.append(text + r" \right." * closes)
        opened = closes
    return pieces


def _cuts(atoms, candidates, first, rest):
    """Greedy row breaks: each row as long as it may be, cut at the best candidate that fits."""
    cuts, start, limit = [], 0, first
    while sum(a.width for a in atoms[start:]) > limit:
        fits, used = [], 0.0
        for i in range(start, len(atoms)):
            if i in candidates and i > start and used <= limit:
                fits.append((i, used))
            used += atoms[i].width
            if used > limit and fits:
                break
        if not fits:            # nothing fits: cut at the first place there is, or give up
            later = [i for i in candidates if i > start]
            if not later:
                break
            fits = [(min(later), 0.0)]
        good = [f for f in fits if f[1] >= 0.5 * limit] or fits
        cut = min(good, key=lambda f: (candidates[f[0]][0], candidates[f[0]][1], -f[0]))[0]
        cuts.append(cut)
        start, limit = cut, rest
    return cuts


def aligned_rows(equations, width=ROW_EM):
    """The rows of an ``aligned`` block for ``[(lhs, relation, rhs)]``: ``lhs &= rhs``, a long right-hand
    side continued on indented rows (``&\\quad …``). An empty lhs continues the equation above."""
    lhs_width = max([math_width(lhs) for lhs, _, _ in equations] + [0.0])
    rows = []
    for lhs, rel, rhs in equations:
        if not rel and not rhs:
            rows.append(lhs)
            continue
        rel_width = math_width("{}" + rel + "{}")
        pieces = split_math(rhs, width - lhs_width - rel_width, width - lhs_width - QUAD_EM)
        rows.append(f"{lhs} &{rel} {pieces[0]}".strip() if lhs else f"&{rel} {pieces[0]}")
        rows += [("&" if p.startswith("=") else r"&\quad ") + p for p in pieces[1:]]
    return rows


def display_math(lhs, rel, rhs, width=ROW_EM):
    """``lhs = rhs`` for a display block; an ``aligned`` block of several rows when it is too wide."""
    rows = aligned_rows([(lhs, rel, rhs)], width)
    if len(rows) == 1:
        return f"{lhs} {rel} {rhs}"
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


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

    def raw(self, key, lang, **kw):
        """The string in Markdown-ish prose, whatever the format."""
        return strings()[key][lang].format(**{k: (v[lang] if isinstance(v, dict) else v) for k, v in kw.items()})

    def text(self, key, lang, **kw):
        out = self.raw(key, lang, **kw)
        return prose_to_tex(out) if self.fmt == "tex" else out

    def footer(self, model_id, seeds):
        """The closing line in each language (the catalog model and its seeds, when there is one)."""
        return [self.text("p_footer", lang, model=self.raw("footer_model", lang, id=model_id, seeds=seeds)
                          if model_id else "") for lang in self.langs]

    def say(self, key, **kw):
        """One paragraph per language (Korean first), separated by a blank line."""
        return "\n\n".join(self.text(key, lang, **kw) for lang in self.langs)

    def head(self, key, **kw):
        """A heading: both languages on one line (Korean · English)."""
        return self.joiner.join(self.text(key, lang, **kw) for lang in self.langs)

    @property
    def joiner(self):
        return " $\\cdot$ " if self.fmt == "tex" else " · "


# --- Korean: particles, sentence style, catalog text ---------------------------------------------
_DIGITS_KO = "영일이삼사오육칠팔구"
_PLACES_KO = ("", "십", "백", "천")            # within a group of four digits
_GROUPS_KO = ("", "만", "억", "조", "경")      # the groups of four digits


def _last_syllable_ko(number):
    """The last syllable of ``number`` (text such as ``12``, ``-0.64``) read aloud in Korean, or None
    for text that is not a plain decimal number (``1.2\\times 10^{-5}``, ``\\infty``, a symbol)."""
    m = re.fullmatch(r"[-−+]?(\d+)(?:\.(\d+))?", str(number).strip())
    if not m:
        return None
    whole, decimals = m.groups()
    if decimals:                        # read digit by digit after 점: 0.10 is 영 점 일 영
        return _DIGITS_KO[int(decimals[-1])]
    whole = whole.lstrip("0")
    if not whole:
        return "영"
    zeros = len(whole) - len(whole.rstrip("0"))
    group, place = divmod(zeros, 4)
    if group:                           # 20000 is 이만, 100000 십만, 10¹² 일조: the group is said last
        return _GROUPS_KO[group] if group < len(_GROUPS_KO) else None
    return _PLACES_KO[place] if place else _DIGITS_KO[int(whole[-1])]


def ro_particle(number):
    """The particle 로 or 으로 after ``number`` as it is read in Korean, or None when it cannot be told.

    으로 follows a final consonant (영, 삼, 육, 십, 백, 천, 만); 로 follows a vowel or ㄹ (일, 칠, 팔).
    """
    syllable = _last_syllable_ko(number)
    if syllable is None:
        return None
    final = (ord(syllable) - 0xAC00) % 28          # 0: no final consonant, 8: ㄹ
    return "로" if final in (0, 8) else "으로"


_PLAIN_END = re.compile(r"([\uac00-\ud7a3]?)([\uac00-\ud7a3])다(?=[.!?]?$|[.!?]\s)")


def _with_final(syllable, final):
    return chr(ord(syllable) - (ord(syllable) - 0xAC00) % 28 + final)


def polite_ko(text):
    """Korean sentences in the plain style (…이다. …나온다. …했다.) in the documents' 합니다 style
    (…입니다. …나옵니다. …했습니다.); sentences already in that style are left as they are."""
    def polite(m):
        before, last = m.group(1), m.group(2)
        final = (ord(last) - 0xAC00) % 28
        if last == "니" and before and (before == "습" or (ord(before) - 0xAC00) % 28 == 17):
            return m.group(0)                                  # …습니다, …ㅂ니다
        if last == "는" and before:                            # 먹는다 → 먹습니다
            return before + "습니다"
        if final in (0, 4, 8):                                 # 이다, 나온다, 길다 → 입니다, 나옵니다, 깁니다
            return before + _with_final(last, 17) + "니다"
        return before + last + "습니다"                        # 했다, 맞다 → 했습니다, 맞습니다
    return _PLAIN_END.sub(polite, text)


def catalog_text(kind, model_id, english, lang):
    """A catalog string (a model's title, an erratum's quantity) in ``lang``. The catalog is written in
    English; the Korean comes from strings.json (``title:<id>``, ``erratum:<id>:<n>``), whose ``en``
    must still be the catalog's text, else the English is used."""
    if lang == "en":
        return english
    entry = strings().get(f"{kind}:{model_id}")
    return entry["ko"] if entry and entry.get("en") == english else english


def title_of(model, langs):
    """The document title in the document's languages (Korean · English for both)."""
    return " · ".join(dict.fromkeys(catalog_text("title", model.id, model.title, lang) for lang in langs))


def errata_of(model, langs):
    """A catalog model's errata for a document: quantities and explanations in each language."""
    out = []
    for i, e in enumerate(model.errata, 1):
        quantity = {lang: catalog_text("erratum", f"{model.id}:{i}", e.quantity, lang) for lang in ("en", "ko")}
        out.append({"quantity": quantity, "item": list(dict.fromkeys(quantity[lang] for lang in langs)),
                    "published": num(e.published), "correct": num(e.correct),
                    "explanation": {"en": e.explanation, "ko": polite_ko(e.explanation_ko or e.explanation)}})
    return out


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


ENV.filters["prose_tex"] = prose_to_tex        # catalog text (errata) in the LaTeX articles


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
    title = title_of(d.model, prose.langs) if d.model is not None else \
        str(d.target).strip().splitlines()[0][:80]
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
    for g in gates:
        equations = []
        for it in g["items"]:
            equations.append((it["local_name"], "=", (it["local_tex"] + " = " if it["local_tex"] else "")
                              + it["local_value"]))
            product = g["upstream_tex"] + r" \cdot " + it["local_name"]
            equations.append((product if it["shared"] else it["target_tex"], "=",
                              f"{product} = {it['upstream_factor']} \\cdot {it['local_factor']} = {it['downstream']}"))
        g["rows"] = aligned_rows(equations)

    accumulations = [{
        "node": a.node, "node_tex": m.name(a.node), "count": len(a.parts),
        "target_tex": m.partial(d.output, a.node),
        "sum_tex": " + ".join(tex_num(v, paren=True) for _, v in a.parts),
        "gates": ", ".join(f"`{g}`" for g, _ in a.parts), "total": tex_num(a.total),
    } for a in d.accumulations]
    for a in accumulations:
        a["display"] = display_math(a["target_tex"], "=", f"{a['sum_tex']} = {a['total']}")

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

    update_rows = aligned_rows([(u["name_tex"], r"\leftarrow", f"{u['name_tex']} - \\alpha \\cdot {u['target_tex']} = "
                                 f"{u['old']} - {tex_num(lr)} \\cdot {u['grad']} = {u['new']}") for u in updates])

    return {
        "title": title, "slug": slug_of(d), "lang": lang, "format": fmt, "langs": prose.langs,
        "say": prose.say, "head": prose.head, "text": prose.text,
        "model": d.model, "model_id": d.model.id if d.model is not None else "",
        "description": d.model.description if d.model is not None else "",
        "seeds": ", ".join(d.model.seeds) if d.model is not None else "",
        "out": d.output, "out_tex": m.out, "value": tex_num(d.value),
        "expr_tex": expr_tex if len(expr_tex) <= CLOSED_FORM_LIMIT else "",
        "model_tex": display_math(m.out, "=", expr_tex) if expr_tex and len(expr_tex) <= CLOSED_FORM_LIMIT else "",
        "program": (d.model.program if d.model is not None else graph.source or "").strip(),
        "point": [{"name": k, "name_tex": m.name(k), "value": tex_num(v)} for k, v in reading_order(d).items()],
        "point_tex": point_block(m, reading_order(d)),
        "wrt": [{"name": w, "name_tex": m.name(w)} for w in d.wrt],
        "wrt_tex": ", ".join(f"${m.name(w)}$" for w in d.wrt),
        "forward": forward, "gates": gates, "accumulations": accumulations, "gradients": gradients,
        "lr": tex_num(lr), "updates": updates, "update_rows": update_rows, "after": after,
        "after_ro": ro_particle(after) if after is not None else None,
        "matrix": matrix_entry(d.model),
        "footer": prose.footer(d.model.id if d.model is not None else "",
                               ", ".join(d.model.seeds) if d.model is not None else ""),
        "errata": errata_of(d.model, prose.langs) if d.model is not None else [],
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
        entry["rows"] = gradient_rows(entry)
        return entry
    paths = d.chain_paths(name)
    if paths == []:
        entry["independent"] = True
        entry["rows"] = []
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
    entry["rows"] = gradient_rows(entry)
    return entry


def gradient_rows(entry):
    """The aligned rows of one gradient: the chain-rule paths (added), their numbers, the closed form,
    the value; long products are continued on further rows."""
    equations = [(entry["target_tex"] if i == 0 else "", "=" if i == 0 else "+", term)
                 for i, term in enumerate(entry["chain"])]
    for rhs in (entry["numeric_chain"], entry["closed"], entry["value"]):
        if rhs and not (equations and equations[-1][2] == rhs):        # no "= 1 = 1"
            equations.append(("" if equations else entry["target_tex"], "=", rhs))
    return aligned_rows(equations)


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
    equations = []
    for line in fn():
        head, sep, tail = clean_math(line).partition(" = ")
        equations.append((head, "=", tail) if sep else (head, "", ""))
    return aligned_rows(equations)


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
    return {
        "title": title_of(model, prose.langs) if model is not None else d.model.name,
        "slug": model.id if model else d.model.name,
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
        "after": after, "after_ro": ro_particle(after) if after is not None else None,
        "footer": prose.footer(model.id if model is not None else "",
                               ", ".join(model.seeds) if model is not None else ""),
        "errata": errata_of(model, prose.langs) if model is not None else [],
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


# The gallery: which documents each catalog model gets in output/<id>/: (format, language, file name).
# Every document comes with its figure files: the Markdown post's SVGs, the LaTeX article's plot PDFs
# (matplotlib, written without dates, so they are byte-stable like the SVGs).
GALLERY = (("md", "both", "README.md"), ("html", "both", None), ("tex", "en", None))


def render_all(out_dir, templates=None):
    """Render every catalog model into ``out_dir/<id>/`` and write the index pages; returns the paths."""
    from .catalog import models

    out_dir = Path(out_dir)
    written, entries = [], []
    for model in models():
        folder = out_dir / model.id
        docs = {}
        for fmt, lang, name in GALLERY:
            doc = build(model.id, fmt, lang, templates)
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


# Jupyter shows a Derivation with these (derivation.py never imports the renderers).
JUPYTER_VIEWS["markdown"] = lambda d: render_md(d, inline_figures=True).text
JUPYTER_VIEWS["latex"] = summary_latex
