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

from .errors import DomainError, InputError
from .numeric import evaluate
from .rules import rule_for


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
    local: object       # ∂gate/∂input, SymPy, in the gate's argument symbols and the gate's own symbol
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
                raise DomainError(f"gate {name!r} = {node.expr}: {str(exc).split(': ', 1)[-1]}") from None
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

    # Reverse sweep. ∂output/∂output = 1; every other adjoint starts at 0 and
    # accumulates (+=) one contribution per gate that reads the node.
    adjoints = {name: 0.0 for name in order}
    adjoints[graph.output] = 1.0
    parts = {}
    for name in reversed(order):
        node = graph.nodes[name]
        if node.is_input:
            continue
        upstream = adjoints[name]
        rule = rule_for(node.op)
        locals_ = rule.local(*node.args, out=node.symbol)
        for pos, arg in node.differentiable_args():
            arg_node = graph.node_of(arg)
            if arg_node is None:          # a constant argument receives no gradient
                continue
            local = locals_[pos]
            try:
                local_value = evaluate(local, env)
            except DomainError as exc:
                raise DomainError(f"local gradient of gate {name!r} with respect to {arg_node.name!r}: "
                                  f"{str(exc).split(': ', 1)[-1]}") from None
            downstream = upstream * local_value
            sweep.steps.append(Step(name, node.op, arg_node.name, pos, upstream, local,
                                    local_value, downstream))
            adjoints[arg_node.name] += downstream          # fan-out: gradients add
            parts.setdefault(arg_node.name, []).append((name, downstream))

    for name in order:
        if len(parts.get(name, ())) > 1:
            sweep.accumulations.append(Accumulation(name, parts[name], adjoints[name]))
    sweep.adjoints = adjoints
    return sweep


def symbolic_adjoints(graph):
    """∂output/∂node for every node, as SymPy expressions in the node symbols.

    The same sweep as :func:`derive_graph`, on symbols instead of numbers.
    """
    import sympy

    order = graph.topological_order()
    adj = {name: sympy.S.Zero for name in order}
    adj[graph.output] = sympy.S.One
    for name in reversed(order):
        node = graph.nodes[name]
        if node.is_input:
            continue
        locals_ = rule_for(node.op).local(*node.args, out=node.symbol)
        for pos, arg in node.differentiable_args():
            arg_node = graph.node_of(arg)
            if arg_node is not None:
                adj[arg_node.name] += adj[name] * locals_[pos]
    return adj
