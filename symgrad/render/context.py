"""The data of a scalar document: everything a template shows, as plain strings and lists.

Templates present this data; nothing here formats a whole document, and no template computes a
derivative (the numbers come from the :class:`~symgrad.derivation.Derivation`)."""

import math
import re

import sympy

from .. import figures
from ..backward import derive_graph
from ..errors import InputError, SymgradError
from ..optimizers import sgd_step
from .environment import strings
from .escape import clean_math, plain_line, tex_name, tex_num, upright_names
from .korean import ro_particle
from .linebreak import aligned_rows, display_math
from .prose import Prose, description_of, errata_of, title_of

DEFAULT_LR = 0.1
# An output named like this is a loss (the heading says "the model and the loss"); any other
# output (f, y) is called the model's output.
LOSS_NAME = re.compile(r"(?i)(loss|cost|err(or)?|[ELJR])(_?\d+)?")
CLOSED_FORM_LIMIT = 700      # longer closed forms (LaTeX characters) are not printed


def slug_of(d):
    if d.model is not None:
        return d.model.id
    if d.slug:              # Problem.slug: a program file's stem, not its whole path
        return d.slug
    slug = re.sub(r"[^a-z0-9]+", "-", str(d.target).lower()).strip("-")[:40].strip("-")
    return slug or "derivation"


class Maths:
    """LaTeX for the symbols and partial derivatives of one derivation."""

    def __init__(self, d):
        self.d = d
        self.names = {node.symbol: tex_name(name) for name, node in d.graph.nodes.items()}
        self.out = tex_name(d.output)

    def expr(self, e):
        return clean_math(sympy.latex(e, symbol_names=self.names))

    def gate(self, e):
        """A gate's own expression, its arguments in program order (``\\hat{y} - y``, not
        ``-y + \\hat{y}``)."""
        return clean_math(sympy.latex(e, symbol_names=self.names, order="none"))

    def name(self, n):
        return self.names[self.d.graph.nodes[n].symbol]

    def partial(self, top, bottom):
        return r"\frac{\partial " + self.name(top) + r"}{\partial " + self.name(bottom) + "}"


def learning_rate(model, lr=None):
    """The learning rate of the update step shown: the caller's, the catalog post's, else
    DEFAULT_LR.

    ``model`` is the catalog entry (or None); scalar and matrix documents both ask here.
    """
    if lr is not None:
        lr = float(lr)
        if not math.isfinite(lr) or lr <= 0:
            raise InputError(f"the learning rate must be a positive number, got {lr:g}")
        return lr
    model_lr = getattr(model, "learning_rate", None) if model is not None else None
    return float(model_lr) if model_lr else DEFAULT_LR


def forward_rows(d, m):
    """The forward pass, one row per node: name, gate glyph, its expression, its value."""
    rows = []
    for row in d.forward:
        is_input = row.op == "input"
        rows.append({
            "name": row.name, "name_tex": m.name(row.name), "label": row.label,
            "is_input": is_input,
            "glyph": "" if is_input else figures.gate_glyph(d.graph.nodes[row.name], d.graph),
            "expr_tex": "" if is_input else m.gate(row.expr), "value": tex_num(row.value),
        })
    return rows


def note_kind(node):
    """Which note explains a gate: its op, except a multiply by a constant (``s * -1``, the
    ``×-1`` gate), which scales the gradient instead of swapping two inputs."""
    if node.op == "mul" and sum(isinstance(a, sympy.Symbol) for a in node.args) == 1:
        return "mul_const"
    return node.op


def gate_entries(d, m):
    """The backward pass, one entry per gate with one item per input it sends a gradient to; each
    gate's note (``op_<op>`` in strings.json) is shown the first time its op appears."""
    graph = d.graph
    consumers = {}
    for s in d.steps:
        consumers.setdefault(s.input, set()).add(s.gate)
    gates, explained = [], set()
    for s in d.steps:
        if not gates or gates[-1]["name"] != s.gate:
            node = graph.nodes[s.gate]
            kind = note_kind(node)
            note = f"op_{kind}" if f"op_{kind}" in strings() and kind not in explained else ""
            explained.add(kind)
            gates.append({
                "name": s.gate, "name_tex": m.name(s.gate), "label": node.label, "op": node.op,
                "glyph": figures.gate_glyph(node, graph),
                "expr_tex": m.gate(node.expr), "value": tex_num(d.values[s.gate]),
                "upstream_tex": m.partial(d.output, s.gate), "upstream": tex_num(s.upstream),
                "is_output": s.gate == d.output, "items": [], "note": note,
            })
        local_tex = m.expr(s.local)
        local_value = tex_num(s.local_value)
        gates[-1]["items"].append({
            "input": s.input, "input_tex": m.name(s.input),
            "local_name": m.partial(s.gate, s.input),
            "local_tex": local_tex if local_tex != local_value else "",
            "local_value": local_value, "local_factor": tex_num(s.local_value, paren=True),
            "upstream_factor": tex_num(s.upstream, paren=True),
            "downstream": tex_num(s.downstream),
            "target_tex": m.partial(d.output, s.input),
            "shared": len(consumers.get(s.input, ())) > 1,
        })
    for g in gates:
        g["rows"] = aligned_rows(gate_equations(g))
    return gates


def gate_equations(gate):
    """Per item: the local gradient, then upstream × local = downstream."""
    equations = []
    for it in gate["items"]:
        local = (it["local_tex"] + " = " if it["local_tex"] else "") + it["local_value"]
        equations.append((it["local_name"], "=", local))
        product = gate["upstream_tex"] + r" \cdot " + it["local_name"]
        equations.append((product if it["shared"] else it["target_tex"], "=",
                          f"{product} = {it['upstream_factor']} \\cdot {it['local_factor']}"
                          f" = {it['downstream']}"))
    return equations


def accumulation_entries(d, m):
    """The nodes read by several gates: their gradients added, as a sum and a display block."""
    entries = [{
        "node": a.node, "node_tex": m.name(a.node), "count": len(a.parts),
        "target_tex": m.partial(d.output, a.node),
        "sum_tex": " + ".join(tex_num(v, paren=True) for _, v in a.parts),
        "gates": ", ".join(f"`{g}`" for g, _ in a.parts), "total": tex_num(a.total),
    } for a in d.accumulations]
    for a in entries:
        a["display"] = display_math(a["target_tex"], "=", f"{a['sum_tex']} = {a['total']}")
    return entries


def update_entries(d, m, lr):
    """One SGD step on the parameters (inputs among ``wrt``): the updates, and the output after the
    step (None when there are no parameters or the new point is outside the model's domain)."""
    graph = d.graph
    updates, after = [], None
    params = [w for w in d.wrt if graph.nodes[w].is_input]
    if params:
        point = dict(d.point)
        for w in params:
            new = sgd_step(d.point[w], d.gradients[w], lr)
            point[w] = new
            updates.append({"name": w, "name_tex": m.name(w), "old": tex_num(d.point[w]),
                            "grad": tex_num(d.gradients[w], paren=True), "new": tex_num(new),
                            "target_tex": m.partial(d.output, w)})
        try:
            after = tex_num(derive_graph(graph, point).values[d.output])
        except SymgradError:
            after = None
    rows = aligned_rows([(u["name_tex"], r"\leftarrow",
                          f"{u['name_tex']} - \\alpha \\cdot {u['target_tex']} = "
                          f"{u['old']} - {tex_num(lr)} \\cdot {u['grad']} = {u['new']}")
                         for u in updates])
    return updates, rows, after


# Above these sizes a document summarizes instead of growing unreadable (and slow): the graph is
# not drawn (its labels would be unreadable at any column width), the gate-by-gate steps are not
# written out, and the gradients show their values without the chain-rule rows. The catalog's
# largest model has 87 nodes and 30 gradients, so no catalog document is summarized.
DRAWN_NODES = 150
STEPPED_NODES = 300
DETAILED_GRADIENTS = 60
CURVE_NODES = 2000     # each point of the loss curve is a forward pass: 60+ passes of the graph


def drawn(d):
    """Whether the document draws the graph (and so can have the stepper, which walks it)."""
    return len(d.forward) <= DRAWN_NODES


def curve_drawn(d):
    """Whether the document may draw the loss curve (a larger graph: a sentence says why not)."""
    return len(d.forward) <= CURVE_NODES


def document_context(d, lang="en", fmt="md", lr=None):
    """Everything a template needs, as plain data (no template computes anything)."""
    m = Maths(d)
    prose = Prose(lang, fmt)
    lr = learning_rate(d.model, lr)
    model = d.model
    title = title_of(model, prose.langs) if model is not None else \
        plain_line(str(d.target).strip().splitlines()[0])[:80]
    expr_tex = m.expr(d.expression()) if d.expanded else ""
    if len(expr_tex) > CLOSED_FORM_LIMIT:
        expr_tex = ""
    updates, update_rows, after = update_entries(d, m, lr)
    point = reading_order(d)
    return {
        "anchors": {},          # the stepper's link placeholders (formats.py fills them)
        "title": title, "slug": slug_of(d), "lang": lang, "format": fmt, "langs": prose.langs,
        "say": prose.say, "head": prose.head, "text": prose.text,
        "model": model, "model_id": model.id if model is not None else "",
        "description": description_of(model, prose.langs) if model is not None else "",
        "seeds": ", ".join(model.seeds) if model is not None else "",
        "out": d.output, "out_tex": m.out, "value": tex_num(d.value),
        "model_head": "h_model" if LOSS_NAME.fullmatch(d.output) else "h_model_output",
        "expr_tex": expr_tex,
        "model_tex": display_math(m.out, "=", expr_tex) if expr_tex else "",
        "program": (model.program if model is not None else d.graph.source or "").strip(),
        "point": [{"name": k, "name_tex": m.name(k), "value": tex_num(v)}
                  for k, v in point.items()],
        "point_tex": point_block(m, point),
        "wrt": [{"name": w, "name_tex": m.name(w)} for w in d.wrt],
        "wrt_tex": ", ".join(f"${m.name(w)}$" for w in d.wrt),
        "forward": forward_rows(d, m),
        "gates": gate_entries(d, m) if len(d.forward) <= STEPPED_NODES else [],
        "accumulations": accumulation_entries(d, m) if len(d.forward) <= STEPPED_NODES else [],
        "gradients": [gradient_entry(d, m, name) if len(d.wrt) <= DETAILED_GRADIENTS
                      else value_entry(d, m, name) for name in d.wrt],
        "nodes": len(d.forward), "graph_drawn": drawn(d), "drawn_limit": DRAWN_NODES,
        "curve_omitted": not curve_drawn(d), "curve_limit": CURVE_NODES,
        "steps_omitted": len(d.forward) > STEPPED_NODES,
        "rows_omitted": len(d.wrt) > DETAILED_GRADIENTS,
        "closed_omitted": closed_omitted(d, m),
        "lr": tex_num(lr), "updates": updates, "update_rows": update_rows, "after": after,
        "after_ro": ro_particle(after) if after is not None else None,
        "matrix": matrix_entry(model),
        "footer": prose.footer(model.id if model is not None else "",
                               ", ".join(model.seeds) if model is not None else ""),
        "errata": errata_of(model, prose.langs) if model is not None else [],
    }


def reading_order(d):
    """The point in the order a reader expects: a catalog model's data inputs, then its parameters
    as the post numbers them (w1, w2, …), then anything else; otherwise the order of first use."""
    if d.model is None:
        return dict(d.point)
    first = [n for n in list(d.model.data_inputs) + list(d.model.params) if n in d.point]
    return {n: d.point[n] for n in first + [n for n in d.point if n not in first]}


POINT_ROW = 4         # assignments per line when the point is written out


def point_block(m, point):
    """``w = 1,\\quad x = 1`` — in an ``aligned`` block of several lines when there are many
    inputs."""
    items = [f"{m.name(k)} = {tex_num(v)}" for k, v in point.items()]
    rows = [r",\quad ".join(items[i:i + POINT_ROW]) for i in range(0, len(items), POINT_ROW)]
    if len(rows) <= 1:
        return rows[0] if rows else ""
    return "\\begin{aligned}\n" + " \\\\\n".join(f"&{row}" for row in rows) + "\n\\end{aligned}"


def gradient_entry(d, m, name):
    out = d.output
    entry = {"name": name, "name_tex": m.name(name), "target_tex": m.partial(out, name),
             "value": tex_num(d.gradients[name]), "chain": [], "numeric_chain": "", "closed": "",
             "closed_too_long": False, "independent": False}
    if name == out:
        entry["closed"] = "1"
        entry["rows"] = gradient_rows(entry)
        return entry
    paths = d.chain_paths(name)
    if paths == []:
        entry["independent"] = True
        entry["rows"] = []
        return entry
    if paths is not None:
        numeric_terms = []
        for path in paths:
            factors = [m.partial(path[i + 1], path[i]) for i in reversed(range(len(path) - 1))]
            entry["chain"].append(r" \cdot ".join(factors))
            values = [d.edge_local(path[i + 1], path[i]) for i in reversed(range(len(path) - 1))]
            numeric_terms.append(r" \cdot ".join(tex_num(v, paren=True) for v in values))
        entry["numeric_chain"] = " + ".join(numeric_terms)
    if name in d.omitted.closed_forms:
        # left out as too large (the section's sentence says so): what stands in for it is one
        # chain-rule level in the sweep's adjoint symbols (dh20_dh), which reads as nothing here
        entry["rows"] = gradient_rows(entry)
        return entry
    closed_tex = better_form(m, d.symbolic_gradients[name])
    if len(closed_tex) > CLOSED_FORM_LIMIT:
        entry["closed_too_long"] = True
    else:
        entry["closed"] = closed_tex if closed_tex != entry["value"] else ""
    entry["rows"] = gradient_rows(entry)
    return entry


OMITTED_NAMED = 3       # closed forms left out are named up to this many, then "and N more"


def closed_omitted(d, m):
    """The gradients section's sentence on the closed forms left out as too large to write in
    the inputs (``Derivation.omitted``): its key and fields, or None when none is."""
    omitted = d.omitted
    names = omitted.closed_forms
    if not names:
        return None
    shown = ", ".join(f"${m.partial(d.output, n)}$" for n in names[:OMITTED_NAMED])
    rest = len(names) - OMITTED_NAMED
    listed = {"en": shown + (f" and {rest} more" if rest > 0 else ""),
              "ko": shown + (f" 외 {rest}개" if rest > 0 else "")}
    many = len(names) > 1
    graph = omitted.nodes > omitted.symbolic_limit
    return {"key": "p_closed_omitted_graph" if graph else "p_closed_omitted_terms",
            "names": listed, "form": "forms" if many else "form", "is": "are" if many else "is",
            "each": "each" if many else "it", "n": omitted.nodes,
            # numbers as the document's other sentences write them ("1199 nodes")
            "limit": omitted.symbolic_limit if graph else omitted.closed_form_nodes}


def value_entry(d, m, name):
    """A gradient of a summarized document: its value only (no chain-rule rows)."""
    target, value = m.partial(d.output, name), tex_num(d.gradients[name])
    return {"name": name, "name_tex": m.name(name), "target_tex": target, "value": value,
            "chain": [], "numeric_chain": "", "closed": "", "closed_too_long": False,
            "independent": False, "rows": [f"{target} &= {value}"]}


TRY_OPS = 80             # larger closed forms are printed as the sweep built them
BETTER = 0.7             # a rewritten form is used when its LaTeX is at most this long


def better_form(m, closed):
    """The closed form's LaTeX, rewritten where a much shorter equal form exists: softmax's
    ``(−e^{−s1} + 1/Σe^{sj})·e^{s1}`` is ``e^{s1}/Σe^{sj} − 1`` (p1 − 1), the sigmoid's
    cross-entropy gradient ``−y(1 − σ) + (1 − y)σ``. A chain-rule product that is short already
    is left as it is (``2x(wx − y)`` stays factored); big expressions are not tried, and
    ``simplify`` is not used (0.4 s per small gradient: it would double the gallery's time)."""
    tex = m.expr(closed)
    ops = sympy.count_ops(closed)
    if ops > TRY_OPS:
        return tex
    candidates = [sympy.expand(closed), sympy.together(closed)]
    best = min((m.expr(c) for c in candidates), key=len)
    return best if len(best) <= BETTER * len(tex) else tex


def gradient_rows(entry):
    """The aligned rows of one gradient: the chain-rule paths (added), their numbers, the closed
    form, the value; long products are continued on further rows."""
    equations = [(entry["target_tex"] if i == 0 else "", "=" if i == 0 else "+", term)
                 for i, term in enumerate(entry["chain"])]
    for rhs in (entry["numeric_chain"], entry["closed"], entry["value"]):
        if rhs and not (equations and equations[-1][2] == rhs):        # no "= 1 = 1"
            equations.append(("" if equations else entry["target_tex"], "=", rhs))
    return aligned_rows(equations)


def matrix_entry(model):
    """The model's matrix form as LaTeX lines, when the catalog has one (else None)."""
    if model is None:
        return None
    form = model.matrix
    if form is None:
        return None
    equations = []
    for line in form.latex_lines():
        head, sep, tail = upright_names(clean_math(line), set(form.nodes)).partition(" = ")
        equations.append((head, "=", tail) if sep else (head, "", ""))
    return aligned_rows(equations + data_definitions(model, form))


DATA_SHOWN = 12         # a data array of the matrix form this small is written out


def data_definitions(model, form):
    """The matrix form's small data arrays that the scalar program has no name for (softmax-ce's
    one-hot ``Y``), as equations: a formula must not use a symbol the document never defines."""
    # Lazy: the matrix layer's LaTeX names are only needed for documents with a matrix form.
    from ..matrix.sweep import latex_name

    scalar_names = set(model.graph().nodes) if model.has_program else set()
    arrays = form.default_arrays()
    rows = []
    for name in form.inputs:
        value = arrays.get(name)
        if name in scalar_names or name in form.params or value is None or \
                value.size > DATA_SHOWN:
            continue
        body = r" \\ ".join(" & ".join(tex_num(v) for v in row) for row in value.reshape(
            value.shape[0] if value.ndim > 1 else 1, -1))
        rows.append((upright_names(latex_name(name), {name}), "=",
                     r"\begin{bmatrix}" + body + r"\end{bmatrix}"))
    return rows



def summary_latex(d):
    """The gradients of a derivation as one display-math block (Jupyter's ``_repr_latex_``)."""
    m = Maths(d)
    lines = []
    for name in d.wrt:
        entry = gradient_entry(d, m, name)
        rhs = (entry["closed"] + " = " if entry["closed"] else "") + entry["value"]
        lines.append(entry["target_tex"] + " &= " + rhs)
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n$$"
