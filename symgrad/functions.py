"""SymPy classes for the activations SymPy does not have, with PyTorch's conventions.

SymPy's ``Max(0, x)`` differentiates to ``Heaviside(x)`` with Heaviside(0) = 1/2,
which is not what any framework does at a kink. These classes pin the values
at the non-differentiable points once, so the symbolic and numeric results agree:

- ``Step(x)``: 1 for x > 0, else 0 (so relu'(0) = 0, as in PyTorch);
- ``Relu``, ``LeakyRelu`` and ``Elu`` differentiate through ``Step``
  (leaky_relu'(0) = alpha and elu'(0) = alpha, as in PyTorch);
- ``Maximum``/``Minimum`` split the gradient evenly on a tie, as
  ``torch.maximum``/``torch.minimum`` do: d max(a, b)/da = Heaviside(a - b, 1/2).

The local-gradient rules symgrad uses for its step-by-step sweep live in
``rules.py``; ``fdiff`` here is what lets ``sympy.diff`` work on the same
expressions, and the tests check the two against each other.
"""

import math

import sympy
from sympy import Function, Heaviside, S


def _is_real_number(x):
    return x.is_Number and x.is_real


class _Numeric(Function):
    """Evaluates numerically (``evalf``/``N``) by evaluating the arguments, then ``eval``."""

    def _eval_evalf(self, prec):
        args = [a.evalf(prec) for a in self.args]
        if all(_is_real_number(a) for a in args):
            value = self.func(*args)
            if value.func is not self.func:
                return value.evalf(prec)
        return None


class Sigmoid(_Numeric):
    """σ(x) = 1 / (1 + e^(−x)); σ′ = σ(1 − σ)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return S.Half
        if isinstance(x, sympy.Float):
            return sympy.Float(stable_sigmoid(float(x)))
        return None

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sympy.exp(-x))

    def _latex(self, printer, exp=None):
        body = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return rf"{body}^{{{exp}}}" if exp else body

    def _sympystr(self, printer):
        return f"sigmoid({printer._print(self.args[0])})"


class Step(_Numeric):
    """step(x) = 1 if x > 0 else 0 (the derivative of relu, with step(0) = 0)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if _is_real_number(x):
            return S.One if x > 0 else S.Zero
        return None

    def fdiff(self, argindex=1):
        return S.Zero  # zero almost everywhere; symgrad never differentiates through a kink's Dirac delta

    def _latex(self, printer, exp=None):
        body = rf"\mathbb{{1}}\left[{printer._print(self.args[0])} > 0\right]"
        return rf"{body}^{{{exp}}}" if exp else body

    def _sympystr(self, printer):
        return f"step({printer._print(self.args[0])})"


class Relu(_Numeric):
    """relu(x) = max(0, x); relu′(x) = step(x), so relu′(0) = 0."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if _is_real_number(x):
            return x if x > 0 else S.Zero
        return None

    def fdiff(self, argindex=1):
        return Step(self.args[0])

    def _latex(self, printer, exp=None):
        body = rf"\operatorname{{relu}}\left({printer._print(self.args[0])}\right)"
        return rf"{body}^{{{exp}}}" if exp else body

    def _sympystr(self, printer):
        return f"relu({printer._print(self.args[0])})"


class LeakyRelu(_Numeric):
    """leaky_relu(x, α) = x if x > 0 else α·x; derivative 1 if x > 0 else α."""

    nargs = 2

    @classmethod
    def eval(cls, x, alpha):
        if _is_real_number(x) and _is_real_number(alpha):
            return x if x > 0 else alpha * x
        return None

    def fdiff(self, argindex=1):
        x, alpha = self.args
        if argindex == 1:
            return Step(x) + alpha * (1 - Step(x))
        return x * (1 - Step(x))

    def _latex(self, printer, exp=None):
        x, alpha = (printer._print(a) for a in self.args)
        body = rf"\operatorname{{leaky\_relu}}\left({x}, {alpha}\right)"
        return rf"{body}^{{{exp}}}" if exp else body

    def _sympystr(self, printer):
        x, alpha = (printer._print(a) for a in self.args)
        return f"leaky_relu({x}, {alpha})"


class Elu(_Numeric):
    """elu(x, α) = x if x > 0 else α(eˣ − 1); derivative 1 if x > 0 else α·eˣ."""

    nargs = 2

    @classmethod
    def eval(cls, x, alpha):
        if _is_real_number(x) and _is_real_number(alpha):
            return x if x > 0 else alpha * (sympy.exp(x) - 1)
        return None

    def fdiff(self, argindex=1):
        x, alpha = self.args
        if argindex == 1:
            return Step(x) + (1 - Step(x)) * alpha * sympy.exp(x)
        return (1 - Step(x)) * (sympy.exp(x) - 1)

    def _latex(self, printer, exp=None):
        x, alpha = (printer._print(a) for a in self.args)
        body = rf"\operatorname{{elu}}\left({x}, {alpha}\right)"
        return rf"{body}^{{{exp}}}" if exp else body

    def _sympystr(self, printer):
        x, alpha = (printer._print(a) for a in self.args)
        return f"elu({x}, {alpha})"


class Maximum(_Numeric):
    """max(a, b), never simplified away; a tie splits the gradient 1/2 : 1/2."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        if _is_real_number(a) and _is_real_number(b):
            return a if a >= b else b
        return None

    def fdiff(self, argindex=1):
        a, b = self.args
        return Heaviside(a - b, S.Half) if argindex == 1 else Heaviside(b - a, S.Half)

    def _latex(self, printer, exp=None):
        a, b = (printer._print(x) for x in self.args)
        body = rf"\max\left({a}, {b}\right)"
        return rf"{body}^{{{exp}}}" if exp else body

    def _sympystr(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return f"max({a}, {b})"


class Minimum(_Numeric):
    """min(a, b), never simplified away; a tie splits the gradient 1/2 : 1/2."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        if _is_real_number(a) and _is_real_number(b):
            return a if a <= b else b
        return None

    def fdiff(self, argindex=1):
        a, b = self.args
        return Heaviside(b - a, S.Half) if argindex == 1 else Heaviside(a - b, S.Half)

    def _latex(self, printer, exp=None):
        a, b = (printer._print(x) for x in self.args)
        body = rf"\min\left({a}, {b}\right)"
        return rf"{body}^{{{exp}}}" if exp else body

    def _sympystr(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return f"min({a}, {b})"


def stable_sigmoid(v):
    """σ(v) for a float without overflow at ±1000."""
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)
