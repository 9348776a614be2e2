"""The documented models: every model of the seed posts, by id, each defined once.

Each family lives in its own module and registers :class:`Model` objects with
:func:`register`. A model is written in the same program language users type
(``parse.py``), so it reads like the post that documents it. Published numbers
that a post got wrong are recorded as :class:`Erratum` with the correct value,
recomputed by symgrad (the tests assert both).
"""

import json
from dataclasses import dataclass, field

from ..errors import InputError


@dataclass(frozen=True)
class Erratum:
    """A number a seed post printed wrongly."""

    quantity: str        # what it is, e.g. "w9 after one SGD step (lr 0.3)"
    published: float     # what the post printed
    correct: float       # what symgrad computes
    explanation: str     # why the post's number is wrong (one or two sentences, English)
    explanation_ko: str = ""


@dataclass(frozen=True)
class Model:
    id: str
    title: str                      # short human title
    description: str                # one line
    seeds: tuple                    # seed posts it comes from, e.g. ("000", "001")
    program: str                    # the model in symgrad's program language
    defaults: dict                  # the default point: every input -> number
    params: tuple = ()              # the trainable parameters (the default --wrt / --params)
    data_inputs: tuple = ()         # inputs that come from data (x, y), as opposed to parameters
    output: str = None              # the output variable, when not the last assigned
    errata: tuple = ()              # Erratum records
    notes: str = ""                 # how the default point was chosen, shapes, conventions
    published: dict = field(default_factory=dict)   # node name -> number the post prints (checked by tests)
    points: dict = field(default_factory=dict)      # other named points of the post, e.g. {"w2": {...}}
    learning_rate: float = None     # the step size the post uses, when it takes one (documents, training)

    @property
    def matrix(self):
        """The matrix-level form of the model, when it has one (``catalog/matrix_forms.py``)."""
        from .matrix_forms import FORMS

        build = FORMS.get(self.id)
        return build() if build is not None else None

    def graph(self, output=None):
        from ..parse import parse

        if not self.program.strip():
            raise InputError(f"{self.id!r} is a matrix-level model with no scalar program; "
                             f"use symgrad.derive({self.id!r}) or its .matrix")

        return parse(self.program, output=output or self.output)

    @property
    def inputs(self):
        """Every input of the program, in order of first use."""
        return self.graph().inputs if self.program.strip() else list(self.matrix.inputs)

    def to_json(self):
        return {
            "id": self.id, "title": self.title, "description": self.description,
            "seeds": list(self.seeds), "inputs": self.inputs, "data_inputs": list(self.data_inputs),
            "params": list(self.params),
            "output": self.graph().output if self.program.strip() else self.matrix.output,
            "defaults": self.defaults,
            "points": self.points, "published": self.published, "learning_rate": self.learning_rate,
            "errata": [e.__dict__ for e in self.errata], "notes": self.notes,
            "program": self.program, "matrix": self.matrix is not None,
        }


_MODELS = {}


def register(model):
    if model.id in _MODELS:
        raise ValueError(f"duplicate catalog id {model.id!r}")
    _MODELS[model.id] = model
    return model


def _load():
    if not _MODELS:
        from . import families  # noqa: F401  (registers the models)


def models():
    _load()
    return list(_MODELS.values())


def find_model(name):
    """The model called ``name``, or None."""
    _load()
    return _MODELS.get(name)


def get_model(name):
    """The model called ``name``; an unknown id is an error that lists the close ones."""
    model = find_model(name)
    if model is None:
        import difflib

        close = difflib.get_close_matches(name, list(_MODELS), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see 'symgrad list')"
        raise InputError(f"unknown model {name!r}{hint}")
    return model


def format_catalog(fmt="text"):
    if fmt == "json":
        return json.dumps([m.to_json() for m in models()], indent=2, ensure_ascii=False)
    rows = [(m.id, m.description, _names(m.data_inputs or [n for n in m.inputs if n not in m.params]),
             _names(m.params), ",".join(m.seeds) or "-") for m in models()]
    header = ("id", "description", "inputs", "params", "seeds")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header] + rows)


def _names(names, most=4):
    """A short list of names for the text table: ``W1_11,…,W3_12 (20)`` when there are many."""
    names = list(names)
    if not names:
        return "-"
    if len(names) <= most:
        return ",".join(names)
    return f"{names[0]},…,{names[-1]} ({len(names)})"
