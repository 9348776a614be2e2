"""A second hostile audit of the matrix surface (issue 18 after issue 13): each case that broke,
as a regression test. Every refusal is one line on stderr with exit 2; every number is checked
against NumPy written by hand or central finite differences, never against symgrad itself."""

import json
import struct

import numpy as np
import pytest


def one_line_refusal(run_cli, *argv):
    code, out, err = run_cli(*argv)
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _npy_declaring(path, shape):
    """An .npy file of a 2×2 float array whose header claims ``shape`` (a hostile file)."""
    np.save(path, np.array([[1.0, 2.0], [3.0, 4.0]]))
    raw = path.read_bytes()
    length = struct.unpack("<H", raw[8:10])[0]
    header = raw[10:10 + length].decode("latin1").replace("(2, 2)", repr(shape))
    header = header.rstrip().ljust(length - 1) + "\n"
    assert len(header) == length
    path.write_bytes(raw[:10] + header.encode("latin1") + raw[10 + length:])


# --- .npy files: the header is checked before np.load allocates what it declares ---------------
@pytest.mark.parametrize("shape, says", [
    ((10_000_000, 10_000_000), "100,000,000,000,000 entries"),   # 728 TiB: a MemoryError before
    ((4_000_000, 100), "400,000,000 entries"),
    ((3, 3), "cut short"),
])
def test_an_npy_header_declaring_more_than_the_file_holds_is_one_line(tmp_path, run_cli,
                                                                      monkeypatch, shape, says):
    monkeypatch.chdir(tmp_path)
    _npy_declaring(tmp_path / "w.npy", shape)
    line = one_line_refusal(run_cli, "derive", "f = sum((W @ x)**2)",
                            "--at", "W=@w.npy,x=[1,2]")
    assert says in line and "w.npy" in line


def test_an_honest_npy_file_still_loads_with_every_layout(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    x = np.array([1.5, -2.0])
    np.save("be.npy", W.astype(">f8"))                  # big-endian
    np.save("f.npy", np.asfortranarray(W))              # Fortran order
    np.save("x.npy", x)
    for name in ("be.npy", "f.npy"):
        code, out, err = run_cli("derive", "f = sum((W @ x)**2)", "--at",
                                 f"W=@{name},x=@x.npy", "--format", "json")
        assert code == 0, err

        grads = json.loads(out)["gradients"]
        q = W @ x
        np.testing.assert_allclose(np.array(grads["W"]), 2 * np.outer(q, x), rtol=1e-12)
        np.testing.assert_allclose(np.array(grads["x"]), 2 * W.T @ q, rtol=1e-12)


# --- domain errors: refused in one line naming the gate and the entry, as for scalars -----------
@pytest.mark.parametrize("program, at, says", [
    ("f = sum(log(x))", "x=[0,1]", "gate 'n1' = log(x): divide by zero in log at entry [0]"),
    ("f = sum(log(x))", "x=[2,-1]", "gate 'n1' = log(x): invalid value in log at entry [1]"),
    ("f = sum(sqrt(x))", "x=[[1,2],[-1,3]]", "sqrt at entry [1, 0]"),
    ("f = sum(x/y)", "x=[1,1],y=[1,0]", "gate 'n1' = x ⊘ y: divide by zero"),
    ("f = sum(x ** -1)", "x=[0,1]", "at entry [0]"),
    ("f = sum(sqrt(x))", "x=[1,0]", "the gradient ∂f/∂x: divide by zero in divide at entry [1]"),
    ("f = log(sum(x))", "x=[1,-1]", "gate 'f' = log(n1)"),
])
def test_a_point_outside_a_domain_is_one_line_naming_the_gate(run_cli, program, at, says):
    line = one_line_refusal(run_cli, "derive", program, "--at", at)
    assert says in line, line


def test_overflow_is_inf_silently_and_ieee_after_it(run_cli):
    code, out, err = run_cli("derive", "f = sum((W @ x)**2)", "--at",
                             "W=[[1e200,1e200],[1e200,1e200]],x=[1e200,1e200]")
    assert code == 0 and err == "" and "value inf" in out
    code, out, err = run_cli("derive", "f = sum(tanh(exp(x)))", "--at", "x=[1000,1]",
                             "--format", "json")
    assert code == 0 and err == ""
    grad = json.loads(out)["gradients"]["x"]
    assert grad[0] == "nan"                      # 0 × ∞, as PyTorch
    assert grad[1] == pytest.approx((1 - np.tanh(np.e) ** 2) * np.e, rel=1e-12)


# --- a keyword given twice: ast.parse accepts it, the last one used to win silently ------------
@pytest.mark.parametrize("program, at", [
    ("f = sum(sum(A, axis=0, axis=1))", "A=[[1,2],[3,4]]"),
    ("f = sum(leaky_relu(x, alpha=0.1, alpha=0.2))", "x=[1,2]"),
    ("f = leaky_relu(x, alpha=0.1, alpha=0.2)", "x=1"),               # the scalar language too
])
def test_a_keyword_given_twice_is_refused(run_cli, program, at):
    line = one_line_refusal(run_cli, "derive", program, "--at", at)
    assert "twice" in line and "line 1" in line


def test_a_claims_file_at_a_point_outside_a_domain_is_one_line(tmp_path, run_cli):
    claims = tmp_path / "c.toml"
    claims.write_text('program = "f = sum(log(x))"\n[at]\nx = [0, 1]\n'
                      '[[claim]]\ngradient = "x"\nequals = [1, 2]\n')
    line = one_line_refusal(run_cli, "check", str(claims))
    assert "line 4 (claim 1)" in line and "gate 'n1' = log(x)" in line and "[0]" in line


# --- train --data .npz: arrays that are not real numbers, and names in the wrong case -----------
def _train_files(tmp_path, **data):
    rng = np.random.default_rng(0)
    (tmp_path / "net.sg").write_text("h = sigmoid(x @ w1)\nloss = sum((h @ w2 - y)**2)\n")
    np.save(tmp_path / "w1.npy", rng.normal(size=(3, 4)))
    np.save(tmp_path / "w2.npy", rng.normal(size=(4, 2)))
    np.savez(tmp_path / "d.npz", **data)
    return ["train", str(tmp_path / "net.sg"), "--data", str(tmp_path / "d.npz"), "--at",
            f"w1=@{tmp_path / 'w1.npy'},w2=@{tmp_path / 'w2.npy'}", "--params", "w1,w2",
            "--lr", "1e-3", "--steps", "3"]


@pytest.mark.parametrize("dtype, shown", [
    (complex, "'x' holds complex numbers; data must be real numbers"),
    (str, "'x' is not an array of numbers (its dtype is <U32)"),
])
def test_an_npz_array_of_complex_or_text_is_refused_not_converted(tmp_path, run_cli, dtype,
                                                                  shown):
    x = np.random.default_rng(1).normal(size=(5, 3))
    x = x + 1j if dtype is complex else x.astype(str)
    argv = _train_files(tmp_path, x=x,
                        y=np.zeros((5, 2)))
    assert shown in one_line_refusal(run_cli, *argv)


def test_data_names_in_the_wrong_case_get_a_hint(tmp_path, run_cli):
    argv = _train_files(tmp_path, X=np.ones((5, 3)), Y=np.zeros((5, 2)))
    line = one_line_refusal(run_cli, *argv)
    assert "shape of 'x' is not known ('X' is given, but names are case-sensitive)" in line


# --- what a refused expression is, in words; arrays have at most 4 axes everywhere ------------
@pytest.mark.parametrize("program, says", [
    ("f = sum(A[:, 0])", "indexing and slicing (A[0], A[:, 1]) are not allowed"),
    ("f = sum([A, A])", "list literals are not allowed: give arrays with --at"),
    ("f = sum(A if A else A)", "conditional expressions (a if c else b) are not allowed"),
    ("f = sum({1: A})", "dict literals are not allowed"),
    ("f = sum(A and A)", "and/or are not allowed"),
    ("f = mean(A, axis=0, keepdims=True)", "mean() takes one array and an optional axis="),
])
def test_refused_expressions_are_named_in_words(run_cli, program, says):
    line = one_line_refusal(run_cli, "derive", program, "--at", "A=[[1,2],[3,4]]")
    assert says in line and "line 1, column" in line
    assert "Subscript" not in line and "IfExp" not in line


def test_arrays_have_at_most_four_axes_in_at_as_in_declarations(tmp_path, run_cli,
                                                                monkeypatch):
    code, out, _ = run_cli("derive", "f = sum(x)", "--at", "x=[[[[1.5]]]]", "--format", "json")
    assert code == 0 and json.loads(out)["value"] == 1.5
    line = one_line_refusal(run_cli, "derive", "f = sum(x)", "--at", "x=[[[[[1]]]]]")
    assert "nested more than 4 deep" in line
    line = one_line_refusal(run_cli, "derive", "f = sum(x)", "--at",
                            "x=" + "[" * 10_000 + "1" + "]" * 10_000)
    assert "nested more than 4 deep" in line and len(line) < 400
    monkeypatch.chdir(tmp_path)
    np.save("d5.npy", np.ones((1, 1, 1, 1, 2)))
    line = one_line_refusal(run_cli, "derive", "f = sum(x)", "--at", "x=@d5.npy")
    assert "5 dimensions" in line


def test_a_domain_error_at_random_values_says_they_were_random(run_cli):
    line = one_line_refusal(run_cli, "derive", "W: [3, 3]\nf = sum(log(W))")
    assert "gate 'n1' = log(W)" in line and "drawn at random" in line and "W" in line


def test_an_npy_of_a_version_numpy_does_not_write_says_so(run_cli, tmp_path):
    """It fell through to the 2.0 reader and said "Cannot parse header: ''"."""
    path = tmp_path / "v.npy"
    np.save(path, np.ones(3))
    data = bytearray(path.read_bytes())
    data[6] = 9                                   # the major version byte of the magic string
    path.write_bytes(bytes(data))
    line = one_line_refusal(run_cli, "derive", "f = sum(x)", "--at", f"x=@{path}")
    assert "unsupported .npy version 9.0" in line
