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

from ..i18n import gate_label
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


def broadcast_axes(from_shape, to_shape):
    """The axes of ``from_shape`` along which an operand of ``to_shape`` was broadcast (NumPy's
    rules: new leading axes, and axes where the operand has length 1)."""
    lead = len(from_shape) - len(to_shape)
    return tuple(list(range(lead)) + [lead + i for i, n in enumerate(to_shape)
                                      if n == 1 and from_shape[lead + i] != 1])


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
# symbols: math in the documents (pdflatex has no ⊙ outside math)
ODOT, ARROW, TIMES = Math("⊙", r"\odot"), Math("→", r"\to"), Math("×", r"\times")
VECTOR_NOTE = {
    "en": " (Here a vector of length n is read as a column, n×1, as the gradient formulas write "
          "it.)",
    "ko": " (여기서 길이가 n인 벡터는 `gradient` 식이 쓰는 대로 n×1 열벡터로 읽습니다.)",
}


LEFT_VECTOR_NOTE = {
    "en": " (The vector {a} stands on the left of @, where NumPy reads it as a row, and the "
          "indices above read it so; the rule writes vectors as columns, so its formula is the "
          "transpose of that row form.)",
    "ko": " (벡터 {a}의 자리는 @의 왼쪽이라 NumPy는 이를 행벡터로 읽고, 위의 인덱스도 그렇게 "
          "읽었습니다. 규칙은 벡터를 열벡터로 쓰므로 규칙의 식은 이 행벡터 꼴의 전치입니다.)",
}


def _matmul_sentence(c, lang, s):
    sentence = _matmul_core(c, lang, s)
    return sentence + VECTOR_NOTE[lang] if c.vectors else sentence


def _matmul_core(c, lang, s):
    p = c.pieces
    head = {
        "en": f"{s(p['target'])} has the shape of {s(p['input'])}, {s(p['ishape'])}; the "
              f"upstream {s(p['G'])} is {s(p['gshape'])} and {s(p['other'])} is "
              f"{s(p['oshape'])}",
        "ko": f"{s(p['target'])}의 모양은 {s(p['input'])}의 모양과 같은 {s(p['ishape'])} "
              f"모양이어야 합니다. `upstream gradient` {s(p['G'])}의 모양은 {s(p['gshape'])}, "
              f"{s(p['other'])}의 모양은 {s(p['oshape'])}입니다",
    }[lang]
    if c.shapes_decide:
        prod, calc = s(c.product_math(c.chosen)), s(_calc(c.chosen))
        return head + {
            "en": f", so the only product with that shape is {prod} ({calc}).",
            "ko": f". 전치까지 포함해 두 행렬을 어느 순서로 곱해 보아도 이 모양이 나오는 곱은 "
                  f"{prod} ({calc}) 하나뿐입니다.",
        }[lang]
    if not c.fitting or c.chosen is None:
        rule = s(p["rule"])
        return head + {
            "en": f". The rule writes the gradient as {rule} (G is the upstream).",
            "ko": f". 규칙은 이 `gradient`를 {rule} 꼴로 씁니다 (G는 `upstream gradient`입니다).",
        }[lang]
    products = ", ".join(s(c.product_math(f)) for f in c.fitting)
    prod, calc = s(c.product_math(c.chosen)), s(_calc(c.chosen))
    forward, grad = (s(m) for m in _indices(c))
    summed = {0: f"k, the column index of both the upstream and {s(p['other'])}, which is "
                 f"the upstream times the transpose of {s(p['other'])}",
              1: f"i, the row index of both {s(p['other'])} and the upstream, which is the "
                 f"transpose of {s(p['other'])} times the upstream"}
    summed = _ko_summed(c, s) if lang == "ko" else summed[c.position]
    row = LEFT_VECTOR_NOTE[lang].format(a=s(p["input"] if c.position == 0 else p["other"])) \
        if c.left_vector else ""
    return head + {
        "en": f". {len(c.fitting)} products have that shape ({products}), so the shapes alone "
              f"do not decide. The rule picks {prod} ({calc}) because of the index that is "
              f"summed: {forward}, so {grad}; the summed index is {summed}. The other "
              f"products pair the wrong indices.{row}",
        "ko": f". 이 모양이 나오는 곱은 {products}, 모두 {len(c.fitting)}가지라서 모양만으로는 "
              f"정할 수 없습니다. 규칙이 {prod} ({calc}) 쪽을 고르는 이유는 더해지는 인덱스에 "
              f"있습니다. {forward}이므로 {grad}입니다. 더해지는 인덱스는 {summed}. 나머지 "
              f"곱은 인덱스를 잘못 짝짓습니다.{row}",
    }[lang]


def _ko_summed(c, s):
    """The Korean clause on the summed index, with no particle after a formula (the particle of
    a formula depends on how it is read aloud)."""
    other = s(c.pieces["other"])
    if c.position == 0:
        return (f"k이고, k는 `upstream gradient`의 열 번호이자 {other}의 열 번호입니다. 두 "
                f"행렬의 열끼리 곱해 더하는 계산이 곧 {other}의 전치를 오른쪽에 곱하는 "
                f"계산입니다")
    return (f"i이고, i는 {other}의 행 번호이자 `upstream gradient`의 행 번호입니다. 두 "
            f"행렬의 행끼리 곱해 더하는 계산이 곧 {other}의 전치를 왼쪽에 곱하는 계산입니다")


def _scalar_sentence(c, lang, s):
    p, label = c.pieces, c.label_in(lang)
    return {
        "en": f"{s(p['target'])} and the upstream {s(p['G'])} are both numbers: the "
              f"{label} gate multiplies the upstream by its local gradient, {s(p['rule'])}.",
        "ko": f"{s(p['target'])}의 값도, `upstream gradient` {s(p['G'])}의 값도 숫자 하나입니다. "
              f"이 `gate`({label})는 `upstream gradient`에 자기 `local gradient`를 곱할 "
              f"뿐이며, 식으로 쓰면 {s(p['rule'])}입니다.",
    }[lang]


def _elementwise_sentence(c, lang, s):
    p, label = c.pieces, c.label_in(lang)
    return {
        "en": f"{s(p['target'])} has the shape of {s(p['input'])}, {s(p['ishape'])}, the same "
              f"as the upstream {s(p['G'])}: the {label} gate works entry by entry, so each "
              f"entry of the upstream meets the local gradient of the same entry (a Hadamard "
              f"product {s(ODOT)}, no transpose, no sum): {s(p['rule'])}.",
        "ko": f"{s(p['target'])}의 모양은 {s(p['input'])}의 모양과 같은 {s(p['ishape'])} "
              f"모양이고, `upstream gradient` {s(p['G'])}의 모양과도 같습니다. 이 `gate`"
              f"({label})는 원소별로 계산하므로, `upstream gradient`의 각 원소에 같은 자리의 "
              f"`local gradient`를 곱하면 됩니다. 전치도 합도 없는 원소별 곱({s(ODOT)}, "
              f"Hadamard 곱)이며, 식으로 쓰면 {s(p['rule'])}입니다.",
    }[lang]


def _broadcast_sentence(c, lang, s):
    p = c.pieces
    axes = s(p["axes"])
    if tuple(c.target_shape) == ():
        return {
            "en": f"{s(p['input'])} is a single number used for every entry of the "
                  f"{s(p['gshape'])} gate {s(p['gate'])}, so its gradient adds the "
                  f"contributions of all {s(p['count'])} entries: {s(p['rule'])}, summed over "
                  f"every axis, is a number.",
            "ko": f"{s(p['input'])}의 값은 숫자 하나이고, {s(p['gshape'])} 모양의 `gate` "
                  f"{s(p['gate'])}의 모든 원소에 똑같이 쓰였습니다. 그래서 그 `gradient`는 "
                  f"{s(p['count'])}개 원소의 기여를 모두 더한 값, 곧 {s(p['rule'])}의 모든 "
                  f"원소를 더한 숫자 하나입니다.",
        }[lang]
    return {
        "en": f"{s(p['target'])} has the shape of {s(p['input'])}, {s(p['ishape'])}, but the "
              f"upstream {s(p['G'])} is {s(p['gshape'])}: {s(p['input'])} was broadcast along "
              f"axis {axes} of the gate, so each of its entries was used {s(p['count'])} times "
              f"and its gradient sums the upstream over axis {axes}: {s(p['rule'])}, "
              f"{s(p['gshape'])} {s(ARROW)} {s(p['ishape'])}.",
        "ko": f"{s(p['target'])}의 모양은 {s(p['input'])}의 모양과 같은 {s(p['ishape'])} "
              f"모양이어야 하지만 `upstream gradient` {s(p['G'])}의 모양은 {s(p['gshape'])}"
              f"입니다. {s(p['input'])}의 값은 `gate`의 {axes}번 축을 따라 `broadcast`되어 "
              f"원소 하나가 {s(p['count'])}번씩 쓰였으므로, `gradient`는 `upstream`을 {axes}번 "
              f"축에 대해 더한 값입니다. 식으로 쓰면 {s(p['rule'])}이고, 모양은 "
              f"{s(p['gshape'])}에서 {s(p['ishape'])} 모양으로 줄어듭니다.",
    }[lang]


def _transpose_sentence(c, lang, s):
    p = c.pieces
    return {
        "en": f"{s(p['target'])} has the shape of {s(p['input'])}, {s(p['ishape'])}; the "
              f"upstream {s(p['G'])} is {s(p['gshape'])}, the transposed shape, so it is "
              f"transposed back: {s(p['rule'])}.",
        "ko": f"{s(p['target'])}의 모양은 {s(p['input'])}의 모양과 같은 {s(p['ishape'])} "
              f"모양이어야 합니다. `upstream gradient` {s(p['G'])}의 모양은 전치된 "
              f"{s(p['gshape'])} 모양이므로, 다시 전치해서 돌려놓습니다. 식으로 쓰면 "
              f"{s(p['rule'])}입니다.",
    }[lang]


def _reduction_sentence(c, lang, s):
    p, label = c.pieces, c.label_in(lang)
    return {
        "en": f"{s(p['target'])} has the shape of {s(p['input'])}, {s(p['ishape'])}, while the "
              f"upstream {s(p['G'])} is a single number: every entry of {s(p['input'])} went "
              f"into the {label}, so the upstream number is spread over every entry, each "
              f"times its own local gradient: {s(p['rule'])}, {s(p['ishape'])}.",
        "ko": f"{s(p['target'])}의 모양은 {s(p['input'])}의 모양과 같은 {s(p['ishape'])} "
              f"모양이어야 하는데, `upstream gradient` {s(p['G'])}의 값은 숫자 하나입니다. "
              f"{s(p['input'])}의 모든 원소가 이 계산({label})에 들어갔으므로, 이 숫자를 모든 "
              f"원소에 퍼뜨리고 원소마다 자기 `local gradient`를 곱합니다. 식으로 쓰면 "
              f"{s(p['rule'])}이고, 모양은 {s(p['ishape'])}입니다.",
    }[lang]


def _axis_reduction_sentence(c, lang, s):
    p = c.pieces
    return {
        "en": f"{s(p['target'])} has the shape of {s(p['input'])}, {s(p['ishape'])}; the "
              f"upstream {s(p['G'])} is {s(p['gshape'])}, one number per position that was "
              f"kept, so each is repeated along the axis that was summed: {s(p['rule'])}.",
        "ko": f"{s(p['target'])}의 모양은 {s(p['input'])}의 모양과 같은 {s(p['ishape'])} "
              f"모양이어야 합니다. `upstream gradient` {s(p['G'])}의 모양은 {s(p['gshape'])}"
              f"이고, 남은 자리마다 숫자 하나씩이므로 이를 더했던 축을 따라 되풀이해 "
              f"채웁니다. 식으로 쓰면 {s(p['rule'])}입니다.",
    }[lang]


def _rows_sentence(c, lang, s):
    p = c.pieces
    return {
        "en": f"{s(p['target'])} has the shape of the scores {s(p['input'])}, "
              f"{s(p['ishape'])} (samples {s(TIMES)} classes); the loss has one value per "
              f"sample, so the upstream {s(p['G'])} has one number per row "
              f"({s(p['gshape'])}), and each multiplies its own row of the local gradient: "
              f"{s(p['rule'])}.",
        "ko": f"{s(p['target'])}의 모양은 점수 {s(p['input'])}의 모양과 같은 "
              f"{s(p['ishape'])} 모양(샘플 {s(TIMES)} 클래스)이어야 합니다. 손실은 샘플마다 "
              f"값이 하나라서 "
              f"`upstream gradient` {s(p['G'])}에는 행마다 숫자가 하나씩 있고"
              f"({s(p['gshape'])}), 각 숫자가 `local gradient`의 자기 행에 곱해집니다. 식으로 "
              f"쓰면 {s(p['rule'])}입니다.",
    }[lang]


def _other_sentence(c, lang, s):
    p = c.pieces
    return {
        "en": f"{s(p['target'])} has the shape of {s(p['input'])}, {s(p['ishape'])}; the "
              f"upstream {s(p['G'])} is {s(p['gshape'])}; the rule gives {s(p['rule'])}.",
        "ko": f"{s(p['target'])}의 모양은 {s(p['input'])}의 모양과 같은 {s(p['ishape'])} "
              f"모양이어야 합니다. `upstream gradient` {s(p['G'])}의 모양은 {s(p['gshape'])}"
              f"이고, 규칙으로 계산하면 {s(p['rule'])}입니다.",
    }[lang]


_SENTENCES = {
    "matmul": _matmul_sentence,
    "scalar": _scalar_sentence,
    "elementwise": _elementwise_sentence,
    "broadcast": _broadcast_sentence,
    "transpose": _transpose_sentence,
    "reduction": _reduction_sentence,
    "axis_reduction": _axis_reduction_sentence,
    "rows": _rows_sentence,
    "other": _other_sentence,
}

__all__ = ["DimensionCheck", "Math", "broadcast_axes", "candidates", "check_step",
           "dimension_checks", "matrix_reading", "shape_math"]
