"""The PyTorch-agreement rule of docs/conventions.md, over the whole rule table.

Wherever PyTorch's value and gradients are finite, ``derive`` and compiled code give PyTorch's
numbers within 1e-12 relative; where they are not, ``derive`` refuses with a DomainError or gives
the same non-finite numbers as compiled code, and compiled code is not finite there either.

The reference is mpmath at 50 digits, written here from the functions' definitions and PyTorch's
backward formulas (not from symgrad's rule table): kinks as PyTorch (relu′(0) = 0, abs′(0) = 0,
leaky_relu′(0) = α, elu′(0) = α, max/min ties ½ : ½), pow as ``pow_backward_self`` (0 where the
exponent is 0) and ``pow_backward_exponent`` (0 where the base is 0 and the exponent ≥ 0). Where
PyTorch's backward reads the float64 forward value (σ(1 − σ), 1 − tanh², silu's σ), the reference
rounds that value to float64 first, as PyTorch does; the rest is exact.

Points: every pair of the special values (0, ±1e-300, ±1, ±709.8, ±710, ±1e308), ties for
max/min, powers at base 0 and at negative bases, and random points with a fixed seed.
"""

import math
import random

import mpmath
import numpy as np
import pytest

import symgrad
from symgrad.errors import DomainError
from symgrad.parse import parse
from symgrad.rules import PRIMITIVES

mp = mpmath.mp
SPECIAL = [0.0, 1e-300, -1e-300, 1.0, -1.0, 709.8, -709.8, 710.0, -710.0, 1e308, -1e308]
ALPHA_LEAKY = mpmath.mpf(1) / 100          # PyTorch's default negative slope
ALPHA_ELU = mpmath.mpf(1)


def f64(v):
    """``v`` rounded to float64, kept as an mpmath number (the forward value PyTorch stores)."""
    return mpmath.mpf(float(v))


def sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def sign(x):
    return (x > 0) - (x < 0)


def pow_reference(a, b):
    """a**b and its gradients as PyTorch defines them (a complex value is nan)."""
    if a == 0:
        value = mpmath.mpf(1) if b == 0 else (mpmath.mpf(0) if b > 0 else mpmath.inf)
    elif a < 0 and b != int(b):
        return mpmath.nan, mpmath.nan, mpmath.nan
    else:
        value = mpmath.power(a, b)
    if b == 0:
        d_base = mpmath.mpf(0)
    elif a == 0 and b < 1:
        d_base = mpmath.inf * sign(b)                                 # b·0^(b−1): a pole
    else:
        d_base = b * mpmath.power(a, b - 1)
    if a == 0 and b >= 0:
        d_exponent = mpmath.mpf(0)
    elif a <= 0:
        d_exponent = mpmath.nan                                       # log of a number ≤ 0
    else:
        d_exponent = f64(value) * mpmath.log(a)
    return value, d_base, d_exponent


def _max(a, b):
    return max(a, b), *((1, 0) if a > b else (0, 1) if a < b else (0.5, 0.5))


def _min(a, b):
    return min(a, b), *((1, 0) if a < b else (0, 1) if a > b else (0.5, 0.5))


def _log(x):
    return (mpmath.log(x), 1 / x) if x > 0 else (mpmath.nan, mpmath.nan)


def _sqrt(x):
    if x < 0:
        return mpmath.nan, mpmath.nan
    root = mpmath.sqrt(x)
    return root, (1 / (2 * f64(root)) if x > 0 else mpmath.inf)


def _tanh(x):
    t = f64(mpmath.tanh(x))
    return mpmath.tanh(x), 1 - t * t


def _sigmoid(x):
    s = f64(sigmoid(x))
    return sigmoid(x), s * (1 - s)


def _silu(x):
    s = f64(sigmoid(x))
    return x * sigmoid(x), s * (1 + x * (1 - s))


def _div(a, b):
    if b == 0:
        return mpmath.nan, mpmath.nan, mpmath.nan
    return a / b, 1 / b, -(f64(a / b)) / b


# primitive -> (expression, reference(*args) -> (value, *gradients), number of arguments)
CASES = {
    "add": ("x + y", lambda a, b: (a + b, 1, 1), 2),
    "sub": ("x - y", lambda a, b: (a - b, 1, -1), 2),
    "mul": ("x*y", lambda a, b: (a * b, b, a), 2),
    "div": ("x/y", _div, 2),
    "neg": ("-x", lambda a: (-a, -1), 1),
    "identity": ("x", lambda a: (a, 1), 1),
    "pow": ("x**y", pow_reference, 2),
    "exp": ("exp(x)", lambda a: (mpmath.exp(a), mpmath.exp(a)), 1),
    "log": ("log(x)", _log, 1),
    "sqrt": ("sqrt(x)", _sqrt, 1),
    "sin": ("sin(x)", lambda a: (mpmath.sin(a), mpmath.cos(a)), 1),
    "cos": ("cos(x)", lambda a: (mpmath.cos(a), -mpmath.sin(a)), 1),
    "tanh": ("tanh(x)", _tanh, 1),
    "sigmoid": ("sigmoid(x)", _sigmoid, 1),
    # exact: PyTorch's softplus returns x above its threshold 20 (relative error up to 2e-9);
    # symgrad's is log(1 + e^x) to the last digit (docs/conventions.md)
    "softplus": ("softplus(x)", lambda a: (mpmath.log1p(mpmath.exp(a)), sigmoid(a)), 1),
    "silu": ("silu(x)", _silu, 1),
    "abs": ("abs(x)", lambda a: (abs(a), sign(a)), 1),
    "relu": ("relu(x)", lambda a: (a if a > 0 else mpmath.mpf(0), 1 if a > 0 else 0), 1),
    "max": ("max(x, y)", _max, 2),
    "min": ("min(x, y)", _min, 2),
    "leaky_relu": ("leaky_relu(x)",
                   lambda a: (a, 1) if a > 0 else (ALPHA_LEAKY * a, ALPHA_LEAKY), 1),
    "elu": ("elu(x)", lambda a: (a, 1) if a > 0 else (ALPHA_ELU * mpmath.expm1(a),
                                                     ALPHA_ELU * mpmath.exp(a)), 1),
}


def points(name, arity, rng):
    """Deterministic points for one primitive: special values, ties, random magnitudes."""
    def random_number():
        kind = rng.random()
        if kind < 0.4:
            return rng.uniform(-5, 5)
        if kind < 0.8:
            return rng.choice([-1, 1]) * 10 ** rng.uniform(-12, 12)
        return rng.choice(SPECIAL)
    if arity == 1:
        pts = [(s,) for s in SPECIAL] + [(random_number(),) for _ in range(60)]
        pts += [(s * (1 + 1e-9),) for s in SPECIAL[5:]]
        return pts
    pts = [(a, b) for a in SPECIAL for b in SPECIAL]
    pts += [(random_number(), random_number()) for _ in range(60)]
    pts += [(v, v) for v in (0.0, 1.5, -2.0, 1e308, -1e-300)]                # ties
    if name == "pow":   # base 0, negative bases, small and fractional exponents
        pts += [(0.0, b) for b in (0.0, 0.5, 1.0, 2.0, 3.7, -0.5, -1.0, -2.0)]
        pts += [(a, b) for a in (-1.0, -2.0, -0.5) for b in (0.0, 1.0, 2.0, 3.0, -1.0, 0.5)]
        pts += [(rng.uniform(0, 50), rng.uniform(-20, 20)) for _ in range(40)]
    return pts


def finite(v):
    return mpmath.isfinite(v) and math.isfinite(float(v))


def agrees(got, ref, abs_tol=1e-300):
    """PyTorch's number within 1e-12 relative (and underflow to 0 is agreement)."""
    return math.isclose(got, float(ref), rel_tol=1e-12, abs_tol=abs_tol)


def same_float(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-12)


# 1 − tanh² and σ(1 − σ) are differences of numbers near 1: PyTorch's float result carries
# an absolute error of a few 1e-16 there, which the exact difference of the rounded values does not
TOLERANCE = {"tanh": 1e-15, "sigmoid": 1e-15, "silu": 1e-15}


def test_every_primitive_has_a_reference():
    assert set(CASES) == set(PRIMITIVES), "add a reference for each new primitive"


@pytest.mark.parametrize("name", sorted(CASES))
def test_derive_and_compile_agree_with_pytorch(name):
    mp.dps = 50
    expr, reference, arity = CASES[name]
    graph = parse(expr)
    inputs = ["x", "y"][:arity]
    rng = random.Random(f"pytorch-agreement:{name}")
    pts = points(name, arity, rng)
    compiled = symgrad.compile(graph)
    with np.errstate(all="ignore"):
        value, grads = compiled(**{n: np.array([p[i] for p in pts]) for i, n in enumerate(inputs)})
    problems = []
    for k, p in enumerate(pts):
        at = dict(zip(inputs, p, strict=True))
        ref = [mpmath.mpf(r) for r in reference(*(mpmath.mpf(v) for v in p))]
        code = [float(value[k])] + [float(grads[n][k]) for n in inputs]
        try:
            d = symgrad.derive(graph, at=at)
            derived = [d.value] + [d.gradients[n] for n in inputs]
        except DomainError:
            derived = None
        where = f"{expr} at {at}"
        if all(finite(r) for r in ref):
            tol = TOLERANCE.get(name, 1e-300)
            if derived is None:
                problems.append(f"{where}: derive refused; PyTorch gives {[float(r) for r in ref]}")
                continue
            for label, got in (("derive", derived), ("compile", code)):
                if not all(agrees(g, r, tol) for g, r in zip(got, ref, strict=True)):
                    problems.append(f"{where}: {label} {got}, PyTorch {[float(r) for r in ref]}")
        else:
            # not finite in PyTorch: derive refuses, or gives the compiled numbers (non-finite)
            if all(math.isfinite(c) for c in code):
                problems.append(f"{where}: compiled code finite {code} where PyTorch is not")
            if derived is not None and not all(same_float(a, b)
                                               for a, b in zip(derived, code, strict=True)):
                problems.append(f"{where}: derive {derived} but compiled code {code}")
    assert not problems, f"{len(problems)} of {len(pts)} points:\n" + "\n".join(problems[:15])
