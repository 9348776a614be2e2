"""symgrad.compile on scalar-symbol models: against derive(), finite differences and the PyTorch
conventions."""

import inspect
import math
import warnings

import numpy as np
import pytest
from conftest import central_difference

from symgrad import compile as compile_target
from symgrad import derive
from symgrad.catalog import models
from symgrad.errors import InputError

PROGRAMS = {
    "circuit": "(x + y) * z",
    "neuron": "a = sigmoid(w1*x1 + w2*x2 + b)\nloss = (a - y)**2",
    "mixed": """\
a = sigmoid(w*x + b)
c = log(a)
d = log(1 - a)
e = (relu(c) + leaky_relu(d, 0.1) + elu(w, 0.5) + max(w, b) + min(x, b) + abs(x)
     + tanh(w)/sqrt(b*b + 1))
loss = -y*c - (1 - y)*d + e*0.01 + exp(-b) * sin(w) + cos(x) / (2 + w*w)
""",
    "fanout": "q = x*x\nr = q + x\nf = r*q - x",
    # user names that the generated code also uses: gradient variables, helpers, locals, keywords
    "names": """\
np = x*2 + grad_x
lambda_ = np + exp(np)
shape = sigmoid(lambda_) * grad_x + v_grad_x * seen
value = shape * grad_np + loss_and_grads
""",
}
POINTS = {
    "circuit": {"x": -2.0, "y": 5.0, "z": -4.0},
    "neuron": {"w1": 0.3, "x1": 1.5, "w2": -0.7, "x2": 0.2, "b": 0.1, "y": 1.0},
    "mixed": {"w": 0.7, "x": 1.3, "b": -0.4, "y": 1.0},
    "fanout": {"x": 1.7},
    "names": {
        "x": 0.3,
        "grad_x": -0.4,
        "v_grad_x": 1.1,
        "seen": 0.5,
        "grad_np": 2.0,
        "loss_and_grads": 0.7,
    },
}


def quiet():
    """NumPy errors (overflow, invalid, divide) raise; Python warnings are errors. Underflow to 0
    is fine."""
    ctx = np.errstate(over="raise", invalid="raise", divide="raise", under="ignore")
    return ctx



@pytest.mark.parametrize("key", list(PROGRAMS))
def test_compiled_gradients_equal_derive_and_finite_differences(key):
    point = POINTS[key]
    d = derive(PROGRAMS[key], at=point)
    f = compile_target(PROGRAMS[key])
    loss, grads = f(**point)
    assert loss.shape == () and math.isclose(float(loss), d.value, rel_tol=1e-12, abs_tol=1e-14)
    assert sorted(grads) == sorted(d.wrt)
    for name, value in d.gradients.items():
        assert grads[name].shape == ()
        assert math.isclose(float(grads[name]), value, rel_tol=1e-10, abs_tol=1e-12), name
        fd = central_difference(lambda p: f(**p)[0], point, name)
        assert math.isclose(float(grads[name]), fd, rel_tol=1e-5, abs_tol=1e-7), name


@pytest.mark.parametrize("model", [m for m in models() if m.program.strip()], ids=lambda m: m.id)
def test_every_scalar_catalog_model_compiles_to_its_derivation(model):
    d = derive(model.id)
    f = compile_target(model.id)
    assert f.wrt == list(d.wrt)
    loss, grads = f(**{n: d.point[n] for n in f.inputs})
    assert math.isclose(float(loss), d.value, rel_tol=1e-10, abs_tol=1e-12)
    for name, value in d.gradients.items():
        assert math.isclose(float(grads[name]), value, rel_tol=1e-9, abs_tol=1e-12), name


def test_arrays_of_samples_give_per_sample_values_and_gradients():
    rng = np.random.default_rng(3)
    n = 7
    samples = {
        "w1": 0.3,
        "x1": rng.normal(size=n),
        "w2": -0.7,
        "x2": rng.normal(size=n),
        "b": 0.1,
        "y": rng.integers(0, 2, size=n).astype(float),
    }
    f = compile_target(PROGRAMS["neuron"], wrt=["w1", "w2", "b"])
    loss, grads = f(**samples)
    assert loss.shape == (n,)
    for name in ("w1", "w2", "b"):
        assert grads[name].shape == (n,)  # per-sample gradients, even of a scalar weight
    for i in range(n):
        point = {k: (v[i] if np.ndim(v) else v) for k, v in samples.items()}
        d = derive(PROGRAMS["neuron"], at=point, wrt="w1,w2,b")
        assert math.isclose(loss[i], d.value, rel_tol=1e-12)
        for name in ("w1", "w2", "b"):
            assert math.isclose(grads[name][i], d.gradients[name], rel_tol=1e-10, abs_tol=1e-14)


def test_broadcast_shape_of_two_dimensional_inputs():
    f = compile_target("w*x + b", wrt=["w", "b"])
    loss, grads = f(w=np.ones((3, 1)), x=np.arange(4.0), b=0.5)
    assert loss.shape == (3, 4) and grads["w"].shape == (3, 4) and grads["b"].shape == (3, 4)
    assert np.array_equal(grads["w"], np.broadcast_to(np.arange(4.0), (3, 4)))
    assert np.array_equal(grads["b"], np.ones((3, 4)))


def test_results_never_alias_the_inputs_or_each_other():
    f = compile_target("w*x + v*x", wrt=["w", "v"])
    x = np.array([1.0, 2.0])
    _, grads = f(w=1.0, v=2.0, x=x)
    assert np.array_equal(grads["w"], x) and np.array_equal(grads["v"], x)
    grads["w"] += 1.0
    assert np.array_equal(x, [1.0, 2.0]) and np.array_equal(grads["v"], [1.0, 2.0])


def test_sigmoid_and_log_sigmoid_are_stable_at_1000():
    bce = "p = sigmoid(w*x + b)\nL = -(y*log(p) + (1 - y)*log(1 - p))"
    f = compile_target(bce, wrt=["w", "b"])
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0])
    y = np.array([1.0, 1.0, 0.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with quiet():
            loss, grads = f(w=1.0, x=z, b=0.0, y=y)
    assert np.all(np.isfinite(loss)) and all(np.all(np.isfinite(g)) for g in grads.values())
    # exact values: L = softplus(-z) for y = 1, softplus(z) for y = 0; dL/db = σ(z) − y
    np.testing.assert_allclose(
        loss, [0.0, 1000.0, 1000.0, 0.0, math.log(2.0)], rtol=1e-15, atol=1e-300
    )
    np.testing.assert_allclose(grads["b"], [0.0, -1.0, 1.0, 0.0, -0.5], atol=1e-300)
    np.testing.assert_allclose(grads["w"], grads["b"] * z, atol=1e-300)
    assert "np.exp(-" not in f.source.split("def loss_and_grads")[1]  # σ only through the helper


def log_softmax_reference(scores, k):
    """log softmax_k and its gradient, written here with NumPy (max-shifted)."""
    z = np.asarray(scores, dtype=float)
    lse = z.max(axis=0) + np.log(np.exp(z - z.max(axis=0)).sum(axis=0))
    onehot = np.zeros_like(z)
    onehot[k] = 1.0
    return z[k] - lse, onehot - np.exp(z - lse)


@pytest.mark.parametrize(
    "target, names, k",
    [
        ("softmax-ce", ["s1", "s2", "s3"], 0),
        # four classes, correct class 3, the sum written in another order; L = log p (not −log p)
        (
            "e1 = exp(a)\ne2 = exp(b)\ne3 = exp(c)\ne4 = exp(d)\n"
            "L = log(e3 / (e4 + (e1 + e2) + e3))",
            ["a", "b", "c", "d"],
            2,
        ),
    ],
)
def test_softmax_cross_entropy_is_stable_at_1000(target, names, k):
    f = compile_target(target)
    scores = np.array(
        [
            [1000.0, -1000.0, 0.0, 3.2, 1000.0, -1000.0],
            [-1000.0, 1000.0, 0.0, 5.1, 1000.0, -1000.0],
            [0.0, 0.0, 1000.0, -1.7, 1000.0, -1000.0],
            [5.0, -5.0, -1000.0, 0.5, 1000.0, -1000.0],
        ]
    )[: len(names)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grads = f(**dict(zip(names, scores, strict=True)))
    want, want_grad = log_softmax_reference(scores, k)
    sign = -1.0 if target == "softmax-ce" else 1.0  # softmax-ce is −log p
    np.testing.assert_allclose(loss, sign * want, rtol=1e-12, atol=1e-12)
    for j, name in enumerate(names):
        np.testing.assert_allclose(grads[name], sign * want_grad[j], rtol=1e-12, atol=1e-12)
    assert "np.exp(s" not in f.source and "np.exp(a)" not in f.source  # no e^s is ever formed


@pytest.mark.parametrize("y", [2.0, 1.0, 3.5])
def test_power_gradient_in_the_exponent_is_zero_at_base_zero(y):
    # d x^y/dy = x^y·log x: 0·(−inf) at x = 0, where torch.pow's backward masks it to 0 (y ≥ 0); the
    # function is 0 for every y > 0 there, so central differences in y agree. The step-by-step
    # derivation and the compiled code must both say 0, without a NumPy warning.
    point = {"x": 0.0, "y": y}
    d = derive("x**y", at=point)
    reference = central_difference(lambda p: p["x"] ** p["y"], point, "y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, grads = compile_target("x**y")(**point)
    assert d.gradients["y"] == reference == float(grads["y"]) == 0.0
    assert float(compile_target("x**y")(x=2.0, y=y)[1]["y"]) == pytest.approx(
        2.0**y * math.log(2.0)
    )


def test_kinks_follow_pytorch():
    # torch: relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = negative_slope,
    # elu'(0) = alpha (for x <= 0),
    # maximum/minimum split the gradient of a tie evenly.
    cases = [
        ("relu(x)", 0.0),
        ("abs(x)", 0.0),
        ("leaky_relu(x, 0.2)", 0.2),
        ("elu(x, 0.5)", 0.5),
        ("max(x, y)", 0.5),
        ("min(x, y)", 0.5),
    ]
    for text, expected in cases:
        f = compile_target(text, wrt=["x"])
        point = {n: 0.0 for n in f.inputs}
        assert float(f(**point)[1]["x"]) == expected, text
        assert float(f(**point)[1]["x"]) == derive(text, at=point, wrt="x").gradients["x"], text


def test_elu_gradient_does_not_overflow_for_large_inputs():
    f = compile_target("elu(x, 1.0)", wrt=["x"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with quiet():
            loss, grads = f(x=np.array([1000.0, -1000.0, 1.0, -1.0]))
    np.testing.assert_allclose(grads["x"], [1.0, 0.0, 1.0, math.exp(-1.0)])
    np.testing.assert_allclose(loss, [1000.0, -1.0, 1.0, math.expm1(-1.0)])


def test_source_is_readable_registered_and_self_contained():
    f = compile_target("linear-mse")
    assert f.inputs == ["w", "x", "y"] or sorted(f.inputs) == ["w", "x", "y"]
    assert f.wrt == ["w"]
    source = inspect.getsource(f.function)
    assert source.startswith("def loss_and_grads(") and "grad_w" in source
    assert source in f.source
    # the printed module runs on its own
    namespace = {}
    exec(f.source, namespace)  # noqa: S102 (symgrad's generated code, in a test)
    loss, grads = namespace["loss_and_grads"](w=1.0, x=1.0, y=2.0)
    assert float(loss) == 1.0 and float(grads["w"]) == -2.0


def test_pass_through_gradients_are_aliases_and_single_use_values_are_folded():
    text = "a = x*y\nb = a + z\nc = b - w\nf = c*c"
    f = compile_target(text)
    body = f.source.split("# backward")[1]
    # ∂f/∂c = 2c is a line; b and a get c's gradient through add and sub: no lines of their own
    assert "grad_c = " in body and "grad_b = " not in body and "grad_a = " not in body
    assert "grad_x = grad_c*y" in body and "grad_w = -grad_c" in body
    forward = f.source.split("# forward")[1].split("# backward")[0].strip().splitlines()[1:]
    # a and b are read once and not by the backward pass: folded into c;
    # c is read by the backward pass
    assert [line.strip().split(" = ")[0] for line in forward] == ["c", "f"]
    assert "x*y" in forward[0]


def test_bad_calls_are_clear_errors():
    f = compile_target("x*y")
    with pytest.raises(InputError, match="needs y"):
        f(x=1.0)
    with pytest.raises(InputError, match="'z' is not an input"):
        f(x=1.0, y=2.0, z=3.0)
    with pytest.raises(InputError, match="cannot differentiate"):
        compile_target("x*y", wrt=["q"])
    with pytest.raises(InputError, match="unknown backend"):
        compile_target("x*y", backend="fortran")


def test_cli_prints_the_python_source(run_cli):
    code, out, err = run_cli("derive", "linear-mse", "--format", "python")
    assert code == 0, err
    assert "def loss_and_grads(" in out and "import numpy as np" in out
    code, out, err = run_cli("derive", "mlp-2layer", "--format", "python")
    assert code == 0, err
    assert "x.T @ grad_z" in out and out.count("= _sigmoid(") == 1


def test_long_chains_compile_without_deep_nesting():
    # 400 affine gates, each read once and never by the backward pass: folding them all into one
    # line would nest 400 parentheses, which Python's compiler refuses. Reference: the loop below.
    n = 400
    program = "\n".join(["a0 = x*x"] + [f"a{i} = a{i - 1}*1.01 + 0.001" for i in range(1, n)])
    f = compile_target(program)
    value, grads = f(x=0.3)
    a, slope = 0.3 * 0.3, 2 * 0.3
    for _ in range(1, n):
        a, slope = a * 1.01 + 0.001, slope * 1.01
    assert value == pytest.approx(a, rel=1e-12) and grads["x"] == pytest.approx(slope, rel=1e-12)
    assert max(nesting(line) for line in f.source.splitlines()) < 50


def nesting(line):
    depth = deepest = 0
    for ch in line:
        depth += (ch == "(") - (ch == ")")
        deepest = max(deepest, depth)
    return deepest
