"""Check the numbers a worked example claims (TOML claims files), and gradcheck a target.

A claims file is read in three passes: the TOML text is scanned for the line of every
``[[claim]]`` header and key (``tomllib`` gives no positions), every field of every claim is
validated, and only then is anything derived. Each failing claim gets the derivation of its
correct value (from the :class:`~symgrad.derivation.Derivation` steps) and, when the file's
other claims allow it, the first claim along the chain of the computation that fails.
"""
import dataclasses
import difflib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

import sympy

from .derivation import derive
from .errors import DomainError, InputError, SymgradError

TARGET_KEYS = ("program", "model", "expression")
FILE_KEYS = {"title", "output", "at", "claim", *TARGET_KEYS}
CLAIM_KEYS = {"value", "gradient", "after_steps", "lr", "params", "equals", "tol", "note"}
MAX_STEPS = 1000          # after_steps is refused above this (each step is a full derivation)
CHAIN_PATHS = 4           # a gradient's derivation is written path by path up to this many paths
# A decimal number as TOML writes one (also accepted inside quotes: equals = "0.237400").
NUMBER = re.compile(r"[+-]?\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?")


@dataclass
class ClaimResult:
    number: int
    kind: str                 # "value" | "gradient" | "after_steps"
    quantity: str
    claimed: float
    correct: float
    tol: float
    holds: bool
    derivation: str = ""      # how the correct value comes about, with numbers
    divergence: str = ""      # the first claim along the chain that fails (failing claims only)
    remark: str = ""          # e.g. "holds only for the post's wrong w9 = 0.237479"
    note: str = ""            # the claim's own `note`, from the file
    line: int = None          # line of the claim's [[claim]] header in the file


@dataclass
class FileReport:
    path: str
    title: str
    claims: list = field(default_factory=list)

    @property
    def ok(self):
        return all(c.holds for c in self.claims)


@dataclass
class Report:
    files: list = field(default_factory=list)

    @property
    def ok(self):
        return all(f.ok for f in self.files)

    def to_json(self):
        return {"ok": self.ok, "files": [{"path": f.path, "title": f.title, "ok": f.ok,
                                          "claims": [asdict(c) for c in f.claims]} for f in self.files]}

    def __str__(self):
        lines = []
        for f in self.files:
            lines.append(f"{f.path}: {f.title}")
            for c in f.claims:
                where = f" (line {c.line})" if c.line else ""
                verdict = "holds" if c.holds else "FAILS"
                lines.append(f"  claim {c.number}{where} {c.quantity} = {c.claimed:.15g}: {verdict} "
                             f"(correct {_shown_correct(c)}, tol {c.tol:g})")
                if not c.holds:
                    for label, text in (("derivation", c.derivation), ("first divergence", c.divergence),
                                        ("remark", c.remark), ("note", c.note)):
                        if text:
                            lines.append(f"    {label}: {' '.join(text.split())}")
        total = sum(len(f.claims) for f in self.files)
        n_fail = sum(not c.holds for f in self.files for c in f.claims)
        lines.append("all claims hold" if not n_fail else f"{n_fail} of {total} claims fail")
        return "\n".join(lines)


def _shown_correct(c):
    """The correct value to 6 significant digits, or more when a failing claim needs them to differ."""
    digits = 6
    while not c.holds and digits < 17 and abs(float(f"{c.correct:.{digits}g}") - c.claimed) <= c.tol:
        digits += 1
    return f"{c.correct:.{digits}g}"


def tolerance_of(literal):
    """Half a unit in the last printed digit: '0.612248' -> 5e-7, '3' -> 0.5, '1e-3' -> 5e-4."""
    literal = literal.strip().replace("_", "").lstrip("+-")
    mant, _, exp = literal.lower().partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    exponent = int(exp) if exp else 0
    if abs(exponent) > 100_000:          # far outside floats; Decimal would still cope, int() too
        return math.inf if exponent > 0 else 0.0
    return float(Decimal(5).scaleb(exponent - decimals - 1))


# --- reading the file: positions -----------------------------------------------------------------

_KEYPART = r"(?:[A-Za-z0-9_-]+|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*')"
_KEY = re.compile(rf"[ \t]*({_KEYPART}(?:[ \t]*\.[ \t]*{_KEYPART})*)[ \t]*=")
_HEADER = re.compile(r"[ \t]*(\[\[?)(.*?)\]\]?[ \t]*(?:#.*)?\Z")


def _key_parts(text):
    parts = re.findall(_KEYPART, text)
    return tuple(p[1:-1] if p[0] in "\"'" else p for p in parts)


@dataclass
class _Layout:
    """Where things are in the TOML text. A table is () for the top level, ("at",), or
    ("claim", i) for the i-th [[claim]] header (0-based)."""
    claim_lines: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)    # table -> line of its header
    keys: dict = field(default_factory=dict)       # (table, key) -> line
    raw: dict = field(default_factory=dict)        # (table, key) -> the value's text as written


def _scan(text):
    """Lines of headers and keys, and each value's raw text, by a small TOML tokenizer that
    skips strings (so a ``[[claim]]`` inside a program string is not a header) and comments."""
    lay, n, i, line, depth = _Layout(), len(text), 0, 1, 0
    table, pending, statement = (), None, True

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
                    parts = _key_parts(m.group(2))
                    if m.group(1) == "[[" and parts == ("claim",):
                        table = ("claim", len(lay.claim_lines))
                        lay.claim_lines.append(line)
                    else:
                        table = ("[[",) + parts if m.group(1) == "[[" else parts
                    lay.headers[table] = line
                    i = eol
                    continue
                m = _KEY.match(seg)
                if m:
                    parts = _key_parts(m.group(1))
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
            q, j = text[i:i + 3], i + 3
            while True:
                k = text.find(q, j)
                if k < 0:
                    k = n
                    break
                b = 0
                while q == '"""' and k - b - 1 >= j and text[k - b - 1] == "\\":
                    b += 1
                if b % 2:
                    j = k + 1
                    continue
                break
            end = min(k + 3, n)
            while end < n and text[end] == q[0] and end - k < 5:
                end += 1
            line += text.count("\n", i, end)
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif c == "'":
            j = i + 1
            while j < n and text[j] not in "'\n":
                j += 1
            i = j + 1
        else:
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
            i += 1
    if pending:
        finish(n)
    return lay


# --- reading the file: validation ----------------------------------------------------------------

@dataclass
class _Claim:
    number: int
    line: int
    kind: str
    where: str                # "FILE, line N (claim i)" for messages
    equals: float
    tol: float
    note: str = ""
    value: str = None         # node names, once resolved against the graph
    of: str = None
    wrt: str = None
    steps: int = 0
    lr: float = 0.0
    params: tuple = ()
    label: str = ""           # the quantity as shown in the report
    fields: object = field(default=None, repr=False)

    def at(self, key):
        """Where the claim's ``key`` is, for messages."""
        return self.fields.where(key) if self.fields else self.where


def _show(raw, value):
    """A bad value for a message: as written in the file when known."""
    text = raw if raw is not None else json.dumps(value, default=str) if not isinstance(value, float) \
        else repr(value)
    text = " ".join(str(text).split())
    return text if len(text) <= 60 else text[:59] + "…"


def _as_number(value):
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


class _Fields:
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
        x = _as_number(value)
        if x is None:
            self.fail(key, f"{key!r} must be a number, got {_show(self.raw(key), value)}")
        if not math.isfinite(x):
            self.fail(key, f"{key!r} must be a finite number, got {_show(self.raw(key), value)}")
        if minimum is not None and x < minimum:
            self.fail(key, f"{key!r} must be at least {minimum:g}, got {_show(self.raw(key), value)}")
        return x

    def name(self, key, value=None, what=None):
        value = self.data[key] if value is None else value
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"{what or repr(key)} must be a node name in quotes, got "
                           f"{_show(self.raw(key) if what is None else None, value)}")
        return value.strip()


def _read(path):
    from .target import read_text_file

    text = read_text_file(str(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: malformed TOML: {exc}") from None
    return data, text


def _validate_claim(path, lay, i, c, line):
    """Every field of claim i (1-based), checked before anything is derived."""
    table = ("claim", i - 1) if len(lay.claim_lines) >= i else ("?",)
    f = _Fields(path, lay, table, c if isinstance(c, dict) else {}, line, f"claim {i}")
    if not isinstance(c, dict):
        f.fail(None, f"a claim must be a table of keys (value, gradient, equals, ...), got {_show(None, c)}")
    for key in c:
        if key not in CLAIM_KEYS:
            close = difflib.get_close_matches(key, sorted(CLAIM_KEYS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"claim keys: {', '.join(sorted(CLAIM_KEYS))}"
            f.fail(key, f"unknown key {key!r} ({hint})")
    if "equals" not in c:
        f.fail(None, "missing key 'equals' (the number the post claims)")
    equals = f.number("equals")
    tol = f.number("tol", minimum=0) if "tol" in c else tolerance_of(_literal(f.raw("equals"), c["equals"]))
    note = c.get("note", "")
    if not isinstance(note, str):
        f.fail("note", f"'note' must be a string in quotes, got {_show(f.raw('note'), note)}")
    claim = _Claim(i, line, "value", f.where(), equals, tol, note.strip(), fields=f)

    if "after_steps" in c:
        claim.kind = "after_steps"
        steps = c["after_steps"]
        k = _as_number(steps) if not isinstance(steps, str) else None
        shown = _show(f.raw("after_steps"), steps)
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
            f.fail("gradient", "an after_steps claim takes 'value' (a parameter or any node), not 'gradient'")
        claim.lr = f.number("lr")
        params = c["params"]
        if not isinstance(params, list) or not params:
            f.fail("params", f"'params' must be a list of parameter names such as [\"w9\"], "
                             f"got {_show(f.raw('params'), params)}")
        claim.params = tuple(f.name("params", p, "each of 'params'") for p in params)
        dup = [p for p in claim.params if claim.params.count(p) > 1]
        if dup:
            f.fail("params", f"'params' names {dup[0]!r} twice")
        claim.value = f.name("value")
        return claim

    for key in ("lr", "params"):
        if key in c:
            f.fail(key, f"{key!r} only applies to after_steps claims")
    kinds = [k for k in ("value", "gradient") if k in c]
    if len(kinds) != 1:
        f.fail(None, "a claim needs exactly one of 'value', 'gradient' or 'after_steps'"
               if not kinds else "a claim takes 'value' or 'gradient', not both")
    if kinds == ["value"]:
        claim.value = f.name("value")
        return claim
    claim.kind = "gradient"
    g = c["gradient"]
    if isinstance(g, str):
        claim.wrt = f.name("gradient")
    elif isinstance(g, list) and len(g) == 2:
        claim.of, claim.wrt = (f.name("gradient", x, "each name in 'gradient'") for x in g)
    else:
        f.fail("gradient", f"'gradient' must be a name (d output / d name) or a pair [\"of\", \"wrt\"], "
                           f"got {_show(f.raw('gradient'), g)}")
    return claim


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


def _load(path):
    """Parse and validate a claims file; returns (data, at, claims, layout). Nothing is derived yet."""
    data, text = _read(path)
    lay = _scan(text)
    top = _Fields(path, lay, (), data, None, "")
    for key in data:
        if key not in FILE_KEYS:
            close = difflib.get_close_matches(key, sorted(FILE_KEYS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"file keys: {', '.join(sorted(FILE_KEYS))}"
            top.fail(key, f"unknown key {key!r} ({hint})")
    targets = [k for k in TARGET_KEYS if k in data]
    if len(targets) != 1:
        raise InputError(f"{path}: give exactly one of program, model, expression"
                         + (f" (it gives {', '.join(targets)})" if targets else ""))
    for key in ("title", "output", targets[0]):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            top.fail(key, f"{key!r} must be a non-empty string, got {_show(top.raw(key), data[key])}")
    if "at" in data and not isinstance(data["at"], dict):
        top.fail("at", "'at' must be a table: a line [at], then name = number lines")
    at_fields = _Fields(path, lay, ("at",), data.get("at", {}), lay.headers.get(("at",)), "[at]")
    at = {k: at_fields.number(k) for k in data.get("at", {})}
    claims = data.get("claim", [])
    if not isinstance(claims, list):
        top.fail("claim", "'claim' must be an array of tables: write each claim under [[claim]] (two brackets)")
    if not claims:
        top.fail("claim" if "claim" in data else None, "no claims: add [[claim]] tables")
    headers = lay.claim_lines if len(lay.claim_lines) == len(claims) else []
    fallback = lay.keys.get(((), "claim"))
    validated = [_validate_claim(path, lay, i, c, headers[i - 1] if headers else fallback)
                 for i, c in enumerate(claims, 1)]
    return data, at, validated, lay


# --- the model ------------------------------------------------------------------------------------

class _Model:
    """The file's graph and point; derivations cached by (output, point)."""

    def __init__(self, path, data, at, lay):
        from .target import matrix_model_of
        from .target import resolve

        self.path = path
        key = next(k for k in TARGET_KEYS if k in data)
        target = data[key]
        line = lay.keys.get(((), key))
        where = f"{path}{f', line {line}' if line else ''}"
        if key == "model":
            from .catalog import find_model, models
            if find_model(target) is None:
                close = difflib.get_close_matches(target, [m.id for m in models()], n=3)
                hint = f"did you mean {', '.join(close)}?" if close else "see 'symgrad list'"
                raise InputError(f"{where}: unknown model {target!r} ({hint})")
        if matrix_model_of(target) is not None:
            raise InputError(f"{where}: {target!r} is a matrix model; claims files check scalar models "
                             f"(try symgrad check --gradcheck {target})")
        try:
            resolved = resolve(target)
            output = data.get("output")
            if output is not None:
                g = resolved.graph
                if output not in g.variables and output not in g.nodes:
                    known = ", ".join(n for n in g.nodes if n not in g.unnamed)
                    oline = lay.keys.get(((), "output"))
                    raise InputError(f"{path}{f', line {oline}' if oline else ''}: output {output!r} is not "
                                     f"a name of the {key} (names: {known})")
                resolved = resolve(target, output=output)
        except InputError as exc:
            if str(exc).startswith(str(path)):
                raise
            raise InputError(f"{where}: {key}: {exc}") from None
        except SymgradError as exc:
            raise InputError(f"{where}: {key}: {exc}") from None
        self.graph = resolved.graph
        self.output = self.graph.output
        self.position = {name: i for i, name in enumerate(self.graph.nodes)}   # creation order is topological
        inputs = set(self.graph.inputs)
        at_fields = _Fields(path, lay, ("at",), at, lay.headers.get(("at",)), "[at]")
        for name in at:
            if name not in inputs:
                at_fields.fail(name, f"{name!r} is given, but it is not an input "
                                     f"(inputs: {', '.join(self.graph.inputs)})")
        self.point = {**{k: float(v) for k, v in resolved.defaults.items() if k in inputs}, **at}
        self.at_line = lay.headers.get(("at",))
        self._anc, self._derivations, self._paths = {}, {}, {}

    # names
    def node(self, claim, name, what, key):
        name_ = self.graph.variables.get(name, name)
        if name_ not in self.graph.nodes:
            known = [n for n in self.graph.nodes if n not in self.graph.unnamed]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"names: {', '.join(known[:12])}" + \
                (", …" if len(known) > 12 else "")
            raise InputError(f"{claim.at(key)}: {what} names {name!r}, which is not a node of the graph ({hint})")
        return name_

    def ancestors(self, name):
        """The nodes ``name`` is computed from, itself included."""
        if name not in self._anc:
            self._anc[name] = set(self.graph.topological_order(name))
        return self._anc[name]

    def missing_inputs(self, names):
        needed = [n for name in names for n in self.graph.topological_order(name)
                  if self.graph.nodes[n].is_input]
        return list(dict.fromkeys(n for n in needed if n not in self.point))

    # numbers
    def derivation(self, output, point, where=None):
        key = (output, tuple(sorted(point.items())))
        if key not in self._derivations:
            graph = dataclasses.replace(self.graph, output=output)
            try:
                self._derivations[key] = derive(graph, at=dict(point))
            except SymgradError as exc:
                cls = DomainError if isinstance(exc, DomainError) else InputError
                raise cls(f"{where or self.path}: {exc}") from None
        return self._derivations[key]

    def path_points(self, claim):
        """The parameter points after 0, 1, …, claim.steps SGD steps on claim.params."""
        key = (claim.lr, claim.params)
        points = self._paths.setdefault(key, [dict(self.point)])
        while len(points) <= claim.steps:
            here = points[-1]
            d = self.derivation(self.output, here, f"{claim.where}: step {len(points)}")
            new = dict(here)
            for p in claim.params:
                new[p] = here[p] - claim.lr * d.adjoints.get(p, 0.0)
                if not math.isfinite(new[p]):
                    raise InputError(f"{claim.where}: the parameters diverge ({p} is {new[p]} after "
                                     f"step {len(points)}); a smaller lr?")
            points.append(new)
        return points

    def evaluate(self, claim, point=None):
        """The correct value of a claim (at ``point`` instead of the file's, when given)."""
        if claim.kind == "gradient":
            d = self.derivation(claim.of, self.point if point is None else point, claim.where)
            return d.adjoints.get(claim.wrt, 0.0)
        if point is None:
            point = self.path_points(claim)[claim.steps] if claim.kind == "after_steps" else self.point
        return self.derivation(claim.value, point, claim.where).values[claim.value]


def _resolve_names(model, claims):
    for c in claims:
        if c.kind == "gradient":
            c.of = model.output if c.of is None else model.node(c, c.of, "'gradient'", "gradient")
            c.wrt = model.node(c, c.wrt, "'gradient'", "gradient")
            c.label = f"∂{_user(model, c.of)}/∂{_user(model, c.wrt)}"
            continue
        c.value = model.node(c, c.value, "'value'", "value")
        c.label = _user(model, c.value)
        if c.kind == "after_steps":
            params = []
            for p in c.params:
                name = model.node(c, p, "'params'", "params")
                if not model.graph.nodes[name].is_input:
                    raise InputError(f"{c.at('params')}: 'params' names {p!r}, which is computed by the graph; "
                                     f"parameters are inputs (inputs: {', '.join(model.graph.inputs)})")
                params.append(name)
            c.params = tuple(params)
            c.label += f" after {c.steps} step{'s' if c.steps > 1 else ''}"
    names = [model.output] + [n for c in claims for n in (c.value, c.of) if n]
    missing = model.missing_inputs(names)
    if missing:
        s = "s" if len(missing) > 1 else ""
        raise InputError(f"{model.path}{f', line {model.at_line}' if model.at_line else ''}: no value for "
                         f"input{s} {', '.join(missing)}; add {'them' if s else 'it'} under [at] in {model.path}")


def _user(model, name):
    """The program variable a node stands for (its own name otherwise)."""
    for var, node in model.graph.variables.items():
        if node == name:
            return var
    return name


# --- derivations of correct values ----------------------------------------------------------------

_TOKEN = re.compile(r"(\d+\.?\d*(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)")


def _num(x):
    text = f"{x:.6g}"
    return f"({text})" if text.startswith("-") else text


def _res(x):
    return f"{x:.6g}"


def _substitute(text, values):
    """``text`` (SymPy's printing of a formula) with each node name replaced by its value."""
    return _TOKEN.sub(lambda m: _num(values[m.group(2)]) if m.group(2) in values else m.group(0), text)


def _fold(graph, expr, limit=160):
    """``expr`` with the gates symgrad named automatically (n1, n2, …) replaced by their formulas,
    as long as the text stays under ``limit`` characters."""
    for _ in range(64):
        subs = {}
        for s in expr.free_symbols:
            node = graph.node_of(s)
            if node is not None and node.name in graph.unnamed and not node.is_input:
                subs[s] = node.expr
        if not subs:
            break
        folded = expr.xreplace(subs)
        if len(sympy.sstr(folded)) > limit:
            break
        expr = folded
    return expr


def _value_derivation(model, d, name):
    """``st21 = sigmoid(st11*w5 + st12*w7) = sigmoid(0.997762*0.6 + 0.989013*0.4) = 0.729929``."""
    node = model.graph.nodes[name]
    shown = _user(model, name)
    if node.is_input:
        return f"{shown} is an input: {_res(d.values[name])} at the file's point"
    text = sympy.sstr(_fold(model.graph, model.graph.nodes[name].expr))
    return f"{shown} = {text} = {_substitute(text, d.values)} = {_res(d.values[name])}"


def _gradient_derivation(model, d, of, wrt):
    """The chain product of ∂of/∂wrt from the derivation's steps: path by path, upstream × local."""
    u = lambda n: _user(model, n)   # noqa: E731
    total = d.adjoints.get(wrt, 0.0)
    head = f"∂{u(of)}/∂{u(wrt)}"
    if of == wrt:
        return f"{head} = 1"
    paths = d.chain_paths(wrt, limit=CHAIN_PATHS) if wrt in d.values else []
    if paths == []:
        return f"{u(wrt)} does not feed {u(of)}: {head} = 0"
    if paths is not None:
        names, numbers = [], []
        for p in paths:
            factors = list(reversed(d.named_factors(p)))       # output first: upstream × local × …
            names.append(" × ".join(("local " if (a, b) == (wrt, of) else "") + f"∂{u(b)}/∂{u(a)}"
                                    for a, b, _ in factors))
            numbers.append(" × ".join(_num(v) for _, _, v in factors))
        if len(paths) == 1 and len(d.named_factors(paths[0])) == 1:
            # one local gradient (unnamed gates folded in): show its formula from the steps' locals
            local = sympy.S.One
            for a, b in zip(paths[0], paths[0][1:]):
                local *= sympy.Add(*[s.local for s in d.steps if s.gate == b and s.input == a])
            text = sympy.sstr(_fold(model.graph, local))
            return f"{head} = {text} = {_substitute(text, d.values)} = {_res(total)}"
        return f"{head} = {' + '.join(names)} = {' + '.join(numbers)} = {_res(total)}"
    steps = [s for s in d.steps if s.input == wrt]
    names = " + ".join(f"∂{u(of)}/∂{u(s.gate)} × ∂{u(s.gate)}/∂{u(wrt)}" for s in steps)
    numbers = " + ".join(f"{_num(s.upstream)} × {_num(s.local_value)}" for s in steps)
    return f"{head} = {names} = {numbers} = {_res(total)}"


def _update_derivation(model, c):
    """``w9 − 0.3 × ∂E/∂w9 = 0.2 − 0.3 × ((-0.575502) × 0.2374 × 0.729929) = 0.229918``."""
    points = model.path_points(c)
    before = points[c.steps - 1]
    p, out = c.value, model.output
    d = model.derivation(out, before, c.where)
    g = d.adjoints.get(p, 0.0)
    gtext = _num(g)
    paths = d.chain_paths(p, limit=1) if p in d.values else []
    if paths and len(paths) == 1 and len(paths[0]) > 2:
        factors = list(reversed(d.named_factors(paths[0])))
        if len(factors) > 1:
            gtext = "(" + " × ".join(_num(v) for _, _, v in factors) + ")"
    step = f"step {c.steps} of {c.steps}: " if c.steps > 1 else ""
    lr = f"{c.lr:g}"
    return (f"{step}{_user(model, p)} − {lr} × ∂{_user(model, out)}/∂{_user(model, p)} = "
            f"{_num(before[p])} − {lr} × {gtext} = {_res(points[c.steps][p])}")


def _derivation(model, c):
    if c.kind == "gradient":
        return _gradient_derivation(model, model.derivation(c.of, model.point), c.of, c.wrt)
    if c.kind == "after_steps":
        if c.value in c.params:
            return _update_derivation(model, c)
        point = model.path_points(c)[c.steps]
        moved = ", ".join(f"{_user(model, p)} = {_num(point[p])}" for p in c.params)
        return f"at {moved} ({c.steps} step{'s' if c.steps > 1 else ''}): " + \
            _value_derivation(model, model.derivation(c.value, point), c.value)
    return _value_derivation(model, model.derivation(c.value, model.point), c.value)


# --- where a failing figure first parts from the correct one --------------------------------------

def _chain_key(model, c):
    """Order along the computation: forward values (topological), gradients from the output
    back toward the inputs (local gradients before the products they enter), then the values
    after SGD steps."""
    pos = model.position
    if c.kind == "value":
        return (0, pos[c.value], 0, c.number)
    if c.kind == "gradient":
        return (1, -pos[c.wrt], pos[c.of], c.number)
    return (2, c.steps, pos[c.value], c.number)


def _on_chain(model, a, b, c, d):
    """a ≤ b ≤ c ≤ d along the graph (each is computed from the one before, or is it)."""
    anc = model.ancestors
    return a in anc(b) and b in anc(c) and c in anc(d)


def _follows_from(model, c, o):
    """Whether claim c's correct value is computed from claim o's quantity."""
    if o is c:
        return False
    anc, out = model.ancestors, model.output
    if o.kind == "value":
        if c.kind == "value":
            return o.value != c.value and o.value in anc(c.value)
        if c.kind == "gradient":
            return o.value in anc(c.of)
        return o.value in anc(out)
    if o.kind == "gradient":
        if c.kind == "gradient":
            return (o.of, o.wrt) != (c.of, c.wrt) and _on_chain(model, c.wrt, o.wrt, o.of, c.of)
        if c.kind == "after_steps":
            return any(_on_chain(model, p, o.wrt, o.of, out) for p in c.params if p in anc(c.value))
        return False
    return (c.kind == "after_steps" and (o.lr, set(o.params)) == (c.lr, set(c.params))
            and o.steps <= c.steps and (o.steps, o.value) != (c.steps, c.value) and o.value in anc(c.value))


def _cuts(model, node, src, dst):
    """Every path from src to dst passes through node."""
    if node in (src, dst):
        return True
    uses = model.graph.consumers(dst)
    seen, stack = {src}, [src]
    while stack:
        for gate, _ in uses.get(stack.pop(), []):
            if gate == dst:
                return False
            if gate != node and gate not in seen:
                seen.add(gate)
                stack.append(gate)
    return True


def _pinned(model, held, p):
    """Claims among ``held`` whose product is ∂output/∂p: a chain p = a0 → a1 → … → output of held
    gradient claims ∂a_{i+1}/∂a_i, each a_i lying on every path from a_{i-1} to the output."""
    out = model.output
    edges = {}
    for h in held:
        if h.kind == "gradient":
            edges.setdefault(h.wrt, []).append(h)
    best = {p: []}
    frontier = [p]
    while frontier:
        a = frontier.pop()
        for h in edges.get(a, []):
            b = h.of
            if b in best or not _cuts(model, b, a, out):
                continue
            best[b] = best[a] + [h]
            frontier.append(b)
    return best.get(out)


def _divergence(model, c, claims, results):
    deps = sorted((o for o in claims if _follows_from(model, c, o)), key=lambda o: _chain_key(model, o))
    failing = [o for o in deps if not results[o.number].holds]
    if failing:
        o, r = failing[0], results[failing[0].number]
        return (f"claim {o.number} ({o.label} = {r.claimed:.15g}, correct {_shown_correct(r)}); "
                f"this claim follows from it")
    if not deps:
        return ""
    held = _numbers(o.number for o in deps)
    if c.kind == "after_steps" and c.value in c.params:
        chain = _pinned(model, deps, c.value)
        if chain:
            g = model.derivation(model.output, model.path_points(c)[c.steps - 1]).adjoints.get(c.value, 0.0)
            return (f"the final update arithmetic (claims {_numbers(h.number for h in chain)} hold and give "
                    f"∂{_user(model, model.output)}/∂{_user(model, c.value)} = {g:.6g})")
        return (f"not located: the claims it follows from hold ({held}) but do not fix "
                f"∂{_user(model, model.output)}/∂{_user(model, c.value)}; claim it, or each factor of its "
                f"chain, to tell the gradient from the update")
    return f"this claim itself (the claims it follows from hold: {held})"


def _numbers(numbers):
    """[1, 2, 3, 5] -> '1–3, 5'."""
    runs = []
    for k in sorted(set(numbers)):
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    return ", ".join(f"{a}" if a == b else f"{a}, {b}" if b == a + 1 else f"{a}–{b}" for a, b in runs)


def _wrong_point_remark(model, c, claims, results):
    """A value after steps that the post computed from its own wrong parameters."""
    if c.kind != "after_steps" or c.value in c.params:
        return ""
    wrong = [o for o in claims if o.kind == "after_steps" and not results[o.number].holds
             and o.value in o.params and o.steps == c.steps and (o.lr, set(o.params)) == (c.lr, set(c.params))]
    if not wrong:
        return ""
    point = dict(model.path_points(c)[c.steps])
    for o in wrong:
        point[o.value] = o.equals
    try:
        alt = model.evaluate(c, point)
    except SymgradError:
        return ""
    if abs(alt - c.equals) <= c.tol:
        names = ", ".join(f"{_user(model, o.value)} = {o.equals:.15g}" for o in wrong)
        return f"holds only for the post's wrong {names}"
    return ""


# --- checking -------------------------------------------------------------------------------------

def check_file(path):
    data, at, claims, lay = _load(path)
    model = _Model(path, data, at, lay)
    _resolve_names(model, claims)
    results = {}
    for c in claims:
        correct = model.evaluate(c)
        holds = abs(c.equals - correct) <= c.tol
        results[c.number] = ClaimResult(c.number, c.kind, c.label, c.equals, correct, c.tol, holds,
                                        note=c.note, line=c.line)
    for c in claims:
        r = results[c.number]
        if not r.holds:
            r.derivation = _derivation(model, c)
            r.divergence = _divergence(model, c, claims, results)
            r.remark = _wrong_point_remark(model, c, claims, results)
    return FileReport(str(path), data.get("title", str(path)), [results[c.number] for c in claims])


def check(path_or_paths):
    """Check one claims file or several; a malformed file is an :class:`InputError` naming its line."""
    paths = [path_or_paths] if isinstance(path_or_paths, (str, bytes)) or hasattr(path_or_paths, "__fspath__") \
        else list(path_or_paths)
    return Report([check_file(p) for p in paths])


# --- gradient check -------------------------------------------------------------------------------

EPS_STEP = (2.0 ** -52) ** (1 / 3)   # ≈ 6.06e-6, the usual step scale of central differences
MATRIX_SAMPLE = 32        # entries checked per matrix parameter larger than this (plus its largest gradient)


@dataclass
class GradcheckReport:
    target: str
    rows: list
    max_abs_error: float
    max_rel_error: float
    passed: bool
    atol: float = 1e-5
    rtol: float = 1e-3
    checked: dict = field(default_factory=dict)    # name -> [entries checked, entries in all]


def _central(f, x, name):
    """Central difference of the scalar function f at x, with h = ε^(1/3)·max(1, |x|) kept inside
    the domain: while f is not finite at x ± h, h is halved; the edge is then within 2h of x, so
    the step becomes ε^(1/3)·h (the same rule with the distance to the edge as the scale)."""
    def finite(v):
        try:
            y = f(v)
        except DomainError:
            return None
        return y if math.isfinite(y) else None

    h, shrunk = EPS_STEP * max(1.0, abs(x)), False
    for _ in range(200):
        hi, lo = finite(x + h), finite(x - h)
        if hi is not None and lo is not None:
            break
        h, shrunk = h / 2, True
        if h <= abs(x) * 2.0 ** -52 or h < 1e-300:
            raise DomainError(f"gradcheck: the output is not finite on either side of {name} = {x:g}, "
                              f"so no finite difference can be taken there")
    if shrunk:
        h *= EPS_STEP
        hi, lo = finite(x + h), finite(x - h)
        if hi is None or lo is None:
            raise DomainError(f"gradcheck: the output is not finite near {name} = {x:g}")
    step = (x + h) - (x - h)                   # the step as the floats actually represent it
    return (hi - lo) / step, step / 2


def _row(wrt, sym, fd, h):
    err = abs(sym - fd)
    scale = max(abs(sym), abs(fd))
    return {"wrt": wrt, "symbolic": float(sym), "numeric": float(fd), "abs_error": err,
            "rel_error": err / scale if scale else 0.0, "h": h}


def _gradcheck_scalar(d):
    from .backward import forward_pass

    graph, point = d.graph, dict(d.point)
    order = graph.topological_order()
    rows = []
    for name, sym in d.gradients.items():
        def f(v, name=name):
            return forward_pass(graph, {**point, name: v}, order)[0][graph.output]
        fd, h = _central(f, point[name], name)
        rows.append(_row(name, sym, fd, h))
    return rows, {name: [1, 1] for name in d.gradients}


def _sample(size, grad):
    """Every entry of a small array; else MATRIX_SAMPLE evenly spaced entries (row-major) and the
    entry with the largest gradient."""
    import numpy as np

    if size <= MATRIX_SAMPLE:
        return list(range(size))
    picks = {int(round(k)) for k in np.linspace(0, size - 1, MATRIX_SAMPLE)}
    picks.add(int(np.argmax(np.abs(grad))))
    return sorted(picks)


def _gradcheck_matrix(d):
    import numpy as np

    arrays = {k: np.array(v, dtype=float) for k, v in d.arrays.items()}
    rows, checked = [], {}
    for name in d.wrt:
        grad = np.asarray(d.gradients[name], dtype=float)
        base = arrays[name]
        flat = base.reshape(-1)
        picks = _sample(flat.size, grad.reshape(-1))
        checked[name] = [len(picks), int(flat.size)]
        for k in picks:
            x = float(flat[k])

            def f(v, k=k):
                trial = flat.copy()
                trial[k] = v
                value, _ = d.compiled(**{**arrays, name: trial.reshape(base.shape)})
                return float(value)
            fd, h = _central(f, x, name)
            index = np.unravel_index(k, base.shape) if base.shape else ()
            label = f"{name}[{', '.join(map(str, index))}]" if index else name
            rows.append(_row(label, grad.reshape(-1)[k], fd, h))
    return rows, checked


def gradcheck(target, at=None, atol=1e-5, rtol=1e-3):
    """Compare the symbolic gradients of ``target`` with central finite differences.

    Scalar targets: every gradient. Matrix models: every entry of each parameter with at most
    ``MATRIX_SAMPLE`` entries, else a deterministic sample (see :func:`_sample`). Passes when
    |symbolic − numeric| ≤ atol + rtol·|numeric| for every row; reports the worst errors.
    """
    d = derive(target, at=at)
    rows, checked = _gradcheck_matrix(d) if hasattr(d, "arrays") else _gradcheck_scalar(d)
    max_abs = max((r["abs_error"] for r in rows), default=0.0)
    max_rel = max((r["rel_error"] for r in rows), default=0.0)
    passed = all(r["abs_error"] <= atol + rtol * abs(r["numeric"]) for r in rows)
    return GradcheckReport(str(target), rows, max_abs, max_rel, passed, atol, rtol, checked)


def format_gradcheck(r, most=24):
    lines = []
    if len(r.rows) <= most:
        for row in r.rows:
            lines.append(f"∂/∂{row['wrt']}: symbolic {row['symbolic']:.9g} numeric {row['numeric']:.9g} "
                         f"abs err {row['abs_error']:.2e} rel err {row['rel_error']:.2e}")
    else:
        for name, (n, total) in r.checked.items():
            mine = [row for row in r.rows if row["wrt"] == name or row["wrt"].startswith(name + "[")]
            worst = max(mine, key=lambda row: row["rel_error"])
            lines.append(f"∂/∂{name}: {n} of {total} entries checked; worst rel err {worst['rel_error']:.2e} "
                         f"at {worst['wrt']} (symbolic {worst['symbolic']:.9g}, numeric {worst['numeric']:.9g})")
    lines.append(f"max abs error {r.max_abs_error:.2e}, worst rel error {r.max_rel_error:.2e}: "
                 f"{'PASS' if r.passed else 'FAIL'} (atol {r.atol:g}, rtol {r.rtol:g})")
    return "\n".join(lines)


def run_cli(args):
    if args.gradcheck:
        if args.files:
            raise InputError("check: give claims FILE(s) or --gradcheck TARGET, not both")
        r = gradcheck(args.gradcheck, at=args.at)
        print(json.dumps(asdict(r), indent=2) if args.format == "json" else format_gradcheck(r))
        return 0 if r.passed else 1
    if args.at:
        raise InputError("check: --at goes with --gradcheck; a claims file gives its point under [at]")
    if not args.files:
        raise InputError("check: give claims FILE(s) or --gradcheck TARGET")
    report = check(args.files)
    print(json.dumps(report.to_json(), indent=2, ensure_ascii=False) if args.format == "json" else report)
    return 0 if report.ok else 1
