"""Program text before ``ast`` sees it: normalising, character checks, and hints for syntax errors.

``parse.py`` hands the text to Python's own parser, which was made for Python
programmers. A newcomer's habits (a BOM from a Windows editor, an indented line,
``x^2``, ``2x``, ``lambda`` as a name, a ``−`` pasted from a document) would get
Python's messages, or worse, Python's silent folding of look-alike letters. This
module turns the text into what ``ast`` should see and, when ``ast`` refuses it,
finds the habit behind the refusal and names the fix.

Columns: every message counts columns in the text the user typed. Leading
whitespace is removed before ``ast`` sees a line, so :class:`Source` keeps how
much was removed from each line and :meth:`Source.col` adds it back.
"""

import difflib
import itertools
import keyword
import re
import unicodedata
from dataclasses import dataclass

from .errors import LimitError, ParseError, printable, quote

# Characters pasted from documents and what to write instead (outside comments).
OPERATOR_HINTS = {
    "×": "use * for multiplication", "·": "use * for multiplication",
    "⋅": "use * for multiplication", "∗": "use * for multiplication",
    "÷": "use / for division", "∕": "use / for division",
    "²": "use ** for powers (x**2)", "³": "use ** for powers (x**3)",
    "√": "use sqrt(x)", "–": "use - for minus", "—": "use - for minus",
    "‘": "quotes are not allowed", "’": "quotes are not allowed",
    "“": "quotes are not allowed", "”": "quotes are not allowed",
    "≤": "comparisons are not allowed", "≥": "comparisons are not allowed",
    "≠": "comparisons are not allowed", "∑": "write the sum out with +",
}

# What to call a variable whose natural name is a Python keyword.
KEYWORD_NAMES = {
    "lambda": "lam", "in": "inp", "is": "is_", "class": "cls", "def": "def_", "for": "for_",
    "if": "if_", "else": "else_", "elif": "elif_", "not": "not_", "and": "and_", "or": "or_",
    "yield": "yld", "pass": "pass_", "None": "none", "True": "true", "False": "false",
    "return": "ret", "import": "imp", "from": "frm", "as": "as_", "with": "with_",
    "while": "while_", "try": "try_", "except": "exc", "finally": "fin", "raise": "raise_",
    "del": "dlt", "global": "glob", "nonlocal": "nonloc", "assert": "assert_",
    "break": "brk", "continue": "cont", "async": "async_", "await": "await_",
}

# A keyword stands where a name would if an operand could stand there: after nothing or an
# operator, and before nothing or an operator.
_BEFORE_OPERAND = {None, "+", "-", "*", "/", "**", "(", ",", "=", "[", "%", "@", "^"}
_AFTER_OPERAND = {None, "+", "-", "*", "/", "**", ")", ",", "=", "]", "%", "@", "^"}
_OPERATORS_AT_END = {"+", "-", "*", "/", "**", "=", ",", "%", "@", "^"}

_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*(?:[eE][+-]?\d+)?|\*\*|//|\S")
_NUMBER_THEN_NAME = re.compile(
    r"(?<![\w.])(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)(?![eE][+-]?\d)([A-Za-z_]\w*)")


@dataclass
class Source:
    """The text ``ast`` parses (``code``), the user's text (``text``) and how columns map."""

    text: str          # the user's text, BOM removed and line endings made "\n"
    code: str          # what ast parses: leading whitespace removed, U+2212 made '-'
    indents: list      # characters removed from the start of each line

    @property
    def lines(self):
        return self.code.split("\n")

    def col(self, line, col):
        """The user's column of column ``col`` (1-based) of line ``line`` of ``code``."""
        if line is None or col is None or not 1 <= line <= len(self.indents):
            return col
        return col + self.indents[line - 1]


def normalise(text):
    """The :class:`Source` of ``text``; refuses characters a program may not contain."""
    text = text.removeprefix("\ufeff")                 # the BOM some editors write
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    code_lines, indents = [], []
    for lineno, line in enumerate(text.split("\n"), 1):
        # Leading whitespace carries no meaning in symgrad's language (there are no blocks);
        # inside brackets Python ignores it anyway.
        stripped = line.lstrip(" \t")
        indent = len(line) - len(stripped)
        code_lines.append(_check_line(stripped, lineno, indent))
        indents.append(indent)
    return Source(text, "\n".join(code_lines), indents)


def _check_line(line, lineno, indent):
    """``line`` with pasted spaces and minus signs made ASCII; refuses what is not allowed."""
    out = []
    quote_char = None                                  # inside '...' or "..." on this line
    in_comment = False
    for i, ch in enumerate(line):
        col = i + 1 + indent
        category = unicodedata.category(ch)
        if ch != "\t" and category in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co"):
            # Refused even in comments: control and bidi characters can hide or reorder text
            raise ParseError(f"invisible or control character U+{ord(ch):04X} is not allowed",
                             line, lineno, col)
        if in_comment or ch.isascii():
            if ch == "#" and quote_char is None:
                in_comment = True
            elif ch in "'\"" and not in_comment:
                quote_char = None if quote_char == ch else (quote_char or ch)
            out.append(ch)
            continue
        if quote_char is not None:                     # strings are refused later, as strings
            out.append(ch)
        elif ch == "\u2212":
            out.append("-")                            # U+2212 MINUS SIGN, pasted from documents
        elif category == "Zs":
            out.append(" ")                            # a no-break space, pasted from documents
        elif ch in OPERATOR_HINTS:
            raise ParseError(f"{ch!r} is not allowed: {OPERATOR_HINTS[ch]}", line, lineno, col)
        elif category[0] in "LMN" or ("a" + ch).isidentifier():
            # Python would fold look-alikes by NFKC ('ｅｘｐ' is 'exp'); names are ASCII instead
            raise ParseError(f"{ch!r} (U+{ord(ch):04X}) is not allowed in names: use ASCII letters",
                             line, lineno, col)
        else:
            raise ParseError(f"the character {ch!r} (U+{ord(ch):04X}) is not allowed outside "
                             "comments", line, lineno, col)
    return "".join(out)


# --- hints for what ast.parse refused -------------------------------------------------------

def _code_part(line):
    """``line`` without its comment (strings are not tracked: they are refused anyway)."""
    return line.split("#", 1)[0]


def _tokens(line):
    return [(m.group(), m.start()) for m in _TOKEN.finditer(_code_part(line))]


def keyword_as_name(source):
    """A :class:`ParseError` for the first keyword standing where a name would, or None."""
    for lineno, line in enumerate(source.lines, 1):
        tokens = _tokens(line)
        for k, (tok, start) in enumerate(tokens):
            if not keyword.iskeyword(tok):
                continue
            before = tokens[k - 1][0] if k else None
            after = tokens[k + 1][0] if k + 1 < len(tokens) else None
            if before in _BEFORE_OPERAND and after in _AFTER_OPERAND:
                return ParseError(keyword_message(tok), line, lineno, source.col(lineno, start + 1))
    return None


def keyword_message(word):
    return (f"{quote(word)} is a Python keyword and cannot be a name; "
            f"use {quote(KEYWORD_NAMES.get(word, word + '_'))}")


def syntax_error(source, exc, functions):
    """The one-line error for ``SyntaxError`` ``exc`` of ``source.code``, with a hint if we can."""
    found = keyword_as_name(source)
    if found is not None:
        return found
    lines = source.lines
    lineno = exc.lineno if exc.lineno and exc.lineno <= len(lines) else None
    line = lines[lineno - 1] if lineno else source.code
    if "Exceeds the limit" in (exc.msg or ""):         # a literal of thousands of digits
        return LimitError("the number is too large for floating point (the largest is about "
                          "1.8e308)", None, lineno)
    hint = _habit(line, functions)
    if hint is not None and lineno is not None:
        message, col = hint
        return ParseError(f"syntax error: {message}", line, lineno, source.col(lineno, col))
    return ParseError(f"syntax error: {printable(exc.msg)}", line.strip() or source.code, lineno,
                      source.col(lineno, exc.offset))


def _habit(line, functions):
    """(message, column) for a habit from maths or NumPy on ``line``, or None."""
    code = _code_part(line)
    m = _NUMBER_THEN_NAME.search(code)
    if m:
        num, name = m.groups()
        message = f"a number cannot be followed directly by a name: write {quote(num + '*' + name)}"
        message += " for a product"
        return message, m.start() + 1
    tokens = _tokens(line)
    for (a, _), (b, start) in itertools.pairwise(tokens):
        if _is_operand(b) and (_is_operand(a) or a == ")"):
            if a in functions:
                return f"functions need brackets: write {quote(f'{a}({b})')}", start + 1
            product = quote(f"{a}*{b}")
            message = f"missing operator between {quote(a)} and {quote(b)}: write {product}"
            return message + " for a product", start + 1
    if "|" in code:
        return "use abs(x) for |x|; | is not allowed", code.index("|") + 1
    if tokens and tokens[-1][0] in _OPERATORS_AT_END:
        last, start = tokens[-1]
        what = "the assignment has no value" if last == "=" else "the expression is incomplete"
        return f"{what}: nothing follows {quote(last)}", start + 1
    return None


def _is_operand(token):
    return (token[0].isalnum() or token[0] == "_") and not keyword.iskeyword(token)


def unknown_function(name, functions, is_variable):
    """The message for a call of ``name``, which is not one of ``functions``."""
    aliases = {"ln": "log", "pow": None, "power": None, "max_": "max", "abs_": "abs"}
    known = ", ".join(sorted(functions))
    if name in ("pow", "power"):
        return f"unknown function {quote(name)}: use ** for powers (x**2)"
    close = ([aliases[name]] if aliases.get(name) else
             [f for f in functions if f.lower() == name.lower()]
             or difflib.get_close_matches(name, list(functions), n=1, cutoff=0.75))
    if close:
        return f"unknown function {quote(name)} (did you mean {quote(close[0])}?)"
    if is_variable or len(name) <= 2:
        return (f"unknown function {quote(name)}: to multiply, write {quote(name + '*(...)')} "
                f"(functions: {known})")
    return f"unknown function {quote(name)} (known: {known})"
