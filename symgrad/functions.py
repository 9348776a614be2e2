"""The machinery behind symgrad's SymPy function classes, for the primitives SymPy lacks.

The classes themselves (``Sigmoid``, ``Relu``, ``Elu``, ...) are made from the records of
``rules.py`` by :func:`function_class`: everything about a primitive is written there once. This
module holds what every such class shares:

- evaluation: exactly on SymPy numbers where the record says how (``relu(3) = 3``), in floats
  with the record's float function otherwise (``sigmoid(2.0)``), never on symbols;
- the derivative SymPy asks for (``fdiff``), taken from the record's local gradient, so
  ``sympy.diff`` and symgrad's sweep use the same rule;
- printing: ``name(args)`` as text, ``head\\left(args\\right)`` in LaTeX, and a NumPy template
  (``numpy``) that ``codegen.NumpyCodePrinter`` fills in.

It also defines functions that appear only inside local gradients or generated code: ``Step``
(the derivative of relu, step(0) = 0 as in PyTorch) and the two local gradients of a**b with
PyTorch's conventions at a = 0 and b = 0 (``PowBaseGrad``, ``PowExponentGrad``).
"""

import math

import sympy
from sympy import Function, S
from sympy.printing.str import StrPrinter


def _is_real_number(x):
    return x.is_Number and x.is_real


class SymgradFunction(Function):
    """Base of symgrad's function classes; the class attributes below come from a record."""

    arity = 1               # differentiable arguments; constant parameters follow them
    local = None            # (*args, out) -> one local gradient per differentiable argument
    numeric = None          # floats -> float, with PyTorch's conventions at kinks
    exact = None            # SymPy numbers -> exact SymPy value, or None to stay unevaluated
    text = ""               # name in text: ``relu(x)``
    latex_head = ""         # LaTeX before the parenthesised arguments: ``\operatorname{relu}``
    # NumPy template over the printed arguments: ``{0}`` is argument 0 as printed, ``{0.factor}``
    # the same parenthesised for use as a factor of a product (a folded ``w*x + b``).
    numpy = ""
    helpers = ()            # codegen helper functions the template calls (codegen.HELPERS)
    formula = None          # (*args) -> the same function in SymPy's own (``expr.rewrite(exp)``)

    @classmethod
    def eval(cls, *args):
        if not all(_is_real_number(a) for a in args):
            return None
        if cls.exact is not None:
            value = cls.exact(*args)
            if value is not None:
                return value
        if any(isinstance(a, sympy.Float) for a in args):
            return sympy.Float(cls.numeric(*(float(a) for a in args)))
        return None

    def _eval_evalf(self, prec):
        """``evalf``/``N``: evaluate the arguments, then the function."""
        args = [a.evalf(prec) for a in self.args]
        if not all(_is_real_number(a) for a in args):
            return None
        value = self.func(*args)
        if value.func is self.func:     # exact arguments with no exact value (softplus(0))
            return sympy.Float(self.numeric(*(float(a) for a in args)), precision=prec)
        return value.evalf(prec)

    def fdiff(self, argindex=1):
        if argindex <= self.arity:
            return self.local(*self.args, out=self)[argindex - 1]
        return super().fdiff(argindex)      # a constant parameter: an unevaluated Derivative

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return self.formula(*args) if self.formula is not None else None

    def _latex(self, printer, exp=None):
        args = ", ".join(printer._print(a) for a in self.args)
        body = rf"{self.latex_head}\left({args}\right)"
        return rf"{body}^{{{exp}}}" if exp else body

    def _sympystr(self, printer):
        return f"{self.text}({', '.join(printer._print(a) for a in self.args)})"


def function_class(class_name, nargs, module, **attributes):
    """A :class:`SymgradFunction` subclass named ``class_name``, importable from ``module``
    (so pickles of expressions that use it can find it again)."""
    for key in attributes:
        if not hasattr(SymgradFunction, key):
            raise TypeError(f"function_class({class_name!r}): unknown attribute {key!r}")
    functions = {k: staticmethod(v) for k, v in attributes.items() if callable(v)}
    return type(class_name, (SymgradFunction,),
                {**attributes, **functions, "nargs": nargs, "__module__": module,
                 "__doc__": f"{attributes.get('text', class_name)}: see symgrad.rules"})


class Step(SymgradFunction):
    """step(x) = 1 if x > 0 else 0 (the derivative of relu, with step(0) = 0)."""

    nargs = 1
    text = "step"
    numeric = staticmethod(lambda x: 1.0 if x > 0 else 0.0)
    exact = staticmethod(lambda x: S.One if x > 0 else S.Zero)
    numpy = "np.where({0} > 0, 1.0, 0.0)"          # step(0) = 0, so relu'(0) = 0
    # zero almost everywhere; symgrad never differentiates through a kink's Dirac delta
    local = staticmethod(lambda x, out: (S.Zero,))

    def _latex(self, printer, exp=None):
        body = rf"\mathbb{{1}}\left[{printer._print(self.args[0])} > 0\right]"
        return rf"{body}^{{{exp}}}" if exp else body


def _pow_grad_base(a, b):
    """b·a**(b − 1), the gradient of a**b in a; 0 where b = 0, even at a = 0 (PyTorch's
    ``pow_backward_self``: ``where(exponent == 0, 0, ...)``)."""
    if b == 0:
        return 0.0
    if a == 0 and b < 1:
        raise ZeroDivisionError          # 0 to a negative power: a pole
    try:
        return b * math.pow(a, b - 1)
    except OverflowError:
        return math.copysign(math.inf, b)


def _pow_grad_exponent(out, a, b):
    """out·log(a) with out = a**b, the gradient of a**b in b; 0 where a = 0 and b ≥ 0
    (PyTorch's ``pow_backward_exponent``: ``where(base == 0 & exponent >= 0, 0, ...)``)."""
    if a == 0 and b >= 0:
        return 0.0
    return out * math.log(a)             # a < 0: log of a negative number, a domain error


class PowBaseGrad(SymgradFunction):
    """b·a**(b − 1), 0 where b = 0: the base's local gradient of a**b as evaluated and compiled."""

    nargs = 2
    arity = 0
    text = "pow_grad_base"
    numeric = staticmethod(_pow_grad_base)
    numpy = "_pow_grad_base({0}, {1})"
    helpers = ("_pow_grad_base",)


class PowExponentGrad(SymgradFunction):
    """a**b·log(a) (``out`` = a**b), 0 where a = 0 and b ≥ 0: the exponent's local gradient of
    a**b as evaluated and compiled."""

    nargs = 3
    arity = 0
    text = "pow_grad_exponent"
    numeric = staticmethod(_pow_grad_exponent)
    numpy = "_pow_grad_exponent({0}, {1}, {2})"
    helpers = ("_pow_grad_exponent",)


class TieSplit(SymgradFunction):
    """1 where a > b, ½ where a = b, 0 where a < b: d max(a, b)/da as evaluated and compiled. It
    compares, so it never forms a − b (which overflows at a = 1e308, b = −1e308)."""

    nargs = 2
    arity = 0
    text = "tie_split"
    numeric = staticmethod(lambda a, b: 1.0 if a > b else (0.5 if a == b else 0.0))
    numpy = "_tie_split({0}, {1})"
    helpers = ("_tie_split",)


def stable_sigmoid(v):
    """σ(v) for a float without overflow at ±1000."""
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


class UserStrPrinter(StrPrinter):
    """SymPy's str printer with the names of symgrad's language: ``abs(x)``, not SymPy's
    ``Abs(x)`` (what a user types is what the terminal and the stepper show)."""

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"


def user_text(expr):
    """``expr`` as text, in the language's own names (see :class:`UserStrPrinter`)."""
    return UserStrPrinter().doprint(expr)
