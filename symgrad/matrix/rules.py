"""The vector-Jacobian rule table for matrix operations: one entry per operation.

Each :class:`MatrixRule` says, once, how an operation

- checks and computes its output shape (``shape``),
- is written (``forward``: code, text, LaTeX), and
- sends the upstream gradient G = ∂L/∂out back to each differentiable argument
  (``vjp``: one formula per argument, written with G, the arguments and ``out``).

The rules of the matrix operations sit in one literal table below, e.g.

    matmul   out = A·B      dA = G·Bᵀ        dB = Aᵀ·G        (bilinear: one rule per side)
    sum      out = Σ A      dA = G·𝟙
    sigmoid  out = σ(Z)     dZ = G ⊙ out ⊙ (1 − out)

Elementwise operations do not get rules of their own here: every primitive of
the scalar table ``symgrad/rules.py`` applies entry by entry, and its vjp is
G ⊙ (its scalar local gradient), so the two tables cannot disagree. An argument
that was broadcast (a bias row added to every sample of a batch) gets the sum of
G over the broadcast axes: :func:`unbroadcast` does that, in one place.

Formulas are :class:`F` triples (code, text, LaTeX) so the code generator, the
step list and the documents all print the same rule.
"""

from dataclasses import dataclass, field
from typing import Callable

import sympy

from ..errors import SymgradError
from ..rules import RULES


class ShapeMismatch(SymgradError):
    """Operands whose shapes do not fit; the message names both shapes."""


@dataclass(frozen=True)
class F:
    """One formula in three spellings: NumPy code, plain text, LaTeX."""

    code: str
    text: str
    latex: str
    atomic: bool = False         # a name or a call: needs no parentheses inside a larger formula
    one: bool = False            # the number 1 (the seed gradient of a scalar output)

    def part(self, fmt):
        value = getattr(self, fmt)
        return value if self.atomic else f"({value})" if fmt != "latex" else rf"\left({value}\right)"


def fill(template, **parts):
    """An :class:`F` from a (code, text, LaTeX) template with ``{G}``, ``{a}``… placeholders."""
    out = []
    for fmt, tpl in zip(("code", "text", "latex"), template):
        out.append(tpl.format(**{k: v.part(fmt) for k, v in parts.items()}))
    # (Aᵀ)ᵀ = A: also keeps the LaTeX free of a double superscript
    out[1], out[2] = out[1].replace("ᵀᵀ", ""), out[2].replace(r"^{\top}^{\top}", "")
    atomic = (all(t.startswith("{") and t.endswith("}") and t.count("{") == 1 for t in template)
              or not any(c in out[0] + out[1] for c in " ·⊙+−-/@*"))      # e.g. W2ᵀ, W2.T
    return F(*out, atomic=atomic)


@dataclass(frozen=True)
class MatrixRule:
    arity: int                # differentiable arguments (the first ones)
    nargs: int                # all arguments (the rest are data, e.g. the labels of a loss)
    shape: Callable           # (shapes, params) -> output shape; raises ShapeMismatch
    forward: Callable         # (args: list of F, params) -> F
    vjp: Callable             # (ctx: VJPContext) -> tuple of F, one per differentiable argument
    label: str
    helpers: tuple = ()       # helper functions the generated code needs


@dataclass
class VJPContext:
    G: F                      # upstream gradient ∂L/∂out
    args: list                # F of each argument
    out: F
    shapes: list              # shapes of the arguments
    out_shape: tuple
    params: tuple
    helpers: set = field(default_factory=set)   # code helpers the formulas call


# --- shape rules ----------------------------------------------------------------------------------
def broadcast_shape(shapes, names, op):
    """NumPy broadcasting of elementwise operands, or a ShapeMismatch naming both shapes."""
    try:
        import numpy as np

        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        pairs = " and ".join(f"{n} {tuple(s)}" for n, s in zip(names, shapes))
        raise ShapeMismatch(f"{op}: shapes do not broadcast: {pairs}") from None


def matmul_shape(shapes, names):
    (a, b), (na, nb) = shapes, names
    if len(a) != 2 or len(b) != 2:
        raise ShapeMismatch(f"matmul {na}·{nb}: both operands must be matrices, got shapes {a} and {b}")
    if a[1] != b[0]:
        raise ShapeMismatch(f"matmul {na}·{nb}: shapes {a} and {b} do not fit "
                            f"(columns of {na}, {a[1]}, ≠ rows of {nb}, {b[0]})")
    return (a[0], b[1])


def rows_loss_shape(shapes, names, op):
    (s, y), (ns, ny) = shapes, names
    if len(s) != 2 or tuple(s) != tuple(y):
        raise ShapeMismatch(f"{op}({ns}, {ny}): scores and labels must be matrices of the same shape "
                            f"(samples × classes), got {s} and {y}")
    return (s[0],)


def check_shapes(op, rule, shapes, names, params):
    if len(shapes) != rule.nargs:
        raise SymgradError(f"{op} takes {rule.nargs} argument{'s' * (rule.nargs != 1)}, got {len(shapes)}")
    return rule.shape(list(shapes), list(names), params)


# --- unbroadcast: the one place where broadcasting is undone --------------------------------------
def unbroadcast(g, from_shape, to_shape):
    """Sum ``g`` (of ``from_shape``) over the axes along which an operand of ``to_shape`` was broadcast."""
    from_shape, to_shape = tuple(from_shape), tuple(to_shape)
    if from_shape == to_shape:
        return g
    lead = len(from_shape) - len(to_shape)
    axes = list(range(lead)) + [lead + i for i, d in enumerate(to_shape)
                                if d == 1 and from_shape[lead + i] != 1]
    if not to_shape:
        return F(f"np.sum({g.code})", f"sum({g.text})", rf"\sum {g.part('latex')}", atomic=True)
    axis = axes[0] if len(axes) == 1 else tuple(axes)
    if all(a < lead for a in axes):
        code = f"np.sum({g.code}, axis={axis})"
    else:
        code = f"np.sum({g.code}, axis={axis}, keepdims=True)"
        if lead:
            code = f"{code}.reshape({to_shape})"
    where = "rows" if axes == [0] else f"axes {axis}"
    return F(code, f"sum_{where}({g.text})", rf"\textstyle\sum_{{\text{{{where}}}}} {g.part('latex')}",
             atomic=True)


# --- elementwise operations, from the scalar rule table -------------------------------------------
_PLACEHOLDERS = [sympy.Symbol(f"ARG{i}", real=True) for i in range(3)]
_OUT = sympy.Symbol("OUT", real=True)


def _print_scalar(expr, names, fmt):
    """Print a scalar-rule SymPy expression with placeholder symbols replaced by formula spellings."""
    if fmt == "code":
        from ..codegen import NumpyCodePrinter

        printer = NumpyCodePrinter({s: names[s].code for s in names})
        return printer.doprint(expr), printer.helpers
    if fmt == "text":
        text = sympy.sstr(expr.xreplace({sympy.Symbol(s, real=True): sympy.Symbol(names[s].part("text"))
                                         for s in names}))
        return text.replace("**", "^").replace("*", " ⊙ "), set()
    return sympy.latex(expr, symbol_names={sympy.Symbol(s, real=True): names[s].part("latex")
                                           for s in names}).replace(r"\cdot", r"\odot"), set()


def _scalar_formula(expr, names):
    """An F for a scalar-rule expression, and the code helpers it needs."""
    code, helpers = _print_scalar(expr, names, "code")
    text, _ = _print_scalar(expr, names, "text")
    latex, _ = _print_scalar(expr, names, "latex")
    atomic = expr.is_Atom or isinstance(expr, sympy.Function)
    return F(code, text, latex, atomic=atomic), helpers


# Arithmetic gates are spelled by template (SymPy would reorder ``yhat - y`` into ``-y + yhat``).
SPELLINGS = {
    "add": ("{a} + {b}", "{a} + {b}", "{a} + {b}"),
    "sub": ("{a} - {b}", "{a} − {b}", "{a} - {b}"),
    "mul": ("{a} * {b}", "{a} ⊙ {b}", r"{a} \odot {b}"),
    "div": ("{a} / {b}", "{a} ⊘ {b}", r"{a} \oslash {b}"),
    "neg": ("-{a}", "−{a}", "-{a}"),
    "identity": ("{a}", "{a}", "{a}"),
}


def elementwise(op):
    """The matrix rule of scalar primitive ``op``: applied entry by entry, with broadcasting."""
    scalar = RULES[op]
    n = scalar.arity

    def shape(shapes, names, params):
        return broadcast_shape(shapes, names, op)

    def names_of(args, out=None):
        names = {f"ARG{i}": a for i, a in enumerate(args)}
        if out is not None:
            names["OUT"] = out
        return names

    def forward(args, params):
        if op in SPELLINGS:                    # arithmetic reads as written, in argument order
            return fill(SPELLINGS[op], **dict(zip("ab", args))), set()
        expr = scalar.build(*_PLACEHOLDERS[:n], *params)
        formula, helpers = _scalar_formula(expr, names_of(args))
        return formula, helpers

    def vjp(ctx):
        locals_ = scalar.local(*_PLACEHOLDERS[:n], *ctx.params, out=_OUT)
        out = []
        for i in range(n):
            local = locals_[i]
            if local == 1:
                g = ctx.G                      # passes through (a seed of ones stays one)
            elif local == -1:
                g = fill(("-{G}", "−{G}", "-{G}"), G=ctx.G)
            else:
                lf, helpers = _scalar_formula(local, names_of(ctx.args, ctx.out))
                ctx.helpers.update(helpers)
                if local.is_Mul and not lf.code.startswith("-"):
                    # a product needs no parentheses after G: "G * h*(1 - h)" runs left to right, as
                    # the posts write it (grad_h*h*(1-h))
                    lf = F(lf.code, lf.text, lf.latex, atomic=True)
                g = fill(("{G} * {L}", "{G} ⊙ {L}", r"{G} \odot {L}"), G=ctx.G, L=lf)
                if ctx.G.one:                  # 1 ⊙ L is L
                    plain = local.is_Atom or isinstance(local, sympy.Function)
                    g = F(lf.code if ctx.G.code == "1.0" else g.code, lf.text, lf.latex, atomic=plain)
            out.append(unbroadcast(g, ctx.out_shape, ctx.shapes[i]))
        return tuple(out)

    return MatrixRule(n, n, shape, forward, vjp, scalar.label)


# --- reductions and the matrix product -------------------------------------------------------------
def _fixed(template, helpers=()):
    """A forward rule from a fixed (code, text, LaTeX) template over arguments {a}, {b}."""
    def forward(args, params):
        parts = dict(zip("ab", args))
        parts.update({f"p{i}": F(repr(float(p)), str(p), str(p), atomic=True) for i, p in enumerate(params)})
        return fill(template, **parts), set(helpers)
    return forward


# How "G times …" reads when G is the number 1 (the seed gradient of the output).
_TIMES_G = ("{G} * ", " * {G}", "{G}[:, None] * ", "{G} ⊙ ", "2·{G}·", "{G}·", "·{G}", r"{G} \odot ",
            r"{G}\,", "{G} ", " {G}")


def _without_g(template):
    for piece in _TIMES_G:
        template = template.replace(piece, "2·" if piece == "2·{G}·" else "")
    return template


def _vjps(*templates, helpers=()):
    """A vjp rule from one (code, text, LaTeX) template per argument, over {G}, {a}, {b}, {out}, {shape}."""
    def vjp(ctx):
        ctx.helpers.update(helpers)
        templates_ = templates
        if ctx.G.one:           # "1·Bᵀ" reads Bᵀ; the code drops the factor only when it is the number 1.0
            templates_ = [(_without_g(c) if ctx.G.code == "1.0" and "{shape}" not in c else c,
                           _without_g(t) if "{shape}" not in t or "𝟙" in t else t, _without_g(x))
                          for c, t, x in templates]
        parts = dict(zip("ab", ctx.args), G=ctx.G, out=ctx.out)
        shape = repr(tuple(ctx.shapes[0]))
        parts["shape"] = F(shape, "x".join(map(str, ctx.shapes[0])), "x".join(map(str, ctx.shapes[0])), True)
        parts["size"] = F(repr(float(_size(ctx.shapes[0]))), _size_name(ctx.shapes[0]),
                          _size_name(ctx.shapes[0]), True)
        parts.update({f"p{i}": F(repr(float(p)), str(p), str(p), atomic=True) for i, p in enumerate(ctx.params)})
        results = [fill(t, **parts) for t in templates_]
        for i, t in enumerate(templates_):          # G·𝟙 with G = 1 is still all ones
            if ctx.G.one and "𝟙" in t[1] and "{size}" not in t[1]:
                results[i] = F(results[i].code, "𝟙", r"\mathbf{1}", atomic=True, one=True)
        return tuple(results)
    return vjp


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _size_name(shape):
    return str(_size(shape))


def _scalar_shape(shapes, names, params):
    return ()


MATRIX_RULES = {
    # --- bilinear and structural ---------------------------------------------------------------
    "matmul": MatrixRule(2, 2, lambda s, n, p: matmul_shape(s, n),
                         _fixed(("{a} @ {b}", "{a}·{b}", r"{a} {b}")),
                         _vjps(("{G} @ {b}.T", "{G}·{b}ᵀ", r"{G} {b}^{{\top}}"),
                               ("{a}.T @ {G}", "{a}ᵀ·{G}", r"{a}^{{\top}} {G}")), "matrix product"),
    "transpose": MatrixRule(1, 1, lambda s, n, p: tuple(reversed(s[0])),
                            _fixed(("{a}.T", "{a}ᵀ", r"{a}^{{\top}}")),
                            _vjps(("{G}.T", "{G}ᵀ", r"{G}^{{\top}}")), "transpose"),
    # --- reductions to a number ----------------------------------------------------------------
    "sum": MatrixRule(1, 1, _scalar_shape, _fixed(("np.sum({a})", "sum({a})", r"\sum {a}")),
                      _vjps(("np.full({shape}, {G})", "{G}·𝟙", r"{G}\,\mathbf{{1}}")), "sum"),
    "mean": MatrixRule(1, 1, _scalar_shape, _fixed(("np.mean({a})", "mean({a})", r"\operatorname{{mean}} {a}")),
                       _vjps(("np.full({shape}, {G} / {size})", "({G}/{size})·𝟙",
                              r"\frac{{{G}}}{{{size}}}\,\mathbf{{1}}")), "mean"),
    "sumsq": MatrixRule(1, 1, _scalar_shape,
                        _fixed(("np.sum(np.square({a}))", "sum({a}²)", r"\sum {a}^{{2}}")),
                        _vjps(("2.0 * {G} * {a}", "2·{G}·{a}", r"2 {G} {a}")), "sum of squares"),
    "l1": MatrixRule(1, 1, _scalar_shape, _fixed(("np.sum(np.abs({a}))", "‖{a}‖₁", r"\lVert {a} \rVert_1")),
                     _vjps(("{G} * np.sign({a})", "{G}·sign({a})", r"{G} \operatorname{{sign}}{a}")),
                     "L1 penalty"),
    "l2": MatrixRule(1, 1, _scalar_shape,
                     _fixed(("np.sum(np.square({a}))", "‖{a}‖²", r"\lVert {a} \rVert_2^2")),
                     _vjps(("2.0 * {G} * {a}", "2·{G}·{a}", r"2 {G} {a}")), "L2 penalty"),
    # log σ(Z) as one gate (matrix.log of a sigmoid gate builds it): log(σ(Z)) would be −inf once σ(Z)
    # underflows and its gradient would divide by σ(Z); this is −softplus(−Z), with gradient 1 − σ(Z).
    "log_sigmoid": MatrixRule(1, 1, lambda s, n, p: tuple(s[0]),
                              _fixed(("_log_sigmoid({a})", "log σ({a})", r"\log\sigma\left({a}\right)"),
                                     helpers=("_log_sigmoid",)),
                              _vjps(("{G} * _sigmoid(-{a})", "{G} ⊙ (1 − σ({a}))",
                                     r"{G} \odot \left(1 - \sigma\left({a}\right)\right)"), helpers=("_sigmoid",)),
                              "log-sigmoid"),
    # --- losses of a batch of scores (rows: samples, columns: classes); out: one loss per sample ---
    # softmax cross-entropy, Lᵢ = logsumexp(Sᵢ) − Σⱼ Yᵢⱼ·Sᵢⱼ
    # (= −Σⱼ Yᵢⱼ log softmax(Sᵢ)ⱼ for one-hot or probability rows Y), through a stable log-sum-exp.
    "softmax_ce": MatrixRule(1, 2, lambda s, n, p: rows_loss_shape(s, n, "softmax_ce"),
                             _fixed(("_softmax_ce({a}, {b})", "softmax_ce({a}, {b})",
                                     r"\operatorname{{CE}}\left({a}, {b}\right)"),
                                    helpers=("_logsumexp", "_softmax_ce")),
                             _vjps(("{G}[:, None] * (_softmax({a}) - {b})", "{G} ⊙ (softmax({a}) − {b})",
                                    r"{G} \odot \left(\operatorname{{softmax}}({a}) - {b}\right)"),
                                   helpers=("_logsumexp", "_softmax")), "softmax cross-entropy"),
    # multiclass hinge (cs231n SVM), Lᵢ = Σ_{j≠yᵢ} max(0, Sᵢⱼ − S_{i,yᵢ} + Δ), labels one-hot in Y;
    # at a margin of exactly 0 the gradient is 0 (relu'(0) = 0).
    "hinge": MatrixRule(1, 2, lambda s, n, p: rows_loss_shape(s, n, "hinge"),
                        _fixed(("_hinge({a}, {b}, {p0})", "hinge({a}, {b}; Δ={p0})",
                                r"\operatorname{{hinge}}_{{{p0}}}\left({a}, {b}\right)"), helpers=("_hinge",)),
                        _vjps(("{G}[:, None] * _hinge_grad({a}, {b}, {p0})",
                               "{G} ⊙ hinge′({a}, {b})", r"{G} \odot \operatorname{{hinge}}'\left({a}, {b}\right)"),
                              helpers=("_hinge_grad",)), "multiclass hinge"),
}

for _op in RULES:
    MATRIX_RULES[_op] = elementwise(_op)

# Helpers of the generated code (added to the module only when used).
CODE_HELPERS = {
    "_own": '''\
def _own(value, seen):
    """``value``, copied if it is an input array or another result (so callers may update it in place)."""
    if id(value) in seen:
        value = np.array(value, dtype=float)
    seen.add(id(value))
    return value
''',
    "_logsumexp": '''\
def _logsumexp(s):
    """log Σⱼ e^(s_ij) per row, shifted by the row maximum so that nothing overflows."""
    top = np.max(s, axis=1, keepdims=True)
    return (top + np.log(np.sum(np.exp(s - top), axis=1, keepdims=True)))[:, 0]
''',
    "_softmax_ce": '''\
def _softmax_ce(s, y):
    """Cross-entropy of softmax(s) against label rows y, one value per row (log-sum-exp form)."""
    return _logsumexp(s) - np.sum(y * s, axis=1)
''',
    "_softmax": '''\
def _softmax(s):
    e = np.exp(s - np.max(s, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)
''',
    "_hinge": '''\
def _hinge(s, y, margin):
    """Σ_{j≠y_i} max(0, s_ij − s_iy + margin) per row; y holds one-hot label rows."""
    correct = np.sum(s * y, axis=1, keepdims=True)
    return np.sum((1.0 - y) * np.maximum(s - correct + margin, 0.0), axis=1)
''',
    "_hinge_grad": '''\
def _hinge_grad(s, y, margin):
    """∂hinge/∂s per row: 1 for each violating class, minus their count on the correct class."""
    correct = np.sum(s * y, axis=1, keepdims=True)
    m = (1.0 - y) * (s - correct + margin > 0)
    return m - y * np.sum(m, axis=1, keepdims=True)
''',
}
