"""Derived gradients → readable, fast NumPy source.

:func:`compile` turns a target (anything :func:`symgrad.derive` accepts, or a
matrix model from :mod:`symgrad.matrix`) into a :class:`Compiled` function
``f(**arrays) -> (loss, grads)``.

The code is the reverse sweep itself, written out: one line per gate forward,
then, from the output back, one line per node's adjoint
``grad_<node> = Σ upstream × local`` with the local gradients taken from the
rule table (``rules.py`` for scalars, ``matrix/rules.py`` for matrices). Every
gate is a named variable, so a value used twice (H = σ(X·W1), the sigmoid's own
output in σ(1 − σ)) is computed once: the graph *is* the common-subexpression
elimination, and code generation stays linear in the size of the graph (no
expression is ever expanded into the inputs). A gradient that only passes
through (an add gate, a copy) becomes an alias, not a line.

Every primitive prints through :class:`NumpyCodePrinter` with the NumPy form of its record in
``rules.py`` (stable at ±1000, PyTorch's conventions at kinks), and its local gradients are the
record's, with the record's ``stable`` substitutions. ``log(sigmoid(z))`` is fused into
``−softplus(−z)``, and ``log(e^(s_k) / Σ e^(s_j))`` into ``s_k − logsumexp(s)`` with the
gradient ``[j = k] − softmax_j``. Gates that nothing computed reads any more (the e^s under such
a log) are left out.

Generated code stays linear: a value folded into its reader is bounded (MAX_FOLD_DEPTH gates,
MAX_FOLD_CHARS characters; a folded gradient MAX_FOLD_NODES nodes), and a sum of more than
MAX_TERMS terms (a gradient gathered from 3,000 gates) is written over several lines, so no line
is deep enough for Python's compiler to recurse out of its stack.

The generated source is registered with :mod:`linecache`, so
``inspect.getsource(f.function)`` and tracebacks show it; ``f.source`` is the
same text (``symgrad derive TARGET --format python`` prints it). Only code
symgrad writes is compiled: node names are checked to be plain identifiers,
and user text never reaches ``exec``.
"""

import sympy
from sympy.printing.precedence import precedence

from .backward import reverse_sweep
from .codegen import (
    BACKENDS,
    HELPERS,
    AdjointSymbol,
    Compiled,
    FoldedValue,
    LogSumExp,
    NumpyCodePrinter,
    adjoint_names,
    load_source,
    python_names,
)
from .collector import fewer_collections
from .errors import InputError
from .exprsize import tree_size
from .matrix.codegen import compile_matrix
from .names import check_wrt, split_names
from .rules import Sigmoid, rule_for
from .target import resolve
from .terminal import progress


@fewer_collections
def compile(target, wrt=None, backend="numpy", output=None, shapes=None):   # noqa: A001 (the API)
    """Compile the loss and the gradients of ``target`` with respect to ``wrt``.

    ``target``: an expression, a program, a file, a catalog id, a :class:`~symgrad.graph.Graph`, a
    matrix model (:class:`symgrad.matrix.MatrixModel`; catalog ids without a scalar program use
    theirs) or a :class:`~symgrad.target.Problem` already resolved.
    Scalar-symbol models broadcast over arrays of samples: the loss and every gradient have the
    broadcast shape of the inputs (one value per sample). Matrix models take arrays of their shapes.
    ``shapes``: input name -> shape, for a matrix program's inputs that it does not declare
    (``symgrad.compile("f = sum((X @ w - y)**2)", shapes={"X": (64, 3), "w": (3,), "y": (64,)})``).
    """
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r} (choose from {', '.join(BACKENDS)})")
    if backend == "jax":
        try:
            import jax.numpy  # noqa: F401  (an optional dependency: checked only when asked for)
        except ImportError:
            raise InputError("backend 'jax' needs JAX installed (pip install jax)") from None
    wrt = split_names(wrt)
    problem = resolve(target, output=output, verb="compiled", shapes=shapes)
    if problem.is_matrix:
        return compile_matrix(problem.model, wrt=wrt, backend=backend)
    graph = problem.graph
    order = graph.topological_order()
    inputs = [n for n in order if graph.nodes[n].is_input]
    if wrt is None:
        wrt = list(problem.wrt or inputs)
    check_wrt(wrt, order, graph.output, inputs, graph.nodes)
    title = problem.label if len(problem.label) <= 60 else problem.label[:57] + "..."
    source = graph_source(graph, wrt, order, backend=backend, title=title)
    function = load_source(source, "loss_and_grads")
    defaults = {k: v for k, v in problem.defaults.items() if k in inputs}
    return Compiled(function, source, inputs, list(wrt), graph.output, defaults, backend=backend)


# --- scalar graphs --------------------------------------------------------------------------------
def graph_source(graph, wrt, order=None, backend="numpy", title=""):
    """Module source of ``loss_and_grads(*inputs)`` for a scalar graph: forward gates, reverse
    sweep."""
    order = order or graph.topological_order()
    inputs = [n for n in order if graph.nodes[n].is_input]
    names = python_names(order)
    grad_names = adjoint_names(order, set(names.values()))
    printer = NumpyCodePrinter(names)
    fused = fused_log_sigmoids(graph, order)
    softmaxes = fused_log_softmaxes(graph, order)

    # Nodes whose adjoint is needed: the wrt nodes and everything computed from them.
    reach = set(wrt)
    for name in order:
        node = graph.nodes[name]
        if not node.is_input and any(a.name in reach for a in graph.arg_nodes(node)):
            reach.add(name)

    def code_locals(node):
        """(position, argument, local) of a gate as the code computes it: fused gates differentiate
        as the stable function they are computed as, the others by the table's stable form."""
        if node.name in fused:   # d log σ(z)/dz = 1 − σ(z); d log(1 − σ(z))/dz = −σ(z): no division
            sign, z, sig = fused[node.name]
            return [(0, z, 1 - sig.symbol if sign > 0 else -sig.symbol)]
        # d log softmax_k/d s_j = [j = k] − softmax_j, e^(s_j − s_k + out)
        if node.name in softmaxes:
            k, scores = softmaxes[node.name]
            return [(j, s, int(j == k) - sympy.exp(s - scores[k] + node.symbol))
                    for j, s in enumerate(scores)]
        locals_ = rule_for(node.op).code_locals(*node.args, out=node.symbol)
        return [(pos, arg, locals_[pos]) for pos, arg in node.differentiable_args()]

    sweep = list(reverse_sweep(graph, order, code_locals, within=reach))
    # How many backward steps read each gate's adjoint (one per edge out of it).
    readers = {gate.name: len(edges) for gate, edges in sweep}
    lines = ["# backward: grad_<node> = Σ over the gates reading it of upstream × local"]
    contributions = {graph.output: [sympy.S.One]}
    adjoint = {}
    backward_symbols = set()                           # node values the backward lines read

    def settle(name):
        """Write node ``name``'s adjoint (all its contributions are in); return its symbol or
        number."""
        total = _without_cancelling(sympy.Add, contributions.pop(name, []))
        if total.is_Symbol or total.is_Number:
            adjoint[name] = total           # a pass-through gradient is an alias, not a line
        elif (name not in wrt and readers.get(name, 0) == 1 and not total.is_Add
              and tree_size(total, MAX_FOLD_NODES) <= MAX_FOLD_NODES):
            # read by one step only: folded into that step (up to a size: a 10,000-gate chain
            # folded whole is one product of 10,000 factors, quadratic to build, too deep to run)
            adjoint[name] = total
        else:
            backward_symbols.update(total.free_symbols)
            lines.extend(assignment(grad_names[name], total, printer))
            adjoint[name] = AdjointSymbol(grad_names[name])
        return adjoint[name]

    for gate, edges in progress(sweep, len(sweep), "compiling the backward pass"):
        upstream = settle(gate.name)
        if upstream == 0:                          # nothing flows back through this gate
            continue
        for edge in edges:
            contributions.setdefault(edge.arg.name, []).append(
                _without_cancelling(sympy.Mul, [upstream, edge.local]))

    results = []
    for w in wrt:
        if w not in adjoint:
            settle(w)
        value = adjoint[w]
        backward_symbols.update(value.free_symbols)
        results.append((w, printer.doprint(value) if value.is_Number else printer._print(value)))
    lines = forward_lines(graph, order, fused, softmaxes, backward_symbols, printer, names) + lines
    return module_source(graph, wrt, inputs, names, lines, results, printer.helpers, backend,
                         title)


def _without_cancelling(op, terms):
    """``op(*terms)`` (sympy.Add or sympy.Mul), unevaluated where SymPy's automatic evaluation
    would cancel a node value away: ``n1*(1/n1)`` is 1 and ``n1*n2 - n1*n2`` is 0 to SymPy, but
    at n1 = inf (``log(exp(x))``, ``exp(x)*exp(-x)`` at x = 800) IEEE arithmetic, the
    step-by-step sweep and PyTorch all give nan there. Evaluation that keeps every symbol (2*x,
    a folded constant) is kept: it changes no number."""
    total = op(*terms)
    before = set().union(*(sympy.sympify(t).free_symbols for t in terms)) if terms else set()
    if total.free_symbols == before:
        return total
    return op(*terms, evaluate=False)


def module_source(graph, wrt, inputs, names, lines, results, helpers, backend, title):
    """The generated module: header, the helpers the code calls, and ``loss_and_grads`` with the
    ``lines`` of its body and its ``results`` ((name, code) per gradient)."""
    header = [f"# Generated by symgrad{' from ' + repr(title) if title else ''}: loss and "
              "gradients, broadcasting over arrays of samples.", BACKENDS[backend], ""]
    for helper in sorted(helpers) + ["_finish"]:
        header += [HELPERS[helper], ""]
    args = ", ".join(names[n] for n in inputs)
    doc = (f'    """{graph.output} and ∂{graph.output}/∂({", ".join(wrt)}), one value per sample '
           f'(the broadcast shape of the inputs)."""')
    body = ["def loss_and_grads(" + args + "):", doc] + ["    " + line for line in lines]
    shapes = ", ".join(f"np.shape({names[n]})" for n in inputs)
    body.append(f"    shape = np.broadcast_shapes({shapes})")
    body.append(f"    seen = {{{', '.join(f'id({names[n]})' for n in inputs)}}}")
    body.append(f"    value = _finish({names[graph.output]}, shape, seen)")
    items = ", ".join(f"{w!r}: _finish({code}, shape, seen)" for w, code in results)
    body.append(f"    return value, {{{items}}}")
    return "\n".join(header + body) + "\n"


MAX_FOLD_DEPTH = 12     # a chain of folded gates longer than this gets a line of its own
MAX_FOLD_NODES = 40     # a folded gradient larger than this (SymPy nodes) gets a line of its own
MAX_FOLD_CHARS = 2000   # a folded value longer than this (characters) gets a line of its own
MAX_TERMS = 100         # a sum or product of more terms is written over several lines


def assignment(var, expr, printer):
    """The lines computing ``var = expr``: one line, or, for a sum (product) of more than MAX_TERMS
    terms, a first line of MAX_TERMS terms and then ``var = var + …`` (``var * …``) lines of at
    most MAX_TERMS more. Python's compiler recurses once per operator of a line: a 3,000-term sum
    on one line is a RecursionError, so no generated line holds more than MAX_TERMS of them."""
    if not (expr.is_Add or expr.is_Mul) or len(expr.args) <= MAX_TERMS:
        return [f"{var} = {printer.doprint(expr)}"]
    op, join = (sympy.Add, " + ") if expr.is_Add else (sympy.Mul, "*")
    args = list(expr.args)
    lines = []
    for start in range(0, len(args), MAX_TERMS):
        part = printer.doprint(op(*args[start:start + MAX_TERMS], evaluate=False))
        if start == 0:
            lines.append(f"{var} = {part}")
        else:       # parenthesised: the part may begin with a minus sign or be a sum itself
            lines.append(f"{var} = {var}{join}({part})")
    return lines


def forward_lines(graph, order, fused, softmaxes, keep, printer, names):
    """One line per gate whose value is needed later; a gate read once, and only forward, is
    folded in.

    A value the backward pass reads (``keep``: σ's output in σ(1 − σ), the arguments of a product)
    or that two gates read gets its own line, so it is computed once. A value read once and then
    dead (w·x inside σ(w·x + b)) is written into its reader: the line reads like the formula and
    NumPy frees the temporary at once instead of holding one array per gate until the end.
    """
    exprs = {}
    for name in order:
        node = graph.nodes[name]
        if node.is_input:
            continue
        if name in fused:
            sign, z, _ = fused[name]
            exprs[name] = sympy.log(Sigmoid(sign * z), evaluate=False)
        elif name in softmaxes:
            k, scores = softmaxes[name]
            exprs[name] = scores[k] - LogSumExp(*scores)
        else:
            exprs[name] = node.expr
    # Gates that nothing live reads (the e^s and their sum under a fused log-softmax) are not
    # computed.
    live = {graph.output} | {n for n in exprs if graph.nodes[n].symbol in keep}
    for name in reversed(list(exprs)):
        if name in live:
            read = map(graph.node_of, exprs[name].free_symbols)
            live.update(n.name for n in read if n is not None)
    exprs = {n: e for n, e in exprs.items() if n in live}
    uses = {}           # symbol -> how many times the expressions read it (one walk of each)
    for expr in exprs.values():
        symbols = expr.free_symbols
        for sub in sympy.preorder_traversal(expr):
            if sub in symbols:
                uses[sub] = uses.get(sub, 0) + 1
    lines = ["# forward: one line per gate (values read once are folded into their reader)"]
    folded = {}
    depth = {}      # how many folded gates a folded value nests (Python refuses ~200 parentheses)
    for name, expr in progress(exprs.items(), len(exprs), "compiling the forward pass"):
        node = graph.nodes[name]
        inner = {s: folded[s] for s in expr.free_symbols if s in folded}
        if inner:
            expr = expr.xreplace(inner)
        nesting = 1 + max((depth[s] for s in inner), default=0)
        if (name != graph.output and node.symbol not in keep and uses.get(node.symbol, 0) <= 1
                and nesting <= MAX_FOLD_DEPTH):
            code = printer.doprint(expr)
            if len(code) <= MAX_FOLD_CHARS:
                # read once: folded into its reader; read never (1 − σ under a fused log): dropped
                folded[node.symbol] = FoldedValue(name, code, precedence(expr))
                depth[node.symbol] = nesting
                continue
        if expr.is_Number:
            # a constant gate (relu(-1), min(3, 0)) as a NumPy number: as a Python float,
            # a backward line such as 1.0/n1 raised ZeroDivisionError instead of giving inf
            lines.append(f"{names[name]} = np.float64({printer.doprint(expr)})")
            continue
        lines.extend(assignment(names[name], expr, printer))
    return lines


def fused_log_sigmoids(graph, order):
    """log gates reading σ(z) or 1 − σ(z): name -> (sign, z, σ node), computed as log σ(±z).

    Written as log(σ(z)) the value is −inf once σ(z) underflows (z ≲ −745) and the
    gradient divides by it; log σ(z) = −log(1 + e^(−z)) is exact, and its
    derivative 1 − σ(z) needs no division. log(1 − σ(z)) = log σ(−z) likewise.
    """
    fused = {}
    for name in order:
        node = graph.nodes[name]
        if node.op != "log":
            continue
        arg = graph.node_of(node.args[0])
        if arg is not None and arg.op == "sigmoid":
            fused[name] = (1, arg.args[0], arg)
        elif arg is not None and arg.op == "sub" and arg.args[0] == 1:
            sig = graph.node_of(arg.args[1])
            if sig is not None and sig.op == "sigmoid":
                fused[name] = (-1, sig.args[0], sig)
    return fused


def fused_log_softmaxes(graph, order):
    """log gates reading e^(s_k) / (e^(s_1) + … + e^(s_n)): name -> (k, [s_1, …, s_n]).

    Written out, e^s overflows for s ≳ 709 and the quotient becomes inf/inf; the same value is
    s_k − logsumexp(s), and its gradient [j = k] − softmax_j needs no e^s of a large s.
    """
    fused = {}
    for name in order:
        node = graph.nodes[name]
        quotient = graph.node_of(node.args[0]) if node.op == "log" else None
        if quotient is None or quotient.op != "div":
            continue
        top = graph.node_of(quotient.args[0])
        leaves, stack = [], [quotient.args[1]]
        # the denominator: a tree of add gates over exp gates
        while stack and leaves is not None:
            term = graph.node_of(stack.pop())
            if term is not None and term.op == "add":
                stack += reversed(term.args)
            elif term is not None and term.op == "exp":
                leaves.append(term)
            else:
                leaves = None
        if top is not None and top.op == "exp" and leaves and any(t is top for t in leaves):
            k = next(i for i, t in enumerate(leaves) if t is top)
            fused[name] = (k, [t.args[0] for t in leaves])
    return fused
