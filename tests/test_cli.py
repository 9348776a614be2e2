"""The command line: the README's main command, JSON schema, one-line errors and exit codes."""

import json
import subprocess
import sys
import time

import pytest


def test_derive_json_circuit(run_cli):
    code, out, err = run_cli("derive", "(x+y)*z", "--at", "x=-2,y=5,z=-4", "--format", "json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["output"] == "f" and data["value"] == -12.0
    assert data["at"] == {"x": -2.0, "y": 5.0, "z": -4.0}
    assert data["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert data["symbolic_gradients"] == {"x": "z", "y": "z", "z": "x + y"}
    assert [row["name"] for row in data["forward"]] == ["x", "y", "n1", "z", "f"]
    assert data["forward"][2] == {
        "name": "n1",
        "op": "add",
        "expr": "x + y",
        "value": 3.0,
        "args": ["x", "y"],
    }
    step = data["steps"][0]
    assert set(step) >= {"gate", "input", "upstream", "local", "local_value", "downstream"}
    assert (step["gate"], step["input"], step["upstream"], step["local"], step["downstream"]) == (
        "f",
        "n1",
        1.0,
        "z",
        -4.0,
    )


def test_derive_text_reads_like_the_posts(run_cli):
    code, out, _ = run_cli("derive", "(x+y)*z", "--at", "x=-2,y=5,z=-4")
    assert code == 0
    assert "Forward pass" in out and "Backward pass" in out
    assert "∂f/∂x = ∂f/∂n1 · ∂n1/∂x" in out
    assert "-4 × 1 = -4" in out


def test_fan_out_is_explained(run_cli):
    code, out, _ = run_cli("derive", "x*y + x", "--at", "x=3,y=2")
    assert code == 0
    assert "x is used 2 times, so its gradients add" in out


def test_fan_out_counts_each_read_of_a_value(run_cli):
    """x*x reads x twice in one gate: three reads in x*x + sin(x), the three terms of the sum
    (the line said "used by 3 gates" of two gates)."""
    code, out, _ = run_cli("derive", "x*x + sin(x)", "--at", "x=1")
    assert code == 0
    out = out.replace("\n      ", " ")          # the line, unwrapped (100 columns at most)
    assert "x is used 3 times, so its gradients add: ∂f/∂x = 0.540302 (from n2) + 1 (from n1) " \
           "+ 1 (from n1) = 2.5403" in out


def test_program_file_and_output_and_wrt(run_cli, tmp_path):
    prog = tmp_path / "net.txt"
    prog.write_text("# seed 000\nyhat = w*x\ns = yhat - y\nloss = s**2\n", encoding="utf-8")
    code, out, _ = run_cli(
        "derive", str(prog), "--at", "x=1,y=2,w=1", "--wrt", "w,s", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["gradients"] == {"w": -2.0, "s": -2.0}
    code, out, _ = run_cli(
        "derive", str(prog), "--at", "x=1,y=2,w=1", "--output", "s", "--format", "json"
    )
    assert json.loads(out)["value"] == -1.0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["derive", "(x+y)*z", "--at", "x=1"], "no value for inputs y, z"),
        (
            ["derive", "(x+y)*z", "--at", "x=1,y=2,z=3", "--wrt", "w"],
            "cannot differentiate with respect to 'w'",
        ),
        (["derive", "(x+y)*z", "--at", "x=1;y=2"], "not a number"),
        (["derive", "(x+y)*z", "--at", "x"], "name=number"),
        (["derive", "x*", "--at", "x=1"], "syntax error"),
        (["derive", "9**9**9**9"], "constant power is too large"),
        (["derive", "__import__('os').system('touch hacked')"], "only calls"),
        (["derive", "no/such/file.txt"], "no such program file"),
        (["derive", "log(x)", "--at", "x=-1"], "outside the function's domain"),
        (["derive", "(x+y)*z", "--format", "yaml"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_errors_are_one_line_exit_2(run_cli, argv, message):
    start = time.perf_counter()
    code, out, err = run_cli(*argv)
    assert code == 2
    assert time.perf_counter() - start < 1.0
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("symgrad: error: ")
    assert message in err


def test_console_script_runs_and_refuses_hostile_input(tmp_path):
    """The installed entry point, in a subprocess: one line on stderr, exit 2, nothing executed."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "symgrad", "derive", "((9**9)**9999)**9999"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert time.perf_counter() - start < 10  # interpreter start-up included


def test_help_lists_commands(run_cli):
    with pytest.raises(SystemExit) as info:
        run_cli("--help")
    assert info.value.code == 0


@pytest.mark.parametrize(
    "argv, words",
    [
        (["derive", "x/0", "--at", "x=1"], ["division by zero in 'x/0'", "column 1"]),
        (["derive", "x // y"], ["only + - * / ** are allowed in 'x // y'"]),  # not "no such file"
        (["derive", "./missing.txt"], ["no such program file: './missing.txt'"]),
        (["derive", "x", "--at", "x=1", "--wrt", " , "], ["--wrt is empty"]),
        (["derive", "mlp-2layer", "--output", "h"], ["derived for its output 'loss' only"]),
        (
            ["derive", "mlp-2layer", "--output", "h", "--format", "python"],
            ["compiled for its output 'loss'"],
        ),
    ],
)
def test_more_bad_input_is_one_line(run_cli, argv, words):
    code, out, err = run_cli(*argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    for word in words:
        assert word in err
