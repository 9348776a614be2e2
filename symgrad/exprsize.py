"""How big a SymPy expression is, found without printing or expanding it.

SymPy shares subexpressions: ``h + tanh(h)`` with ``h`` itself ``g + tanh(g)`` holds ``g`` once,
but written out (printed, walked by ``xreplace`` or ``preorder_traversal``) it appears twice, and
twenty such lines are a million nodes. The counts here walk each distinct subexpression once (the
DAG) and add up what writing it out would cost (the tree), so they stay linear in the DAG however
large the tree is; they stop growing at the limit they are given.
"""


def tree_size(expr, limit, leaf_sizes=None, memo=None):
    """Nodes of ``expr`` when written out (a repeated subtree counts each time), at most
    ``limit + 1``.

    ``leaf_sizes``: symbol -> the size of what it stands for (the expression a gate's symbol will
    be replaced by), so the size of a substitution is known before it is made. ``memo`` (filled
    here) can be shared between calls with the same ``limit`` and ``leaf_sizes``.
    Iterative, so a 10,000-deep chain does not hit Python's recursion limit.
    """
    cap = limit + 1
    # id -> (size, the object): the object is kept alive, so that its id is not reused
    memo = {} if memo is None else memo
    leaf_sizes = leaf_sizes or {}
    stack = [(expr, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            memo[id(node)] = (min(cap, 1 + sum(memo[id(a)][0] for a in node.args)), node)
            continue
        if id(node) in memo:
            continue
        args = getattr(node, "args", ())
        if not args:
            memo[id(node)] = (min(leaf_sizes.get(node, 1), cap), node)
            continue
        stack.append((node, True))
        stack.extend((a, False) for a in args if id(a) not in memo)
    return memo[id(expr)][0]


def larger_than(expr, limit, leaf_sizes=None):
    """Whether ``expr`` has more than ``limit`` nodes when written out (a repeated subtree counts
    each time), counted on the shared structure without printing or expanding anything."""
    return tree_size(expr, limit, leaf_sizes) > limit
