"""Mistake diagnosis: each kind, applied BY HAND here to a catalog model, is found as that kind;
right claims get no diagnosis; random wrong numbers get none."""
import json
import math
import random

import pytest

from symgrad.check import check
from symgrad.cli import main


def sig(z):
    return 1.0 / (1.0 + math.exp(-z))


def _file(tmp_path, head, claims, name="c.toml"):
    body = head + "".join("[[claim]]\n" + c + "\n" for c in claims)
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


def _diagnosis(tmp_path, head, claim):
    (r,) = check(str(_file(tmp_path, head, [claim]))).files[0].claims
    assert not r.holds
    return r.diagnosis


def n6(x):
    return f"{x:.6f}"


LINEAR = 'model = "linear-mse"\n[at]\nx = 0.7\ny = 2.1\nw = 1.3\n'
BCE = 'model = "bce"\n[at]\nx = 2\ny = 0.3\nw = 0.5\nb = -0.5\n'
CHAIN = 'model = "chain-rule"\n[at]\nx = 1.3\n'


def test_sign(tmp_path):
    s = 1.3 * 0.7 - 2.1                      # s = yhat − y; ∂loss/∂y = 2s·(−1)
    d = _diagnosis(tmp_path, LINEAR, f'gradient = "y"\nequals = {n6(2 * s)}')
    assert d.kind == "sign" and d.gate == "s" and "−1" in d.explanation
    assert abs(d.reproduced - 2 * s) < 1e-12


def test_fan_out(tmp_path):
    # p = σ(z) feeds log(p) and 1 − p: ∂L/∂p = −y/p + (1 − y)/(1 − p); drop the 1 − p path
    p = sig(0.5 * 2 - 0.5)
    wrong = (-0.3 / p) * p * (1 - p)
    d = _diagnosis(tmp_path, BCE, f'gradient = "z"\nequals = {n6(wrong)}')
    assert d.kind == "fan-out" and d.gate == "p"


def test_missing_upstream(tmp_path):
    # z = t², t = 3x: ∂z/∂x = 2t·3; the student reports the local ∂t/∂x = 3
    d = _diagnosis(tmp_path, CHAIN, 'gradient = "x"\nequals = "3.000000"')
    assert d.kind == "missing-upstream" and d.gate == "t"


@pytest.mark.parametrize("variant", ["s", "1-s", "s(1-x)"])
def test_sigmoid_derivative(tmp_path, variant):
    z = 0.5 * 2 - 0.5
    p = sig(z)
    dl_dp = -0.3 / p + 0.7 / (1 - p)
    local = {"s": p, "1-s": 1 - p, "s(1-x)": p * (1 - z)}[variant]
    d = _diagnosis(tmp_path, BCE, f'gradient = "z"\nequals = {n6(dl_dp * local)}')
    assert d.kind == "sigmoid-derivative" and d.gate == "p"


@pytest.mark.parametrize("local", ["s", "2", "s^2"])
def test_power_rule(tmp_path, local):
    t = 3 * 1.3
    wrong = {"s": t, "2": 2.0, "s^2": t * t}[local] * 3
    d = _diagnosis(tmp_path, CHAIN, f'gradient = "x"\nequals = {n6(wrong)}')
    assert d.kind == "power-rule" and d.gate == "z"


@pytest.mark.parametrize("head, claim", [
    ('model = "act-relu"\n[at]\nx = 0\n', 'gradient = "x"\nequals = 1'),
    ('model = "act-relu"\n[at]\nx = 0\n', 'gradient = "x"\nequals = 0.5'),
    ('model = "reg-l1"\n', 'gradient = "W_2"\nequals = 1'),
])
def test_relu_kink(tmp_path, head, claim):
    assert _diagnosis(tmp_path, head, claim).kind == "relu-kink"


def _linear_step(lr):
    s = 1.3 * 0.7 - 2.1
    return 2 * s * 0.7, lr                   # ∂loss/∂w = 2s·x


def test_update_sign(tmp_path):
    g, lr = _linear_step(0.1)
    claim = f'after_steps = 1\nlr = 0.1\nparams = ["w"]\nvalue = "w"\nequals = {n6(1.3 + lr * g)}'
    assert _diagnosis(tmp_path, LINEAR, claim).kind == "update-sign"


@pytest.mark.parametrize("wrong_lr", [1.0, 0.01])
def test_learning_rate(tmp_path, wrong_lr):
    g, _ = _linear_step(0.1)
    claim = (f'after_steps = 1\nlr = 0.1\nparams = ["w"]\nvalue = "w"\n'
             f'equals = {n6(1.3 - wrong_lr * g)}')
    assert _diagnosis(tmp_path, LINEAR, claim).kind == "learning-rate"


def test_transpose_on_a_matrix_model(tmp_path):
    # relu-2layer: ∂f/∂W1_ij = W2_1i · relu′(z1_i) · x_j; the student's table is transposed
    d_w1_21 = -0.5 * 1.0 * 1.0               # W2_12 · 1 · x1
    d = _diagnosis(tmp_path, 'model = "relu-2layer"\n',
                   f'gradient = "W1_12"\nequals = {n6(d_w1_21)}')
    assert d.kind == "transpose" and d.gate == "W1_12"


def test_rounding(tmp_path):
    p = round(sig(0.5), 3)                   # the post prints p = 0.622, then goes on with it
    claims = [f'value = "p"\nequals = {p:.3f}',
              f'gradient = ["L", "p"]\nequals = {n6(-0.3 / p + 0.7 / (1 - p))}']
    r = check(str(_file(tmp_path, BCE, claims))).files[0].claims
    assert r[0].holds and not r[1].holds
    assert r[1].diagnosis.kind == "rounding" and "0.622" in r[1].diagnosis.explanation


def test_holding_claims_get_no_diagnosis(tmp_path):
    s = 1.3 * 0.7 - 2.1
    claims = [f'gradient = "w"\nequals = {n6(2 * s * 0.7)}', f'value = "s"\nequals = {n6(s)}']
    rs = check(str(_file(tmp_path, LINEAR, claims))).files[0].claims
    assert all(r.holds and r.diagnosis is None and not r.searched for r in rs)


NET = 'model = "net-2-2-2-1"\n'


def _net_gradients():
    """The 2-2-2-1 net of seed 002 by hand: ∂E/∂w for every weight."""
    x1, x2, y = 20.0, 1.0, 0.9
    w = [None, 0.3, 0.2, 0.1, 0.5, 0.6, 0.2, 0.4, 0.3, 0.2, 0.5]
    h1, h2 = sig(x1 * w[1] + x2 * w[3]), sig(x1 * w[2] + x2 * w[4])
    g1, g2 = sig(h1 * w[5] + h2 * w[7]), sig(h1 * w[6] + h2 * w[8])
    o = sig(g1 * w[9] + g2 * w[10])
    d_in = -2 * (y - o) * o * (1 - o)
    dg1, dg2 = d_in * w[9] * g1 * (1 - g1), d_in * w[10] * g2 * (1 - g2)
    dh1 = (dg1 * w[5] + dg2 * w[6]) * h1 * (1 - h1)
    dh2 = (dg1 * w[7] + dg2 * w[8]) * h2 * (1 - h2)
    return {"w1": dh1 * x1, "w2": dh2 * x1, "w3": dh1 * x2, "w4": dh2 * x2, "w5": dg1 * h1,
            "w6": dg2 * h1, "w7": dg1 * h2, "w8": dg2 * h2, "w9": d_in * g1, "w10": d_in * g2}


def test_random_wrong_numbers_get_no_diagnosis(tmp_path):
    rng = random.Random(15)
    grads = _net_gradients()
    claims = []
    for _ in range(300):
        name = rng.choice(sorted(grads))
        factor = rng.choice([rng.uniform(0.5, 0.99), rng.uniform(1.01, 1.5)])
        claims.append(f'gradient = "{name}"\nequals = "{grads[name] * factor:.6g}"')
    rs = check(str(_file(tmp_path, NET, claims))).files[0].claims
    assert len(rs) == 300 and not any(r.holds for r in rs)
    assert [r.number for r in rs if r.diagnosis is not None] == []
    assert all(r.searched.startswith("no single known mistake gives") for r in rs)
    # the right numbers hold and get none
    right = [f'gradient = "{k}"\nequals = {v!r}\ntol = 1e-12' for k, v in grads.items()]
    rs = check(str(_file(tmp_path, NET, right, "right.toml"))).files[0].claims
    assert all(r.holds and r.diagnosis is None for r in rs)


def test_json_diagnosis(tmp_path, capsys):
    s = 1.3 * 0.7 - 2.1
    p = _file(tmp_path, LINEAR,
              [f'gradient = "y"\nequals = {n6(2 * s)}', 'value = "s"\nequals = 5'])
    assert main(["check", str(p), "--format", "json"]) == 1
    a, b = json.loads(capsys.readouterr().out)["files"][0]["claims"]
    assert a["diagnosis"]["kind"] == "sign" and a["diagnosis"]["gate"] == "s"
    assert a["diagnosis"]["explanation_ko"].endswith("나옵니다.")
    assert b["diagnosis"] is None and b["searched"].startswith("no single known mistake gives 5")


def test_docs_homework_output_is_what_the_command_prints(monkeypatch, capsys):
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    text = (root / "docs/check.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n\$ symgrad (check [^\n#]*?)(?:  # exit 1)?\n(.*?)```", text,
                        flags=re.S)
    assert len(blocks) == 3       # the text report, the same in Korean, and the JSON
    assert any("--lang ko" in command for command, _ in blocks)
    monkeypatch.chdir(root)
    for command, shown in blocks:
        assert main(command.split()[0:]) == 1
        assert capsys.readouterr().out == shown, command
