"""What a Jekyll post needs beyond the Markdown body: a dated file name, math delimiters that
kramdown hands to a stock MathJax 3, and a body that Liquid does not execute.

kramdown (Jekyll's Markdown converter) reads ``$$…$$`` as math and nothing else: standing alone
between blank lines it becomes display math ``\\[…\\]``, inside a line inline math ``\\(…\\)`` —
exactly the delimiters MathJax 3 looks for without any configuration. A single ``$…$`` is left as
text (and a stock MathJax ignores it), so every inline formula of a post is written ``$$…$$``.

Jekyll runs Liquid over a post before kramdown sees it, and symgrad's own LaTeX can contain
``{{`` (``\\frac{{0.3}^{x}}{y}``), as can a user's program comments (``{% … %}``): the whole body
is wrapped in ``{% raw %}…{% endraw %}``, and an ``endraw`` tag inside it is broken up.
"""

import datetime
import os
import re

from ..errors import InputError

# The gallery's posts (`symgrad render --all --format jekyll`) carry this date unless --date
# says otherwise, so that a rerun writes the same files.
GALLERY_DATE = "2024-01-01"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def post_date(date=None):
    """The post's date as ``YYYY-MM-DD``: ``date`` checked, else $SOURCE_DATE_EPOCH's day (the
    reproducible-builds convention), else today."""
    if date is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if epoch.isdigit():
            return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime(
                "%Y-%m-%d")
        return datetime.date.today().isoformat()
    text = str(date).strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date takes a day as YYYY-MM-DD, got {text[:40]!r}") from None
    return text


def post_name(slug, date):
    """The file name Jekyll publishes from ``_posts/``: ``YYYY-MM-DD-slug.md``."""
    return f"{date}-{slug}.md"


# One match per piece of the body that must keep its dollars: fenced code, inline code, raw HTML
# (the inline SVG figures), a display block (``$$`` alone on its lines), or an inline formula.
_PIECES = re.compile(
    r"(?P<fence>^(?P<ticks>`{3,}).*?^(?P=ticks)[ \t]*$)"
    r"|(?P<code>`[^`\n]+`)"
    r"|(?P<html><(?P<tag>svg|figure)\b.*?</(?P=tag)>)"
    r"|(?P<display>^\$\$[ \t]*\n.*?\n\$\$[ \t]*$)"
    r"|(?P<inline>\$(?P<math>[^$\n]+?)\$)",
    re.S | re.M)


def kramdown_math(markdown):
    """GitHub Markdown's ``$…$`` inline math written ``$$…$$``, which kramdown makes ``\\(…\\)``;
    display blocks, code and inline HTML are left as they are."""
    def convert(m):
        if m.group("inline") is None:
            return m.group(0)
        return "$$" + m.group("math") + "$$"
    return _PIECES.sub(convert, markdown)


_ENDRAW = re.compile(r"\{%(?=-?\s*endraw\b)")


def liquid_raw(text):
    """``text`` inside ``{% raw %}…{% endraw %}``: Liquid passes it through untouched. An
    ``{% endraw %}`` inside the text (a user's comment) would close the block early, so its ``{%``
    is printed by a Liquid string instead."""
    if not text:
        return text
    body = _ENDRAW.sub('{% endraw %}{{ "{%" }}{% raw %}', text)
    return "{% raw %}\n" + body.rstrip("\n") + "\n{% endraw %}\n"
