"""Single neurons and seed 002's small network.

- ``sigmoid-neuron``: the cs231n slide f = 1 / (1 + e^−(w0·x0 + w1·x1 + w2)), written
  gate by gate as the slide draws it (×, ×, +, +, ×−1, exp, +1, 1/x);
- ``neuron-bias``: seed 002's "Point A" (the weighted sum plus bias) and "Point B"
  (its sigmoid) for three inputs;
- ``net-2-2-2-1``: seed 002's network with ten weights, sigmoid at every unit and
  squared error, including the post's one SGD step on w9 (with its erratum).
"""

from .registry import Erratum, Model, register

register(Model(
    id="sigmoid-neuron",
    title="Sigmoid neuron, gate by gate",
    description="f = σ(w0·x0 + w1·x1 + w2) as the cs231n slide's circuit of eight gates",
    seeds=("004",),
    program="""\
# the weighted sum
wx0 = w0 * x0
wx1 = w1 * x1
dot = wx0 + wx1
s = dot + w2
# 1 / (1 + exp(-s)), one gate at a time
neg = s * -1
e = exp(neg)
den = e + 1
f = 1 / den
""",
    defaults={"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0},
    params=("w0", "w1", "w2"),
    data_inputs=("x0", "x1"),
    notes="The slide's point: w0 = 2, x0 = −1, w1 = −3, x1 = −2, w2 = −3, so the weighted sum is 1 "
          "and f = σ(1) ≈ 0.73. The gradients are σ(1)(1 − σ(1)) ≈ 0.197 times each input: "
          "∂f/∂w0 ≈ −0.20, ∂f/∂x0 ≈ 0.39, ∂f/∂w1 ≈ −0.39, ∂f/∂x1 ≈ −0.59, ∂f/∂w2 ≈ 0.20. "
          "The sigmoid is not a single gate here on purpose; compare neuron-bias, which uses "
          "sigmoid().",
))

register(Model(
    id="neuron-bias",
    title="A neuron with bias: Point A and Point B",
    description="Point A = Σ Xᵢ·wᵢ + b, Point B = σ(Point A), three inputs",
    seeds=("002",),
    program="""\
# Point A: the weighted sum plus the bias
point_a = X1*w1 + X2*w2 + X3*w3 + b
# Point B: the sigmoid activation
point_b = sigmoid(point_a)
""",
    defaults={"X1": 1.0, "X2": 2.0, "X3": -1.0, "w1": 0.5, "w2": -0.25, "w3": 0.1, "b": 0.2},
    params=("w1", "w2", "w3", "b"),
    data_inputs=("X1", "X2", "X3"),
    notes="The post gives no numbers; the default point X = [1, 2, −1], w = [0.5, −0.25, 0.1], "
          "b = 0.2 gives Point A = 0.1 and Point B = σ(0.1) ≈ 0.524979, so "
          "∂B/∂A = B(1 − B) ≈ 0.249376 and ∂B/∂wᵢ = ∂B/∂A · Xᵢ.",
))


# --- net-2-2-2-1 (seed 002) ------------------------------------------------------------------
# The numbers below are symgrad's own results at the default point (tests/test_catalog.py
# recomputes each one); the post printed the "published" values.
W9_STEP_LR = 0.3
W9_NEW = 0.229917815            # 0.2 - 0.3 * dE/dw9
YHAT_AFTER = 0.617420364        # ŷ with the corrected w9 (and every other weight unchanged)
ERROR_AFTER = 0.079851251       # (0.9 - ŷ)² with the corrected w9

register(Model(
    id="net-2-2-2-1",
    title="Seed 002's 2-2-2-1 sigmoid network",
    description="x1, x2 → st11, st12 → st21, st22 → st3 = ŷ, sigmoid at every unit, E = (y − ŷ)²",
    seeds=("002",),
    program="""\
# first hidden layer
st11_in = x1*w1 + x2*w3
st11 = sigmoid(st11_in)
st12_in = x1*w2 + x2*w4
st12 = sigmoid(st12_in)
# second hidden layer
st21_in = st11*w5 + st12*w7
st21 = sigmoid(st21_in)
st22_in = st11*w6 + st12*w8
st22 = sigmoid(st22_in)
# output unit: st3_out is the prediction ŷ
st3_in = st21*w9 + st22*w10
st3_out = sigmoid(st3_in)
# squared error
diff = y - st3_out
E = diff**2
""",
    defaults={"x1": 20.0, "x2": 1.0, "y": 0.9,
              "w1": 0.3, "w2": 0.2, "w3": 0.1, "w4": 0.5, "w5": 0.6,
              "w6": 0.2, "w7": 0.4, "w8": 0.3, "w9": 0.2, "w10": 0.5},
    params=tuple(f"w{i}" for i in range(1, 11)),
    data_inputs=("x1", "x2", "y"),
    learning_rate=W9_STEP_LR,
    published={"st11": 0.997762, "st12": 0.989013, "st21": 0.729929, "st22": 0.621579,
               "st3_out": 0.612248, "E": 0.0828006},
    errata=(
        Erratum(
            quantity="w9 after one SGD step (learning rate 0.3)",
            published=0.237479,
            correct=W9_NEW,
            explanation="The post's own formula 0.2 − 0.3·(−0.575504·0.237400·0.729929) evaluates "
                        "to 0.229918, not 0.237479: ∂E/∂w9 ≈ −0.0997261, so one step raises w9 "
                        "by about 0.0299.",
            explanation_ko="글에 적힌 식 `0.2 − 0.3·(−0.575504·0.237400·0.729929)`을 "
                           "그대로 계산하면 0.237479가 아니라 0.229918이 나온다. "
                           "`∂E/∂w9`가 약 −0.0997261이므로 "
                           "한 번의 `SGD` 갱신으로 w9는 약 0.0299만큼만 커진다.",
            claim={"after_steps": 1, "lr": W9_STEP_LR, "params": ["w9"], "value": "w9",
                   "equals": "0.237479"},
        ),
        Erratum(
            quantity="ŷ after the w9 update",
            published=0.618723,
            correct=YHAT_AFTER,
            explanation="The post's 0.618723 uses its wrong w9 = 0.237479; with w9 = 0.229918 (all "
                        "other weights unchanged) the output is 0.617420.",
            explanation_ko="글의 0.618723은 잘못 계산된 w9 = 0.237479로 구한 값이다. 올바른 "
                           "w9 = 0.229918을 쓰고 나머지 가중치는 그대로 두면 "
                           "출력 `ŷ`은 0.617420이다.",
            claim={"after_steps": 1, "lr": W9_STEP_LR, "params": ["w9"], "value": "st3_out",
                   "equals": "0.618723"},
        ),
        Erratum(
            quantity="error after the w9 update",
            published=0.079116,
            correct=ERROR_AFTER,
            explanation="Follows from the wrong ŷ = 0.618723; with the corrected w9 the error is "
                        "(0.9 − 0.617420)² = 0.079851. It still falls from 0.0828006, as the post "
                        "says.",
            explanation_ko="잘못된 `ŷ` = 0.618723에서 나온 값이다. "
                           "올바른 w9로 다시 계산하면 오차는 (0.9 − 0.617420)² = 0.079851이다. "
                           "글의 말대로 오차가 0.0828006보다 줄어든다는 결론은 그대로 맞다.",
            # the post truncates: (0.9 − 0.618723)² = 0.0791167 -> 0.079116 (see seed002_net.toml)
            claim={"after_steps": 1, "lr": W9_STEP_LR, "params": ["w9"], "value": "E",
                   "equals": "0.079116", "tol": 1e-6},
        ),
    ),
    notes="x1 = 20, x2 = 1 are the inputs the post's printed values imply (its figure is not in "
          "the "
          "text): σ(20·0.3 + 1·0.1) = σ(6.1) = 0.997762. The post writes each unit as the weighted "
          "sum and prints the sigmoid of it; here each unit is two lines, stXX_in (the sum) and "
          "stXX "
          "(the sigmoid), so ∂E/∂st3_out = −2(y − ŷ) and the local σ′ = st3_out(1 − st3_out) are "
          "separate steps, as in the post. The post cuts ŷ = 0.6122489 to 0.612248 and computes "
          "the error "
          "0.0828006 and ∂E/∂st3_out = −0.575504 from the cut value (symgrad: 0.0828007, "
          "−0.575502); "
          "those differences are rounding, not errata. The published errata are about the SGD step "
          "on w9 "
          "(learning rate 0.3) that follows the derivation.",
))
