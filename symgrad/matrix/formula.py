"""Matrix formulas as small expression trees, and the three printers that spell them.

A vector-Jacobian rule builds a tree (``MatMul(G, Transpose(B))``) instead of a
string; the printers write it as NumPy code (``G @ B.T``), plain text (``G·Bᵀ``)
and LaTeX (``G B^{\\top}``). Simplifications are structural, in the printers:

- (Aᵀ)ᵀ prints A (text and LaTeX; the code keeps ``.T.T``, which NumPy makes free);
- a factor that is all ones (the seed gradient 1, or G·𝟙 with G = 1) is left out
  of a product in text and LaTeX, and out of the code only when it is the number 1.0
  (an all-ones array still broadcasts the result to its shape);
- a formula gets parentheses inside a larger one when it is *compound* (``compound``):
  every operator expression is, names and calls are not. Products are compound when their
  code is, even if the text left the ones factor out, so ``(W2ᵀ) ⊙ step(z1)`` groups the
  way ``W2.T @ np.ones((1, 1))`` computes.

Every node is a frozen dataclass; ``expr.code``, ``expr.text`` and ``expr.latex`` print it.
Elementwise functions keep their SymPy expression (:class:`Entrywise`), printed by the shared
:class:`symgrad.codegen.NumpyCodePrinter` and SymPy's text and LaTeX printers.
"""

import re
from dataclasses import dataclass

import sympy
from sympy.printing.latex import LatexPrinter

from ..codegen import NumpyCodePrinter
from ..functions import user_text
from .axes import sum_axes


class Expr:
    """Base of the formula nodes: printing, and the two facts the printers ask about."""

    one = False             # the value is all ones (the seed gradient, or G·𝟙 with G = 1)
    scalar_one = False      # the value is the number 1 (the code may leave it out of a product)

    code = property(lambda self: CODE.doprint(self))      # NumPy code
    text = property(lambda self: TEXT.doprint(self))      # plain text, for the terminal
    latex = property(lambda self: LATEX.doprint(self))    # LaTeX, for the documents

    def compound(self, fmt):
        """Whether the formula, spelled in ``fmt``, needs parentheses inside a larger one."""
        return True


class Atom(Expr):
    def compound(self, fmt):
        return False


@dataclass(frozen=True)
class Name(Atom):
    """A node of the model or a constant, with its spelling in each format."""

    code_name: str
    text_name: str
    latex_name: str


@dataclass(frozen=True)
class Shown(Atom):
    """A gate variable written as its own formula (an unnamed transpose ``n4`` reads Wᵀ)."""

    code_name: str
    shown: Expr


@dataclass(frozen=True)
class Seed(Atom):
    """∂L/∂L = 1: the gradient the sweep starts from (an array of ones if L is a 1×1 matrix)."""

    shape: tuple
    one = True

    @property
    def scalar_one(self):
        return self.shape == ()


@dataclass(frozen=True)
class Zeros(Atom):
    shape: tuple


@dataclass(frozen=True)
class Ones(Expr):
    """``value``·𝟙: an array of ``shape`` filled with the number ``value`` (gradient of a sum)."""

    shape: tuple
    value: Expr

    @property
    def one(self):
        return self.value.one

    def compound(self, fmt):
        return not self.one


@dataclass(frozen=True)
class Over(Expr):
    """``value``/``count``, written as a fraction in LaTeX (only inside :class:`Ones`)."""

    value: Expr
    count: int

    def compound(self, fmt):
        return fmt == "text"


@dataclass(frozen=True)
class Transpose(Expr):
    arg: Expr

    def compound(self, fmt):
        return compound_anywhere(self.arg)


@dataclass(frozen=True)
class Product(Expr):
    """A product of ``factors``; ``kind`` is "matmul", "hadamard" (⊙) or "times" (a scalar ·)."""

    kind: str
    factors: tuple

    def kept(self, fmt):
        """The factors that are written (the ones factor is left out, see :func:`left_out`; in a
        matrix product only a 1×1 one: 𝟙·W, a matrix of ones times W, is not W)."""
        drop = left_out if self.kind != "matmul" else left_out_of_matmul
        kept = [f for f in self.factors if not drop(f, fmt)]
        return kept or list(self.factors[-1:])

    def compound(self, fmt):
        code = self.kept("code")
        return len(code) > 1 or len(self.kept(fmt)) > 1 or compound_anywhere(code[0])


def MatMul(a, b):              # noqa: N802 (reads as a node)
    return Product("matmul", (a, b))


def Hadamard(a, b):            # noqa: N802
    return Product("hadamard", (a, b))


def Times(*factors):           # noqa: N802
    return Product("times", tuple(factors))


@dataclass(frozen=True)
class Infix(Expr):
    """``left op right`` for op in add, sub, div (⊘); never simplified."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg(Expr):
    arg: Expr


@dataclass(frozen=True)
class Plus(Expr):
    """Contributions that add up (a node read by several gates)."""

    terms: tuple


@dataclass(frozen=True)
class Spelling:
    """How a function call is written: ``str.format`` patterns over its arguments ``{0}``…"""

    code: str
    text: str
    latex: str
    helpers: tuple = ()        # helper functions of the generated code that the call needs


@dataclass(frozen=True)
class Call(Atom):
    fn: Spelling
    args: tuple


@dataclass(frozen=True)
class Rows(Atom):
    """A per-row value (one per sample) broadcast over the columns: ``g[:, None]`` in code."""

    arg: Expr

    @property
    def one(self):
        return self.arg.one


@dataclass(frozen=True)
class Stable(Expr):
    """One value, computed by ``code_form`` and written as ``math_form`` (1 − σ(Z) as σ(−Z))."""

    code_form: Expr
    math_form: Expr

    def compound(self, fmt):
        return (self.code_form if fmt == "code" else self.math_form).compound(fmt)


@dataclass(frozen=True)
class SumOver(Atom):
    """∑ of ``arg`` (of ``from_shape``) over the axes along which ``to_shape`` was broadcast."""

    arg: Expr
    from_shape: tuple
    to_shape: tuple


@dataclass(frozen=True)
class Outer(Expr):
    """The outer product of two vectors, ``np.outer(left, right)`` (a matrix product with a 1-D
    operand sends one back). Vectors are columns in text and LaTeX, so it reads left·rightᵀ,
    as the textbook writes ∂f/∂W = ∂f/∂q·xᵀ."""

    left: Expr
    right: Expr

    def as_product(self):
        return MatMul(self.left, Transpose(self.right))

    def compound(self, fmt):
        return fmt != "code" and self.as_product().compound(fmt)


@dataclass(frozen=True)
class Expand(Expr):
    """``value`` (the gradient of an axis reduction) repeated along ``axis`` back to ``shape``,
    divided by ``count`` (the axis length for a mean, 1 for a sum).

    For a matrix, with vectors as columns: 𝟙·Gᵀ along axis 0 (every row gets G), G·𝟙ᵀ along
    axis 1 (every column gets G); other ranks read ``broadcast(G, axis=k)``."""

    value: Expr
    shape: tuple
    axis: int
    count: int = 1

    @property
    def one(self):
        return self.value.one and self.count == 1

    def compound(self, fmt):
        return not (fmt == "code" and self.count == 1)


@dataclass(frozen=True)
class Entrywise(Expr):
    """A scalar SymPy expression applied entry by entry; ``bindings`` maps its placeholder
    symbols to the formulas (names of the model) they stand for."""

    expr: sympy.Expr
    bindings: tuple            # ((sympy.Symbol, Expr), ...)

    def compound(self, fmt):
        return not (self.expr.is_Atom or isinstance(self.expr, sympy.Function))


@dataclass(frozen=True)
class ChainRule(Expr):
    """G ⊙ f′(Z): the upstream gradient times an elementwise local gradient.

    A local gradient that is a product needs no parentheses after G: ``G ⊙ h ⊙ (1 − h)``
    reads left to right, as the posts write it (``grad_h*h*(1-h)``). With G all ones the
    text is the local gradient alone."""

    upstream: Expr
    local: Entrywise

    def compound(self, fmt):
        return not left_out(self.upstream, fmt) or self.local.compound(fmt)


def left_out(factor, fmt):
    """Whether a product leaves ``factor`` out: ones in text and LaTeX, only the number 1.0 in
    code."""
    return factor.scalar_one if fmt == "code" else factor.one


def left_out_of_matmul(factor, fmt):
    """Whether a matrix product leaves ``factor`` out: only ones with a single entry (the seed of
    a number, or of a 1×1 loss), where 𝟙·B = B."""
    shape = getattr(factor, "shape", None)
    return left_out(factor, fmt) and shape is not None and all(d == 1 for d in shape)


def compound_anywhere(expr):
    """Compound in code or in text: the grouping the code computes shows in the text too.

    A transpose is compound exactly when its argument is, in either format, so a chain of them
    is walked down once (asking both formats at every level would double the work per level)."""
    while isinstance(expr, Transpose):
        expr = expr.arg
    return expr.compound("code") or expr.compound("text")


def helpers_of(expr):
    """The helper functions of the generated code that ``expr`` calls."""
    found = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Call):
            found.update(e.fn.helpers)
        if isinstance(e, Entrywise):
            printer = NumpyCodePrinter({s.name: CODE.doprint(f) for s, f in e.bindings})
            printer.doprint(e.expr)
            found.update(printer.helpers)
        for value in getattr(e, "__dict__", {}).values():
            if isinstance(value, Expr):
                stack.append(value)
            elif isinstance(value, tuple):
                stack.extend(v for v in value if isinstance(v, Expr))
    return found


# --- the printers ---------------------------------------------------------------------------------
class FormulaPrinter:
    """Dispatch on the node class (``_print_<Class>``), SymPy-style; subclasses spell it."""

    fmt = None
    products = {}              # kind -> separator
    infix = {}                 # op -> separator
    minus = "-"

    def __init__(self):
        # id -> (node, printed). The sweep builds each formula around the previous one, so a
        # node sits in many: it is printed once (nodes are frozen; holding it keeps its id)
        self.memo = {}

    def doprint(self, expr):
        seen = self.memo.get(id(expr))
        if seen is not None and seen[0] is expr:
            return seen[1]
        printed = getattr(self, f"_print_{type(expr).__name__}")(expr)
        if len(self.memo) > 200_000:
            self.memo.clear()
        self.memo[id(expr)] = (expr, printed)
        return printed

    def operand(self, expr):
        """``expr`` inside a larger formula: in parentheses if it is compound."""
        printed = self.doprint(expr)
        return self.parens(printed) if expr.compound(self.fmt) else printed

    def parens(self, printed):
        return f"({printed})"

    def _print_Name(self, e):
        return getattr(e, f"{self.fmt}_name")

    def _print_Shown(self, e):
        return self.doprint(e.shown)

    def _print_Seed(self, e):
        return "1"

    def _print_Zeros(self, e):
        return "0"

    def _print_Product(self, e):
        kept = e.kept(self.fmt)
        if self.fmt != "code" and e.kind == "hadamard" and len(kept) > 1 \
                and (isinstance(kept[0], Rows) or _scale(kept[0]) is not None):
            return self.scaled(kept[0], kept[1:])
        return self.products[e.kind].join(self.operand(f) for f in kept)

    def scaled(self, g, rest):
        """``g ⊙ rest`` as a teacher writes it: ``c·X`` for ``(c·𝟙) ⊙ X`` (the 1/N of a mean),
        ``diag(g)·X`` for a value per row (code: ``g[:, None] * X``; ``g ⊙ X`` would read, in
        NumPy, as broadcasting along the other axis)."""
        body = self.products["hadamard"].join(self.operand(f) for f in rest)
        body = self.parens(body) if len(rest) > 1 else body
        values = g.arg if isinstance(g, Rows) else g
        scale = _scale(values)
        if scale is not None:
            return f"{self.operand(scale)}{self.products['times']}{body}"
        return f"{self.diag(self.doprint(values))}{self.products['matmul']}{body}"

    def _print_Infix(self, e):
        return f"{self.operand(e.left)}{self.infix[e.op]}{self.operand(e.right)}"

    def _print_Neg(self, e):
        return f"{self.minus}{self.operand(e.arg)}"

    def _print_Plus(self, e):
        return " + ".join(self.doprint(t) for t in e.terms)

    def _print_Call(self, e):
        return getattr(e.fn, self.fmt).format(*(self.operand(a) for a in e.args))

    def _print_Rows(self, e):
        return self.operand(e.arg)

    def _print_Stable(self, e):
        return self.doprint(e.math_form)

    def _print_Transpose(self, e):
        shown = e.arg.shown if isinstance(e.arg, Shown) else e.arg
        if isinstance(shown, Transpose) and not e.arg.compound(self.fmt):
            return self.operand(shown.arg)                  # (Aᵀ)ᵀ = A
        return self.operand(e.arg) + self.transposed

    def outer(self, e, transposed, times):
        """left·rightᵀ (text and LaTeX): the right factor's own parentheses are enough before
        the ᵀ, and a left factor of ones is left out as in a matrix product (1×1 only)."""
        right = self.operand(e.right) + transposed
        if left_out_of_matmul(e.left, self.fmt):
            return right
        return f"{self.operand(e.left)}{times}{right}"

    def _print_ChainRule(self, e):
        if left_out(e.upstream, self.fmt):
            return self.doprint(e.local)
        local = self.doprint(e.local)
        if e.local.compound(self.fmt) and not _leading_product(e.local):
            local = self.parens(local)
        scale = _scale(e.upstream) if self.fmt != "code" else None
        if scale is not None:                  # (c·𝟙) ⊙ X is c·X; (𝟙/3) ⊙ X is (1/3)·X
            return f"{self.operand(scale)}{self.products['times']}{local}"
        return f"{self.operand(e.upstream)}{self.products['hadamard']}{local}"


def _scale(upstream):
    """The number an upstream of ones stands for (c of c·𝟙, 1/N of a mean's 𝟙/N), or None."""
    if isinstance(upstream, Ones):
        return upstream.value
    if isinstance(upstream, Expand) and upstream.value.one and upstream.count != 1:
        return Over(Seed(()), upstream.count)
    return None


def _leading_product(local):
    """A product that does not start with a minus sign (see :class:`ChainRule`)."""
    return local.expr.is_Mul and not CODE.doprint(local).startswith("-")


_NUMBER_TIMES = re.compile(r"(?<![\w.)*^])(\d+(?:\.\d+)?(?:e[-+]?\d+)?)\*(?!\*)")   # the 2* of 2*q


class TextPrinter(FormulaPrinter):
    fmt = "text"
    products = {"matmul": "·", "hadamard": " ⊙ ", "times": "·"}
    infix = {"add": " + ", "sub": " − ", "div": " ⊘ "}
    minus = "−"
    transposed = "ᵀ"

    def diag(self, printed):
        return f"diag({printed})"

    def _print_Ones(self, e):
        return "𝟙" if e.one else f"{self.operand(e.value)}·𝟙"

    def _print_Over(self, e):
        return f"{self.operand(e.value)}/{e.count}"

    def _print_Outer(self, e):
        return self.outer(e, "ᵀ", "·")

    def _print_Expand(self, e):
        if e.value.one:
            spread = "𝟙"
        elif len(e.shape) == 2:
            g = self.operand(e.value)
            spread = f"𝟙·{g}ᵀ" if e.axis == 0 else f"{g}·𝟙ᵀ"
        else:
            spread = f"broadcast({self.doprint(e.value)}, axis={e.axis})"
        return spread if e.count == 1 else f"{spread}/{e.count}"

    def _print_SumOver(self, e):
        where = sum_axes(e.from_shape, e.to_shape)[2]
        return f"sum_{where}({self.doprint(e.arg)})" if where else f"sum({self.doprint(e.arg)})"

    def _print_Entrywise(self, e):
        names = {s: sympy.Symbol(self.operand(f)) for s, f in e.bindings}
        # SymPy's str printer has no setting for its product and power signs: ** and * are
        # its own output, re-spelled here as ^, · after a number (2·q), else ⊙ (entry by entry)
        text = _NUMBER_TIMES.sub(r"\1·", user_text(e.expr.xreplace(names)))
        return text.replace("**", "^").replace("*", " ⊙ ")


class _OdotLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with ⊙ where it would write a · between numbers."""

    def __init__(self, settings=None):
        super().__init__(settings)
        self._settings["mul_symbol_latex_numbers"] = r" \odot "


class LatexFormulaPrinter(FormulaPrinter):
    fmt = "latex"
    products = {"matmul": " ", "hadamard": r" \odot ", "times": " "}
    infix = {"add": " + ", "sub": " - ", "div": r" \oslash "}
    transposed = r"^{\top}"

    def diag(self, printed):
        return rf"\operatorname{{diag}}({printed})"

    def parens(self, printed):
        return rf"\left({printed}\right)"

    def _print_Ones(self, e):
        return r"\mathbf{1}" if e.one else self.operand(e.value) + r"\,\mathbf{1}"

    def _print_Over(self, e):
        return rf"\frac{{{self.operand(e.value)}}}{{{e.count}}}"

    def _print_Outer(self, e):
        return self.outer(e, r"^{\top}", " ")

    def _print_Expand(self, e):
        if e.value.one:
            spread = r"\mathbf{1}"
        elif len(e.shape) == 2:
            g = self.operand(e.value)
            spread = (rf"\mathbf{{1}} {g}^{{\top}}" if e.axis == 0
                      else rf"{g} \mathbf{{1}}^{{\top}}")
        else:
            spread = rf"\operatorname{{broadcast}}_{{{e.axis}}}\left({self.doprint(e.value)}\right)"
        return spread if e.count == 1 else rf"\frac{{1}}{{{e.count}}} {spread}"

    def _print_SumOver(self, e):
        where = sum_axes(e.from_shape, e.to_shape)[2]
        below = rf"\textstyle\sum_{{\text{{{where}}}}} " if where else r"\sum "
        return below + self.operand(e.arg)

    def _print_Entrywise(self, e):
        names = {s: self.operand(f) for s, f in e.bindings}
        return _OdotLatexPrinter({"symbol_names": names}).doprint(e.expr)


class CodePrinter(FormulaPrinter):
    fmt = "code"
    products = {"matmul": " @ ", "hadamard": " * ", "times": " * "}
    infix = {"add": " + ", "sub": " - ", "div": " / "}
    transposed = ".T"

    def _print_Name(self, e):
        return e.code_name

    def _print_Shown(self, e):
        return e.code_name

    def _print_Seed(self, e):
        return "1.0" if e.shape == () else f"np.ones({e.shape})"

    def _print_Zeros(self, e):
        return f"np.zeros({e.shape})"

    def _print_Ones(self, e):
        return f"np.full({e.shape}, {self.operand(e.value)})"

    def _print_Over(self, e):
        return f"{self.operand(e.value)} / {float(e.count)!r}"

    def _print_Transpose(self, e):
        return self.operand(e.arg) + ".T"

    def _print_Outer(self, e):
        return f"np.outer({self.doprint(e.left)}, {self.doprint(e.right)})"

    def _print_Expand(self, e):
        # np.repeat, not np.broadcast_to: a gradient is handed to the caller, who may update it
        # in place, and a broadcast view is read-only (and every row of it is one memory row)
        value = self.doprint(e.value) if e.count == 1 else \
            f"{self.operand(e.value)} / {float(e.count)!r}"
        return (f"np.repeat(np.expand_dims({value}, {e.axis}), {e.shape[e.axis]}, "
                f"axis={e.axis})")

    def _print_Rows(self, e):
        return self.operand(e.arg) + "[:, None]"

    def _print_Stable(self, e):
        return self.doprint(e.code_form)

    def _print_SumOver(self, e):
        axis, leading_only, where = sum_axes(e.from_shape, e.to_shape)
        inner = self.doprint(e.arg)
        if not where:
            return f"np.sum({inner})"
        if leading_only:
            return f"np.sum({inner}, axis={axis})"
        code = f"np.sum({inner}, axis={axis}, keepdims=True)"
        return f"{code}.reshape({e.to_shape})" if len(e.from_shape) > len(e.to_shape) else code

    def _print_Entrywise(self, e):
        return NumpyCodePrinter({s.name: self.doprint(f) for s, f in e.bindings}).doprint(e.expr)


CODE, TEXT, LATEX = CodePrinter(), TextPrinter(), LatexFormulaPrinter()
