"""The data of a matrix-level document (:class:`~symgrad.matrix.derivation.MatrixDerivation`)."""

import re

import numpy as np

from ..derivation import derive
from ..i18n import gate_label
from ..matrix.dimensions import dimension_checks
from ..matrix.expand import scalar_point, scalar_program
from ..matrix.program import parse_matrix
from ..matrix.sweep import latex_name as matrix_latex_name
from ..optimizers import sgd_step
from .context import learning_rate
from .escape import clean_math, prose_to_tex, tex_num, upright_names
from .korean import ro_particle
from .prose import Prose, description_of, errata_of, title_of

SMALL = 64            # an array with at most this many entries is written out in full
CHAIN_ENTRIES = 200   # a model with at most this many scalar entries shows one entry's chain
CHAIN_PATHS = 6       # at most this many paths of that chain are written out


def shape_tex(shape, lang="en"):
    """A shape as LaTeX: ``2 \\times 3``, ``(3,)`` for a vector as NumPy writes it, or "scalar"
    (스칼라 in a Korean document)."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    if shape:
        return r" \times ".join(map(str, shape))
    return r"\text{스칼라}" if lang == "ko" else r"\text{scalar}"


def latex_name(name):
    """A name as the scalar documents write it: the matrix layer's LaTeX, with a name of several
    letters (``loss``) upright, not in italics as a product of letters."""
    tex = matrix_latex_name(name)
    return rf"\mathrm{{{tex}}}" if re.fullmatch(r"[A-Za-z]{2,}", tex) else tex


def upright(latex, d):
    """The matrix layer's LaTeX with the derivation's several-letter names upright."""
    return upright_names(clean_math(latex), set(d.shapes))


def partial_tex(out_tex, name):
    """∂out/∂name in LaTeX, with the matrix layer's names."""
    return r"\frac{\partial " + out_tex + r"}{\partial " + latex_name(name) + "}"


def output_after_step(d, params, lr):
    """The output after one SGD step on ``params`` (the compiled model run at the moved point), as
    LaTeX; None without parameters."""
    if not params:
        return None
    arrays = {k: np.asarray(v, dtype=float) for k, v in d.arrays.items()}
    moved = dict(arrays)
    for w in params:
        moved[w] = sgd_step(arrays[w], np.asarray(d.gradients[w], dtype=float), lr)
    return tex_num(d.compiled(**{n: moved[n] for n in d.compiled.inputs})[0])


def matrix_context(d, lang, fmt, lr=None):
    """The data of a document for a :class:`~symgrad.matrix.derivation.MatrixDerivation`."""
    prose = Prose(lang, fmt)
    model = d.catalog
    lr = learning_rate(model, lr)
    out_tex = latex_name(d.output)
    params = [w for w in d.wrt if w in d.arrays]
    after = output_after_step(d, params, lr)
    description = description_of(model, prose.langs) if model is not None else \
        getattr(d.model, "description", "")
    return {
        "anchors": {},          # the stepper's link placeholders (formats.py fills them)
        "title": title_of(model, prose.langs) if model is not None else d.model.name,
        "slug": model.id if model else d.model.name,
        "lang": lang, "format": fmt, "langs": prose.langs, "say": prose.say, "head": prose.head,
        "text": prose.text, "model_id": model.id if model is not None else "",
        "seeds": ", ".join(model.seeds) if model is not None else "",
        "description": description, "program": program_text(d),
        "out_tex": out_tex, "value": tex_num(d.value), "where": where_computed(d, prose),
        "shapes": [{"name_tex": latex_name(n), "shape": shape_tex(d.shapes[n], lang),
                    "role": "param" if n in d.wrt else "data"} for n in d.inputs],
        "forward": [{"name_tex": latex_name(r.name), "label": gate_label(r.label, prose.langs),
                     "formula": upright(r.formula.latex, d), "shape": shape_tex(r.shape, lang)}
                    for r in d.forward],
        "steps": [step_entry(d, s, out_tex, check, prose)
                  for s, check in zip(d.steps, checks_for(d, prose), strict=True)],
        "values": [value_entry(n, d.arrays[n]) for n in d.inputs],
        "gradient_values": [value_entry(w, d.gradients[w], partial_tex(out_tex, w))
                            for w in d.wrt],
        "chain": scalar_chain(d, out_tex, prose),
        "accumulations": [{"node_tex": latex_name(n), "gates": ", ".join(f"`{g}`" for g in gates),
                           "count": len(gates)} for n, gates in d.accumulations.items()],
        "gradients": [gradient_entry(d, w, out_tex) for w in d.wrt],
        "lr": tex_num(lr),
        "updates": [{"name_tex": latex_name(w), "target": partial_tex(out_tex, w)} for w in params],
        "after": after, "after_ro": ro_particle(after) if after is not None else None,
        "footer": prose.footer(model.id if model is not None else "",
                               ", ".join(model.seeds) if model is not None else ""),
        "errata": errata_of(model, prose.langs) if model is not None else [],
    }


def program_text(d):
    """The program the document shows: the user's text (comments and declarations as typed), or
    a catalog model's matrix form as a program; "" when there is none. The catalog's text
    declares its default shapes: it is shown only when the derivation has those shapes (arrays
    of other shapes given with --at would make its declarations wrong)."""
    if d.program:
        return d.program.strip()
    text = getattr(d.catalog, "matrix_program", None) if d.catalog is not None else None
    if not text:
        return ""
    declared = parse_matrix(text).shapes
    same = all(tuple(declared.get(n, ())) == tuple(d.shapes[n]) for n in d.inputs)
    return text.strip() if same else ""


def where_computed(d, prose):
    """Per language: the arrays the numbers are computed at (defaults, given, or drawn)."""
    drawn = d.drawn
    if d.model.defaults is not None:
        partial = d.given and len(d.given) < len(d.inputs)
        key = "matrix_where_partial" if partial else \
            "matrix_where_given" if d.given else "matrix_where_default"
    elif not drawn:
        key = "matrix_where_given"
    else:
        key = "matrix_where_drawn" if len(drawn) == len(d.inputs) else "matrix_where_mixed"
    names = ", ".join(f"${upright(latex_name(n), d)}$" for n in drawn)
    return {lang: prose.raw(key, lang, names=names) for lang in prose.langs}


def checks_for(d, prose):
    """The dimension checks of the steps, with the documents' names (upright when long)."""
    return dimension_checks(d, name_tex=lambda n: upright(latex_name(n), d))


def in_format(text, prose):
    return prose_to_tex(text) if prose.fmt == "tex" else text


def step_entry(d, s, out_tex, check, prose):
    """One vector-Jacobian step: the gate, the input it sends to, the rule, the result and the
    dimension check (one paragraph per language)."""
    return {"gate_tex": latex_name(s.gate), "input_tex": latex_name(s.input), "label": s.label,
            "rule": upright(s.rule.latex, d), "downstream": upright(s.downstream.latex, d),
            "upstream": partial_tex(out_tex, s.gate), "target": partial_tex(out_tex, s.input),
            "shared": s.input in d.accumulations,
            "check": "\n\n".join(in_format(check.sentence(lang, math=True), prose)
                                   for lang in prose.langs)}


def array_tex(a):
    """A small array as a LaTeX bmatrix (a vector as a column, as the products read it), a
    number as itself; None for an array of more than SMALL entries."""
    a = np.asarray(a, dtype=float)
    if a.size > SMALL:
        return None
    if a.ndim == 0:
        return tex_num(float(a))
    rows = a.reshape(-1, 1) if a.ndim == 1 else a.reshape(a.shape[0], -1)
    body = r" \\ ".join(" & ".join(tex_num(v) for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def value_entry(name, a, head=None):
    """An input or a gradient at the point: written out, or its shape and norm."""
    a = np.asarray(a, dtype=float)
    return {"head": head or latex_name(name), "tex": array_tex(a), "shape": shape_tex(a.shape),
            "norm": tex_num(float(np.linalg.norm(a)))}


def gradient_entry(d, w, out_tex):
    """One parameter's gradient: its formula, shape and norm at the point."""
    return {"name_tex": latex_name(w), "target": partial_tex(out_tex, w),
            "formula": upright(d.latex_formulas[w], d),
            "norm": tex_num(float(np.linalg.norm(d.gradients[w]))),
            "shape": shape_tex(np.shape(d.gradients[w]))}


def _entry_tex(entry, where):
    """A scalar entry (``W1_0_1``) of the expansion as the matrix layer's name with its index:
    W_{1}[0,1]."""
    node, index = where[entry]
    return latex_name(node) + (f"[{','.join(map(str, index))}]" if index else "")


def scalar_chain(d, out_tex, prose):
    """For a model of at most CHAIN_ENTRIES scalar entries: one entry of the first parameter
    derived by the scalar engine on the entry-by-entry expansion (matrix/expand.py), which knows
    nothing of the matrix rules, with its chain of local gradients and the matrix formula's value
    at that entry. None for a larger model (or without a parameter)."""
    model = d.model
    if not d.wrt or sum(int(np.prod(model.nodes[n].shape)) for n in d.sweep.order) > CHAIN_ENTRIES:
        return None
    w = d.wrt[0]
    shape = np.shape(d.gradients[w])
    if not model.nodes[w].is_input or 0 in shape:
        return None
    index = tuple(min(1, n - 1) if i == len(shape) - 1 else 0 for i, n in enumerate(shape))
    program, entries = scalar_program(model)
    where = {str(e): (node, idx) for node, arr in entries.items()
             for idx, e in np.ndenumerate(np.asarray(arr, dtype=object))}
    entry = str(np.asarray(entries[w], dtype=object)[index])
    output = str(np.asarray(entries[model.output], dtype=object).ravel()[0])
    sd = derive(program, at=scalar_point(model, d.arrays), wrt=[entry], output=output)
    paths = sd.chain_paths(entry) or []
    terms = []
    for path in paths[:CHAIN_PATHS]:
        factors = sd.named_factors(path)[::-1]
        terms.append({"symbols": r" \cdot ".join(
            rf"\frac{{\partial {_entry_tex(b, where)}}}{{\partial {_entry_tex(a, where)}}}"
            for a, b, _ in factors),
            "numbers": r" \cdot ".join(tex_num(v, paren=True) for _, _, v in factors)})
    value = float(sd.gradients[entry])
    matrix_value = float(np.asarray(d.gradients[w])[index])
    index_text = "(" + ", ".join(map(str, index)) + ")"
    target = "$" + partial_tex(out_tex, w) + "$"
    key = "p_chain_equal" if np.isclose(value, matrix_value, rtol=1e-9, atol=1e-12) else \
        "p_chain_differ"
    return {"entry_tex": _entry_tex(entry, where), "terms": terms, "paths": len(paths),
            "more": len(paths) > CHAIN_PATHS, "value": tex_num(value),
            "lhs": rf"\frac{{\partial {out_tex}}}{{\partial {_entry_tex(entry, where)}}}",
            "intro": prose.say("p_chain", entry="$" + _entry_tex(entry, where) + "$",
                               out="$" + out_tex + "$", count=len(paths)),
            "verdict": prose.say(key, value="$" + tex_num(value) + "$", index=index_text,
                                 target=target, matrix="$" + tex_num(matrix_value) + "$")}
