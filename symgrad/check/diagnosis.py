"""Which known mistake gives a failing claim's number: an honest search over the mistake library.

For a failing claim, every single mistake of :mod:`.mistakes` along the computation the claim
depends on is tried (and pairs of the cheap ones: the lost sign with another mistake, an update
mistake with a gradient mistake), each by re-running the real sweep with the mistake applied. A
mistake is reported only when the number it gives is within the claim's tolerance of the claimed
number and outside it of the correct one; when none is, the report says so. Nothing is guessed.
"""
import math
import re
from dataclasses import dataclass, field

from ..errors import SymgradError
from ..optimizers import sgd_step
from .divergence import _pinned
from .mistakes import (
    Mistake,
    computation,
    forward_values,
    gradient_mistakes,
    local_rule_mistakes,
    local_value,
    update_mistakes,
    wrong_adjoints,
)

# after_steps claims: gradient mistakes are tried over the steps while mistakes × steps stays
# under this many sweeps; beyond it, only the update mistakes are (and the report says so).
SWEEP_BUDGET = 4000
_ENTRY = re.compile(r"(.*?_?)(\d)(\d)|(.*_)(\d+)_(\d+)")


@dataclass
class Diagnosis:
    kind: str
    gate: str                 # the node where the mistake is (the user's name), "" for none
    explanation: str
    explanation_ko: str
    reproduced: float         # the number the mistake gives
    also: list = field(default_factory=list)   # other mistakes that give it too
    # the mistake alone, to be put in another sentence (the errata's "the published X is what
    # you get with …"); not in the JSON, whose explanation already says it
    mistake: str = ""         # completes "what you get with …"
    mistake_ko: str = ""      # a verb stem that takes 면
    also_ko: list = field(default_factory=list)

    def to_json(self):
        return {"kind": self.kind, "gate": self.gate or None, "explanation": self.explanation,
                "explanation_ko": self.explanation_ko, "reproduced": self.reproduced,
                "also": list(self.also)}


@dataclass
class Search:
    """The outcome: the diagnosis (or None) and how much was tried, for the honest "none"."""
    diagnosis: Diagnosis = None
    tried: int = 0
    partial: str = ""         # what was not tried, when the search was bounded
    partial_ko: str = ""


class _Hits:
    def __init__(self, model, c, correct):
        self.model, self.c, self.correct = model, c, correct
        self.found, self.tried = [], 0
        self.keeps = None         # fn(mistake) -> whether the student's held steps survive it

    def consider(self, mistakes, value):
        """Record ``mistakes`` (one, or a pair) if ``value`` reproduces the claimed number."""
        self.tried += 1
        if value is None or not math.isfinite(value):
            return
        if abs(value - self.c.equals) <= self.c.tol and abs(value - self.correct) > self.c.tol:
            self.found.append((mistakes, value))

    def result(self, partial=("", "")):
        if not self.found:
            return Search(None, self.tried, *partial)
        # A mistake that would also break a step the student got right is a worse explanation
        # than one that leaves those steps alone: those come first (the order is kept otherwise).
        if self.keeps is not None:
            kept = [hit for hit in self.found if self.keeps(hit[0][0])]
            self.found = kept or self.found
        (first, value), rest = self.found[0], self.found[1:]
        u = self.model.user_name
        kind = "+".join(dict.fromkeys(m.kind for m in first))
        gate = next((u(m.gate) for m in first if m.gate), "")
        en = " and ".join(m.en for m in first)
        ko = "고 ".join(m.ko for m in first)
        claimed = f"{self.c.equals:.15g}"
        also = list(dict.fromkeys(
            "+".join(m.kind for m in ms) + "".join(f" at {u(m.gate)}" for m in ms if m.gate)
            for ms, _ in rest))
        also_ko = list(dict.fromkeys(
            "+".join(m.kind for m in ms) + "".join(f"(`gate` {u(m.gate)})" for m in ms if m.gate)
            for ms, _ in rest))
        return Search(Diagnosis(kind, gate, f"the claimed {claimed} is what you get with {en}",
                                f"{ko}면 주장한 값({claimed})이 그대로 나옵니다.", value, also,
                                en, ko, also_ko),
                      self.tried, *partial)


def _between(model, src, dst):
    """The nodes on some path from src to dst (both included)."""
    anc = model.ancestors(dst)
    return {n for n in anc if src in model.ancestors(n)}


def _safe(fn, *args):
    try:
        return fn(*args)
    except (SymgradError, ArithmeticError, ValueError):
        return None


def _transposed(model, name):
    """W1_21 for W1_12 (or W_2_1 for W_1_2), when that input exists; else None."""
    m = _ENTRY.fullmatch(name)
    if not m:
        return None
    square = m.group(1) is not None            # W1_12, else W_1_2
    prefix, i, j = m.groups()[:3] if square else m.groups()[3:]
    other = f"{prefix}{j}{i}" if square else f"{prefix}{j}_{i}"
    return other if i != j and other in model.graph.nodes else None


# --- rounding: the numbers the claims file printed earlier, used in place of the exact ones ------
def _held(results, claims, kind):
    return [o for o in claims if o.kind == kind and results[o.number].holds]


def _rounding_variants(model, c, claims, results):
    """(Mistake, forward pins, sweep pins, decimals) for each way of rounding that applies."""
    u = model.user_name
    fwd = {o.value: o.equals for o in _held(results, claims, "value") if o.value != c.value}
    sweep = {}
    for o in _held(results, claims, "gradient"):
        if o.of == (c.of if c.kind == "gradient" else model.output) and o is not c:
            sweep[o.wrt] = o.equals
    for o in _held(results, claims, "local"):
        gate = model.graph.nodes[o.of]
        pos = [p for p, a in gate.differentiable_args() if model.graph.node_of(a) is not None
               and model.graph.node_of(a).name == o.wrt]
        if len(pos) == 1 and o is not c:
            sweep[(o.of, pos[0])] = o.equals
    out = []
    if fwd or sweep:
        shown = ", ".join(f"{u(k)} = {v:.15g}" for k, v in list(fwd.items())[:3]) or \
            ", ".join(f"{v:.15g}" for v in list(sweep.values())[:3])
        more = ", …" if len(fwd) + len(sweep) > 3 else ""
        m = Mistake("rounding", "", f"the rounded values printed earlier ({shown}{more})",
                    f"앞에서 적은 반올림된 값({shown}{more})으로 계산하")
        out.append((m, fwd, sweep, None))
    places = {o.decimals for o in _held(results, claims, "value")} | {c.decimals}
    for d in sorted(p for p in places if p is not None)[:3]:
        out.append((Mistake("rounding", "", f"every intermediate value rounded to {d} decimals",
                            f"모든 중간값을 소수 {d}자리로 반올림해서 계산하"), None, None, d))
    return out


# --- the searches, one per kind of claim --------------------------------------------------------
def _keeps(model, c, comp, claims, results):
    """fn(mistake) -> whether every held backward step of the file's output still holds with it."""
    steps = [o for o in claims if o is not c and results[o.number].holds and (
        o.kind in ("local", "downstream") or (o.kind == "gradient" and o.of == comp.output))]

    def keeps(m):
        for o in steps:
            if o.kind == "gradient":
                value = _safe(lambda o=o: wrong_adjoints(comp, m)[o.wrt])
            else:
                value = _safe(_edge_value, model, o, comp, m)
            if value is None or abs(value - o.equals) > o.tol:
                return False
        return True
    return keeps if steps else None


def _search_gradient(model, c, hits, claims, results):
    comp = computation(model.graph, c.of, model.point)
    if c.of == model.output:
        hits.keeps = _keeps(model, c, comp, claims, results)
    singles = gradient_mistakes(comp, _between(model, c.wrt, c.of), model.user_name)
    values = [_safe(lambda m=m: wrong_adjoints(comp, m)[c.wrt]) for m in singles]
    for m, value in zip(singles, values, strict=True):
        hits.consider((m,), value)
    lost_sign = singles[-1]            # gradient_mistakes ends with the whole sign lost
    for m, value in zip(singles, values, strict=True):
        if m is not lost_sign:
            hits.consider((m, lost_sign), None if value is None else -value)
    other = _transposed(model, c.wrt)
    if other is not None and c.of == model.output:
        u = model.user_name
        m = Mistake("transpose", c.wrt, f"the gradient in the transposed layout (∂{u(c.of)}/∂"
                    f"{u(other)} written for ∂{u(c.of)}/∂{u(c.wrt)})",
                    f"행렬 `gradient`를 전치해서 ∂{u(c.of)}/∂{u(other)} 값을 "
                    f"∂{u(c.of)}/∂{u(c.wrt)} 자리에 적으")
        hits.consider((m,), wrong_adjoints(comp, None)[other])
    for m, fwd, sweep, d in _rounding_variants(model, c, claims, results):
        pinned = _safe(computation, model.graph, c.of, model.point, fwd, d)
        if pinned is not None:
            hits.consider((m,), _safe(lambda p=pinned, s=sweep: wrong_adjoints(p, None, s)[c.wrt]))


def _edge_value(model, c, comp, m, pins=None):
    """A local or downstream claim's quantity with mistake ``m`` (positions where wrt is read)."""
    gate = model.graph.nodes[c.of]
    local = 0.0
    for pos, a in gate.differentiable_args():
        node = model.graph.node_of(a)
        if node is not None and node.name == c.wrt:
            local += local_value(comp, m, c.of, pos)
    if c.kind == "local":
        return local
    return wrong_adjoints(comp, m, pins)[c.of] * local


def _search_edge(model, c, hits, claims, results):
    comp = computation(model.graph, model.output, model.point)
    hits.keeps = _keeps(model, c, comp, claims, results)
    if c.kind == "local":
        gate = model.graph.nodes[c.of]
        singles = [m for pos, _ in gate.differentiable_args() if (c.of, pos) in comp.locals
                   for m in local_rule_mistakes(comp, c.of, pos, model.user_name)]
        singles = [m for m in singles if m.local[0][1] in
                   {p for p, a in gate.differentiable_args()
                    if getattr(model.graph.node_of(a), "name", None) == c.wrt}]
    else:
        relevant = _between(model, c.of, model.output) | {c.wrt}
        singles = gradient_mistakes(comp, relevant, model.user_name)
    for m in singles:
        hits.consider((m,), _safe(_edge_value, model, c, comp, m))
    for m, fwd, sweep, d in _rounding_variants(model, c, claims, results):
        pinned = _safe(computation, model.graph, model.output, model.point, fwd, d)
        if pinned is not None:
            hits.consider((m,), _safe(_edge_value, model, c, pinned, None, sweep))


def _search_value(model, c, hits, claims, results):
    order = model.graph.topological_order(c.value)
    for m, fwd, _, d in _rounding_variants(model, c, claims, results):
        if fwd or d is not None:
            values = _safe(forward_values, model.graph, model.point, order, fwd, d)
            hits.consider((m,), None if values is None else values[0][c.value])


def _walk(model, c, grad_mistake, update):
    """The claim's value after its steps, with a gradient mistake and/or an update mistake."""
    lr = update.lr_of(c.lr) if update is not None and update.lr_of else c.lr
    if grad_mistake is None:           # the right gradient: the shared compiled path
        sign = 1.0 if update is not None and update.update_sign else -1.0
        points = model.path_points(c, lr, sign)
        if len(points) <= c.steps:
            return None                 # it diverged
        point = points[c.steps]
        if c.value in c.params:
            return point[c.value]
        return forward_values(model.graph, point,
                              model.graph.topological_order(c.value))[0][c.value]
    point = dict(model.point)
    for _ in range(c.steps):
        adj = wrong_adjoints(computation(model.graph, model.output, point), grad_mistake)
        for p in c.params:
            g = adj.get(p, 0.0)
            point[p] = point[p] + lr * g if update is not None and update.update_sign \
                else sgd_step(point[p], g, lr)
    if c.value in c.params:
        return point[c.value]
    return forward_values(model.graph, point, model.graph.topological_order(c.value))[0][c.value]


def _rounded_update(model, c, hits, claims, results):
    """One step from the product of the held claims that pin ∂E/∂w (the printed factors)."""
    if c.steps != 1 or c.value not in c.params or len(c.params) != 1:
        return
    chain = _pinned(model, _held(results, claims, "gradient") + _held(results, claims, "local"),
                    c.value)
    if not chain:
        return
    g = math.prod(o.equals for o in chain)
    shown = " × ".join(f"{o.equals:.15g}" for o in chain)
    m = Mistake("rounding", "", f"the printed factors of the gradient ({shown})",
                f"앞에서 적은 `gradient` 인수들({shown})로 계산하")
    hits.consider((m,), sgd_step(model.point[c.value], g, c.lr))


def _search_steps(model, c, hits, claims, results):
    _rounded_update(model, c, hits, claims, results)
    comp = computation(model.graph, model.output, model.point)
    relevant = set().union(*(_between(model, p, model.output) for p in c.params))
    grads = gradient_mistakes(comp, relevant, model.user_name)
    updates = update_mistakes(c.lr)
    for u in updates:
        hits.consider((u,), _safe(_walk, model, c, None, u))
    if len(grads) * (len(updates) + 1) * c.steps > SWEEP_BUDGET:
        return (f"the {len(grads)} gradient mistakes were not tried over {c.steps} steps",
                f"`gradient` 실수 {len(grads)}가지는 {c.steps}번의 갱신에 걸쳐 시도하지 "
                f"않았습니다")
    for m in grads:
        hits.consider((m,), _safe(_walk, model, c, m, None))
    for m in grads:
        for u in updates:
            hits.consider((m, u), _safe(_walk, model, c, m, u))
    return "", ""


def diagnose(model, c, claims, results):
    """The known mistake that gives failing claim c's number, searched honestly (a Search)."""
    hits = _Hits(model, c, results[c.number].correct)
    partial = ("", "")          # (English, Korean): what a bounded search left out
    if c.kind == "gradient":
        _search_gradient(model, c, hits, claims, results)
    elif c.kind in ("local", "downstream"):
        _search_edge(model, c, hits, claims, results)
    elif c.kind == "after_steps":
        partial = _search_steps(model, c, hits, claims, results)
    else:
        _search_value(model, c, hits, claims, results)
    return hits.result(partial)


def none_found(c, search):
    """The honest sentence when no mistake gives the number."""
    partial = f"; {search.partial}" if search.partial else ""
    return (f"no single known mistake gives {c.equals:.15g} "
            f"({search.tried} tried{partial})")


def none_found_ko(c, search, what="주장한 값"):
    """The same in Korean; ``what`` names the number ("원문 값" for a post's erratum)."""
    partial = f" {search.partial_ko}." if search.partial_ko else ""
    return (f"알려진 실수 하나로는 {what}({c.equals:.15g})이 나오지 않습니다"
            f"(실수 {search.tried}가지를 시도했습니다).{partial}")
