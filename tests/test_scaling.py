"""Behaviour at scale (issue 18): long chains, residual chains and wide sums give the right numbers,
no RecursionError, and output of bounded size. Nothing here is timed: speed is measured by
``benchmarks/bench.py scaling``. References are float64 loops written here, and sympy.diff."""

import io
import math
import random
import sys

import sympy

import symgrad
from symgrad.compile import MAX_TERMS
from symgrad.derivation import CLOSED_FORM_NODES
from symgrad.exprsize import larger_than, tree_size
from symgrad.graph import Graph
from symgrad.terminal import PROGRESS_MIN_ITEMS, progress


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(abs(b), 1e-300)


def sin_chain(lines):
    return "\n".join(["h = sin(x)"] + ["h = sin(h)"] * (lines - 2) + ["f = sin(h)"]) + "\n"


def sin_chain_reference(lines, x):
    h, g = x, 1.0
    for _ in range(lines):
        g *= math.cos(h)
        h = math.sin(h)
    return h, g


def assert_lines_shallow(source):
    """No generated line holds more than MAX_TERMS additions or products (each one a level of
    Python's compiler), and the whole source compiles (it was loaded already)."""
    for line in source.splitlines():
        assert line.count(" + ") <= MAX_TERMS and line.count("*") <= 4 * MAX_TERMS, line[:120]


# --- counting sizes on the shared structure -------------------------------------------------------
def random_expression(rng, depth):
    x, y = sympy.symbols("x y", real=True)
    if depth == 0:
        return rng.choice([x, y, sympy.Integer(rng.randint(-3, 3)), sympy.Rational(1, 3)])
    kind = rng.randrange(5)
    a = random_expression(rng, depth - 1)
    if kind == 0:
        return a + random_expression(rng, depth - 1)
    if kind == 1:
        return a * random_expression(rng, depth - 1)
    if kind == 2:
        return sympy.sin(a)
    if kind == 3:
        return sympy.exp(a) + a
    return a ** 2


def test_tree_size_counts_what_preorder_traversal_walks():
    rng = random.Random(18)
    for _ in range(200):
        e = random_expression(rng, rng.randint(0, 5))
        walked = sum(1 for _ in sympy.preorder_traversal(e))
        assert tree_size(e, 10**9) == walked
        for limit in (0, 1, walked - 1, walked, walked + 1):
            if limit >= 0:
                assert larger_than(e, limit) == (walked > limit)


def test_tree_size_of_a_doubling_expression_is_counted_not_walked():
    # F(h, G(h)) holds h twice: written out, 60 levels are ~2**61 nodes; on the DAG, 60 steps
    f, g = sympy.Function("F"), sympy.Function("G")
    h = sympy.Symbol("x")
    size = 1
    for _ in range(60):
        h = f(h, g(h))
        size = 1 + size + (1 + size)
    assert tree_size(h, 10**30) == size
    assert larger_than(h, CLOSED_FORM_NODES)
    assert tree_size(h, 100) == 101          # capped at limit + 1
    leaf = sympy.Symbol("x")
    assert tree_size(f(leaf, leaf), 10**6, {leaf: 7}) == 15


# --- derive ---------------------------------------------------------------------------------------
def test_derive_of_long_sin_chains_is_right_and_summarized():
    for lines in (3000, 10000):
        d = symgrad.derive(sin_chain(lines), at="x=0.5")
        value, gradient = sin_chain_reference(lines, 0.5)
        assert close(d.value, value) and close(d.gradients["x"], gradient)
        text = str(d)
        assert "Gradients" in text and text.count("\n") < 4 * lines + 20
        assert text.splitlines()[0] == f"symgrad derive · h = sin(x) … ({lines:,} lines)"
        assert d.omitted.expression and d.omitted.closed_forms == ["x"]
        assert "more than 400" in d.omitted.sentence()
        paths = d.chain_paths("x")
        assert len(paths) == 1 and len(paths[0]) == lines + 1
        assert paths[0][0] == "x" and paths[0][-1] == "f"


def test_residual_chain_closed_form_is_bounded_before_it_is_built():
    # 20 lines h += tanh(h): the closed form written out has about 2**20 terms (it used to take
    # minutes); it is counted on the DAG and given one chain-rule level deep instead
    lines = 20
    program = "h = x\n" + "h += tanh(h)\n" * lines
    d = symgrad.derive(program, at="x=0.5")
    h, g = 0.5, 1.0
    for _ in range(lines):
        g *= 2.0 - math.tanh(h) ** 2
        h += math.tanh(h)
    assert close(d.value, h) and close(d.gradients["x"], g)
    assert d.omitted and d.omitted.expression and d.omitted.closed_forms == ["x"]
    assert f"more than {CLOSED_FORM_NODES:,} terms" in d.omitted.sentence()
    assert not larger_than(d.symbolic_gradients["x"], 50)          # one level: ∂h/∂(its readers)
    data = d.to_json()
    assert data["expression"] is None
    assert len(d.to_json_text()) < 50_000 and len(str(d)) < 20_000


def test_small_residual_chain_keeps_its_closed_form():
    d = symgrad.derive("h = x\n" + "h += tanh(h)\n" * 3, at="x=0.5")
    assert not d.omitted and d.omitted.sentence() == ""
    x = sympy.Symbol("x", real=True)
    reference = sympy.diff(d.expression(), x)
    closed = d.symbolic_gradients["x"]
    for point in (-1.3, 0.5, 2.0):
        assert close(float(closed.subs(x, point)), float(reference.subs(x, point)), 1e-12)
    assert close(float(closed.subs(x, 0.5)), d.gradients["x"], 1e-12)


def test_wide_sum_derive_gives_every_gradient():
    terms = 1000
    products = [f"x{i}*w{i}" for i in range(1, terms + 1)]
    lines = [f"s{k} = " + " + ".join(products[i:i + 50]) for k, i in
             enumerate(range(0, terms, 50), 1)]
    program = "\n".join(lines + ["f = " + " + ".join(f"s{k}" for k in range(1, len(lines) + 1))])
    point = {}
    for i in range(1, terms + 1):
        point[f"x{i}"], point[f"w{i}"] = (i % 7 + 1) / 10, (i % 11 + 1) / 4
    d = symgrad.derive(program, at=point)
    assert close(d.value, math.fsum(point[f"x{i}"] * point[f"w{i}"] for i in range(1, terms + 1)))
    for i in range(1, terms + 1):
        assert d.gradients[f"w{i}"] == point[f"x{i}"] and d.gradients[f"x{i}"] == point[f"w{i}"]
    assert d.omitted.expression and len(d.omitted.closed_forms) == 2 * terms


# --- compile --------------------------------------------------------------------------------------
def test_compile_of_long_sin_chains_runs_and_is_right():
    for lines in (3000, 10000):
        f = symgrad.compile(sin_chain(lines))
        value, grads = f(x=[0.5, -1.0])
        for k, x in enumerate((0.5, -1.0)):
            v, g = sin_chain_reference(lines, x)
            assert close(float(value[k]), v, 1e-10) and close(float(grads["x"][k]), g, 1e-10)
        assert_lines_shallow(f.source)


def test_compile_of_a_10001_gate_tanh_chain():
    lines = 3334                       # tanh, mul, add a line: 10,002 gates
    program = "h = tanh(x) + w*x\n" + "h = tanh(h) + w*x\n" * (lines - 2) + "f = tanh(h) + w*x\n"
    f = symgrad.compile(program, wrt="x,w")
    x, w = 0.3, 0.7
    h, dx, dw = 0.0, 0.0, 0.0
    for k in range(lines):
        arg, darg_x, darg_w = (x, 1.0, 0.0) if k == 0 else (h, dx, dw)
        t = math.tanh(arg)
        h, dx, dw = t + w * x, (1 - t * t) * darg_x + w, (1 - t * t) * darg_w + x
    value, grads = f(x=x, w=w)
    assert close(float(value), h, 1e-10)
    assert close(float(grads["x"]), dx, 1e-10) and close(float(grads["w"]), dw, 1e-10)
    assert_lines_shallow(f.source)


def test_compile_of_a_3000_term_sum_reading_one_input_everywhere():
    # x is read by 3,000 products: its gradient is a 3,000-term sum, which used to be one line
    # (RecursionError in Python's compiler); it is written over lines of at most MAX_TERMS terms
    terms = 3000
    g = Graph()
    x = g.add_input("x").symbol
    total = None
    for i in range(1, terms + 1):
        product = g.add_gate("mul", [x, g.add_input(f"w{i}").symbol], f"p{i}").symbol
        total = product if total is None else g.add_gate("add", [total, product], f"s{i}").symbol
    g.output = g.node_of(total).name
    f = symgrad.compile(g, wrt=["x"] + [f"w{i}" for i in range(1, terms + 1)])
    weights = {f"w{i}": (i % 13 - 6) / 8 for i in range(1, terms + 1)}
    value, grads = f(x=1.5, **weights)
    assert close(float(value), 1.5 * math.fsum(weights.values()), 1e-12)
    assert close(float(grads["x"]), math.fsum(weights.values()), 1e-12)
    assert all(float(grads[w]) == 1.5 for w in weights)
    assert_lines_shallow(f.source)
    assert sum(1 for line in f.source.splitlines() if line.lstrip().startswith("grad_x")) > 1


# --- progress -------------------------------------------------------------------------------------
class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_line_only_for_long_work_on_a_terminal(monkeypatch):
    items = list(range(PROGRESS_MIN_ITEMS))
    assert progress(items, len(items), "work") is items          # stderr is not a terminal here
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    assert progress(items[:10], 10, "work") == items[:10]         # short work: never a line
    bar = progress(items, len(items), "backward pass")
    assert bar is not items and list(bar) == items                # a tqdm bar yielding the items
    d = symgrad.derive(sin_chain(PROGRESS_MIN_ITEMS + 10), at="x=0.5")
    assert close(d.gradients["x"], sin_chain_reference(PROGRESS_MIN_ITEMS + 10, 0.5)[1])


def test_progress_delay_counts_from_the_start_of_the_command(monkeypatch):
    """A run of several phases, each under the delay, still shows a line once the command has
    run PROGRESS_DELAY seconds: the delay counts from symgrad's start, not the phase's."""
    import time

    import symgrad.terminal as terminal

    screen = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", screen)
    items = list(range(PROGRESS_MIN_ITEMS))
    monkeypatch.setattr(terminal, "_STARTED", time.monotonic())          # just started
    assert list(progress(items, len(items), "phase one")) == items
    assert "phase one" not in screen.getvalue()                          # quick: no line
    monkeypatch.setattr(terminal, "_STARTED", time.monotonic() - 10)     # 10 s into the command
    assert list(progress(items, len(items), "phase two")) == items
    assert "phase two" in screen.getvalue()                              # shown at once


def test_the_examples_of_docs_scaling_run_as_written():
    import doctest
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "scaling.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(>>>.*?)```", text, re.DOTALL)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for i, block in enumerate(blocks):
        test = doctest.DocTestParser().get_doctest(block, {}, f"scaling-{i}", "scaling.md", 0)
        runner.run(test)
    assert blocks and runner.summarize(verbose=False).failed == 0


# --- what is left out, said in every view ---------------------------------------------------------
def residual_program(lines):
    return "h = x\n" + "h += tanh(h)\n" * lines


def test_documents_say_which_closed_forms_are_left_out_and_why():
    from symgrad.render.documents import build

    d = symgrad.derive(residual_program(20), at="x=0.5")
    assert d.omitted.closed_forms == ["x"] and len(d.forward) <= 400
    texts = {(fmt, lang): build(d, format=fmt, lang=lang).text
             for fmt in ("md", "tex") for lang in ("en", "ko")}
    partial = r"\frac{\partial h_{20}}{\partial x}"
    for (fmt, lang), text in texts.items():
        assert partial in text, (fmt, lang)
        # the stand-in for the closed form (the adjoint symbol dh20_dh) is not printed as one
        assert "dh_{20" not in text and "dh20" not in text, (fmt, lang)
    assert (f"The closed form of ${partial}$ is left out: written out in the inputs, it would "
            f"have more than {CLOSED_FORM_NODES} terms.") in texts["md", "en"]
    assert (f"${partial}$의 `closed form`은 입력만으로 풀어 쓰면 항이 {CLOSED_FORM_NODES}개를 "
            "넘기 때문에 생략했습니다.") in texts["md", "ko"]
    assert r"\texttt{closed form}" in texts["tex", "ko"]
    # its value is still there, and right (float64 loop)
    h, g = 0.5, 1.0
    for _ in range(20):
        g *= 2.0 - math.tanh(h) ** 2
        h += math.tanh(h)
    assert close(d.gradients["x"], g)


def test_documents_of_a_large_graph_name_three_closed_forms_and_count_the_rest():
    from symgrad.render.documents import build

    terms = 300                           # 599 gates: more than 400 nodes, so none is expanded
    program = "f = " + " + ".join(f"x{i}*w{i}" for i in range(1, terms + 1)) + "\n"
    at = {f"x{i}": i / 7 for i in range(1, terms + 1)}
    at |= {f"w{i}": 1 / i for i in range(1, terms + 1)}
    d = symgrad.derive(program, at=at)
    nodes = 2 * terms + 2 * terms - 1     # inputs, products, binary additions
    assert len(d.forward) == nodes and len(d.omitted.closed_forms) == 2 * terms
    en = build(d, format="md", lang="en").text
    ko = build(d, format="md", lang="ko").text
    first = ", ".join(f"$\\frac{{\\partial f}}{{\\partial {v}_{{{i}}}}}$"
                      for v, i in (("x", 1), ("w", 1), ("x", 2)))
    assert (f"The closed forms of {first} and {2 * terms - 3} more are left out: the graph has "
            f"{nodes} nodes, more than 400, so no gradient is written out in the inputs.") in en
    assert f"{first} 외 {2 * terms - 3}개의 `closed form`은 생략했습니다. 그래프의 노드가 " \
           f"{nodes}개로 400개보다 많아서" in ko


def test_small_documents_say_nothing_is_left_out():
    from symgrad.render.documents import build

    d = symgrad.derive("(x+y)*z", at="x=-2,y=5,z=-4")
    assert not d.omitted
    text = build(d, format="md", lang="both").text
    assert "is left out" not in text and "생략했습니다" not in text
    assert "not written in the inputs" not in str(d)


def test_derive_text_says_what_is_left_out():
    d = symgrad.derive(residual_program(20), at="x=0.5")
    text = " ".join(str(d).split())            # the sentence is wrapped at 100 columns
    assert d.omitted.sentence() in text
    assert f"would have more than {CLOSED_FORM_NODES:,} terms" in text
    assert all(len(line) <= 100 for line in str(d).splitlines()[-3:])


# --- the sweep's shared work ----------------------------------------------------------------------
def all_paths(d, name):
    """Every path from ``name`` to the output, by a plain recursive walk of the forward rows."""
    readers = {}
    for row in d.forward:
        for arg in dict.fromkeys(row.args):
            readers.setdefault(arg, []).append(row.name)

    def walk(node):
        if node == d.output:
            return [[node]]
        return [[node] + rest for reader in readers.get(node, []) for rest in walk(reader)]
    return walk(name)


def test_chain_paths_max_edges_stops_only_where_a_path_is_longer():
    programs = ["q = x + y\nf = q * z\n", "a = x * x\nb = a + x\nf = sin(b) * a + x\n",
                "h = sin(x)\n" + "h = sin(h)\n" * 12, residual_program(4)]
    for program in programs:
        d = symgrad.derive(program, at={n: 0.3 for n in symgrad.parse(program).inputs})
        for name in d.inputs:
            reference = all_paths(d, name)
            longest = max(len(p) - 1 for p in reference)
            for max_edges in (None, 1, 2, 5, longest - 1, longest, longest + 1):
                got = d.chain_paths(name, limit=10**6, max_edges=max_edges)
                if max_edges is not None and longest > max_edges:
                    assert got is None, (program, name, max_edges)
                else:
                    assert sorted(got) == sorted(reference), (program, name, max_edges)


def test_sweeps_of_one_graph_share_its_local_gradients():
    import gc
    import weakref

    from symgrad.backward import derive_graph

    program = "h = sin(x)\n" + "h = sin(h)\n" * 1500      # more gates than SymPy's cache holds
    graph = symgrad.parse(program)
    first, second = derive_graph(graph, {"x": 0.5}), derive_graph(graph, {"x": 0.7})
    assert all(a.local is b.local for a, b in zip(first.steps, second.steps, strict=True))
    for sweep, x in ((first, 0.5), (second, 0.7)):
        _, g = sin_chain_reference(1501, x)
        assert close(sweep.adjoints["x"], g, rel=1e-9)
    # a graph collected leaves no entry behind; a new graph of the same program is swept afresh
    ref = weakref.ref(graph)
    del graph, first, second
    gc.collect()
    assert ref() is None
    other = symgrad.parse(program)
    again = derive_graph(other, {"x": 0.5})
    assert close(again.adjoints["x"], sin_chain_reference(1501, 0.5)[1], rel=1e-9)


def test_the_collector_thresholds_are_restored_after_symgrads_work(monkeypatch):
    """derive and compile run with Python's collector thresholds raised (collector.py); a
    program using symgrad gets its own back, also when the work fails."""
    import gc

    import pytest

    from symgrad.collector import THRESHOLD
    from symgrad.errors import SymgradError

    monkeypatch.setattr(gc, "set_threshold", gc.set_threshold)   # undone after the test
    before = gc.get_threshold()
    try:
        gc.set_threshold(900, 11, 12)
        d = symgrad.derive("x*y", at="x=2,y=3")
        assert d.gradients == {"x": 3.0, "y": 2.0}
        assert gc.get_threshold() == (900, 11, 12)
        symgrad.compile("x*y")
        assert gc.get_threshold() == (900, 11, 12)
        with pytest.raises(SymgradError):
            symgrad.derive("log(x)", at="x=-1")
        assert gc.get_threshold() == (900, 11, 12)
        seen, real = [], gc.set_threshold
        monkeypatch.setattr(gc, "set_threshold", lambda *t: (seen.append(t), real(*t))[1])
        symgrad.derive("x*y", at="x=2,y=3")
        assert seen[0] == tuple(max(a, b) for a, b in zip((900, 11, 12), THRESHOLD, strict=True))
        assert seen[-1] == (900, 11, 12)
    finally:
        monkeypatch.undo()
        gc.set_threshold(*before)
