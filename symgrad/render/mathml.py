"""Markdown with ``$…$``/``$$…$$`` math → HTML with MathML: no script, nothing fetched."""

import re

_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)
# A fenced code block, closed only by a fence of its own length (a program can hold ```).
_FENCE = re.compile(r"^(`{3,}).*?^\1[ \t]*$", re.S | re.M)


def protect_math(markdown):
    """Replace $$…$$ and $…$ by placeholders before Markdown runs (code blocks are left alone)."""
    maths, out = [], []

    def keep(match):
        display = match.group(1) is not None
        maths.append((display, (match.group(1) if display else match.group(2)).strip()))
        return f"SYMGRADMATH{len(maths) - 1:04d}X"
    end = 0
    for fence in _FENCE.finditer(markdown):
        out += [_MATH.sub(keep, markdown[end:fence.start()]), fence.group(0)]
        end = fence.end()
    out.append(_MATH.sub(keep, markdown[end:]))
    return "".join(out), maths


_CLOSERS = ("&#x00029;", "&#x0005D;", "&#x0007D;", ")", "]", "}")
_MINUS_NUMBER = re.compile(r"(<mo([^>]*)>([^<]*)</mo>|<mrow>|<mtd[^>]*>|<math[^>]*>)"
                           r"<mo>&#x02212;</mo><mn>([^<]*)</mn>")


def _signed(m):
    """A minus that starts a number after an opening bracket, an operator or the start of a row is
    the number's sign: ``<mn>−0.53</mn>``, not a binary ``−`` with its spaces ("( − 0.53)")."""
    before, attrs, op = m.group(1), m.group(2) or "", m.group(3) or ""
    if before.startswith("<mo") and (op in _CLOSERS or 'form="postfix"' in attrs):
        return m.group(0)               # after ")" it is a subtraction
    return f"{before}<mn>&#x02212;{m.group(4)}</mn>"


_TALL = ("mfrac", "munder", "mover", "munderover", "mtable", "msqrt", "mroot")
_FENCE_OPEN = re.compile(r'<mo stretchy="true" fence="true" form="prefix">')


def _flat_fences(mathml):
    """``\\left( … \\right)`` around content no taller than a line, drawn as plain brackets:
    Chromium draws a stretchy bracket with the padding of its stretched glyph ("σ ( wx )"), where
    a reader expects σ(wx). Fences around a fraction, a sum or a matrix keep stretching."""
    out, i = [], 0
    for m in _FENCE_OPEN.finditer(mathml):
        if m.start() < i:
            continue                    # inside a fence already rewritten
        depth, j = 0, m.start()
        for tag in re.finditer(r'<mo stretchy="true" fence="true" form="(prefix|postfix)">',
                               mathml[m.start():]):
            if tag.group(1) == "prefix":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    j = m.start() + tag.start()
                    break
        else:
            continue
        inner = mathml[m.end():j]
        if any(f"<{t}" in inner for t in _TALL):
            continue
        close_end = mathml.index("</mo>", j) + len("</mo>")
        fence = mathml[m.start():close_end].replace('stretchy="true" fence="true"',
                                                    'stretchy="false" fence="true"')
        out += [mathml[i:m.start()], fence]
        i = close_end
    return "".join(out) + mathml[i:]


def tidy_mathml(mathml):
    """latex2mathml's MathML as a reader expects it: negative numbers signed, and
    ``\\left( … \\right)`` without the operator spacing and glyph padding MathML gives fences."""
    mathml = _flat_fences(_MINUS_NUMBER.sub(_signed, mathml))
    return re.sub(r'<mo stretchy="(true|false)" fence="true" form="(prefix|postfix)">',
                  r'<mo stretchy="\1" fence="true" form="\2" lspace="0em" rspace="0em">', mathml)


def restore_math(html, maths):
    """Put the math back as MathML."""
    # Lazy on purpose: only the HTML format needs latex2mathml (it takes a while to import).
    from latex2mathml.converter import convert

    def put(match):
        display, latex = maths[int(match.group(1))]
        # latex2mathml knows align* (and not aligned): the same alignment table
        latex = latex.replace(r"\begin{aligned}", r"\begin{align*}")
        latex = latex.replace(r"\end{aligned}", r"\end{align*}")
        return tidy_mathml(convert(latex, display="block" if display else "inline"))
    html = re.sub(r"<p>SYMGRADMATH(\d{4})X</p>",
                  lambda m: '<div class="math-display">' + put(m) + "</div>", html)
    return re.sub(r"SYMGRADMATH(\d{4})X", put, html)



def markdown_to_html(markdown):
    """Markdown with $…$/$$…$$ → HTML with MathML (no script)."""
    body, maths = protect_math(markdown)
    return restore_math(commonmark_html(body), maths)


def commonmark_html(markdown):
    """CommonMark with tables → HTML; raw HTML in the Markdown is escaped, not passed through."""
    # Lazy on purpose: only the HTML format and the gallery index need markdown-it.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)

