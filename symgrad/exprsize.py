"""How big a SymPy expression is, found without printing it."""

import sympy


def larger_than(expr, limit):
    """Whether ``expr`` has more than ``limit`` nodes when written out (a repeated subtree
    counts each time), found without printing it: stops counting at ``limit``."""
    return any(i >= limit for i, _ in enumerate(sympy.preorder_traversal(expr)))
