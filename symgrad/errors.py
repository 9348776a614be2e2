"""Every failure a user can cause is a :class:`SymgradError`.

The CLI prints ``str(error)`` on one line and exits with ``error.exit_code``
(2 for bad input). Messages name what was wrong and where: the offending
text and its column for parse errors, the name for missing values.
"""


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


def quote(text, limit=60):
    """Quote user text for an error message, shortened to ``limit`` chars."""
    text = str(text).replace("\n", "\\n")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"
