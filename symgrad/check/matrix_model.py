"""The model of a claims file whose program is a matrix program: names, arrays and correct values.

The [at] arrays give the shapes (the program is resolved with them, as ``--at`` does), and every
input needs one. Gradients of the inputs come from :func:`symgrad.derive` (a MatrixDerivation);
the value of any gate, and the upstream gradient ∂f/∂gate of any gate, come from the compiled
code of the same matrix sweep, extended to return every node (:func:`node_evaluator`), so a claim
about ``q`` is computed by the code that computes the gradients, not by a second implementation.
"""

import numpy as np

from ..codegen import BACKENDS, load_source, python_names
from ..derivation import derive
from ..errors import InputError, SymgradError
from ..matrix.codegen import helper_sources
from ..matrix.sweep import reverse_sweep
from ..optimizers import sgd_step
from .claims import Fields, unknown_name_hint

TABLE_ONLY = ("local", "downstream")


def node_evaluator(model):
    """A function of the inputs (by name) -> (values, adjoints): every node's forward value and,
    for each node the sweep reaches, ∂output/∂node, from the generated code of the matrix sweep."""
    order = model.topological_order()
    names = python_names(order)
    wrt = list(model.params or model.inputs)
    sweep = reverse_sweep(model, wrt, names)
    inputs = [n for n in order if model.nodes[n].is_input]
    lines = [BACKENDS["numpy"], "", *helper_sources(sweep.helpers)]
    lines.append(f"def values_and_adjoints({', '.join(names[n] for n in inputs)}):")
    lines += ["    " + line for line in sweep.forward_code + sweep.backward_code]
    values = ", ".join(f"{n!r}: {names[n]}" for n in order)
    adjoints = ", ".join(f"{n!r}: {code.code}" for n, code in sweep.adjoint_code.items())
    lines.append(f"    return {{{values}}}, {{{adjoints}}}")
    function = load_source("\n".join(lines) + "\n", "values_and_adjoints")

    def evaluate(arrays):
        with np.errstate(all="ignore"):
            values, adjoints = function(*[arrays[n] for n in inputs])
        shapes = model.shapes
        # a Seed or a broadcast constant may be a number where the node is an array: give every
        # gradient the shape of its node
        adjoints = {n: np.broadcast_to(np.asarray(g, dtype=float), shapes[n]).copy()
                    for n, g in adjoints.items()}
        return {n: np.asarray(v, dtype=float) for n, v in values.items()}, adjoints
    return evaluate


class MatrixClaimsModel:
    """A matrix program and the file's arrays; derivations and node values cached by output."""

    is_matrix = True

    def __init__(self, claims_file, problem):
        path, at, lay = claims_file.path, claims_file.at, claims_file.layout
        self.path, self.problem, self.data = path, problem, claims_file.data
        self.model = problem.model
        self.output = self.model.output
        self.position = {name: i for i, name in enumerate(self.model.nodes)}
        inputs = self.model.inputs
        at_fields = Fields(path, lay, ("at",), at, lay.headers.get(("at",)), "[at]")
        for name in at:
            if name not in inputs:
                at_fields.fail(name, f"{name!r} is given, but it is not an input "
                                     f"(inputs: {', '.join(inputs)})")
        missing = [n for n in inputs if n not in at]
        if missing:
            s = "s" if len(missing) > 1 else ""
            line = lay.headers.get(("at",))
            shapes = ", ".join(f"{n} {list(self.model.nodes[n].shape)}" for n in missing)
            raise InputError(f"{path}{f', line {line}' if line else ''}: no value for input{s} "
                             f"{', '.join(missing)} of the matrix program ({shapes}); add "
                             f"{'them' if s else 'it'} under [at] (name = [[...]])")
        self.point = {n: np.asarray(at[n], dtype=float) for n in inputs}
        self.at_line = lay.headers.get(("at",))
        self._problems, self._derivations, self._evaluators, self._numbers = {}, {}, {}, {}
        self._paths = {}

    # names
    def user_name(self, name):
        return name

    def node(self, claim, name, what, key):
        if name not in self.model.nodes:
            known = list(self.model.nodes)
            hint = unknown_name_hint(name, known)
            raise InputError(f"{claim.at(key)}: {what} names {name!r}, which is not a node of the "
                             f"matrix program ({hint})")
        return name

    def ancestors(self, name):
        return set(self.model.topological_order(name))

    def shape(self, name):
        return self.model.nodes[name].shape

    # numbers
    def problem_at(self, output, where):
        """The program differentiated at ``output`` (a scalar node of it)."""
        if output == self.output:
            return self.problem
        if output not in self._problems:
            try:
                self._problems[output] = self.problem.with_output(output)
            except SymgradError as exc:
                raise InputError(f"{where}: {exc}") from None
        return self._problems[output]

    def derivation(self, output, where=None):
        """The MatrixDerivation of ``output`` at the file's arrays (gradients of the inputs)."""
        if output not in self._derivations:
            problem = self.problem_at(output, where or self.path)
            model = problem.model
            wrt = list(model.params or model.inputs)
            try:
                self._derivations[output] = derive(problem, at={
                    n: self.point[n] for n in model.inputs}, wrt=wrt)
            except SymgradError as exc:
                raise InputError(f"{where or self.path}: {exc}") from None
        return self._derivations[output]

    def numbers(self, output, point=None, where=None):
        """(values, adjoints) of every node for ``output``, at the file's arrays or ``point``."""
        if output not in self._evaluators:
            self._evaluators[output] = node_evaluator(self.problem_at(output, where).model)
        if point is not None:
            return self._evaluators[output](point)
        if output not in self._numbers:
            self._numbers[output] = self._evaluators[output](self.point)
        return self._numbers[output]

    def path_points(self, claim):
        """The arrays after 0, 1, …, claim.steps SGD steps on claim.params (compiled code)."""
        key = (claim.lr, claim.params)
        points = self._paths.setdefault(key, [dict(self.point)])
        compiled = self.derivation(self.output, claim.where).compiled
        while len(points) <= claim.steps:
            here = points[-1]
            with np.errstate(all="ignore"):
                _, grads = compiled(**{n: here[n] for n in compiled.inputs})
            new = dict(here)
            for p in claim.params:
                new[p] = sgd_step(here[p], grads[p], claim.lr)
                if not np.all(np.isfinite(new[p])):
                    raise InputError(f"{claim.where}: the parameters diverge ({p} has a "
                                     f"non-finite entry after step {len(points)}); a smaller lr?")
            points.append(new)
        return points

    def evaluate(self, claim):
        """The correct value of a claim: an ndarray of the quantity's shape."""
        if claim.kind == "gradient":
            if claim.wrt in self.model.inputs:
                grads = self.derivation(claim.of, claim.where).gradients
                if claim.wrt in grads:
                    return np.asarray(grads[claim.wrt], dtype=float)
            _, adjoints = self.numbers(claim.of, where=claim.where)
            return adjoints.get(claim.wrt, np.zeros(self.shape(claim.wrt)))
        # a variable the output does not use is computed as an output of its own (a KeyError
        # otherwise: the output's code computes only what the output uses)
        output = self.output if claim.value in self.ancestors(self.output) else claim.value
        if claim.kind == "after_steps":
            point = self.path_points(claim)[claim.steps]
            return self.numbers(output, point, claim.where)[0][claim.value]
        return self.numbers(output, where=claim.where)[0][claim.value]


def resolve_matrix_names(model, claims):
    """Each claim's names checked against the matrix program's nodes (and its label set)."""
    labels = set(model.model.data)
    for c in claims:
        what = repr(c.key)
        if c.kind in TABLE_ONLY:
            raise InputError(f"{c.at(c.key)}: {what} claims name an edge of a scalar graph; for a "
                             f"matrix program claim a gradient (gradient = \"W\") or the "
                             f"upstream gradient of a gate (upstream = \"q\")")
        if c.kind == "gradient":
            c.of = model.output if c.of is None else model.node(c, c.of, what, c.key)
            c.wrt = model.node(c, c.wrt, what, c.key)
            if any(d != 1 for d in model.shape(c.of)):
                raise InputError(f"{c.at(c.key)}: {c.of!r} has shape {list(model.shape(c.of))}; "
                                 f"a gradient is taken of a single number (the output, or a "
                                 f"sum(...) of the program)")
            if c.wrt in labels:
                raise InputError(f"{c.at(c.key)}: {c.wrt!r} holds the labels of a loss (data); "
                                 f"symgrad does not differentiate with respect to labels")
            c.label = f"∂{c.of}/∂{c.wrt}"
            continue
        c.value = model.node(c, c.value, "'value'", "value")
        c.label = c.value
        if c.kind == "after_steps":
            for p in c.params:
                model.node(c, p, "'params'", "params")
                if p not in model.model.inputs or p in labels:
                    raise InputError(f"{c.at('params')}: 'params' names {p!r}, which is not a "
                                     f"parameter (parameters: {', '.join(model.model.params)})")
            c.label_ko = f"{c.steps}번 갱신한 뒤의 {c.label}"
            c.label += f" after {c.steps} step{'s' if c.steps > 1 else ''}"
