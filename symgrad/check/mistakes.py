"""The library of known backprop mistakes, each a small named change to the real reverse sweep.

A :class:`Mistake` does not compute anything by itself: :func:`wrong_adjoints` runs the one
reverse sweep (``backward.reverse_sweep``, with the rule table's local gradients) on the numbers
of a :class:`Computation` and applies the mistake's change on the way — one gate's local rule
replaced by its wrong variant, one fan-out contribution dropped (or written with ``=`` instead
of ``+=``), the upstream factor dropped above a gate, the whole sign lost. The update mistakes
(``update-sign``, ``learning-rate``) change the SGD step instead, and ``rounding`` changes the
numbers the sweep starts from; :mod:`.diagnosis` combines them.

Every kind has a stable name and one sentence in English and Korean (:data:`KINDS`); each
mistake found also says where, in both languages.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..backward import reverse_sweep
from ..errors import DomainError
from ..numeric import evaluate

# kind -> (English, Korean): what the mistake is, in one sentence.
KINDS = {
    "sign": ("A gradient got the wrong sign, for example the −1 of a subtraction gate taken as +1.",
             "`gradient`의 부호가 틀렸습니다. 예를 들어 뺄셈 `gate`의 −1을 +1로 썼습니다."),
    "fan-out": ("A node used by several gates got only some of its contributions "
                "(= instead of +=).",
                "여러 `gate`가 쓰는 노드에 기여가 일부만 더해졌습니다(+= 대신 =)."),
    "missing-upstream": ("The local gradient was reported as the gradient: the upstream factor "
                         "was dropped.",
                         "`local gradient`를 그대로 `gradient`로 적어서 `upstream` 인수가 "
                         "빠졌습니다."),
    "sigmoid-derivative": ("σ′ was taken as σ, as 1 − σ, or as σ(x)(1 − x) instead of σ(1 − σ).",
                           "σ′을 σ(1 − σ) 대신 σ, 1 − σ, 또는 σ(x)(1 − x)로 썼습니다."),
    "power-rule": ("The power rule was misapplied: d(s²)/ds taken as s, 2 or s² instead of 2s.",
                   "거듭제곱의 미분을 잘못했습니다. d(s²)/ds를 2s 대신 s, 2, 또는 s²로 썼습니다."),
    "relu-kink": ("At the kink, relu′(0) or abs′(0) was taken as 1 or ½ instead of 0.",
                  "꺾이는 점에서 relu′(0)이나 abs′(0)을 0 대신 1이나 ½로 썼습니다."),
    "update-sign": ("The step was written w + α·∂E/∂w: it climbs the loss instead of descending.",
                    "갱신을 w + α·∂E/∂w로 써서 손실을 줄이는 대신 키웠습니다."),
    "learning-rate": ("The step was taken with a different learning rate than stated (none, or "
                      "applied twice).",
                      "갱신에 적힌 것과 다른 학습률을 썼습니다"
                      "(학습률을 빼먹었거나 두 번 곱했습니다)."),
    "transpose": ("A matrix gradient was written in the transposed layout: entry (i, j) holds "
                  "∂/∂W_ji.",
                  "행렬 `gradient`를 전치된 배치로 적어서 (i, j) 자리에 ∂/∂W_ji가 들어갔습니다."),
    "rounding": ("The number is what the rounded intermediate values give.",
                 "중간값을 반올림한 뒤 계산하면 나오는 값입니다."),
}


@dataclass
class Computation:
    """The numbers of one output's graph at one point, as the sweep needs them."""
    graph: object
    output: str
    order: list
    edges: list               # [(gate Node, [SweepEdge])], from reverse_sweep, output first
    values: dict              # node name -> forward value
    env: dict                 # node symbol -> forward value
    locals: dict              # (gate name, position) -> local gradient value


def forward_values(graph, point, order, pins=None, decimals=None):
    """Forward values of ``order`` at ``point``; a gate named in ``pins`` takes that number instead
    of its own, and with ``decimals`` every gate's value is rounded before it is used again."""
    values, env = {}, {}
    for name in order:
        node = graph.nodes[name]
        value = float(point[name]) if node.is_input else evaluate(node.expr, env)
        if pins and name in pins:
            value = pins[name]
        elif decimals is not None and not node.is_input:
            value = round(value, decimals)
        values[name] = value
        env[node.symbol] = value
    return values, env


_EDGES = {}               # (id(graph), output) -> edge list; the structure is point-independent


def computation(graph, output, point, pins=None, decimals=None):
    """The forward values and local gradients of ``output``'s graph at ``point``."""
    key = (id(graph), output)
    if key not in _EDGES:
        order = graph.topological_order(output)
        _EDGES[key] = (order, list(reverse_sweep(graph, order)))
    order, edges = _EDGES[key]
    values, env = forward_values(graph, point, order, pins, decimals)
    locals_ = {}
    for gate, gate_edges in edges:
        for e in gate_edges:
            v = evaluate(e.local, env)
            locals_[(gate.name, e.position)] = round(v, decimals) if decimals is not None else v
    return Computation(graph, output, order, edges, values, env, locals_)


@dataclass(frozen=True)
class Mistake:
    """One known mistake at one place. ``en``/``ko`` say what was done and where."""
    kind: str
    gate: str = ""            # the node where it happens ("" for the whole computation)
    en: str = ""
    ko: str = ""
    # (gate name, position) and fn(gate Node, env, correct local) -> the wrong local value
    local: Optional[tuple] = None
    drop: tuple = ()          # (gate name, position) edges whose contribution is not added
    assign: str = ""          # a node whose contributions overwrite (=) instead of adding (+=)
    upstream_of: str = ""     # the sweep starts at this gate: the factors above it are dropped
    negate: bool = False      # the final gradient's sign lost
    generic: bool = False     # a sign flip of any local: reported after the specific mistakes
    # update mistakes: the step is w − lr_of(lr)·g, or w + … with update_sign
    update_sign: bool = False
    lr_of: Optional[Callable] = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)


def local_value(comp, m, gate, pos):
    """The local gradient of edge (gate, pos) as the mistake ``m`` computes it."""
    correct = comp.locals[(gate, pos)]
    if m is not None and m.local is not None and m.local[0] == (gate, pos):
        return m.local[1](comp.graph.nodes[gate], comp.env, correct)
    return correct


def wrong_adjoints(comp, m, pins=None):
    """∂output/∂node for every node, by the reverse sweep with mistake ``m`` applied.

    ``pins`` (rounding) maps a gate to the upstream gradient a student wrote for it, or a
    (gate, position) edge to the local gradient written for it."""
    adj = dict.fromkeys(comp.order, 0.0)
    adj[m.upstream_of if m is not None and m.upstream_of else comp.output] = 1.0
    for gate, edges in comp.edges:
        upstream = adj[gate.name]
        if pins and gate.name in pins:
            upstream = pins[gate.name]
        for e in edges:
            key = (gate.name, e.position)
            if m is not None and key in m.drop:
                continue
            local = pins[key] if pins and key in pins else local_value(comp, m, *key)
            if m is not None and m.assign == e.arg.name:
                adj[e.arg.name] = upstream * local        # "=" instead of "+=": the last one wins
            else:
                adj[e.arg.name] += upstream * local
    if m is not None and m.negate:
        adj = {k: -v for k, v in adj.items()}
    return adj


# --- the wrong local rules -------------------------------------------------------------------
# ``en`` completes "the claimed X is what you get with …"; ``ko`` is a verb stem that takes
# 면 ("…쓰면 주장한 값이 나옵니다") or, joined to a second mistake, 고.
def _arg(node, env, i=0):
    a = node.args[i]
    return env[a] if a in env else float(a)


_SIGMOID = [("σ′ = σ", lambda n, env, c: env[n.symbol]),
            ("σ′ = 1 − σ", lambda n, env, c: 1.0 - env[n.symbol]),
            ("σ′ = σ(x)(1 − x)", lambda n, env, c: env[n.symbol] * (1.0 - _arg(n, env)))]


def _power_variants(b):
    """d(s^b)/ds = b·s^(b−1), taken as s^(b−1) (the factor b dropped), b, or s^b."""
    head = f"d(s^{b:g})/ds"
    return [(f"{head} = s^{b - 1:g}" if b != 2 else f"{head} = s",
             lambda n, env, c: _arg(n, env) ** (b - 1)),
            (f"{head} = {b:g}", lambda n, env, c: b),
            (f"{head} = s^{b:g}", lambda n, env, c: _arg(n, env) ** b)]


def local_rule_mistakes(comp, gate, pos, show):
    """The wrong variants of the local rule of edge (gate, pos) that change its value here."""
    node = comp.graph.nodes[gate]
    correct = comp.locals[(gate, pos)]
    g = show(gate)
    found = []
    if correct != 0.0:
        if node.op in ("sub", "neg") and (pos == 1 or node.op == "neg"):
            what = "subtraction" if node.op == "sub" else "negation"
            en = f"the −1 of the {what} at gate {g} taken as +1"
            ko = f"`gate` {g}의 −1을 +1로 쓰"
        else:
            en = f"the local gradient of gate {g} taken with the wrong sign"
            ko = f"`gate` {g}의 `local gradient` 부호를 반대로 하"
        generic = not en.startswith("the −1")
        found.append(Mistake("sign", gate, en, ko, local=((gate, pos), lambda n, env, c: -c),
                             generic=generic))
    variants = []
    if node.op == "sigmoid":
        variants = [("sigmoid-derivative", t, fn) for t, fn in _SIGMOID]
    elif node.op == "pow" and pos == 0 and comp.graph.node_of(node.args[1]) is None:
        variants = [("power-rule", t, fn) for t, fn in _power_variants(float(node.args[1]))]
    elif node.op in ("relu", "abs") and _arg(node, comp.env) == 0.0:
        prime = "relu′(0)" if node.op == "relu" else "abs′(0)"
        variants = [("relu-kink", f"{prime} = {t}", lambda n, env, c, v=v: v)
                    for t, v in (("1", 1.0), ("½", 0.5))]
    for kind, rule, fn in variants:
        m = Mistake(kind, gate, f"{rule} at gate {g}", f"`gate` {g}에서 {rule} 규칙을 쓰",
                    local=((gate, pos), fn))
        try:
            if local_value(comp, m, gate, pos) != correct:
                found.append(m)
        except (ArithmeticError, DomainError, ValueError):
            continue
    return found


def gradient_mistakes(comp, relevant, show):
    """Every single gradient mistake along the nodes ``relevant`` (the paths the gradient takes):
    wrong local rules, dropped fan-out contributions, dropped upstream factors, the lost sign."""
    found, into = [], {}
    for gate, edges in comp.edges:
        if gate.name not in relevant:
            continue
        for e in edges:
            if e.arg.name not in relevant:
                continue
            into.setdefault(e.arg.name, []).append((gate.name, e.position))
            found += local_rule_mistakes(comp, gate.name, e.position, show)
    for node, parts in into.items():
        if len(parts) < 2:
            continue
        n = show(node)
        for gate, pos in parts:
            found.append(Mistake("fan-out", node,
                                 f"the contribution of {n} through gate {show(gate)} left out "
                                 f"of its fan-out sum",
                                 f"{n}의 `fan-out` 합에서 `gate` {show(gate)} 쪽 기여를 빼",
                                 drop=((gate, pos),)))
        found.append(Mistake("fan-out", node,
                             f"the gradients of {n} assigned (=) instead of summed (+=)",
                             f"{n}의 `gradient`를 더하지(+=) 않고 덮어쓰", assign=node))
    out = show(comp.output)
    for name in comp.order:
        if name in relevant and name != comp.output and not comp.graph.nodes[name].is_input:
            g = show(name)
            found.append(Mistake("missing-upstream", name,
                                 f"the upstream factor ∂{out}/∂{g} dropped at gate {g}",
                                 f"`gate` {g}에서 `upstream` 인수(∂{out}/∂{g})를 빼",
                                 upstream_of=name))
    found.sort(key=lambda m: m.generic)      # stable: the specific mistakes first
    found.append(Mistake("sign", "", "the sign of the whole product lost",
                         "곱 전체의 부호를 반대로 하", negate=True))
    return found


def update_mistakes(lr):
    """The SGD step written wrong: w + α·g, no α at all, α applied twice."""
    return [Mistake("update-sign", "", "the step w + α·∂E/∂w", "갱신을 w + α·∂E/∂w로 하",
                    update_sign=True),
            Mistake("learning-rate", "", "no learning rate (α = 1)",
                    "학습률 없이(α = 1) 갱신하", lr_of=lambda a: 1.0),
            Mistake("learning-rate", "", f"the learning rate applied twice (α² = {lr * lr:g})",
                    f"학습률을 두 번 곱해서(α² = {lr * lr:g}) 갱신하", lr_of=lambda a: a * a)]
