"""Evaluate a SymPy expression at a point with Python floats.

A small dispatch table keyed by SymPy class, in the manner of SymPy's printers: fast for the
short local expressions of a derivation. symgrad's own function classes carry their float
evaluation (from the records of ``rules.py``, with PyTorch's conventions at kinks); SymPy's
functions take theirs from the same records, and the few SymPy classes that appear only inside
local gradients (sign, Heaviside, powers) are listed here. Domain problems (log of a negative
number, division by zero, overflow) become a :class:`DomainError`.
"""

import math

import sympy

from .errors import DomainError
from .functions import SymgradFunction
from .rules import PRIMITIVES


def _pow(a, b):
    if a == 0 and b < 0:
        raise ZeroDivisionError
    return math.pow(a, b)


def _heaviside(x, h0=0.5):
    return 1.0 if x > 0 else (h0 if x == 0 else 0.0)


# SymPy class -> function of the evaluated arguments
_FUNCS = {p.function: p.numeric for p in PRIMITIVES.values() if p.function is not None}
_FUNCS.update({
    sympy.sign: lambda x: float((x > 0) - (x < 0)),
    sympy.Heaviside: _heaviside,
    sympy.Pow: _pow,
})


def evaluate(expr, env):
    """Value of ``expr`` (SymPy) with symbols looked up in ``env`` (Symbol -> float)."""
    try:
        return _eval(expr, env)
    except (ValueError, ZeroDivisionError) as exc:
        raise DomainError(f"cannot evaluate {expr} at this point: {_why(exc)}") from None
    except OverflowError:
        raise DomainError(f"cannot evaluate {expr} at this point: "
                          "the value overflows a float") from None


def _why(exc):
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    return "a value is outside the function's domain (log or sqrt of a negative number?)"


def _eval(expr, env):
    if expr.is_Symbol:
        return env[expr]
    if expr.is_Number or expr.is_NumberSymbol:
        return float(expr)
    if expr.is_Mul:
        return _product(expr.args, env)
    args = [_eval(a, env) for a in expr.args]
    if expr.is_Add:
        return math.fsum(args)
    cls = type(expr)
    func = cls.numeric if issubclass(cls, SymgradFunction) else _FUNCS.get(cls)
    if func is None:
        raise TypeError(f"symgrad cannot evaluate {cls.__name__} numerically")
    return func(*args)


def _product(factors, env):
    """A product, where 0·log(0) is 0: the xlogy convention, and PyTorch's for the gradient of a**b
    in b at a = 0 (the local gradient a**b·log(a) of the rule table). log of a negative number
    stays a domain error."""
    logs = [f for f in factors if isinstance(f, sympy.log)]
    out = 1.0
    for f in factors:
        if not isinstance(f, sympy.log):
            out *= _eval(f, env)
    if out == 0.0 and logs and all(_eval(f.args[0], env) == 0.0 for f in logs):
        return 0.0
    for f in logs:
        out *= _eval(f, env)
    return out


def is_finite(v):
    return math.isfinite(v)


def float_of(expr):
    """A float for a constant SymPy expression."""
    return float(sympy.N(expr))
