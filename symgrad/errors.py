"""Every failure a user can cause is a :class:`SymgradError`.

The CLI prints ``str(error)`` on one line and exits with ``error.exit_code``
(2 for bad input). Messages name what was wrong and where: the offending
text and its column for parse errors, the name for missing values.
"""

import unicodedata


class SymgradError(Exception):
    """Base class of all user-facing errors."""

    exit_code = 2


class ParseError(SymgradError):
    """The text is not in symgrad's expression/program language."""

    def __init__(self, message, text=None, line=None, col=None):
        self.text, self.line, self.col = text, line, col
        where = []
        if line is not None:
            where.append(f"line {line}")
        if col is not None:
            where.append(f"column {col}")
        snippet = f" in {quote(text)}" if text is not None else ""
        at = f" ({', '.join(where)})" if where else ""
        super().__init__(f"{message}{snippet}{at}")


class LimitError(ParseError):
    """The input is larger, deeper or more expensive than symgrad accepts."""


class InputError(SymgradError):
    """A bad point, an unknown name, a malformed option value."""


class DomainError(SymgradError):
    """A value is outside a function's domain at the requested point."""


class OutputError(SymgradError):
    """An output file or folder cannot be written (nothing already there is lost)."""


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# Control, format (bidi, zero-width), line/paragraph separator, surrogate, private and unassigned
# characters: echoed raw they can clear a terminal, hide text or reorder it.
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


def _visible(ch):
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if unicodedata.category(ch) not in _INVISIBLE:
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text):
    """``text`` with every control or invisible character escaped (\\x1b, \\u2028)."""
    return "".join(_visible(ch) for ch in str(text))


def quote(text, limit=60):
    """Quote user text for an error message: invisible characters escaped, at most ``limit``
    characters shown (a longer text ends in '…')."""
    text = str(text)
    pieces, used = [], 0
    for ch in text[: limit + 1]:
        piece = _visible(ch)
        pieces.append(piece)
        used += len(piece)
    if used > limit:
        while pieces and used > limit - 1:
            used -= len(pieces.pop())
        pieces.append("…")
    return f"'{''.join(pieces)}'"
