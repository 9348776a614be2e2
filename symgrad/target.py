"""What the user typed as TARGET, resolved once into a :class:`Problem`.

A target is a catalog id, a program file, expression or program text, a
:class:`~symgrad.graph.Graph` or a :class:`~symgrad.matrix.MatrixModel`. :func:`resolve`
is the only code that consults the catalog, reads program files or decides whether a
target is a scalar graph or a matrix model; ``derive``, ``compile``, ``train`` (and the
documents and checks) start from the :class:`Problem` it returns, and accept one in place
of a target, so a command that resolves first looks the catalog up exactly once.
"""

import difflib
import os
import re
import sys
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .errors import InputError, SymgradError, quote
from .graph import Graph
from .io import read_bounded_text
from .names import split_names

if TYPE_CHECKING:       # for the annotations only: both load lazily (see _catalog)
    from .catalog import Model
    from .matrix import MatrixModel
from .parse import parse

MAX_FILE_BYTES = 1_000_000
PROGRAM_SUFFIXES = (".py", ".txt", ".sg", ".prog")
SCALAR, MATRIX = "scalar", "matrix"


@dataclass(frozen=True)
class Problem:
    """One resolved target: a scalar graph or a matrix model, with what the catalog says of it."""

    kind: str                       # SCALAR or MATRIX
    label: str                      # how to call the target in messages and titles
    graph: Graph = None             # the scalar graph (kind SCALAR)
    model: "MatrixModel" = None     # the matrix model (kind MATRIX; symgrad.matrix)
    entry: "Model" = None           # the catalog entry, when the target named one
    defaults: dict = field(default_factory=dict)   # the default point (scalar: name -> number)
    wrt: tuple = None               # default wrt / trainable parameters, if the model names them
    data_inputs: tuple = ()         # inputs that come from data (x, y), as opposed to parameters
    learning_rate: float = None     # the step size the catalog's post uses, if any
    program: str = None             # the program text the graph was parsed from (for with_output)
    path: str = None                # the program file the target named, if it named one
    shapes: dict = None             # a matrix program's input shapes from the user's values

    @property
    def slug(self):
        """The name of this problem's documents: the catalog id, the program file's stem
        (``some/folder/ok.txt`` -> ``ok``), or the expression's text, as lowercase ASCII words
        joined by '-' (``derivation`` when nothing is left)."""
        if self.entry is not None:
            return self.entry.id
        if self.path is not None:
            text = os.path.splitext(os.path.basename(self.path))[0]
        elif self.is_matrix:
            text = self.model.name
        else:
            text = self.label
        slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40].strip("-")
        return slug or "derivation"

    @property
    def is_matrix(self):
        return self.kind == MATRIX

    @property
    def entry_id(self):
        return self.entry.id if self.entry is not None else None

    @property
    def output(self):
        return self.model.output if self.is_matrix else self.graph.output

    def with_output(self, output, verb="derived"):
        """The same problem differentiated at ``output`` (parsed again; no catalog lookup)."""
        if output is None:
            return self
        if self.is_matrix:
            if self.program is not None and self.entry is None:       # a matrix program
                return replace(self, model=_parse_matrix(self.program, self.shapes, output,
                                                         self.model.name))
            _check_matrix_output(self.model, output, verb)
            return self
        if self.program is None:            # a Graph given directly: it has its output already
            return self
        return replace(self, graph=parse(self.program, output=output))


def resolve(target, output=None, matrix=False, verb="derived", catalog_only=False, shapes=None,
            data_shapes=None):
    """Turn a TARGET (plus ``--output`` and ``--matrix``) into a :class:`Problem`.

    Order: a :class:`Problem` passes through; a Graph or MatrixModel is taken as it is; a string
    is a catalog id first (one lookup), then an existing file, then expression or program text.
    ``matrix``: take a catalog model's matrix form (an error for targets without one).
    ``verb``: what the command does, for the one message about ``output`` of a matrix model
    (``"derived"``, ``"compiled"``, ``"trained"``).
    ``catalog_only``: ``target`` must be a catalog id (a claims file's ``model = ...``).
    ``shapes``: input name -> shape of the values the user gives (``--at``, ``--data``): program
    text with matrix syntax (``@``, ``.T``, ``sum(...)``, a declaration ``W: [2, 2]``), or given
    an array for an input, is a matrix program, and its shapes come from these; a catalog model's
    matrix form is read with these shapes (the defaults for the inputs not given).
    ``data_shapes``: name -> shape of the data arrays (``train --data``): a matrix program takes
    the shapes ``shapes`` does not give from them; a scalar program ignores them (its data
    columns hold one number per sample, so their shapes never make it a matrix program).
    """
    if isinstance(target, Problem):
        if matrix and not target.is_matrix:
            raise _no_matrix_form(target.label, target.entry)
        return target.with_output(output, verb)
    if _is_matrix_model(target):
        return _matrix_problem(target, None, output, verb)
    if isinstance(target, Graph):
        if matrix:
            raise _no_matrix_form(target.source or target.output)
        return Problem(SCALAR, target.source or target.output, graph=target)
    if not isinstance(target, str):
        raise InputError(f"a target is an expression, a program, a file path or a catalog id, "
                         f"not {type(target).__name__}")
    entry = _catalog().find_model(_id_key(target)) if _ID_SHAPE.fullmatch(target) else None
    if catalog_only and entry is None:
        raise InputError(_catalog().unknown_model_message(target))
    if entry is not None and entry.has_matrix_form:
        # the matrix form's shapes: the user's values, then the data arrays (train --data)
        form_shapes = {k: v for k, v in {**dict(data_shapes or {}), **dict(shapes or {})}.items()
                       if k in entry.matrix_inputs}
    if matrix:
        if entry is None or not entry.has_matrix_form:
            raise _no_matrix_form(target, entry)
        return _matrix_problem(entry.matrix_model(form_shapes), entry, output, verb)
    if entry is not None:
        # a matrix-level-only model (mlp-2layer), or an array given for an input of the matrix
        # form (relu-2layer's W1, which the scalar program writes entry by entry as W1_11, ...)
        if not entry.has_program or any(shape and name in entry.matrix_inputs
                                        for name, shape in (shapes or {}).items()):
            return _matrix_problem(entry.matrix_model(form_shapes), entry, output, verb)
        return Problem(SCALAR, entry.id, graph=entry.graph(output), entry=entry,
                       defaults=dict(entry.defaults), wrt=tuple(entry.params) or None,
                       data_inputs=tuple(entry.data_inputs), learning_rate=entry.learning_rate,
                       program=entry.program)
    path = _program_path(target)
    program = read_text_file(path, "program file") if path is not None else target
    if path is None:
        _refuse_near_miss(target)
    shapes = dict(shapes or {})
    if _MATRIX_HINT.search(program) or any(shapes.values()):
        name = _slug(os.path.splitext(os.path.basename(path))[0] if path else "program")
        force = any(shapes.values())
        shapes = {**dict(data_shapes or {}), **shapes}
        model = _parse_matrix(program, shapes, output, name, force=force)
        if model is not None:
            return Problem(MATRIX, target, model=model, wrt=tuple(model.params) or None,
                           data_inputs=tuple(model.data), program=program, path=path,
                           shapes=shapes)
    return Problem(SCALAR, target, graph=_parse_target(target, program, output), program=program,
                   path=path)


# Text that may be a matrix program (checked before any parsing: a scalar expression never
# loads the matrix engine); symgrad.matrix.program decides.
_MATRIX_HINT = re.compile(r"@|\.\s*(?:T\b|dot|sum|mean|transpose)|^\s*[A-Za-z]\w*\s*:|"
                          r"\b(?:sum|mean|l1|l2|sumsq|softmax_ce|hinge)\s*\(", re.M)


def _parse_matrix(program, shapes, output, name, force=True):
    """The MatrixModel of a matrix program (None when ``program`` turns out to be scalar text
    and no input was given an array)."""
    # lazy: the matrix engine loads only for matrix programs
    from .matrix.program import is_matrix_program, parse_matrix

    if not force and not is_matrix_program(program):
        return None
    return parse_matrix(program, shapes, output, name)


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40].strip("-") or "program"


def _catalog():
    """The catalog, imported on first need (deliberate lazy loading): importing it parses every
    catalog program and builds the matrix forms, which an expression such as "(x+y)*z" never
    needs (about a tenth of `symgrad derive`'s start-up). Text that is not shaped like an id
    (letters, digits, hyphens) is never looked up, so it never loads the catalog."""
    from . import catalog

    return catalog


def _is_matrix_model(target):
    # symgrad.matrix is imported only by what needs it (the catalog, matrix targets, compile):
    # while it is not loaded, no MatrixModel can exist, so it need not be imported to test.
    module = sys.modules.get("symgrad.matrix.model")
    return module is not None and isinstance(target, module.MatrixModel)


def _id_key(text):
    """Catalog ids are lowercase; ``Linear-MSE`` names ``linear-mse``. Only id-shaped text (letters,
    digits, hyphens) is folded, so an expression never matches an id by accident of case."""
    return text.lower() if _ID_SHAPE.fullmatch(text) else text


_ID_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*")


def _matrix_problem(model, entry, output, verb):
    if output is not None:
        _check_matrix_output(model, output, verb)
    params = tuple(model.params or (entry.params if entry is not None else ()))
    data = tuple(model.data or (entry.data_inputs if entry is not None else ()))
    return Problem(MATRIX, entry.id if entry is not None else model.name, model=model, entry=entry,
                   wrt=params or None, data_inputs=data,
                   learning_rate=entry.learning_rate if entry is not None else None)


def _check_matrix_output(model, output, verb):
    if output != model.output:
        raise InputError(f"--output {output!r}: the matrix model {model.name!r} is {verb} for its "
                         f"output {model.output!r} only")


def _no_matrix_form(what, entry=None):
    catalog = _catalog()
    having = ", ".join(m.id for m in catalog.models() if m.has_matrix_form)
    applies = f"--matrix applies to the catalog models with a matrix form: {having}"
    if entry is not None:
        return InputError(f"--matrix: the catalog model {entry.id!r} has no matrix form; "
                          f"{applies}")
    if isinstance(what, str) and _ID_SHAPE.fullmatch(what):
        return InputError(f"--matrix: {catalog.unknown_model_message(_id_key(what))}; {applies}")
    if isinstance(what, str) and _looks_like_path(what):
        return InputError(f"--matrix: unknown model {quote(what, 40)} (an expression has no "
                          f"matrix form: drop --matrix to derive it gate by gate); {applies}")
    return InputError(f"--matrix: {quote(what, 40)} has no matrix form (drop --matrix to derive "
                      f"it gate by gate); {applies}")


def _program_path(target):
    """The path of the program file ``target`` names, or None when it is text to parse.

    An existing file is read (whatever its name). A folder is an error when the text could not
    be an expression anyway (``models/``, ``./net``); a lone name such as ``w`` stays an
    expression even when a folder ``w`` exists. Anything else that exists and is not a folder
    (a FIFO, /dev/zero, a symlink to one) goes to the bounded reader, which refuses it."""
    if not _looks_like_path(target) or not os.path.exists(target):
        return None
    if os.path.isdir(target):
        if target.isidentifier():
            return None
        raise InputError(f"{quote(target, 200)} is a folder; give a program file in it, an "
                         f"expression or a catalog id")
    return target


def _parse_target(target, program, output):
    try:
        return parse(program, output=output)
    except SymgradError:
        if program is target and _looks_like_path(target) and (
                target.endswith(PROGRAM_SUFFIXES) or target.startswith(("/", "./", "../", "~"))):
            raise InputError(f"no such program file: {quote(target, 200)} "
                             f"(and it is not an expression either)") from None
        raise


def _refuse_near_miss(text):
    """'net-2-2-1' (or 'Linear-MSQ') is a mistyped catalog id far more often than an expression."""
    key = text.lower()
    if _ID_SHAPE.fullmatch(text) and "-" in text:
        ids = [m.id for m in _catalog().models()]
        close = difflib.get_close_matches(key, ids, n=3, cutoff=0.75)
        if close:
            spaced = text.replace("-", " - ")
            raise InputError(f"unknown model {quote(text)} (did you mean {', '.join(close)}?); "
                             f"to derive it as an expression, write {quote(spaced)}")
    elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{5,}", text):
        # 'sigmoidneuron' or 'svm_hinge': an id with its hyphens dropped or replaced.
        squashed = {m.id.replace("-", ""): m.id for m in _catalog().models()}
        close = difflib.get_close_matches(key.replace("_", ""), list(squashed), n=3, cutoff=0.85)
        if close:
            meant = ", ".join(squashed[c] for c in close)
            raise InputError(f"unknown model {quote(text)} (did you mean {meant}?); "
                             f"to derive the lone input {quote(text)} as an expression, "
                             f"write '({text})'")


def _looks_like_path(text):
    return "\n" not in text and len(text) < 4096


def read_text_file(path, what="file"):
    """A UTF-8 text file (a regular file, at most MAX_FILE_BYTES; BOM and CRLF accepted);
    failures are one-line errors naming the file."""
    return read_bounded_text(path, MAX_FILE_BYTES, what)


__all__ = ["Problem", "resolve", "read_text_file", "split_names", "SCALAR", "MATRIX"]
