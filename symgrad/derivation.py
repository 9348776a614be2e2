"""``derive``: from a target (expression, program, catalog id or graph) to a :class:`Derivation`.

A :class:`Derivation` is plain data: the graph, the point, the forward rows,
the backward steps and the gradients. Views (the terminal text, JSON, the
documents of the ``render`` package) read it; none of them differentiates anything.
"""

from dataclasses import dataclass, field
from functools import cached_property

import sympy

from .backward import derive_graph, symbolic_adjoints
from .collector import fewer_collections
from .exprsize import larger_than, tree_size
from .graph import Graph
from .i18n import say
from .jsonout import dumps, json_number
from .names import check_wrt, split_names
from .point import check_point, parse_point, shapes_of
from .summary import short_repr
from .target import resolve
from .terminal import format_derivation

SYMBOLIC_LIMIT = 400      # above this many nodes, closed forms are not expanded into the inputs
CLOSED_FORM_NODES = 20_000  # a closed form bigger than this (tree nodes) is given one level deep
PATH_LIMIT = 8            # the chain-rule product is written path by path up to this many paths


@dataclass
class Omitted:
    """What a derivation leaves out because written out it would be unreadably large (and slow to
    write): the views say so, in their language, instead of printing it. Sizes are counted on the
    shared structure before anything is expanded (see exprsize.py)."""

    expression: bool          # the output is not written in the inputs (``Derivation.expanded``)
    closed_forms: list        # names whose closed form is given one chain-rule level deep instead
    nodes: int                # the graph's nodes
    symbolic_limit: int = SYMBOLIC_LIMIT      # above this many nodes nothing is expanded
    closed_form_nodes: int = CLOSED_FORM_NODES  # above this many terms a form is not written out

    def __bool__(self):
        return self.expression or bool(self.closed_forms)

    def sentence(self, lang="en"):
        """One sentence in ``lang`` ("en" or "ko") saying what is omitted and why ("" when nothing
        is)."""
        if not self:
            return ""
        if self.nodes > self.symbolic_limit:
            why = say("term_omitted_graph", lang, n=f"{self.nodes:,}",
                      limit=f"{self.symbolic_limit:,}")
        else:
            why = say("term_omitted_terms", lang, limit=f"{self.closed_form_nodes:,}",
                      each="each" if len(self.closed_forms) > 1 else "it")
        if not self.closed_forms:
            return say("term_omitted_expression", lang, why=why)
        names = ", ".join(self.closed_forms[:3])
        if len(self.closed_forms) > 3:
            names = say("term_and_more", lang, names=names,
                        count=f"{len(self.closed_forms) - 3:,}")
        return say("term_omitted_gradients", lang, names=names, why=why)


# Jupyter views of a Derivation, registered by the renderers: "markdown" | "latex" -> f(d) -> str
JUPYTER_VIEWS = {}


@dataclass
class Derivation:
    graph: Graph
    point: dict                      # input name -> float
    wrt: list                        # names whose gradients are reported
    sweep: object = field(repr=False)
    model: object = None             # the catalog model, when the target was one
    target: str = ""
    slug: str = ""                   # the documents' name (Problem.slug: catalog id, file stem)

    # --- numbers --------------------------------------------------------------------------
    @property
    def output(self):
        return self.graph.output

    @property
    def value(self):
        return self.sweep.values[self.output]

    @property
    def forward(self):
        return self.sweep.forward

    @property
    def steps(self):
        return self.sweep.steps

    @property
    def accumulations(self):
        return self.sweep.accumulations

    @property
    def values(self):
        """Forward value of every node."""
        return self.sweep.values

    @property
    def adjoints(self):
        """∂output/∂node for every node (inputs and gates)."""
        return self.sweep.adjoints

    @cached_property
    def gradients(self):
        """∂output/∂name for each name of ``wrt``."""
        return {name: self.sweep.adjoints[name] for name in self.wrt}

    @cached_property
    def inputs(self):
        return [n for n in self.sweep.values if self.graph.nodes[n].is_input]

    @cached_property
    def _steps_into(self):
        """node name -> the backward steps into it (one per gate reading it), in sweep order."""
        index = {}
        for step in self.steps:
            index.setdefault(step.input, []).append(step)
        return index

    def steps_into(self, name):
        """The backward steps whose input is ``name``, in sweep order."""
        return self._steps_into.get(name, [])

    # --- symbols --------------------------------------------------------------------------
    @cached_property
    def _expression_sizes(self):
        """node name -> nodes of its expression in the inputs (capped), counted, never built."""
        if len(self.sweep.values) > SYMBOLIC_LIMIT:
            return {}
        return self.graph.expression_sizes(CLOSED_FORM_NODES)

    @cached_property
    def expanded(self):
        """Whether closed forms are written in the inputs (small graphs) or node by node: not above
        SYMBOLIC_LIMIT nodes, nor when the output written in the inputs would be larger than
        CLOSED_FORM_NODES (a residual chain doubles at every line)."""
        return (len(self.sweep.values) <= SYMBOLIC_LIMIT
                and self._expression_sizes[self.output] <= CLOSED_FORM_NODES)

    def expression(self, name=None):
        """A node (default: the output) written in the inputs."""
        return self.graph.expression(name or self.output)

    @cached_property
    def symbolic_adjoints(self):
        """∂output/∂node in the node symbols, from the symbolic reverse sweep."""
        return symbolic_adjoints(self.graph)

    def closed_form(self, name):
        """∂output/∂name written in the inputs only (None for very large graphs, and when written
        out it would have more than CLOSED_FORM_NODES terms: counted before anything is built)."""
        if len(self.sweep.values) > SYMBOLIC_LIMIT:
            return None
        adjoint = self.symbolic_adjoints[name]
        gates = {self.graph.nodes[n].symbol: n for n in self.sweep.values
                 if not self.graph.nodes[n].is_input}
        sizes = {symbol: self._expression_sizes[n] for symbol, n in gates.items()}
        if tree_size(adjoint, CLOSED_FORM_NODES, sizes) > CLOSED_FORM_NODES:
            return None
        # only the gates the adjoint reads: expanding every gate would build the large ones
        subs = {s: self.graph.expression(gates[s]) for s in adjoint.free_symbols if s in gates}
        return adjoint.xreplace(subs)

    @cached_property
    def symbolic_gradients(self):
        """name -> closed form (SymPy) for each name of ``wrt``; one chain-rule level for huge
        graphs."""
        return self._symbolic[0]

    @cached_property
    def _symbolic(self):
        """(the symbolic gradients, the names whose closed form is given one level deep)."""
        out, one_level = {}, []
        for name in self.wrt:
            closed = self.closed_form(name)
            # deep chains grow ~cubically
            if closed is None or larger_than(closed, CLOSED_FORM_NODES):
                closed = self.one_level(name)
                one_level.append(name)
            out[name] = closed
        return out, one_level

    @cached_property
    def omitted(self):
        """What is left out as too large to read (:class:`Omitted`), for the views to say so."""
        if len(self.sweep.values) > SYMBOLIC_LIMIT:
            # no closed form is written out: known without building the one-level forms (a
            # document of 5,000 gradients shows values only and never asks for them)
            one_level = list(self.wrt)
        else:
            one_level = list(self._symbolic[1])
        return Omitted(not self.expanded, one_level, len(self.sweep.values))

    def one_level(self, name):
        """∂out/∂name = Σ ∂out/∂g · ∂g/∂name over the gates g reading ``name``, as SymPy."""
        terms = [sympy.Symbol(f"d{self.output}_d{step.gate}") * step.local
                 for step in self.steps_into(name)]
        return sympy.Add(*terms) if terms else sympy.S.Zero if name != self.output else sympy.S.One

    @cached_property
    def _uses(self):
        """node name -> the gates reading it, each once, in sweep order."""
        return {name: list(dict.fromkeys(step.gate for step in steps))
                for name, steps in self._steps_into.items()}

    def chain_paths(self, name, limit=PATH_LIMIT, max_edges=None):
        """Every path from ``name`` to the output, each a list of node names, or None if more
        than ``limit``, or if a path has more than ``max_edges`` edges (a view that cannot show
        a long product asks for None rather than for the paths it would drop)."""
        # A path is kept as a linked list (node, rest, edges) while it grows: copying a list at
        # every step would make a 10,000-gate chain cost 50 million copies. Every gate of
        # ``_uses`` leads to the output, so a prefix longer than ``max_edges`` is a path longer
        # than that: the walk stops there (a wide sum's 5,000 paths of 150 gates each were all
        # walked to their end, and dropped, by the terminal view).
        output, uses, paths, stack = self.output, self._uses, [], [(name, None, 0)]
        while stack:
            link = stack.pop()
            if link[0] == output:
                path = []
                while link is not None:
                    path.append(link[0])
                    link = link[1]
                paths.append(path[::-1])
                if len(paths) > limit:
                    return None
                continue
            edges = link[2] + 1
            if max_edges is not None and edges > max_edges:
                return None
            for gate in reversed(uses.get(link[0], [])):
                stack.append((gate, link, edges))
        return paths

    def named_factors(self, path):
        """The local gradients along ``path`` between the nodes the user named: a run of
        automatically named gates (n1, n2, …) is folded into one factor, so ``E = (y - o)**2``
        gives ∂E/∂o, not −1 and 2(y − o). Returns [(from, to, value)]."""
        factors, start, value = [], path[0], 1.0
        for a, b in zip(path, path[1:], strict=False):
            value *= float(self.edge_local(b, a))
            if b not in self.graph.unnamed or b == path[-1]:
                factors.append((start, b, value))
                start, value = b, 1.0
        return factors

    def edge_local(self, gate, arg):
        """∂gate/∂arg at the point (summing the positions where ``arg`` appears twice)."""
        return sum(s.local_value for s in self.steps_into(arg) if s.gate == gate)

    # --- views ----------------------------------------------------------------------------
    def to_json(self):
        """Plain data, as documented in the README ("JSON output of derive")."""
        return {
            "target": self.target,
            "model": self.model.id if self.model is not None else None,
            "output": self.output,
            "expression": sympy.sstr(self.expression()) if self.expanded else None,
            "value": json_number(self.value),
            "at": {k: json_number(v) for k, v in self.point.items()},
            "inputs": self.inputs,
            "wrt": list(self.wrt),
            "gradients": {k: json_number(v) for k, v in self.gradients.items()},
            "symbolic_gradients": {k: sympy.sstr(v) for k, v in self.symbolic_gradients.items()},
            "forward": [{"name": r.name, "op": r.op, "expr": sympy.sstr(r.expr),
                         "value": json_number(r.value), "args": r.args} for r in self.forward],
            "steps": [{"gate": s.gate, "op": s.op, "input": s.input,
                       "upstream": json_number(s.upstream), "local": sympy.sstr(s.local),
                       "local_value": json_number(s.local_value),
                       "downstream": json_number(s.downstream)} for s in self.steps],
            "accumulations": [{"node": a.node,
                               "parts": [{"from": g, "value": json_number(v)} for g, v in a.parts],
                               "total": json_number(a.total)} for a in self.accumulations],
        }

    def to_json_text(self):
        return dumps(self.to_json(), indent=2)

    def __str__(self):
        return format_derivation(self)   # terminal.py reads a Derivation, never imports this

    def text(self, lang="en"):
        """The terminal view in ``lang``: "en" (``str(d)``), "ko", or "both"."""
        return format_derivation(self, lang)

    # Jupyter display. The document renderers import this module, so it must not import them:
    # they register their views in JUPYTER_VIEWS instead (the render package does when it is
    # imported, which ``import symgrad`` does inside IPython). Unregistered: the plain text.
    def _repr_markdown_(self):
        """Jupyter: the derivation as a Markdown post, figures inline."""
        view = JUPYTER_VIEWS.get("markdown")
        return view(self) if view is not None else None

    def _repr_latex_(self):
        """Jupyter: the gradients as one display-math block."""
        view = JUPYTER_VIEWS.get("latex")
        return view(self) if view is not None else None

    def _repr_html_(self):
        """Jupyter: a compact card (summary, graph, gradients; the whole post folded)."""
        view = JUPYTER_VIEWS.get("html")
        return view(self) if view is not None else None

    def __repr__(self):
        return short_repr(self)        # the dataclass repr would print the graph and the sweep


@fewer_collections
def derive(target, at=None, wrt=None, output=None, matrix=False):
    """Derive ``target`` at a point.

    ``target``: an expression (``"(x+y)*z"``), a program's text, the path of a
    program file, a catalog id (``"linear-mse"``), a :class:`Graph`, a matrix model or a
    :class:`~symgrad.target.Problem` already resolved.
    ``at``: input name -> number (catalog models start from their default point).
    ``wrt``: the names whose gradients are reported (default: every input).
    ``output``: the program variable or node to differentiate (default: the last assigned).
    ``matrix``: for a catalog model with a matrix form (``relu-2layer``, …), derive that
    form at matrix level instead of the scalar program.
    """
    wrt = split_names(wrt)
    at = parse_point(at) if isinstance(at, str) else dict(at or {})
    problem = resolve(target, output=output, matrix=matrix, verb="derived", shapes=shapes_of(at))
    if problem.is_matrix:
        # lazy: the matrix engine (and its code generation) loads only for matrix problems
        from .matrix import derive_matrix

        return derive_matrix(problem.model, at=at, wrt=wrt, target=problem.label,
                             catalog=problem.entry, program=problem.program or "",
                             path=problem.path)
    graph = problem.graph
    point = dict(problem.defaults)
    point.update(at)
    order = graph.topological_order()
    inputs = [n for n in order if graph.nodes[n].is_input]
    point = check_point(point, inputs, set(graph.inputs))
    if wrt is None:
        wrt = problem.wrt or inputs
    check_wrt(wrt, order, graph.output, inputs, graph.nodes)
    sweep = derive_graph(graph, point)
    return Derivation(graph, {k: point[k] for k in inputs}, list(wrt), sweep, problem.entry,
                      problem.label, problem.slug)


