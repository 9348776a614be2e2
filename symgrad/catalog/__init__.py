"""The documented models: every model of the seed posts, by id, each defined once.

Each family lives in its own module and registers :class:`Model` objects with
:func:`register` (``registry.py``). A model is written in the same program language users type
(``parse.py``), so it reads like the post that documents it. Published numbers
that a post got wrong are recorded as :class:`Erratum` with the correct value,
recomputed by symgrad (the tests assert both).
"""

import difflib
import re

from ..errors import InputError
from ..jsonout import dumps
from . import families  # noqa: F401  (importing the family modules registers their models)
from .matrix_forms import FORMS
from .registry import Erratum, Model, attach_matrix_forms, lookup, register, registered

__all__ = ["Erratum", "Model", "register", "models", "find_model", "get_model",
           "unknown_model_message", "format_catalog"]

attach_matrix_forms(FORMS)

ID_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*")     # ids fold to lowercase


def models():
    """Every catalog model, in the order 'symgrad list' shows them."""
    return registered()


def find_model(name):
    """The model called ``name``, or None.

    The one lookup of a user's target: ``symgrad.target.resolve`` calls it once per command
    (tests count the calls by replacing this function).
    """
    return lookup(name)


def get_model(name):
    """The model called ``name``; an unknown id is an error that lists the close ones."""
    model = find_model(name)
    if model is None:
        raise InputError(unknown_model_message(name))
    return model


def unknown_model_message(name):
    """``unknown model 'x' (did you mean …?)``: the one wording of an unknown id."""
    close = difflib.get_close_matches(name, [m.id for m in registered()], n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else " (see 'symgrad list')"
    return f"unknown model {name!r}{hint}"


def format_catalog(fmt="text", model_id=None):
    """``symgrad list``: every model as a table (or a JSON array); with ``model_id``, that model
    with its programs (or its JSON object)."""
    if model_id is not None:
        model = get_model(model_id.lower() if ID_SHAPE.fullmatch(model_id) else model_id)
        return dumps(model.to_json(), indent=2) if fmt == "json" else format_model(model)
    if fmt == "json":
        return dumps([m.to_json() for m in models()], indent=2)
    rows = [(m.id, m.description,
             _names(m.data_inputs or [n for n in m.inputs if n not in m.params]),
             _names(m.params), ",".join(m.seeds) or "-") for m in models()]
    header = ("id", "description", "inputs", "params", "seeds")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header] + rows)
    return "\n".join(lines)


def format_model(model):
    """One model for the terminal: what it is, its inputs, and its programs, each ready to be
    saved in a file and run (``symgrad derive FILE``)."""
    lines = [f"{model.id}: {model.title}", model.description,
             f"seeds: {', '.join(model.seeds) or '-'};  params: {_names(model.params, 8)};  "
             f"data: {_names(model.data_inputs, 8)}"]
    if model.has_program:
        lines += ["", f"program (symgrad derive {model.id}):", *_indented(model.program)]
    if model.has_matrix_form:
        flag = " --matrix" if model.has_program else ""
        params = ",".join(model.matrix.params)
        lines += ["", f"matrix program (symgrad derive {model.id}{flag}; saved in a file: "
                      f"symgrad derive FILE --wrt {params}):",
                  *_indented(model.matrix_program)]
    return "\n".join(lines)


def _indented(text):
    return ["  " + line if line else "" for line in text.rstrip("\n").splitlines()]


def _names(names, most=4):
    """A short list of names for the text table: ``W1_11,…,W3_12 (20)`` when there are many."""
    names = list(names)
    if not names:
        return "-"
    if len(names) <= most:
        return ",".join(names)
    return f"{names[0]},…,{names[-1]} ({len(names)})"
