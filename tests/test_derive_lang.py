"""``symgrad derive --lang ko|both``: the terminal view in Korean, with the same numbers as the
English one, columns aligned in terminal cells (a Hangul syllable takes two), and the matrix
view's dimension checks without the documents' Markdown."""

import re
import unicodedata

import pytest

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def cells(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def formula_lines(text):
    """The lines without words: the gate, local-gradient and gradient lines (language-neutral)."""
    return [line for line in text.splitlines() if line.lstrip().startswith(("→", "∂", "= "))
            or " upstream ∂" in line]


@pytest.mark.parametrize("lang", ["ko", "both"])
def test_korean_view_has_the_english_numbers(run_cli, lang):
    _, en, _ = run_cli("derive", "x*x + sin(x)", "--at", "x=1")
    code, other, err = run_cli("derive", "x*x + sin(x)", "--at", "x=1", "--lang", lang)
    assert code == 0 and err == ""
    assert formula_lines(other) == formula_lines(en) != []
    assert "순전파" in other and "역전파" in other and "gradient 정리" in other
    assert "계산 지점: x = 1" in other
    assert "x의 값이 3번 쓰였으므로 gradient를 모두 더합니다" in other
    assert ("Forward pass" in other) == (lang == "both")
    assert ("x is used 3 times" in other) == (lang == "both")


def test_both_writes_korean_first(run_cli):
    _, out, _ = run_cli("derive", "(x+y)*z", "--at", "x=-2,y=5,z=-4", "--lang", "both")
    assert out.index("계산 지점") < out.index("at x = -2")
    assert out.index("역전파") < out.index("Backward pass")
    assert "순전파 (forward pass) · Forward pass" in out


def test_korean_table_columns_line_up_in_terminal_cells(run_cli):
    _, out, _ = run_cli("derive", "(x+y)*z", "--at", "x=-2,y=5,z=-4", "--lang", "ko")
    lines = out.splitlines()
    start = lines.index("순전파 (forward pass)") + 1
    table = lines[start:start + 6]
    assert table[0].split() == ["노드", "gate", "식", "값"]
    # the value column starts at the same terminal cell in every row: the header's 값 and each
    # row's number
    header_cell = cells(table[0][:table[0].index("값")])
    for row in table[1:]:
        value = row.split()[-1]
        assert NUMBER.fullmatch(value), row
        assert cells(row[:row.rindex(value)]) == header_cell, table
    assert any(row.split()[1] == "입력" for row in table[1:])


def test_json_is_the_same_in_every_language(run_cli):
    outs = [run_cli("derive", "(x+y)*z", "--at", "x=-2,y=5,z=-4", "--format", "json",
                    "--lang", lang)[1] for lang in ("en", "ko", "both")]
    assert outs[0] == outs[1] == outs[2]


def test_a_long_chain_says_in_korean_what_it_leaves_out(run_cli, tmp_path):
    program = tmp_path / "chain.sg"
    program.write_text("h = sin(x)\n" + "h = sin(h)\n" * 500 + "f = sin(h)\n")
    code, out, _ = run_cli("derive", str(program), "--at", "x=0.5", "--lang", "both")
    assert code == 0
    assert all(cells(line) <= 100 for line in out.splitlines())
    out = out.replace("\n  ", " ")             # the sentences, unwrapped
    assert "x에 대한 gradient는 입력으로 풀어 쓰지 않고" in out
    assert "그래프의 노드가 503개로 400개보다 많기 때문입니다." in out
    assert "The gradients with respect to x are given one chain-rule level deep" in out
    assert out.index("x에 대한 gradient는") < out.index("The gradients with respect to x")


def test_matrix_view_in_korean(run_cli):
    at = "W=[[0.1,0.5,-0.2],[-0.3,0.8,0.4]],x=[0.2,0.4,-0.1]"
    _, en, _ = run_cli("derive", "examples/vectorized.sg", "--at", at)
    code, ko, err = run_cli("derive", "examples/vectorized.sg", "--at", at, "--lang", "ko")
    assert code == 0 and err == ""
    assert "f의 행렬 단위 미분 (값 0.106)" in ko
    assert "[(2,), 행렬 곱]" in ko and "[스칼라, 합]" in ko
    assert "차원 검사: ∂f/∂W의 모양은 W의 모양과 같은 2×3 모양이어야 합니다." in ko
    assert "`" not in ko                         # the documents' Markdown is not printed
    assert all(cells(line) <= 100 for line in ko.splitlines())
    # the arrays are the English view's, line for line
    arrays = [line for line in en.splitlines() if line.lstrip().startswith("[")]
    assert arrays and arrays == [line for line in ko.splitlines() if line.lstrip().startswith("[")]


def test_matrix_view_both_has_each_sentence_twice(run_cli):
    at = "W=[[0.1,0.5,-0.2],[-0.3,0.8,0.4]],x=[0.2,0.4,-0.1]"
    _, out, _ = run_cli("derive", "examples/vectorized.sg", "--at", at, "--lang", "both")
    assert out.count("차원 검사:") == out.count("shapes:") == 4
    assert "행렬 곱 · matrix product" in out


def test_derive_help_names_the_languages(run_cli, capsys):
    with pytest.raises(SystemExit) as exit_:
        run_cli("derive", "--help")
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--lang {en,ko,both}" in out and "Korean (한국어), or both, Korean first" in out


def test_unknown_language_is_one_line(run_cli):
    code, out, err = run_cli("derive", "x*y", "--at", "x=1,y=2", "--lang", "fr")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "--lang" in err and "'fr'" in err


def test_every_terminal_sentence_has_both_languages():
    from symgrad.i18n import strings

    terminal = {k: v for k, v in strings().items() if k.startswith("term_")}
    assert len(terminal) >= 20
    for key, entry in terminal.items():
        assert set(entry) == {"en", "ko"} and entry["en"] and entry["ko"], key
        fields = lambda t: sorted(re.findall(r"{(\w+)}", t))  # noqa: E731
        # a Korean sentence may drop a field English needs (each/it), never add one
        assert set(fields(entry["ko"])) <= set(fields(entry["en"])), key
