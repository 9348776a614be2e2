"""The dimension check of each backward step: why a matrix gradient is the product it is.

For a matrix product C = A·B, ∂L/∂A must have the shape of A, and it can only be built from
the upstream gradient G = ∂L/∂C and the other factor B. :func:`dimension_checks` enumerates
every product of the two, each possibly transposed, in either order, keeps those whose
shape is the shape of A, and says so: "the only product with that shape is G·Bᵀ"
when one fits, or, when several fit (square matrices), that the shapes alone do not decide
and which one the rule picks because of the index that is summed.

The other gates get a short sentence of the same kind: an elementwise gate keeps the shape
(a Hadamard product), a broadcast operand sums the upstream over the broadcast axes (named),
a transpose transposes back, a reduction spreads the upstream number over every entry, a
batch loss multiplies each row by its own sample's upstream number.

Each :class:`DimensionCheck` is plain data; :meth:`DimensionCheck.sentence` writes it in
English or Korean, as plain text (``∂f/∂W``, ``2×2``) or as Markdown prose whose math is
LaTeX between dollars (for the documents).
"""

import itertools
import re
from dataclasses import dataclass, field

from ..i18n import gate_label, say
from .axes import broadcast_axes
from .formula import TEXT, MatMul, Name, Shown, Transpose
from .sweep import latex_name

ELEMENTWISE_REDUCTIONS = ("sum", "mean", "sumsq", "l1", "l2")
ROW_LOSSES = ("softmax_ce", "hinge")


# --- pieces of math, spelled two ways -------------------------------------------------------------
@dataclass(frozen=True)
class Math:
    """One piece of math in a sentence: plain text (``∂f/∂W``) and LaTeX (``\\frac{…}{…}``)."""

    text: str
    latex: str


def shape_math(shape):
    """A shape as the sentences write it: ``2×3``; a vector as NumPy writes it, ``(3,)``; a number
    is 1×1 (what it is in a product)."""
    dims = tuple(shape) or (1, 1)
    if len(dims) == 1:
        return Math(f"({dims[0]},)", f"({dims[0]},)")
    return Math("×".join(map(str, dims)), r" \times ".join(map(str, dims)))


def matrix_reading(shape, side):
    """A shape as a matrix: a vector (n,) is a column n×1, or a row 1×n on the left of a product
    (as NumPy reads it); a number is 1×1."""
    shape = tuple(shape)
    if len(shape) == 0:
        return (1, 1)
    if len(shape) == 1:
        return (1, shape[0]) if side == "row" else (shape[0], 1)
    return shape


@dataclass(frozen=True)
class Factor:
    """One factor of a candidate product: the upstream gradient or the other operand, maybe
    transposed; ``shape`` is its shape as a matrix (after the transpose)."""

    role: str            # "G" (the upstream gradient) or "other"
    transposed: bool
    shape: tuple


@dataclass(frozen=True)
class Candidate:
    left: Factor
    right: Factor

    @property
    def fits(self):
        return self.left.shape[1] == self.right.shape[0]

    @property
    def shape(self):
        return (self.left.shape[0], self.right.shape[1])


@dataclass
class DimensionCheck:
    """The dimension check of one backward step (gate → input), as data.

    ``kind``: "matmul", "scalar", "elementwise", "broadcast", "transpose", "reduction",
    "axis_reduction", "rows" (a loss per sample) or "other". For a matmul step, ``fitting``
    lists every product of the upstream and the other factor (each possibly transposed, in
    either order) with the target's shape, and ``chosen`` is the one the rule computes (None if
    the rule is written in a way that is none of them)."""

    kind: str
    gate: str
    input: str
    op: str
    label: str
    target_shape: tuple              # the shape of the input, so of its gradient
    upstream_shape: tuple            # the shape of the gate, so of the upstream gradient
    other: str = None                # the other factor of a matrix product
    other_shape: tuple = None
    position: int = 0
    fitting: list = field(default_factory=list)        # [Candidate]
    chosen: Candidate = None
    axes: tuple = ()                 # broadcast axes (of the gate's shape) summed over
    vectors: bool = False            # a matrix product with a vector (n,): read as a column
    left_vector: bool = False        # the left operand of @ is a vector (NumPy: a row there)
    pieces: dict = field(default_factory=dict, repr=False)   # name -> Math

    def label_in(self, lang):
        """The gate's label in ``lang`` (strings.json's ``gate:`` entries: 행렬 곱)."""
        return gate_label(self.label, (lang,))

    @property
    def shapes_decide(self):
        return len(self.fitting) == 1 and self.chosen is not None

    def product_math(self, candidate):
        return _product(candidate, self.pieces)

    def to_json(self):
        return {
            "kind": self.kind,
            "target_shape": list(self.target_shape),
            "upstream_shape": list(self.upstream_shape),
            "other": self.other,
            "other_shape": list(self.other_shape) if self.other_shape is not None else None,
            "products_that_fit": [self.product_math(c).text for c in self.fitting],
            "chosen": self.product_math(self.chosen).text if self.chosen is not None else None,
            "chosen_shapes": [list(self.chosen.left.shape), list(self.chosen.right.shape),
                              list(self.chosen.shape)] if self.chosen is not None else None,
            "shapes_decide": self.shapes_decide if self.kind == "matmul" else None,
            "summed_axes": list(self.axes),
            "en": self.sentence("en"),
            "ko": self.sentence("ko"),
        }

    def sentence(self, lang, math=False):
        """The explanation in ``lang`` ("en" or "ko"): plain text, or with ``math`` Markdown prose
        whose formulas are LaTeX between dollars."""
        return _SENTENCES[self.kind](self, lang, lambda m: f"${m.latex}$" if math else m.text)


# --- building the checks --------------------------------------------------------------------------
def dimension_checks(d, name_tex=latex_name):
    """One :class:`DimensionCheck` per backward step of the matrix derivation ``d``, in order.

    ``name_tex``: how a node's name is written in LaTeX (the documents set several-letter names
    upright)."""
    rows = {r.name: r for r in d.forward}
    return [check_step(d, s, rows.get(s.gate), name_tex) for s in d.steps]


def check_step(d, step, row, name_tex=latex_name):
    out = d.output
    node = d.model.nodes[step.gate]
    leaves = _leaves(row)
    gate_leaf = _shown_gate(d, row)
    pieces = {
        "target": _partial(out, step.input, leaves.get(step.position), name_tex),
        "G": _partial(out, step.gate, gate_leaf, name_tex),
        "input": _name(step.input, leaves.get(step.position), name_tex),
        "gate": _name(step.gate, gate_leaf, name_tex),
        "ishape": shape_math(step.input_shape),
        "gshape": shape_math(step.gate_shape),
        "rule": Math(step.rule.text, step.rule.latex),
    }
    check = DimensionCheck("other", step.gate, step.input, step.op, step.label,
                           tuple(step.input_shape), tuple(step.gate_shape),
                           position=step.position, pieces=pieces)
    if step.op == "matmul" and len(node.args) == 2:
        _matmul_check(d, step, check, leaves, name_tex)
    elif step.op == "transpose":
        check.kind = "transpose"
    elif step.op in ELEMENTWISE_REDUCTIONS:
        check.kind = "reduction" if tuple(step.gate_shape) == () else "axis_reduction"
    elif step.op in ROW_LOSSES:
        check.kind = "rows"
    elif tuple(step.input_shape) == tuple(step.gate_shape) == ():
        check.kind = "scalar"
    elif tuple(step.input_shape) == tuple(step.gate_shape):
        check.kind = "elementwise"
    else:
        check.kind = "broadcast"
        check.axes = broadcast_axes(step.gate_shape, step.input_shape)
        pieces["axes"] = _axes_math(check.axes)
        pieces["count"] = Math(str(_count(step.gate_shape, check.axes)),
                               str(_count(step.gate_shape, check.axes)))
    return check


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _axes_math(axes):
    text = ", ".join(map(str, axes))
    return Math(text, text)


def _leaves(row):
    """position -> the formula of that argument in the gate's forward formula (a matrix product's
    two factors; an unnamed transpose reads Wᵀ there)."""
    formula = getattr(row, "formula", None)
    factors = getattr(formula, "factors", None)
    if getattr(formula, "kind", None) == "matmul" and factors and len(factors) == 2:
        return dict(enumerate(factors))
    return {}


def _shown_gate(d, row):
    """An unnamed transpose gate (``n4``) as the formulas write it, Wᵀ; else None."""
    if row is None or row.op != "transpose" or not re.fullmatch(r"n\d+", row.name):
        return None
    return Shown(row.name, row.formula)


def _name(name, leaf, name_tex):
    if isinstance(leaf, Shown):              # an unnamed transpose: written as Wᵀ
        return Math(leaf.text, _retex(leaf, name_tex))
    return Math(name, name_tex(name))


def _retex(leaf, name_tex):
    """The LaTeX of a (transposed) name, with ``name_tex`` for the name itself."""
    inner = leaf.shown.arg if isinstance(leaf.shown, Transpose) else None
    if isinstance(inner, Name):
        return name_tex(inner.text_name) + r"^{\top}"
    return leaf.latex


def _partial(out, name, leaf, name_tex):
    below = _name(name, leaf, name_tex)
    text_below = f"({below.text})" if isinstance(leaf, Shown) else below.text
    latex_below = rf"\left({below.latex}\right)" if isinstance(leaf, Shown) else below.latex
    return Math(f"∂{out}/∂{text_below}",
                rf"\frac{{\partial {name_tex(out)}}}{{\partial {latex_below}}}")


def _matmul_check(d, step, check, leaves, name_tex):
    """Every product of the upstream and the other factor with the target's shape."""
    other_pos = 1 - step.position
    other = d.model.nodes[step.gate].args[other_pos]
    other_shape = d.model.nodes[other].shape if isinstance(other, str) else ()
    check.kind, check.other, check.other_shape = "matmul", other, tuple(other_shape)
    # Every vector is read as a column, as the gradient formulas write it (∂f/∂a = B·G for
    # a @ B with a vector a): the forward product reads a left vector as a row, but its gradient,
    # of the vector's own shape, is a column like the upstream.
    target = matrix_reading(step.input_shape, "column")
    other_m = matrix_reading(other_shape, "column")
    upstream = matrix_reading(step.gate_shape, "column")
    check.pieces.update(other=_name(other, leaves.get(other_pos), name_tex),
                        oshape=shape_math(other_m), gshape=shape_math(upstream),
                        ishape=shape_math(target))
    check.vectors = any(len(s) == 1 for s in (step.input_shape, other_shape, step.gate_shape))
    left = step.input_shape if step.position == 0 else other_shape
    check.left_vector = len(left) == 1
    check.fitting = [c for c in candidates(upstream, other_m) if c.fits and c.shape == target]
    chosen_text = step.rule.text
    for c in check.fitting:
        if _rule_text(c, leaves.get(other_pos)) == chosen_text:
            check.chosen = c


def candidates(upstream, other):
    """The products of G and the other factor, each possibly transposed, in either order; a 1×1
    factor is not transposed (it is its own transpose)."""
    found = []
    for g_t, o_t, g_first in itertools.product((False, True), (False, True), (True, False)):
        if (g_t and upstream == (1, 1)) or (o_t and other == (1, 1)):
            continue
        g = Factor("G", g_t, upstream[::-1] if g_t else upstream)
        o = Factor("other", o_t, other[::-1] if o_t else other)
        found.append(Candidate(g, o) if g_first else Candidate(o, g))
    return found


def _rule_text(candidate, other_leaf):
    """The candidate written as the rule table writes its formula (``G·Bᵀ``), to recognize the
    one the rule computes."""
    def formula(f):
        base = Name("G", "G", "G") if f.role == "G" else other_leaf
        if base is None:
            return None
        return Transpose(base) if f.transposed else base
    left, right = formula(candidate.left), formula(candidate.right)
    if left is None or right is None:
        return None
    return TEXT.doprint(MatMul(left, right))


def _product(candidate, pieces):
    """The candidate as the sentences write it: ∂f/∂q·xᵀ, (∂f/∂q)ᵀ·x."""
    def spell(f):
        piece = pieces["G"] if f.role == "G" else pieces["other"]
        if not f.transposed:
            return piece
        if f.role == "G":
            return Math(f"({piece.text})ᵀ", rf"\left({piece.latex}\right)^{{\top}}")
        if piece.text.endswith("ᵀ") and piece.latex.endswith(r"^{\top}"):   # (Wᵀ)ᵀ = W
            return Math(piece.text[:-1], piece.latex[: -len(r"^{\top}")])
        return Math(piece.text + "ᵀ", piece.latex + r"^{\top}")
    left, right = spell(candidate.left), spell(candidate.right)
    return Math(f"{left.text} · {right.text}", f"{left.latex} \\, {right.latex}")


def _calc(candidate):
    """``2×1 · 1×2 = 2×2``."""
    a, b, c = (shape_math(s) for s in (candidate.left.shape, candidate.right.shape,
                                       candidate.shape))
    return Math(f"{a.text} · {b.text} = {c.text}",
                rf"{a.latex} \cdot {b.latex} = {c.latex}")


def _indices(check):
    """The index sentence of a matrix product: which index is summed, in text and LaTeX."""
    p = check.pieces
    a, b = (p["input"], p["other"]) if check.position == 0 else (p["other"], p["input"])

    def e(m, idx):
        latex = m.latex if _simple(m.latex) else rf"\left({m.latex}\right)"
        if "_" in latex or "^" in latex:      # n_{1} or W^{\top}: a second subscript needs a group
            latex = "{" + latex + "}"
        return Math(f"{m.text}[{','.join(idx)}]", f"{latex}_{{{''.join(idx)}}}")
    c, g = p["gate"], p["G"]
    forward = Math(f"{e(c, 'ik').text} = Σ_j {e(a, 'ij').text}·{e(b, 'jk').text}",
                   rf"{e(c, 'ik').latex} = \sum_j {e(a, 'ij').latex} {e(b, 'jk').latex}")
    if check.position == 0:
        grad = Math(f"{e(p['target'], 'ij').text} = Σ_k {e(g, 'ik').text}·{e(b, 'jk').text}",
                    rf"{e(p['target'], 'ij').latex} = \sum_k {e(g, 'ik').latex} "
                    rf"{e(b, 'jk').latex}")
    else:
        grad = Math(f"{e(p['target'], 'jk').text} = Σ_i {e(a, 'ij').text}·{e(g, 'ik').text}",
                    rf"{e(p['target'], 'jk').latex} = \sum_i {e(a, 'ij').latex} "
                    rf"{e(g, 'ik').latex}")
    return forward, grad


def _simple(latex):
    return latex.replace("_", "").replace("{", "").replace("}", "").isalnum() or \
        (latex.startswith("\\") and latex[1:].isalpha())


# --- the sentences --------------------------------------------------------------------------------
# Their words are in templates/strings.json (``dim_*``), as every other sentence symgrad writes:
# a check fills in its pieces, spelled by ``s`` (plain text, or LaTeX between dollars).
# symbols: math in the documents (pdflatex has no ⊙ outside math)
ODOT, ARROW, TIMES = Math("⊙", r"\odot"), Math("→", r"\to"), Math("×", r"\times")


def _say(key, c, lang, s, **fields):
    """The sentence ``key`` for the check ``c`` in ``lang``, with its pieces and ``fields``."""
    spelled = {k: s(m) for k, m in c.pieces.items()}
    spelled.update(label=c.label_in(lang), odot=s(ODOT), arrow=s(ARROW), times=s(TIMES))
    return say(key, lang, **{**spelled, **fields})


def _matmul_sentence(c, lang, s):
    head = _say("dim_matmul_head", c, lang, s)
    if c.shapes_decide:
        sentence = _say("dim_matmul_only", c, lang, s, head=head,
                        prod=s(c.product_math(c.chosen)), calc=s(_calc(c.chosen)))
    elif not c.fitting or c.chosen is None:
        sentence = _say("dim_matmul_rule", c, lang, s, head=head)
    else:
        forward, grad = (s(m) for m in _indices(c))
        summed = _say("dim_summed_left" if c.position == 0 else "dim_summed_right", c, lang, s)
        a = c.pieces["input"] if c.position == 0 else c.pieces["other"]
        row = say("dim_left_vector_note", lang, a=s(a)) if c.left_vector else ""
        sentence = _say("dim_matmul_several", c, lang, s, head=head, n=len(c.fitting),
                        products=", ".join(s(c.product_math(f)) for f in c.fitting),
                        prod=s(c.product_math(c.chosen)), calc=s(_calc(c.chosen)),
                        forward=forward, grad=grad, summed=summed, row=row)
    return sentence + say("dim_vector_note", lang) if c.vectors else sentence


def _sentence(key):
    return lambda c, lang, s: _say(key, c, lang, s)


def _broadcast_sentence(c, lang, s):
    number = tuple(c.target_shape) == ()
    return _say("dim_broadcast_number" if number else "dim_broadcast", c, lang, s)


_SENTENCES = {
    "matmul": _matmul_sentence,
    "broadcast": _broadcast_sentence,
    **{kind: _sentence(f"dim_{kind}") for kind in ("scalar", "elementwise", "transpose",
                                                   "reduction", "axis_reduction", "rows",
                                                   "other")},
}

__all__ = ["DimensionCheck", "Math", "broadcast_axes", "candidates", "check_step",
           "dimension_checks", "matrix_reading", "shape_math"]
