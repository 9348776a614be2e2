"""The data of a matrix-level document (:class:`~symgrad.matrix.derivation.MatrixDerivation`)."""

import re

import numpy as np

from ..matrix.sweep import latex_name as matrix_latex_name
from ..optimizers import sgd_step
from .context import learning_rate
from .escape import clean_math, tex_num, upright_names
from .korean import ro_particle
from .prose import Prose, description_of, errata_of, gate_label, title_of


def shape_tex(shape, lang="en"):
    """A shape as LaTeX: ``2 \\times 3``, or "scalar" (스칼라 in a Korean document)."""
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
        "description": description,
        "out_tex": out_tex, "value": tex_num(d.value),
        "shapes": [{"name_tex": latex_name(n), "shape": shape_tex(d.shapes[n], lang),
                    "role": "param" if n in d.wrt else "data"} for n in d.inputs],
        "forward": [{"name_tex": latex_name(r.name), "label": gate_label(r.label, prose.langs),
                     "formula": upright(r.formula.latex, d), "shape": shape_tex(r.shape, lang)}
                    for r in d.forward],
        "steps": [step_entry(d, s, out_tex) for s in d.steps],
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


def step_entry(d, s, out_tex):
    """One vector-Jacobian step: the gate, the input it sends to, the rule and the result."""
    return {"gate_tex": latex_name(s.gate), "input_tex": latex_name(s.input), "label": s.label,
            "rule": upright(s.rule.latex, d), "downstream": upright(s.downstream.latex, d),
            "upstream": partial_tex(out_tex, s.gate), "target": partial_tex(out_tex, s.input),
            "shared": s.input in d.accumulations}


def gradient_entry(d, w, out_tex):
    """One parameter's gradient: its formula, shape and norm at the point."""
    return {"name_tex": latex_name(w), "target": partial_tex(out_tex, w),
            "formula": upright(d.latex_formulas[w], d),
            "norm": tex_num(float(np.linalg.norm(d.gradients[w]))),
            "shape": shape_tex(np.shape(d.gradients[w]))}
