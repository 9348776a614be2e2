"""``derive_matrix``: a matrix model at given arrays → :class:`MatrixDerivation`.

The derivation holds the matrix formulas (one per parameter, and the step list
of the sweep) and the numbers: the loss and each gradient at the arrays,
computed by the compiled code of the same sweep.
"""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..i18n import gate_label, langs_of, say
from ..jsonout import dumps, json_number
from ..names import split_names
from ..summary import short_repr
from ..terminal import label, progress, title_line, words, wrap
from .codegen import compile_matrix
from .dimensions import dimension_checks
from .domain import domain_error
from .sweep import latex_name, reverse_sweep

SMALL = 64          # arrays with at most this many entries are written out in JSON and text

# Jupyter's views of a MatrixDerivation ("markdown", "html", "repr"), registered by the render
# package when it is imported: this module never imports the renderers.
JUPYTER_VIEWS = {}


@dataclass
class MatrixDerivation:
    model: object                     # the MatrixModel
    arrays: dict                      # input -> ndarray (the point)
    wrt: list
    sweep: object = field(repr=False)
    value: float = 0.0
    gradients: dict = field(default_factory=dict)     # name -> ndarray
    compiled: object = field(default=None, repr=False)
    target: str = ""
    catalog: object = None            # the catalog Model, when the target was an id
    given: tuple = ()                 # the inputs whose values the user gave (the rest: defaults)
    program: str = ""                 # the user's program text, comments and all (for documents)
    path: str = None                  # the program file the target named, if it named one

    def _repr_markdown_(self):
        view = JUPYTER_VIEWS.get("markdown")
        return view(self) if view is not None else None

    def _repr_html_(self):
        view = JUPYTER_VIEWS.get("html")
        return view(self) if view is not None else None

    def __repr__(self):
        return short_repr(self)        # the dataclass repr would print every array

    @property
    def drawn(self):
        """Inputs of a model without default arrays that got none from the user: their values
        are drawn at random (standard normal, seed 0), and the documents say so."""
        if self.model.defaults is not None:
            return []
        return [n for n in self.inputs if n not in self.given]

    @property
    def output(self):
        return self.model.output

    @property
    def shapes(self):
        return self.model.shapes

    @property
    def forward(self):
        return self.sweep.forward

    @property
    def steps(self):
        return self.sweep.steps

    @property
    def inputs(self):
        return [n for n in self.sweep.order if self.model.nodes[n].is_input]

    @property
    def formulas(self):
        """name -> ∂L/∂name as one matrix formula (plain text), for each name of ``wrt``."""
        return {w: self.sweep.inlined[w].text for w in self.wrt}

    @property
    def latex_formulas(self):
        return {w: self.sweep.inlined[w].latex for w in self.wrt}

    @property
    def accumulations(self):
        """Nodes that receive gradient from more than one gate (the contributions add)."""
        return {n: gates for n, gates in self.sweep.parts.items() if len(gates) > 1}

    @property
    def dimension_checks(self):
        """One :class:`~symgrad.matrix.dimensions.DimensionCheck` per backward step: why its
        product has the order it has (in English and Korean)."""
        return dimension_checks(self)

    @property
    def source(self):
        return self.compiled.source

    def to_json(self):
        return {
            "target": self.target,
            "model": self.catalog.id if self.catalog is not None else self.model.name,
            "level": "matrix",
            "output": self.output,
            "value": json_number(self.value),
            "shapes": {n: list(s) for n, s in self.shapes.items() if n in self.sweep.order},
            "inputs": self.inputs,
            "wrt": list(self.wrt),
            "gradients": {k: _array(v) for k, v in self.gradients.items()},
            "gradient_norms": {k: json_number(np.linalg.norm(v))
                               for k, v in self.gradients.items()},
            "formulas": self.formulas,
            "latex_formulas": self.latex_formulas,
            "forward": [{"name": r.name, "op": r.op, "shape": list(r.shape),
                         "formula": r.formula.text, "latex": r.formula.latex, "args": r.args}
                        for r in self.forward],
            "steps": [{"gate": s.gate, "op": s.op, "input": s.input,
                       "gate_shape": list(s.gate_shape), "input_shape": list(s.input_shape),
                       "upstream": s.upstream, "rule": s.rule.text,
                       "downstream": s.downstream.text, "downstream_latex": s.downstream.latex,
                       "dimension_check": check.to_json()}
                      for s, check in zip(self.steps, self.dimension_checks, strict=True)],
            "accumulations": self.accumulations,
        }

    def to_json_text(self):
        return dumps(self.to_json(), indent=2)

    def __str__(self):
        return format_matrix_derivation(self)

    def text(self, lang="en"):
        """The terminal view in ``lang``: "en" (``str(d)``), "ko", or "both"."""
        return format_matrix_derivation(self, lang)


def derive_matrix(model, at=None, wrt=None, target="", catalog=None, seed=None, program="",
                  path=None):
    """Derive a :class:`~symgrad.matrix.model.MatrixModel` at arrays ``at`` (default: its own).
    ``program``, ``path``: the program text and file the model was read from, for the documents."""
    if isinstance(at, str):
        raise InputError(f"the matrix model {model.name!r} takes arrays, not --at {at!r}; "
                         f"its inputs are {', '.join(model.inputs)}")
    wrt = split_names(wrt)
    wrt = list(wrt) if wrt is not None else list(model.params or model.inputs)
    arrays = dict(model.default_arrays(seed))
    for k, v in (at or {}).items():
        if k not in model.nodes or not model.nodes[k].is_input:
            raise InputError(f"{k!r} is not an input of {model.name!r} "
                             f"(inputs: {', '.join(model.inputs)})")
        arrays[k] = np.asarray(v, dtype=float)
    compiled = compile_matrix(model, wrt)
    sweep = reverse_sweep(model, wrt)
    with np.errstate(all="ignore"):      # an overflow is ±inf, silently (docs/conventions.md)
        value, grads = compiled(**{n: arrays[n] for n in compiled.inputs})
    if not (np.isfinite(value) and all(np.all(np.isfinite(g)) for g in grads.values())):
        error = domain_error(model, wrt, arrays)   # log(0), sqrt(-1), x/0: refused, as a scalar
        if error is not None:
            drawn = [n for n in compiled.inputs if n not in (at or {})]
            if drawn:       # the point is not the user's: say so, or the refusal is a puzzle
                raise type(error)(f"{error} (no values were given for {', '.join(drawn)}, "
                                  f"so they are drawn at random: give them with --at)")
            raise error
    return MatrixDerivation(model, {n: arrays[n] for n in compiled.inputs}, wrt, sweep,
                            float(value), grads, compiled, target or model.name, catalog,
                            tuple(n for n in compiled.inputs if n in (at or {})),
                            program or "", path)


def _shape(s, lang="en"):
    """2×3; a vector as NumPy writes its shape, (3,); a number is a "scalar"."""
    if not s:
        return say("term_matrix_scalar", lang)
    return f"({s[0]},)" if len(s) == 1 else "×".join(map(str, s))


def format_matrix_derivation(d, lang="en"):
    """The matrix derivation ``d`` as the terminal shows it, in ``lang``: "en", "ko" or "both"
    (Korean first; a line with words once per language, formulas and arrays once)."""
    langs = langs_of(lang)
    one = langs[-1]              # the language of the short words inside a formula line
    lines = words("term_matrix_title", langs, title=title_line(d.target), out=d.output,
                  value=f"{d.value:.6g}") + [""] + words("term_matrix_inputs", langs)
    drawn = label("term_matrix_drawn", langs)
    for n in d.inputs:
        lines.append(f"  {n:<8} {_shape(d.shapes[n], one)}" + f"    {drawn}" * (n in d.drawn))
        lines += array_lines(d.arrays[n], "      ", one)
    lines += [""] + words("term_matrix_forward", langs)
    lines += [f"  {r.name} = {r.formula.text}    [{_shape(r.shape, one)}, "
              f"{gate_label(r.label, langs, markdown=False)}]" for r in d.forward]
    lines += [""] + words("term_matrix_backward", langs)
    steps = progress(list(zip(d.steps, d.dimension_checks, strict=True)), len(d.steps),
                     "writing the backward pass")
    for s, check in steps:
        lines.append(f"  {s.gate} ({gate_label(s.label, langs, markdown=False)}) → {s.input} "
                     f"[{_shape(s.input_shape, one)}]: G = {s.upstream};  "
                     f"{say('term_matrix_rule', one)} {s.rule.text};  "
                     f"∂{d.output}/∂{s.input} ∋ {s.downstream.text}")
        for la in langs:
            # the Korean sentence marks English terms as `code` for the documents: not here
            sentence = check.sentence(la).replace("`", "")
            lines += wrap(f"{say('term_matrix_shapes', la)}: {sentence}", "      ")
    for node, gates in d.accumulations.items():
        for la in langs:      # h*h reads h twice in one gate: "n1 (2 times)", not "n1, n1"
            reads = ", ".join(g if k == 1 else say("term_times", la, gate=g, count=k)
                              for g, k in Counter(gates).items())
            lines += wrap(say("term_matrix_fanout", la, node=node, gates=reads), "      ",
                          first="  ")
    lines += [""] + words("term_matrix_gradients", langs)
    for w in d.wrt:
        g = d.gradients[w]
        lines.append(f"  ∂{d.output}/∂{w} = {d.formulas[w]}    "
                     f"[{_shape(np.shape(g), one)}, ‖·‖ = {np.linalg.norm(g):.6g}]")
        lines += array_lines(g, "      ", one)
    return "\n".join(lines)


def array_lines(a, indent, lang="en"):
    """A small array (at most SMALL entries) written out, one row per line; a larger one as its
    shape and norm."""
    a = np.asarray(a, dtype=float)
    if a.size > SMALL:
        return [indent + say("term_matrix_large", lang, shape=_shape(a.shape, lang),
                             norm=f"{np.linalg.norm(a):.6g}", small=SMALL)]
    if a.ndim == 0:
        return [f"{indent}= {float(a):.6g}"]
    if a.ndim > 2:              # one block per leading index: [0, ...], [1, ...]
        lines = []
        for i, block in enumerate(a):
            lines.append(f"{indent}[{i}, ...]")
            lines += array_lines(block, indent + "  ", lang)
        return lines
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    cells = [[f"{v:.6g}" for v in row] for row in rows]
    width = max(len(c) for row in cells for c in row)
    return [f"{indent}[{'  '.join(c.rjust(width) for c in row)}]" for row in cells]


def _array(a):
    a = np.asarray(a)
    if a.size > SMALL:
        return {"shape": list(a.shape), "norm": json_number(np.linalg.norm(a))}
    if a.ndim == 0:
        return json_number(a)                   # a number stays a number
    if a.ndim == 1:
        return [json_number(v) for v in a]
    return [_array(row) for row in a]           # nested lists, one level per axis


__all__ = ["MatrixDerivation", "derive_matrix", "latex_name"]
