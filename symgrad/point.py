"""The point a derivation is taken at, as the user typed it: ``--at`` text and array values.

``--at "x=-2,y=5"`` names numbers; a matrix program's inputs take arrays, written as
NumPy prints them in nested lists (``W=[[0.1,0.5],[-0.3,0.8]]``; the commas inside the
brackets belong to the value) or read from a NumPy file (``W=@w1.npy``). Nothing is
evaluated: the lists are read by a small scanner of numbers, commas and brackets, and a
``.npy`` file is loaded without pickles, through the bounded reader.
"""

import io
import math

import numpy as np

from .errors import InputError, quote
from .io import parse_number, read_bounded

MAX_NPY_BYTES = 200_000_000     # as for --data files
MAX_ENTRIES = 1_000_000         # entries of one array typed in --at
MAX_NPY_ENTRIES = 10_000_000    # entries of one array file (as symgrad.matrix.model.MAX_ENTRIES)
MAX_DEPTH = 4                   # nesting of brackets in one value: arrays have at most 4 axes,
                                # as declarations (matrix.program.MAX_DIMS) and claims files


def parse_point(text):
    """``"x=-2,W=[[1,2],[3,4]],b=@b.npy"`` -> {"x": -2.0, "W": array, "b": array}.

    A minus sign U+2212 (``x=−2``, pasted from a document) is read as '-'. The CLI joins repeated
    ``--at`` options with commas, so ``--at x=1 --at y=2`` is ``"x=1,y=2"``; a name given twice
    (in one ``--at`` or in two) is an error rather than a silent choice of one value. A number
    stays a float; a list or a file gives a float ndarray.
    """
    point = {}
    for item in _items(text):
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise InputError(f"--at item {quote(item)} is not of the form name=number "
                             f"(e.g. --at x=-2,y=5, or W=[[1,2],[3,4]] for an array)")
        if name in point:
            raise InputError(f"--at gives {quote(name)} twice; give each input once")
        point[name] = parse_value(value, name)
    return point


def parse_value(value, name):
    """One ``--at`` value: a number, a nested list of numbers, or ``@file.npy``."""
    if value.startswith("@"):
        return load_npy(value[1:], name)
    if value.startswith("["):
        return _array(value, name)
    try:
        number = parse_number(value)
    except ValueError:
        raise InputError(f"--at value {quote(value)} of {quote(name)} is not a number "
                         f"(nor a list [..] or @file.npy)") from None
    if not math.isfinite(number):
        raise InputError(f"--at value of {quote(name)} must be a finite number, "
                         f"got {quote(value)}")
    return number


def _items(text):
    """``text`` split at the commas outside brackets (stripped, empty items dropped)."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise InputError(f"--at has a ']' without its '[' (at character {i + 1})")
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    if depth > 0:
        raise InputError(f"--at has a '[' that is not closed: {quote(text[start:].strip())}")
    items.append(text[start:])
    return [item.strip() for item in items if item.strip()]


def _array(text, name):
    """A nested list of numbers (``[[1, 2], [3, 4]]``) as a float ndarray, read by a scanner."""
    tokens = text.replace("[", " [ ").replace("]", " ] ").replace(",", " , ").split()
    pos = 0

    def fail(why):
        return InputError(f"--at value of {quote(name)}: {why} in {quote(text)}")

    def read(depth):
        nonlocal pos
        token = tokens[pos] if pos < len(tokens) else None
        if token == "[" and depth > MAX_DEPTH:      # depth counts the brackets opened so far
            raise fail(f"lists are nested more than {MAX_DEPTH} deep (arrays have at most "
                       f"{MAX_DEPTH} dimensions)")
        if token != "[":
            if token in (None, ",", "]"):
                raise fail("a number is missing")
            pos += 1
            try:
                number = parse_number(token)
            except ValueError:
                raise fail(f"{quote(token)} is not a number") from None
            if not math.isfinite(number):
                raise fail(f"{quote(token)} is not a finite number")
            return number
        pos += 1
        if pos < len(tokens) and tokens[pos] == "]":
            raise fail("an empty list has no entries")
        items = []
        while True:
            items.append(read(depth + 1))
            token = tokens[pos] if pos < len(tokens) else None
            pos += 1
            if token == "]":
                return items
            if token != ",":
                raise fail("items must be separated by commas")
            if pos < len(tokens) and tokens[pos] == "]":      # a trailing comma, as Python allows
                pos += 1
                return items

    if len(tokens) > 4 * MAX_ENTRIES:
        raise fail(f"more than {MAX_ENTRIES:,} entries")
    nested = read(1)
    if pos != len(tokens):
        raise fail("text after the closing ']'")
    shape = _shape(nested, fail)
    return np.array(nested, dtype=float).reshape(shape)


def _shape(nested, fail):
    """The shape of a rectangular nested list, or a one-line error naming the ragged row."""
    if not isinstance(nested, list):
        return ()
    if not nested:
        raise fail("an empty list has no entries")
    inner = [_shape(item, fail) for item in nested]
    if any(s != inner[0] for s in inner):
        first = next(i for i, s in enumerate(inner) if s != inner[0])
        raise fail(f"the rows are not all of one shape (row 0 has shape {inner[0]}, "
                   f"row {first} has {inner[first]})")
    return (len(nested), *inner[0])


def load_npy(path, name):
    """A NumPy ``.npy`` file as a float ndarray (no pickles; read through the bounded reader)."""
    if not path:
        raise InputError(f"--at {name}=@: give the file after '@' (e.g. {name}=@{name}.npy)")
    data = read_bounded(path, MAX_NPY_BYTES, f"array file of {quote(name)}")
    try:
        _check_npy_header(data, path, name)
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"--at {name}=@{path}: not a NumPy .npy file "
                         f"({str(exc).splitlines()[0][:120] if str(exc) else 'unreadable'})"
                         ) from None
    if isinstance(array, np.lib.npyio.NpzFile):
        raise InputError(f"--at {name}=@{path}: an .npz archive holds several arrays; give one "
                         f"array saved with np.save (.npy), or pass the archive as --data")
    if array.size > MAX_NPY_ENTRIES:
        raise InputError(f"--at {name}=@{path}: the array has {array.size:,} entries; an array "
                         f"of a matrix model has at most {MAX_NPY_ENTRIES:,}")
    if array.dtype.kind not in "biuf":
        raise InputError(f"--at {name}=@{path}: the array holds {array.dtype} values, "
                         f"not numbers")
    if array.ndim > MAX_DEPTH:
        raise InputError(f"--at {name}=@{path}: the array has {array.ndim} dimensions; arrays "
                         f"have at most {MAX_DEPTH}")
    array = array.astype(float)
    if not np.all(np.isfinite(array)):
        raise InputError(f"--at {name}=@{path}: the array has NaN or infinite entries")
    return array if array.ndim else float(array)


def _check_npy_header(data, path, name):
    """Refuse an .npy file whose header declares more entries than allowed or than the file
    holds. The trap: ``np.load`` allocates the array the header declares before it reads the
    data, so a 100-byte file declaring shape (10**7, 10**7) asks for 728 TiB (a MemoryError
    traceback). An .npz archive (a zip file) is left to np.load, which says what it is."""
    if data[:2] == b"PK":
        return
    stream = io.BytesIO(data)
    shape, dtype = npy_header(stream)
    entries = math.prod(shape)
    if entries > MAX_NPY_ENTRIES:
        raise InputError(f"--at {name}=@{path}: the array has {entries:,} entries; an array "
                         f"of a matrix model has at most {MAX_NPY_ENTRIES:,}")
    if entries * dtype.itemsize > len(data) - stream.tell():
        raise InputError(f"--at {name}=@{path}: the file is cut short (its header declares "
                         f"shape {shape}, {entries * dtype.itemsize:,} bytes of data)")


def npy_header(stream):
    """(shape, dtype) of the .npy file ``stream`` is at the start of, read from its header alone
    (``stream`` is left at the data). ValueError if it is none, or of a version NumPy does not
    write (1.0, 2.0 and 3.0, whose headers this reads alike)."""
    version = np.lib.format.read_magic(stream)
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise ValueError(f"unsupported .npy version {version[0]}.{version[1]}")
    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
            else np.lib.format.read_array_header_2_0)
    shape, _, dtype = read(stream)
    return shape, dtype


def check_point(point, inputs, names):
    """Check a point against the graph's inputs: every input has a finite value, no unknown
    names."""
    missing = [n for n in inputs if n not in point]
    if missing:
        given = ",".join(f"{n}=..." for n in missing)
        raise InputError(f"no value for input{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)}; give {'them' if len(missing) > 1 else 'it'} "
                         f"with --at {given}")
    unknown = [k for k in point if k not in names]
    if unknown:
        raise InputError(f"--at names {', '.join(map(quote, unknown))}, which "
                         f"{'are' if len(unknown) > 1 else 'is'} not an input "
                         f"(inputs: {', '.join(inputs)})")
    out = {}
    for k, v in point.items():
        if isinstance(v, np.ndarray) and v.ndim:
            raise InputError(f"value of {quote(k)} is an array of shape {v.shape}, but this "
                             f"program is scalar: give a number, or use the inputs in a "
                             f"matrix program (with @, .T, sum(...))")
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise InputError(f"value of {quote(k)} is not a number: {quote(v)}") from None
        if not math.isfinite(f):
            raise InputError(f"value of {quote(k)} must be a finite number, got {quote(v)}")
        out[k] = f
    return out


def shapes_of(point):
    """name -> shape of each value of a point (numbers: ())."""
    return {k: tuple(np.shape(v)) for k, v in (point or {}).items()}


def has_arrays(point):
    return any(np.ndim(v) for v in (point or {}).values())
