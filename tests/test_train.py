"""Training: optimizers, data files, regularization, divergence and the seed posts' training
examples.

References are independent of the trainer: derive() and central differences for
gradients, hand-written NumPy loops for the updates, sympy.diff for penalties.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import sympy
from conftest import central_difference

from symgrad import derive, parse
from symgrad.errors import InputError, SymgradError
from symgrad.optimizers import OPTIMIZERS, make_optimizer
from symgrad.train import TrainingDiverged, add_penalty, train

LINEAR_CSV = str(Path(__file__).resolve().parent.parent / "examples" / "linear.csv")

# --- seed 002: the 2-2-2-1 sigmoid network, one step of α = 0.3 on all ten weights --------------
NET_002 = """\
st11 = sigmoid(x1*w1 + x2*w3)
st12 = sigmoid(x1*w2 + x2*w4)
st21 = sigmoid(st11*w5 + st12*w7)
st22 = sigmoid(st11*w6 + st12*w8)
st3_in = st21*w9 + st22*w10
yhat = sigmoid(st3_in)
E = (y - yhat)**2
"""
WEIGHTS_002 = dict(
    zip([f"w{i}" for i in range(1, 11)], [0.3, 0.2, 0.1, 0.5, 0.6, 0.2, 0.4, 0.3, 0.2, 0.5],
        strict=True)
)
POINT_002 = {**WEIGHTS_002, "x1": 20.0, "x2": 1.0, "y": 0.9}


def net_002_loss(p):
    """The network written out in plain Python (independent of symgrad)."""
    def s(z):
        return 1 / (1 + math.exp(-z))

    st11 = s(p["x1"] * p["w1"] + p["x2"] * p["w3"])
    st12 = s(p["x1"] * p["w2"] + p["x2"] * p["w4"])
    st21 = s(st11 * p["w5"] + st12 * p["w7"])
    st22 = s(st11 * p["w6"] + st12 * p["w8"])
    yhat = s(st21 * p["w9"] + st22 * p["w10"])
    return (p["y"] - yhat) ** 2


def test_seed_002_one_step_updates_all_ten_weights():
    names = list(WEIGHTS_002)
    result = train(NET_002, at=POINT_002, params=names, lr=0.3, steps=1)
    grads = derive(NET_002, at=POINT_002, wrt=names).gradients
    assert result.steps == 1
    assert result.history[0] == pytest.approx(net_002_loss(POINT_002), rel=1e-12)
    for name in names:
        # the derived gradient is itself checked against central differences
        assert grads[name] == pytest.approx(
            central_difference(net_002_loss, POINT_002, name), rel=1e-5, abs=1e-9
        )
        assert result.params[name] == pytest.approx(
            WEIGHTS_002[name] - 0.3 * grads[name], rel=1e-12
        )
        assert result.params[name] != WEIGHTS_002[name]          # every weight moved, not only w9
    new_point = {**POINT_002, **result.params}
    assert result.final_loss == pytest.approx(net_002_loss(new_point), rel=1e-12)
    assert result.final_loss < result.history[0]


# --- seed 000: the linear model learns w = 2 from y = 2x ------------------------------------------
def test_linear_model_converges_to_w_2(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=40)
    result = train(
        "linear-mse", data={"x": x, "y": 2 * x}, params=["w"], lr=0.1, steps=200, at="w=-3"
    )
    assert result.params["w"] == pytest.approx(2.0, abs=1e-9)
    assert result.final_loss < 1e-15
    # full-batch SGD on the mean loss: w_{k+1} − 2 = (1 − 2α·mean(x²))·(w_k − 2), exactly
    factor = 1 - 2 * 0.1 * np.mean(x**2)
    expected = [np.mean(((2 + factor**k * (-5)) * x - 2 * x) ** 2) for k in range(5)]
    np.testing.assert_allclose(result.history[:5], expected, rtol=1e-10)


def test_linear_example_csv_and_minibatches_with_seed_repeat():
    runs = [train("linear-mse", data=LINEAR_CSV, lr=0.05, epochs=20, batch_size=4, seed=7)
            for _ in range(2)]
    assert runs[0].history == runs[1].history and runs[0].params == runs[1].params
    assert runs[0].steps == 20 * 5  # 20 samples / 4 per batch = 5 iterations per epoch
    assert runs[0].params["w"] == pytest.approx(2.0, abs=1e-6)
    other = train("linear-mse", data=LINEAR_CSV, lr=0.05, epochs=20, batch_size=4, seed=8)
    assert other.history != runs[0].history        # the shuffling depends on the seed


def test_minibatch_history_is_the_mean_over_each_batch():
    x = np.arange(1.0, 7.0)
    y = 3 * x
    result = train(
        "linear-mse", data={"x": x, "y": y}, lr=0.01, steps=6, batch_size=2, seed=3, at="w=0"
    )
    # replay: the same permutation stream, the same rule, written by hand
    rng = np.random.default_rng(3)
    w, history = 0.0, []
    for _epoch in range(2):
        order = rng.permutation(6)
        for start in range(0, 6, 2):
            b = order[start:start + 2]
            history.append(np.mean((w * x[b] - y[b]) ** 2))
            w -= 0.01 * np.mean(2 * (w * x[b] - y[b]) * x[b])
    np.testing.assert_allclose(result.history, history, rtol=1e-12)
    assert result.params["w"] == pytest.approx(w, rel=1e-12)


# --- seed 004: the 2-layer network's NumPy loop ------------------------------------------------
def test_seed_004_mlp_loop_matches_the_hand_written_numpy():
    pytest.importorskip("symgrad.matrix")
    from symgrad.catalog import find_model

    if find_model("mlp-2layer") is None:
        pytest.fail("catalog model mlp-2layer is missing (matrix engine not ready)")
    rng = np.random.default_rng(4)
    n, d_in, h, d_out = 64, 1000, 100, 10
    x, y = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
    w1, w2 = rng.random((d_in, h)), rng.standard_normal((h, d_out))  # the post: rand, randn
    result = train(
        "mlp-2layer",
        data={"x": x, "y": y},
        at={"w1": w1, "w2": w2},
        params=["w1", "w2"],
        lr=1e-4,
        steps=200,
    )
    history = []
    for _t in range(200):                                  # the seed's loop, line for line
        hid = 1 / (1 + np.exp(-x.dot(w1)))
        y_pred = hid.dot(w2)
        loss = np.square(y_pred - y).sum()
        history.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = hid.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_w1 = x.T.dot(grad_h * hid * (1 - hid))
        w1 = w1 - 1e-4 * grad_w1
        w2 = w2 - 1e-4 * grad_w2
    np.testing.assert_allclose(result.history, history, rtol=1e-9)
    np.testing.assert_allclose(result.params["w2"], w2, rtol=1e-9, atol=1e-12)
    assert history[-1] < history[0]


# --- a multiclass hinge loss with L2 on a separable 3-class set ---------------------------------
HINGE_3 = """\
# scores of a linear classifier, 2 features -> 3 classes; y0, y1, y2 one-hot
s0 = w00*x1 + w01*x2 + b0
s1 = w10*x1 + w11*x2 + b1
s2 = w20*x1 + w21*x2 + b2
sy = y0*s0 + y1*s1 + y2*s2
# Σ_j max(0, s_j − s_y + 1) over j ≠ y: the j = y term is max(0, 1) = 1
L = max(0, s0 - sy + 1) + max(0, s1 - sy + 1) + max(0, s2 - sy + 1) - 1
"""
HINGE_PARAMS = ["w00", "w01", "w10", "w11", "w20", "w21", "b0", "b1", "b2"]


def test_multiclass_hinge_with_l2_separates_three_classes():
    rng = np.random.default_rng(5)
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    labels = np.repeat([0, 1, 2], 15)
    points = centers[labels] + 0.35 * rng.standard_normal((45, 2))
    onehot = np.eye(3)[labels]
    data = {
        "x1": points[:, 0],
        "x2": points[:, 1],
        "y0": onehot[:, 0],
        "y1": onehot[:, 1],
        "y2": onehot[:, 2],
    }
    result = train(HINGE_3, data=data, params={p: 0.0 for p in HINGE_PARAMS}, lr=0.05, steps=150,
                   regularization={"l2": 0.01})
    p = result.params
    w = np.array([[p["w00"], p["w01"]], [p["w10"], p["w11"]], [p["w20"], p["w21"]]])
    b = np.array([p["b0"], p["b1"], p["b2"]])
    accuracy = np.mean(np.argmax(points @ w.T + b, axis=1) == labels)
    assert accuracy >= 0.9
    assert result.final_loss < result.history[0]
    assert result.settings["loss"] == "L_reg"
    # the reported loss includes the penalty: recompute it with NumPy at the final parameters
    scores = points @ w.T + b
    margins = np.maximum(0, scores - scores[np.arange(45), labels][:, None] + 1).sum(axis=1) - 1
    assert result.final_loss == pytest.approx(
        margins.mean() + 0.01 * np.sum(w**2) + 0.01 * np.sum(b**2), rel=1e-10
    )


# --- regularization is part of the derived model --------------------------------------------------
@pytest.mark.parametrize("reg", [{"l2": 0.3}, {"l1": 0.2}, {"elastic": (0.5, 0.4)},
                                 {"l1": 0.1, "l2": 0.2}])
def test_penalty_gradient_matches_sympy(reg):
    graph = add_penalty(parse("loss = (w*x + b - y)**2"), ["w", "b"], reg)
    w, b, x, y = sympy.symbols("w b x y", real=True)
    penalty = 0
    if "l2" in reg:
        penalty += reg["l2"] * (w**2 + b**2)
    if "l1" in reg:
        penalty += reg["l1"] * (sympy.Abs(w) + sympy.Abs(b))
    if "elastic" in reg:
        beta, lam = reg["elastic"]
        penalty += lam * (beta * w**2 + sympy.Abs(w) + beta * b**2 + sympy.Abs(b))
    reference = (w * x + b - y) ** 2 + penalty
    point = {"w": 0.7, "b": -1.3, "x": 2.0, "y": 0.5}
    d = derive(graph, at=point, wrt=["w", "b"])
    subs = {w: 0.7, b: -1.3, x: 2.0, y: 0.5}
    assert d.value == pytest.approx(float(reference.subs(subs)), rel=1e-12)
    for name, sym in (("w", w), ("b", b)):
        assert d.gradients[name] == pytest.approx(
            float(sympy.diff(reference, sym).subs(subs)), rel=1e-12
        )
    assert any(
        step.gate.endswith("_penalty") for step in d.steps
    )  # the penalty is in the derivation


def test_l2_shrinks_the_trained_weight():
    x = np.linspace(-1, 1, 11)
    plain = train("linear-mse", data={"x": x, "y": 2 * x}, lr=0.2, steps=300)
    ridge = train(
        "linear-mse", data={"x": x, "y": 2 * x}, lr=0.2, steps=300, regularization={"l2": 0.5}
    )
    assert plain.params["w"] == pytest.approx(2.0, abs=1e-9)
    # minimum of mean((w−2)²x²) + λw²: w = 2·m/(m + λ), m = mean(x²)
    m = np.mean(x**2)
    assert ridge.params["w"] == pytest.approx(2 * m / (m + 0.5), rel=1e-9)


# --- optimizers --------------------------------------------------------------------------------
QUADRATIC = "f = 3*(a - 1)**2 + (b + 2)**2 + (a - 1)*(b + 2)"  # convex, minimum 0 at a = 1, b = −2


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_optimizer_decreases_a_convex_quadratic(name):
    result = train(QUADRATIC, at="a=4,b=3", params="a,b", optimizer=name, lr=0.05, steps=1000)
    assert result.final_loss < 1e-8 * result.history[0]
    assert result.params["a"] == pytest.approx(1.0, abs=1e-4)
    assert result.params["b"] == pytest.approx(-2.0, abs=1e-4)
    assert result.history[50] < result.history[0]


def test_adam_and_adamax_follow_their_formulas():
    g = np.array([0.5, -2.0])
    for name in ("adam", "adamax"):
        opt = make_optimizer(name, 0.1)
        w = opt.step({"w": np.zeros(2)}, {"w": g})["w"]
        w = opt.step({"w": w}, {"w": 2 * g})["w"]
        # by hand: two steps, β₁ = 0.9, β₂ = 0.999
        m1 = 0.1 * g
        m2 = 0.9 * m1 + 0.1 * 2 * g
        if name == "adam":
            v1, v2 = 0.001 * g**2, 0.999 * 0.001 * g**2 + 0.001 * 4 * g**2
            w1 = -0.1 * (m1 / 0.1) / (np.sqrt(v1 / 0.001) + 1e-8)
            expected = w1 - 0.1 * (m2 / (1 - 0.81)) / (np.sqrt(v2 / (1 - 0.999**2)) + 1e-8)
        else:
            u1 = np.abs(g) + 1e-8
            u2 = np.maximum(0.999 * u1, 2 * np.abs(g) + 1e-8)
            expected = -(0.1 / 0.1) * m1 / u1 - (0.1 / (1 - 0.81)) * m2 / u2
        np.testing.assert_allclose(w, expected, rtol=1e-12)


def test_momentum_follows_its_formula():
    opt = make_optimizer("momentum", 0.1)
    w = opt.step({"w": 1.0}, {"w": 2.0})["w"]         # v = −0.2
    w = opt.step({"w": w}, {"w": 1.0})["w"]           # v = 0.9·(−0.2) − 0.1 = −0.28
    assert float(w) == pytest.approx(1.0 - 0.2 - 0.28, rel=1e-12)


def test_unlisted_parameters_keep_their_values():
    result = train(QUADRATIC, at="a=4,b=3", params="a", lr=0.1, steps=50)
    assert list(result.params) == ["a"]
    # with b fixed at 3, the minimum in a is where 6(a − 1) + (b + 2) = 0
    assert result.params["a"] == pytest.approx(1 - 5 / 6, abs=1e-6)


# --- divergence ---------------------------------------------------------------------------------
def _linear_sgd_losses(lr, steps, w=1.0):
    """Full-batch SGD on linear-mse (mean of (w·x − y)²) over examples/linear.csv, by hand."""
    x, y = np.loadtxt(LINEAR_CSV, delimiter=",", skiprows=1, unpack=True)
    losses = []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            losses.append(float(np.mean((w * x - y) ** 2)))
            w = w - lr * float(np.mean(2 * (w * x - y) * x))
    return losses


def test_divergence_is_reported_with_the_step(run_cli, tmp_path):
    """The run stops at the first step whose loss is over 1e6 times the first one (issue 17:
    it used to run on to inf), found here by hand-written SGD."""
    with pytest.raises(TrainingDiverged) as info:
        train("linear-mse", data=LINEAR_CSV, lr=1e3, steps=500)
    err = info.value
    by_hand = _linear_sgd_losses(1e3, 500)
    first_bad = next(i for i, v in enumerate(by_hand) if v > 1e6 * by_hand[0]) + 1
    assert err.exit_code == 1 and err.step == first_bad > 1
    assert err.result.history == pytest.approx(by_hand[:first_bad], rel=1e-9)
    assert err.result.history[-1] > 1e6 * err.result.history[0]
    assert all(v <= 1e6 * err.result.history[0] for v in err.result.history[:-1])
    plot = tmp_path / "loss.png"
    code, out, stderr = run_cli("train", "linear-mse", "--data", LINEAR_CSV, "--lr", "1000",
                                "--steps", "500", "--plot", str(plot), "--format", "json")
    assert code == 1 and out == ""
    assert (
        stderr.count("\n") == 1
        and f"step {err.step}" in stderr
        and "smaller learning rate" in stderr
    )
    assert not plot.exists() and list(tmp_path.iterdir()) == []


# --- data files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, words", [
    ("x\n1\n2\n", ["no column 'y'"]),
    ("x,y\n1,2\n2,abc\n", ["line 3", "column 'y'", "'abc'"]),
    ("x,y\n1,2\n3\n", ["line 3", "1 value", "2 columns"]),
    ("x,y\n1,nan\n", ["line 2", "column 'y'", "finite"]),
    ("x,y\n", ["no data rows"]),
])
def test_csv_errors_are_one_line_with_exit_2(run_cli, tmp_path, text, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code, out, err = run_cli("train", "linear-mse", "--data", str(path), "--steps", "2")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(path) in err
    for word in words:
        assert word in err


def test_data_the_model_cannot_use_is_refused_not_ignored(tmp_path):
    path = tmp_path / "xy.csv"
    path.write_text("x,y\n1,2\n")
    # circuit-xyz trains x, y and z: a file of x and y columns has nothing it can take as data
    with pytest.raises(
        InputError, match=r"none of the columns \(x, y\) is an input the model takes from data"
    ):
        train("circuit-xyz", data=str(path))
    path.write_text("x,y,note\n1,2,7\n")  # an extra column beside usable ones is fine
    assert train("linear-mse", data=str(path), steps=1).params["w"] == pytest.approx(
        1 - 0.01 * 2 * (1 * 1 - 2) * 1
    )  # w - lr·2(wx - y)x


def test_npz_shape_errors(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.ones(5), y=np.ones(4))
    with pytest.raises(InputError, match=r"different numbers of samples: x \(5,\), y \(4,\)"):
        train("linear-mse", data=str(path))
    np.savez(path, x=np.ones((5, 2)), y=np.ones((5, 2)))
    with pytest.raises(InputError, match=r"'x' has shape \(5, 2\)"):
        train("linear-mse", data=str(path))
    np.savez(path, x=np.arange(4.0), y=2 * np.arange(4.0))
    assert train("linear-mse", data=str(path), lr=0.1, steps=100).params["w"] == pytest.approx(
        2, abs=1e-6
    )


@pytest.mark.parametrize("kwargs, match", [
    ({"params": "q"}, "cannot train 'q'"),
    ({"steps": 3, "epochs": 2}, "not both"),
    ({"batch_size": 2}, "needs --data"),
    ({"lr": -1}, "learning rate"),
    ({"optimizer": "rmsprop"}, "unknown optimizer"),
    ({"regularization": {"l3": 1}}, "unknown regularization"),
])
def test_bad_settings_are_symgrad_errors(kwargs, match):
    with pytest.raises(SymgradError, match=match):
        train("linear-mse", **kwargs)


# --- the command line ---------------------------------------------------------------------------
def test_cli_trains_and_plots(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "linear.csv").write_text(Path(LINEAR_CSV).read_text())
    code, out, err = run_cli(
        "train",
        "linear-mse",
        "--data",
        "linear.csv",
        "--params",
        "w",
        "--lr",
        "0.1",
        "--steps",
        "50",
        "--plot",
        "loss.png",
    )
    assert code == 0, err
    png = (tmp_path / "loss.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000
    assert "w = 2" in out and "wrote loss.png" in out
    code, out, err = run_cli(
        "train",
        "linear-mse",
        "--data",
        "linear.csv",
        "--lr",
        "0.1",
        "--steps",
        "50",
        "--format",
        "json",
        "--plot",
        "loss.svg",
        "--seed",
        "1",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) >= {"history", "final_loss", "params", "steps", "settings"}
    assert len(doc["history"]) == doc["steps"] == 50
    assert doc["params"]["w"] == pytest.approx(2.0, abs=1e-6)
    assert doc["settings"]["optimizer"] == "sgd" and doc["settings"]["seed"] == 1
    assert (tmp_path / "loss.svg").read_text().lstrip().startswith("<?xml")
    code, out, err = run_cli("train", "linear-mse", "--steps", "2", "--plot", "loss.pdf")
    assert code == 2 and ".png or .svg" in err


def test_cli_elastic_and_single_sample(run_cli):
    code, out, err = run_cli(
        "train",
        "linear-mse",
        "--at",
        "x=1,y=2,w=0",
        "--lr",
        "0.1",
        "--steps",
        "1",
        "--elastic",
        "0.5,0.2",
        "--format",
        "json",
    )
    assert code == 0, err
    doc = json.loads(out)
    # one sample (x=1, y=2), w = 0: d/dw[(w−2)² + 0.2(0.5w² + |w|)] = −4 + 0 (|w|' = sign(0) = 0)
    assert doc["params"]["w"] == pytest.approx(0.4, rel=1e-12)
    assert doc["settings"]["regularization"] == {"elastic": [0.5, 0.2]}
    code, out, err = run_cli("train", "linear-mse", "--elastic", "0.5", "--steps", "1")
    assert code == 2 and "β,λ" in err


# --- engines and progress ---------------------------------------------------------------------
def test_compiled_training_gives_the_numbers_of_derive_per_sample():
    """The compiled code trains exactly as one derive() per sample would: same losses, same w."""
    from symgrad.catalog import get_model
    from symgrad.optimizers import Adam

    rng = np.random.default_rng(9)
    x = rng.uniform(-1, 1, 8)
    data = {"x": x, "y": 2 * x + 0.1 * rng.standard_normal(8)}
    result = train("linear-mse", data=data, at="w=0.5", lr=0.2, epochs=3, batch_size=3, seed=2,
                   optimizer="adam", regularization={"l1": 0.05})
    assert result.settings["engine"] == "compiled"
    # The same run by hand: the penalized graph, derive() at every sample, Adam, the same batches.
    graph = add_penalty(get_model("linear-mse").graph(), ["w"], {"l1": 0.05})
    opt, w, history = Adam(0.2), 0.5, []
    shuffle = np.random.default_rng(2)

    def mean_loss_and_grad(w, batch):
        ds = [derive(graph, at={"x": x[i], "y": data["y"][i], "w": w}, wrt=["w"]) for i in batch]
        return np.mean([d.value for d in ds]), np.mean([d.gradients["w"] for d in ds])

    for _epoch in range(3):
        order = shuffle.permutation(8)
        for start in range(0, 8, 3):
            loss, grad = mean_loss_and_grad(w, order[start:start + 3])
            history.append(loss)
            w = float(opt.step({"w": w}, {"w": grad})["w"])
    np.testing.assert_allclose(result.history, history, rtol=1e-12)
    assert result.params["w"] == pytest.approx(w, rel=1e-12)
    assert result.final_loss == pytest.approx(mean_loss_and_grad(w, range(8))[0], rel=1e-12)


def test_progress_bar_only_when_asked_or_on_a_terminal(capsys):
    train(QUADRATIC, at="a=4,b=3", params="a,b", steps=300)          # stderr is not a terminal here
    assert capsys.readouterr().err == ""
    train(QUADRATIC, at="a=4,b=3", params="a,b", steps=300, progress=True)
    assert "training" in capsys.readouterr().err


# --- matrix models: hinge and penalties as matrix gates -----------------------------------------
def _three_clusters(seed, per_class=15):
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    labels = np.repeat([0, 1, 2], per_class)
    return centers[labels] + 0.35 * rng.standard_normal((3 * per_class, 2)), labels


def test_matrix_hinge_with_l2_separates_three_classes():
    from symgrad.matrix import MatrixModel, hinge, mean

    points, labels = _three_clusters(6)
    m = MatrixModel("svm", params=("W", "b"), data=("x", "y"))
    x, y = m.input("x", (45, 2)), m.input("y", (45, 3))
    W, b = m.input("W", (2, 3)), m.input("b", (1, 3))
    m.let("L", mean(hinge(m.let("scores", x @ W + b), y)))
    onehot = np.eye(3)[labels]
    result = train(
        m,
        data={"x": points, "y": onehot},
        at={"W": np.zeros((2, 3)), "b": np.zeros((1, 3))},
        lr=0.05,
        steps=150,
        regularization={"l2": 0.01},
    )
    w, bias = result.params["W"], result.params["b"]
    scores = points @ w + bias
    assert np.mean(np.argmax(scores, axis=1) == labels) >= 0.9
    margins = np.maximum(0, scores - scores[np.arange(45), labels][:, None] + 1)
    margins[np.arange(45), labels] = 0
    expected = margins.sum(axis=1).mean() + 0.01 * (np.sum(w**2) + np.sum(bias**2))
    assert result.final_loss == pytest.approx(expected, rel=1e-10)
    assert result.settings["loss"] == "L_reg"


def test_matrix_penalties_match_numpy():
    from symgrad.catalog.matrix_forms import mlp_2layer

    m = mlp_2layer(N=8, D_in=5, H=4, D_out=3)
    start = m.defaults(3)
    reg = {"l2": 0.1, "l1": 0.05, "elastic": (0.5, 0.02)}
    result = train(m, at=start, lr=1e-3, steps=1, regularization=reg)
    x, y, w1, w2 = (start[k] for k in ("x", "y", "w1", "w2"))
    hid = 1 / (1 + np.exp(-x @ w1))

    def penalty(w):
        return (
            0.1 * np.sum(w**2)
            + 0.05 * np.sum(np.abs(w))
            + 0.02 * (0.5 * np.sum(w**2) + np.sum(np.abs(w)))
        )

    def penalty_grad(w):
        return 0.2 * w + 0.05 * np.sign(w) + 0.02 * (w + np.sign(w))

    assert result.history[0] == pytest.approx(
        np.sum((hid @ w2 - y) ** 2) + penalty(w1) + penalty(w2), rel=1e-12
    )
    grad_y = 2 * (hid @ w2 - y)
    np.testing.assert_allclose(
        result.params["w2"], w2 - 1e-3 * (hid.T @ grad_y + penalty_grad(w2)), rtol=1e-12
    )
    grad_w1 = x.T @ ((grad_y @ w2.T) * hid * (1 - hid)) + penalty_grad(w1)
    np.testing.assert_allclose(result.params["w1"], w1 - 1e-3 * grad_w1, rtol=1e-12)


def test_matrix_model_defaults_follow_the_seed():
    from symgrad.catalog.matrix_forms import mlp_2layer

    runs = [
        train(mlp_2layer(N=8, D_in=5, H=4, D_out=3), lr=1e-3, steps=5, seed=s) for s in (1, 1, 2)
    ]
    assert runs[0].history == runs[1].history != runs[2].history
    with pytest.raises(SymgradError, match="fixed shapes"):
        train(
            mlp_2layer(N=8, D_in=5, H=4, D_out=3),
            data={"x": np.ones((8, 5)), "y": np.ones((8, 3))},
            batch_size=4,
        )
    with pytest.raises(
        SymgradError, match=r"'x' has shape \(6, 5\); the model 'mlp-2layer' needs \(8, 5\)"
    ):
        train(
            mlp_2layer(N=8, D_in=5, H=4, D_out=3), data={"x": np.ones((6, 5)), "y": np.ones((6, 3))}
        )
