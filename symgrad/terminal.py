"""The terminal view of a derivation (``symgrad derive --format text``).

It reads the derivation it is given and never imports ``derivation.py`` (which calls it for
``str(d)``), so the two do not form an import cycle."""

import sys
import textwrap

from .exprsize import larger_than
from .functions import user_text

MAX_CLOSED_FORM = 160      # longer closed forms are left to the JSON view
PATH_EDGES = (MAX_CLOSED_FORM + 3) // 8   # 8k − 3 > MAX_CLOSED_FORM beyond this (see chain_text)
MAX_TITLE = 2000           # a longer title (a long program given as text): its first line
PROGRESS_MIN_ITEMS = 1000  # work on fewer gates than this never shows a progress line
PROGRESS_DELAY = 2.0       # seconds before a progress line appears (quick work never shows one)


def progress(items, total, what):
    """``items``, iterated with a progress line on stderr (tqdm) when stderr is a terminal and the
    work is long: it appears only after PROGRESS_DELAY seconds and is erased when done, so
    output piped or redirected, and normal-size models, look exactly as without it."""
    if total < PROGRESS_MIN_ITEMS or not sys.stderr.isatty():
        return items
    from tqdm import tqdm  # lazy: only long work on a terminal needs it (tqdm is a dependency)

    return tqdm(items, total=total, file=sys.stderr, unit="gate", leave=False, desc=what,
                delay=PROGRESS_DELAY)


def num(v):
    """A number as the posts print it: up to 6 significant digits, no trailing zeros."""
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:.6g}"


def expr_text(e):
    return user_text(e)


def title_line(label):
    """A target's label on one line: a program given as text is its own label, so its first line
    stands for it, with the count of the others (not 10,000 lines in a title)."""
    first, *rest = label.splitlines() or [""]
    if not rest and len(first) <= MAX_TITLE:
        return first
    return f"{first[:MAX_CLOSED_FORM]} … ({1 + len(rest):,} lines)"


def _table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]

    def fmt(r):
        return "  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    return [fmt(header)] + [fmt(r) for r in rows]


def format_derivation(d):
    out = d.output
    lines = []
    title = d.model.title if d.model is not None else title_line(d.target)
    lines.append(f"symgrad derive · {title}")
    if d.expanded and not larger_than(d.expression(), MAX_CLOSED_FORM) \
            and len(expr_text(d.expression())) <= MAX_CLOSED_FORM:
        lines.append(f"{out} = {expr_text(d.expression())}")
    lines += textwrap.wrap("at " + ", ".join(f"{k} = {num(v)}" for k, v in d.point.items()),
                           width=100, subsequent_indent="   ")
    lines.append("")

    lines.append("Forward pass")
    rows = [(r.name, r.label, expr_text(r.expr) if r.op != "input" else "", num(r.value))
            for r in d.forward]
    lines += _table(rows, ("node", "gate", "expression", "value"))
    lines.append("")

    lines.append("Backward pass: downstream = upstream × local, from the output back to the inputs")
    lines.append(f"  ∂{out}/∂{out} = 1")
    current = None
    for s in progress(d.steps, len(d.steps), "writing the backward pass"):
        if s.gate != current:
            current = s.gate
            row = d.graph.nodes[s.gate]
            lines.append(f"  {row.label} gate  {s.gate} = {expr_text(row.expr)}   "
                         f"upstream ∂{out}/∂{s.gate} = {num(s.upstream)}")
        local = expr_text(s.local)
        local_part = f"{local} = {num(s.local_value)}" if local != num(s.local_value) else local
        lines.append(f"    → {s.input}: local ∂{s.gate}/∂{s.input} = {local_part};  "
                     f"{num(s.upstream)} × {num(s.local_value)} = {num(s.downstream)}")
    for a in d.accumulations:
        parts = " + ".join(f"{num(v)} (from {g})" for g, v in a.parts)
        lines.append(f"  {a.node} is used by {len(a.parts)} gates, so its gradients add: "
                     f"∂{out}/∂{a.node} = {parts} = {num(a.total)}")
    lines.append("")

    lines.append("Gradients")
    for name in d.wrt:
        lines.append(f"  ∂{out}/∂{name} = {chain_text(d, name)}")
        gradient = d.symbolic_gradients[name]
        closed = "" if larger_than(gradient, MAX_CLOSED_FORM) else expr_text(gradient)
        if not closed or len(closed) > MAX_CLOSED_FORM:   # printing a huge form to drop it is slow
            closed = "(a long closed form; see --format json)"
        lines.append(f"      = {closed} = {num(d.gradients[name])}")
    if d.omitted:         # what is not written in the inputs, and why (Derivation.omitted)
        lines += textwrap.wrap(d.omitted.sentence(), width=100, initial_indent="  ",
                               subsequent_indent="  ")
    return "\n".join(lines)


def chain_text(d, name):
    """The chain-rule product, path by path: ∂f/∂q · ∂q/∂x + …"""
    out = d.output
    if name == out:
        return "1"
    # a path of k edges writes k factors ∂b/∂a (5+ characters each) joined by " · ": more than
    # MAX_CLOSED_FORM characters from PATH_EDGES + 1 edges on, so longer paths are not listed
    paths = d.chain_paths(name, max_edges=PATH_EDGES)
    if paths is not None:
        if not paths:
            return "0"
        terms = []
        for path in paths:
            factors = [f"∂{path[i + 1]}/∂{path[i]}" for i in range(len(path) - 1)]
            terms.append(" · ".join(reversed(factors)))
        text = " + ".join(terms)
        if len(text) <= MAX_CLOSED_FORM:
            return text
    # many or long paths: one level of the chain rule, through the gates that read the name
    gates = list(dict.fromkeys(s.gate for s in d.steps_into(name)))
    return " + ".join(f"∂{out}/∂{g} · ∂{g}/∂{name}" for g in gates)
