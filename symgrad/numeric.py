"""Evaluate a SymPy expression at a point with Python floats.

A small dispatch table keyed by SymPy class, in the manner of SymPy's printers: fast for the
short local expressions of a derivation. symgrad's own function classes carry their float
evaluation (from the records of ``rules.py``, with PyTorch's conventions at kinks); SymPy's
functions take theirs from the same records, and the few SymPy classes that appear only inside
local gradients (sign, Heaviside, powers) are listed here.

The arithmetic is IEEE float64, as PyTorch's and NumPy's (docs/conventions.md): a value that
overflows is ±inf, and once a value is infinite the gates after it follow IEEE (inf − inf is nan).
A function evaluated at a finite point outside its domain or at a pole (log of a number ≤ 0, sqrt
of a negative number, a division by zero) is a :class:`DomainError` instead, naming why.
"""

import math

import numpy as np
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

# IEEE versions of the functions whose float form raises once an argument is infinite or the
# result overflows (math.exp(710) raises OverflowError, math.sin(inf) ValueError); anything else
# that raises at an infinite argument is nan, as an undefined IEEE operation is.
_IEEE = {sympy.exp: np.exp, sympy.log: np.log, sympy.sin: np.sin, sympy.cos: np.cos,
         sympy.tanh: np.tanh, sympy.Pow: np.power, sympy.Abs: np.fabs}


class _OutsideDomain(Exception):
    """A function at a finite point outside its domain; the message says which and why."""


def evaluate(expr, env):
    """Value of ``expr`` (SymPy) with symbols looked up in ``env`` (Symbol -> float).

    IEEE float64 (an overflow is ±inf); a function at a finite point outside its domain or at a
    pole raises :class:`DomainError`."""
    try:
        return _eval(expr, env)
    except _OutsideDomain as exc:
        raise DomainError(f"cannot evaluate {expr} at this point: {exc}") from None


def _eval(expr, env):
    if expr.is_Symbol:
        return env[expr]
    if expr.is_Number or expr.is_NumberSymbol:
        return float(expr)
    if expr.is_Mul:
        return _product(expr.args, env)
    args = [_eval(a, env) for a in expr.args]
    if expr.is_Add:
        try:
            return math.fsum(args)
        except (OverflowError, ValueError):   # an intermediate overflow, or inf + (−inf)
            return sum(args)                  # IEEE, left to right: ±inf or nan
    cls = type(expr)
    if cls is sympy.Pow and expr.exp is sympy.S.Half and args[0] == -math.inf:
        # sqrt(x) is Pow(x, 1/2), printed np.sqrt in compiled code: sqrt(−inf) is nan there and
        # in PyTorch, while pow(−inf, 0.5) is +inf (C99), which the sweep gave
        return math.nan
    func = cls.numeric if issubclass(cls, SymgradFunction) else _FUNCS.get(cls)
    if func is None:
        raise TypeError(f"symgrad cannot evaluate {cls.__name__} numerically")
    try:
        return func(*args)
    except OverflowError:
        return _ieee(cls, args)
    except (ValueError, ZeroDivisionError) as exc:
        if all(math.isfinite(a) for a in args):
            raise _OutsideDomain(_why(cls, args, exc)) from None
        return _ieee(cls, args)


def _ieee(cls, args):
    func = _IEEE.get(cls)
    if func is None:
        return math.nan
    with np.errstate(all="ignore"):
        return float(func(*(np.float64(a) for a in args)))


def _why(cls, args, exc):
    """Why a function cannot be evaluated at finite ``args``, in words (one phrase)."""
    if cls is sympy.log:
        if args[0] == 0:
            return "log(0) = −∞: 0 is outside the function's domain"
        return f"log of a negative number ({args[0]:g}) is outside the function's domain"
    if cls is sympy.Pow:
        base, exponent = args
        if base == 0:
            return f"division by zero (0 to the power {exponent:g})"
        if exponent == 0.5:
            return f"sqrt of a negative number ({base:g}) is outside the function's domain"
        return (f"a negative number to a fractional power ({base:g}**{exponent:g}) is not real: "
                "outside the function's domain")
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    return "a value is outside the function's domain"


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
