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
    values, env = {}, {}
    for name in order:
        node = graph.nodes[name]
        if node.is_input:
            if name not in point:
                raise InputError(f"no value for input {name!r}; give it with --at {name}=...")
            value = float(point[name])
        else:
            try:
                value = evaluate(node.expr, env)
            except DomainError as exc:
                why = str(exc).split(": ", 1)[-1]
                raise DomainError(f"gate {name!r} = {node.expr}: {why}") from None
        values[name] = value
        env[node.symbol] = value
    return values, env


def derive_graph(graph, point):
    """Forward values, backward steps and the gradient of every node, at ``point``."""
    order = graph.topological_order()
    values, env = forward_pass(graph, point, order)
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
    gates = reverse_sweep(graph, order)
    for gate, edges in progress(gates, len(order), "backward pass"):
        upstream = adjoints[gate.name]
        for edge in edges:
            try:
                local_value = evaluate(edge.local, env)
            except DomainError as exc:
                raise DomainError(f"local gradient of gate {gate.name!r} with respect to "
                                  f"{edge.arg.name!r}: {str(exc).split(': ', 1)[-1]}") from None
            downstream = upstream * local_value
            sweep.steps.append(Step(gate.name, gate.op, edge.arg.name, edge.position, upstream,
                                    edge.local, local_value, downstream))
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
    for gate, edges in reverse_sweep(graph, order):
        for edge in edges:
            adj[edge.arg.name] += adj[gate.name] * edge.local
    return adj
