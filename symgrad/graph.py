"""The computational graph: gates with a name, an op label and their inputs.

A :class:`Graph` is built by ``parse.py`` (or by hand through :meth:`Graph.add_gate`).
Every gate's SymPy expression is written in terms of its *arguments* — the symbols
of earlier nodes and constants — so each gate stays small however deep the
graph is. :meth:`Graph.expression` expands a node into the inputs when asked.
"""

from dataclasses import dataclass, field

import sympy

from .errors import InputError
from .exprsize import tree_size
from .rules import rule_for


@dataclass
class Node:
    """A value in the graph: an input (op ``"input"``) or a gate applying a primitive."""

    name: str
    op: str
    args: tuple           # SymPy: node symbols or constants; constant parameters last
    symbol: sympy.Symbol
    expr: sympy.Expr      # the gate written with its arguments; the symbol itself for an input
    source: str = ""      # the program text this gate came from

    @property
    def is_input(self):
        return self.op == "input"

    @property
    def label(self):
        return "input" if self.is_input else rule_for(self.op).label

    def differentiable_args(self):
        """The arguments gradients flow into, as (position, arg) pairs."""
        return list(enumerate(self.args[: rule_for(self.op).arity])) if not self.is_input else []


def make_symbol(name):
    return sympy.Symbol(name, real=True)


@dataclass
class Graph:
    nodes: dict = field(default_factory=dict)     # name -> Node, in creation order
    output: str = None
    source: str = ""
    variables: dict = field(default_factory=dict)  # program variable -> name of its last version
    unnamed: set = field(default_factory=set)      # gates that got an automatic name (n1, n2, …)

    def __post_init__(self):
        self._by_symbol = {n.symbol: n for n in self.nodes.values()}
        self._expanded = {}

    # --- building ------------------------------------------------------------------------
    def add_input(self, name):
        node = Node(name, "input", (), make_symbol(name), None)
        node.expr = node.symbol
        return self._add(node)

    def add_gate(self, op, args, name, source=""):
        """Add a gate applying primitive ``op`` to ``args`` (earlier nodes' symbols, constants)."""
        rule = rule_for(op)
        for a in args:
            if isinstance(a, sympy.Symbol) and a not in self._by_symbol:
                raise InputError(f"gate {name!r} uses {a}, which is not a node of the graph")
        symbol = make_symbol(name)
        return self._add(Node(name, op, tuple(args), symbol, rule.build(*args), source))

    def _add(self, node):
        if node.name in self.nodes:
            raise InputError(f"the graph already has a node named {node.name!r}")
        self.nodes[node.name] = node
        self._by_symbol[node.symbol] = node
        return node

    # --- reading -------------------------------------------------------------------------
    def node_of(self, symbol):
        return self._by_symbol.get(symbol)

    def arg_nodes(self, node):
        """The nodes among a gate's differentiable arguments, in order (repeats kept)."""
        return [self._by_symbol[a] for _, a in node.differentiable_args() if a in self._by_symbol]

    @property
    def inputs(self):
        """Names of the input nodes, in order of first use."""
        return [n.name for n in self.nodes.values() if n.is_input]

    def __len__(self):
        return len(self.nodes)

    def topological_order(self, output=None):
        """Names of the nodes ``output`` depends on, inputs first, ``output`` last.

        Iterative depth-first post-order, so a chain of any length works.
        """
        output = output or self.output
        order, state = [], {}          # state: 1 = on the stack, 2 = done
        stack = [(output, False)]
        while stack:
            name, children_done = stack.pop()
            if children_done:
                state[name] = 2
                order.append(name)
                continue
            if state.get(name):
                continue
            state[name] = 1
            stack.append((name, True))
            for arg in reversed(self.arg_nodes(self.nodes[name])):
                if not state.get(arg.name):
                    stack.append((arg.name, False))
        return order

    def expression(self, name=None):
        """Node ``name`` (default: the output) written in the input symbols only."""
        name = name or self.output
        if name not in self._expanded:
            for n in self.topological_order(name):
                if n in self._expanded:
                    continue
                node = self.nodes[n]
                if node.is_input:
                    self._expanded[n] = node.symbol
                else:
                    subs = {a: self._expanded[self._by_symbol[a].name]
                            for a in node.args if a in self._by_symbol}
                    self._expanded[n] = node.expr.xreplace(subs)
        return self._expanded[name]

    def expression_sizes(self, limit, output=None):
        """name -> how many nodes :meth:`expression` of it would have (at most ``limit + 1``),
        counted on the graph without building anything: 20 lines ``h += tanh(h)`` are a million
        nodes written out, and building them (SymPy asks questions of every new ``tanh``) or
        walking them (``xreplace``, printing) takes minutes."""
        sizes = {}
        for n in self.topological_order(output):
            node = self.nodes[n]
            if node.is_input:
                sizes[n] = 1
                continue
            leaves = {a: sizes[self._by_symbol[a].name] for a in node.args if a in self._by_symbol}
            sizes[n] = tree_size(node.expr, limit, leaves)
        return sizes

    def consumers(self, output=None):
        """name -> [(gate name, argument position)] reading it, within ``output``'s graph."""
        uses = {}
        for name in self.topological_order(output):
            node = self.nodes[name]
            for pos, arg in node.differentiable_args():
                arg_node = self._by_symbol.get(arg)
                if arg_node is not None:
                    uses.setdefault(arg_node.name, []).append((name, pos))
        return uses
