"""The graph and point of a claims file: claim names resolved to nodes, derivations cached, the
parameter path of SGD steps, and the correct value of each claim."""
import dataclasses
import math
import os
import re

import numpy as np

from ..compile import compile as compile_graph
from ..derivation import derive
from ..errors import DomainError, InputError, ParseError, SymgradError, printable, quote
from ..optimizers import sgd_step
from ..point import shapes_of
from ..target import PROGRAM_SUFFIXES, resolve
from .claims import TARGET_KEYS, Fields, read_bounded, show, unknown_name_hint
from .matrix_model import MatrixClaimsModel


def _program_file(path, target, where):
    """The text of a program file a claims file names: resolved relative to the claims file,
    inside its folder, a regular file of a program suffix, read with a bound. None when
    ``target`` is program text rather than a file name."""
    if "\n" in target or len(target) > 4096:
        return None
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    if not target.strip().endswith(PROGRAM_SUFFIXES):
        named = target.strip()
        if named.startswith(("/", "./", "../", "~")) or os.path.lexists(named) or \
                os.path.lexists(os.path.join(folder, named)):
            local = os.path.join(folder, os.path.expanduser(named))
            kind = "a folder" if os.path.isdir(local) or os.path.isdir(named) else "a file"
            raise InputError(f"{where}: program {quote(target)} names {kind}, but 'program' must "
                             f"name a program file ending in {', '.join(PROGRAM_SUFFIXES)}")
        return None
    full = os.path.realpath(os.path.join(folder, os.path.expanduser(target.strip())))
    if os.path.commonpath([full, os.path.realpath(folder)]) != os.path.realpath(folder):
        raise InputError(f"{where}: program file {quote(target)} is outside the claims file's "
                         f"folder; a claims file may only name a program beside it or below it")
    if not os.path.lexists(full):
        raise InputError(f"{where}: no such program file {quote(target)} (relative to "
                         f"the claims file)")
    return read_bounded(full, "program file")


def _short(exc):
    """A parse error of a program file, quoting only the offending token, never the line."""
    text = str(exc)
    if isinstance(exc, ParseError) and exc.text is not None:
        token = ""
        if exc.col is not None and exc.line is not None:
            rows = str(exc.text).splitlines() or [""]
            row = rows[min(exc.line, len(rows)) - 1] if len(rows) > 1 else rows[0]
            token = (re.match(r"\S{0,20}", row[max(exc.col - 1, 0):]) or [""])[0]
        text = text.replace(f" in {quote(exc.text)}", f" at {quote(token)}" if token else "")
    return text


def _resolve_target(path, data, lay, shapes):
    """The file's program, model or expression as a resolved problem (``output`` applied).
    ``shapes``: the shapes of the [at] values; an array there makes the program a matrix program
    (as ``--at`` does)."""
    key = next(k for k in TARGET_KEYS if k in data)
    target = data[key]
    line = lay.keys.get(((), key))
    where = f"{printable(os.fspath(path))}{f', line {line}' if line else ''}"
    from_file = _program_file(path, target, where) if key == "program" else None
    try:
        if from_file is not None:
            try:
                problem = resolve(from_file, shapes=shapes)
            except SymgradError as exc:
                _refuse_unknown_shape(exc, path, lay)
                raise InputError(f"{where}: program file {quote(target)}: {_short(exc)}") from None
        else:
            problem = resolve(target, catalog_only=key == "model", shapes=shapes)
        if problem.is_matrix and problem.program is None:
            raise InputError(f"{where}: {target!r} is a matrix model of the catalog; claims files "
                             f"check scalar models and matrix programs (try symgrad check "
                             f"--gradcheck {target})")
        output = data.get("output")
        if output is not None and problem.is_matrix:
            problem = _matrix_output(problem, output, path, lay)
        elif output is not None:
            g = problem.graph
            if output not in g.variables and output not in g.nodes:
                known = ", ".join(n for n in g.nodes if n not in g.unnamed)
                oline = lay.keys.get(((), "output"))
                raise InputError(f"{path}{f', line {oline}' if oline else ''}: output {output!r} "
                                 f"is not a name of the {key} (names: {known})")
            problem = problem.with_output(output)
    except InputError as exc:
        if str(exc).startswith(printable(os.fspath(path))):
            raise
        raise InputError(f"{where}: {key}: {exc}") from None
    except SymgradError as exc:
        _refuse_unknown_shape(exc, path, lay)
        raise InputError(f"{where}: {key}: {exc}") from None
    return problem


# symgrad.matrix.program's message for an input without a shape; in a claims file the shape comes
# from the value under [at], so the message says that instead of its --at advice.
_UNKNOWN_SHAPE = re.compile(r"the shape of '([A-Za-z]\w*)' is not known")


def _refuse_unknown_shape(exc, path, lay):
    m = _UNKNOWN_SHAPE.match(str(exc))
    if m:
        line = lay.headers.get(("at",))
        name, at = m.group(1), f", line {line}" if line else ""
        raise InputError(f"{printable(os.fspath(path))}{at}: no value for input {name} of the "
                         f"matrix program; add it under [at] (as {name} = [[...]])") from None


def _matrix_output(problem, output, path, lay):
    """A matrix program differentiated at the file's ``output`` (a variable of it)."""
    oline = lay.keys.get(((), "output"))
    try:
        return problem.with_output(output)
    except SymgradError as exc:
        raise InputError(f"{path}{f', line {oline}' if oline else ''}: output: {exc}") from None


def claims_model(claims_file):
    """The model of a claims file: a :class:`ClaimsModel` for a scalar program, model or
    expression, a :class:`~.matrix_model.MatrixClaimsModel` for a matrix program."""
    shapes = shapes_of(claims_file.at)
    resolved = _resolve_target(claims_file.path, claims_file.data, claims_file.layout, shapes)
    if resolved.is_matrix:
        return MatrixClaimsModel(claims_file, resolved)
    return ClaimsModel(claims_file, resolved)


class ClaimsModel:
    """The file's graph and point; derivations cached by (output, point)."""

    is_matrix = False

    def __init__(self, claims_file, resolved=None):
        path, at, lay = claims_file.path, claims_file.at, claims_file.layout
        if resolved is None:
            resolved = _resolve_target(path, claims_file.data, lay, shapes_of(at))
        self.path, self.data = path, claims_file.data
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
            if isinstance(at[name], np.ndarray):
                at_fields.fail(name, f"{name!r} is an array of shape {at[name].shape}, but the "
                                     f"{_kind_of(self)} is scalar: give a number (arrays apply "
                                     f"to matrix programs)")
        self.point = {**{k: float(v) for k, v in resolved.defaults.items() if k in inputs}, **at}
        self.at_line = lay.headers.get(("at",))
        self._anc, self._derivations, self._paths, self._compiled = {}, {}, {}, {}

    # names
    def node(self, claim, name, what, key):
        name_ = self.graph.variables.get(name, name)
        if name_ not in self.graph.nodes:
            known = [n for n in self.graph.nodes if n not in self.graph.unnamed]
            hint = unknown_name_hint(name, known)
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

    def gradient_code(self, params):
        """Compiled ∂output/∂params (one function per set of parameters, shared by all claims)."""
        key = tuple(sorted(p for p in params if p in self.ancestors(self.output)))
        if key not in self._compiled:
            self._compiled[key] = compile_graph(self.graph, wrt=list(key)) if key else None
        return self._compiled[key]

    def path_points(self, claim, lr=None, sign=-1.0):
        """The parameter points after 0, 1, …, claim.steps SGD steps on claim.params, shared by
        every claim with the same (lr, params) and run on compiled code (each step would
        otherwise be a full derivation). ``lr``/``sign`` give the wrong steps diagnosis tries."""
        lr = claim.lr if lr is None else lr
        key = (lr, sign, claim.params)
        points = self._paths.setdefault(key, [dict(self.point)])
        if len(points) > claim.steps:
            return points
        f = self.gradient_code(claim.params)
        with np.errstate(all="ignore"):
            while len(points) <= claim.steps:
                here = points[-1]
                grads = f.function(*[here[n] for n in f.inputs])[1] if f is not None else {}
                new = dict(here)
                for p in claim.params:
                    g = float(grads.get(p, 0.0))
                    new[p] = sgd_step(here[p], g, lr) if sign < 0 else here[p] + lr * g
                    if not math.isfinite(new[p]):
                        if sign < 0 and lr == claim.lr:
                            raise InputError(f"{claim.where}: the parameters diverge ({p} is "
                                             f"{new[p]} after step {len(points)}); a smaller lr?")
                        return points
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


def _kind_of(model):
    return next((k for k in ("program", "expression", "model") if k in model.data), "program")


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
        if c.is_array:
            raw = show(c.fields.raw("equals"), c.equals.tolist())
            raise InputError(f"{c.at('equals')}: 'equals' must be a number, got {raw}: the "
                             f"{_kind_of(model)} is scalar (arrays are for matrix programs: "
                             f"with @, .T or sum(...), or array values under [at])")
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
            c.label_ko = f"{c.steps}번 갱신한 뒤의 {c.label}"
            c.label += f" after {c.steps} step{'s' if c.steps > 1 else ''}"
    names = [model.output] + [n for c in claims for n in (c.value, c.of) if n]
    missing = model.missing_inputs(names)
    if missing:
        s = "s" if len(missing) > 1 else ""
        at = f", line {model.at_line}" if model.at_line else ""
        raise InputError(f"{model.path}{at}: no value for input{s} {', '.join(missing)}; "
                         f"add {'them' if s else 'it'} under [at] in {model.path}")
