"""The one-line summary of a derivation, scalar or matrix: what ``repr`` shows (Jupyter, the REPL).

``Derivation('linear-mse', loss=1, gradients={w: -2})``: at most :data:`REPR_LIMIT` characters,
arrays written as their shapes (the dataclass repr would print the whole graph, or every array:
55,736 characters for mlp-2layer).
"""

import numpy as np

from .terminal import num

REPR_LIMIT = 2000           # characters: a repr longer than this is cut
SHOWN = 8                   # gradients listed by name


def short_repr(d):
    """The summary of ``d`` (a Derivation or a MatrixDerivation)."""
    def value(v):
        a = np.asarray(v)
        return num(float(a)) if a.ndim == 0 else f"<{'×'.join(map(str, a.shape))} array>"
    grads = ", ".join(f"{w}: {value(d.gradients[w])}" for w in d.wrt[:SHOWN])
    more = f", … {len(d.wrt) - SHOWN} more" if len(d.wrt) > SHOWN else ""
    target = " ".join(str(d.target).split())
    target = target if len(target) <= 60 else target[:60] + "…"
    text = (f"{type(d).__name__}({target!r}, {d.output}={value(d.value)}, "
            f"gradients={{{grads}{more}}})")
    return text if len(text) <= REPR_LIMIT else text[:REPR_LIMIT - 1] + "…"
