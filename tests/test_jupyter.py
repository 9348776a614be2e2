"""Derivations in a notebook: a compact HTML card (summary, graph, gradients, the whole post
folded in <details>), the Markdown post kept, and a short repr. The notebook is executed for real
with nbclient and an IPython kernel (the test extra); skipped when they are missing unless
SYMGRAD_REQUIRE_TOOLS=1."""

import os
import re
from pathlib import Path

import pytest

import symgrad.render  # noqa: F401  (registers the views, as `import symgrad` does inside IPython)
from symgrad.derivation import derive

REQUIRED = os.environ.get("SYMGRAD_REQUIRE_TOOLS") == "1"
ROOT = Path(__file__).resolve().parent.parent


def test_reprs_are_short_and_say_what_the_derivation_is():
    for target, output, grads in (("circuit-xyz", "f", {"x": "-4", "y": "-4", "z": "3"}),
                                  ("mlp-2layer", "loss", {"w1": "<1000×100 array>",
                                                          "w2": "<100×10 array>"})):
        d = derive(target)
        text = repr(d)
        assert len(text) < 2000, len(text)
        assert f"{output}=" in text
        for name, shown in grads.items():
            assert f"{name}: {shown}" in text, text
    many = derive("net-2-2-2-1")
    assert len(repr(many)) < 2000 and "more" in repr(many)


def test_html_card_shows_summary_figure_and_gradients_and_folds_the_post():
    d = derive("circuit-xyz")
    card = d._repr_html_()
    visible, _, folded = card.partition("<details>")
    assert "<svg" in visible and "∂f/∂x" in visible and "<td>-4</td>" in visible
    assert "Backward pass" in folded and "<math" in folded
    assert len(visible) < len(folded)
    m = derive("mlp-2layer")
    card = m._repr_html_()
    visible, _, folded = card.partition("<details>")
    assert "shape (1000, 100)" in visible and "norm" in visible and "<math" in folded
    assert m._repr_markdown_().startswith("# ")


def test_notebook_shows_both_derivation_types(tmp_path):
    try:
        import nbclient
        import nbformat
    except ImportError:
        if REQUIRED:
            raise
        pytest.skip("nbclient/nbformat are not installed (pip install symgrad[test])")
    try:
        import ipykernel  # noqa: F401  (the kernel the notebook runs in)
    except ImportError:
        if REQUIRED:
            raise
        pytest.skip("ipykernel is not installed")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
                                  "import symgrad"),
        nbformat.v4.new_code_cell('symgrad.derive("circuit-xyz")'),
        nbformat.v4.new_code_cell('symgrad.derive("mlp-2layer")'),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    # "python3" is ipykernel's own kernel, run with this interpreter: it imports the symgrad
    # under test (the first cell puts this checkout first on the path).
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    for cell, kind in ((nb.cells[1], "Derivation"), (nb.cells[2], "MatrixDerivation")):
        outputs = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(outputs) == 1, cell.outputs
        data = outputs[0].data
        assert {"text/html", "text/markdown", "text/plain"} <= set(data), set(data)
        assert data["text/plain"].startswith(kind + "(") and len(data["text/plain"]) < 2000
        visible = data["text/html"].split("<details>", 1)[0]
        assert "∂" in visible and re.search(r"<table>.*</table>", visible, re.S)
