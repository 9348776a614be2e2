"""Training matrix programs (issue 13, item 4): ``symgrad train prog.sg --data d.npz --at
w1=@w1.npy`` against the seed's own loops written by hand in NumPy, the ``.npz`` round trip of
``--save-params``, and every refusal (one line, exit 2)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symgrad.errors import SymgradError
from symgrad.matrix.derivation import SMALL
from symgrad.train import save_params, train

# Seed 004's network as a program: the seed's forward pass and loss, line for line
# (h = 1/(1 + np.exp(-x.dot(w1))); y_pred = h.dot(w2); loss = np.square(y_pred - y).sum()).
SEED_004 = "h = sigmoid(x @ w1)\ny_pred = h @ w2\nloss = sum((y_pred - y)**2)\n"
SEED_LR = 1e-4


def seed_004_data(rng, n=16, d_in=10, h=8, d_out=4):
    """As the seed draws them: x, y ~ randn; w1 ~ rand (uniform [0, 1)); w2 ~ randn."""
    return (rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out)),
            rng.random((d_in, h)), rng.standard_normal((h, d_out)))


def seed_004_loop(x, y, w1, w2, lr, steps):
    """Seed 004's training loop as the post writes it; returns the loss of every step, the loss
    at the final weights, and the final weights."""
    w1, w2, losses = w1.copy(), w2.copy(), []
    for _ in range(steps):
        h = 1 / (1 + np.exp(-x.dot(w1)))
        y_pred = h.dot(w2)
        loss = np.square(y_pred - y).sum()
        losses.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_w1 = x.T.dot(grad_h * h * (1 - h))
        w1 -= lr * grad_w1
        w2 -= lr * grad_w2
    final = np.square((1 / (1 + np.exp(-x.dot(w1)))).dot(w2) - y).sum()
    return losses, final, w1, w2


def write_seed_files(folder, rng, **dims):
    x, y, w1, w2 = seed_004_data(rng, **dims)
    (folder / "net.sg").write_text(SEED_004)
    np.savez(folder / "d.npz", x=x, y=y)
    np.save(folder / "w1.npy", w1)
    np.save(folder / "w2.npy", w2)
    return x, y, w1, w2


def seed_argv(folder, *extra):
    return ("train", str(folder / "net.sg"), "--data", str(folder / "d.npz"),
            "--at", f"w1=@{folder / 'w1.npy'},w2=@{folder / 'w2.npy'}", *extra)


# --- seed 004, step for step ---------------------------------------------------------------
def test_seed_004_program_matches_the_hand_written_loop_every_step():
    x, y, w1, w2 = seed_004_data(np.random.default_rng(4))
    losses, final, w1_end, w2_end = seed_004_loop(x, y, w1, w2, SEED_LR, 2000)
    result = train(SEED_004, data={"x": x, "y": y}, at={"w1": w1, "w2": w2},
                   params="w1,w2", lr=SEED_LR, steps=2000)
    assert losses[-1] < 0.5 * losses[0]            # the run does learn: a test that could fail
    np.testing.assert_allclose(result.history, losses, rtol=1e-10)
    assert result.final_loss == pytest.approx(final, rel=1e-10)
    np.testing.assert_allclose(result.params["w1"], w1_end, rtol=1e-10)
    np.testing.assert_allclose(result.params["w2"], w2_end, rtol=1e-10)
    assert result.settings["samples"] == 16 and result.settings["matrix"]


def test_seed_004_from_the_command_line(run_cli, tmp_path):
    x, y, w1, w2 = write_seed_files(tmp_path, np.random.default_rng(40), n=12, d_in=9, h=7,
                                    d_out=3)
    losses, final, w1_end, w2_end = seed_004_loop(x, y, w1, w2, SEED_LR, 300)
    saved = tmp_path / "out" / "trained.npz"
    code, out, err = run_cli(*seed_argv(tmp_path, "--params", "w1,w2", "--lr", "1e-4",
                                        "--steps", "300", "--format", "json",
                                        "--save-params", str(saved)))
    assert code == 0, err
    doc = json.loads(out)
    np.testing.assert_allclose(doc["history"], losses, rtol=1e-10)
    assert doc["final_loss"] == pytest.approx(final, rel=1e-10)
    assert doc["steps"] == 300 and doc["settings"]["samples"] == 12
    # w1 is 9×7 = 63 entries: written out in full; w2 too
    np.testing.assert_allclose(doc["params"]["w1"], w1_end, rtol=1e-10)
    np.testing.assert_allclose(doc["params"]["w2"], w2_end, rtol=1e-10)
    with np.load(saved) as archive:
        assert sorted(archive.files) == ["w1", "w2"]
        np.testing.assert_allclose(archive["w1"], w1_end, rtol=1e-10)
        np.testing.assert_allclose(archive["w2"], w2_end, rtol=1e-10)


def test_default_params_are_the_inputs_the_data_does_not_give(run_cli, tmp_path):
    x, y, w1, w2 = write_seed_files(tmp_path, np.random.default_rng(5), n=6, d_in=4, h=3,
                                    d_out=2)
    losses, _, w1_end, _ = seed_004_loop(x, y, w1, w2, 1e-2, 5)
    code, out, err = run_cli(*seed_argv(tmp_path, "--lr", "0.01", "--steps", "5",
                                        "--format", "json"))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["settings"]["params"] == ["w1", "w2"]
    np.testing.assert_allclose(doc["history"], losses, rtol=1e-10)
    np.testing.assert_allclose(doc["params"]["w1"], w1_end, rtol=1e-10)


def test_text_output_plot_and_progress_bar(run_cli, tmp_path):
    write_seed_files(tmp_path, np.random.default_rng(6), n=6, d_in=4, h=3, d_out=2)
    plot, saved = tmp_path / "loss.png", tmp_path / "p.npz"
    code, out, err = run_cli(*seed_argv(tmp_path, "--steps", "20", "--plot", str(plot),
                                        "--save-params", str(saved)))
    assert code == 0, err
    assert "full batch of 6 samples" in out
    norm = np.linalg.norm(np.load(saved)["w1"])
    assert f"w1 = array of shape (4, 3), ‖·‖ = {norm:.6g}" in out
    assert f"wrote {plot}" in out and f"wrote {saved}" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    x, y, w1, w2 = seed_004_data(np.random.default_rng(6), n=6, d_in=4, h=3, d_out=2)
    shown = train(SEED_004, data={"x": x, "y": y}, at={"w1": w1, "w2": w2}, steps=3,
                  progress=True)
    assert len(shown.history) == 3


def test_json_writes_large_arrays_as_shape_and_norm(tmp_path):
    rng = np.random.default_rng(7)
    x, y, w1, w2 = seed_004_data(rng, n=5, d_in=20, h=4, d_out=2)     # w1: 80 entries
    assert w1.size > SMALL >= w2.size
    result = train(SEED_004, data={"x": x, "y": y}, at={"w1": w1, "w2": w2}, steps=2)
    doc = json.loads(result.to_json_text())
    assert doc["params"]["w1"] == {"shape": [20, 4],
                                   "norm": pytest.approx(np.linalg.norm(result.params["w1"]))}
    np.testing.assert_allclose(doc["params"]["w2"], result.params["w2"], rtol=1e-15)


# --- a softmax classifier and a linear layer, with a bias row over the batch ---------------
def softmax_rows(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_softmax_classifier_on_a_batch_matches_a_hand_written_gradient():
    rng = np.random.default_rng(8)
    n, d, c = 12, 5, 3
    X = rng.standard_normal((n, d))
    Y = np.eye(c)[rng.integers(0, c, n)]
    W, b = 0.1 * rng.standard_normal((d, c)), np.zeros((1, c))
    program = "s = X @ W + b\nloss = mean(softmax_ce(s, Y))\n"
    lr, steps = 0.5, 6
    result = train(program, data={"X": X, "Y": Y}, at={"W": W, "b": b}, lr=lr, steps=steps)
    assert result.settings["params"] == ["W", "b"]
    losses, w_hand, b_hand = [], W.copy(), b.copy()
    for _ in range(steps):
        s = X @ w_hand + b_hand
        p = softmax_rows(s)
        losses.append(-np.mean(np.sum(Y * np.log(p), axis=1)))
        d_s = (p - Y) / n
        w_hand, b_hand = w_hand - lr * X.T @ d_s, b_hand - lr * d_s.sum(axis=0, keepdims=True)
    assert losses[-1] < losses[0]
    np.testing.assert_allclose(result.history, losses, rtol=1e-10)
    np.testing.assert_allclose(result.params["W"], w_hand, rtol=1e-10)
    np.testing.assert_allclose(result.params["b"], b_hand, rtol=1e-10, atol=1e-15)


def test_linear_layer_with_a_bias_row_broadcast_over_the_batch(tmp_path):
    rng = np.random.default_rng(9)
    n, d, h = 10, 4, 3
    x, y = rng.standard_normal((n, d)), rng.standard_normal((n, h))
    W, b = rng.standard_normal((d, h)), rng.standard_normal((1, h))
    np.savez(tmp_path / "d.npz", x=x, y=y)
    program = "out = x @ W + b\nloss = mean((out - y)**2)\n"
    lr, steps = 0.1, 8
    result = train(program, data=tmp_path / "d.npz", at={"W": W, "b": b}, lr=lr, steps=steps)
    losses = []
    for _ in range(steps):
        r = x @ W + b - y
        losses.append(np.mean(r**2))
        g = 2 * r / r.size
        W, b = W - lr * x.T @ g, b - lr * g.sum(axis=0, keepdims=True)
    np.testing.assert_allclose(result.history, losses, rtol=1e-10)
    np.testing.assert_allclose(result.params["W"], W, rtol=1e-10)
    np.testing.assert_allclose(result.params["b"], b, rtol=1e-10)


def test_scalar_program_with_npz_columns_still_trains_per_sample(tmp_path):
    """The data's shapes make only matrix programs matrix: a scalar program's columns of shape
    (N,) stay one number per sample, and the loss is their mean."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal(20)
    t = 3.0 * x + 0.5
    np.savez(tmp_path / "d.npz", x=x, t=t)
    result = train("loss = (w*x - t)**2", data=tmp_path / "d.npz", at="w=0", params="w",
                   lr=0.1, steps=4)
    assert not result.settings["matrix"]
    w, losses = 0.0, []
    for _ in range(4):
        losses.append(np.mean((w * x - t) ** 2))
        w -= 0.1 * np.mean(2 * (w * x - t) * x)
    np.testing.assert_allclose(result.history, losses, rtol=1e-12)
    assert result.params["w"] == pytest.approx(w, rel=1e-12)


# --- --save-params -----------------------------------------------------------------------------
def test_save_params_round_trip_keeps_names_numbers_and_arrays(tmp_path):
    params = {"file": np.arange(6.0).reshape(2, 3), "b": 0.25}     # 'file': np.savez's own name
    path = tmp_path / "deep" / "p.npz"
    save_params(params, path)
    with np.load(path) as archive:
        assert sorted(archive.files) == ["b", "file"]
        np.testing.assert_array_equal(archive["file"], params["file"])
        assert archive["b"].shape == () and float(archive["b"]) == 0.25


@pytest.mark.parametrize("name, words", [
    ("p.txt", "--save-params {path}: the file must end in .npz"),
    ("folder.npz", "--save-params {path}: is a folder"),
    ("net.sg/p.npz", "--save-params {path}: {folder} is a file, not a folder"),
])
def test_bad_save_params_path_is_refused_before_training(run_cli, tmp_path, monkeypatch, name,
                                                         words):
    write_seed_files(tmp_path, np.random.default_rng(11), n=4, d_in=3, h=2, d_out=2)
    (tmp_path / "folder.npz").mkdir()
    calls = []
    # (symgrad.train the attribute is the function: the module is in sys.modules)
    monkeypatch.setattr(sys.modules["symgrad.train"], "train", lambda *a, **k: calls.append(a))
    path = tmp_path / name
    code, out, err = run_cli(*seed_argv(tmp_path, "--save-params", str(path)))
    assert (code, out, calls) == (2, "", [])
    assert err.count("\n") == 1
    assert words.format(path=path, folder=tmp_path / "net.sg") in err


# --- refusals: one line, exit 2 -----------------------------------------------------------------
def test_missing_array_in_the_npz(run_cli, tmp_path):
    write_seed_files(tmp_path, np.random.default_rng(12), n=4, d_in=3, h=2, d_out=2)
    np.savez(tmp_path / "d.npz", x=np.ones((4, 3)))                   # no y
    code, out, err = run_cli(*seed_argv(tmp_path, "--steps", "2"))
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "'y'" in err and "is not known" in err
    # with y declared, the data is checked for it by name (y is not trained: --params)
    (tmp_path / "net.sg").write_text("y: [4, 2]\n" + SEED_004)
    code, out, err = run_cli(*seed_argv(tmp_path, "--steps", "2", "--params", "w1,w2"))
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert f"{tmp_path / 'd.npz'}: no array 'y' for the model's input (arrays: x)" in err


def test_wrong_shapes_name_both_shapes(run_cli, tmp_path):
    write_seed_files(tmp_path, np.random.default_rng(13), n=4, d_in=3, h=2, d_out=2)
    np.savez(tmp_path / "d.npz", x=np.ones((4, 3)), y=np.ones((4, 5)))
    code, out, err = run_cli(*seed_argv(tmp_path, "--steps", "2"))
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "(4, 2) and y (4, 5)" in err and "line 3" in err
    np.savez(tmp_path / "d.npz", x=np.ones((4, 3)), y=np.ones((4, 2)))
    np.save(tmp_path / "w2.npy", np.ones((3, 2)))
    code, out, err = run_cli(*seed_argv(tmp_path, "--steps", "2"))
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "(4, 2) and (3, 2)" in err
    (tmp_path / "net.sg").write_text("x: [5, 3]\n" + SEED_004)
    code, out, err = run_cli(*seed_argv(tmp_path, "--steps", "2"))
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "'x' is declared with shape [5, 3] but its value has shape [4, 3]" in err


def test_batch_size_is_refused_for_a_matrix_program(run_cli, tmp_path):
    write_seed_files(tmp_path, np.random.default_rng(14), n=4, d_in=3, h=2, d_out=2)
    code, out, err = run_cli(*seed_argv(tmp_path, "--batch-size", "2"))
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "the matrix program" in err and "full batch of 4 rows; drop --batch-size" in err


def test_an_input_without_a_value_is_named():
    x, y, w1, w2 = seed_004_data(np.random.default_rng(15), n=4, d_in=3, h=2, d_out=2)
    with pytest.raises(SymgradError, match=r"no value for input y; give it with --at y=\.\.\."):
        train("y: [4, 2]\n" + SEED_004, at={"x": x, "w1": w1, "w2": w2}, params="w1,w2")


# --- the example files of docs/matrix-train.md ---------------------------------------------------
def test_example_data_script_reproduces_the_committed_files(tmp_path):
    folder = Path(__file__).resolve().parent.parent / "examples" / "matrix"
    subprocess.run([sys.executable, str(folder / "seed004_data.py"), str(tmp_path)], check=True,
                   timeout=60)
    for name in ("seed004_w1.npy", "seed004_w2.npy"):
        np.testing.assert_array_equal(np.load(tmp_path / name), np.load(folder / name))
    with np.load(tmp_path / "seed004_data.npz") as made, \
            np.load(folder / "seed004_data.npz") as committed:
        assert sorted(made.files) == sorted(committed.files) == ["x", "y"]
        for name in made.files:
            np.testing.assert_array_equal(made[name], committed[name])
    # and the program is the one this file tests
    program = (folder / "seed004_net.sg").read_text()
    assert [line for line in program.splitlines() if not line.startswith("#")] == \
        SEED_004.splitlines()
