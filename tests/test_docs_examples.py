"""The README and docs/*.md, executed: every example is run and its shown output compared.

Conventions for examples in README.md and docs/*.md (README's "Layout" section points here):

- A ```console block is a terminal session. A line starting with ``$ `` is a command (a line
  ending in ``\\`` continues on the next); the lines after it, up to the next ``$ `` line, are
  what it prints: stdout and stderr as one stream, as a terminal shows them. A command with no
  output lines under it is run and must succeed, but its output is not compared.
- In shown output, a line that is only ``...`` stands for any number of lines (none included),
  and ``...`` inside a line for any text on that line.
- The exit status must be 0, unless the command's trailing comment says ``exit N``
  (``$ symgrad check claims.toml   # exit 1: a claim fails``), or the output shown has a line
  starting ``symgrad: error:`` (then any status but 0 will do; ``exit N`` makes it exact).
- A ```python block with ``>>>`` prompts is a doctest (ELLIPSIS on); any other ```python block
  must run without raising. The Python blocks of one file share one namespace, in order, as
  the cells of a notebook do.
- A ```toml block with a ``[[claim]]`` is a claims file: every claim in it must hold.
- Other blocks (plain ```, ```json, ```text, ...) are not run: usage lines, file formats,
  output of commands not shown. The JSON schemas in README's "JSON schemas" section are checked
  against real output by the ``test_json_schema_*`` tests below. README's first block, the quick
  start, is run line by line by ``.ci/run``, not here.
- Not run, visibly: a command whose comment says ``not run: REASON``, or a Python block whose
  first line is ``# not run: REASON``. Keep them few (a network, a write outside the folder).
- A Python block whose first line is ``# excerpt of PATH`` shows code of the repository: it is
  not run, but its lines (after that one) must appear, in order and together, in PATH
  (indentation aside), so the excerpt cannot go stale.

How they run: each console block in a fresh temporary folder holding a copy of the repository's
``examples/``; commands go through ``bash -c`` with ``symgrad`` on PATH as a shim for
``python -m symgrad`` (this interpreter, this checkout on PYTHONPATH), ``MPLBACKEND=Agg``,
``COLUMNS=100``, stdin empty and stderr not a terminal (so no progress bar). Python blocks run
in this process, in such a folder too.

Normalisations, and only these: trailing whitespace on each line and trailing blank lines are
dropped; the temporary folder's path is written ``.``; terminal escape sequences and
carriage-return progress redraws are removed. symgrad prints no timings, so none are masked.

To see what the examples print now (to update a document):
    python tests/test_docs_examples.py --print README.md      (or docs/train.md, ...)
"""

import doctest
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import traceback
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
COMMAND_TIMEOUT = 120


# ----- reading the documents -----------------------------------------------------------------

@dataclass
class Command:
    line: int            # 1-based line of the `$ ` line in the document
    text: str            # the command, without the prompt
    expected: list       # the output lines shown under it (may be empty: not compared)
    exit_code: int = 0   # -1: any status but 0 (the output shown is an error)
    not_run: str = ""    # the reason, when marked "not run:"


@dataclass
class Block:
    path: Path
    line: int            # 1-based line of the opening fence
    lang: str
    text: str
    commands: list = field(default_factory=list)

    @property
    def where(self):
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def read_blocks(path):
    """The fenced code blocks of a Markdown file, with their language and first line."""
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(```+)\s*([\w+-]*)", lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(1), m.group(2), i + 1
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        block = Block(path, start, lang, "\n".join(body) + "\n")
        if lang == "console":
            block.commands = parse_console(body, start + 1)
        blocks.append(block)
    return blocks


def shell_comment(command):
    """The text after the first `#` that starts a shell comment (outside quotes), or ''."""
    quote = None
    for k, ch in enumerate(command):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (k == 0 or command[k - 1].isspace()):
            return command[k + 1:].strip()
    return ""


def parse_console(body, first_line):
    commands = []
    k = 0
    while k < len(body):
        if not body[k].startswith("$ "):
            k += 1     # text before the first prompt: not part of any command
            continue
        line, text = first_line + k, body[k][2:]
        while text.endswith("\\") and k + 1 < len(body):
            k += 1
            text = text[:-1] + " " + body[k].strip()
        k += 1
        expected = []
        while k < len(body) and not body[k].startswith("$ "):
            expected.append(body[k])
            k += 1
        while expected and not expected[-1].strip():
            expected.pop()
        comment = shell_comment(text)
        status = re.search(r"\bexit (\d+)\b", comment)
        reason = re.search(r"\bnot run:\s*(.*)", comment)
        shows_error = any(e.startswith("symgrad: error:") for e in expected)
        code = int(status.group(1)) if status else (-1 if shows_error else 0)
        commands.append(Command(line, text, expected, code,
                                reason.group(1).strip() if reason else ""))
    return commands


def runnable(block):
    if block.lang == "console":
        return bool(block.commands)
    if block.lang == "toml":
        return "[[claim]]" in block.text
    return block.lang == "python"


ALL_BLOCKS = [b for path in DOCS for b in read_blocks(path) if runnable(b)]


# ----- running -------------------------------------------------------------------------------

def make_workdir():
    """A fresh folder with a copy of examples/ and a `symgrad` shim; returns (folder, env)."""
    work = Path(tempfile.mkdtemp(prefix="symgrad-docs-"))
    shutil.copytree(ROOT / "examples", work / "examples")
    bindir = Path(tempfile.mkdtemp(prefix="symgrad-bin-"))
    shim = bindir / "symgrad"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m symgrad "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = dict(os.environ)
    env.update(PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}", MPLBACKEND="Agg",
               COLUMNS="100", PYTHONIOENCODING="utf-8",
               PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in
                                           [env.get("PYTHONPATH")] if p]))
    return work, bindir, env


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def normalise(text, work):
    text = ANSI.sub("", text)
    text = "\n".join(line.rpartition("\r")[2] for line in text.split("\n"))
    text = text.replace(str(work) + os.sep, "").replace(str(work), ".")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def run_command(command, work, env):
    proc = subprocess.run(["bash", "-c", command.text], cwd=work, env=env, text=True,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=COMMAND_TIMEOUT)
    return proc.returncode, normalise(proc.stdout, work)


def output_matches(expected, actual):
    parts = []
    for line in expected:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(p) for p in line.rstrip().split("...")) + r"\n")
    return re.fullmatch("".join(parts), "".join(f"{a}\n" for a in actual)) is not None


def status_ok(status, expected):
    return status != 0 if expected == -1 else status == expected


def expected_status(command):
    return "non-zero" if command.exit_code == -1 else command.exit_code


def console_failures(block):
    """Run a console block's commands in one folder; a readable message per failing command."""
    failures = []
    work, bindir, env = make_workdir()
    try:
        for command in block.commands:
            if command.not_run:
                continue
            where = f"{block.path.relative_to(ROOT)}:{command.line}"
            status, actual = run_command(command, work, env)
            if not status_ok(status, command.exit_code):
                failures.append(f"{where}: $ {command.text}\n  exit status {status}, expected "
                                f"{expected_status(command)}; it printed:\n"
                                + textwrap.indent("\n".join(actual), "    "))
            elif command.expected and not output_matches(command.expected, actual):
                failures.append(f"{where}: $ {command.text}\n  output differs\n"
                                + "  --- expected (in the document)\n"
                                + textwrap.indent("\n".join(command.expected), "    ")
                                + "\n  +++ got\n" + textwrap.indent("\n".join(actual), "    "))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(bindir, ignore_errors=True)
    return failures


class InFolder:
    """chdir into a fresh work folder for in-process Python examples, and back."""

    def __enter__(self):
        self.work, self.bindir, _ = make_workdir()
        self.old = os.getcwd()
        os.chdir(self.work)
        return self.work

    def __exit__(self, *exc):
        os.chdir(self.old)
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.rmtree(self.bindir, ignore_errors=True)


NAMESPACES = {}      # document path -> (its Python namespace, how many of its blocks have run)
FAILED_BEFORE = {}   # document path -> where its first failing Python block is


def python_blocks(path):
    return [b for b in ALL_BLOCKS if b.path == path and b.lang == "python"]


def not_run_reason(block):
    first = block.text.lstrip().splitlines()[0] if block.text.strip() else ""
    m = re.match(r"#\s*not run:\s*(.*)", first)
    return m.group(1).strip() if m else ""


def run_python(block, verbose=False):
    """Run one Python block (after the file's earlier ones); the failure text, or ''."""
    blocks = python_blocks(block.path)
    namespace, done = NAMESPACES.setdefault(block.path, ({"__name__": "__docs__"}, 0))
    message = ""
    for k in range(done, blocks.index(block) + 1):
        earlier = FAILED_BEFORE.get(block.path)
        message = _run_one_python(blocks[k], namespace, verbose)
        NAMESPACES[block.path] = (namespace, k + 1)
        if message and earlier:
            message = (f"(an earlier Python block of this file failed, {earlier}; its names may "
                       f"be missing here)\n{message}")
        if message:
            FAILED_BEFORE.setdefault(block.path, blocks[k].where)
    return message


def excerpt_source(block):
    """The file a ``# excerpt of PATH`` block quotes, or None."""
    first = block.text.lstrip().splitlines()[0] if block.text.strip() else ""
    m = re.match(r"#\s*excerpt of\s+(\S+)", first)
    return m.group(1) if m else None


def check_excerpt(block):
    """The excerpt's lines, dedented, appear together in the file it names."""
    lines = [ln.strip() for ln in block.text.strip().splitlines()[1:] if ln.strip()]
    source = [ln.strip() for ln in (ROOT / excerpt_source(block)).read_text(
        encoding="utf-8").splitlines() if ln.strip()]
    found = any(source[i:i + len(lines)] == lines for i in range(len(source)))
    return "" if found else (f"{block.where}: the excerpt is not in {excerpt_source(block)} "
                             f"(any more): update the document")


def _run_one_python(block, namespace, verbose):
    if not_run_reason(block):
        return ""
    if excerpt_source(block):
        return check_excerpt(block)
    with InFolder():
        if ">>>" in block.text:
            test = doctest.DocTestParser().get_doctest(block.text, namespace, block.where,
                                                        str(block.path), block.line)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS, verbose=verbose)
            out = io.StringIO()
            runner.run(test, out=out.write, clear_globs=False)
            return out.getvalue()
        try:
            code = compile("\n" * block.line + block.text, str(block.path), "exec")
            with redirect_stdout(io.StringIO()):
                exec(code, namespace)  # noqa: S102 - the document's own example code
        except Exception:
            return f"{block.where}: the example raised\n" + traceback.format_exc(limit=-3)
    return ""


def check_claims_block(block):
    from symgrad import check

    with InFolder() as work:
        path = work / "example.toml"
        path.write_text(block.text, encoding="utf-8")
        report = check(str(path))
        return "" if report.ok else f"{block.where}: a claim does not hold\n{report}"


# ----- the tests -----------------------------------------------------------------------------

def block_id(block):
    return f"{block.path.relative_to(ROOT)}:{block.line}:{block.lang}"


@pytest.fixture(scope="module")
def console_runs(request):
    """The selected console blocks, run side by side (each in its own folder) to keep this file
    fast: block -> the future of its failure messages."""
    selected = [item.callspec.params["block"] for item in request.session.items
                if getattr(item, "callspec", None) and item.originalname == "test_example"
                and item.callspec.params["block"].lang == "console"]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        yield {id(b): pool.submit(console_failures, b) for b in selected}


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=block_id)
def test_example(block, console_runs):
    if block.lang == "console":
        future = console_runs.get(id(block))
        failures = future.result() if future else console_failures(block)
        assert not failures, "\n\n".join(failures)
    elif block.lang == "python":
        if not_run_reason(block):
            pytest.skip(f"{block.where}: not run: {not_run_reason(block)}")
        message = run_python(block)
        assert not message, message
    else:
        message = check_claims_block(block)
        assert not message, message


def test_every_document_has_examples_found():
    """The extraction itself: the README's executed blocks are found, with their lines."""
    readme = [b for b in ALL_BLOCKS if b.path.name == "README.md"]
    assert any(b.lang == "console" and any("derive" in c.text for c in b.commands)
               for b in readme)
    assert any(b.lang == "python" and ">>>" in b.text for b in readme)
    text = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    for block in readme:
        assert text[block.line - 1].startswith("```")
        for command in block.commands:
            assert text[command.line - 1].startswith("$ ")


def test_not_run_markers_are_few_and_give_reasons():
    marked = [(b.where, c.text) for b in ALL_BLOCKS for c in b.commands if c.not_run]
    marked += [(b.where, "python") for b in ALL_BLOCKS if b.lang == "python"
               and not_run_reason(b)]
    assert len(marked) <= 5, marked


def test_the_matcher():
    assert output_matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert output_matches(["a", "...", "d"], ["a", "d"])
    assert output_matches(["x = ... done"], ["x = 3 of 4 done"])
    assert not output_matches(["a", "b"], ["a", "b", "c"])
    assert not output_matches(["a", "...", "d"], ["a", "b", "c"])
    assert not output_matches(["x(y)"], ["x y"])


# ----- the JSON schemas of README's "JSON schemas" section ----------------------------------

def readme_section(heading):
    """The text of README.md from a heading line to the next heading of any level."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#+ )", text, re.S | re.M)
    assert m, f"README.md has no section {heading!r}"
    return m.group(1)


def documented_keys(text):
    """The keys a schema sketch names, as a tree: {key: subtree or None}.

    The sketches are JSON-like: ``{"a": 1, "b": [{"c", "d"}], "e"}``. A quoted string directly
    inside ``{}``, after ``{`` or ``,``, is a key; its subtree is the first object in its value
    (through arrays). Unquoted keys (``{name: number}``) mean a map that is not checked."""
    def skip_string(k):
        k += 1
        while text[k] != '"':
            k += 2 if text[k] == "\\" else 1
        return k + 1

    def parse_object(k):      # text[k] == "{"; returns (tree or None, index after "}")
        tree, expect_key, current, unquoted, depth = {}, True, None, False, 0
        k += 1
        while text[k] != "}":
            ch = text[k]
            if ch == '"':
                end = skip_string(k)
                if expect_key:
                    current = text[k + 1:end - 1]
                    tree[current] = None
                expect_key = False
                k = end
            elif ch == "{":
                sub, k = parse_object(k)
                if current is not None and tree.get(current) is None:
                    tree[current] = sub
            else:
                depth += {"[": 1, "]": -1}.get(ch, 0)
                if ch == "," and depth == 0:     # a comma inside [...] separates values
                    expect_key = True
                elif expect_key and not ch.isspace():
                    unquoted = unquoted or ch.isalpha() or ch == "_"
                    expect_key = False
                k += 1
        return (None if unquoted and not tree else tree), k + 1

    return parse_object(text.index("{"))[0]


EMPTY = "an empty list"     # real output with no entry to compare (e.g. no accumulations)


def actual_keys(value, like):
    """The keys of real output, as deep as the documented tree ``like`` goes; the keys of a
    list's objects are the union over its items."""
    if isinstance(value, list):
        trees = [actual_keys(v, like) for v in value]
        trees = [t for t in trees if t not in (None, EMPTY)]
        return union(trees) if trees else (EMPTY if not value else None)
    if not isinstance(value, dict) or like is None:
        return None
    return {k: actual_keys(value[k], like.get(k)) if k in like else None for k in value}


def union(trees):
    merged = {}
    for tree in trees:
        for key, sub in tree.items():
            old = merged.get(key)
            if old in (None, EMPTY):
                merged[key] = sub
            elif sub not in (None, EMPTY):
                merged[key] = union([old, sub])
    return merged


def assert_keys(documented, actual, where):
    if actual == EMPTY:
        return
    assert documented is not None and actual is not None, (
        f"{where}: the document shows {'no object' if documented is None else 'an object'}, "
        f"the output has {'none' if actual is None else 'one'}")
    assert set(actual) == set(documented), (
        f"{where}: keys differ\n  documented, not in the output: "
        f"{sorted(set(documented) - set(actual))}\n  in the output, not documented: "
        f"{sorted(set(actual) - set(documented))}")
    for key, sub in documented.items():
        if sub is not None:
            assert_keys(sub, actual[key], f"{where}.{key}")


def cli_json(*argv):
    work, bindir, env = make_workdir()
    try:
        proc = subprocess.run([sys.executable, "-m", "symgrad", *argv], cwd=work, env=env,
                              text=True, capture_output=True, timeout=COMMAND_TIMEOUT)
        assert proc.returncode in (0, 1), proc.stderr
        return json.loads(proc.stdout)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(bindir, ignore_errors=True)


def schema_blocks(heading):
    """The code blocks of a README section, as (language, text)."""
    section = readme_section(heading)
    return re.findall(r"^ *```(\w*)\n(.*?)^ *```", section, re.S | re.M)


def sample_agrees(sample, actual, where):
    """Every value a JSON sample shows is the real one ("..." ends a list or stands for a value)."""
    if sample == "...":
        return
    if isinstance(sample, dict):
        assert isinstance(actual, dict), where
        for key, value in sample.items():
            assert key in actual, f"{where}: no key {key!r} in the output"
            sample_agrees(value, actual[key], f"{where}.{key}")
    elif isinstance(sample, list):
        assert isinstance(actual, list), where
        shown = sample[:-1] if sample and sample[-1] == "..." else sample
        if len(shown) == len(sample):
            assert len(actual) == len(sample), f"{where}: {len(actual)} items, sample {sample}"
        for k, value in enumerate(shown):
            sample_agrees(value, actual[k], f"{where}[{k}]")
    elif isinstance(sample, float) and isinstance(actual, float):
        assert abs(sample - actual) <= 1e-9 * max(1.0, abs(actual)), (where, sample, actual)
    else:
        assert sample == actual, f"{where}: the sample shows {sample!r}, the output has {actual!r}"


def test_json_schema_derive_scalar():
    (lang, text), *rest = schema_blocks("`derive --format json`")
    sample = json.loads(text)
    actual = cli_json("derive", sample["target"], "--at", "x=-2,y=5,z=-4", "--format", "json")
    assert_keys(documented_keys(text), actual_keys(actual, documented_keys(text)),
                "derive --format json")
    sample_agrees(sample, actual, "derive --format json")
    fanout = cli_json("derive", "x*y + x", "--at", "x=2,y=3", "--format", "json")
    entry = documented_keys(rest[0][1])
    assert_keys(entry, actual_keys(fanout["accumulations"], entry), "accumulations[0]")


def test_json_schema_derive_matrix():
    text = next(t for lang, t in schema_blocks("`derive --format json`") if '"level"' in t)
    actual = cli_json("derive", "mlp-2layer", "--format", "json")
    assert_keys(documented_keys(text), actual_keys(actual, documented_keys(text)),
                "derive mlp-2layer --format json")


def test_json_schema_list():
    (_, text), = schema_blocks("`list --format json`")
    actual = cli_json("list", "--format", "json")
    assert isinstance(actual, list)
    tree = documented_keys(text)
    for entry in actual:
        assert_keys(tree, actual_keys(entry, tree), f"list --format json, {entry['id']}")
    assert_keys(tree, actual_keys(actual, tree), "list --format json, all models")
    assert any(entry["errata"] for entry in actual)


def test_json_schema_train():
    (_, text), = schema_blocks("`train --format json`")
    sample = json.loads(text)
    s = sample["settings"]
    actual = cli_json("train", s["target"], "--data", s["data"], "--params", ",".join(s["params"]),
                      "--lr", str(s["lr"]), "--steps", str(s["steps"]), "--format", "json")
    assert_keys(documented_keys(text), actual_keys(actual, documented_keys(text)),
                "train --format json")
    sample_agrees(sample, actual, "train --format json")


def test_json_schema_check():
    (_, claims), (_, grad) = schema_blocks("`check --format json`")
    actual = cli_json("check", "examples/claims/homework_sigmoid_neuron.toml", "--format", "json")
    assert_keys(documented_keys(claims), actual_keys(actual, documented_keys(claims)),
                "check --format json")
    actual = cli_json("check", "--gradcheck", "sigmoid(x*y)", "--at", "x=0.3,y=-1.2",
                      "--format", "json")
    assert_keys(documented_keys(grad), actual_keys(actual, documented_keys(grad)),
                "check --gradcheck --format json")


def test_the_schema_reader():
    tree = documented_keys('{"a": 1, "b": [{"c", "d": {x: 1}}], "e": "v"|"w", "f": ["g", "h"]}')
    assert tree == {"a": None, "b": {"c": None, "d": None}, "e": None, "f": None}


# ----- printing what the examples print now ---------------------------------------------------

def print_document(path):
    """Each runnable example of one document with what it prints now, ready to paste."""
    for block in [b for b in ALL_BLOCKS if b.path == path]:
        print(f"=== {block.where} ({block.lang})")
        if block.lang == "console":
            work, bindir, env = make_workdir()
            try:
                print("```console")
                for command in block.commands:
                    print(f"$ {command.text}")
                    if command.not_run:
                        continue
                    status, actual = run_command(command, work, env)
                    print("\n".join(actual))
                    if not status_ok(status, command.exit_code):
                        print(f"[exit status {status}, the document expects "
                              f"{expected_status(command)}]")
                print("```")
            finally:
                shutil.rmtree(work, ignore_errors=True)
                shutil.rmtree(bindir, ignore_errors=True)
        elif block.lang == "python":
            message = run_python(block, verbose=">>>" in block.text)
            print(message or "(ran without error)")
        else:
            print(check_claims_block(block) or "(every claim holds)")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--print":
        sys.exit("usage: python tests/test_docs_examples.py --print README.md|docs/FILE.md")
    sys.path.insert(0, str(ROOT))
    print_document((Path.cwd() / sys.argv[2]).resolve())
