"""target.resolve: what the user typed -> one Problem; the catalog is looked up once per command."""

import ast
from pathlib import Path

import pytest

import symgrad
from symgrad import catalog
from symgrad.cli import main
from symgrad.errors import InputError
from symgrad.graph import Graph
from symgrad.matrix import MatrixModel
from symgrad.parse import parse
from symgrad.target import MATRIX, SCALAR, Problem, resolve

PACKAGE = Path(symgrad.__file__).resolve().parent


@pytest.fixture
def lookups(monkeypatch):
    """The ids the catalog is asked for (``catalog.find_model`` is its one lookup function)."""
    asked = []
    real = catalog.find_model

    def counting(name):
        asked.append(name)
        return real(name)

    monkeypatch.setattr(catalog, "find_model", counting)
    return asked


# --- what each kind of target resolves to -------------------------------------------------------
def test_a_catalog_id_brings_its_entry_point_and_parameters():
    problem = resolve("linear-mse")
    assert problem.kind == SCALAR and not problem.is_matrix
    assert problem.entry is catalog.get_model("linear-mse") and problem.entry_id == "linear-mse"
    assert problem.defaults == {"x": 1.0, "y": 2.0, "w": 1.0}
    assert problem.wrt == ("w",) and problem.data_inputs == ("x", "y")
    assert problem.label == "linear-mse" and problem.output == "loss"
    assert isinstance(problem.graph, Graph) and problem.model is None


def test_expression_text_and_graphs_have_no_entry():
    problem = resolve("(x+y)*z")
    assert (problem.kind, problem.entry, problem.defaults, problem.wrt) == (SCALAR, None, {}, None)
    assert problem.label == "(x+y)*z"
    graph = parse("q = x + y\nf = q*z")
    assert resolve(graph).graph is graph


def test_a_program_file_is_read_once(tmp_path):
    path = tmp_path / "net.txt"
    path.write_text("s = w*x\nloss = (s - y)**2\n")
    problem = resolve(str(path), output="s")
    assert problem.label == str(path) and problem.output == "s"
    assert problem.with_output("loss").output == "loss"      # parsed again from the text read


def test_matrix_targets():
    only_matrix = resolve("mlp-2layer")
    assert only_matrix.kind == MATRIX and only_matrix.entry_id == "mlp-2layer"
    assert isinstance(only_matrix.model, MatrixModel) and only_matrix.wrt == ("w1", "w2")
    form = resolve("relu-2layer", matrix=True)
    assert form.kind == MATRIX and form.entry_id == "relu-2layer" and form.graph is None
    assert resolve("relu-2layer").kind == SCALAR
    model = form.model
    assert resolve(model).model is model and resolve(model).entry is None


def test_a_problem_passes_through_unchanged():
    problem = resolve("linear-mse")
    assert resolve(problem) is problem
    assert resolve(problem, output="s").output == "s"
    with pytest.raises(InputError, match="has no matrix form"):
        resolve(problem, matrix=True)


@pytest.mark.parametrize("target, matrix, words", [
    ("linear-mse", True, "has no matrix form"),
    ("x*y", True, "unknown model 'x*y'"),
    ("q = x\nf = q*2", True, "has no matrix form"),
    ("net-2-2-1", False, "did you mean"),
    (3.0, False, "not float"),
])
def test_refusals_are_one_line(target, matrix, words):
    with pytest.raises(InputError, match=words.replace("*", r"\*")):
        resolve(target, matrix=matrix)


def test_the_output_of_a_matrix_model_names_the_command():
    with pytest.raises(InputError, match="is trained for its output 'loss' only"):
        resolve("mlp-2layer", output="h", verb="trained")


def test_the_problem_is_frozen():
    with pytest.raises(AttributeError):
        resolve("linear-mse").label = "other"
    assert isinstance(resolve("linear-mse"), Problem)


# --- one catalog lookup per command --------------------------------------------------------------
@pytest.mark.parametrize("run", [
    lambda: symgrad.derive("linear-mse"),
    lambda: symgrad.derive("relu-2layer", matrix=True),
    lambda: symgrad.derive("mlp-2layer"),
    lambda: symgrad.compile("linear-mse"),
    lambda: symgrad.compile("mlp-2layer"),
    lambda: symgrad.train("linear-mse", steps=2),
    lambda: symgrad.train("relu-2layer", steps=2),
], ids=["derive", "derive-matrix", "derive-matrix-only", "compile", "compile-matrix", "train",
        "train-network"])
def test_one_catalog_lookup_per_call(lookups, run):
    run()
    assert len(lookups) == 1, lookups


@pytest.mark.parametrize("argv", [
    ["derive", "relu-2layer", "--matrix"],
    ["derive", "relu-2layer", "--matrix", "--format", "python"],
    ["derive", "linear-mse", "--format", "json"],
    ["train", "linear-mse", "--steps", "1"],
])
def test_one_catalog_lookup_per_command(lookups, argv, capsys):
    assert main(argv) == 0
    assert len(lookups) == 1, lookups


def test_text_that_cannot_be_an_id_is_not_looked_up(lookups):
    symgrad.derive("q = x*y\nf = q + 1", at="x=1,y=2")
    assert lookups == []


# --- layers: the matrix layer never imports the catalog (nor target, which does) ---------------
def _imported_modules(path):
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
            names.update("." * node.level + (node.module + "." if node.module else "") + a.name
                         for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "matrix").glob("*.py")), ids=lambda p: p.name)
def test_the_matrix_layer_does_not_import_the_catalog(path):
    bad = {n for n in _imported_modules(path)
           if n.lstrip(".").split(".")[0] in ("catalog", "target") or "symgrad.catalog" in n}
    assert not bad, f"{path.name} imports {bad}"
