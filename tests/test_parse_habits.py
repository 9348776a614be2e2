"""What a newcomer types by habit is understood, or refused in one line that names the fix."""

import string
import time
import warnings

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symgrad import parse
from symgrad.errors import LimitError, ParseError, SymgradError, quote
from symgrad.parse_text import KEYWORD_NAMES


def refusal(text):
    with pytest.raises(SymgradError) as info:
        parse(text)
    message = str(info.value)
    assert "\n" not in message
    return message


def x(name="x"):
    return sympy.Symbol(name, real=True)


# --- accepted: the text is what the user meant ---------------------------------------------

@pytest.mark.parametrize("text", [
    "\ufeffy = 2*x\n",                 # BOM from an editor
    "y = 2*x\r\n",                     # CRLF
    "\ufeffa = x\r\ny = 2*a\r\n",      # both
    "a = x\n\ty = 2*a",                # a tab-indented line
    "  a = x\n  y = 2*a\n",            # an indented program
    "y = (x\n      + x)",              # a bracket continuation line
    "2*x\r",                           # an old Mac line ending
])
def test_bom_crlf_and_indentation_carry_no_meaning(text):
    assert parse(text).expression() == 2 * x()


def test_leading_space_before_minus():
    assert parse(" -x").expression() == -x()


def test_unicode_minus_is_minus():
    # U+2212, pasted from documents, is the minus operator
    assert parse("x \u2212 y").expression() == x() - x("y")
    assert parse("a = \u2212x\nb = a\u22122").expression() == -x() - 2


def test_no_break_space_is_a_space():
    assert parse("x\u00a0+\u00a0y").expression() == x() + x("y")


def test_comments_may_be_in_any_language():
    assert parse("# 손실 함수: é, ß, ｅｘｐ\ny = x*2  # 두 배").expression() == 2 * x()


def test_columns_count_the_users_indentation():
    message = refusal("a = x\n    b = a^2")
    assert "line 2, column 10" in message


# --- habits from Python, NumPy and maths ----------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("x^2", "use ** for powers (x**2); ^ is not a power in Python in 'x^2' (line 1, column 2)"),
    ("y = (x + 1)^2", "^ is not a power in Python in '(x + 1)^2' (line 1, column 12)"),
    ("y = x\ny ^= 2", "use ** for powers"),
    ("max(x)", "max() takes at least 2 arguments (got 1)"),
    ("min(x)", "min() takes at least 2 arguments (got 1)"),
    ("max()", "max() takes at least 2 arguments (got 0)"),
    ("exp()", "exp() takes 1 argument (got 0)"),
    ("exp(x, y)", "exp() takes 1 argument (got 2)"),
    ("leaky_relu(x, 0.1, 0.2)", "leaky_relu() takes 1 argument and an optional alpha (got 3)"),
    ("leaky_relu(x, 0.1, alpha=0.2)", "leaky_relu() got alpha twice"),
    ("max(x, y, alpha=1)", "max() has no keyword 'alpha'"),
    ("exp(**k)", "exp() has no '**' unpacking"),
    ("2x", "write '2*x' for a product in '2x' (line 1, column 1)"),
    ("y = 3.5w + 1", "write '3.5*w' for a product"),
    ("x y", ("missing operator between 'x' and 'y': write 'x*y' for a product in 'x y' "
            "(line 1, column 3)")),
    ("(x + 1) y", "missing operator between ')' and 'y'"),
    ("sin x", "functions need brackets: write 'sin(x)'"),
    ("x**", "the expression is incomplete: nothing follows '**'"),
    ("x = ", "the assignment has no value: nothing follows '='"),
    ("y = x\nz = y +\nw = z", "nothing follows '+' in 'z = y +' (line 2, column 7)"),
    ("(x+y", "'(' was never closed"),
    ("|x|", "use abs(x) for |x|"),
    ("x | y", "use abs(x) for |x|"),
    ("x % 2", "the remainder '%' is not supported"),
    ("x // 2", "floor division '//' is not supported"),
    ("x @ y", "'@' is the matrix product: symgrad.parse reads scalar programs only"),
    ("x.T", "matrix syntax ('.T', '@') belongs to matrix programs"),
    ("x.T * y", "matrix syntax"),
    ("x.dot(y)", "matrix syntax ('.dot', '@')"),
    ("x.sum()", "matrix syntax ('.sum', '@')"),
    ("np.exp(x)", "write 'exp(x)': symgrad's functions are called by name, without 'np.'"),
    ("math.exp(x) + 1", "write 'exp(x)'"),
    ("torch.sigmoid(w*x)", "write 'sigmoid(w*x)'"),
    ("np.pi * x", "write the number 3.141592653589793 for np.pi"),
    ("np.foo(x)", "only calls of symgrad's functions by name are allowed"),
    ("expp(x)", "unknown function 'expp' (did you mean 'exp'?)"),
    ("Exp(x)", "unknown function 'Exp' (did you mean 'exp'?)"),
    ("ln(x)", "unknown function 'ln' (did you mean 'log'?)"),
    ("sigmod(x)", "did you mean 'sigmoid'?"),
    ("pow(x, 2)", "unknown function 'pow': use ** for powers (x**2)"),
    ("w(x + 1)", "unknown function 'w': to multiply, write 'w*(...)'"),
    ("f(x)", "unknown function 'f': to multiply, write 'f*(...)'"),
    ("1j * x", "complex numbers are not supported"),
    ("y = x\n  + 1", ("the line starts with '+': to continue the line before, put the whole "
                     "expression in brackets")),
    ("", "there is nothing to derive: the text is empty"),
    ("   \n\t\n", "there is nothing to derive: the text is empty"),
    ("# only\n# comments\n", ("there is nothing to derive: the text has only comments and "
                             "blank lines")),
])
def test_habits_get_the_fix(text, message):
    assert message in refusal(text)


# --- keywords as names -------------------------------------------------------------------

@pytest.mark.parametrize("text, column", [
    ("lambda*2", 1), ("loss + lambda * w**2", 8), ("loss = mse + lambda*w**2", 14),
    ("lambda = 0.1\nloss = lambda*w", 1), ("y = exp(-lambda*x)", 10), ("a = lambda", 5),
    ("f(lambda)", 3), ("lambda += 1", 1),
])
def test_lambda_as_a_name_gets_the_hint(text, column):
    message = refusal(text)
    assert "'lambda' is a Python keyword and cannot be a name; use 'lam'" in message
    assert f"column {column})" in message


@pytest.mark.parametrize("word", sorted(KEYWORD_NAMES))
def test_every_keyword_as_a_name_gets_a_suggestion(word):
    suggestion = KEYWORD_NAMES[word]
    message = refusal(f"{word} = 2\ny = {word}*x")
    assert f"'{word}' is a Python keyword and cannot be a name; use '{suggestion}'" in message
    assert parse(f"{suggestion} = 2\ny = {suggestion}*x").inputs == ["x"]   # the suggestion works


@pytest.mark.parametrize("text", ["None*x", "True + x", "y = x + False", "yield + x", "in + 1",
                                  "class*x", "x * not", "is - x", "for + 1", "def*x", "if + x",
                                  "x + and", "or*2", "pass*x"])
def test_keywords_in_expressions(text):
    assert "is a Python keyword and cannot be a name; use " in refusal(text)


def test_keywords_used_as_keywords_keep_their_messages():
    assert "conditional expressions are not allowed" in refusal("x if y else z")
    assert "'and'/'or' are not allowed" in refusal("x and y")
    assert "lambdas are not allowed" in refusal("y = lambda t: t")


# --- characters --------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("é*x", ("'é' (U+00E9) is not allowed in names: use ASCII letters in 'é*x' "
            "(line 1, column 1)")),
    ("ŷ = w*x", "'ŷ' (U+0177) is not allowed in names: use ASCII letters"),
    ("y = 2*café", ("'é' (U+00E9) is not allowed in names: use ASCII letters in 'y = 2*café' "
                   "(line 1, column 10)")),
    ("ｅｘｐ(x)", "'ｅ' (U+FF45) is not allowed in names"),       # NFKC would make it exp
    ("ｘ + x", "'ｘ' (U+FF58) is not allowed in names"),         # NFKC would make it x
    ("x\u2212\u00e9", "'é' (U+00E9) is not allowed in names"),
    ("x·y", "'·' is not allowed: use * for multiplication in 'x·y' (line 1, column 2)"),
    ("x × y", "use * for multiplication"),
    ("x²", "use ** for powers (x**2)"),
    ("√x", "use sqrt(x)"),
    ("x – y", "use - for minus"),
    ("x ✓ y", "the character '✓' (U+2713) is not allowed outside comments"),
])
def test_non_ascii_characters_are_refused_by_name(text, message):
    assert message in refusal(text)


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x0b", "\x0c", "\x00", "\x85", "\u2028",
                                  "\u2029", "\u202e", "\u2066", "\u200b", "\ufeff"])
@pytest.mark.parametrize("where", ["x {} + y", "# comment {}\ny = x"])
def test_control_characters_are_refused_and_never_echoed(char, where):
    message = refusal(where.format(char))
    assert f"U+{ord(char):04X} is not allowed" in message
    assert char not in message


def test_quote_escapes_control_characters_and_caps_length():
    assert quote("a\x1b[2Jb") == "'a\\x1b[2Jb'"
    assert quote("a\u2028b\u202ec\x07") == "'a\\u2028b\\u202ec\\x07'"
    assert quote("x\ty\n") == "'x\\ty\\n'"
    long = quote("k" * 900_000)
    assert len(long) == 62 and long.endswith("…'")
    escaped = quote("\x1b" * 100)
    assert len(escaped) <= 62 and "\x1b" not in escaped
    assert quote("ok") == "'ok'"


@pytest.mark.parametrize("text", ["{q}(x)", "{q} = 1\ny = {q}(x)", "{q} {q}", "2{q}", "{q} +",
                                  "y = x\n{q} = 1", "x + np.{q}(x)"])
def test_long_user_text_is_never_echoed_whole(text):
    message = refusal(text.format(q="q" * 2400))
    assert len(message) < 500


# --- numbers -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    str(2**1100) + "*x",                 # a long integer literal above 1.8e308
    "1" + "0" * 309 + "*x",              # 10**309 written out
    "x + " + str(2**1024),
    "1e309*x", "x*1e999",
    "9" * 4400 + "*x",                   # beyond Python's 4300-digit conversion limit
])
def test_literals_beyond_a_float_are_refused(text):
    with pytest.raises(LimitError) as info:
        parse(text)
    assert "the number is too large for floating point" in str(info.value)
    assert "1.8e308" in str(info.value)


def test_literals_just_inside_a_float_are_kept():
    g = parse(str(2**1023) + "*x")
    assert g.expression() == sympy.Integer(2**1023) * x()
    assert parse("1.7976931348623157e308*x").inputs == ["x"]


def test_a_literal_that_underflows_to_zero_is_refused():
    assert "too small for floating point: it would be 0" in refusal("x + 1e-400")
    assert parse("x + 0.0e-400 + 0").expression() == x()        # zero written as zero is fine
    assert parse("x*5e-324").inputs == ["x"]                     # the smallest subnormal is kept


# --- flat chains are not deep --------------------------------------------------------------

def test_a_flat_sum_of_a_thousand_terms():
    text = "a1" + "".join(f" + a{i}" for i in range(2, 1001)).replace(" ", "")
    g = parse(text)
    assert len(g.inputs) == 1000 and g.output == "f"
    assert [n.op for n in g.nodes.values()].count("add") == 999
    assert g.nodes["f"].expr == x("n998") + x("a1000")


def test_flat_chains_of_mixed_operators():
    text = "(" + "\n".join(f"{'+-'[i % 2]} a{i}*b{i}/c{i}" for i in range(2000)) + ")"
    g = parse("f = " + text)
    assert len(g.inputs) == 6000


def test_a_ten_thousand_term_sum_parses_in_linear_time():
    def seconds(n):
        # CPU time, best of 3: other work on the machine inflates wall-clock time, not this
        text = "f = (" + "\n + ".join(f"a{i}" for i in range(n)) + ")"
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            parse(text)
            best = min(best, time.process_time() - start)
        return best
    small, large = seconds(1250), seconds(10_000)
    assert large < 12 * small + 0.5


def test_real_nesting_is_still_bounded():
    assert "nested more than" in refusal("(" * 60 + "x" + ")" * 60)
    assert "nested more than" in refusal("-" * 200 + "x")
    assert "nested more than" in refusal("x" + "**x" * 200)
    assert "nested more than" in refusal("exp(" * 45 + "x" + ")" * 45 + "+" + "-" * 130 + "y")


# --- nothing but one line ----------------------------------------------------------------

TOKENS = ["x", "y", "w1", "2", "1.5", "1e309", "+", "-", "*", "/", "**", "^", "(", ")", ",", "=",
          "+=", "exp", "max", "relu", "leaky_relu", "alpha=", "lambda", "in", "not", "if", "else",
          "None", "#", "\n", " ", "\t", "@", ".", "T", "np", "'", "[", "]", ":", ";", "\\", "é",
          "\u2212", "\x1b", "\ufeff", "2x", "|", "%", "//", "0x1f", "1_0", "1j"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_token_soup_gives_one_clean_line(text):
    _parse_or_one_line(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))
               | st.sampled_from(string.printable), max_size=60))
def test_printable_junk_gives_one_clean_line(text):
    _parse_or_one_line(text)


def _parse_or_one_line(text):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")          # a warning would be a second line on stderr
            parse(text)
    except SymgradError as exc:
        message = str(exc)
        assert "\n" not in message and "\x1b" not in message
        assert isinstance(exc, (ParseError, LimitError))
