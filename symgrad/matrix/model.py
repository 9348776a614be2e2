"""Matrix-level models: named variables with shapes and gates between them.

A :class:`MatrixModel` is the matrix counterpart of :class:`symgrad.graph.Graph`:
inputs with shapes (``model.input("x", (64, 1000))``) and gates that apply an
operation of the rule table (``matrix/rules.py``) to earlier nodes. Gates are
built with ordinary Python operators on :class:`Var` handles::

    m = MatrixModel("mlp-2layer")
    x, w1 = m.input("x", (N, D)), m.input("w1", (D, H))
    h = m.let("h", sigmoid(x @ w1))

Every gate's shape is computed (and checked) when it is created, so a mismatch
fails at once, naming both shapes.
"""

import keyword
import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import LimitError, SymgradError
from .rules import MATRIX_RULES, ShapeMismatch, check_shapes
from .sweep import latex_name, reverse_sweep

# Bounds that keep every matrix model within memory and seconds: an array (input or gate) has at
# most MAX_ENTRIES entries (80 MB of float64); a matrix product at most MAX_PRODUCT
# multiply-adds (see rules.matmul_shape).
MAX_ENTRIES = 10_000_000


@dataclass
class MatrixNode:
    name: str
    op: str                      # "input" or a key of MATRIX_RULES
    args: tuple = ()             # names of argument nodes, or Python numbers (constants)
    shape: tuple = ()
    params: tuple = ()           # constant parameters of the op (e.g. the margin of hinge)

    @property
    def is_input(self):
        return self.op == "input"


@dataclass
class MatrixModel:
    """Matrix variables with shapes and the gates computed from them; the last gate is the
    output."""

    name: str = "model"
    nodes: dict = field(default_factory=dict)
    output: str = None
    params: tuple = ()               # the trainable inputs (default wrt)
    data: tuple = ()                 # inputs that come from data
    description: str = ""
    defaults: object = None          # callable(seed) -> {input: ndarray}, or None
    _counter: int = 0

    # --- building ---------------------------------------------------------------------------
    def input(self, name, shape):
        """A matrix (or vector, or scalar) variable of the model."""
        _check_name(name)
        if name in self.nodes:
            raise SymgradError(f"model {self.name!r} already has a node named {name!r}")
        shape = tuple(int(n) for n in shape)
        if math.prod(shape) > MAX_ENTRIES:
            raise LimitError(f"input {name!r}: shape {shape} has {math.prod(shape):,} entries; an "
                             f"array of a matrix model has at most {MAX_ENTRIES:,}")
        if any(n <= 0 for n in shape):
            raise ShapeMismatch(f"input {name!r}: every dimension must be positive, "
                                f"got shape {shape}")
        self.nodes[name] = MatrixNode(name, "input", (), shape)
        return Var(self, name)

    def gate(self, op, args, params=(), name=None):
        rule = MATRIX_RULES[op]
        if name is None:
            self._counter += 1
            name = f"n{self._counter}"
            while name in self.nodes:
                self._counter += 1
                name = f"n{self._counter}"
        _check_name(name)
        if name in self.nodes:
            raise SymgradError(f"model {self.name!r} already has a node named {name!r}")
        refs = []
        for a in args:
            if isinstance(a, Var):
                if a.model is not self:
                    raise SymgradError(f"gate {name!r} mixes variables of two models")
                refs.append(a.name)
            elif isinstance(a, (int, float)):
                refs.append(float(a))
            else:
                raise SymgradError(f"gate {name!r}: argument {a!r} is neither a variable "
                                   f"nor a number")
        shapes = [self.nodes[r].shape if isinstance(r, str) else () for r in refs]
        names = [r if isinstance(r, str) else repr(r) for r in refs]
        shape = check_shapes(op, rule, shapes, names, tuple(params))
        if math.prod(shape) > MAX_ENTRIES:
            raise LimitError(f"{op} of {', '.join(names)} would have shape {shape}, "
                             f"{math.prod(shape):,} entries; an array of a matrix model has at "
                             f"most {MAX_ENTRIES:,}")
        self.nodes[name] = MatrixNode(name, op, tuple(refs), shape, tuple(params))
        self.output = name
        return Var(self, name)

    def let(self, name, var):
        """Give the gate ``var`` the name ``name`` (``h = m.let("h", sigmoid(x @ w1))``)."""
        _check_name(name)
        node = self.nodes[var.name]
        if node.is_input or var.name == name:
            return var
        if name in self.nodes:
            raise SymgradError(f"model {self.name!r} already has a node named {name!r}")
        for other in self.nodes.values():
            if var.name in other.args:
                raise SymgradError(f"cannot rename {var.name!r}: it is already used by "
                                   f"{other.name!r}")
        del self.nodes[var.name]
        node.name = name
        self.nodes[name] = node
        if self.output == var.name:
            self.output = name
        var.name = name
        return var

    def set_output(self, var):
        self.output = var.name
        return self

    # --- reading ----------------------------------------------------------------------------
    @property
    def inputs(self):
        return [n.name for n in self.nodes.values() if n.is_input]

    @property
    def shapes(self):
        return {n.name: n.shape for n in self.nodes.values()}

    def labels(self):
        """Inputs used only as the labels of a loss (``Y`` of softmax_ce): they are data, and no
        gradient flows to them (the rule does not differentiate its label argument)."""
        as_label, as_operand = set(), set()
        for node in self.nodes.values():
            if node.is_input:
                continue
            arity = MATRIX_RULES[node.op].arity
            for i, a in enumerate(node.args):
                if isinstance(a, str):
                    (as_label if i >= arity else as_operand).add(a)
        return [n for n in self.inputs if n in as_label and n not in as_operand]

    def arg_nodes(self, node):
        return [self.nodes[a] for a in node.args if isinstance(a, str)]

    def topological_order(self, output=None):
        """Nodes ``output`` depends on, inputs first (nodes are created in dependency order)."""
        output = output or self.output
        needed = {output}
        for node in reversed(list(self.nodes.values())):
            if node.name in needed:
                needed.update(a for a in node.args if isinstance(a, str))
        return [n for n in self.nodes if n in needed]

    def latex_lines(self, wrt=None):
        """The model and the gradient of each parameter as LaTeX lines (for documents)."""
        sweep = reverse_sweep(self, list(wrt or self.params or self.inputs))
        lines = [f"{latex_name(r.name)} = {r.formula.latex}" for r in sweep.forward
                 if not (r.op == "transpose" and r.name.startswith("n") and r.name[1:].isdigit())]
        out = latex_name(self.output)
        lines += [rf"\frac{{\partial {out}}}{{\partial {latex_name(w)}}} = {sweep.inlined[w].latex}"
                  for w in (wrt or self.params or self.inputs)]
        return lines

    def default_arrays(self, seed=0):
        if self.defaults is None:           # standard normal, reproducible: seed 0 unless given
            rng = np.random.default_rng(0 if seed is None else seed)
            return {n: rng.standard_normal(self.nodes[n].shape) for n in self.inputs}
        return self.defaults(seed)


@dataclass(eq=False)
class Var:
    """A handle on a node of a :class:`MatrixModel`, with the operators that build gates."""

    model: MatrixModel
    name: str

    @property
    def shape(self):
        return self.model.nodes[self.name].shape

    @property
    def T(self):                                   # the usual name
        return self.model.gate("transpose", (self,))

    def __matmul__(self, other):
        return self.model.gate("matmul", (self, other))

    def __rmatmul__(self, other):
        return self.model.gate("matmul", (other, self))

    def __add__(self, other):
        return self.model.gate("add", (self, other))

    def __radd__(self, other):
        return self.model.gate("add", (other, self))

    def __sub__(self, other):
        return self.model.gate("sub", (self, other))

    def __rsub__(self, other):
        return self.model.gate("sub", (other, self))

    def __mul__(self, other):                      # elementwise (Hadamard) product
        return self.model.gate("mul", (self, other))

    def __rmul__(self, other):
        return self.model.gate("mul", (other, self))

    def __truediv__(self, other):
        return self.model.gate("div", (self, other))

    def __neg__(self):
        return self.model.gate("neg", (self,))

    def __pow__(self, power):
        if not isinstance(power, (int, float)):
            raise SymgradError("a matrix power must be a constant number (elementwise power)")
        return self.model.gate("pow", (self, power))


def _model_of(args):
    for a in args:
        if isinstance(a, Var):
            return a.model
    raise SymgradError("an operation needs at least one matrix variable")


def op(name, *args, params=(), out=None):
    """Apply operation ``name`` of the rule table to ``args``; ``out`` names the gate."""
    return _model_of(args).gate(name, args, params=params, name=out)


def _check_name(name):
    if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)
            and not name.startswith("_")):
        raise SymgradError(f"{name!r} is not a valid variable name "
                           f"(letters, digits and _, not a keyword)")
