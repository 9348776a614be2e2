"""Claims files with arrays, for matrix programs: every correct value is checked against NumPy
written by hand in this file and against central finite differences, never against symgrad."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import array_central_difference

from symgrad.check import check
from symgrad.cli import main
from symgrad.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples/claims/matrix_linear_layer.toml"

W = np.array([[0.1, 0.5], [-0.3, 0.8]])
X = np.array([[0.2], [0.4]])
LINEAR = 'program = """\nq = W @ x\nf = sum(q**2)\n"""\n[at]\nW = %s\nx = %s\n' % (
    W.tolist(), X.tolist())


def toml_array(a, digits=10):
    """An array as a TOML array of arrays, each entry printed with ``digits`` decimals."""
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{float(a):.{digits}f}"
    return "[" + ", ".join(toml_array(row, digits) for row in a) + "]"


def write(tmp_path, text, name="claims.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def claim(key, name, equals, extra=""):
    value = f'"{name}"' if isinstance(name, str) else json.dumps(name)
    return f"[[claim]]\n{key} = {value}\nequals = {equals}\n{extra}"



def linear_loss(W, x):
    return float(np.sum((W @ x) ** 2))


# hand-written NumPy: q = W x, f = Σ q², ∂f/∂q = 2q, ∂f/∂W = 2q xᵀ, ∂f/∂x = Wᵀ 2q
Q = W @ X
DQ = 2 * Q
DW = DQ @ X.T
DX = W.T @ DQ


def test_linear_layer_right_claims_hold_and_match_numpy_and_fd(tmp_path):
    text = LINEAR + "".join([
        claim("value", "q", toml_array(Q)), claim("value", "f", f"{np.sum(Q**2):.10f}"),
        claim("upstream", "q", toml_array(DQ)), claim("gradient", "W", toml_array(DW)),
        claim("gradient", ["f", "x"], toml_array(DX))])
    report = check(str(write(tmp_path, text)))
    assert report.ok, str(report)
    results = report.files[0].claims
    np.testing.assert_allclose(results[0].correct, Q, rtol=1e-14)
    assert results[1].correct == pytest.approx(np.sum(Q ** 2), rel=1e-14)
    np.testing.assert_allclose(results[2].correct, DQ, rtol=1e-14)
    np.testing.assert_allclose(results[3].correct, DW, rtol=1e-14)
    np.testing.assert_allclose(results[4].correct, DX, rtol=1e-14)
    arrays = {"W": W.copy(), "x": X.copy()}
    for i, name in ((3, "W"), (4, "x")):
        fd = array_central_difference(lambda a: linear_loss(**a), arrays, name)
        np.testing.assert_allclose(results[i].correct, fd, rtol=1e-7, atol=1e-9)
    assert "∂f/∂W = [[" in str(report) and "holds (2×2" in str(report)


def test_wrong_entry_is_named_by_index_with_the_correct_array(tmp_path):
    wrong = DW.copy()
    wrong[1, 0] += 0.01
    p = write(tmp_path, LINEAR + claim("gradient", "W", toml_array(wrong, 6)))
    report = check(str(p))
    assert not report.ok
    text = str(report)
    head = next(line for line in text.splitlines() if "claim 1" in line)
    m = re.search(r"FAILS at ∂f/∂W\[1, 0\]: claimed (\S+), correct (\S+) \(tol 5e-07\)", head)
    assert m, head
    assert float(m.group(1)) == pytest.approx(wrong[1, 0], abs=1e-12)
    assert float(m.group(2)) == pytest.approx(DW[1, 0], abs=1e-6)
    shown = re.search(r"correct: (\[\[.*\]\])", text).group(1)
    np.testing.assert_allclose(np.array(json.loads(shown)), DW, rtol=1e-5)
    r = report.files[0].claims[0]
    assert r.wrong == [(1, 0)]
    assert "∂f/∂W = ∂f/∂q·xᵀ" in r.derivation
    assert r.diagnosis is None and "no single known mistake" in r.searched


def test_first_of_several_wrong_entries_in_numpy_order(tmp_path):
    wrong = DW.copy()
    wrong[1, 1] += 1
    wrong[0, 1] -= 1
    report = check(str(write(tmp_path, LINEAR + claim("gradient", "W", toml_array(wrong)))))
    text = str(report)
    assert "FAILS at ∂f/∂W[0, 1]" in text
    assert "wrong entries: 2 of 4: [0, 1] claimed" in text and "; [1, 1] claimed" in text


def test_transposed_gradient_is_diagnosed_as_transpose(tmp_path):
    p = write(tmp_path, LINEAR + claim("gradient", "W", toml_array(DW.T)))
    r = check(str(p)).files[0].claims[0]
    assert not r.holds
    assert r.diagnosis is not None and r.diagnosis.kind == "transpose"
    np.testing.assert_allclose(r.diagnosis.reproduced, DW.T, rtol=1e-14)
    assert "transposed layout" in r.diagnosis.explanation
    assert "전치" in r.diagnosis.explanation_ko and r.diagnosis.explanation_ko.endswith("니다.")


def test_transposed_gradient_of_a_non_square_matrix_fails_on_its_shape(tmp_path):
    report = check(str(EXAMPLE))
    r = report.files[0].claims[-1]
    W2 = np.array([[0.1, 0.5, -0.2], [-0.3, 0.8, 0.4]])
    x2, b2 = np.array([[0.2], [0.4], [-1.0]]), np.array([[0.1], [-0.2]])
    dW2 = 2 * (W2 @ x2 + b2) @ x2.T
    np.testing.assert_allclose(r.correct, dW2, rtol=1e-14)
    assert r.claimed_shape == (3, 2) and r.shape == (2, 3)
    assert r.diagnosis.kind == "transpose"
    head = [line for line in str(report).splitlines() if "claim 7" in line][0]
    assert head.endswith("FAILS: the claimed array has shape (3, 2), but ∂f/∂W has shape (2, 3)")
    assert [c.holds for c in report.files[0].claims] == [True] * 6 + [False]


def test_diagnosis_stays_silent_for_other_wrong_arrays(tmp_path):
    symmetric_wrong = DW + np.array([[0.0, 0.3], [0.3, 0.0]])
    for wrong in (DW * 2, symmetric_wrong, DW.T + 0.01):
        p = write(tmp_path, LINEAR + claim("gradient", "W", toml_array(wrong)))
        r = check(str(p)).files[0].claims[0]
        assert not r.holds and r.diagnosis is None, (wrong, r.diagnosis)
    # values are not gradients: a transposed value claim is not a backprop mistake
    p = write(tmp_path, 'program = "P = W @ W\\nf = sum(P)"\n[at]\nW = %s\n' % W.tolist()
              + claim("value", "P", toml_array((W @ W).T)))
    r = check(str(p)).files[0].claims[0]
    assert not r.holds and r.diagnosis is None


def test_lost_sign_is_diagnosed(tmp_path):
    r = check(str(write(tmp_path, LINEAR + claim("gradient", "x", toml_array(-DX))))).files[0]
    assert r.claims[0].diagnosis.kind == "sign"


def softmax_numpy(Xb, Wb, Yb):
    """Mean cross-entropy of softmax(X W) against one-hot Y, and its gradients, by hand."""
    S = Xb @ Wb
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    loss = float(np.mean(-np.sum(Yb * np.log(P), axis=1)))
    dS = (P - Yb) / len(Xb)
    return loss, Wb.T, dS, Xb.T @ dS, dS @ Wb.T


def test_softmax_classifier_on_a_batch(tmp_path):
    rng = np.random.default_rng(3)
    Xb, Wb = rng.normal(size=(5, 3)), rng.normal(size=(3, 4))
    Yb = np.eye(4)[[0, 2, 1, 3, 2]]
    loss, _, dS, dW, dX = softmax_numpy(Xb, Wb, Yb)
    text = ('program = """\nS = X @ W\nL = softmax_ce(S, Y)\nf = mean(L)\n"""\n[at]\n'
            f"X = {toml_array(Xb, 17)}\nW = {toml_array(Wb, 17)}\nY = {Yb.tolist()}\n"
            + claim("value", "f", f"{loss:.9f}") + claim("gradient", "W", toml_array(dW))
            + claim("gradient", "X", toml_array(dX)) + claim("upstream", "S", toml_array(dS))
            + claim("gradient", "W", toml_array(dW.T)))
    report = check(str(write(tmp_path, text)))
    results = report.files[0].claims
    assert [r.holds for r in results] == [True, True, True, True, False]
    assert results[-1].diagnosis.kind == "transpose"

    def f(X, W):
        return softmax_numpy(X, W, Yb)[0]
    arrays = {"X": Xb.copy(), "W": Wb.copy()}
    for i, name in ((1, "W"), (2, "X")):
        fd = array_central_difference(lambda a: f(**a), arrays, name)
        np.testing.assert_allclose(results[i].correct, fd, atol=1e-8)
    np.testing.assert_allclose(results[3].correct, dS, rtol=1e-12)
    # the labels are data: they are not differentiated
    bad = write(tmp_path, text + claim("gradient", "Y", "0"), "labels.toml")
    with pytest.raises(InputError, match=r"line \d+ \(claim 6\): 'Y' holds the labels"):
        check(str(bad))


def test_after_steps_on_arrays_matches_a_hand_written_loop(tmp_path):
    Wk = W.copy()
    for _ in range(3):
        Wk = Wk - 0.1 * (2 * (Wk @ X) @ X.T)
    text = LINEAR + (f'[[claim]]\nafter_steps = 3\nlr = 0.1\nparams = ["W"]\nvalue = "W"\n'
                     f"equals = {toml_array(Wk)}\n"
                     f'[[claim]]\nafter_steps = 3\nlr = 0.1\nparams = ["W"]\nvalue = "f"\n'
                     f"equals = {linear_loss(Wk, X):.12f}\n")
    report = check(str(write(tmp_path, text)))
    assert report.ok, str(report)
    np.testing.assert_allclose(report.files[0].claims[0].correct, Wk, rtol=1e-13)


def test_large_arrays_show_shape_norm_and_capped_wrong_entries(tmp_path):
    rng = np.random.default_rng(0)
    A, v = rng.normal(size=(10, 10)), rng.normal(size=(10, 1))
    dA = 2 * (A @ v) @ v.T
    wrong = dA.copy()
    wrong[2:4, :] += 1.0                  # 20 wrong entries
    text = ('program = "q = A @ v\\nf = sum(q**2)"\n[at]\n'
            f"A = {toml_array(A, 17)}\nv = {toml_array(v, 17)}\n"
            + claim("gradient", "A", toml_array(wrong)))
    report = check(str(write(tmp_path, text)))
    out = str(report)
    assert "∂f/∂A = a 10×10 array: FAILS at ∂f/∂A[2, 0]" in out
    assert f"correct: shape 10×10, norm {np.linalg.norm(dA):.6g}" in out
    assert "wrong entries: 20 of 100: [2, 0] claimed" in out and "; and 12 more" in out
    listed = next(line for line in out.splitlines() if "wrong entries:" in line)
    assert listed.count(" claimed ") == 8


def test_number_claims_of_single_numbers_and_one_by_one_outputs(tmp_path):
    row, col = np.array([[0.5, -1.0]]), np.array([[2.0], [3.0]])
    text = ('program = "f = r @ c"\n[at]\n'
            f"r = {row.tolist()}\nc = {col.tolist()}\n"
            + claim("value", "f", "-2") + claim("value", "f", "[[-2]]")
            + claim("gradient", "c", "[[0.5], [-1]]"))
    report = check(str(write(tmp_path, text)))
    assert report.ok, str(report)


def test_json_has_nested_lists_and_is_strict(tmp_path, capsys):
    wrong = DW.copy()
    wrong[0, 0] = 7
    p = write(tmp_path, LINEAR + claim("gradient", "W", toml_array(DW))
              + claim("gradient", "W", toml_array(wrong)) + claim("value", "f", "1"))
    assert main(["check", str(p), "--format", "json"]) == 1
    out = capsys.readouterr().out

    def refuse(name):
        raise AssertionError(f"non-strict JSON constant {name}")
    data = json.loads(out, parse_constant=refuse)
    first, second, third = data["files"][0]["claims"]
    assert first["holds"] and np.allclose(first["correct"], DW) and first["shape"] == [2, 2]
    assert second["wrong"][0]["index"] == [0, 0] and second["wrong"][0]["claimed"] == 7
    assert second["claimed"][0][0] == 7 and np.allclose(second["correct"], DW)
    assert third["correct"] == pytest.approx(np.sum(Q ** 2))


@pytest.mark.parametrize("body, fragment, line", [
    ("W = [[0.1, 0.5], [-0.3]]\nx = [[0.2], [0.4]]\n", "'W' is not rectangular", 6),
    ('W = [[0.1, "a"], [-0.3, 0.8]]\nx = [[0.2], [0.4]]\n', "'W'[0, 1] must be a number", 6),
    ("W = [[0.1, 0.5], [-0.3, 0.8]]\n", "no value for input x", 5),
    ("W = [[0.1, 0.5], [-0.3, 0.8]]\nx = [[0.2], [0.4]]\nz = [1.0]\n",
     "'z' is given, but it is not an input", 8),
    ("W = [[0.1, 0.5], [-0.3, 0.8]]\nx = [[0.2], [0.4], [1.0]]\n", "do not fit", 1),
])
def test_refusals_are_one_line_naming_the_line(tmp_path, capsys, body, fragment, line):
    text = 'program = """\nq = W @ x\nf = sum(q**2)\n"""\n[at]\n' + body + \
        claim("value", "f", "1")
    p = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        check(str(p))
    assert fragment in str(info.value) and str(info.value).startswith(f"{p}, line {line}")
    assert main(["check", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("extra, fragment", [
    (claim("local", ["q", "W"], "1"), "'local' claims name an edge of a scalar graph"),
    (claim("gradient", ["q", "W"], "1"), "'q' has shape [2, 1]"),
    (claim("gradient", "V", "1"), "'gradient' names 'V', which is not a node"),
])
def test_claim_refusals(tmp_path, capsys, extra, fragment):
    p = write(tmp_path, LINEAR + extra)
    assert main(["check", str(p)]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and "line 9 (claim 1)" in err


def test_scalar_files_refuse_arrays(tmp_path, capsys):
    p = write(tmp_path, 'expression = "x*y"\n[at]\nx = 1\ny = 2\n' + claim("value", "f", "[1, 2]"))
    assert main(["check", str(p)]) == 2
    assert "'equals' must be a number, got [1, 2]: the expression is scalar" in \
        capsys.readouterr().err
    p = write(tmp_path, 'model = "circuit-xyz"\n[at]\nx = [1.0, 2.0]\n' + claim("value", "f", "1"))
    assert main(["check", str(p)]) == 2
    assert "line 3 ([at]): 'x' is an array of shape (2,)" in capsys.readouterr().err


def test_a_scalar_program_given_arrays_is_checked_elementwise(tmp_path):
    a, b = np.array([[1.0, 2.0]]), np.array([[3.0, -4.0]])
    text = (f'program = "f = sum(x*y)"\n[at]\nx = {a.tolist()}\ny = {b.tolist()}\n'
            + claim("value", "f", f"{np.sum(a * b):g}") + claim("gradient", "x", b.tolist()))
    assert check(str(write(tmp_path, text))).ok


def test_cli_and_example_file(capsys):
    assert main(["check", str(EXAMPLE)]) == 1
    out = capsys.readouterr().out
    assert "6 of 7" not in out and "1 of 7 claims fail" in out
    assert "diagnosis: the claimed array is what you get with the gradient in the transposed " \
           "layout" in out


def test_a_number_claimed_for_an_array_fails_naming_the_shape(tmp_path, capsys):
    p = write(tmp_path, LINEAR + claim("gradient", "W", "0.5"))
    assert main(["check", str(p)]) == 1
    out = capsys.readouterr().out
    assert "∂f/∂W = 0.5: FAILS: a number is claimed, but ∂f/∂W has shape (2, 2)" in out


# --- the report in Korean (check --lang ko|both) ------------------------------------------------
HANGUL = re.compile("[\uac00-\ud7a3]")
SOFTMAX = ROOT / "examples/claims/matrix_softmax_batch.toml"


def test_korean_report_of_array_claims_has_every_line_in_korean():
    report = check([str(EXAMPLE), str(SOFTMAX)])
    ko = report.text("ko")
    assert "  주장 1 (15행) s = [[0.52], [-0.34]]: 맞습니다 (2×1 배열, 허용 오차 0.005)" in ko
    assert ("틀렸습니다. 주장한 배열의 모양은 (3, 2)인데 ∂f/∂W의 모양은 (2, 3)입니다") in ko
    assert "    올바른 값: [[0.208, 0.416, -1.04], [-0.136, -0.272, 0.68]]" in ko
    assert "    처음 어긋난 곳: 이 주장 자체입니다(이 주장의 바탕인 주장은 맞습니다: 1, 3)" in ko
    assert "처음 틀린 항목은 ∂f/∂W[1, 1]입니다 (주장한 값 0.51987, 올바른 값 0.51978, " \
           "허용 오차는 항목마다 다르며 최대 5e-06)" in ko
    assert "알려진 실수 하나로는 주장한 배열이 나오지 않습니다(실수 3가지를 시도했습니다" in ko
    for line in ko.splitlines():
        if line.startswith(("  ", "주장")) and not line.startswith("    메모:"):
            assert HANGUL.search(line), line          # every claim line is Korean
            for word in ("holds", "FAILS", "correct", "claimed", "shape", "tol ", "follows"):
                assert word not in line, line


def test_korean_wrong_entries_large_arrays_and_steps(tmp_path):
    wrong = DW.copy()
    wrong[0, 0] += 1.0
    wrong[1, 1] += 1.0
    steps = ('[[claim]]\nafter_steps = 2\nlr = 0.1\nparams = ["W"]\nvalue = "q"\n'
             "equals = [[9], [9]]\n")
    text = LINEAR + claim("gradient", "W", toml_array(wrong)) + steps
    ko = check(str(write(tmp_path, text))).text("ko")
    assert (f"    틀린 항목: 4개 가운데 2개: [0, 0] 주장한 값 {wrong[0, 0]:.15g}, 올바른 값 "
            f"{DW[0, 0]:.6g}; [1, 1] 주장한 값 {wrong[1, 1]:.15g}, 올바른 값 {DW[1, 1]:.6g}") in ko
    assert "    계산: ∂f/∂W = ∂f/∂q·xᵀ = (2·q)·xᵀ이고, 모양은 W의 모양과 같은 2×2입니다" in ko
    assert "  주장 2 (11행) 2번 갱신한 뒤의 q = [[9], [9]]: 틀렸습니다." in ko
    assert "    계산: 매개변수 W에 w ← w − 0.1 × ∂f/∂w 갱신을 2번 한 뒤의 값입니다. " \
           "q = W·x이고, 모양은 2×1입니다" in ko
    rng = np.random.default_rng(1)
    A, v = rng.normal(size=(10, 10)), rng.normal(size=(10, 1))
    big = ('program = "q = A @ v\\nf = sum(q**2)"\n[at]\n'
           f"A = {toml_array(A, 17)}\nv = {toml_array(v, 17)}\n"
           + claim("gradient", "A", toml_array(np.zeros((10, 10)))))
    ko = check(str(write(tmp_path, big, "big.toml"))).text("ko")
    norm = np.linalg.norm(2 * (A @ v) @ v.T)
    assert "∂f/∂A = 10×10 배열: 틀렸습니다. 처음 틀린 항목은 ∂f/∂A[0, 0]입니다" in ko
    assert f"    올바른 값: 모양 10×10, 노름 {norm:.6g}" in ko
    assert "    틀린 항목: 100개 가운데 100개: [0, 0] 주장한 값 0" in ko and "; 그 밖에 92개" in ko


def test_korean_sentences_of_a_number_claimed_for_an_array_and_a_divergence(tmp_path):
    text = (LINEAR + claim("gradient", "W", "0.5") + claim("upstream", "q", toml_array(-DQ))
            + claim("gradient", "x", toml_array(-DX)))
    ko = check(str(write(tmp_path, text))).text("ko")
    assert "∂f/∂W = 0.5: 틀렸습니다. 수 하나를 주장했지만 ∂f/∂W의 모양은 (2, 2)입니다" in ko
    assert "    처음 어긋난 곳: 주장 2(∂f/∂q, 처음 틀린 항목 [0, 0]). " \
           "이 주장은 그 주장에서 이어진 값입니다" in ko
    assert "    진단: ∂f/∂q 전체의 부호를 반대로 하면 주장한 배열이 그대로 나옵니다." in ko


def test_lang_both_puts_korean_then_english_and_english_is_unchanged(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)               # the documented output names the file relatively
    name = "examples/claims/matrix_linear_layer.toml"
    assert main(["check", name]) == 1
    en = capsys.readouterr().out
    assert main(["check", name, "--lang", "both"]) == 1
    both = capsys.readouterr().out
    ko = check(name).text("ko")
    en_lines, both_lines = en.splitlines(), both.splitlines()
    assert set(en_lines) <= set(both_lines) and set(ko.splitlines()) <= set(both_lines)
    # English as documented in docs/check-matrix.md, byte for byte
    doc = (ROOT / "docs/check-matrix.md").read_text(encoding="utf-8")
    block = doc.split("$ symgrad check examples/claims/matrix_linear_layer.toml  # exit 1\n")[1]
    assert block.split("```")[0] == en
    k7 = both_lines.index(next(x for x in both_lines if x.startswith("  주장 7 ")))
    assert both_lines[k7 + 6].startswith("  claim 7 (line 34)")     # Korean block, then English


def test_json_of_array_claims_has_no_korean_text_fields(capsys):
    assert main(["check", str(EXAMPLE), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    claims = data["files"][0]["claims"]
    scalar_keys = set(claims[1])                                # claim 2, f: a number
    for c in claims:
        extra = {"shape", "claimed_shape", "wrong"} if c is not claims[1] else set()
        assert set(c) == scalar_keys | extra
        assert not any(k.endswith("_ko") for k in c)
    last = claims[-1]
    assert last["derivation"] == ("∂f/∂W = ∂f/∂n1·xᵀ = (2·s)·xᵀ, of shape 2×3 "
                                  "(the shape of W)")
    assert last["divergence"] == "this claim itself (the claims it follows from hold: 1, 3)"


def test_a_value_of_a_variable_the_output_does_not_use(tmp_path):
    text = ('program = "q = W @ x\\nr = sum(q)\\nf = sum(q**2)"\n[at]\n'
            f"W = {W.tolist()}\nx = {X.tolist()}\n" + claim("value", "r", "7"))
    r = check(str(write(tmp_path, text))).files[0].claims[0]
    assert not r.holds and r.correct == pytest.approx(float(np.sum(W @ X)), rel=1e-14)
    assert r.derivation == "r = sum(q), a number"
