"""What the user typed as TARGET: a catalog id, a program file, or expression/program text."""

import os
from dataclasses import dataclass, field

from .errors import InputError, SymgradError
from .graph import Graph
from .parse import parse

MAX_FILE_BYTES = 1_000_000
PROGRAM_SUFFIXES = (".py", ".txt", ".sg", ".prog")


@dataclass
class Resolved:
    graph: Graph
    defaults: dict = field(default_factory=dict)   # the model's default point
    wrt: list = None                               # the model's parameters, if it names them
    model: object = None
    label: str = ""                                # how to call the target in messages and titles


def resolve(target, output=None):
    """Turn a TARGET into a graph: catalog id first, then an existing file, then text."""
    if isinstance(target, Graph):
        return Resolved(target, label=target.source or target.output)
    if not isinstance(target, str):
        raise InputError(f"a target is an expression, a program, a file path or a catalog id, "
                         f"not {type(target).__name__}")
    from .catalog import find_model

    model = find_model(target)
    if model is not None:
        return Resolved(model.graph(output), dict(model.defaults), list(model.params) or None, model, model.id)
    if _looks_like_path(target) and os.path.isfile(target):
        return Resolved(parse(read_text_file(target), output=output), label=target)
    _refuse_near_miss(target)
    try:
        return Resolved(parse(target, output=output), label=target)
    except SymgradError:
        if _looks_like_path(target) and (target.endswith(PROGRAM_SUFFIXES)
                                         or target.startswith(("/", "./", "../", "~"))):
            raise InputError(f"no such program file: {target!r} (and it is not an expression either)") from None
        raise


def _refuse_near_miss(text):
    """'net-2-2-1' is a mistyped catalog id far more often than an expression."""
    import difflib
    import re

    from .catalog import models

    ids = [m.id for m in models()]
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
            raise InputError(f"unknown model {text!r} (did you mean {', '.join(squashed[c] for c in close)}?); "
                             f"to derive the lone input {text!r} as an expression, write '({text})'")


def split_names(value, option="--wrt"):
    """``"a, b"`` -> ``["a", "b"]`` (lists pass through); an option given but empty is an error."""
    if value is None:
        return None
    names = [w.strip() for w in value.split(",") if w.strip()] if isinstance(value, str) else list(value)
    if not names:
        raise InputError(f"{option} is empty; name the inputs to differentiate by, e.g. {option} x,y")
    return names


def _looks_like_path(text):
    return "\n" not in text and len(text) < 4096


def read_text_file(path):
    """Read a UTF-8 text file with a size bound; failures are one-line errors naming the file."""
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: the file is too large ({size:,} bytes; the limit is {MAX_FILE_BYTES:,})")
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None


__all__ = ["resolve", "Resolved", "read_text_file", "split_names", "SymgradError"]
