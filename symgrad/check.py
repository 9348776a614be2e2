"""Check the numbers a worked example claims (TOML claims files), and gradcheck a target."""
import json
import re
from dataclasses import asdict, dataclass, field

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from .derivation import derive, parse_point
from .errors import SymgradError

TARGET_KEYS = ("program", "model", "expression")
FILE_KEYS = {"title", "output", "at", "claim", *TARGET_KEYS}
CLAIM_KEYS = {"value", "gradient", "after_steps", "lr", "params", "equals", "tol"}


@dataclass
class ClaimResult:
    number: int
    kind: str
    quantity: str
    claimed: float
    correct: float
    tol: float
    holds: bool
    derivation: str = ""
    note: str = ""


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
                mark = "holds" if c.holds else "FAILS"
                lines.append(f"  claim {c.number} {c.quantity} = {c.claimed:g}: {mark} "
                             f"(correct {c.correct:.6g}, tol {c.tol:g})")
                if not c.holds and c.derivation:
                    lines.append(f"    derivation: {c.derivation}")
                if c.note:
                    lines.append(f"    note: {c.note}")
        n_fail = sum(not c.holds for f in self.files for c in f.claims)
        lines.append("all claims hold" if not n_fail else f"{n_fail} claim(s) fail")
        return "\n".join(lines)


def _equals_literals(text):
    """The printed text of each `equals = ...` line, in order of appearance."""
    return re.findall(r"^\s*equals\s*=\s*([-+0-9.eE_]+)", text, flags=re.M)


def tolerance_of(literal):
    """Half a unit in the last printed digit: '0.612248' -> 5e-7, '3' -> 0.5, '1e-3' -> 5e-4."""
    literal = literal.replace("_", "").lstrip("+-")
    mant, _, exp = literal.lower().partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    return 0.5 * 10.0 ** (-decimals + (int(exp) if exp else 0))


def _load(path):
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise SymgradError(f"{path}: cannot read ({exc.strerror})") from None
    text = raw.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SymgradError(f"{path}: malformed TOML: {exc}") from None
    unknown = set(data) - FILE_KEYS
    if unknown:
        raise SymgradError(f"{path}: unknown key {sorted(unknown)[0]!r}")
    targets = [k for k in TARGET_KEYS if k in data]
    if len(targets) != 1:
        raise SymgradError(f"{path}: give exactly one of program, model, expression")
    claims = data.get("claim", [])
    if not claims:
        raise SymgradError(f"{path}: no [[claim]] entries")
    literals = _equals_literals(text)
    for i, c in enumerate(claims, 1):
        bad = set(c) - CLAIM_KEYS
        if bad:
            raise SymgradError(f"{path}: claim {i}: unknown key {sorted(bad)[0]!r}")
        if "equals" not in c:
            raise SymgradError(f"{path}: claim {i}: missing key 'equals'")
        if "tol" not in c:
            c["tol"] = tolerance_of(literals[i - 1]) if len(literals) == len(claims) else 5e-7
    return data, text


def _derive(data, at, output, path):
    target = data.get("program") or data.get("model") or data.get("expression")
    try:
        return derive(target, at=at or None, output=output)
    except SymgradError as exc:
        raise SymgradError(f"{path}: {exc}") from None


def _node(d, name, path, i, key):
    name = d.graph.variables.get(name, name) if hasattr(d.graph, "variables") else name
    if name not in d.graph.nodes:
        raise SymgradError(f"{path}: claim {i}: {key}: unknown node {name!r}")
    return name


def _evaluate(data, at, c, path, i):
    """Correct value of claim c at parameter point `at`; returns (value, quantity, derivation)."""
    base_out = data.get("output")
    if "after_steps" in c:
        at = dict(at)
        for _ in range(int(c["after_steps"])):
            d = _derive(data, at, base_out, path)
            for p in c.get("params", []):
                pn = _node(d, p, path, i, "params")
                at[pn] = at[pn] - c["lr"] * d.adjoints[pn]
        d = _derive(data, at, base_out, path)
        name = _node(d, c["value"], path, i, "value")
        return d.values[name], f"{c['value']} after {c['after_steps']} step(s)", "", at
    d = _derive(data, at, base_out, path)
    if "gradient" in c:
        g = c["gradient"]
        of, wrt = (g if isinstance(g, list) else [d.output, g])
        of = _node(d, of, path, i, "gradient")
        wrt = _node(d, wrt, path, i, "gradient")
        d2 = _derive(data, at, of, path) if of != d.output else d
        return d2.adjoints.get(wrt, 0.0), f"d{of}/d{wrt}", "", at
    if "value" in c:
        name = _node(d, c["value"], path, i, "value")
        return d.values[name], c["value"], "", at
    raise SymgradError(f"{path}: claim {i}: needs value, gradient or after_steps")


def check_file(path):
    data, _ = _load(path)
    at = {k: float(v) for k, v in data.get("at", {}).items()}
    report = FileReport(str(path), data.get("title", str(path)))
    wrong_points = []  # parameter points implied by failing after_steps claims on params
    for i, c in enumerate(data["claim"], 1):
        correct, qty, deriv, new_at = _evaluate(data, at, c, path, i)
        claimed = float(c["equals"])
        holds = abs(claimed - correct) <= c["tol"]
        res = ClaimResult(i, "after_steps" if "after_steps" in c else
                          ("gradient" if "gradient" in c else "value"),
                          qty, claimed, correct, c["tol"], holds, deriv)
        if "after_steps" in c:
            param = c["value"]
            if param in c.get("params", []):
                old = at[param]
                d = _derive(data, at, data.get("output"), path)
                g = d.adjoints[param]
                res.derivation = f"{old:g} - {c['lr']:g} x ({g:.6g}) = {correct:.6g}"
                try:
                    paths = d.chain_paths(param)
                    if len(paths) == 1 and c["after_steps"] == 1:
                        fs = [f for _, _, f in d.named_factors(paths[0]) if f != 1.0] or [1.0]
                        prod = " x ".join(f"{f:.6f}" for f in fs)
                        res.derivation = f"{old:g} - {c['lr']:g} x ({prod}) = {correct:.6f}"
                except (SymgradError, TypeError, ValueError, KeyError):
                    pass
                if not holds:
                    wrong = dict(new_at)
                    wrong[param] = claimed
                    wrong_points.append((param, claimed, wrong))
                    held = [r.number for r in report.claims if r.holds and r.kind == "gradient"]
                    res.note = (f"first divergence: the final update arithmetic "
                                f"(earlier gradient claims {held} hold and give {correct:.6g})" if held
                                else "first divergence: the gradient or the update (no earlier gradient claims)")
            elif not holds:
                for p, v, wat in wrong_points:
                    d = _derive(data, wat, data.get("output"), path)
                    alt = d.values[_node(d, c["value"], path, i, "value")]
                    if abs(alt - claimed) <= c["tol"]:
                        res.note = f"holds only for the post's wrong {p} = {v:g}"
                        break
        report.claims.append(res)
    return report


def check(path_or_paths):
    paths = [path_or_paths] if isinstance(path_or_paths, (str, bytes)) or hasattr(path_or_paths, "__fspath__") \
        else list(path_or_paths)
    return Report([check_file(p) for p in paths])


@dataclass
class GradcheckReport:
    target: str
    rows: list
    max_abs_error: float
    max_rel_error: float
    passed: bool
    atol: float = 1e-5
    rtol: float = 1e-3


def gradcheck(target, at=None, atol=1e-5, rtol=1e-3):
    d = derive(target, at=at)
    point = dict(d.point)
    rows, max_abs, max_rel, ok = [], 0.0, 0.0, True
    for name, sym in d.gradients.items():
        h = 1e-6 * max(1.0, abs(point[name]))
        hi, lo = dict(point), dict(point)
        hi[name] += h
        lo[name] -= h
        fd = (derive(d.graph, at=hi).value - derive(d.graph, at=lo).value) / (2 * h)
        err = abs(sym - fd)
        rel = err / max(abs(fd), 1e-12)
        max_abs, max_rel = max(max_abs, err), max(max_rel, rel)
        ok = ok and err <= atol + rtol * abs(fd)
        rows.append({"wrt": name, "symbolic": sym, "numeric": fd, "abs_error": err})
    return GradcheckReport(str(target), rows, max_abs, max_rel, ok, atol, rtol)


def run_cli(args):
    if args.gradcheck:
        r = gradcheck(args.gradcheck, at=args.at)
        if args.format == "json":
            print(json.dumps(asdict(r), indent=2))
        else:
            for row in r.rows:
                print(f"d/d{row['wrt']}: symbolic {row['symbolic']:.9g} numeric {row['numeric']:.9g} "
                      f"abs err {row['abs_error']:.2e}")
            print(f"max abs error {r.max_abs_error:.2e}, worst rel error {r.max_rel_error:.2e}: "
                  f"{'PASS' if r.passed else 'FAIL'} (atol {r.atol:g}, rtol {r.rtol:g})")
        return 0 if r.passed else 1
    if not args.files:
        raise SymgradError("check: give claims FILE(s) or --gradcheck TARGET")
    report = check(args.files)
    print(json.dumps(report.to_json(), indent=2) if args.format == "json" else report)
    return 0 if report.ok else 1
