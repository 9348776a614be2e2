"""Small fully connected networks, written unit by unit with explicit weight matrices.

Seed 002 writes the three-layer sigmoid network ŷ = σ(W3·σ(W2·σ(W1·x + b1) + b2) + b3);
seed 004 the ReLU networks f = W2·max(0, W1x), f = W3·max(0, W2·max(0, W1x)) and
the warning that without a nonlinearity f = W2·W1·x is just W3·x with W3 = W2W1.
Every matrix entry is its own scalar input (``W1_21`` is row 2, column 1 of W1),
so the derivation is the scalar one, gate by gate; the matrix-level form is a
later issue's (``matrix_forms.py``). ``relu(z)`` is the posts' ``max(0, z)``.
"""

from .layers import flat, layer, matrix_names, output_unit, program, values, vector_names
from .registry import Model, register

# --- sigmoid-3layer: 2 inputs -> 3 -> 2 -> 1, sigmoid everywhere, with biases ----------------
_x = vector_names("x", 2)
_W1, _b1 = matrix_names("W1", 3, 2), vector_names("b1", 3)
_W2, _b2 = matrix_names("W2", 2, 3), vector_names("b2", 2)
_W3, _b3 = matrix_names("W3", 1, 2), vector_names("b3", 1)
_layer1, _h1 = layer("h1", _x, _W1, _b1, "sigmoid", pre_name="z1")
_layer2, _h2 = layer("h2", _h1, _W2, _b2, "sigmoid", pre_name="z2")

SIGMOID_3LAYER = register(Model(
    id="sigmoid-3layer",
    title="Three-layer sigmoid network",
    description="ŷ = σ(W3·σ(W2·σ(W1·x + b1) + b2) + b3), shapes 2-3-2-1",
    seeds=("002",),
    program=program(
        "# layer 1: z1 = W1·x + b1, h1 = σ(z1)", _layer1,
        "# layer 2: z2 = W2·h1 + b2, h2 = σ(z2)", _layer2,
        "# output: z3 = W3·h2 + b3, ŷ = σ(z3)",
        output_unit("z3", _h2, _W3, _b3),
        "yhat = sigmoid(z3)",
    ),
    defaults={
        **values(_x, [1.0, -2.0]),
        **values(_W1, [[0.1, -0.2], [0.4, 0.3], [-0.5, 0.2]]), **values(_b1, [0.1, -0.1, 0.2]),
        **values(_W2, [[0.3, -0.6, 0.2], [-0.1, 0.5, 0.4]]), **values(_b2, [0.0, 0.1]),
        **values(_W3, [[0.7, -0.4]]), **values(_b3, [0.05]),
    },
    params=flat(_W1) + tuple(_b1) + flat(_W2) + tuple(_b2) + flat(_W3) + tuple(_b3),
    data_inputs=tuple(_x),
    notes="Shapes: x is 2×1, W1 3×2, b1 3×1, W2 2×3, b2 2×1, W3 1×2, b3 1×1 (20 parameters). "
          "Default point: x = [1, −2], W1 = [[0.1, −0.2], [0.4, 0.3], [−0.5, 0.2]], b1 = [0.1, "
          "−0.1, 0.2], "
          "W2 = [[0.3, −0.6, 0.2], [−0.1, 0.5, 0.4]], b2 = [0, 0.1], W3 = [[0.7, −0.4]], b3 = "
          "[0.05]; "
          "small weights of both signs, so no unit saturates. The output is ŷ itself (the post "
          "writes no loss for this formula).",
))

# --- relu-2layer and relu-3layer (seed 004), no biases as the post writes them -----------------
_R1 = matrix_names("W1", 3, 2)
_R2a = matrix_names("W2", 1, 3)            # 2-layer: 2 -> 3 -> 1
_R2b = matrix_names("W2", 2, 3)            # 3-layer: 2 -> 3 -> 2 -> 1
_R3 = matrix_names("W3", 1, 2)
_relu1, _rh1 = layer("h1", _x, _R1, function="relu", pre_name="z1")
_W1_VALUES = [[0.5, 0.3], [0.2, 0.4], [-0.6, 0.1]]
_X_VALUES = [1.0, 2.0]


RELU_2LAYER = register(Model(
    id="relu-2layer",
    title="Two-layer ReLU network",
    description="f = W2·max(0, W1·x), shapes 2-3-1",
    seeds=("004",),
    program=program(
        "# hidden layer: z1 = W1·x, h1 = max(0, z1)", _relu1,
        "# output: f = W2·h1", output_unit("f", _rh1, _R2a),
    ),
    defaults={**values(_x, _X_VALUES), **values(_R1, _W1_VALUES),
              **values(_R2a, [[1.0, -0.5, 0.8]])},
    params=flat(_R1) + flat(_R2a),
    data_inputs=tuple(_x),
    notes="Shapes: x 2×1, W1 3×2, W2 1×3; relu(z) is max(0, z) with relu'(0) = 0. Default point: "
          "x = [1, 2], W1 = [[0.5, 0.3], [0.2, 0.4], [−0.6, 0.1]], W2 = [[1, −0.5, 0.8]], so "
          "W1·x = [1.1, 1.0, −0.4]: two hidden units are active and the third is dead, which shows "
          "the ReLU gate passing no gradient to W1's third row.",
))

_relu2, _rh2 = layer("h2", _rh1, _R2b, function="relu", pre_name="z2")
RELU_3LAYER = register(Model(
    id="relu-3layer",
    title="Three-layer ReLU network",
    description="f = W3·max(0, W2·max(0, W1·x)), shapes 2-3-2-1",
    seeds=("004",),
    program=program(
        "# hidden layer 1: z1 = W1·x, h1 = max(0, z1)", _relu1,
        "# hidden layer 2: z2 = W2·h1, h2 = max(0, z2)", _relu2,
        "# output: f = W3·h2", output_unit("f", _rh2, _R3),
    ),
    defaults={**values(_x, _X_VALUES), **values(_R1, _W1_VALUES),
              **values(_R2b, [[0.3, -0.2, 0.5], [-0.4, 0.6, 0.1]]), **values(_R3, [[1.5, -1.0]])},
    params=flat(_R1) + flat(_R2b) + flat(_R3),
    data_inputs=tuple(_x),
    notes="Shapes: x 2×1, W1 3×2, W2 2×3, W3 1×2. Default point: x = [1, 2], W1 as in relu-2layer "
          "(h1 = [1.1, 1.0, 0], one dead unit), W2 = [[0.3, −0.2, 0.5], [−0.4, 0.6, 0.1]] "
          "(z2 = [0.13, 0.16], both active), W3 = [[1.5, −1]].",
))

# --- linear-collapse: two linear layers are one ---------------------------------------------
# relu-2layer without the ReLU: the same shapes and the same default point, so the two compare.
_lin1, _lh = layer("h", _x, _R1)
LINEAR_COLLAPSE = register(Model(
    id="linear-collapse",
    title="Two linear layers collapse into one",
    description="f = W2·W1·x equals W3·x with W3 = W2W1 (no nonlinearity), shapes 2-3-1",
    seeds=("004",),
    program=program("# h = W1·x (no activation)", _lin1,
                    "# f = W2·h = (W2W1)·x", output_unit("f", _lh, _R2a)),
    defaults={**values(_x, _X_VALUES), **values(_R1, _W1_VALUES),
              **values(_R2a, [[1.0, -0.5, 0.8]])},
    params=flat(_R1) + flat(_R2a),
    data_inputs=tuple(_x),
    notes="relu-2layer without the ReLU: x 2×1, W1 3×2, W2 1×3, so W3 = W2W1 is 1×2 and "
          "f = Σⱼ (Σₖ W2₁ₖ·W1ₖⱼ)·xⱼ is linear in x (the tests expand both sides symbolically). "
          "Same default point as relu-2layer: h = W1·x = [1.1, 1.0, −0.4] and f = 0.28, where "
          "relu-2layer gives 0.6 because its ReLU drops the −0.4. Every W1 row now gets gradient, "
          "∂f/∂W1ₖⱼ = W2₁ₖ·xⱼ.",
))
