"""The activation functions of seed 004, each a one-gate model y = act(x).

Deriving one shows its local gradient (the rule of ``rules.py``) at the default
point. Default points avoid the kink at 0 and sit on the side that shows the
interesting branch (the leak of leaky ReLU, the exponential of ELU). At a kink
symgrad follows PyTorch: relu'(0) = 0, leaky_relu'(0) = α, elu'(0) = α, and a tie
in max splits the gradient 1/2 : 1/2.
"""

from .registry import Model, register


def _activation(model_id, title, description, line, x, notes):
    register(Model(
        id=model_id, title=title, description=description, seeds=("004",),
        program=line + "\n", defaults={"x": x}, params=(), data_inputs=("x",), notes=notes,
    ))


_activation(
    "act-sigmoid", "Sigmoid", "y = σ(x) = 1 / (1 + e^−x), y′ = y(1 − y)", "y = sigmoid(x)", 0.5,
    "Default x = 0.5: y ≈ 0.622459, y′ ≈ 0.235004. The derivative is at most 1/4 (at x = 0) and "
    "vanishes for large |x|: the saturation the post warns about.")

_activation(
    "act-tanh", "tanh", "y = tanh(x), y′ = 1 − y²", "y = tanh(x)", 0.5,
    "Default x = 0.5: y ≈ 0.462117, y′ ≈ 0.786448. Zero-centred, but it saturates like the "
    "sigmoid.")

_activation(
    "act-relu", "ReLU", "y = max(0, x), y′ = 1 for x > 0 else 0", "y = relu(x)", 1.5,
    "Default x = 1.5: y = 1.5, y′ = 1. For x < 0 the gradient is 0 (a dead unit); at x = 0 symgrad "
    "uses relu'(0) = 0, as PyTorch does.")

_activation(
    "act-leaky-relu", "Leaky ReLU", "y = max(αx, x) with α = 0.01, y′ = 1 for x > 0 else α",
    "y = leaky_relu(x, alpha=0.01)", -2.0,
    "Default x = −2 (the leaky side): y = −0.02, y′ = α = 0.01, so a negative input still passes a "
    "small gradient. α = 0.01 is PyTorch's default; write leaky_relu(x, alpha=0.1) for another.")

_activation(
    "act-elu", "ELU", "y = x for x ≥ 0, α(eˣ − 1) for x < 0 (α = 1)", "y = elu(x, alpha=1)", -1.0,
    "Default x = −1 (the exponential side): y = e⁻¹ − 1 ≈ −0.632121, y′ = αeˣ ≈ 0.367879. "
    "α = 1 as the post says is usual.")

register(Model(
    id="act-maxout",
    title="Maxout unit",
    description="y = max(w1ᵀx + b1, w2ᵀx + b2), two pieces over x ∈ R²",
    seeds=("004",),
    program="""\
# two linear pieces
a1 = w1_1*x1 + w1_2*x2 + b1
a2 = w2_1*x1 + w2_2*x2 + b2
# the unit outputs the larger one
y = max(a1, a2)
""",
    defaults={"x1": 1.0, "x2": -1.0, "w1_1": 0.5, "w1_2": 0.2, "b1": 0.1,
              "w2_1": -0.3, "w2_2": 0.4, "b2": 0.2},
    params=("w1_1", "w1_2", "b1", "w2_1", "w2_2", "b2"),
    data_inputs=("x1", "x2"),
    notes="Default x = [1, −1], w1 = [0.5, 0.2], b1 = 0.1, w2 = [−0.3, 0.4], b2 = 0.2: a1 = 0.4 "
          "wins "
          "over a2 = −0.5, so only the first piece's weights get gradient (∂y/∂w1 = x, ∂y/∂b1 = 1) "
          "and "
          "the second piece gets 0. ReLU is the maxout with pieces x and 0.",
))
