"""The catalog's matrix forms are programs of the matrix language (issue 13, item 5).

Each form's loss is recomputed here by a hand-written NumPy forward pass (the formulas of the
posts) and its gradients by central finite differences of that forward pass; seed 004's
network also by the post's own backward formulas. The default arrays are rebuilt from the
scalar catalog model's default point by the naming convention (``W1[i, j]`` is ``W1_{i+1}{j+1}``).
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import array_central_difference

from symgrad.catalog import get_model, models
from symgrad.catalog.matrix_forms import FORMS, MLP_SHAPES, mlp_2layer
from symgrad.errors import ParseError
from symgrad.matrix import derive_matrix
from symgrad.matrix.program import parse_matrix

ROOT = Path(__file__).resolve().parent.parent


def relu(a):
    return np.maximum(a, 0.0)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def forward(model_id, a):
    """The loss of each form, written out in NumPy as the posts write it."""
    if model_id == "mlp-2layer":
        return np.sum((sigmoid(a["x"] @ a["w1"]) @ a["w2"] - a["y"]) ** 2)
    if model_id == "sigmoid-3layer":
        h1 = sigmoid(a["W1"] @ a["x"] + a["b1"])
        h2 = sigmoid(a["W2"] @ h1 + a["b2"])
        return (sigmoid(a["W3"] @ h2 + a["b3"])).item()
    if model_id == "relu-2layer":
        return (a["W2"] @ relu(a["W1"] @ a["x"])).item()
    if model_id == "relu-3layer":
        return (a["W3"] @ relu(a["W2"] @ relu(a["W1"] @ a["x"]))).item()
    if model_id == "linear-collapse":
        return (a["W2"] @ (a["W1"] @ a["x"])).item()
    if model_id == "svm-total":
        scores = relu(a["X"] @ a["W1"].T) @ a["W2"].T
        correct = np.sum(scores * a["Y"], axis=1, keepdims=True)
        margins = relu(scores - correct + 1.0) * (1.0 - a["Y"])
        data = np.mean(np.sum(margins, axis=1))
        return data + a["lam"] * np.sum(a["W1"] ** 2) + a["lam"] * np.sum(a["W2"] ** 2)
    if model_id == "softmax-ce":
        s = a["s"]
        return np.sum(np.log(np.sum(np.exp(s), axis=1)) - np.sum(a["Y"] * s, axis=1))
    raise AssertionError(model_id)



def catalog_arrays(model_id):
    """The default arrays, rebuilt from the scalar model's default point (the naming convention
    of the catalog), plus the labels the scalar programs write as constants."""
    entry = get_model(model_id)
    point = entry.defaults
    if model_id == "softmax-ce":
        return {"s": np.array([[point["s1"], point["s2"], point["s3"]]]),
                "Y": np.array([[1.0, 0.0, 0.0]])}
    if model_id == "svm-total":
        return {"X": np.array([[point["x1_1"], point["x1_2"]], [point["x2_1"], point["x2_2"]]]),
                "Y": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), "lam": np.array(point["lam"]),
                "W1": matrix(point, "W1", 2, 2), "W2": matrix(point, "W2", 3, 2)}
    shapes = {"x": (2, 1), "W1": (3, 2), "b1": (3, 1), "W2": (2, 3), "b2": (2, 1),
              "W3": (1, 2), "b3": (1, 1)}
    if model_id in ("relu-2layer", "linear-collapse"):
        shapes["W2"] = (1, 3)
    form = get_model(model_id).matrix
    out = {}
    for name in form.inputs:
        rows, cols = shapes[name]
        if cols == 1:
            sep = "_" if name[-1].isdigit() else ""
            out[name] = np.array([[point[f"{name}{sep}{i + 1}"]] for i in range(rows)])
        else:
            out[name] = matrix(point, name, rows, cols)
    return out


def matrix(point, name, rows, cols):
    return np.array([[point[f"{name}_{i + 1}{j + 1}"] for j in range(cols)] for i in range(rows)])


SMALL_FORMS = [k for k in FORMS if k != "mlp-2layer"]


@pytest.mark.parametrize("model_id", SMALL_FORMS)
def test_each_form_gives_the_loss_and_gradients_of_numpy(model_id):
    model = get_model(model_id).matrix
    arrays = catalog_arrays(model_id)
    defaults = model.default_arrays()
    assert sorted(defaults) == sorted(arrays)
    for name, value in arrays.items():          # the same numbers as the scalar model's point
        np.testing.assert_array_equal(defaults[name], value, err_msg=name)
    d = derive_matrix(model)
    assert math.isclose(d.value, forward(model_id, arrays), rel_tol=1e-12, abs_tol=1e-15)
    for w in model.params:
        fd = array_central_difference(lambda a: forward(model_id, a), arrays, w)
        np.testing.assert_allclose(d.gradients[w], fd, rtol=1e-6, atol=1e-8, err_msg=w)


def seed004_gradients(x, y, w1, w2):
    """Seed 004's backward pass, as the post writes it."""
    h = 1 / (1 + np.exp(-x.dot(w1)))
    y_pred = h.dot(w2)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h * h * (1 - h))
    return np.square(y_pred - y).sum(), grad_w1, grad_w2


def test_mlp_2layer_defaults_are_seed_0_draws_and_its_gradients_the_posts():
    model = get_model("mlp-2layer").matrix
    rng = np.random.default_rng(0)
    n, d_in, h, d_out = (MLP_SHAPES[k] for k in ("N", "D_in", "H", "D_out"))
    expected = {"x": rng.standard_normal((n, d_in)), "y": rng.standard_normal((n, d_out)),
                "w1": rng.random((d_in, h)), "w2": rng.standard_normal((h, d_out))}
    arrays = model.default_arrays()
    for name, value in expected.items():
        np.testing.assert_array_equal(arrays[name], value, err_msg=name)
    d = derive_matrix(model)
    loss, g1, g2 = seed004_gradients(*(expected[k] for k in ("x", "y", "w1", "w2")))
    assert math.isclose(d.value, loss, rel_tol=1e-12)
    np.testing.assert_allclose(d.gradients["w1"], g1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d.gradients["w2"], g2, rtol=1e-10, atol=1e-12)


def test_mlp_2layer_small_is_the_program_at_other_sizes():
    m = mlp_2layer(N=8, D_in=5, H=4, D_out=3)
    assert {n: m.nodes[n].shape for n in m.inputs} == {"x": (8, 5), "y": (8, 3), "w1": (5, 4),
                                                       "w2": (4, 3)}
    assert (m.params, m.data) == (("w1", "w2"), ("x", "y"))
    arrays = m.default_arrays(3)
    d = derive_matrix(m, seed=3)
    loss, g1, g2 = seed004_gradients(*(arrays[k] for k in ("x", "y", "w1", "w2")))
    assert math.isclose(d.value, loss, rel_tol=1e-12)
    np.testing.assert_allclose(d.gradients["w1"], g1, rtol=1e-10)


# --- the command line, with values of other shapes ---------------------------------------------
def run(*argv, cwd):
    proc = subprocess.run([sys.executable, "-m", "symgrad", *argv], cwd=cwd, text=True,
                          capture_output=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return proc.returncode, proc.stdout, proc.stderr


def strict_json(text):
    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def test_mlp_2layer_takes_arrays_of_the_users_sizes(tmp_path):
    rng = np.random.default_rng(7)
    arrays = {"x": rng.standard_normal((6, 4)), "y": rng.standard_normal((6, 2)),
              "w1": rng.random((4, 5)), "w2": rng.standard_normal((5, 2))}
    for name, value in arrays.items():
        np.save(tmp_path / f"{name}.npy", value)
    at = ",".join(f"{n}=@{n}.npy" for n in arrays)
    code, out, err = run("derive", "mlp-2layer", "--matrix", "--at", at, "--format", "json",
                         cwd=tmp_path)
    assert code == 0, err
    data = strict_json(out)
    loss, g1, g2 = seed004_gradients(*arrays.values())
    assert data["shapes"]["w1"] == [4, 5] and data["shapes"]["x"] == [6, 4]
    assert math.isclose(data["value"], loss, rel_tol=1e-12)
    np.testing.assert_allclose(np.array(data["gradients"]["w2"]), g2, rtol=1e-10)
    np.testing.assert_allclose(np.array(data["gradients"]["w1"]), g1, rtol=1e-10)


def test_mlp_2layer_draws_the_weights_not_given_at_the_sizes_that_fit(tmp_path):
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 2))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    code, out, err = run("derive", "mlp-2layer", "--at", "x=@x.npy,y=@y.npy", "--format", "json",
                         cwd=tmp_path)
    assert code == 0, err
    data = strict_json(out)
    hidden = MLP_SHAPES["H"]
    assert data["shapes"]["w1"] == [4, hidden] and data["shapes"]["w2"] == [hidden, 2]
    draws = np.random.default_rng(0)        # seed 0, in the order x, y, w1, w2
    draws.standard_normal((6, 4))
    draws.standard_normal((6, 2))
    w1, w2 = draws.random((4, hidden)), draws.standard_normal((hidden, 2))
    loss, _, _ = seed004_gradients(x, y, w1, w2)
    assert math.isclose(data["value"], loss, rel_tol=1e-12)


def test_inconsistent_shapes_are_one_line_naming_both(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((8, 5)))
    code, out, err = run("derive", "mlp-2layer", "--at", "x=@x.npy", "--at", "y=[[1,2],[3,4]]",
                         cwd=tmp_path)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "(8, 2)" in err and "(2, 2)" in err and "yhat - y" in err and "line 8" in err
    # line 8 of the program `symgrad list mlp-2layer` shows
    program = get_model("mlp-2layer").matrix_program.splitlines()
    assert program[7] == "r = yhat - y"


def test_an_array_for_a_matrix_input_selects_the_matrix_form(tmp_path):
    W1 = np.array([[0.5, 0.3], [0.2, 0.4], [-0.6, 0.1], [1.0, -1.0]])  # noqa: N806
    W2 = np.array([[1.0, -0.5, 0.8, 2.0]])  # noqa: N806
    x = np.array([[1.0], [2.0]])
    at = f"W1={W1.tolist()},W2={W2.tolist()},x={x.tolist()}"
    code, out, err = run("derive", "relu-2layer", "--at", at, "--format", "json", cwd=tmp_path)
    assert code == 0, err
    data = strict_json(out)
    arrays = {"x": x, "W1": W1, "W2": W2}
    assert math.isclose(data["value"], forward("relu-2layer", arrays), rel_tol=1e-12)
    fd = array_central_difference(lambda a: forward("relu-2layer", a), arrays, "W1")
    np.testing.assert_allclose(np.array(data["gradients"]["W1"]), fd, rtol=1e-6)


def test_a_form_resolves_shapes_by_its_named_sizes():
    form = FORMS["mlp-2layer"]
    assert form.resolve_shapes({}) == {"x": (64, 1000), "y": (64, 10), "w1": (1000, 100),
                                       "w2": (100, 10)}
    assert form.resolve_shapes({"x": (3, 2)}) == {"x": (3, 2), "y": (3, 10), "w1": (2, 100),
                                                  "w2": (100, 10)}
    with pytest.raises(ParseError, match=r"\(3, 10\) and y \(4, 10\)"):
        form({"x": (3, 2), "y": (4, 10)})


# --- symgrad list shows the programs -----------------------------------------------------------
def test_list_json_has_every_matrix_program_and_each_runs_as_the_catalog_form(tmp_path):
    code, out, err = run("list", "--format", "json", cwd=tmp_path)
    assert code == 0, err
    listed = {m["id"]: m for m in strict_json(out)}
    with_form = {m.id for m in models() if m.has_matrix_form}
    assert with_form == set(FORMS)
    for model_id, entry in listed.items():
        if model_id not in with_form:
            assert entry["matrix_program"] is None
            continue
        text = entry["matrix_program"]
        assert "@" in text or "sum(" in text
        # the text a user copies reads into the same gates as the catalog's form
        catalog = get_model(model_id).matrix
        copied = parse_matrix(text, name=model_id)
        assert [(n.name, n.op, n.args, n.shape) for n in copied.nodes.values() if not n.is_input] \
            == [(n.name, n.op, n.args, n.shape) for n in catalog.nodes.values() if not n.is_input]
        assert set(copied.inputs) == set(catalog.inputs)


@pytest.mark.parametrize("model_id", SMALL_FORMS)
def test_a_copied_program_derives_the_catalog_numbers(tmp_path, model_id):
    entry = get_model(model_id)
    (tmp_path / "form.sg").write_text(entry.matrix_program, encoding="utf-8")
    arrays = catalog_arrays(model_id)
    at = ",".join(f"{n}={np.asarray(v).tolist()}" for n, v in arrays.items())
    params = ",".join(entry.matrix.params)
    code, out, err = run("derive", "form.sg", "--at", at, "--wrt", params, "--format", "json",
                         cwd=tmp_path)
    assert code == 0, err
    data = strict_json(out)
    assert math.isclose(data["value"], forward(model_id, arrays), rel_tol=1e-12, abs_tol=1e-15)
    for w in entry.matrix.params:
        fd = array_central_difference(lambda a: forward(model_id, a), arrays, w)
        np.testing.assert_allclose(np.array(data["gradients"][w]), fd, rtol=1e-6, atol=1e-8)


def test_list_id_shows_the_scalar_and_the_matrix_program(tmp_path):
    code, out, err = run("list", "relu-2layer", cwd=tmp_path)
    assert code == 0, err
    entry = get_model("relu-2layer")
    lines = out.splitlines()
    for line in entry.program.strip().splitlines() + entry.matrix_program.strip().splitlines():
        assert f"  {line}" in lines
    assert "--wrt W1,W2" in out
    code, out, err = run("list", "no-such-model", cwd=tmp_path)
    assert code == 2 and "unknown model 'no-such-model'" in err
    code, out, _ = run("list", "MLP-2layer", "--format", "json", cwd=tmp_path)
    assert code == 0 and strict_json(out)["id"] == "mlp-2layer"


# --- the gallery's user programs ----------------------------------------------------------------
def test_gallery_programs_are_rendered_and_their_numbers_are_numpys():
    from symgrad.render.gallery import gallery_programs

    programs = {p.id: p for p in gallery_programs()}
    assert set(programs) == {"linear-layer", "softmax-classifier"}
    for slug in programs:
        folder = ROOT / "output" / slug
        for name in ("README.md", f"{slug}.html", f"{slug}.tex"):
            assert (folder / name).is_file(), name
        assert f"({slug}/README.md)" in (ROOT / "output" / "README.md").read_text("utf-8")
    from symgrad import derive

    p = programs["linear-layer"]
    d = derive(p.problem, at=p.at, wrt=p.wrt)
    W, x, b = (np.asarray(p.at[k]) for k in ("W", "x", "b"))  # noqa: N806
    s = W @ x + b
    assert math.isclose(d.value, float(np.sum(s ** 2)), rel_tol=1e-12)
    np.testing.assert_allclose(d.gradients["W"], 2 * s @ x.T, rtol=1e-12)
    np.testing.assert_allclose(d.gradients["x"], W.T @ (2 * s), rtol=1e-12)
    p = programs["softmax-classifier"]
    d = derive(p.problem, at=p.at, wrt=p.wrt)
    X, Y, W, b = (np.asarray(p.at[k]) for k in ("X", "Y", "W", "b"))  # noqa: N806
    S = X @ W + b  # noqa: N806
    P = np.exp(S) / np.sum(np.exp(S), axis=1, keepdims=True)  # noqa: N806
    assert math.isclose(d.value, float(np.mean(-np.log(np.sum(P * Y, axis=1)))), rel_tol=1e-12)
    np.testing.assert_allclose(d.gradients["W"], X.T @ (P - Y) / len(X), rtol=1e-10)
    np.testing.assert_allclose(d.gradients["b"], np.sum(P - Y, axis=0) / len(X), rtol=1e-10)
