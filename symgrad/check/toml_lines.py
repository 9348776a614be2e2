"""Where things are in a TOML text: the line of every header and key, and each value's raw text.

``tomllib`` parses the file but reports no positions, so the claims reader scans the text once
more with the small tokenizer below. It only has to find statements at the top nesting level;
it skips strings (a ``[[claim]]`` inside a program string is not a header) and comments.
"""
import re
from dataclasses import dataclass, field

_KEYPART = r"(?:[A-Za-z0-9_-]+|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*')"
_KEY = re.compile(rf"[ \t]*({_KEYPART}(?:[ \t]*\.[ \t]*{_KEYPART})*)[ \t]*=")
_HEADER = re.compile(r"[ \t]*(\[\[?)(.*?)\]\]?[ \t]*(?:#.*)?\Z")


def key_parts(text):
    """``a."b c".d`` -> ("a", "b c", "d"): the parts of a dotted key, quotes removed."""
    parts = re.findall(_KEYPART, text)
    return tuple(p[1:-1] if p[0] in "\"'" else p for p in parts)


@dataclass
class Layout:
    """Where things are in the TOML text. A table is () for the top level, ("at",), or
    ("claim", i) for the i-th [[claim]] header (0-based)."""
    claim_lines: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)    # table -> line of its header
    keys: dict = field(default_factory=dict)       # (table, key) -> line
    raw: dict = field(default_factory=dict)        # (table, key) -> the value's text as written


def _enter_table(lay, header, line):
    """Record a ``[table]`` or ``[[array]]`` header; returns the table the next keys belong to."""
    parts = key_parts(header.group(2))
    if header.group(1) == "[[" and parts == ("claim",):
        table = ("claim", len(lay.claim_lines))
        lay.claim_lines.append(line)
    else:
        table = ("[[",) + parts if header.group(1) == "[[" else parts
    lay.headers[table] = line
    return table


def _multiline_string_end(text, i):
    """The index just past the multi-line string opening at i (\"\"\" or ''')."""
    n = len(text)
    q, j = text[i:i + 3], i + 3
    while True:
        k = text.find(q, j)
        if k < 0:
            k = n
            break
        b = 0
        while q == '"""' and k - b - 1 >= j and text[k - b - 1] == "\\":
            b += 1
        if b % 2:                  # an escaped quote: the string goes on
            j = k + 1
            continue
        break
    end = min(k + 3, n)
    # Trap: TOML lets a multi-line string end with up to two more quotes (""""" closes on the
    # last three), so the closing run is up to five characters long.
    while end < n and text[end] == q[0] and end - k < 5:
        end += 1
    return end


def _basic_string_end(text, i):
    """The index just past the one-line "..." string opening at i (backslash escapes skipped)."""
    n, j = len(text), i + 1
    while j < n and text[j] not in '"\n':
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _literal_string_end(text, i):
    """The index just past the one-line '...' string opening at i (no escapes in TOML)."""
    n, j = len(text), i + 1
    while j < n and text[j] not in "'\n":
        j += 1
    return j + 1


def scan(text):
    """Lines of headers and keys, and each value's raw text, of the TOML ``text``."""
    lay, n, i, line, depth = Layout(), len(text), 0, 1, 0
    table, pending, statement = (), None, True     # pending: (table, key, start of its value)

    def finish(end):
        lay.raw[pending[:2]] = text[pending[2]:end].strip()

    while i < n:
        if statement:
            statement = False
            if depth == 0:
                eol = text.find("\n", i)
                eol = n if eol < 0 else eol
                seg = text[i:eol].rstrip("\r")
                m = _HEADER.match(seg)
                if m and seg.lstrip().startswith("["):
                    table = _enter_table(lay, m, line)
                    i = eol
                    continue
                m = _KEY.match(seg)
                if m:
                    parts = key_parts(m.group(1))
                    tbl = table + parts[:-1]
                    lay.keys.setdefault((tbl, parts[-1]), line)
                    pending = (tbl, parts[-1], i + m.end())
                    i += m.end()
                    continue
        c = text[i]
        if c == "\n":
            if depth == 0:
                if pending:
                    finish(i)
                    pending = None
                statement = True
            line += 1
            i += 1
        elif c == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            if depth == 0 and pending:
                finish(i)
                pending = None
            i = j
        elif text.startswith('"""', i) or text.startswith("'''", i):
            end = _multiline_string_end(text, i)
            line += text.count("\n", i, end)
            i = end
        elif c == '"':
            i = _basic_string_end(text, i)
        elif c == "'":
            i = _literal_string_end(text, i)
        else:
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
            i += 1
    if pending:
        finish(n)
    return lay
