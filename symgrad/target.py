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
from dataclasses import dataclass, field, replace

from . import catalog
from .errors import InputError, SymgradError
from .graph import Graph
from .matrix import MatrixModel
from .names import split_names
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
    model: MatrixModel = None       # the matrix model (kind MATRIX)
    entry: catalog.Model = None     # the catalog entry, when the target named one
    defaults: dict = field(default_factory=dict)   # the default point (scalar: name -> number)
    wrt: tuple = None               # default wrt / trainable parameters, if the model names them
    data_inputs: tuple = ()         # inputs that come from data (x, y), as opposed to parameters
    learning_rate: float = None     # the step size the catalog's post uses, if any
    program: str = None             # the program text the graph was parsed from (for with_output)

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
            _check_matrix_output(self.model, output, verb)
            return self
        if self.program is None:            # a Graph given directly: it has its output already
            return self
        return replace(self, graph=parse(self.program, output=output))


def resolve(target, output=None, matrix=False, verb="derived", catalog_only=False):
    """Turn a TARGET (plus ``--output`` and ``--matrix``) into a :class:`Problem`.

    Order: a :class:`Problem` passes through; a Graph or MatrixModel is taken as it is; a string
    is a catalog id first (one lookup), then an existing file, then expression or program text.
    ``matrix``: take a catalog model's matrix form (an error for targets without one).
    ``verb``: what the command does, for the one message about ``output`` of a matrix model
    (``"derived"``, ``"compiled"``, ``"trained"``).
    ``catalog_only``: ``target`` must be a catalog id (a claims file's ``model = ...``).
    """
    if isinstance(target, Problem):
        if matrix and not target.is_matrix:
            raise _no_matrix_form(target.label)
        return target.with_output(output, verb)
    if isinstance(target, MatrixModel):
        return _matrix_problem(target, None, output, verb)
    if isinstance(target, Graph):
        if matrix:
            raise _no_matrix_form(target.source or target.output)
        return Problem(SCALAR, target.source or target.output, graph=target)
    if not isinstance(target, str):
        raise InputError(f"a target is an expression, a program, a file path or a catalog id, "
                         f"not {type(target).__name__}")
    entry = catalog.find_model(target) if _looks_like_path(target) else None
    if catalog_only and entry is None:
        raise InputError(catalog.unknown_model_message(target))
    if matrix:
        if entry is None and _looks_like_path(target):
            raise InputError(catalog.unknown_model_message(target))
        if entry is None or not entry.has_matrix_form:
            raise _no_matrix_form(target)
        return _matrix_problem(entry.matrix, entry, output, verb)
    if entry is not None:
        if not entry.has_program:       # a matrix-level-only model (mlp-2layer)
            return _matrix_problem(entry.matrix, entry, output, verb)
        return Problem(SCALAR, entry.id, graph=entry.graph(output), entry=entry,
                       defaults=dict(entry.defaults), wrt=tuple(entry.params) or None,
                       data_inputs=tuple(entry.data_inputs), learning_rate=entry.learning_rate,
                       program=entry.program)
    program = _program_text(target)
    return Problem(SCALAR, target, graph=_parse_target(target, program, output), program=program)


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


def _no_matrix_form(what):
    having = ", ".join(m.id for m in catalog.models() if m.has_matrix_form)
    return InputError(f"--matrix: {str(what)[:40]!r} has no matrix form "
                      f"(catalog models with one: {having})")


def _program_text(target):
    """The text to parse: the file's contents when ``target`` names an existing file."""
    if _looks_like_path(target) and os.path.isfile(target):
        return read_text_file(target)
    _refuse_near_miss(target)
    return target


def _parse_target(target, program, output):
    try:
        return parse(program, output=output)
    except SymgradError:
        if program is target and _looks_like_path(target) and (
                target.endswith(PROGRAM_SUFFIXES) or target.startswith(("/", "./", "../", "~"))):
            raise InputError(f"no such program file: {target!r} "
                             f"(and it is not an expression either)") from None
        raise


def _refuse_near_miss(text):
    """'net-2-2-1' is a mistyped catalog id far more often than an expression."""
    ids = [m.id for m in catalog.models()]
    if re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)+", text):
        close = difflib.get_close_matches(text, ids, n=3, cutoff=0.75)
        if close:
            spaced = text.replace("-", " - ")
            raise InputError(f"unknown model {text!r} (did you mean {', '.join(close)}?); "
                             f"to derive it as an expression, write {spaced!r}")
    elif re.fullmatch(r"[a-z][a-z0-9_]{5,}", text):
        # 'sigmoidneuron' or 'svm_hinge': an id with its hyphens dropped or replaced.
        squashed = {m.replace("-", ""): m for m in ids}
        close = difflib.get_close_matches(text.replace("_", ""), list(squashed), n=3, cutoff=0.85)
        if close:
            meant = ", ".join(squashed[c] for c in close)
            raise InputError(f"unknown model {text!r} (did you mean {meant}?); "
                             f"to derive the lone input {text!r} as an expression, "
                             f"write '({text})'")


def _looks_like_path(text):
    return "\n" not in text and len(text) < 4096


def read_text_file(path):
    """Read a UTF-8 text file with a size bound; failures are one-line errors naming the file."""
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: the file is too large ({size:,} bytes; "
                             f"the limit is {MAX_FILE_BYTES:,})")
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None


__all__ = ["Problem", "resolve", "read_text_file", "split_names", "SCALAR", "MATRIX"]
