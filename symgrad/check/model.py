"""The graph and point of a claims file: claim names resolved to nodes, derivations cached, the
parameter path of SGD steps, and the correct value of each claim."""
import dataclasses
import difflib
import math

from ..derivation import derive
from ..errors import DomainError, InputError, SymgradError
from ..optimizers import sgd_step
from ..target import resolve
from .claims import TARGET_KEYS, Fields


def _resolve_target(path, data, lay):
    """The file's program, model or expression as a resolved problem (``output`` applied)."""
    key = next(k for k in TARGET_KEYS if k in data)
    target = data[key]
    line = lay.keys.get(((), key))
    where = f"{path}{f', line {line}' if line else ''}"
    try:
        problem = resolve(target, catalog_only=key == "model")
        if problem.is_matrix:
            raise InputError(f"{where}: {target!r} is a matrix model; claims files check scalar "
                             f"models (try symgrad check --gradcheck {target})")
        output = data.get("output")
        if output is not None:
            g = problem.graph
            if output not in g.variables and output not in g.nodes:
                known = ", ".join(n for n in g.nodes if n not in g.unnamed)
                oline = lay.keys.get(((), "output"))
                raise InputError(f"{path}{f', line {oline}' if oline else ''}: output {output!r} "
                                 f"is not a name of the {key} (names: {known})")
            problem = problem.with_output(output)
    except InputError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise InputError(f"{where}: {key}: {exc}") from None
    except SymgradError as exc:
        raise InputError(f"{where}: {key}: {exc}") from None
    return problem


class ClaimsModel:
    """The file's graph and point; derivations cached by (output, point)."""

    def __init__(self, claims_file):
        path, at, lay = claims_file.path, claims_file.at, claims_file.layout
        resolved = _resolve_target(path, claims_file.data, lay)
        self.path = path
        self.graph = resolved.graph
        self.output = self.graph.output
        # creation order is topological
        self.position = {name: i for i, name in enumerate(self.graph.nodes)}
        inputs = set(self.graph.inputs)
        at_fields = Fields(path, lay, ("at",), at, lay.headers.get(("at",)), "[at]")
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
            raise InputError(f"{claim.at(key)}: {what} names {name!r}, which is not a node of the "
                             f"graph ({hint})")
        return name_

    def user_name(self, name):
        """The program variable a node stands for (its own name otherwise)."""
        for var, node in self.graph.variables.items():
            if node == name:
                return var
        return name

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
                new[p] = sgd_step(here[p], d.adjoints.get(p, 0.0), claim.lr)
                if not math.isfinite(new[p]):
                    raise InputError(f"{claim.where}: the parameters diverge ({p} is {new[p]} "
                                     f"after step {len(points)}); a smaller lr?")
            points.append(new)
        return points

    def evaluate(self, claim, point=None):
        """The correct value of a claim (at ``point`` instead of the file's, when given)."""
        if claim.kind == "gradient":
            d = self.derivation(claim.of, self.point if point is None else point, claim.where)
            return d.adjoints.get(claim.wrt, 0.0)
        if claim.kind in ("local", "downstream"):
            d = self.derivation(self.output, self.point if point is None else point, claim.where)
            local = d.edge_local(claim.of, claim.wrt)
            return local if claim.kind == "local" else d.adjoints[claim.of] * local
        if point is None and claim.kind == "after_steps":
            point = self.path_points(claim)[claim.steps]
        elif point is None:
            point = self.point
        return self.derivation(claim.value, point, claim.where).values[claim.value]


def _resolve_edge(model, c):
    """A local or downstream claim names an edge: a gate and one of its arguments."""
    u, what = model.user_name, repr(c.key)
    c.of, c.wrt = model.node(c, c.of, what, c.key), model.node(c, c.wrt, what, c.key)
    gate = model.graph.nodes[c.of]
    args = [] if gate.is_input else [a.name for a in model.graph.arg_nodes(gate)]
    if c.wrt not in args:
        reads = ", ".join(dict.fromkeys(u(a) for a in args)) or "nothing: it is an input"
        raise InputError(f"{c.at(c.key)}: {what} names {u(c.wrt)!r}, which gate {u(c.of)!r} "
                         f"does not read (it reads {reads})")
    if c.of not in model.ancestors(model.output):
        raise InputError(f"{c.at(c.key)}: gate {u(c.of)!r} does not feed the output "
                         f"{u(model.output)!r}")
    c.label = (f"local ∂{u(c.of)}/∂{u(c.wrt)}" if c.kind == "local"
               else f"∂{u(model.output)}/∂{u(c.of)} × ∂{u(c.of)}/∂{u(c.wrt)}")


def resolve_names(model, claims):
    """Each claim's names resolved to nodes of the model's graph (and its report label set)."""
    u = model.user_name
    for c in claims:
        what = repr(c.key)
        if c.kind == "gradient":
            c.of = model.output if c.of is None else model.node(c, c.of, what, c.key)
            c.wrt = model.node(c, c.wrt, what, c.key)
            c.label = f"∂{u(c.of)}/∂{u(c.wrt)}"
            continue
        if c.kind in ("local", "downstream"):
            _resolve_edge(model, c)
            continue
        c.value = model.node(c, c.value, "'value'", "value")
        c.label = u(c.value)
        if c.kind == "after_steps":
            params = []
            for p in c.params:
                name = model.node(c, p, "'params'", "params")
                if not model.graph.nodes[name].is_input:
                    raise InputError(f"{c.at('params')}: 'params' names {p!r}, which is "
                                     f"computed by the graph; parameters are inputs "
                                     f"(inputs: {', '.join(model.graph.inputs)})")
                params.append(name)
            c.params = tuple(params)
            c.label += f" after {c.steps} step{'s' if c.steps > 1 else ''}"
    names = [model.output] + [n for c in claims for n in (c.value, c.of) if n]
    missing = model.missing_inputs(names)
    if missing:
        s = "s" if len(missing) > 1 else ""
        at = f", line {model.at_line}" if model.at_line else ""
        raise InputError(f"{model.path}{at}: no value for input{s} {', '.join(missing)}; "
                         f"add {'them' if s else 'it'} under [at] in {model.path}")
