"""The catalog: every id of issue 3, the seed posts' published numbers, the errata,
and for every model gradients against central differences and closed forms
against ``sympy.diff``.

References are independent of the reverse sweep: central differences of the
forward value, ``sympy.diff`` of the expanded expression, hand-written NumPy for
the matrix-shaped models, and the textbook formulas (σ′ = σ(1 − σ), ∂L/∂z = p − y, …).
Where a seed post prints a wrong number the test asserts the correct one and says so.
"""

import json
import math
import random

import numpy as np
import pytest
import sympy
from conftest import central_difference

from symgrad import derive
from symgrad.catalog import get_model, models
from symgrad.errors import InputError
from symgrad.numeric import evaluate

ISSUE_IDS = [
    "linear-mse",
    "circuit-xyz",
    "chain-rule",
    "sigmoid-neuron",
    "neuron-bias",
    "net-2-2-2-1",
    "sigmoid-3layer",
    "relu-2layer",
    "relu-3layer",
    "linear-collapse",
    "svm-hinge",
    "svm-total",
    "reg-l2",
    "reg-l1",
    "reg-elastic",
    "bce",
    "softmax-ce",
    "act-sigmoid",
    "act-tanh",
    "act-relu",
    "act-leaky-relu",
    "act-maxout",
    "act-elu",
]
ALL_IDS = [m.id for m in models()]
# Models with a scalar program; matrix-only models (mlp-2layer) are tested in test_matrix.py.
SCALAR_IDS = [m.id for m in models() if m.program.strip()]


def sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


def value_at(graph, point):
    """The output's value at ``point`` from the expanded expression (no gradient code involved)."""
    expr = graph.expression()
    return evaluate(expr, {graph.nodes[n].symbol: point[n] for n in graph.inputs})



def random_points(model, count, seed):
    """Points near the default: each input moved by up to ±1 (deterministic per model)."""
    rng = random.Random(f"{seed}-{model.id}")
    return [
        {k: v + rng.uniform(-1.0, 1.0) for k, v in model.defaults.items()} for _ in range(count)
    ]


# --- listing and deriving by id --------------------------------------------------------------


def test_list_json_lists_every_issue_id(run_cli):
    code, out, err = run_cli("list", "--format", "json")
    assert code == 0, err
    listed = json.loads(out)
    ids = [m["id"] for m in listed]
    assert sorted(ids) == sorted(set(ids)), "duplicate ids"
    missing = [i for i in ISSUE_IDS if i not in ids]
    assert not missing, f"missing from 'symgrad list': {missing}"
    for entry in listed:
        model = get_model(entry["id"])
        assert entry["params"] == list(model.params)
        assert set(entry["inputs"]) == set(model.defaults)
        assert entry["seeds"] == list(model.seeds)
        assert entry["description"] and "\n" not in entry["description"]


def test_list_text_has_one_row_per_model(run_cli):
    code, out, _ = run_cli("list")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["id", "description"]
    assert [line.split()[0] for line in lines[1:]] == ALL_IDS


@pytest.mark.parametrize("model_id", ISSUE_IDS)
def test_derive_json_works_without_at(run_cli, model_id):
    code, out, err = run_cli("derive", model_id, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    model = get_model(model_id)
    assert data["model"] == model_id
    assert data["at"] == {k: model.defaults[k] for k in data["at"]}
    assert set(data["at"]) == set(model.defaults)
    assert data["wrt"] == (list(model.params) or data["inputs"])
    assert all(isinstance(v, float) and math.isfinite(v) for v in data["gradients"].values())


def test_at_overrides_part_of_the_default_point(run_cli):
    code, out, _ = run_cli("derive", "linear-mse", "--at", "w=2", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["at"] == {"x": 1.0, "y": 2.0, "w": 2.0}
    assert data["value"] == 0.0 and data["gradients"] == {"w": 0.0}


def test_unknown_id_suggests_close_ones():
    with pytest.raises(InputError, match="net-2-2-2-1"):
        get_model("net-2-2-1")
    with pytest.raises(InputError, match="symgrad list"):
        get_model("no-such-model")


@pytest.mark.parametrize(
    "typed, meant, escape",
    [
        ("linear-mce", "linear-mse", "'linear - mce'"),
        ("sigmoidneuron", "sigmoid-neuron", "'(sigmoidneuron)'"),
        ("svm_hinge", "svm-hinge", "'(svm_hinge)'"),
    ],
)
def test_mistyped_id_on_the_command_line_is_refused_with_the_way_out(run_cli, typed, meant, escape):
    code, out, err = run_cli("derive", typed)
    assert code == 2 and out == ""
    assert f"did you mean {meant}?" in err and escape in err and len(err.strip().splitlines()) == 1
    # the escape really derives the text as an expression
    code, out, _ = run_cli(
        "derive",
        escape.strip("'"),
        "--at",
        ",".join(f"{n}=1" for n in escape.strip("'()").replace(" - ", " ").split()),
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["value"] in (0.0, 1.0)


def test_a_plain_unknown_name_stays_an_expression(run_cli):
    code, _, err = run_cli("derive", "weights")
    assert code == 2 and "no value for input weights" in err


# --- the models themselves -------------------------------------------------------------------


@pytest.mark.parametrize("model_id", SCALAR_IDS)
def test_model_is_complete(model_id):
    model = get_model(model_id)
    graph = model.graph()
    inputs = set(graph.inputs)
    assert set(model.defaults) == inputs, "every input needs a default (and only inputs have one)"
    assert set(model.params) <= inputs and set(model.data_inputs) <= inputs
    assert not set(model.params) & set(model.data_inputs)
    assert all(s in {"000", "001", "002", "003", "004"} for s in model.seeds)
    assert model.title and model.description and model.notes
    for name, point in model.points.items():
        assert set(point) == inputs, f"point {name!r} must give every input"
    if model.published:
        d = derive(model_id)
        for node, number in model.published.items():
            assert d.values[node] == pytest.approx(number, abs=1e-6), (
                f"published {node} of {model_id}"
            )


@pytest.mark.parametrize("model_id", SCALAR_IDS)
def test_gradients_match_central_differences(model_id):
    model = get_model(model_id)
    graph = model.graph()
    for point in [model.defaults] + random_points(model, 3, "fd"):
        d = derive(model_id, at=point, wrt=graph.inputs)
        assert d.value == pytest.approx(value_at(graph, point), rel=1e-12, abs=1e-12)
        for name in graph.inputs:
            numeric = central_difference(lambda p: value_at(graph, p), point, name)
            assert d.gradients[name] == pytest.approx(numeric, rel=1e-5, abs=1e-7), (
                model_id,
                name,
                point,
            )


@pytest.mark.parametrize("model_id", SCALAR_IDS)
def test_closed_forms_equal_sympy_diff(model_id):
    model = get_model(model_id)
    d = derive(model_id, wrt=model.graph().inputs)
    expr = d.graph.expression()
    points = [model.defaults] + random_points(model, 2, "diff")
    for name in d.graph.inputs:
        symbol = d.graph.nodes[name].symbol
        closed, reference = d.closed_form(name), sympy.diff(expr, symbol)
        for point in points:
            env = {d.graph.nodes[n].symbol: v for n, v in point.items()}
            assert evaluate(closed, env) == pytest.approx(
                evaluate(reference, env), rel=1e-9, abs=1e-12
            ), (model_id, name)


# --- published numbers of the seed posts -----------------------------------------------------


def test_linear_mse_seed_000_001():
    d = derive("linear-mse")
    assert d.value == 1.0
    assert d.gradients == {"w": -2.0}


def test_circuit_xyz_seed_003_004():
    d = derive("circuit-xyz")
    assert d.value == -12.0
    assert d.gradients == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_chain_rule_is_18x():
    d = derive("chain-rule")
    x = d.graph.nodes["x"].symbol
    assert sympy.simplify(d.closed_form("x") - 18 * x) == 0
    assert d.symbolic_gradients["x"] == 18 * x
    for v in (-2.0, 0.5, 3.0):
        assert derive("chain-rule", at={"x": v}).gradients["x"] == pytest.approx(18 * v)


def test_sigmoid_neuron_cs231n_slide():
    d = derive("sigmoid-neuron", wrt="w0,x0,w1,x1,w2")
    # the slide: f = 0.73; gradients -0.20, 0.39, -0.39, -0.59, 0.20 (two decimals)
    assert round(d.value, 2) == 0.73
    slide = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}
    assert {k: round(v, 2) for k, v in d.gradients.items()} == slide
    # and exactly: σ'(1)·(the other factor of each product)
    s = sigmoid(1.0)
    local = s * (1 - s)
    exact = {"w0": -1 * local, "x0": 2 * local, "w1": -2 * local, "x1": -3 * local, "w2": local}
    assert d.gradients == pytest.approx(exact, rel=1e-12)


def test_neuron_bias_point_a_and_b():
    model = get_model("neuron-bias")
    p = model.defaults
    a = p["X1"] * p["w1"] + p["X2"] * p["w2"] + p["X3"] * p["w3"] + p["b"]
    d = derive("neuron-bias")
    assert d.values["point_a"] == pytest.approx(a)
    assert d.value == pytest.approx(sigmoid(a))
    b = sigmoid(a)
    assert d.gradients == pytest.approx(
        {
            "w1": b * (1 - b) * p["X1"],
            "w2": b * (1 - b) * p["X2"],
            "w3": b * (1 - b) * p["X3"],
            "b": b * (1 - b),
        }
    )


# seed 002 prints six decimals (and cuts ŷ = 0.6122489 to 0.612248 rather than rounding)
NET_PUBLISHED = {
    "st11": 0.997762,
    "st12": 0.989013,
    "st21": 0.729929,
    "st22": 0.621579,
    "st3_out": 0.612248,
    "E": 0.0828006,
}


def test_net_2_2_2_1_forward_numbers_of_seed_002():
    d = derive("net-2-2-2-1")
    for node, printed in NET_PUBLISHED.items():
        assert d.values[node] == pytest.approx(printed, abs=1e-6), node
    assert get_model("net-2-2-2-1").published == NET_PUBLISHED
    # independent forward pass
    w = [None, 0.3, 0.2, 0.1, 0.5, 0.6, 0.2, 0.4, 0.3, 0.2, 0.5]
    st11, st12 = sigmoid(20 * w[1] + 1 * w[3]), sigmoid(20 * w[2] + 1 * w[4])
    st21, st22 = sigmoid(st11 * w[5] + st12 * w[7]), sigmoid(st11 * w[6] + st12 * w[8])
    yhat = sigmoid(st21 * w[9] + st22 * w[10])
    assert d.values["st3_out"] == pytest.approx(yhat, rel=1e-12)
    assert d.value == pytest.approx((0.9 - yhat) ** 2, rel=1e-12)


def test_net_2_2_2_1_backward_numbers_of_seed_002():
    d = derive("net-2-2-2-1")
    # ∂E/∂st3_out = −2(y − ŷ): the post prints −0.575504, computed from its cut ŷ = 0.612248;
    # the full-precision value is −0.5755021, so the printed number agrees to 3e-6.
    assert d.adjoints["st3_out"] == pytest.approx(-0.575504, abs=3e-6)
    assert -2 * (0.9 - 0.612248) == pytest.approx(-0.575504, abs=1e-12)
    # the local σ′ of the output unit, st3_out·(1 − st3_out)
    sigma_prime = d.edge_local("st3_out", "st3_in")
    assert sigma_prime == pytest.approx(0.237400, abs=5e-7)
    yhat = d.values["st3_out"]
    assert sigma_prime == pytest.approx(yhat * (1 - yhat), rel=1e-12)
    # ∂st3_in/∂w9 = st21, and the chain: ∂E/∂w9 = ∂E/∂st3_out · σ′ · st21
    assert d.gradients["w9"] == pytest.approx(
        d.adjoints["st3_out"] * sigma_prime * d.values["st21"], rel=1e-12
    )


def test_erratum_seed_002_w9_after_one_step():
    model = get_model("net-2-2-2-1")
    w9_err, yhat_err, error_err = model.errata
    d = derive("net-2-2-2-1")
    w9_new = 0.2 - 0.3 * d.gradients["w9"]
    # the post's own factors give the same answer
    assert 0.2 - 0.3 * (-0.575504 * 0.237400 * 0.729929) == pytest.approx(0.229918, abs=5e-7)
    assert w9_new == pytest.approx(0.229918, abs=5e-7)
    assert w9_err.correct == pytest.approx(w9_new, abs=1e-9)
    assert abs(w9_err.published - w9_new) > 5e-3, (
        "seed 002 prints w9_new = 0.237479, which is wrong"
    )
    # after the corrected step (only w9 changes, as in the post)
    after = derive("net-2-2-2-1", at={"w9": w9_new})
    assert yhat_err.correct == pytest.approx(after.values["st3_out"], abs=1e-9)
    assert error_err.correct == pytest.approx(after.value, abs=1e-9)
    assert after.value < d.value, "the step must lower the error"
    assert abs(yhat_err.published - after.values["st3_out"]) > 1e-3, (
        "seed 002's ŷ after the step is wrong"
    )
    assert abs(error_err.published - after.value) > 1e-4, "seed 002's error after the step is wrong"
    # where the post's numbers come from: its wrong w9
    wrong = derive("net-2-2-2-1", at={"w9": 0.237479})
    assert wrong.values["st3_out"] == pytest.approx(0.618723, abs=1e-6)
    assert wrong.value == pytest.approx(0.079116, abs=1e-6)


@pytest.mark.parametrize(
    "model_id, power, published",
    [
        ("reg-l2", 2, {"w1": 3.0, "w2": 2.25}),
        ("reg-l1", 1, {"w1": 3.0, "w2": 3.0}),
    ],
)
def test_erratum_seed_004_regularization(model_id, power, published):
    model = get_model(model_id)
    x = [1.0, 1.0, 1.0, 1.0]
    vectors = {"w1": [1.0, 0.0, 0.0, 0.0], "w2": [0.25] * 4}
    errata = {e.quantity.split("(")[1].split(")")[0]: e for e in model.errata}
    assert set(errata) == {"w1", "w2"}
    for name, w in vectors.items():
        point = model.points[name]
        assert [point[f"W_{k}"] for k in range(1, 5)] == w
        r = derive(model_id, at=point).value
        assert r == pytest.approx(sum(abs(v) ** power for v in w)), (
            "R(W) = Σ|W|^p by the post's formula"
        )
        assert errata[name].correct == r
        assert errata[name].published == published[name]
        assert errata[name].published != pytest.approx(r), f"seed 004's R({name}) is wrong"
        # the post's numbers are R(x − W)
        shifted = {f"W_{k + 1}": x[k] - w[k] for k in range(4)}
        assert derive(model_id, at=shifted).value == pytest.approx(published[name])
    assert model.defaults == model.points["w1"]


def test_reg_elastic_at_the_posts_vectors():
    model = get_model("reg-elastic")
    for name, w in {"w1": [1.0, 0.0, 0.0, 0.0], "w2": [0.25] * 4}.items():
        d = derive("reg-elastic", at=model.points[name])
        assert d.value == pytest.approx(sum(0.5 * v * v + abs(v) for v in w))
        # ∂R/∂W = 2βW + sign(W), sign(0) = 0
        assert list(d.gradients.values()) == pytest.approx([2 * 0.5 * v + np.sign(v) for v in w])


@pytest.mark.parametrize("model", [m for m in models() if m.errata], ids=lambda m: m.id)
def test_errata_are_explained_in_english_and_korean(model):
    for e in model.errata:
        assert e.published != e.correct
        assert e.quantity and len(e.explanation) > 20
        assert any("\uac00" <= ch <= "\ud7a3" for ch in e.explanation_ko), (
            "explanation_ko must be Korean"
        )


# --- matrix-shaped models against NumPy and SymPy matrices ------------------------------------


def _matrix(point, name, rows, cols):
    return np.array([[point[f"{name}_{i + 1}{j + 1}"] for j in range(cols)] for i in range(rows)])


def _vector(point, name, size, sep=""):
    return np.array([point[f"{name}{sep}{i + 1}"] for i in range(size)])


def _np_sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _relu(v):
    return np.maximum(v, 0.0)


NUMPY_REFERENCES = {
    "sigmoid-3layer": lambda p: _np_sigmoid(
        _matrix(p, "W3", 1, 2)
        @ _np_sigmoid(
            _matrix(p, "W2", 2, 3)
            @ _np_sigmoid(_matrix(p, "W1", 3, 2) @ _vector(p, "x", 2) + _vector(p, "b1", 3, "_"))
            + _vector(p, "b2", 2, "_")
        )
        + _vector(p, "b3", 1, "_")
    )[0],
    "relu-2layer": lambda p: (
        _matrix(p, "W2", 1, 3) @ _relu(_matrix(p, "W1", 3, 2) @ _vector(p, "x", 2))
    )[0],
    "relu-3layer": lambda p: (
        _matrix(p, "W3", 1, 2)
        @ _relu(_matrix(p, "W2", 2, 3) @ _relu(_matrix(p, "W1", 3, 2) @ _vector(p, "x", 2)))
    )[0],
    "linear-collapse": lambda p: (
        _matrix(p, "W2", 1, 3) @ _matrix(p, "W1", 3, 2) @ _vector(p, "x", 2)
    )[0],
}


def _svm_total_numpy(p):
    W1, W2 = _matrix(p, "W1", 2, 2), _matrix(p, "W2", 3, 2)
    losses = []
    for n, label in ((1, 0), (2, 2)):
        s = W2 @ _relu(W1 @ _vector(p, f"x{n}", 2, "_"))
        margins = np.maximum(0.0, s - s[label] + 1.0)
        margins[label] = 0.0
        losses.append(margins.sum())
    return np.mean(losses) + p["lam"] * (W1**2).sum() + p["lam"] * (W2**2).sum()


NUMPY_REFERENCES["svm-total"] = _svm_total_numpy


@pytest.mark.parametrize("model_id", sorted(NUMPY_REFERENCES))
def test_matrix_models_match_numpy(model_id):
    model = get_model(model_id)
    for point in [model.defaults] + random_points(model, 3, "numpy"):
        assert derive(model_id, at=point).value == pytest.approx(
            NUMPY_REFERENCES[model_id](point), rel=1e-12
        )


def test_svm_total_default_point_as_documented():
    d = derive("svm-total")
    assert d.values["loss1"] == pytest.approx(1.01) and d.values["loss2"] == pytest.approx(3.75)
    assert d.values["R1"] == pytest.approx(0.54) and d.values["R2"] == pytest.approx(2.38)
    assert d.value == pytest.approx(2.672)


def test_linear_collapse_is_one_matrix_symbolically():
    d = derive("linear-collapse")
    sym = {n: d.graph.nodes[n].symbol for n in d.graph.inputs}
    W1 = sympy.Matrix(3, 2, lambda i, j: sym[f"W1_{i + 1}{j + 1}"])
    W2 = sympy.Matrix(1, 3, lambda i, j: sym[f"W2_{i + 1}{j + 1}"])
    x = sympy.Matrix([sym["x1"], sym["x2"]])
    W3 = W2 * W1  # 1×2
    assert sympy.expand(d.expression() - (W3 * x)[0]) == 0
    # f is linear in x: its gradient in x is the row W3, free of x
    assert [sympy.expand(d.closed_form(n) - W3[0, j]) for j, n in enumerate(["x1", "x2"])] == [0, 0]
    # with the ReLU in between, relu-2layer is not (it differs at the shared default point)
    assert derive("relu-2layer").value != pytest.approx(d.value)


# --- losses and activations against their textbook derivatives ---------------------------------


def test_svm_hinge_cs231n_scores():
    d = derive("svm-hinge")
    assert d.value == pytest.approx(max(0, 5.1 - 3.2 + 1) + max(0, -1.7 - 3.2 + 1))  # 2.9
    assert d.gradients == pytest.approx({"s1": -1.0, "s2": 1.0, "s3": 0.0})


@pytest.mark.parametrize(
    "point",
    [
        {"x": 2.0, "y": 1.0, "w": 0.5, "b": -0.5},
        {"x": -1.0, "y": 0.0, "w": 1.5, "b": 0.3},
        {"x": 0.7, "y": 0.25, "w": -2.0, "b": 1.0},
    ],
)
def test_bce_gradient_is_p_minus_y(point):
    d = derive("bce", at=point, wrt="w,b,x")
    p = sigmoid(point["w"] * point["x"] + point["b"])
    assert d.value == pytest.approx(
        -(point["y"] * math.log(p) + (1 - point["y"]) * math.log(1 - p))
    )
    assert d.adjoints["z"] == pytest.approx(p - point["y"])
    assert d.gradients == pytest.approx(
        {
            "w": (p - point["y"]) * point["x"],
            "b": p - point["y"],
            "x": (p - point["y"]) * point["w"],
        }
    )


def test_softmax_ce_gradient_is_p_minus_onehot():
    for s in ([3.2, 5.1, -1.7], [0.0, 0.0, 0.0], [1.0, -2.0, 0.5]):
        d = derive("softmax-ce", at={"s1": s[0], "s2": s[1], "s3": s[2]})
        e = np.exp(s)
        p = e / e.sum()
        assert d.value == pytest.approx(-math.log(p[0]))
        assert list(d.gradients.values()) == pytest.approx(list(p - np.array([1.0, 0.0, 0.0])))
    assert derive("softmax-ce").value == pytest.approx(2.04, abs=5e-3)  # cs231n's 2.04


ACTIVATION_DERIVATIVES = {
    "act-sigmoid": (sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x))),
    "act-tanh": (math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    "act-relu": (lambda x: max(0.0, x), lambda x: 1.0 if x > 0 else 0.0),
    "act-leaky-relu": (lambda x: max(0.01 * x, x), lambda x: 1.0 if x > 0 else 0.01),
    "act-elu": (lambda x: x if x >= 0 else math.expm1(x), lambda x: 1.0 if x > 0 else math.exp(x)),
}


@pytest.mark.parametrize("model_id", sorted(ACTIVATION_DERIVATIVES))
def test_activation_and_its_derivative(model_id):
    f, df = ACTIVATION_DERIVATIVES[model_id]
    for x in (get_model(model_id).defaults["x"], -2.5, -0.3, 0.4, 3.0):
        d = derive(model_id, at={"x": x})
        assert d.value == pytest.approx(f(x), rel=1e-12, abs=1e-15)
        assert d.gradients["x"] == pytest.approx(df(x), rel=1e-12)


def test_activation_kink_conventions():
    assert derive("act-relu", at={"x": 0.0}).gradients["x"] == 0.0
    assert derive("act-leaky-relu", at={"x": 0.0}).gradients["x"] == pytest.approx(0.01)
    assert derive("act-elu", at={"x": 0.0}).gradients["x"] == 1.0


def test_maxout_routes_the_gradient_to_the_winning_piece():
    model = get_model("act-maxout")
    for point in [model.defaults] + random_points(model, 4, "maxout"):
        d = derive("act-maxout", at=point)
        a1 = point["w1_1"] * point["x1"] + point["w1_2"] * point["x2"] + point["b1"]
        a2 = point["w2_1"] * point["x1"] + point["w2_2"] * point["x2"] + point["b2"]
        win, lose = ("1", "2") if a1 > a2 else ("2", "1")
        assert d.value == pytest.approx(max(a1, a2))
        assert d.gradients[f"w{win}_1"] == pytest.approx(point["x1"])
        assert d.gradients[f"b{win}"] == 1.0 and d.gradients[f"b{lose}"] == 0.0
