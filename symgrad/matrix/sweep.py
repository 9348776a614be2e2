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

import re
from dataclasses import dataclass, field

import sympy

from ..errors import SymgradError
from ..names import check_wrt
from .rules import MATRIX_RULES, F, VJPContext

INLINE_LIMIT = 400      # characters: longer inlined formulas fall back to the named form


@dataclass
class MatrixForwardRow:
    name: str
    op: str
    label: str
    shape: tuple
    formula: F              # the gate written with its arguments
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
    rule: F                 # the vjp rule with G for the upstream
    downstream: F           # the rule with the upstream named


@dataclass
class MatrixSweep:
    order: list
    forward: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    named: dict = field(default_factory=dict)      # node -> F of ∂L/∂node in terms of ∂L/∂consumers
    inlined: dict = field(default_factory=dict)    # node -> F of ∂L/∂node substituted to the output
    parts: dict = field(default_factory=dict)      # node -> [gate] it receives gradient from (fan-out)
    forward_code: list = field(default_factory=list)
    backward_code: list = field(default_factory=list)
    adjoint_code: dict = field(default_factory=dict)  # node -> code of its adjoint (variable or alias)
    helpers: set = field(default_factory=set)


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
    from ..codegen import adjoint_names, python_names

    out_name = model.output
    if out_name is None:
        raise SymgradError(f"model {model.name!r} has no gates")
    order = model.topological_order()
    out_shape = model.nodes[out_name].shape
    if any(d != 1 for d in out_shape):
        raise SymgradError(f"the output {out_name!r} of {model.name!r} has shape {out_shape}; a loss must be "
                           f"a single number (wrap it in sum(...) or mean(...))")
    check_wrt(wrt, order, out_name, model.inputs)
    code_names = code_names or python_names(order)
    grad_names = adjoint_names(order, set(code_names.values()))
    sweep = MatrixSweep(order)

    shown = {}            # unnamed transposes read as Wᵀ in formulas, not as n4

    def leaf(ref):
        if isinstance(ref, str):
            if ref in shown:
                return F(code_names[ref], shown[ref].text, shown[ref].latex, atomic=True)
            return F(code_names[ref], ref, latex_name(ref), atomic=True)
        return F(repr(float(ref)), f"{ref:g}", f"{ref:g}", atomic=True)

    for name in order:
        node = model.nodes[name]
        if node.is_input:
            continue
        formula, helpers = MATRIX_RULES[node.op].forward([leaf(a) for a in node.args], node.params)
        if node.op == "transpose" and re.fullmatch(r"n\d+", name):
            shown[name] = formula
        sweep.helpers.update(helpers)
        sweep.forward.append(MatrixForwardRow(name, node.op, MATRIX_RULES[node.op].label, node.shape, formula,
                                              [a for a in node.args if isinstance(a, str)]))
        sweep.forward_code.append(f"{code_names[name]} = {formula.code}")

    # Which nodes need an adjoint: wrt and everything computed from them.
    reach = set(wrt)
    for name in order:
        node = model.nodes[name]
        if not node.is_input and any(a in reach for a in node.args if isinstance(a, str)):
            reach.add(name)

    seed_code = f"np.ones({out_shape})" if out_shape else "1.0"
    seed = F(seed_code, "1", "1", atomic=True, one=True)
    contributions = {out_name: [(seed, seed, seed)]}    # (code form, named form, inlined form)
    symbol_text = f"∂{out_name}/∂"

    def settle(name):
        parts = contributions.pop(name, [])
        if not parts:
            return None
        codes = [p[0].code for p in parts]
        if len(parts) == 1 and (parts[0][0].atomic and parts[0][0].code.isidentifier() or parts[0][0].one):
            sweep.adjoint_code[name] = parts[0][0]
        else:
            sweep.backward_code.append(f"{grad_names[name]} = {' + '.join(codes)}")
            sweep.adjoint_code[name] = F(grad_names[name], "", "", atomic=True)
        sweep.named[name] = _sum([p[1] for p in parts])
        inline = _sum([p[2] for p in parts])
        if len(inline.text) > INLINE_LIMIT:
            inline = F("", f"{symbol_text}{name}", rf"\frac{{\partial {latex_name(out_name)}}}"
                       rf"{{\partial {latex_name(name)}}}", atomic=True)
        sweep.inlined[name] = inline
        return sweep.adjoint_code[name]

    for name in reversed(order):
        node = model.nodes[name]
        if node.is_input or name not in reach:
            continue
        code_g = settle(name)
        if code_g is None:
            continue
        rule = MATRIX_RULES[node.op]
        args = [leaf(a) for a in node.args]
        shapes = [model.nodes[a].shape if isinstance(a, str) else () for a in node.args]
        upstream = f"{symbol_text}{name}"
        named_g = (code_g if code_g.one else
                   F(code_g.code, upstream, rf"\frac{{\partial {latex_name(out_name)}}}{{\partial {latex_name(name)}}}",
                     atomic=True))
        ctx = VJPContext(named_g, args, leaf(name), shapes, node.shape, node.params)
        named = rule.vjp(ctx)
        sweep.helpers.update(ctx.helpers)
        generic = rule.vjp(VJPContext(F("G", "G", "G", atomic=True), args, leaf(name), shapes, node.shape,
                                      node.params))
        inlined = rule.vjp(VJPContext(sweep.inlined[name], args, leaf(name), shapes, node.shape, node.params))
        for pos in range(rule.arity):
            arg = node.args[pos]
            if not isinstance(arg, str) or arg not in reach:
                continue
            sweep.steps.append(MatrixStep(name, node.op, rule.label, arg, pos, node.shape,
                                          model.nodes[arg].shape, upstream if not code_g.one else "1",
                                          generic[pos], named[pos]))
            contributions.setdefault(arg, []).append((named[pos], named[pos], inlined[pos]))
            sweep.parts.setdefault(arg, []).append(name)

    for w in wrt:
        if w not in sweep.adjoint_code and settle(w) is None:
            zero = F(f"np.zeros({model.nodes[w].shape})", "0", "0", atomic=True)
            sweep.adjoint_code[w] = sweep.named[w] = sweep.inlined[w] = zero
    return sweep


def _sum(forms):
    if len(forms) == 1:
        return forms[0]
    return F(" + ".join(f.code for f in forms), " + ".join(f.text for f in forms),
             " + ".join(f.latex for f in forms))
