"""The one check of a ``wrt`` list against a graph's names (scalar graphs and matrix models)."""

from .errors import InputError


def check_wrt(wrt, names, output, inputs):
    """Refuse ``wrt`` names that are not nodes of the graph of ``output`` (one message everywhere)."""
    unknown = [w for w in wrt if w not in names]
    if unknown:
        raise InputError(f"cannot differentiate with respect to {', '.join(map(repr, unknown))}: "
                         f"not a name of the graph of {output!r} (inputs: {', '.join(inputs)})")
