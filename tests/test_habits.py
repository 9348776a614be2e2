"""What a newcomer types by habit (issue 17) and hostile files (issue 18), at the command line.

Each case is one command: it works, or it fails with one line naming the fix (exit 2).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy

from symgrad.errors import InputError
from symgrad.io import parse_number, read_bounded
from symgrad.target import resolve

ROOT = Path(__file__).resolve().parent.parent
LINEAR_CSV = str(ROOT / "examples" / "linear.csv")


def one_line_error(run_cli, *argv, code=2):
    got, out, err = run_cli(*argv)
    assert got == code and out == "", (got, out, err)
    assert err.count("\n") == 1 and err.startswith("symgrad: error: "), err
    assert "symgrad: error: symgrad" not in err           # one prefix, not two
    return err


def derive_json(run_cli, *argv):
    import json

    code, out, err = run_cli("derive", *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


# --- numbers and repeated options -------------------------------------------------------------
def test_unicode_minus_is_a_minus(run_cli):
    data = derive_json(run_cli, "(x+y)*z", "--at", "x=\u22122,y=5,z=\u22124")
    assert data["at"] == {"x": -2.0, "y": 5.0, "z": -4.0}
    assert data["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}      # z, z, x + y by hand
    assert parse_number("1e\u22123") == 1e-3 and parse_number("\u22120.5") == -0.5
    with pytest.raises(ValueError):
        parse_number("\u2013 2")                                     # an en dash is not a minus


def test_repeated_at_merges_and_a_name_twice_is_refused(run_cli):
    data = derive_json(run_cli, "(x+y)*z", "--at", "x=-2", "--at", "y=5", "--at", "z=-4")
    assert data["at"] == {"x": -2.0, "y": 5.0, "z": -4.0}
    err = one_line_error(run_cli, "derive", "(x+y)*z", "--at", "x=1,y=2", "--at", "x=3,z=1")
    assert "--at gives 'x' twice" in err


def test_repeated_wrt_and_params_merge(run_cli):
    data = derive_json(run_cli, "x*y*z", "--at", "x=2,y=3,z=5", "--wrt", "x", "--wrt", "z")
    assert data["gradients"] == {"x": 15.0, "z": 6.0}
    code, out, err = run_cli("train", "(w*x + b - y)**2", "--at", "x=1,y=3,w=0,b=0",
                             "--params", "w", "--params", "b", "--lr", "0.1", "--steps", "1",
                             "--format", "json")
    import json

    params = json.loads(out)["params"]
    # one SGD step from w = b = 0: the gradient of (w + b − 3)² is −6 for both
    assert code == 0 and params == pytest.approx({"w": 0.6, "b": 0.6})


def test_a_single_valued_option_given_twice_is_refused(run_cli):
    err = one_line_error(run_cli, "train", "linear-mse", "--lr", "0.1", "--lr", "1")
    assert "--lr is given twice" in err and "symgrad train --help" in err


def test_space_separated_at_items_get_the_comma_hint(run_cli):
    err = one_line_error(run_cli, "derive", "(x+y)*z", "--at", "x=1", "y=2", "z=3")
    assert "unrecognized arguments: y=2 z=3" in err and "separate the --at items with commas" in err
    assert "symgrad derive --help" in err


# --- a target that starts with '-' --------------------------------------------------------------
@pytest.mark.parametrize("argv, expr", [
    (["derive", "-x", "--at", "x=1"], "-x"),
    (["derive", "--at", "x=3,y=2", "-x*y"], "-x*y"),
    (["derive", "-(x+y)*x", "--at", "x=3,y=2"], "-(x+y)*x"),
    (["derive", "--at", "x=3,y=2", "--", "-x*y"], "-x*y"),
])
def test_a_target_starting_with_minus(run_cli, argv, expr):
    import json

    code, out, err = run_cli(argv[0], "--format", "json", *argv[1:])   # before any '--'
    assert code == 0, err
    data = json.loads(out)
    symbols = {n: sympy.Symbol(n) for n in data["at"]}
    reference = sympy.sympify(expr, locals=symbols)               # test-side reference only
    for name, value in data["gradients"].items():
        want = float(sympy.diff(reference, symbols[name]).subs(data["at"]))
        assert value == pytest.approx(want)


def test_gradcheck_of_a_target_starting_with_minus(run_cli):
    code, out, err = run_cli("check", "--gradcheck", "-x*x", "--at", "x=1.5")
    assert code == 0 and "PASS" in out, err


def test_a_stray_dash_option_is_still_an_option_error(run_cli):
    err = one_line_error(run_cli, "derive", "x", "--at", "x=1", "--frobnicate")
    assert "unrecognized arguments: --frobnicate" in err


def test_argparse_errors_have_one_prefix(run_cli):
    err = one_line_error(run_cli, "derive", "(x+y)*z", "--at")
    assert err.startswith("symgrad: error: argument --at: expected one argument")
    assert "(see 'symgrad derive --help')" in err


# --- catalog ids, folders, --matrix ----------------------------------------------------------
@pytest.mark.parametrize("typed", ["Linear-MSE", "LINEAR-MSE", "linear-mse"])
def test_catalog_ids_in_any_case(run_cli, typed):
    data = derive_json(run_cli, typed)
    # linear-mse at its default point w = 1, x = 1, y = 2: ∂(wx − y)²/∂w = 2(wx − y)x = −2
    assert data["gradients"] == {"w": -2.0}


def test_an_unknown_id_in_capitals_gets_the_near_miss(run_cli):
    err = one_line_error(run_cli, "derive", "Linear-MSQ")
    assert "unknown model 'Linear-MSQ' (did you mean linear-mse?)" in err


def test_a_folder_is_named_a_folder(run_cli, tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    for typed in (str(folder) + os.sep, str(folder)):
        err = one_line_error(run_cli, "derive", typed)
        assert "is a folder" in err


def test_matrix_says_what_it_applies_to(run_cli):
    from symgrad.catalog import models

    having = [m.id for m in models() if m.has_matrix_form]
    for argv in (["derive", "(x+y)*z", "--matrix"], ["derive", "linear-mse", "--matrix"],
                 ["derive", "relu-2lyer", "--matrix"]):
        err = one_line_error(run_cli, *argv)
        assert "--matrix applies to the catalog models with a matrix form: " + ", ".join(having) \
            in err
    code, out, _ = run_cli("derive", "Relu-2Layer", "--matrix")
    assert code == 0 and "matrix-level derivation" in out


def test_matrix_help_names_the_catalog_models_with_a_matrix_form():
    from symgrad.catalog import models
    from symgrad.cli import MATRIX_FORMS

    assert MATRIX_FORMS.split(", ") == [m.id for m in models() if m.has_matrix_form]


def test_render_names_the_document_after_the_file_stem(run_cli, tmp_path, monkeypatch):
    sub = tmp_path / "some" / "folder"
    sub.mkdir(parents=True)
    (sub / "ok.txt").write_text("f = x*y\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("render", "some/folder/ok.txt", "--at", "x=1,y=2", "-o", "out")
    assert code == 0, err
    assert (tmp_path / "out" / "ok.md").is_file()
    assert not list((tmp_path / "out").glob("some-*"))
    assert resolve("some/folder/ok.txt").slug == "ok"
    assert resolve("Linear-MSE").slug == "linear-mse"
    assert resolve("(x+y)*z").slug == "x-y-z"


# --- files: regular, bounded ---------------------------------------------------------------------
def _fifo(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    return str(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
                    reason="needs POSIX FIFOs and /dev/zero")
def test_devices_fifos_and_symlinks_to_them_are_refused(run_cli, tmp_path):
    zero_csv = tmp_path / "zero.csv"
    zero_csv.symlink_to("/dev/zero")
    zero_txt = tmp_path / "zero.txt"
    zero_txt.symlink_to("/dev/zero")
    cases = [
        (["derive", "/dev/zero"], "is a character device"),
        (["derive", str(zero_txt)], "is a character device"),
        (["derive", _fifo(tmp_path, "prog.txt")], "is a named pipe"),
        (["train", "linear-mse", "--data", str(zero_csv)], "is a character device"),
        (["train", "linear-mse", "--data", _fifo(tmp_path, "data.csv")], "is a named pipe"),
        (["train", "linear-mse", "--data", "/dev/zero.npz"], "no such data file"),
    ]
    for argv, words in cases:
        start = time.perf_counter()
        err = one_line_error(run_cli, *argv)
        assert words in err and time.perf_counter() - start < 5


def test_read_bounded_reads_at_most_the_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 1001)
    assert read_bounded(path, 1001, "file") == b"x" * 1001
    with pytest.raises(InputError, match="too large"):
        read_bounded(path, 1000, "program file")
    with pytest.raises(InputError, match="no such data file"):
        read_bounded(tmp_path / "nope.csv", 10, "data file")


def test_program_file_too_large_is_one_line(run_cli, tmp_path):
    path = tmp_path / "huge.txt"
    path.write_text("f = x\n" + "# padding\n" * 120_000, encoding="utf-8")
    err = one_line_error(run_cli, "derive", str(path))
    assert "too large" in err


def test_npz_declaring_huge_arrays_is_refused_before_allocating(tmp_path):
    """An .npz whose header declares a 10^12-element array (8 TB) in a few hundred bytes."""
    import io
    import zipfile

    from symgrad.data import load_data

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10 ** 12,)})
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(InputError, match="would take more than"):
        load_data(str(path))


def test_csv_duplicate_header_check_is_linear(tmp_path):
    from symgrad.data import load_data

    n = 40_000
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(n)) + ",c7\n" + ",".join(["1"] * (n + 1))
                    + "\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(InputError, match="the header names c7 twice") as info:
        load_data(str(path))
    assert time.perf_counter() - start < 3          # it took 21-25 s when it was quadratic
    assert len(str(info.value)) < 300


def test_csv_with_unicode_minus(tmp_path):
    from symgrad.data import load_data

    path = tmp_path / "minus.csv"
    path.write_text("x,y\n1,\u22122\n2,\u22124\n", encoding="utf-8")
    assert load_data(str(path))["y"].tolist() == [-2.0, -4.0]


def test_control_characters_in_a_path_are_escaped(run_cli, tmp_path):
    err = one_line_error(run_cli, "train", "linear-mse", "--data", "no\x1b[2Jsuch.csv")
    assert "\x1b" not in err and "\\x1b" in err


# --- training --------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["--lr", "10", "--steps", "50"],
    ["--lr", "1", "--steps", "500"],
    ["--lr", "1e6", "--optimizer", "adam"],
])
def test_growing_loss_is_divergence_with_a_probed_learning_rate(run_cli, argv):
    from symgrad.train import train

    err = one_line_error(run_cli, "train", "linear-mse", "--data", LINEAR_CSV, "--params", "w",
                         *argv, code=1)
    assert "training diverged: the loss grew from" in err and "try the smaller learning rate" in err
    suggested = float(err.split("--lr ")[1].split(":")[0])
    lr = float(argv[1])
    assert suggested < lr
    # the suggestion holds: a run at it, the same steps and optimizer, ends below its start
    optimizer = argv[3] if "--optimizer" in argv else "sgd"
    result = train("linear-mse", data=LINEAR_CSV, params="w", lr=suggested, steps=30,
                   optimizer=optimizer)
    assert result.final_loss < result.history[0]


def test_sgd_above_the_stability_limit_is_caught_by_hand(run_cli):
    """For the mean of (w·x − y)², SGD multiplies the error of w by 1 − 2·lr·mean(x²) per step:
    above lr = 1/mean(x²) it grows; the run must stop, and the suggestion must be below it."""
    x, _ = np.loadtxt(LINEAR_CSV, delimiter=",", skiprows=1, unpack=True)
    limit = 1 / float(np.mean(x ** 2))
    from symgrad.train import TrainingDiverged, train

    with pytest.raises(TrainingDiverged) as info:
        train("linear-mse", data=LINEAR_CSV, params="w", lr=1.5 * limit, steps=2000)
    assert info.value.suggested_lr is not None and info.value.suggested_lr < limit


def test_convergent_runs_are_untouched():
    from symgrad.train import train

    result = train("linear-mse", data=LINEAR_CSV, params="w", lr=0.1, steps=50)
    assert result.params["w"] == pytest.approx(2, abs=1e-6)       # examples/linear.csv is y = 2x


def test_negative_seed_is_one_line(run_cli):
    err = one_line_error(run_cli, "train", "linear-mse", "--data", LINEAR_CSV, "--seed", "-1")
    assert "--seed must be a whole number ≥ 0, got -1" in err


# --- start-up ------------------------------------------------------------------------------------
def test_derive_does_not_load_the_renderer_checker_or_matplotlib():
    code = ("import sys; from symgrad.cli import main; main(['derive', '(x+y)*z', '--at', "
            "'x=-2,y=5,z=-4']); "
            "print(sorted(m for m in ('matplotlib', 'jinja2', 'markdown_it', 'symgrad.check', "
            "'symgrad.render', 'symgrad.train') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_lazy_names_stay_functions():
    code = ("import symgrad, symgrad.train, symgrad.check.claims, symgrad.render.documents; "
            "from symgrad import check, render, compile, train, TrainResult; "
            "print(all(callable(f) and not isinstance(f, type(symgrad)) for f in "
            "(symgrad.check, symgrad.render, symgrad.compile, symgrad.train, check)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.stdout.strip() == "True", done.stderr
