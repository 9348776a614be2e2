"""The seed posts' first examples: the linear model with MSE and the cs231n circuit."""

from . import Model, register

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
))
