"""Code generation shared by the scalar compiler (``compile.py``) and the matrix compiler
(``matrix/codegen.py``): the NumPy printer with symgrad's stable functions, the helper functions a
generated module may define, Python names for graph nodes, the :class:`Compiled` result, and the
loader that registers generated source with :mod:`linecache`.

Both compilers import this module; it imports neither of them.
"""

import builtins
import itertools
import keyword
import linecache
import re
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

from .errors import InputError
from .functions import SymgradFunction
from .rules import Sigmoid

BACKENDS = {"numpy": "import numpy as np", "jax": "import jax.numpy as np"}

# Helpers the generated module defines when its code uses them (name -> source).
HELPERS = {
    "_sigmoid": '''\
def _sigmoid(z):
    """σ(z) = 1/(1 + e^(−z)) for z ≥ 0, e^z/(1 + e^z) below: e^(−|z|) never overflows, and
    σ(z) of a very negative z underflows to 0 exactly as it should (x·σ(x) stays exact)."""
    e = np.exp(-np.abs(z))
    return np.where(np.greater_equal(z, 0), 1.0 / (1.0 + e), e / (1.0 + e))
''',
    "_log_sigmoid": '''\
def _log_sigmoid(z):
    """log σ(z) = −softplus(−z) = −log(1 + e^(−z)), exact at ±1000."""
    return -np.logaddexp(0.0, -z)
''',
    "_logsumexp": '''\
def _logsumexp(*zs):
    """log Σ e^z over the arguments, shifted by their maximum: exact at ±1000."""
    top = zs[0]
    for z in zs[1:]:
        top = np.maximum(top, z)
    return top + np.log(sum(np.exp(z - top) for z in zs))
''',
    "_pow_grad_base": '''\
def _pow_grad_base(a, b):
    """b·a**(b − 1), the gradient of a**b in a; 0 where b = 0, even at a = 0 (PyTorch)."""
    zero = np.equal(b, 0)
    return np.where(zero, 0.0, b * np.power(a, np.where(zero, 1.0, b - 1)))
''',
    "_pow_grad_exponent": '''\
def _pow_grad_exponent(out, a, b):
    """a**b·log(a) (out = a**b), the gradient of a**b in b; 0 where a = 0 and b >= 0 (PyTorch)."""
    zero = np.equal(a, 0) & np.greater_equal(b, 0)
    return np.where(zero, 0.0, out * np.log(np.where(zero, 1.0, a)))
''',
    "_tie_split": '''\
def _tie_split(a, b):
    """1 where a > b, 1/2 on a tie, 0 below: d max(a, b)/da, comparing (a − b could overflow)."""
    return np.where(np.greater(a, b), 1.0, np.where(np.equal(a, b), 0.5, 0.0))
''',
    "_finish": '''\
def _finish(value, shape, seen):
    """``value`` as a float array of ``shape``; a fresh copy if it is shared with an input or
    another result."""
    value = np.asarray(value, dtype=float)
    if value.shape != shape or id(value) in seen:
        value = np.array(np.broadcast_to(value, shape), dtype=float)
    seen.add(id(value))
    return value
''',
}


class AdjointSymbol(sympy.Symbol):
    """The variable holding a node's gradient (``grad_w``). Its own class, so that a user's node
    that happens to be called ``grad_w`` is never confused with it when the code is printed."""


class PrintedArgument(str):
    """An argument as printed code; ``.factor`` is the same, parenthesised to be a factor of a
    product (templates write ``{0.factor}*_sigmoid({0})``)."""

    factor = ""


class NumpyCodePrinter(NumPyPrinter):
    """SymPy's NumPy printer, with ``np.`` names and symgrad's functions printed stably."""

    def __init__(self, names=None, settings=None):
        super().__init__(settings or {})
        self.names = names or {}           # symbol name -> Python variable
        self.helpers = set()               # helper functions the printed code calls

    def _module_format(self, fqn, register=True):
        if fqn.startswith("numpy."):
            return "np." + fqn.split(".")[-1]
        return super()._module_format(fqn, register)

    def _print_Symbol(self, expr):
        return self.names.get(expr.name, expr.name)

    def _print_AdjointSymbol(self, expr):
        return expr.name       # already a Python variable: never mapped through the node names

    def _print_FoldedValue(self, expr):
        return expr.code

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.base, expr.exp
        if exp == -1:
            return f"1.0/{self.parenthesize(base, PRECEDENCE['Pow'])}"
        if exp == sympy.S.Half:
            return f"np.sqrt({self._print(base)})"
        if exp == 2:
            return f"np.square({self._print(base)})"
        return super()._print_Pow(expr, rational=rational)

    def _print_Rational(self, expr):
        return repr(float(expr))

    def _print_Integer(self, expr):
        return f"{int(expr)}.0"

    def _print_Float(self, expr):
        return repr(float(expr))

    # --- symgrad's functions: each class carries its NumPy template (its record in rules.py) ----
    # (SymPy's printers skip intermediate classes of a Function subclass unless their name ends
    # in "Base", so a _print_SymgradFunction would never be called: dispatch here instead.)
    def _print_Function(self, expr):
        if not isinstance(expr, SymgradFunction):
            return super()._print_Function(expr)
        self.helpers.update(expr.helpers)
        code = expr.numpy.format(*(self._code_arg(a) for a in expr.args))
        # SymPy parenthesises a function call as an atom: a template that is not one call
        # (silu's x*_sigmoid(x)) must bring its own parentheses, or y/silu(3) prints as
        # y/3.0*_sigmoid(3.0), which is (y/3)·σ(3)
        return code if _is_one_call(expr.numpy) else f"({code})"

    def _code_arg(self, arg):
        code = PrintedArgument(self._print(arg))
        code.factor = self.parenthesize(arg, PRECEDENCE["Mul"])
        return code

    def _print_sign(self, expr):
        return f"np.sign({self._print(expr.args[0])})"

    def _print_Abs(self, expr):
        return f"np.abs({self._print(expr.args[0])})"

    def _print_LogSumExp(self, expr):
        self.helpers.add("_logsumexp")
        return f"_logsumexp({', '.join(self._print(a) for a in expr.args)})"

    def _print_log(self, expr):
        arg = expr.args[0]
        if isinstance(arg, Sigmoid):
            self.helpers.add("_log_sigmoid")
            return f"_log_sigmoid({self._print(arg.args[0])})"
        return f"np.log({self._print(arg)})"


def _is_one_call(template):
    """Whether a NumPy template is a single call, ``name(...)`` with nothing after its ``)``."""
    head = re.match(r"[A-Za-z_][\w.]*\(", template)
    if not head:
        return False
    depth = 0
    for i, ch in enumerate(template[head.end() - 1:], head.end() - 1):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return i == len(template) - 1
    return False


@dataclass
class Compiled:
    """A compiled loss-and-gradients function: ``f(**arrays) -> (loss, grads)``."""

    function: object                 # the generated Python function (positional arguments = inputs)
    source: str                      # its module source, readable and self-contained
    inputs: list                     # argument names, in order
    wrt: list                        # gradient names, in order
    output: str = "loss"
    defaults: dict = field(default_factory=dict)   # a default value per input, if the target has
    shapes: dict = field(default_factory=dict)     # input -> shape, for matrix models
    backend: str = "numpy"

    def __call__(self, /, **arrays):
        # ``self`` is positional-only, so an input called ``self`` is an ordinary keyword
        inputs = ", ".join(self.inputs)
        missing = [n for n in self.inputs if n not in arrays]
        if missing:
            raise InputError(f"compiled function needs {', '.join(missing)} (inputs: {inputs})")
        unknown = [n for n in arrays if n not in self.inputs]
        if unknown:
            verb = "are" if len(unknown) > 1 else "is"
            raise InputError(f"{', '.join(map(repr, unknown))} {verb} not an input of the "
                             f"compiled function (inputs: {inputs})")
        args = [np.asarray(arrays[n], dtype=float) for n in self.inputs]
        for name, a in zip(self.inputs, args, strict=True):
            want = self.shapes.get(name)
            if want is not None and a.shape != tuple(want):
                raise InputError(f"input {name!r} has shape {a.shape}, "
                                 f"the model needs {tuple(want)}")
        return self.function(*args)

    def __repr__(self):
        return f"<Compiled {self.output} wrt {', '.join(self.wrt)} of ({', '.join(self.inputs)})>"



class FoldedValue(sympy.Dummy):
    """A gate's printed code standing in for its symbol inside its reader.

    Substituting the gate's SymPy expression instead would make SymPy re-simplify every
    reader (sigmoid of a long sum asks whether the sum is zero): folding the printed code
    keeps code generation linear in the size of the graph.
    """

    def __new__(cls, name, code, prec):
        obj = super().__new__(cls, name, real=True)
        obj.code, obj.precedence = code, prec
        return obj


class LogSumExp(sympy.Function):
    """log Σ e^(args), printed as the stable ``_logsumexp`` helper (generated code only)."""


# Names generated code reads that a user's node must never shadow: its own variables, the module
# (``np``), the function itself, and every builtin (the body calls ``id``; a helper may call
# ``sum`` or ``float``). Helpers start with "_", and a node name starting with "_" is renamed too.
RESERVED = frozenset({"np", "jax", "numpy", "shape", "seen", "value", "loss_and_grads"}
                     | set(dir(builtins)))


def python_names(order):
    """node name -> Python variable: the name itself when it is a safe identifier, else a fresh one
    (``v_id`` for a node called ``id``: generated code never depends on a name a user chose)."""
    names, used = {}, set(RESERVED)
    for name in order:
        var = name
        if (not name.isidentifier() or keyword.iskeyword(name) or keyword.issoftkeyword(name)
                or name.startswith("_") or name in used or name.startswith("grad_")):
            base = "v_" + "".join(c if c.isalnum() else "_" for c in name)
            var = next(f"{base}{i or ''}" for i in itertools.count()
                       if f"{base}{i or ''}" not in used)
        names[name] = var
        used.add(var)
    return names


def adjoint_names(order, used):
    used = set(used) | RESERVED
    out = {}
    for name in order:
        base = "grad_" + "".join(c if c.isalnum() or c == "_" else "_" for c in name)
        var = next(f"{base}{'_' * i}" for i in itertools.count() if f"{base}{'_' * i}" not in used)
        out[name] = var
        used.add(var)
    return out


# --- loading -------------------------------------------------------------------------------------
_counter = itertools.count(1)


def load_source(source, function_name):
    """Compile symgrad's generated ``source`` and return ``function_name`` from it.

    The source is registered with :mod:`linecache` under a unique file name, so
    ``inspect.getsource`` and tracebacks can show it.
    """
    filename = f"<symgrad-compiled-{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace = {"__name__": "symgrad_compiled"}
    exec(builtins.compile(source, filename, "exec"), namespace)  # noqa: S102 (symgrad's own code only)
    return namespace[function_name]
