"""The architecture, checked: no import cycles among symgrad's modules (imports inside functions
count too), no module over 600 lines, and the layers import one way."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "symgrad"


def _modules():
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


def import_graph():
    """module -> the symgrad modules it imports anywhere in its text (functions included).

    ``from . import catalog`` is an edge to ``symgrad.catalog``, not to ``symgrad``: a name that is
    a submodule is the submodule."""
    mods = _modules()
    edges = {name: set() for name in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
                subs = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in mods]
                targets = subs if len(subs) == len(node.names) else subs + [module]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("symgrad"):
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("symgrad")]
            edges[name].update(t for t in targets if t in mods and t != name)
    return edges


def cycles(edges):
    """The strongly connected components with more than one module (iterative Tarjan)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_over_600_lines():
    long = {str(p): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}


def test_layers_import_one_way():
    """The engine never imports what presents it: no renderer, checker, trainer or CLI below."""
    edges = import_graph()
    presenters = ("symgrad.render", "symgrad.check", "symgrad.train", "symgrad.cli",
                  "symgrad.stepper")
    engine = ["symgrad.parse", "symgrad.graph", "symgrad.rules", "symgrad.backward",
              "symgrad.numeric", "symgrad.codegen", "symgrad.compile", "symgrad.derivation",
              "symgrad.terminal", "symgrad.target"]
    engine += [m for m in edges if m.startswith("symgrad.matrix")]
    wrong = {m: sorted(t for t in edges[m] if t.startswith(presenters)) for m in engine}
    assert {m: t for m, t in wrong.items() if t} == {}
    upward = ("symgrad.catalog", "symgrad.target")
    matrix_up = {m: sorted(t for t in edges[m] if t.startswith(upward))
                 for m in edges if m.startswith("symgrad.matrix")}
    assert {m: t for m, t in matrix_up.items() if t} == {}


def test_leaky_relu_is_named_in_the_primitive_table_only():
    named = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                   if "catalog" not in p.parts
                   and ("leaky_relu" in p.read_text(encoding="utf-8")
                        or "LeakyRelu" in p.read_text(encoding="utf-8")))
    assert len(named) <= 2, named


def test_no_function_over_80_lines_without_a_reason():
    """A function longer than 80 lines says why in a ``# long:`` comment in its first lines."""
    long = []
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1
                head = "\n".join(lines[node.lineno - 1: node.lineno + 8])
                if size > 80 and "# long:" not in head:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({size})")
    assert long == []
