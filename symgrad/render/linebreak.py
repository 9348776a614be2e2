"""Long display equations broken into the rows of an ``aligned`` block, by estimated font widths."""

import re
from dataclasses import dataclass

# Display math has no automatic line breaking (not in LaTeX's amsmath, not in MathML), so a long
# right-hand side is broken here, at the operators of its outermost level, into the rows of an
# ``aligned`` block. Widths are estimates in em of the body font, from the glyph widths of Computer
# Modern; ROW_EM leaves a margin below the article's text width (about 44.6 em at 11pt) and suits
# the HTML page and GitHub's column too.
ROW_EM = 38.0
QUAD_EM = 1.0

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.S)
_ONE_ARG = {"mathrm", "operatorname", "text", "mathbb", "mathbf", "mathit", "mathsf", "mathcal",
            "boldsymbol", "hat", "bar", "tilde", "vec", "dot", "ddot", "overline", "underline",
            "textbf", "textit", "texttt"}
_TEXTUAL = {"mathrm", "operatorname", "text", "textbf", "textit", "texttt", "mathsf"}
_BINARY = {"+", "-", r"\cdot", r"\times", r"\pm", r"\mp", r"\div", r"\odot", r"\circ"}
_RELATION = {"=", "<", ">", r"\leq", r"\geq", r"\neq", r"\approx", r"\leftarrow", r"\to",
             r"\rightarrow", r"\equiv", r"\le", r"\ge", r"\mapsto", r"\sim"}
_WIDE = {r"\cdot": 0.28, r"\times": 0.78, r"\pm": 0.78, r"\div": 0.78, r"\odot": 0.78,
         r"\leftarrow": 1.0, r"\to": 1.0, r"\rightarrow": 1.0, r"\mapsto": 1.0, r"\infty": 1.0,
         r"\partial": 0.57, r"\sum": 1.44, r"\prod": 1.3, r"\vert": 0.28, r"\Vert": 0.5,
         r"\top": 0.78, r"\quad": 1.0, r"\qquad": 2.0, r"\,": 0.17, r"\;": 0.28, r"\:": 0.22,
         r"\!": -0.17, r"\ ": 0.33, r"\{": 0.5, r"\}": 0.5, r"\_": 0.5, r"\%": 0.83, r"\&": 0.78,
         r"\#": 0.83, r"\ldots": 1.2, r"\cdots": 1.2}
_FUNCTIONS = {"log", "ln", "exp", "sin", "cos", "tan", "tanh", "sinh", "cosh", "max", "min", "sign",
              "arg"}
_CHAR_EM = {"(": 0.39, ")": 0.39, "[": 0.28, "]": 0.28, ",": 0.28, ".": 0.28, ";": 0.28, ":": 0.28,
            "!": 0.28, "'": 0.28, "|": 0.28, "/": 0.5, "+": 0.78, "-": 0.78, "=": 0.78, "<": 0.78,
            ">": 0.78, "1": 0.5, "m": 0.88, "w": 0.72, "W": 1.0, "M": 0.97, "i": 0.35, "j": 0.41,
            "l": 0.3, "f": 0.49, "t": 0.36}


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
    """``latex`` cut before operators of its outermost level into pieces of at most ``first`` em
    (the first piece) and ``rest`` em (the others), preferring breaks outside brackets, then before
    + and − (between terms) rather than before · (inside a product). Breaks inside
    ``\\left…\\right`` are closed with ``\\right.`` and reopened with ``\\left.``. A single piece
    if it fits."""
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
            rank = 0 if a.kind == "rel" else 1 if a.op in ("+", "-") else 2
            candidates[i] = (depth + parens, rank)
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
    # width of atoms[i:] for every i, summed once: re-summing the rest at each row would make a
    # 10,000-factor chain-rule product quadratic
    rest_width = [0.0] * (len(atoms) + 1)
    for i in range(len(atoms) - 1, -1, -1):
        rest_width[i] = rest_width[i + 1] + atoms[i].width
    while rest_width[start] > limit:
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
    """The rows of an ``aligned`` block for ``[(lhs, relation, rhs)]``: ``lhs &= rhs``, a long
    right-hand side continued on indented rows (``&\\quad …``). An empty lhs continues the
    equation above."""
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
    """``lhs = rhs`` for a display block; an ``aligned`` block of several rows when it is too
    wide."""
    rows = aligned_rows([(lhs, rel, rhs)], width)
    if len(rows) == 1:
        return f"{lhs} {rel} {rhs}"
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
