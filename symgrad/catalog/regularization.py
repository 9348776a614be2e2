"""Regularization terms of seed 004: L2, L1 and elastic net, R(W) of ONE weight vector.

The post compares two weight vectors, w1 = [1, 0, 0, 0] and w2 = [0.25, 0.25, 0.25, 0.25]
(with x = [1, 1, 1, 1], which R does not use). Each model here is R of a single
vector W = [W_1, W_2, W_3, W_4]: its default point is the post's w1 and its
``points["w2"]`` is the post's w2 (``symgrad derive reg-l2 --at W_1=0.25,...``).

At w1 three components are exactly 0, the kink of |W|: symgrad uses
d|W|/dW = sign(W) with sign(0) = 0 (PyTorch's convention), which is also what a
central difference gives there. That is the point of the example, so it stays.
"""

from .layers import values, vector_names
from .registry import Erratum, Model, register

_W = vector_names("W_", 4)
_POINTS = {"w1": values(_W, [1.0, 0.0, 0.0, 0.0]), "w2": values(_W, [0.25] * 4)}

_WHY = ("The post computes {computed} with x = [1, 1, 1, 1], i.e. R(x − W), although its own "
        "formula is R(W) = Σ {term}; R(W) itself gives {correct}.")
_WHY_KO = ("글은 x = [1, 1, 1, 1]을 써서 {computed}, 즉 `R(x − W)`를 계산했다. 그러나 글에 적힌 "
           "정의는 `R(W) = Σ {term}`이고, 이 정의대로 계산하면 {correct}이다.")


def _erratum(kind, vector, published, correct, computed, term):
    """The erratum of R at the post's point ``vector``; its claim is R's value there, with the
    post's number as printed (``3``, ``2.25``)."""
    text = dict(computed=computed, term=term, correct=f"R({vector}) = {correct:g}")
    return Erratum(
        quantity=f"{kind} R({vector}) with {vector} = {_describe(vector)}",
        published=published, correct=correct,
        explanation=_WHY.format(**text), explanation_ko=_WHY_KO.format(**text),
        claim={"value": "R", "equals": f"{published:g}"}, at=vector,
    )


def _describe(vector):
    return "[1, 0, 0, 0]" if vector == "w1" else "[0.25, 0.25, 0.25, 0.25]"


register(Model(
    id="reg-l2",
    title="L2 regularization",
    description="R(W) = Σₖ Wₖ² of one weight vector W (4 entries)",
    seeds=("004",),
    program="R = " + " + ".join(f"{w}**2" for w in _W) + "\n",
    defaults=dict(_POINTS["w1"]),
    params=tuple(_W),
    points=_POINTS,
    errata=(
        _erratum("L2", "w1", 3.0, 1.0, "Σ(1 − Wₖ)²", "W²"),
        _erratum("L2", "w2", 2.25, 0.25, "Σ(1 − Wₖ)²", "W²"),
    ),
    notes="Default point: the post's w1 = [1, 0, 0, 0] (R = 1, ∂R/∂W = 2W = [2, 0, 0, 0]); "
          "points['w2'] is the post's w2 = [0.25]*4 (R = 0.25). L2 prefers the spread-out w2, as "
          "the "
          "post concludes, but with R(w1) = 1 and R(w2) = 0.25, not 3 and 2.25.",
))

register(Model(
    id="reg-l1",
    title="L1 regularization",
    description="R(W) = Σₖ |Wₖ| of one weight vector W (4 entries)",
    seeds=("004",),
    program="R = " + " + ".join(f"abs({w})" for w in _W) + "\n",
    defaults=dict(_POINTS["w1"]),
    params=tuple(_W),
    points=_POINTS,
    errata=(
        _erratum("L1", "w1", 3.0, 1.0, "Σ|1 − Wₖ|", "|W|"),
        _erratum("L1", "w2", 3.0, 1.0, "Σ|1 − Wₖ|", "|W|"),
    ),
    notes="Default point: the post's w1 = [1, 0, 0, 0] (R = 1; ∂R/∂W = sign(W) = [1, 0, 0, 0], "
          "with "
          "sign(0) = 0 at the three zeros, on purpose); points['w2'] = [0.25]*4 (R = 1). L1 rates "
          "w1 "
          "and w2 equal, as the post says, but at 1 and 1, not 3 and 3.",
))

register(Model(
    id="reg-elastic",
    title="Elastic net regularization",
    description="R(W) = Σₖ (β·Wₖ² + |Wₖ|) of one weight vector W (4 entries)",
    seeds=("004",),
    program="R = " + " + ".join(f"beta*{w}**2 + abs({w})" for w in _W) + "\n",
    defaults={**_POINTS["w1"], "beta": 0.5},
    params=tuple(_W),
    data_inputs=("beta",),
    points={name: {**p, "beta": 0.5} for name, p in _POINTS.items()},
    notes="β is the input beta (default 0.5). At the post's w1: R = 0.5 + 1 = 1.5, "
          "∂R/∂W = 2βW + sign(W) = [2, 0, 0, 0]; at w2 = [0.25]*4: R = 4·(0.5·0.0625 + 0.25) = "
          "1.125. "
          "The post prints no numbers for the elastic net.",
))
