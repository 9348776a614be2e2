"""``derive --data FILE.npz`` and ``render --data FILE.npz``: a program's arrays from one NumPy
archive (seed 004's data beside its weights), the same derivation as the values given with --at;
arrays the program does not read are ignored, a name given twice or a CSV is one line."""

import json

import numpy as np
import pytest

W = np.array([[0.1, 0.5, -0.2], [-0.3, 0.8, 0.4]])
X = np.array([0.2, 0.4, -0.1])
AT = "W=[[0.1,0.5,-0.2],[-0.3,0.8,0.4]],x=[0.2,0.4,-0.1]"
PROGRAM = "examples/vectorized.sg"


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "values.npz"
    np.savez(path, W=W, x=X, unused=np.ones(7))
    return path


def test_derive_with_data_is_derive_with_the_same_values_at(run_cli, archive):
    code, from_data, err = run_cli("derive", PROGRAM, "--data", str(archive), "--format", "json")
    assert code == 0 and err == ""
    _, from_at, _ = run_cli("derive", PROGRAM, "--at", AT, "--format", "json")
    assert from_data == from_at
    # and the numbers are the program's: f = Σ (W x)², ∂f/∂W = 2 (W x) xᵀ, by hand
    q = W @ X
    result = json.loads(from_data)
    assert np.isclose(result["value"], np.sum(q ** 2), rtol=1e-12)
    assert np.allclose(result["gradients"]["W"], 2 * np.outer(q, X), rtol=1e-12)
    assert np.allclose(result["gradients"]["x"], 2 * W.T @ q, rtol=1e-12)


def test_data_and_at_combine(run_cli, tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(path, W=W)
    code, out, _ = run_cli("derive", PROGRAM, "--data", str(path), "--at", "x=[0.2,0.4,-0.1]",
                           "--format", "json")
    assert code == 0
    assert np.isclose(json.loads(out)["value"], np.sum((W @ X) ** 2), rtol=1e-12)


def test_render_with_data_is_render_with_the_values_at(run_cli, archive, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("render", PROGRAM, "--data", str(archive), "-o", str(a))[0] == 0
    assert run_cli("render", PROGRAM, "--at", AT, "-o", str(b))[0] == 0
    text_a = (a / "vectorized.md").read_text(encoding="utf-8")
    assert text_a == (b / "vectorized.md").read_text(encoding="utf-8")
    assert "0.106" in text_a                      # f at these values: Σ (W x)² = 0.106


def test_scalar_programs_take_zero_dimensional_arrays(run_cli, tmp_path):
    path = tmp_path / "point.npz"
    np.savez(path, x=np.float64(-2.0), y=np.float64(5.0))
    code, out, _ = run_cli("derive", "(x+y)*z", "--data", str(path), "--at", "z=-4",
                           "--format", "json")
    assert code == 0
    assert json.loads(out)["gradients"] == {"z": 3.0}       # x, y came from the data
    code, out, _ = run_cli("derive", "(x+y)*z", "--data", str(path), "--at", "z=-4",
                           "--wrt", "x,y,z", "--format", "json")
    grads = json.loads(out)["gradients"]
    assert (grads["x"], grads["y"], grads["z"]) == (-4.0, -4.0, 3.0)


@pytest.mark.parametrize("case, expected", [
    ("twice", "'x' is given by --at and by --data"),
    ("csv", "derive and render read an .npz of arrays"),
    ("missing", "no such data file"),
])
def test_refusals_are_one_line(run_cli, archive, case, expected):
    args = {"twice": ["--data", str(archive), "--at", "x=[1,2,3]"],
            "csv": ["--data", "examples/linear.csv"],
            "missing": ["--data", str(archive.parent / "nowhere.npz")]}[case]
    code, out, err = run_cli("derive", PROGRAM, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and expected in err


def test_an_archive_with_none_of_the_inputs_is_refused(run_cli, tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.ones(2))
    code, _, err = run_cli("derive", "f = x*y", "--data", str(path), "--at", "x=1,y=2")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "none of its arrays (a) is an input" in err and "inputs: x, y" in err


def test_the_gradients_are_those_of_the_inputs_not_in_the_data(run_cli, tmp_path):
    """Seed 004's net with x, y from the archive and the weights --at: the gradients reported
    are ∂loss/∂w1 and ∂loss/∂w2 (as train updates them), checked against the seed's own
    hand-written backward pass."""
    folder = "examples/matrix/"
    at = f"w1=@{folder}seed004_w1.npy,w2=@{folder}seed004_w2.npy"
    code, out, err = run_cli("derive", folder + "seed004_net.sg", "--data",
                             folder + "seed004_data.npz", "--at", at, "--format", "json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert sorted(result["gradients"]) == ["w1", "w2"]
    data = np.load(folder + "seed004_data.npz")
    x, y = data["x"], data["y"]
    w1, w2 = np.load(folder + "seed004_w1.npy"), np.load(folder + "seed004_w2.npy")
    h = 1 / (1 + np.exp(-x.dot(w1)))                 # the seed's loop, line for line
    y_pred = h.dot(w2)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h * h * (1 - h))
    assert np.isclose(result["value"], np.square(y_pred - y).sum(), rtol=1e-12)
    for name, expected in (("w1", grad_w1), ("w2", grad_w2)):
        got = result["gradients"][name]
        if isinstance(got, dict):                     # a large array: its shape and norm
            assert got["shape"] == list(expected.shape)
            assert np.isclose(got["norm"], np.linalg.norm(expected), rtol=1e-10)
        else:
            assert np.allclose(got, expected, rtol=1e-10)
    # --wrt still chooses
    code, out, _ = run_cli("derive", folder + "seed004_net.sg", "--data",
                           folder + "seed004_data.npz", "--at", at, "--wrt", "x",
                           "--format", "json")
    assert code == 0 and sorted(json.loads(out)["gradients"]) == ["x"]


def test_a_catalog_models_data_inputs_are_not_parameters(run_cli, tmp_path):
    """sigmoid-neuron with x0 from the archive: the gradients are the model's parameters
    w0, w1, w2 (x1 is data too, though the archive does not hold it), and the document is the
    one of --at x0=-1 (its update step moved x1 as well: a wrong number in the post)."""
    path = tmp_path / "x0.npz"
    np.savez(path, x0=np.float64(-1.0))
    code, out, _ = run_cli("derive", "sigmoid-neuron", "--data", str(path), "--format", "json")
    assert code == 0 and sorted(json.loads(out)["gradients"]) == ["w0", "w1", "w2"]
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("render", "sigmoid-neuron", "--data", str(path), "-o", str(a))[0] == 0
    assert run_cli("render", "sigmoid-neuron", "--at", "x0=-1", "-o", str(b))[0] == 0
    assert (a / "sigmoid-neuron.md").read_text(encoding="utf-8") == \
        (b / "sigmoid-neuron.md").read_text(encoding="utf-8")


def test_an_empty_archive_and_a_long_list_of_names_are_one_short_line(run_cli, tmp_path):
    empty = tmp_path / "empty.npz"
    np.savez(empty)
    code, _, err = run_cli("derive", "circuit-xyz", "--data", str(empty))
    assert code == 2 and "the archive holds no arrays" in err
    many = tmp_path / "many.npz"
    np.savez(many, **{f"a{i}": np.ones(1) for i in range(3000)})
    code, _, err = run_cli("derive", "x*y", "--data", str(many), "--at", "x=1,y=2")
    assert code == 2 and len(err.splitlines()) == 1 and len(err) < 400
    assert "(3,000 in all)" in err


@pytest.mark.parametrize("option", [["--data", "d.npz"], ["--at", "x=1"], ["--wrt", "x"],
                                    ["--output", "f"], ["--lr", "0.1"]])
def test_render_all_refuses_the_options_of_one_target(run_cli, tmp_path, option):
    """render --all wrote the whole gallery and ignored them."""
    code, out, err = run_cli("render", "--all", *option, "-o", str(tmp_path / "g"))
    assert code == 2 and out == "" and f"{option[0]} goes with one TARGET, not --all" in err
    assert not (tmp_path / "g").exists()
