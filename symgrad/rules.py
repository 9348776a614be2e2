"""The primitive table: one record per primitive, everything symgrad knows about it.

Each :class:`Primitive` says how to build a gate (``build``), its local gradient per
differentiable argument (``local``, written once: ``sympy.diff`` of the function classes,
the numeric sweep, the compiled code, the plots and the matrix elementwise ops all read it),
how to print it, and whether to plot it. ``local(*args, out)`` returns one ∂out/∂arg per
differentiable argument, written with the arguments and the gate's own output ``out`` (so the
sigmoid rule reads σ(1 − σ), as the posts write it).

Parameters that are not differentiated (alpha of leaky_relu and elu) come after the
differentiable arguments; ``arity`` counts only the differentiable ones.

Conventions at kinks follow PyTorch: relu'(0) = 0, abs'(0) = sign(0) = 0, leaky_relu'(0) = alpha,
elu'(0) = alpha, and max/min split the gradient evenly between tied arguments.

To add a primitive: one record below, its note ``op_<name>`` in ``templates/strings.json``, and
tests (see ``docs/extending.md``). The table is checked when this module is imported.
"""

import math
from dataclasses import dataclass
from typing import Callable, Optional

import sympy
from sympy import Abs, Heaviside, S, Symbol, cos, exp, log, sign, sin, sqrt, tanh

from .errors import DomainError
from .functions import (
    PowBaseGrad,
    PowExponentGrad,
    Step,
    TieSplit,
    function_class,
    stable_sigmoid,
)


@dataclass(frozen=True)
class Primitive:
    """One primitive: how to build it, its local gradients, how to evaluate, print and plot it."""

    name: str
    arity: int                 # differentiable arguments
    build: Callable            # (*args, *params) -> sympy expression
    local: Callable            # (*args, *params, out) -> tuple of arity local gradients
    label: str                 # how a gate of this kind is called in a derivation
    params: tuple = ()         # constant parameters after the arguments (defaults below)
    defaults: tuple = ()
    function: Optional[type] = None   # the SymPy class a gate's expression is made of, if one
    numeric: Optional[Callable] = None  # floats -> float, for ``function`` (numeric.py)
    glyph: str = ""            # inside the gate's box in graph figures (default: the name)
    plot: Optional[tuple] = None  # (lo, hi): plotted with its derivative over this domain
    # Substitutions applied to the local gradients where they are computed (compiled code and
    # derive's numbers; the derivation shows the rule's form), where the rule's form overflows,
    # warns or misses PyTorch's convention although the value is finite:
    # (*args, *params, out) -> {expr: stable}.
    stable: Optional[Callable] = None
    callable: bool = True      # a user may call it by name: ``relu(x)``

    @property
    def note_key(self):
        """Its note in templates/strings.json (the documents explain the gate with it)."""
        return f"op_{self.name}"

    def code_locals(self, *args, out):
        """The local gradients as compiled code computes them (``stable`` applied)."""
        locals_ = self.local(*args, out=out)
        if self.stable is None:
            return locals_
        subs = self.stable(*args, out=out)
        return tuple(g.xreplace(subs) for g in locals_)


Rule = Primitive       # the older name (symgrad.matrix reads .arity .build .local .label .params)


def arithmetic(name, arity, build, local, label, glyph=""):
    return Primitive(name, arity, build, local, label, glyph=glyph, callable=False)


def builtin(name, function, numeric, local, plot=None, glyph=""):
    """A function SymPy has (exp, log, ...): SymPy builds, prints and evaluates it exactly."""
    return Primitive(name, 1, unevaluated_on_symbols(function), local, name, function=function,
                     numeric=numeric, glyph=glyph, plot=plot)


def unevaluated_on_symbols(function):
    """``function`` built without SymPy's evaluation when its argument is a bare symbol (a gate's
    input): there is nothing to evaluate then, and the checks cost much (sin(h) tries h/I, a new
    product for every gate of a chain), so the same expression is made directly."""
    def build(a):
        return function(a, evaluate=False) if isinstance(a, Symbol) else function(a)
    build.__name__ = function.__name__
    return build


_sin, _cos = unevaluated_on_symbols(sin), unevaluated_on_symbols(cos)


def activation(name, class_name, local, numeric, numpy, latex, *, arity=1, params=(),
               defaults=(), exact=None, formula=None, helpers=(), glyph="", plot=None,
               stable=None):
    """A primitive SymPy lacks: its SymPy class is made here from the same record.

    ``formula`` writes it with SymPy's functions, for ``rewrite(exp)`` only."""
    cls = function_class(class_name, arity + len(params), __name__, arity=arity, local=local,
                         numeric=numeric, exact=exact, formula=formula, text=name,
                         latex_head=latex, numpy=numpy, helpers=tuple(helpers))
    return Primitive(name, arity, cls, local, name, tuple(params), tuple(defaults), cls, numeric,
                     glyph, plot, stable)


ACTIVATION_DOMAIN = (-4.0, 4.0)


def _divide(a, b):
    # 2.5/0.0 of two SymPy Floats raises ZeroDivisionError inside mpmath, where 2.5/0 gives zoo:
    # a division by a zero number is zoo either way, refused by the parser as "division by zero".
    if b.is_Number and b.is_zero:
        return sympy.zoo
    return a / b


def _pow_local(a, b, out):
    """d(a^b)/da = b·a^(b − 1), d(a^b)/db = a^b·log(a) (used only when the exponent is a node).

    A constant base 0 has the exponent gradient 0 (0^b is 0 for every b > 0; PyTorch's
    ``pow_backward_exponent`` gives 0 for b ≥ 0); a constant negative base with a variable
    exponent is a domain error (a^b·log(a) is not real), refused here in one line."""
    if a.is_number and a.is_zero:
        return (b * a ** (b - 1), S.Zero)
    if a.is_number and a.is_negative and not b.is_number:
        power = sympy.sstr(sympy.Pow(a, b, evaluate=False))
        raise DomainError(f"{power}: a negative base ({a}) with a variable exponent is a domain "
                          f"error (its gradient in the exponent, {power}·log({a}), is not real)")
    return (b * a ** (b - 1), out * log(a))


def _pow_stable(a, b, out):
    """The local gradients of a^b as evaluated and compiled, with PyTorch's conventions: the base's
    is 0 where b = 0 (even at a = 0, where b·a^(b − 1) would be 0·∞), the exponent's is 0 where
    a = 0 and b ≥ 0 (where a^b·log(a) would be 0·(−∞), or 1·(−∞) at b = 0)."""
    subs = {}
    if not b.is_number:
        subs[b * a ** (b - 1)] = PowBaseGrad(a, b)
    if not a.is_number:
        subs[out * log(a)] = PowExponentGrad(out, a, b)
    return subs


# --- arithmetic ----------------------------------------------------------------------------------
_ARITHMETIC = [
    arithmetic("add", 2, lambda a, b: a + b, lambda a, b, out: (S.One, S.One), "+"),
    arithmetic("sub", 2, lambda a, b: a - b, lambda a, b, out: (S.One, S.NegativeOne), "−"),
    arithmetic("mul", 2, lambda a, b: a * b, lambda a, b, out: (b, a), "×"),
    # evaluated and compiled, ∂(a/b)/∂b is −(a/b)/b, as PyTorch computes it: b² of a tiny b
    # underflows (−1e-200/(1e-200)² would be −inf), the quotient of the quotient does not
    Primitive("div", 2, _divide, lambda a, b, out: (1 / b, -a / b**2), "÷", callable=False,
              stable=lambda a, b, out: {-a / b**2: -out / b}),
    arithmetic("neg", 1, lambda a: -a, lambda a, out: (S.NegativeOne,), "negate", "−x"),
    arithmetic("identity", 1, lambda a: a, lambda a, out: (S.One,), "copy"),
    Primitive("pow", 2, lambda a, b: a**b, lambda a, b, out: _pow_local(a, b, out), "power",
              callable=False, stable=lambda a, b, out: _pow_stable(a, b, out)),
]
# --- smooth functions ----------------------------------------------------------------------------
_SMOOTH = [
    builtin("exp", exp, math.exp, lambda a, out: (out,), plot=(-3.0, 2.0)),
    builtin("log", log, math.log, lambda a, out: (1 / a,), plot=(0.05, 4.0)),
    Primitive("sqrt", 1, sqrt, lambda a, out: (1 / (2 * out),), "sqrt", glyph="√",
              plot=(0.01, 4.0)),
    builtin("sin", sin, math.sin, lambda a, out: (_cos(a),)),
    builtin("cos", cos, math.cos, lambda a, out: (-_sin(a),)),
    builtin("tanh", tanh, math.tanh, lambda a, out: (1 - out**2,), plot=ACTIVATION_DOMAIN),
    activation("sigmoid", "Sigmoid", lambda a, out: (out * (1 - out),), stable_sigmoid,
               "_sigmoid({0})", r"\sigma", helpers=["_sigmoid"], glyph="σ",
               formula=lambda x: 1 / (1 + exp(-x)),
               exact=lambda x: S.Half if x.is_zero else None, plot=ACTIVATION_DOMAIN),
]
Sigmoid = _SMOOTH[-1].function
_SMOOTH += [
    # softplus(x) = log(1 + eˣ); its derivative is σ(x). In floats: max(x, 0) + log(1 + e^−|x|)
    activation("softplus", "Softplus", lambda a, out: (Sigmoid(a),),
               lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),
               "np.logaddexp(0.0, {0})", r"\operatorname{softplus}", plot=ACTIVATION_DOMAIN,
               formula=lambda x: log(1 + exp(x))),
    # silu(x) = x·σ(x) (also called swish); its derivative is σ(x)(1 + x(1 − σ(x)))
    activation("silu", "Silu", lambda a, out: (Sigmoid(a) * (1 + a * (1 - Sigmoid(a))),),
               lambda x: x * stable_sigmoid(x), "{0.factor}*_sigmoid({0})",
               r"\operatorname{silu}", helpers=["_sigmoid"], plot=ACTIVATION_DOMAIN,
               formula=lambda x: x / (1 + exp(-x))),
]


# --- kinks: values at the kink follow PyTorch ----------------------------------------------------
def _tie_split(a, b):
    """d max(a, b)/da: 1 where a > b, 1/2 on a tie (torch.maximum splits the gradient)."""
    return Heaviside(a - b, S.Half)


def _tie_compare(a, b):
    """Evaluated and compiled, the tie split compares a and b instead of forming a − b."""
    return {_tie_split(a, b): TieSplit(a, b), _tie_split(b, a): TieSplit(b, a)}


def _elu_exact(x, alpha):
    return x if x > 0 else alpha * (exp(x) - 1)


_KINKS = [
    builtin("abs", Abs, math.fabs, lambda a, out: (sign(a),), glyph="|x|", plot=ACTIVATION_DOMAIN),
    activation("relu", "Relu", lambda a, out: (Step(a),), lambda x: x if x > 0 else 0.0,
               "np.maximum({0}, 0.0)", r"\operatorname{relu}", plot=ACTIVATION_DOMAIN,
               exact=lambda x: x if x > 0 else S.Zero),
    activation("max", "Maximum", lambda a, b, out: (_tie_split(a, b), _tie_split(b, a)), max,
               "np.maximum({0}, {1})", r"\max", arity=2, exact=lambda a, b: a if a >= b else b,
               stable=lambda a, b, out: _tie_compare(a, b)),
    activation("min", "Minimum", lambda a, b, out: (_tie_split(b, a), _tie_split(a, b)), min,
               "np.minimum({0}, {1})", r"\min", arity=2, exact=lambda a, b: a if a <= b else b,
               stable=lambda a, b, out: _tie_compare(a, b)),
    activation("leaky_relu", "LeakyRelu",
               lambda a, alpha, out: (Step(a) + alpha * (1 - Step(a)),),
               lambda x, alpha: x if x > 0 else alpha * x,
               "np.where({0} > 0, {0}, {1}*{0.factor})", r"\operatorname{leaky\_relu}",
               params=["alpha"], defaults=[sympy.Rational(1, 100)], glyph="lrelu",
               exact=lambda x, alpha: x if x > 0 else alpha * x, plot=ACTIVATION_DOMAIN),
    activation("elu", "Elu", lambda a, alpha, out: (Step(a) + (1 - Step(a)) * alpha * exp(a),),
               lambda x, alpha: x if x > 0 else alpha * math.expm1(x),
               "np.where({0} > 0, {0}, {1}*np.expm1(np.minimum({0}, 0.0)))",
               r"\operatorname{elu}", params=["alpha"], defaults=[S.One], exact=_elu_exact,
               plot=ACTIVATION_DOMAIN,
               # α·e^a is only used for a ≤ 0; e^a of a large positive a would overflow
               stable=lambda a, alpha, out: {exp(a): exp(Minimum(a, 0))}),
]
Minimum = _KINKS[3].function

PRIMITIVES = {p.name: p for p in _ARITHMETIC + _SMOOTH + _KINKS}
RULES = PRIMITIVES          # the older name

# The names a user may call as functions: ``relu(x)``, ``max(a, b)``.
FUNCTIONS = frozenset(name for name, p in PRIMITIVES.items() if p.callable)


def rule_for(op):
    """The record of primitive ``op``; a missing one fails loudly and names the op."""
    try:
        return RULES[op]
    except KeyError:
        raise KeyError(f"symgrad has no local-gradient rule for primitive {op!r}") from None


def check_primitive(p):
    """Refuse a record whose ``local`` does not give exactly one gradient per differentiable
    argument; the message names the primitive."""
    args = [sympy.Symbol(f"a{i}", real=True) for i in range(p.arity)] + list(p.defaults)
    if len(p.defaults) != len(p.params):
        raise TypeError(f"primitive {p.name!r}: {len(p.params)} parameters but "
                        f"{len(p.defaults)} defaults")
    try:
        locals_ = p.local(*args, out=sympy.Symbol("out", real=True))
    except Exception as exc:
        raise TypeError(f"primitive {p.name!r}: its local gradient rule fails on symbols: "
                        f"{exc}") from exc
    if not isinstance(locals_, tuple) or len(locals_) != p.arity:
        got = len(locals_) if isinstance(locals_, tuple) else type(locals_).__name__
        raise TypeError(f"primitive {p.name!r}: local must return a tuple of {p.arity} local "
                        f"gradient(s), one per differentiable argument; it returned {got}")
    if p.function is not None and p.numeric is None:
        raise TypeError(f"primitive {p.name!r}: a function primitive needs its float evaluation")


for _primitive in PRIMITIVES.values():
    check_primitive(_primitive)

# The generated SymPy classes become names of this module (``from symgrad.rules import Relu``):
# a pickled expression refers to its class as ``symgrad.rules.<class name>``.
for _primitive in PRIMITIVES.values():
    if isinstance(_primitive.function, type) and _primitive.function.__module__ == __name__:
        globals()[_primitive.function.__name__] = _primitive.function
