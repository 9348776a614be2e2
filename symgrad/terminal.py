"""The terminal view of a derivation (``symgrad derive --format text``).

It reads the derivation it is given and never imports ``derivation.py`` (which calls it for
``str(d)``), so the two do not form an import cycle."""

import sys
import time
import unicodedata

from .exprsize import larger_than
from .functions import user_text
from .i18n import catalog_text, joined, langs_of, say

MAX_CLOSED_FORM = 160      # longer closed forms are left to the JSON view
PATH_EDGES = (MAX_CLOSED_FORM + 3) // 8   # 8k − 3 > MAX_CLOSED_FORM beyond this (see chain_text)
MAX_TITLE = 2000           # a longer title (a long program given as text): its first line
PROGRESS_MIN_ITEMS = 1000  # work on fewer gates than this never shows a progress line
PROGRESS_DELAY = 2.0       # seconds before a progress line appears (quick work never shows one)


def progress(items, total, what):
    """``items``, iterated with a progress line on stderr (tqdm) when stderr is a terminal and the
    work is long: it appears once the command has run PROGRESS_DELAY seconds (counted from when
    symgrad was imported, so that a run of several phases, each short, still says what it is
    doing) and is erased when done, so output piped or redirected, and normal-size models, look
    exactly as without it."""
    if total < PROGRESS_MIN_ITEMS or not sys.stderr.isatty():
        return items
    from tqdm import tqdm  # lazy: only long work on a terminal needs it (tqdm is a dependency)

    delay = max(0.0, PROGRESS_DELAY - (time.monotonic() - _STARTED))
    return tqdm(items, total=total, file=sys.stderr, unit="gate", leave=False, desc=what,
                delay=delay)


_STARTED = time.monotonic()     # about when the command started: symgrad imports this early


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


def width_of(text):
    """Columns ``text`` takes in a terminal: a Hangul syllable (East Asian wide) takes two."""
    text = str(text)
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text, indent, width=100, first=None):
    """``text`` broken at spaces into lines of at most ``width`` terminal cells, each after
    ``indent`` (the first after ``first``, default ``indent``). textwrap counts characters, and a
    Korean line would come out half again too wide. Linear: each word is measured once."""
    lines, words, used = [], [], 0          # the line being filled: its words and its cells
    for word in text.split(" "):
        lead = indent if lines or first is None else first
        cells = width_of(word)
        if words and len(lead) + used + 1 + cells > width:
            lines.append(lead + " ".join(words))
            words, used = [word], cells
        else:
            used += cells + (1 if words else 0)
            words.append(word)
    if words:
        lines.append((indent if lines or first is None else first) + " ".join(words))
    return lines


def _table(rows, header):
    widths = [max(width_of(r[i]) for r in rows + [header]) for i in range(len(header))]

    def fmt(r):
        cells = (str(c) + " " * (w - width_of(c)) for c, w in zip(r, widths, strict=True))
        return "  " + "  ".join(cells).rstrip()

    return [fmt(header)] + [fmt(r) for r in rows]


def words(key, langs, **fields):
    """The sentence ``key`` once per language, Korean first for both (as ``check`` writes)."""
    return [say(key, lang, **fields) for lang in langs]


def label(key, langs):
    """A heading or a column in the languages asked for, on one line (순전파 · Forward pass)."""
    return joined(say(key, lang) for lang in langs)


def format_derivation(d, lang="en"):
    """The derivation ``d`` as the terminal shows it, in ``lang``: "en", "ko" or "both"."""
    langs = langs_of(lang)
    out = d.output
    lines = []
    if d.model is not None:
        title = joined(catalog_text("title", d.model.id, d.model.title, la) for la in langs)
    else:
        title = title_line(d.target)
    lines.append(f"symgrad derive · {title}")
    if d.expanded and not larger_than(d.expression(), MAX_CLOSED_FORM) \
            and len(expr_text(d.expression())) <= MAX_CLOSED_FORM:
        lines.append(f"{out} = {expr_text(d.expression())}")
    point = ", ".join(f"{k} = {num(v)}" for k, v in d.point.items())
    for text in words("term_at", langs, point=point):
        lines += wrap(text, "   ", first="")
    lines.append("")

    lines.append(label("term_forward", langs))
    input_label = label("term_input", langs)
    rows = [(r.name, r.label if r.op != "input" else input_label,
             expr_text(r.expr) if r.op != "input" else "", num(r.value)) for r in d.forward]
    columns = zip(*(say("term_columns", lang).split("|") for lang in langs), strict=True)
    lines += _table(rows, tuple("/".join(dict.fromkeys(c)) for c in columns))   # 노드/node
    lines.append("")

    for text in words("term_backward", langs):
        lines += wrap(text, "  ", first="")
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
        for lang in langs:
            parts = " + ".join(say("term_from", lang, value=num(v), gate=g) for g, v in a.parts)
            lines += wrap(say("term_fanout", lang, node=a.node, count=len(a.parts),
                              grad=f"∂{out}/∂{a.node}", parts=parts, total=num(a.total)),
                          "      ", first="  ")
    lines.append("")

    lines.append(label("term_gradients", langs))
    for name in d.wrt:
        lines.append(f"  ∂{out}/∂{name} = {chain_text(d, name)}")
        gradient = d.symbolic_gradients[name]
        closed = "" if larger_than(gradient, MAX_CLOSED_FORM) else expr_text(gradient)
        if not closed or len(closed) > MAX_CLOSED_FORM:   # printing a huge form to drop it is slow
            closed = label("term_long_closed", langs)
        lines.append(f"      = {closed} = {num(d.gradients[name])}")
    for lang in langs if d.omitted else ():   # what is not written in the inputs, and why
        lines += wrap(d.omitted.sentence(lang), "  ")
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
