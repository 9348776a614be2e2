"""The matrix-level reverse sweep: one step per matrix gate, formulas and code together.

:func:`reverse_sweep` walks a :class:`~symgrad.matrix.model.MatrixModel` from the
output back to the inputs. At each gate, for each differentiable argument, the
rule table gives the downstream gradient as a formula of the upstream gradient
G = ∂L/∂gate (e.g. matmul: ∂L/∂A = G·Bᵀ). The sweep records

- a :class:`MatrixStep` per (gate, argument): upstream, the rule, downstream;
- per node, ∂L/∂node written two ways: *named* (in terms of ∂L/∂consumer) and
  *inlined* (upstream formulas substituted all the way to the output), which is
  the closed matrix formula of a parameter, e.g. ∂L/∂w1 = xᵀ·((2·r·w2ᵀ) ⊙ h ⊙ (1 − h));
- the NumPy lines of the same sweep (forward gates, then one line per adjoint),
  which ``codegen.py`` wraps into a function.

A node read by several gates gets one contribution from each, and they add.
"""

import functools
import re
from dataclasses import dataclass, field

import sympy

from ..codegen import adjoint_names, python_names
from ..errors import SymgradError
from ..names import check_wrt
from ..terminal import progress
from .formula import Expr, Name, Plus, Seed, Shown, Zeros, compound_anywhere, helpers_of
from .rules import MATRIX_RULES, VJPContext

INLINE_LIMIT = 400      # characters: longer inlined formulas fall back to the named form


@dataclass
class MatrixForwardRow:
    name: str
    op: str
    label: str
    shape: tuple
    formula: Expr           # the gate written with its arguments
    args: list


@dataclass
class MatrixStep:
    gate: str
    op: str
    label: str
    input: str
    position: int
    gate_shape: tuple
    input_shape: tuple
    upstream: str           # "∂L/∂gate"
    rule: Expr              # the vjp rule with G for the upstream
    downstream: Expr        # the rule with the upstream named


@dataclass
class MatrixSweep:
    order: list
    forward: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    named: dict = field(default_factory=dict)      # node -> ∂L/∂node in terms of ∂L/∂consumers
    inlined: dict = field(default_factory=dict)    # node -> ∂L/∂node substituted to the output
    parts: dict = field(default_factory=dict)      # node -> [gates it gets gradient from] (fan-out)
    forward_code: list = field(default_factory=list)
    backward_code: list = field(default_factory=list)
    adjoint_code: dict = field(default_factory=dict)  # node -> code of its adjoint (variable/alias)
    helpers: set = field(default_factory=set)


@functools.lru_cache(maxsize=100_000)     # a name is written many times (SymPy's printer is slow)
def latex_name(name):
    if name in ("lam", "lambda_"):      # lambda is a Python keyword: matrix models write lambda_
        return r"\lambda"
    if "__" in name or name.endswith("_"):  # SymPy would read these as (empty) scripts
        return r"\mathrm{" + name.replace("_", r"\_") + "}"
    if name.endswith("hat") and len(name) > 3:
        return rf"\hat{{{sympy.latex(sympy.Symbol(name[:-3]))}}}"
    return sympy.latex(sympy.Symbol(name))


def reverse_sweep(model, wrt, code_names=None):
    """Forward formulas and the reverse sweep of ``model`` for the gradients of ``wrt``."""
    out_name = model.output
    if out_name is None:
        raise SymgradError(f"model {model.name!r} has no gates")
    order = model.topological_order()
    out_shape = model.nodes[out_name].shape
    if any(d != 1 for d in out_shape):
        raise SymgradError(f"the output {out_name!r} of {model.name!r} has shape {out_shape}; "
                           f"a loss must be a single number (wrap it in sum(...) or mean(...))")
    read = set(order)
    check_wrt(wrt, order, out_name, [n for n in model.inputs if n in read], model.nodes)
    sweeper = _Sweeper(model, order, code_names or python_names(order))
    for name in order:
        if not model.nodes[name].is_input:
            sweeper.forward(name)

    # Which nodes need an adjoint: wrt and everything computed from them.
    reach = set(wrt)
    for name in order:
        node = model.nodes[name]
        if not node.is_input and any(a in reach for a in node.args if isinstance(a, str)):
            reach.add(name)

    seed = Seed(tuple(out_shape))
    sweeper.contributions[out_name] = [(seed, seed, seed)]
    for name in progress(list(reversed(order)), len(order), "matrix backward pass"):
        if not model.nodes[name].is_input and name in reach:
            sweeper.backward(name, reach)

    sweep = sweeper.sweep
    for w in wrt:
        if w not in sweep.adjoint_code and sweeper.settle(w) is None:
            zero = Zeros(tuple(model.nodes[w].shape))
            sweep.adjoint_code[w] = sweep.named[w] = sweep.inlined[w] = zero
    return sweep


class _Sweeper:
    """The state of one sweep: names, the contributions each node has received so far."""

    def __init__(self, model, order, code_names):
        self.model, self.code_names = model, code_names
        self.grad_names = adjoint_names(order, set(code_names.values()))
        self.sweep = MatrixSweep(order)
        self.shown = {}            # unnamed transposes read as Wᵀ in formulas, not as n4
        self.contributions = {}    # node -> [(code form, named form, inlined form)]
        self.out_name = model.output

    def leaf(self, ref):
        if isinstance(ref, str):
            if ref in self.shown:
                return Shown(self.code_names[ref], self.shown[ref])
            return Name(self.code_names[ref], ref, latex_name(ref))
        return Name(repr(float(ref)), f"{ref:g}", f"{ref:g}")

    def partial(self, name):
        """∂out/∂name in text and LaTeX."""
        return (f"∂{self.out_name}/∂{name}",
                rf"\frac{{\partial {latex_name(self.out_name)}}}{{\partial {latex_name(name)}}}")

    def forward(self, name):
        node, sweep = self.model.nodes[name], self.sweep
        formula = MATRIX_RULES[node.op].forward([self.leaf(a) for a in node.args], node.params)
        if node.op == "transpose" and re.fullmatch(r"n\d+", name):
            self.shown[name] = formula
        sweep.helpers.update(helpers_of(formula))
        sweep.forward.append(MatrixForwardRow(name, node.op, MATRIX_RULES[node.op].label,
                                              node.shape, formula,
                                              [a for a in node.args if isinstance(a, str)]))
        sweep.forward_code.append(f"{self.code_names[name]} = {formula.code}")

    def settle(self, name):
        """Add up the contributions ``name`` received; its adjoint in code (None if it got none)."""
        sweep, parts = self.sweep, self.contributions.pop(name, [])
        if not parts:
            return None
        first = parts[0][0]
        if len(parts) == 1 and (first.one or not compound_anywhere(first)
                                and first.code.isidentifier()):
            sweep.adjoint_code[name] = first            # an alias: nothing to compute
        else:
            codes = [p[0].code for p in parts]
            sweep.backward_code.append(f"{self.grad_names[name]} = {' + '.join(codes)}")
            sweep.adjoint_code[name] = Name(self.grad_names[name], "", "")
        sweep.named[name] = _sum([p[1] for p in parts])
        inline = _sum([p[2] for p in parts])
        if len(inline.text) > INLINE_LIMIT:
            inline = Name("", *self.partial(name))
        sweep.inlined[name] = inline
        return sweep.adjoint_code[name]

    def backward(self, name, reach):
        """The steps of gate ``name``: its rule applied to its (settled) upstream gradient."""
        code_g = self.settle(name)
        if code_g is None:
            return
        model, sweep = self.model, self.sweep
        node, rule = model.nodes[name], MATRIX_RULES[model.nodes[name].op]
        args = [self.leaf(a) for a in node.args]
        shapes = [model.nodes[a].shape if isinstance(a, str) else () for a in node.args]
        upstream = self.partial(name)
        named_g = code_g if code_g.one else Name(code_g.code, *upstream)

        def vjp(g):
            return _vjp(node.op, rule, VJPContext(g, args, self.leaf(name), shapes, node.shape,
                                                  node.params))

        named = vjp(named_g)
        for formula in named:
            sweep.helpers.update(helpers_of(formula))
        generic, inlined = vjp(Name("G", "G", "G")), vjp(sweep.inlined[name])
        for pos in range(rule.arity):
            arg = node.args[pos]
            if not isinstance(arg, str) or arg not in reach:
                continue
            sweep.steps.append(MatrixStep(name, node.op, rule.label, arg, pos, node.shape,
                                          model.nodes[arg].shape,
                                          upstream[0] if not code_g.one else
                                          _ones_text(node.shape),
                                          generic[pos], named[pos]))
            self.contributions.setdefault(arg, []).append((named[pos], named[pos], inlined[pos]))
            sweep.parts.setdefault(arg, []).append(name)


def _vjp(op, rule, ctx):
    """The rule's formulas, one per differentiable argument; another count is a bug of the rule."""
    formulas = tuple(rule.vjp(ctx))
    if len(formulas) != rule.arity:
        raise SymgradError(f"the matrix rule of {op!r} returned {len(formulas)} gradients for "
                           f"{rule.arity} differentiable argument{'s' * (rule.arity != 1)}")
    return formulas


def _ones_text(shape):
    """The upstream of a gate the seed reaches unchanged: 1 for a number, 𝟙 for an array."""
    return "1" if all(d == 1 for d in shape) else "𝟙"


def _sum(forms):
    return forms[0] if len(forms) == 1 else Plus(tuple(forms))
