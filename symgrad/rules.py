"""The local-gradient table: every scalar primitive, its forward rule and its local gradients.

One line per primitive. ``build(*args)`` makes the gate's SymPy expression from
its arguments; ``local(*args, out)`` returns one local gradient per argument,
∂out/∂arg, written with the arguments and the gate's own output ``out`` (so the
sigmoid rule reads σ(1 − σ), as the posts write it). The backward sweep in
``backward.py`` multiplies these by the upstream gradient and nothing else.

Parameters that are not differentiated (alpha of leaky_relu and elu) come after
the differentiable arguments; ``arity`` counts only the differentiable ones.

Conventions at kinks follow PyTorch (see ``functions.py``): relu'(0) = 0,
abs'(0) = sign(0) = 0, leaky_relu'(0) = alpha, elu'(0) = alpha, and max/min split
the gradient evenly between tied arguments.
"""

from dataclasses import dataclass
from typing import Callable

import sympy
from sympy import Heaviside, S, exp, log, sign, sqrt, tanh, sin, cos, Abs

from .functions import Elu, LeakyRelu, Maximum, Minimum, Relu, Sigmoid, Step


@dataclass(frozen=True)
class Rule:
    """One primitive: how to build it and its local gradient per differentiable argument."""

    arity: int                 # differentiable arguments
    build: Callable            # (*args, *params) -> sympy expression
    local: Callable            # (*args, *params, out) -> tuple of arity local gradients
    label: str                 # how a gate of this kind is called in a derivation
    params: tuple = ()         # names of constant parameters after the arguments, with defaults below
    defaults: tuple = ()


def unary(build, local, label):
    return Rule(1, build, local, label)


def binary(build, local, label):
    return Rule(2, build, local, label)


RULES = {
    # --- arithmetic --------------------------------------------------------------------
    "add": binary(lambda a, b: a + b, lambda a, b, out: (S.One, S.One), "+"),
    "sub": binary(lambda a, b: a - b, lambda a, b, out: (S.One, S.NegativeOne), "−"),
    "mul": binary(lambda a, b: a * b, lambda a, b, out: (b, a), "×"),
    "div": binary(lambda a, b: a / b, lambda a, b, out: (1 / b, -a / b**2), "÷"),
    "neg": unary(lambda a: -a, lambda a, out: (S.NegativeOne,), "negate"),
    "identity": unary(lambda a: a, lambda a, out: (S.One,), "copy"),
    # d(a^b)/db = a^b·log(a): only used when the exponent is itself a node; 0 at a = 0 (numeric.py)
    "pow": binary(lambda a, b: a**b, lambda a, b, out: (b * a ** (b - 1), out * log(a)), "power"),
    # --- smooth functions ----------------------------------------------------------------
    "exp": unary(exp, lambda a, out: (out,), "exp"),
    "log": unary(log, lambda a, out: (1 / a,), "log"),
    "sqrt": unary(sqrt, lambda a, out: (1 / (2 * out),), "sqrt"),
    "sin": unary(sin, lambda a, out: (cos(a),), "sin"),
    "cos": unary(cos, lambda a, out: (-sin(a),), "cos"),
    "tanh": unary(tanh, lambda a, out: (1 - out**2,), "tanh"),
    "sigmoid": unary(Sigmoid, lambda a, out: (out * (1 - out),), "sigmoid"),
    # --- kinks: values at the kink follow PyTorch ---------------------------------------
    "abs": unary(Abs, lambda a, out: (sign(a),), "abs"),
    "relu": unary(Relu, lambda a, out: (Step(a),), "relu"),
    "max": binary(Maximum, lambda a, b, out: (Heaviside(a - b, S.Half), Heaviside(b - a, S.Half)), "max"),
    "min": binary(Minimum, lambda a, b, out: (Heaviside(b - a, S.Half), Heaviside(a - b, S.Half)), "min"),
    "leaky_relu": Rule(1, LeakyRelu, lambda a, alpha, out: (Step(a) + alpha * (1 - Step(a)),),
                       "leaky_relu", ("alpha",), (sympy.Rational(1, 100),)),
    "elu": Rule(1, Elu, lambda a, alpha, out: (Step(a) + (1 - Step(a)) * alpha * exp(a),),
                "elu", ("alpha",), (S.One,)),
}

# The functions a user may call by name, and the primitive each one is.
FUNCTIONS = {name: name for name in
             ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "abs", "relu", "max", "min",
              "leaky_relu", "elu")}


def rule_for(op):
    """The rule of primitive ``op``; a missing rule fails loudly and names the op."""
    try:
        return RULES[op]
    except KeyError:
        raise KeyError(f"symgrad has no local-gradient rule for primitive {op!r}") from None
