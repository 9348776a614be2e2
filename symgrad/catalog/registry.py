"""The catalog's records and its registry: :class:`Model`, :class:`Erratum`, :func:`register`.

The family modules (``basics.py``, ``networks.py``, …) import this module, never the
``symgrad.catalog`` package, so loading the package (which imports the families) is
not a cycle. Matrix forms are attached by the package (:func:`attach_matrix_forms`)
so that a model record never imports the matrix layer itself.
"""

from dataclasses import dataclass, field

from ..errors import InputError
from ..parse import parse

_MODELS = {}          # id -> Model, in registration order ('symgrad list' shows this order)
_MATRIX_FORMS = {}    # id -> the model's MatrixForm: called, it reads its program (matrix_forms.py)


@dataclass(frozen=True)
class Erratum:
    """A number a seed post printed wrongly, and the claim it makes in machine-readable form.

    ``claim`` is one ``[[claim]]`` table of a claims file (docs/check.md) about the model, with
    ``equals`` written as the post printed it, in quotes ("0.237479"), so that its tolerance is
    half a unit of the last printed digit; ``at`` names one of the model's ``points`` (the default
    point when empty). ``symgrad.check.errata`` checks it and searches for the mistake behind it
    with the same search as ``symgrad check``; the documents' errata sections show what it finds.
    """

    quantity: str        # what it is, e.g. "w9 after one SGD step (lr 0.3)"
    published: float     # what the post printed
    correct: float       # what symgrad computes
    explanation: str     # why the post's number is wrong (one or two sentences, English)
    explanation_ko: str = ""
    claim: dict = field(default_factory=dict)
    at: str = ""

    def to_json(self):
        # the fields `symgrad list --format json` documents (README); the claim is for the check
        return {"quantity": self.quantity, "published": self.published, "correct": self.correct,
                "explanation": self.explanation, "explanation_ko": self.explanation_ko}

    def __post_init__(self):
        # The claim must state the published number itself, or the diagnosis would explain
        # another number than the one the table prints.
        equals = self.claim.get("equals")
        if not isinstance(equals, str) or float(equals) != self.published:
            raise ValueError(f"erratum {self.quantity!r}: its claim's equals must be the "
                             f"published {self.published!r} in quotes, got {equals!r}")


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
    published: dict = field(default_factory=dict)   # node name -> number the post prints
    points: dict = field(default_factory=dict)      # other named points of the post
    learning_rate: float = None     # the step size the post uses, when it takes one

    @property
    def has_program(self):
        """False for matrix-level-only models (``mlp-2layer``), which have no scalar program."""
        return bool(self.program.strip())

    @property
    def matrix(self):
        """The matrix-level form of the model (a new MatrixModel), when it has one; else None."""
        return self.matrix_model()

    def matrix_model(self, shapes=None):
        """The matrix-level form read with the shapes of the user's values (input -> shape; the
        default shapes for the rest), or None when the model has no matrix form."""
        form = _MATRIX_FORMS.get(self.id)
        return form(shapes) if form is not None else None

    @property
    def matrix_inputs(self):
        """The inputs of the matrix form (``W1``, ``x``), without reading it; () when none."""
        form = _MATRIX_FORMS.get(self.id)
        return form.inputs if form is not None else ()

    @property
    def matrix_program(self):
        """The matrix form as a program of the text language (declarations, then assignments),
        or None: what ``symgrad list`` shows, to copy, change and run."""
        form = _MATRIX_FORMS.get(self.id)
        return form.program if form is not None else None

    @property
    def has_matrix_form(self):
        return self.id in _MATRIX_FORMS

    def graph(self, output=None):
        if not self.has_program:
            raise InputError(f"{self.id!r} is a matrix-level model with no scalar program; "
                             f"use symgrad.derive({self.id!r}) or its .matrix")
        return parse(self.program, output=output or self.output)

    @property
    def inputs(self):
        """Every input of the program, in order of first use."""
        return self.graph().inputs if self.has_program else list(self.matrix.inputs)

    def to_json(self):
        return {
            "id": self.id, "title": self.title, "description": self.description,
            "seeds": list(self.seeds), "inputs": self.inputs, "data_inputs": list(self.data_inputs),
            "params": list(self.params),
            "output": self.graph().output if self.has_program else self.matrix.output,
            "defaults": self.defaults,
            "points": self.points, "published": self.published, "learning_rate": self.learning_rate,
            "errata": [e.to_json() for e in self.errata], "notes": self.notes,
            "program": self.program, "matrix": self.has_matrix_form,
            "matrix_program": self.matrix_program,
        }


def register(model):
    """Add ``model`` to the catalog (ids are unique); returns it, so a family can keep a name."""
    if model.id in _MODELS:
        raise ValueError(f"duplicate catalog id {model.id!r}")
    _MODELS[model.id] = model
    return model


def attach_matrix_forms(forms):
    """Give registered models their matrix forms: id -> MatrixForm (``form(shapes)`` reads it)."""
    unknown = [k for k in forms if k not in _MODELS]
    if unknown:
        raise ValueError(f"matrix forms for models that are not registered: {', '.join(unknown)}")
    _MATRIX_FORMS.update(forms)


def registered():
    """Every registered model, in registration order."""
    return list(_MODELS.values())


def lookup(model_id):
    """The model called ``model_id``, or None."""
    return _MODELS.get(model_id)
