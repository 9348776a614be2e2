"""The seed posts' first examples: the linear model with MSE and the cs231n circuit."""

from .registry import Model, register

register(Model(
    id="linear-mse",
    title="Linear model with squared error",
    description="ŷ = w·x, s = ŷ − y, loss = s² (one sample)",
    seeds=("000", "001"),
    program="""\
yhat = w * x
s = yhat - y
loss = s**2
""",
    defaults={"x": 1.0, "y": 2.0, "w": 1.0},
    params=("w",),
    data_inputs=("x", "y"),
    published={"loss": 1.0, "s": -1.0},
    notes="The posts' point x = 1, y = 2, w = 1: ŷ = 1, s = −1, loss = 1 and ∂loss/∂w = 2s·x = −2, "
          "so gradient descent raises w toward the answer w = 2.",
))

register(Model(
    id="circuit-xyz",
    title="The circuit f = (x + y)·z",
    description="q = x + y, f = q·z (the cs231n circuit)",
    seeds=("003", "004"),
    program="""\
q = x + y
f = q * z
""",
    defaults={"x": -2.0, "y": 5.0, "z": -4.0},
    params=("x", "y", "z"),
    published={"q": 3.0, "f": -12.0},
    notes="The cs231n point x = −2, y = 5, z = −4: q = 3, f = −12, ∂f/∂x = ∂f/∂y = z = −4 (the + "
          "gate "
          "copies its upstream gradient to both inputs) and ∂f/∂z = q = 3. Every input is a "
          "parameter.",
))

register(Model(
    id="chain-rule",
    title="The chain rule: t = 3x, z = t²",
    description="t = 3x, z = t², so ∂z/∂x = ∂z/∂t · ∂t/∂x = 2t · 3 = 18x",
    seeds=("002",),
    program="""\
t = 3 * x
z = t**2
""",
    defaults={"x": 1.0},
    params=("x",),
    notes="The post states the chain rule on this pair without numbers; at the default x = 1, "
          "t = 3, z = 9 and ∂z/∂x = 18. Symbolically ∂z/∂x = 18x.",
))
