"""The forward pass and the reverse sweep, recorded step by step.

:func:`derive_graph` evaluates every gate at the point (forward pass), then
walks the gates from the output back to the inputs (reverse sweep). At each
gate, for each argument, it records one :class:`Step`:

    downstream = upstream × local

where ``upstream`` is ∂output/∂gate (complete by then, because every consumer
of the gate comes later in topological order) and ``local`` is ∂gate/∂argument
from the rule table. A node read by several gates receives one step from each,
and the steps *add* (fan-out): that sum is recorded as an :class:`Accumulation`.
"""

import math
import weakref
from dataclasses import dataclass, field

import sympy

from .errors import DomainError, InputError
from .numeric import evaluate
from .rules import rule_for
from .terminal import progress


@dataclass
class SweepEdge:
    """One edge of the reverse sweep, before any number: gate → argument, with ∂gate/∂argument."""

    gate: object        # the gate Node
    position: int       # which argument of the gate
    arg: object         # the argument's Node
    local: object       # SymPy, in the gate's argument symbols and the gate's own symbol


def gate_locals(node):
    """(position, argument, local gradient) for each differentiable argument, from the table."""
    locals_ = rule_for(node.op).local(*node.args, out=node.symbol)
    return [(pos, arg, locals_[pos]) for pos, arg in node.differentiable_args()]


# The local gradients of a graph's gates, built once per graph. A document sweeps the same graph
# several times (the loss curve's descent steps, the point after an update); SymPy's own cache
# holds 1,000 entries, so above ~1,000 gates it forgets them and every sweep rebuilt cos(h) for
# every gate (~0.5 ms each: most of the time of a 2,000-gate document). Entries are per gate and
# keep the Node they were built from: a node replaced under the same name is rebuilt.
_LOCALS = {}        # id(graph) -> (weak reference to the graph, {gate name: (Node, triples)})
_LOCALS_GRAPHS = 8  # graphs kept (a claims file derives a few; a test run thousands)


def cached_gate_locals(graph):
    """``locals_of`` for :func:`reverse_sweep`: :func:`gate_locals`, remembered for ``graph``."""
    key = id(graph)
    entry = _LOCALS.get(key)
    if entry is None or entry[0]() is not graph:
        if len(_LOCALS) >= _LOCALS_GRAPHS:
            _LOCALS.pop(next(iter(_LOCALS)))           # the oldest graph
        # the callback drops the entry when the graph is collected (its id may then be reused)
        ref = weakref.ref(graph, lambda _, key=key: _LOCALS.pop(key, None))
        entry = _LOCALS[key] = (ref, {})
    known = entry[1]

    def locals_of(node):
        hit = known.get(node.name)
        if hit is None or hit[0] is not node:
            hit = known[node.name] = (node, gate_locals(node))
        return hit[1]
    return locals_of


def reverse_sweep(graph, order, locals_of=gate_locals, within=None):
    """The one reverse sweep: from the output back, each gate with its edges to its arguments.

    Yields ``(gate, [SweepEdge])`` for the gates of ``order`` in reverse. Every consumer of a gate
    comes before it, so when a gate is reached its upstream gradient is complete. A constant
    argument gets no edge. ``locals_of(gate)`` gives the (position, argument, local) triples
    (the compiler passes its own, for fused gates and stable forms); ``within`` limits the
    sweep to a set of node names (the compiler's nodes that lead to a wanted gradient).
    """
    for name in reversed(order):
        gate = graph.nodes[name]
        if gate.is_input or (within is not None and name not in within):
            continue
        edges = []
        for pos, arg, local in locals_of(gate):
            arg_node = graph.node_of(arg)
            if arg_node is None or (within is not None and arg_node.name not in within):
                continue          # a constant argument receives no gradient
            edges.append(SweepEdge(gate, pos, arg_node, local))
        yield gate, edges


@dataclass
class ForwardRow:
    """One node of the forward pass."""

    name: str
    op: str
    label: str
    expr: object        # SymPy, in the gate's argument symbols
    value: float
    args: list          # names of the argument nodes


@dataclass
class Step:
    """One edge of the reverse sweep: gate → argument."""

    gate: str
    op: str
    input: str
    position: int       # which argument of the gate
    upstream: float     # ∂output/∂gate
    local: object       # ∂gate/∂input, SymPy, in the gate's argument symbols and its own symbol
    local_value: float
    downstream: float   # upstream × local


@dataclass
class Accumulation:
    """A node used by more than one gate: its gradient is the sum of the parts."""

    node: str
    parts: list         # [(gate, value)], in sweep order
    total: float


@dataclass
class Sweep:
    forward: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    accumulations: list = field(default_factory=list)
    values: dict = field(default_factory=dict)      # node name -> forward value
    adjoints: dict = field(default_factory=dict)    # node name -> ∂output/∂node


def forward_pass(graph, point, order):
    """Values of every node in ``order`` at ``point`` (input name -> float)."""
    values, env, _ = evaluate_forward(graph, point, order)
    return values, env


def evaluate_forward(graph, point, order):
    """:func:`forward_pass`, and the log gates computed as log-sigmoid at this point.

    IEEE float64 as PyTorch's (docs/conventions.md): an overflow is ±inf, a gate at a finite point
    outside its domain is a :class:`DomainError` naming the gate. The third result maps each
    log gate whose plain value is not finite, but which reads σ(z) or 1 − σ(z), to
    ``(sign, z)``: its value is then log σ(±z) = −softplus(∓z), as compiled code computes it.
    """
    values, env, fused = {}, {}, {}
    for name in order:
        node = graph.nodes[name]
        if node.is_input:
            if name not in point:
                raise InputError(f"no value for input {name!r}; give it with --at {name}=...")
            value = float(point[name])
        else:
            try:
                _check_power_base(graph, node, env)
                value = evaluate(node.expr, env)
            except DomainError as exc:
                value = _log_sigmoid_value(graph, node, env, fused)
                if value is None:
                    why = str(exc).split(": ", 1)[-1]
                    raise DomainError(f"gate {name!r} = {node.expr}: {why}") from None
        values[name] = value
        env[node.symbol] = value
    return values, env, fused


def _check_power_base(graph, node, env):
    """A negative base with a variable exponent is a domain error (docs/conventions.md), even where
    the value is real ((−1)**x at x = 1): the gradient in the exponent, a**b·log(a), is not."""
    if node.op != "pow" or graph.node_of(node.args[1]) is None:
        return
    base = evaluate(node.args[0], env)
    if base < 0:
        raise DomainError(f"cannot evaluate at this point: a negative base ({base:g}) with a "
                          "variable exponent is a domain error (the gradient in the exponent, "
                          "a**b·log(a), is not real)")


def _sigmoid_log(graph, node):
    """``(sign, z, σ node)`` when ``node`` is log σ(z) (sign 1) or log(1 − σ(z)) (sign −1)."""
    arg = graph.node_of(node.args[0]) if node.op == "log" else None
    if arg is not None and arg.op == "sigmoid":
        return 1, arg.args[0], arg
    if arg is not None and arg.op == "sub" and arg.args[0] == 1:
        sig = graph.node_of(arg.args[1])
        if sig is not None and sig.op == "sigmoid":
            return -1, sig.args[0], sig
    return None


def _log_sigmoid_value(graph, node, env, fused):
    """log σ(±z) = −softplus(∓z), exactly, for a log gate over σ whose plain value failed (σ(z)
    underflows to 0 below z ≈ −745, 1 − σ(z) rounds to 0 above z ≈ 37); None for any other gate."""
    found = _sigmoid_log(graph, node)
    if found is None:
        return None
    sign, z, _ = found
    t = -sign * evaluate(z, env)           # log σ(s) = −softplus(−s), with s = sign·z
    fused[node.name] = (sign, z)
    return -(max(t, 0.0) + math.log1p(math.exp(-abs(t))))


def stable_locals(graph, fused):
    """``locals_of`` for :func:`reverse_sweep`: the table's local gradients, except for the log
    gates computed as log-sigmoid, whose edge goes to z with d log σ(±z)/dz = ±(1 − σ(±z)), as in
    compiled code (1 − σ(z) for log σ(z), −σ(z) for log(1 − σ(z)): no division by σ)."""
    table = cached_gate_locals(graph)

    def locals_of(node):
        if node.name not in fused:
            return table(node)
        sign, z, sig = _sigmoid_log(graph, node)
        return [(0, z, 1 - sig.symbol if sign > 0 else -sig.symbol)]
    return locals_of


def local_value(gate, edge, env):
    """The number of ``edge.local`` at the point, in the stable form of the gate's record
    (``Primitive.stable``: elu's e^a as e^min(a, 0), a**b's PyTorch conventions at 0), which
    compiled code computes too; the recorded ``local`` keeps the rule's readable form."""
    rule = rule_for(gate.op)
    local = edge.local
    if rule.stable is not None:
        local = local.xreplace(rule.stable(*gate.args, out=gate.symbol))
    return evaluate(local, env)


def derive_graph(graph, point):
    """Forward values, backward steps and the gradient of every node, at ``point``."""
    order = graph.topological_order()
    values, env, fused = evaluate_forward(graph, point, order)
    sweep = Sweep(values=values)
    for name in order:
        node = graph.nodes[name]
        sweep.forward.append(ForwardRow(name, node.op, node.label, node.expr, values[name],
                                        [n.name for n in graph.arg_nodes(node)]))

    # ∂output/∂output = 1; every other adjoint starts at 0 and accumulates (+=) one
    # contribution per gate that reads the node.
    adjoints = {name: 0.0 for name in order}
    adjoints[graph.output] = 1.0
    parts = {}
    gates = reverse_sweep(graph, order, stable_locals(graph, fused))
    for gate, edges in progress(gates, len(order), "backward pass"):
        upstream = adjoints[gate.name]
        for edge in edges:
            try:
                number = local_value(gate, edge, env)
            except DomainError as exc:
                raise DomainError(f"local gradient of gate {gate.name!r} with respect to "
                                  f"{edge.arg.name!r}: {str(exc).split(': ', 1)[-1]}") from None
            downstream = upstream * number
            sweep.steps.append(Step(gate.name, gate.op, edge.arg.name, edge.position, upstream,
                                    edge.local, number, downstream))
            adjoints[edge.arg.name] += downstream          # fan-out: gradients add
            parts.setdefault(edge.arg.name, []).append((gate.name, downstream))

    for name in order:
        if len(parts.get(name, ())) > 1:
            sweep.accumulations.append(Accumulation(name, parts[name], adjoints[name]))
    sweep.adjoints = adjoints
    return sweep


def symbolic_adjoints(graph):
    """∂output/∂node for every node, as SymPy expressions in the node symbols.

    The same sweep as :func:`derive_graph`, on symbols instead of numbers.
    """
    order = graph.topological_order()
    adj = {name: sympy.S.Zero for name in order}
    adj[graph.output] = sympy.S.One
    for gate, edges in reverse_sweep(graph, order, cached_gate_locals(graph)):
        for edge in edges:
            adj[edge.arg.name] += adj[gate.name] * edge.local
    return adj
