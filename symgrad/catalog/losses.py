"""Loss functions: the multiclass SVM (hinge) loss of seed 004, its full objective with
a two-layer ReLU network and L2 regularization, binary cross-entropy (named in seed 000)
and softmax cross-entropy (the usual companion of the hinge loss).

The class label is part of a model's structure (which score is the correct one),
not an input: a program has no indexing. Scores and data are inputs.
"""

from .layers import affine, assign, flat, layer, matrix_names, program, values, vector_names
from .registry import Model, register


def hinge(scores, label, margin_name, loss_name):
    """Lines of Lᵢ = Σ_{j≠yᵢ} max(0, s_j − s_{yᵢ} + 1); ``label`` counts from 1."""
    correct = scores[label - 1]
    lines, terms = [], []
    for j, s in enumerate(scores, 1):
        if j == label:
            continue
        margin = f"{margin_name}{j}"
        lines.append(f"{margin} = {s} - {correct} + 1")
        terms.append(f"max(0, {margin})")
    return lines + [f"{loss_name} = {' + '.join(terms)}"]


def sum_of_squares(names):
    return " + ".join(f"{n}**2" for n in names)


# --- svm-hinge -------------------------------------------------------------------------------
_s = vector_names("s", 3)
register(Model(
    id="svm-hinge",
    title="Multiclass SVM (hinge) loss of one sample",
    description="Lᵢ = Σ max(0, sⱼ − s_c + 1) over the wrong classes j, three classes, "
                "correct class c = 1",
    seeds=("004",),
    program=program("# correct class yᵢ = 1: one margin per other class", hinge(_s, 1, "m", "L")),
    defaults=values(_s, [3.2, 5.1, -1.7]),
    params=tuple(_s),
    data_inputs=(),
    notes="Scores s = [3.2, 5.1, −1.7] with correct class 1 (cs231n's cat image): margins "
          "m2 = 2.9 (counts) and m3 = −3.9 (clipped), so L = 2.9, ∂L/∂s = [−1, 1, 0]. No margin "
          "is at the kink 0; there max(0, m) would split its gradient 1/2 : 1/2.",
))

# --- svm-total: s = W2·max(0, W1x), two samples, L2 on both matrices --------------------------
_W1 = matrix_names("W1", 2, 2)
_W2 = matrix_names("W2", 3, 2)
_SAMPLES = [  # (features, label)
    ([1.0, 2.0], 1),
    ([2.0, -1.0], 3),
]


def _svm_total_program():
    blocks = []
    for n, (_, label) in enumerate(_SAMPLES, 1):
        x = vector_names(f"x{n}", 2)
        hidden, h = layer(f"h{n}", x, _W1, function="relu", pre_name=f"z{n}")
        scores = vector_names(f"s{n}", 3)
        blocks += [
            f"# sample {n}: hidden layer, scores, hinge loss (correct class {label})",
            hidden,
            assign(scores, affine(h, _W2)),
            hinge(scores, label, f"m{n}_", f"loss{n}"),
        ]
    blocks += [
        "# regularization R(W) = Σ W² of each matrix",
        f"R1 = {sum_of_squares(flat(_W1))}",
        f"R2 = {sum_of_squares(flat(_W2))}",
        "# total: mean data loss + λR(W1) + λR(W2)",
        f"L = ({' + '.join(f'loss{n}' for n in range(1, len(_SAMPLES) + 1))}) / {len(_SAMPLES)}"
        " + lam*R1 + lam*R2",
    ]
    return program(*blocks)


SVM_TOTAL = register(
    Model(
        id="svm-total",
        title="SVM loss of a two-layer ReLU network, with L2 regularization",
        description="L = (1/N)·Σ Lᵢ + λR(W1) + λR(W2), s = W2·max(0, W1x), N = 2, 2-2-3",
        seeds=("004",),
        program=_svm_total_program(),
        defaults={
            **values(vector_names("x1", 2), _SAMPLES[0][0]),
            **values(vector_names("x2", 2), _SAMPLES[1][0]),
            "lam": 0.1,
            **values(_W1, [[0.5, 0.3], [-0.2, 0.4]]),
            **values(_W2, [[1.0, -0.5], [0.3, 0.8], [-0.6, 0.2]]),
        },
        params=flat(_W1) + flat(_W2),
        data_inputs=("x1_1", "x1_2", "x2_1", "x2_2", "lam"),
        notes="Shapes: xₙ 2×1, W1 2×2, W2 3×2 (3 classes), N = 2 samples: x1 = [1, 2] of class 1 "
              "and "
        "x2 = [2, −1] of class 3; λ = lam = 0.1 (an input, so --at lam=... changes it). "
        "W1 = [[0.5, 0.3], [−0.2, 0.4]], W2 = [[1, −0.5], [0.3, 0.8], [−0.6, 0.2]]. Sample 1: "
        "h = [1.1, 0.6], s = [0.8, 0.81, −0.54], loss 1.01; sample 2: h = [0.7, 0] (one dead "
        "unit), "
        "s = [0.7, 0.21, −0.42], loss 3.75; R1 = 0.54, R2 = 2.38, L = 2.38 + 0.1·2.92 = 2.672. "
        "No hidden unit and no margin sits at a kink. relu(z) is max(0, z).",
    )
)

# --- bce -------------------------------------------------------------------------------------
register(
    Model(
        id="bce",
        title="Binary cross-entropy on a sigmoid output",
        description="p = σ(w·x + b), L = −(y·log p + (1 − y)·log(1 − p))",
        seeds=("000",),
        program="""\
z = w*x + b
p = sigmoid(z)
L = -(y*log(p) + (1 - y)*log(1 - p))
""",
        defaults={"x": 2.0, "y": 1.0, "w": 0.5, "b": -0.5},
        params=("w", "b"),
        data_inputs=("x", "y"),
        notes="Logistic regression on one feature, one sample. Default x = 2, y = 1, w = 0.5, b = "
              "−0.5: "
        "z = 0.5, p = σ(0.5) ≈ 0.622459, L = −log p ≈ 0.474077. The known shortcut ∂L/∂z = p − y "
        "(here −0.377541) comes out of the gate-by-gate sweep; the tests check it. "
        "y may be any number in [0, 1] (soft labels).",
    )
)

# --- softmax-ce ------------------------------------------------------------------------------
SOFTMAX_CE = register(
    Model(
        id="softmax-ce",
        title="Softmax cross-entropy of one sample",
        description="pᵢ = e^sᵢ / Σⱼ e^sⱼ, L = −log p_y, three classes, correct class 1",
        seeds=(),  # in no seed post: the usual companion of seed 004's hinge loss
        program="""\
# unnormalized probabilities
e1 = exp(s1)
e2 = exp(s2)
e3 = exp(s3)
total = e1 + e2 + e3
# probability of the correct class (class 1) and its negative log
p1 = e1 / total
L = -log(p1)
""",
        defaults=values(_s, [3.2, 5.1, -1.7]),
        params=tuple(_s),
        notes="The scores of svm-hinge, s = [3.2, 5.1, −1.7] with correct class 1, so the two "
              "losses can "
        "be compared: L = −log(e^3.2 / (e^3.2 + e^5.1 + e^−1.7)) ≈ 2.040, and ∂L/∂sⱼ = pⱼ − [j = "
        "1] "
        "≈ [−0.870017, 0.869050, 0.000968]. Written with plain exp for readability, so the "
        "step-by-step "
        "numbers overflow for scores above about 700; the compiled code (symgrad.compile, train) "
        "recognizes the pattern and computes s₁ − logsumexp(s), finite at ±1000.",
    )
)
