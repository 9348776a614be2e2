"""A second hostile audit of the scalar surface and the commands' plumbing (issue 18, "go beyond
the list"): each test is a case that broke (a traceback, a wrong number, unbounded cost, a
silent surprise) and now gives the right number or one clean line.

The references are independent of the code under test: the csv module and ``float`` by hand,
NumPy written out, exact arithmetic."""

import csv
import io
import warnings

import numpy as np
import pytest

from symgrad.data import load_data
from symgrad.errors import DomainError, InputError


def one_line_error(run_cli, *argv, code=2):
    """Run the CLI; it must fail with exactly one line on stderr and exit ``code``."""
    got, out, err = run_cli(*argv)
    assert got == code, (got, out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err.strip()


def csv_by_hand(text):
    """The columns of a CSV text, read by the csv module and float: the reference reader."""
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if "".join(r).strip()]
    names = [h.strip() for h in rows[0]]
    return {n: np.array([float(r[i].replace("\u2212", "-")) for r in rows[1:]])
            for i, n in enumerate(names)}


# --- CSV data -------------------------------------------------------------------------------
def test_a_million_row_csv_takes_the_fast_reader(tmp_path, monkeypatch):
    """It took 11 s (a message string built for every cell, then a Python loop per cell): a
    plain file is now read by np.loadtxt, and the careful per-cell reader, which only writes the
    messages, is not reached (it is made to fail here; the time itself is the benchmark's)."""
    rng = np.random.default_rng(3)
    table = rng.normal(size=(1_000_000, 2))
    path = tmp_path / "big.csv"
    path.write_text("x,y\n" + "\n".join(f"{a!r},{b!r}" for a, b in table.tolist()) + "\n")

    def careful_reader(*args, **kwargs):
        raise AssertionError("the per-cell reader ran on a plain file")

    monkeypatch.setattr(csv, "reader", careful_reader)      # the module symgrad.data reads
    columns = load_data(path)
    monkeypatch.undo()
    np.testing.assert_array_equal(columns["x"], table[:, 0])        # repr round-trips exactly
    np.testing.assert_array_equal(columns["y"], table[:, 1])


@pytest.mark.parametrize("text", [
    "x,y\n1,2\n3,4\n",
    "\ufeffx,y\r\n1,2\r\n3,4\r\n",                     # BOM, CRLF
    "x,y\n\n1,2\n   \n3,4\n\n",                        # blank lines
    '"x","y"\n"1","2"\n',                              # quoted header and cells
    "x, y\n 1 , 2 \n",                                 # spaces
    "x,y\n\u22121,2\n",                                # U+2212 minus
    "x,y\n1e-400,.5\n",                                # underflow to 0, a bare decimal point
    "\n\nx,y\n1,2\n",                                  # the header after blank lines
])
def test_csv_fast_and_careful_readers_agree(tmp_path, text):
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode())
    got = load_data(path)
    want = csv_by_hand(text)
    assert list(got) == list(want)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])


@pytest.mark.parametrize("text, words", [
    ("x,y\n1,2\n3,inf\n", "line 3, column 'y': 'inf' is not a finite number"),
    ("x,y\n1,2\n3,1e999\n", "line 3, column 'y': '1e999' is not a finite number"),
    ("x,y\n1,2\n3,nan\n", "line 3, column 'y': 'nan' is not a finite number"),
    ("x,y\n1,2\n3,abc\n", "line 3, column 'y': 'abc' is not a number"),
    ("x,y\n1,2\n3,\n", "line 3, column 'y': '' is not a number"),
    ("x,y\n1,2\n3\n", "line 3 has 1 value, but the header names 2 columns"),
    ("x,y\n", "no data rows after the header"),
])
def test_csv_errors_still_name_the_line(tmp_path, text, words):
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_data(path)
    assert words in str(caught.value)


def test_complex_npz_data_is_refused_not_truncated(tmp_path):
    """It was cast to its real part with only a NumPy ComplexWarning on stderr."""
    path = tmp_path / "d.npz"
    np.savez(path, x=np.array([1 + 2j, 3j]), y=np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match="'x' holds complex numbers"):
            load_data(path)


def test_text_npz_data_is_refused_not_parsed(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.array(["1", "2"]), y=np.ones(2))
    with pytest.raises(InputError, match="'x' is not an array of numbers"):
        load_data(path)


def test_complex_npz_through_the_cli_is_one_line(run_cli, tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.array([1j, 2j]), y=np.ones(2))
    err = one_line_error(run_cli, "train", "(w*x - y)**2", "--data", str(path), "--at", "w=0",
                         "--params", "w", "--steps", "2")
    assert "complex" in err


# --- compiled code must not cancel a node value that IEEE arithmetic keeps --------------------
def _log_exp_by_hand(x):
    """log(exp(x)) and its gradient, gate by gate as PyTorch's autograd runs it."""
    with np.errstate(all="ignore"):
        n1 = np.exp(x)
        value = np.log(n1)
        grad_n1 = 1.0 / n1
        return value, grad_n1 * n1


def _exp_times_exp_by_hand(x):
    """exp(x)*exp(-x): the product gate sends n2 to n1 and n1 to n2; both reach x."""
    with np.errstate(all="ignore"):
        n1, n2 = np.exp(x), np.exp(-x)
        value = n1 * n2
        return value, n2 * n1 + n1 * (-n2)


@pytest.mark.parametrize("expression, by_hand", [
    ("log(exp(x))", _log_exp_by_hand),
    ("exp(x)*exp(-x)", _exp_times_exp_by_hand),
])
@pytest.mark.parametrize("x", [800.0, -800.0, 1.0, 0.0, 709.0])
def test_compiled_gradient_is_not_simplified_past_an_overflow(expression, by_hand, x):
    """SymPy cancels n1*(1/n1) to 1 and n1*n2 - n1*n2 to 0: compiled code gave gradient 1 and 0
    at x = 800, where the sweep (derive) and PyTorch give nan."""
    import symgrad

    want_value, want_grad = by_hand(np.float64(x))
    with np.errstate(all="ignore"):
        value, grads = symgrad.compile(expression)(x=x)
    np.testing.assert_array_equal(value, want_value)
    np.testing.assert_allclose(grads["x"], want_grad, rtol=1e-12, atol=0)
    try:
        d = symgrad.derive(expression, at={"x": x})
    except DomainError:             # the documented refusal: log(0) at x = -800
        assert not np.isfinite(want_value)
    else:
        np.testing.assert_allclose(d.gradients["x"], want_grad, rtol=1e-12, atol=0)


# --- claims files -----------------------------------------------------------------------------
CIRCUIT = ('title = "t"\nexpression = "(x + y) * z"\n[at]\nx = -2\ny = 5\nz = -4\n'
           '[[claim]]\nvalue = "f"\nequals = -12\n[[claim]]\ngradient = "x"\nequals = -4\n')


def test_a_claims_file_with_a_byte_order_mark_is_read(run_cli, tmp_path):
    """tomllib refused it as "Invalid statement (at line 1, column 1)"; the value is checked
    against (x + y)·z = (−2 + 5)·(−4) = −12 and ∂f/∂x = z = −4."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + CIRCUIT.replace("\n", "\r\n").encode())
    code, out, err = run_cli("check", str(path))
    assert (code, err) == (0, ""), err
    assert "all claims hold" in out and "line 7" in out


def test_a_claims_program_naming_a_folder_says_folder(run_cli, tmp_path):
    (tmp_path / "models").mkdir()
    path = tmp_path / "c.toml"
    path.write_text('program = "models"\n[at]\nx = 1\n[[claim]]\nvalue = "f"\nequals = 1\n')
    err = one_line_error(run_cli, "check", str(path))
    assert "names a folder" in err and "names a file" not in err


@pytest.mark.parametrize("lr", ["0", "-0.1", "-1e300"])
def test_after_steps_lr_must_be_positive_as_for_train(run_cli, tmp_path, lr):
    """A rate ≤ 0 was run (a step up the gradient) and reported as a failing claim, exit 1;
    train --lr refuses it."""
    path = tmp_path / "c.toml"
    path.write_text(CIRCUIT + f'[[claim]]\nafter_steps = 1\nlr = {lr}\nparams = ["x"]\n'
                              f'value = "x"\nequals = -2\n')
    err = one_line_error(run_cli, "check", str(path))
    assert "'lr' must be a positive number" in err and "line 15 (claim 3)" in err


@pytest.mark.parametrize("argument, words", [
    (3, "not int"),
    (None, "not NoneType"),
    ([], "at least one claims file"),
])
def test_check_api_with_a_wrong_argument_is_a_symgrad_error(argument, words):
    import symgrad

    with pytest.raises(symgrad.SymgradError, match=words):
        symgrad.check(argument)


# --- train: bounded work ----------------------------------------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["--steps", "99999999999999999999"], "--steps 99,999,999,999,999,999,999; at most"),
    (["--steps", "1000001"], "--steps 1,000,001; at most 1,000,000 steps"),
    (["--epochs", "1000001"], "--epochs 1,000,001 × 1 batch per epoch is 1,000,001 steps"),
])
def test_train_refuses_a_run_without_end_at_once(run_cli, argv, words):
    """--steps 99999999999999999999 ran without end, every step's loss kept in memory (were
    it run, this test would not end either)."""
    err = one_line_error(run_cli, "train", "x*y", "--at", "x=1,y=2", "--params", "x", *argv)
    assert words in err


def test_train_epochs_times_batches_is_bounded(run_cli, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("y\n" + "1\n" * 100)                 # 100 samples, batches of 1
    err = one_line_error(run_cli, "train", "x*y", "--data", str(path), "--at", "x=1",
                         "--params", "x", "--epochs", "10001", "--batch-size", "1")
    assert "--epochs 10,001 × 100 batches per epoch is 1,000,100 steps" in err


# --- output paths -----------------------------------------------------------------------------
def test_render_into_a_file_says_it_is_a_file(run_cli, tmp_path):
    """It said "cannot write notes.txt/x-y.md: File exists"."""
    (tmp_path / "notes.txt").write_text("mine")
    err = one_line_error(run_cli, "render", "x*y", "--at", "x=1,y=2", "-o",
                         str(tmp_path / "notes.txt" / "sub"))
    assert "notes.txt is a file, not a folder" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_render_into_a_path_with_dotdot_through_a_missing_folder(run_cli, tmp_path):
    """'-o out/../out2' made the folder out2, then failed: os.replace resolved 'out/..' and
    'out' did not exist."""
    target = tmp_path / "out" / ".." / "out2"
    code, out, err = run_cli("render", "x*y", "--at", "x=1,y=2", "-o", str(target))
    assert (code, err) == (0, "")
    assert (tmp_path / "out2" / "x-y.md").read_text().startswith("#")


def test_an_output_folder_with_a_control_character_is_escaped_on_stdout(run_cli, tmp_path):
    folder = str(tmp_path / "o\x1b[2J")
    code, out, err = run_cli("render", "x*y", "--at", "x=1,y=2", "-o", folder)
    assert code == 0 and "\x1b" not in out and "\\x1b[2J" in out


@pytest.mark.parametrize("expression", ["x / (relu(-1) * y)", "x / (min(3, 0) * y)",
                                        "x / (leaky_relu(0) * y)"])
def test_compiled_division_by_a_constant_zero_gate_is_ieee(expression):
    """The constant gate was a Python float, so the backward line 1.0/n1 raised
    ZeroDivisionError. By hand, gate by gate as autograd: n = 0·y = 0, f = x/n = inf,
    ∂f/∂x = 1/n = inf, ∂f/∂y = (−x/n²)·0 = nan."""
    import symgrad

    with np.errstate(all="ignore"):
        value, grads = symgrad.compile(expression)(x=1.0, y=2.0)
        zero = np.float64(0.0) * 2.0
        want = (1.0 / zero, 1.0 / zero, (-1.0 / zero**2) * np.float64(0.0))
    np.testing.assert_array_equal([value, grads["x"], grads["y"]], want)
    with pytest.raises(DomainError):             # derive refuses the pole, as documented
        symgrad.derive(expression, at={"x": 1, "y": 2})


@pytest.mark.parametrize("expression, by_hand", [
    ("y/silu(3)", lambda y, s: y / s),
    ("exp(y)/silu(3)", lambda y, s: np.exp(y) / s),
    ("y**silu(3)", lambda y, s: y ** s),
    ("max(3.5, 0.5 - y) - exp(y)/silu(3)", lambda y, s: max(3.5, 0.5 - y) - np.exp(y) / s),
])
def test_a_constant_silu_inside_a_quotient_is_parenthesised(expression, by_hand):
    """silu(3) printed as 3.0*_sigmoid(3.0) inside y/…: the compiled value was (y/3)·σ(3),
    2.976 instead of 2.923 for the last expression (found by a derive-against-compile fuzz)."""
    import symgrad

    silu3 = 3.0 / (1.0 + np.exp(-3.0))                        # 3·σ(3), by hand
    for y in (0.5, 2.0):
        value, _ = symgrad.compile(expression)(y=y)
        np.testing.assert_allclose(value, by_hand(y, silu3), rtol=1e-12)
        np.testing.assert_allclose(symgrad.derive(expression, at={"y": y}).value,
                                   by_hand(y, silu3), rtol=1e-12)


@pytest.mark.parametrize("expression, point", [
    ("sqrt(x - y)", {"x": -1e308, "y": 1e308}),
    ("sqrt(x*y)", {"x": -1e308, "y": 1e308}),
    ("sqrt(max(y, x) - (y + y))", {"x": -1.0, "y": 1e308}),
])
def test_sqrt_of_an_overflowed_negative_is_nan_in_derive_as_in_compiled_code(expression, point):
    """The argument overflows to −inf; sqrt(−inf) is nan (IEEE, NumPy, PyTorch), gradient
    1/(2·nan)·… = nan. The sweep computed pow(−inf, 0.5) = +inf with gradients 0 (found by
    the derive-against-compile fuzz)."""
    import symgrad

    with np.errstate(invalid="ignore"):
        assert np.isnan(np.sqrt(np.float64(-np.inf)))          # the reference, by hand
    d = symgrad.derive(expression, at=point)
    with np.errstate(all="ignore"):
        value, grads = symgrad.compile(expression)(**point)
    assert np.isnan(d.value) and np.isnan(value)
    for name in point:
        assert np.isnan(d.gradients[name]) and np.isnan(grads[name])


# --- empty option values, digits of other scripts ------------------------------------------------
@pytest.mark.parametrize("argv, option", [
    (["render", "x", "--at", "x=1", "-o", ""], "--out is empty: give it a value (--out DIR)"),
    (["train", "(w-1)**2", "--at", "w=0", "--params", "w", "--plot", ""], "--plot is empty"),
    (["train", "(w-1)**2", "--at", "w=0", "--params", "w", "--save-params", " "],
     "--save-params is empty"),
    (["render", "x", "--at", "x=1", "--templates", ""], "--templates is empty"),
    (["derive", "x", "--at", ""], "--at is empty"),
    (["derive", "x", "--at", "x=1", "--at", ""], "--at is empty"),
    (["check", "--gradcheck", ""], "--gradcheck is empty"),
    (["derive", "x", "--at", "x=1", "--data", ""], "--data is empty"),
])
def test_an_empty_option_value_is_refused_not_ignored(run_cli, tmp_path, monkeypatch, argv,
                                                      option):
    """--plot '' and --save-params '' were silently ignored, -o '' wrote into the current
    folder."""
    monkeypatch.chdir(tmp_path)
    assert option in one_line_error(run_cli, *argv)
    assert list(tmp_path.iterdir()) == []                      # nothing was written


def test_digits_of_other_scripts_are_not_numbers(run_cli, tmp_path):
    """float('١') is 1.0: --at x=١ derived at x = 1, and a CSV cell '١' read as 1."""
    assert "'١' of 'x' is not a number" in one_line_error(run_cli, "derive", "x*2", "--at",
                                                          "x=١")
    path = tmp_path / "d.csv"
    path.write_text("x,y\n١,2\n3,4\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2, column 'x': '١' is not a number"):
        load_data(path)
    code, out, _ = run_cli("derive", "x*2", "--at", "x=−1")     # U+2212 still reads as '-'
    assert code == 0 and "at x = -1" in out
