"""Training data: a CSV file with a header naming the model's inputs, or a ``.npz`` of arrays;
and the trained parameters written back as ``.npz`` (``train --save-params``).

:func:`load_data` returns the columns as float arrays, one value (CSV) or one
row (``.npz``, any trailing shape) per sample along the first axis. Every
problem is a one-line :class:`~symgrad.errors.InputError` that names the file and
the missing column, the bad value's line and column, or the shapes that disagree.
"""

import csv
import io
import math
import os
import warnings
import zipfile
from collections import Counter

import numpy as np

from .errors import InputError, quote
from .io import parse_number, read_bounded, shown_path, write_atomic
from .point import npy_header

MAX_DATA_BYTES = 200_000_000      # the file as stored, and an .npz's arrays once decompressed
LISTED_COLUMNS = 8                # a message lists this many column names, then "… (N in all)"


def load_data(source, needed=(), usable=None):
    """Read ``source`` (a path, or a dict name -> array-like) and return ``{name: float ndarray}``.

    ``needed``: names that must be present (the model's inputs with no other value).
    ``usable``: names the model can take from data; other columns are ignored
    (``None`` keeps every column). All returned arrays have the same length.
    """
    label, columns = read_data(source)
    return select_columns(label, columns, needed, usable)


def read_data(source):
    """``(label, {name: float ndarray})``: every array of ``source`` (a path, or a dict name ->
    array-like), unchecked against a model; ``label`` names it in messages. ``train`` reads the
    data once, first, because a matrix program's shapes come from its arrays."""
    if isinstance(source, dict):
        label = "data"
        return label, {str(k): _as_array(v, label, str(k)) for k, v in source.items()}
    label = shown_path(source)
    return label, _read_file(os.fspath(source), label)


def select_columns(label, columns, needed=(), usable=None):
    """The columns a model takes (``needed`` and ``usable`` as for :func:`load_data`), checked
    to be present and of one length."""
    missing = [n for n in needed if n not in columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        what = "array" if label.lower().endswith(".npz") else "column"
        raise InputError(f"{label}: no {what}{plural} {', '.join(map(repr, missing))} for the "
                         f"model's input{plural} ({what}s: {listed(columns)})")
    if usable is not None:
        kept = {k: v for k, v in columns.items() if k in usable}
        if not kept:
            raise InputError(f"{label}: none of the columns ({listed(columns)}) is "
                             f"an input the model takes from data (those are: "
                             f"{', '.join(usable) or 'none'}; trained parameters start from "
                             f"the point, not from data)")
        columns = kept
    check_lengths(columns, label)
    return columns


def check_lengths(columns, label="data"):
    """Every array must have at least one axis and the same number of samples (its first axis)."""
    for name, array in columns.items():
        if array.ndim == 0:
            raise InputError(f"{label}: {name!r} is a single number (shape ()); data needs one "
                             f"value per sample, shape (N,) or (N, ...)")
    lengths = {name: a.shape[0] for name, a in columns.items()}
    if len(set(lengths.values())) > 1:
        shapes = ", ".join(f"{name} {columns[name].shape}" for name in columns)
        raise InputError(f"{label}: the columns have different numbers of samples: {shapes}")
    if columns and not next(iter(lengths.values())):
        raise InputError(f"{label}: no samples (the data is empty)")


def listed(names):
    """Column names for a message: at most LISTED_COLUMNS of them (any name that is not a plain
    ASCII identifier quoted)."""
    names = list(names)
    if not names:
        return "none"
    shown = ", ".join(n if n.isascii() and n.isidentifier() else quote(n, 40)
                      for n in names[:LISTED_COLUMNS])
    return shown if len(names) <= LISTED_COLUMNS else f"{shown}, … ({len(names):,} in all)"


def _read_file(path, label):
    if path.lower().endswith(".npz"):
        return _read_npz(read_bounded(path, MAX_DATA_BYTES, "data file"), label)
    if path.lower().endswith((".csv", ".txt")):
        return _read_csv(read_bounded(path, MAX_DATA_BYTES, "data file"), label)
    raise InputError(f"{label}: unknown data format (use a .csv file with a header, or .npz)")


def _read_csv(data, path):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    fast = _read_plain_csv(text)
    if fast is not None:
        return fast
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError(f"{path}: not valid CSV ({exc})") from None
    # a row is blank when all its cells are: ''.join(row).strip() says so in one call per row
    # (a generator over the cells cost 3 s on a million rows)
    lines = [(i + 1, row) for i, row in enumerate(rows) if "".join(row).strip()]
    if not lines:
        raise InputError(f"{path}: the file is empty "
                         f"(expected a header naming the inputs, e.g. x,y)")
    header_line, header = lines[0]
    names = [h.strip() for h in header]
    for col, name in enumerate(names, 1):
        if not name.isidentifier():
            raise InputError(f"{path}: line {header_line}, column {col}: header {quote(name)} is "
                             f"not an input name (the first line must name the inputs, e.g. x,y)")
    # one count of every name (a names.count per name was quadratic: 40,000 columns took 20 s)
    dupes = sorted(n for n, count in Counter(names).items() if count > 1)
    if dupes:
        raise InputError(f"{path}: the header names {listed(dupes)} twice")
    body = lines[1:]
    if not body:
        raise InputError(f"{path}: no data rows after the header")
    for line, row in body:
        if len(row) != len(names):
            plural = "s" if len(row) != 1 else ""
            raise InputError(f"{path}: line {line} has {len(row)} value{plural}, "
                             f"but the header names {len(names)} columns ({listed(names)})")
    cells = zip(*(row for _, row in body), strict=True)
    return {name: _column(column, body, path, name)
            for name, column in zip(names, cells, strict=True)}


def _read_plain_csv(text):
    """The columns of a plain CSV file (a header on the first line, then rows of finite
    numbers), read by ``np.loadtxt`` in C: a million rows in a quarter of a second, where the
    csv module and ``float`` per cell take 5 s. Anything else (a blank or quoted header, ragged
    rows, empty cells, a U+2212 minus, a non-finite value, no rows) gives None, and the careful
    reader below reads the file again for the exact message. ``np.loadtxt`` accepts no number
    that ``float`` refuses, so both readers agree on every file the fast one reads."""
    first, _, rest = text.partition("\n")
    names = [h.strip() for h in first.split(",")]
    if '"' in first or not all(n.isidentifier() for n in names) or len(set(names)) < len(names):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # "input contained no data"
            table = np.loadtxt(io.StringIO(rest), delimiter=",", comments=None, quotechar='"',
                               ndmin=2, dtype=float)
    except ValueError:
        return None
    if table.shape[0] == 0 or table.shape[1] != len(names) or not np.isfinite(table).all():
        return None
    return {name: np.ascontiguousarray(table[:, i]) for i, name in enumerate(names)}


def _column(cells, body, path, name):
    """One CSV column as floats. The fast path is ``float`` on every cell (a million rows in
    under a second); only a column it refuses goes cell by cell, for the message naming the
    line. Building that message for every cell, as this once did, took 6 s on a million rows."""
    try:
        if not "".join(cells).isascii():     # float reads other scripts' digits: not here
            raise ValueError
        values = np.array([float(cell) for cell in cells], dtype=float)
    except ValueError:
        values = np.array([_number(cell, path, line, name)
                           for cell, (line, _) in zip(cells, body, strict=True)], dtype=float)
    finite = np.isfinite(values)
    if not finite.all():
        index = int(np.argmin(finite))
        cell, line = cells[index], body[index][0]
        raise InputError(f"{path}: line {line}, column {quote(name, 40)}: "
                         f"{quote(cell.strip())} is not a finite number")
    return values


def _number(cell, path, line, name):
    try:
        return parse_number(cell)          # U+2212 '−' counts as '-'
    except ValueError:
        where = f"{path}: line {line}, column {quote(name, 40)}"
        raise InputError(f"{where}: {quote(cell.strip())} is not a number") from None


def _read_npz(data, path):
    """The arrays of an .npz archive held in ``data``, after checking what they would take.

    ``np.load`` allocates an array from the shape its header declares before reading the data,
    so a small archive could ask for terabytes: every member's header is read first and the
    arrays' total size is bounded by MAX_DATA_BYTES."""
    try:
        _check_npz_sizes(data, path)
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {name: _as_array(archive[name], path, name) for name in archive.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable .npz archive ({_first_line(exc)})") from None


def _check_npz_sizes(data, path):
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                shape, dtype = npy_header(member)
            total += math.prod(shape) * dtype.itemsize
            if total > MAX_DATA_BYTES:
                raise InputError(f"{path}: the arrays would take more than {MAX_DATA_BYTES:,} "
                                 f"bytes (member {quote(info.filename, 40)} has shape {shape})")


def _as_array(value, label, name):
    kind = getattr(value, "dtype", None) is not None and value.dtype.kind
    # np.asarray(dtype=float) drops an imaginary part (with only a warning) and parses strings
    # ('1' -> 1.0): data stored as complex numbers or text is a mistake, so say so
    if kind == "c":
        raise InputError(f"{label}: {quote(name, 40)} holds complex numbers; "
                         f"data must be real numbers")
    if kind and kind not in "biuf":
        raise InputError(f"{label}: {quote(name, 40)} is not an array of numbers "
                         f"(its dtype is {value.dtype})")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{label}: {quote(name, 40)} is not an array of numbers") from None
    if not np.all(np.isfinite(array)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise InputError(f"{label}: {quote(name, 40)} has a non-finite value at index {bad}")
    return array


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --- the trained parameters, written back ------------------------------------------------------
def check_params_path(path):
    """Refuse a ``--save-params`` file that could not be written, before any training: it must
    end in .npz (``np.savez`` would silently add the suffix, and ``np.load`` needs it), must not
    be a folder, and no part of its folder may be an existing file."""
    text = os.fspath(path)
    shown = shown_path(text)
    if not text.lower().endswith(".npz") or os.path.basename(text).lower() == ".npz":
        raise InputError(f"--save-params {shown}: the file must end in .npz")
    if os.path.isdir(text):
        raise InputError(f"--save-params {shown}: is a folder; give a file name ending in .npz")
    folder = os.path.dirname(os.path.abspath(text))
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        raise InputError(f"--save-params {shown}: {shown_path(folder)} is a file, not a folder")


def save_params(params, path):
    """Write ``params`` (name -> number or array) to ``path`` as ``.npz``, atomically: ``np.load``
    gives each back under its name (a number as an array of shape ())."""
    check_params_path(path)
    buffer = io.BytesIO()
    # What np.savez does, written out: np.savez(file, **params) fails for a parameter that is
    # itself named 'file'.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, value in params.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, np.asarray(value, dtype=float),
                                          allow_pickle=False)
    write_atomic(path, buffer.getvalue())
