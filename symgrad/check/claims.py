"""Reading a claims file: the TOML parsed, every field of every claim validated, into plain data.

Nothing is derived here: a malformed file fails on one line naming the line of the bad key
(positions come from :mod:`.toml_lines`), before the first derivation starts.
"""
import difflib
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

import os
import stat

import numpy as np

from ..errors import InputError, printable, quote
from ..target import MAX_FILE_BYTES
from .toml_lines import scan

TARGET_KEYS = ("program", "model", "expression")
FILE_KEYS = {"title", "output", "at", "claim", *TARGET_KEYS}
# A student's backward table: `upstream = "g"` is ∂output/∂g, `local = ["g", "a"]` is ∂g/∂a of
# gate g alone, `downstream = ["g", "a"]` is upstream × local, the part of ∂output/∂a through g.
TABLE_KEYS = ("local", "upstream", "downstream")
CLAIM_KEYS = {"value", "gradient", "after_steps", "lr", "params", "equals", "tol", "note",
              *TABLE_KEYS}
MAX_STEPS = 1000          # after_steps is refused above this (each step is a full derivation)
MAX_DIMS = 4              # an array in [at] or `equals` has at most this many dimensions
# A decimal number as TOML writes one (also accepted inside quotes: equals = "0.237400").
NUMBER = re.compile(r"[+-]?\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?")


def tolerance_of(literal):
    """Half a unit in the last printed digit: '0.612248' -> 5e-7, '3' -> 0.5, '1e-3' -> 5e-4."""
    literal = literal.strip().replace("_", "").lstrip("+-")
    mant, _, exp = literal.lower().partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    exponent = int(exp) if exp else 0
    if abs(exponent) > 100_000:          # far outside floats; Decimal would still cope, int() too
        return math.inf if exponent > 0 else 0.0
    return float(Decimal(5).scaleb(exponent - decimals - 1))


@dataclass
class Claim:
    """One validated claim. Names are as written until the model resolves them to nodes."""
    number: int
    line: int
    kind: str                 # "value" | "gradient" | "after_steps" | "local" | "downstream"
    where: str                # "FILE, line N (claim i)" for messages
    equals: object            # a float, or an ndarray for a claim about an array
    tol: object               # a float, or an ndarray of per-entry tolerances (array claims)
    note: str = ""
    value: str = None         # node names, once resolved against the graph
    of: str = None
    wrt: str = None
    steps: int = 0
    lr: float = 0.0
    params: tuple = ()
    label: str = ""           # the quantity as shown in the report
    label_ko: str = ""        # the same in Korean, where it has words ("1번 갱신한 뒤의 w9")
    key: str = "gradient"     # the key naming a gradient's nodes (for messages)
    decimals: int = None      # decimals of `equals` as written (None: not located)
    fields: object = field(default=None, repr=False)

    def at(self, key):
        """Where the claim's ``key`` is, for messages."""
        return self.fields.where(key) if self.fields else self.where

    @property
    def is_array(self):
        return isinstance(self.equals, np.ndarray)


@dataclass
class ClaimsFile:
    """A parsed and validated claims file; nothing derived yet."""
    path: object
    data: dict                # the TOML as parsed
    at: dict                  # the [at] point: name -> float, or ndarray for an array value
    claims: list              # of Claim, in file order
    layout: object            # toml_lines.Layout: lines of headers and keys

    @property
    def title(self):
        return self.data.get("title", str(self.path))


def unknown_name_hint(name, known):
    """How a message about an unknown node name ends: the closest known name, or the first few."""
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"names: {', '.join(known[:12])}" + (", …" if len(known) > 12 else "")


def show(raw, value):
    """A bad value for a message: as written in the file when known."""
    # json.dumps here only spells a TOML value inside a message (it is not JSON output), so it keeps
    # the permissive defaults: a file's `params = [nan]` is shown as [NaN], not refused.
    if raw is not None:
        text = raw
    else:
        try:
            text = repr(value) if isinstance(value, float) else json.dumps(value, default=str)
        except (RecursionError, ValueError):
            text = "[…]"
    text = " ".join(str(text)[:200].split())
    return quote(text)[1:-1]          # control characters escaped, at most 60 characters


def as_number(value):
    """A TOML number, or a string holding a decimal number; None otherwise. Never evaluates."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            return math.inf
    if isinstance(value, str) and NUMBER.fullmatch(value.strip()):
        return float(value.strip().replace("_", ""))
    return None


class Fields:
    """Typed access to one table of the file, with one-line errors naming the key's line."""

    def __init__(self, path, lay, table, data, line, label):
        self.path, self.lay, self.table, self.data = path, lay, table, data
        self.line, self.label = line, label

    def where(self, key=None):
        line = self.lay.keys.get((self.table, key), self.line) if key else self.line
        at = f", line {line}" if line else ""
        return f"{self.path}{at}{f' ({self.label})' if self.label else ''}"

    def fail(self, key, message):
        raise InputError(f"{self.where(key)}: {message}")

    def raw(self, key):
        return self.lay.raw.get((self.table, key))

    def number(self, key, *, minimum=None):
        value = self.data[key]
        x = as_number(value)
        if x is None:
            self.fail(key, f"{key!r} must be a number, got {show(self.raw(key), value)}")
        if not math.isfinite(x):
            self.fail(key, f"{key!r} must be a finite number, got {show(self.raw(key), value)}")
        if minimum is not None and x < minimum:
            self.fail(key, f"{key!r} must be at least {minimum:g}, "
                           f"got {show(self.raw(key), value)}")
        return x

    def number_or_array(self, key):
        """A number, or a rectangular array of numbers (TOML arrays of arrays) as a float
        ndarray."""
        if not isinstance(self.data[key], list):
            return self.number(key)
        value = self.data[key]
        entries, shape = [], _array_shape(self, key, value, ())
        _flatten(value, entries)
        numbers = []
        for index, entry in zip(np.ndindex(*shape), entries, strict=True):
            x = as_number(entry)
            if x is None or not math.isfinite(x):
                what = "a number" if x is None else "a finite number"
                self.fail(key, f"{key!r}{list(index)} must be {what}, got {show(None, entry)}")
            numbers.append(x)
        return np.array(numbers, dtype=float).reshape(shape)

    def name(self, key, value=None, what=None):
        value = self.data[key] if value is None else value
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"{what or repr(key)} must be a node name in quotes, got "
                           f"{show(self.raw(key) if what is None else None, value)}")
        return value.strip()


MAX_NESTING = 50          # arrays and tables nested deeper than this are refused


def _array_shape(fields, key, value, at):
    """The shape of a rectangular nested list, or a one-line error naming the ragged row."""
    if not isinstance(value, list):
        return ()
    if len(at) >= MAX_DIMS:
        fields.fail(key, f"{key!r}: arrays have at most {MAX_DIMS} dimensions")
    if not value:
        fields.fail(key, f"{key!r}{list(at) if at else ''}: an empty list has no entries")
    inner = [_array_shape(fields, key, item, (*at, i)) for i, item in enumerate(value)]
    for i, s in enumerate(inner):
        if s != inner[0]:
            fields.fail(key, f"{key!r} is not rectangular: its row {list((*at, 0))} has shape "
                             f"{inner[0]} but row {list((*at, i))} has shape {s}")
    return (len(value), *inner[0])


def _flatten(value, out):
    if isinstance(value, list):
        for item in value:
            _flatten(item, out)
    else:
        out.append(value)


def read_bounded(path, what="file"):
    """A regular UTF-8 file of at most MAX_FILE_BYTES (never /dev/zero, a FIFO or a folder)."""
    where = printable(os.fspath(path))
    try:
        with open(path, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputError(f"{where}: not a regular file")
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{where}: {exc.strerror or 'cannot read the ' + what}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{where}: the {what} is too large "
                         f"(the limit is {MAX_FILE_BYTES:,} bytes)")
    try:
        # utf-8-sig: a byte-order mark (Windows Notepad writes one) is dropped; TOML has no
        # place for it, and tomllib called it an "invalid statement" at line 1
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{where}: not a UTF-8 text file") from None


def _too_deep(text):
    """Whether brackets nest deeper than MAX_NESTING outside strings (tomllib would recurse)."""
    depth = 0
    for ch in re.sub(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*', "", text):
        if ch in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif ch in "]}":
            depth = max(0, depth - 1)
    return False


def _read(path):
    text = read_bounded(path, "claims file")
    where = printable(os.fspath(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: malformed TOML: {printable(exc)}") from None
    except RecursionError:
        data = None
    if data is None or _too_deep(text):
        raise InputError(f"{where}: arrays or tables nested more than {MAX_NESTING} deep")
    return data, text


def _unknown_key(fields, key, known, what):
    close = difflib.get_close_matches(key, sorted(known), n=1) if len(key) < 100 else []
    hint = f"did you mean {close[0]!r}?" if close else f"{what} keys: {', '.join(sorted(known))}"
    fields.fail(key, f"unknown key {quote(key)} ({hint})")


def validate_claim(path, lay, i, c, line):
    """Every field of claim i (1-based), checked before anything is derived."""
    table = ("claim", i - 1) if len(lay.claim_lines) >= i else ("?",)
    f = Fields(path, lay, table, c if isinstance(c, dict) else {}, line, f"claim {i}")
    if not isinstance(c, dict):
        f.fail(None, "a claim must be a table of keys (value, gradient, equals, ...), "
                     f"got {show(None, c)}")
    for key in c:
        if key not in CLAIM_KEYS:
            _unknown_key(f, key, CLAIM_KEYS, "claim")
    if "equals" not in c:
        f.fail(None, "missing key 'equals' (the number the post claims)")
    equals = f.number_or_array("equals")
    if "tol" in c:
        tol = f.number("tol", minimum=0)
    elif isinstance(equals, np.ndarray):
        tol = _entry_tolerances(f.raw("equals"), c["equals"], equals.shape)
    else:
        tol = tolerance_of(_literal(f.raw("equals"), c["equals"]))
    note = c.get("note", "")
    if not isinstance(note, str):
        f.fail("note", f"'note' must be a string in quotes, got {show(f.raw('note'), note)}")
    claim = Claim(i, line, "value", f.where(), equals, tol, note.strip(), fields=f)
    if not isinstance(equals, np.ndarray):
        claim.decimals = _decimals(_literal(f.raw("equals"), c["equals"]))
    if "after_steps" in c:
        return _after_steps_claim(f, c, claim)
    return _value_or_gradient_claim(f, c, claim)


def _after_steps_claim(f, c, claim):
    """The fields of a claim about a value after SGD steps: after_steps, lr, params, value."""
    claim.kind = "after_steps"
    steps = c["after_steps"]
    k = as_number(steps) if not isinstance(steps, str) else None
    shown = show(f.raw("after_steps"), steps)
    if k is None or not math.isfinite(k) or k != int(k) or k < 1:
        f.fail("after_steps", f"'after_steps' must be a whole number ≥ 1, got {shown}")
    if k > MAX_STEPS:
        f.fail("after_steps", f"'after_steps' is at most {MAX_STEPS}, got {shown}")
    claim.steps = int(k)
    for key in ("lr", "params", "value"):
        if key not in c:
            example = {"lr": "lr = 0.1", "params": 'params = ["w"]', "value": 'value = "w"'}[key]
            f.fail(None, f"an after_steps claim needs {key!r} (e.g. {example})")
    if "gradient" in c:
        f.fail("gradient", "an after_steps claim takes 'value' (a parameter or any node), "
                           "not 'gradient'")
    claim.lr = f.number("lr")
    if claim.lr <= 0:      # as `train --lr`: a step against the gradient needs a positive rate
        f.fail("lr", f"'lr' must be a positive number, got {show(f.raw('lr'), c['lr'])}")
    params = c["params"]
    if not isinstance(params, list) or not params:
        f.fail("params", f"'params' must be a list of parameter names such as [\"w9\"], "
                         f"got {show(f.raw('params'), params)}")
    claim.params = tuple(f.name("params", p, "each of 'params'") for p in params)
    dup = [p for p in claim.params if claim.params.count(p) > 1]
    if dup:
        f.fail("params", f"'params' names {dup[0]!r} twice")
    claim.value = f.name("value")
    return claim


def _value_or_gradient_claim(f, c, claim):
    """The fields of a claim about a value or a gradient at the file's point."""
    for key in ("lr", "params"):
        if key in c:
            f.fail(key, f"{key!r} only applies to after_steps claims")
    kinds = [k for k in ("value", "gradient", *TABLE_KEYS) if k in c]
    if len(kinds) != 1:
        f.fail(None, "a claim needs exactly one of 'value', 'gradient' or 'after_steps' (or a "
                     "step of a backward table: 'upstream', 'local' or 'downstream')"
               if not kinds else f"a claim takes {' or '.join(repr(k) for k in kinds)}, "
                                 f"not {'both' if len(kinds) == 2 else 'several'}")
    if kinds == ["value"]:
        claim.value = f.name("value")
        return claim
    if kinds[0] in TABLE_KEYS:
        return _table_claim(f, c, claim, kinds[0])
    claim.kind = "gradient"
    g = c["gradient"]
    if isinstance(g, str):
        claim.wrt = f.name("gradient")
    elif isinstance(g, list) and len(g) == 2:
        claim.of, claim.wrt = (f.name("gradient", x, "each name in 'gradient'") for x in g)
    else:
        f.fail("gradient", "'gradient' must be a name (d output / d name) "
                           "or a pair [\"of\", \"wrt\"], "
                           f"got {show(f.raw('gradient'), g)}")
    return claim


def _table_claim(f, c, claim, key):
    """A step of a backward table: the upstream gradient of a gate, or a local or downstream
    gradient of one of its edges."""
    claim.key, g = key, c[key]
    if key == "upstream":
        claim.kind, claim.wrt = "gradient", f.name(key)
        return claim
    if not (isinstance(g, list) and len(g) == 2):
        f.fail(key, f"{key!r} must be a pair [\"gate\", \"input\"] (an edge of the graph), "
                    f"got {show(f.raw(key), g)}")
    claim.kind = key
    claim.of, claim.wrt = (f.name(key, x, f"each name in {key!r}") for x in g)
    return claim


def _decimals(literal):
    """Decimal places of a number as written ('0.2374' -> 4, '3' -> 0, '1.5e-3' -> 4)."""
    mant, _, exp = literal.strip().replace("_", "").lower().partition("e")
    places = len(mant.split(".")[1]) if "." in mant else 0
    try:
        return min(17, max(0, places - int(exp))) if exp else min(17, places)
    except ValueError:
        return None


def _literal(raw, value):
    """The printed digits of an `equals`: its text in the claim's own block when it can be located
    (unquoted, or a number in quotes), else the shortest repr of the number."""
    if raw is not None:
        text = raw.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            text = text[1:-1].strip()
        if NUMBER.fullmatch(text):
            return text
    if isinstance(value, str) and NUMBER.fullmatch(value.strip()):
        return value.strip()
    return repr(value) if isinstance(value, (int, float)) else repr(float(value))


def _entry_tolerances(raw, value, shape):
    """Each entry's tolerance from its printed digits: the numbers of the array as written in the
    file when they can be located (one per entry), else the shortest repr of each."""
    entries = []
    _flatten(value, entries)
    written = NUMBER.findall(re.sub(r"#[^\n]*", "", raw)) if raw is not None else []
    if len(written) != len(entries):
        written = [_literal(None, e) for e in entries]
    return np.array([tolerance_of(w) for w in written], dtype=float).reshape(shape)


def load_claims(path):
    """Parse and validate the claims file at ``path``. Nothing is derived yet."""
    data, text = _read(path)
    return claims_from_data(path, data, scan(text))


def claims_from_data(path, data, lay=None):
    """Validate claims already parsed into ``data`` (the TOML's tables); ``path`` names them in
    messages. Without a layout (claims made in code, such as the catalog's errata), no line is
    known, and a number's printed digits come from ``equals`` given as a string ("0.237479")."""
    lay = scan("") if lay is None else lay
    top = Fields(path, lay, (), data, None, "")
    for key in data:
        if key not in FILE_KEYS:
            _unknown_key(top, key, FILE_KEYS, "file")
    targets = [k for k in TARGET_KEYS if k in data]
    if len(targets) != 1:
        raise InputError(f"{path}: give exactly one of program, model, expression"
                         + (f" (it gives {', '.join(targets)})" if targets else ""))
    for key in ("title", "output", targets[0]):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            top.fail(key, f"{key!r} must be a non-empty string, "
                          f"got {show(top.raw(key), data[key])}")
    if "at" in data and not isinstance(data["at"], dict):
        top.fail("at", "'at' must be a table: a line [at], then name = number lines "
                       "(or name = [[...]] for an array)")
    at_fields = Fields(path, lay, ("at",), data.get("at", {}), lay.headers.get(("at",)), "[at]")
    at = {k: at_fields.number_or_array(k) for k in data.get("at", {})}
    claims = data.get("claim", [])
    if not isinstance(claims, list):
        top.fail("claim", "'claim' must be an array of tables: "
                          "write each claim under [[claim]] (two brackets)")
    if not claims:
        top.fail("claim" if "claim" in data else None, "no claims: add [[claim]] tables")
    headers = lay.claim_lines if len(lay.claim_lines) == len(claims) else []
    fallback = lay.keys.get(((), "claim"))
    validated = [validate_claim(path, lay, i, c, headers[i - 1] if headers else fallback)
                 for i, c in enumerate(claims, 1)]
    return ClaimsFile(path, data, at, validated, lay)
