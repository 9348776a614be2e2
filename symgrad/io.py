"""Files in and out: every read is bounded and of a regular file; every write is atomic (a partly
written output never replaces a good one). Also :func:`parse_number`, for numbers users type.
"""

import errno
import os
import stat
import tempfile

from .errors import InputError, OutputError, quote


def _file_mode(path):
    """The mode the file should get: an existing file keeps its own, a new one gets 0666 minus the
    umask (what ``open(path, "w")`` would have given; ``mkstemp`` alone would leave it 0600)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_atomic(path, data):
    """Write ``data`` (str or bytes) to ``path`` via a temporary file in the same folder and a
    rename."""
    path = os.fspath(path)
    try:
        _write(path, data)
    except OSError as exc:
        blocker = _file_in_the_way(path)
        why = (f"{shown_path(blocker)} is a file, not a folder" if blocker
               else exc.strerror or str(exc))
        raise OutputError(f"cannot write {shown_path(path)}: {why}") from None


def _file_in_the_way(path):
    """The existing non-folder among ``path``'s folders, if any (``-o notes.txt`` names a
    file: makedirs reports "File exists", which says nothing useful)."""
    folder = os.path.dirname(os.path.abspath(path))
    while folder and not os.path.isdir(folder):
        if os.path.lexists(folder):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return None


def _write(path, data):
    # The folder is made from the normalised path, so the file goes there too: 'out/../o2' is
    # the folder o2 (os.replace on the path as typed failed when 'out' did not exist).
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    mode = "wb" if isinstance(data, (bytes, bytearray)) else "w"
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        text_mode = {} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(fd, mode, **text_mode) as fh:
            fh.write(data)
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --- reading what users give ----------------------------------------------------------------
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def shown_path(path, limit=200):
    """A path at the start of a message (``data.csv: line 3 ...``): escaped and capped as
    :func:`~symgrad.errors.quote` does, without the quotes."""
    return quote(os.fspath(path), limit)[1:-1]


def read_bounded(path, limit, what="file"):
    """The bytes of the regular file ``path``, at most ``limit`` of them, else a one-line error.

    ``what`` names the file in messages ("program file", "data file"). The file is opened once
    and checked on that descriptor (a symlink to /dev/zero or a FIFO is refused, not read): the
    open is non-blocking, so a FIFO with no writer cannot hang it, and at most ``limit + 1``
    bytes are ever read, so a file that grows while it is read cannot exhaust memory.
    """
    shown = quote(os.fspath(path), 200)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise InputError(f"no such {what}: {shown}") from None
        raise InputError(f"cannot read the {what} {shown}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise InputError(f"the {what} {shown} is {kind}, not a regular file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(f"cannot read the {what} {shown}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise InputError(f"the {what} {shown} is too large (more than {limit:,} bytes)")
    return b"".join(chunks)


def read_bounded_text(path, limit, what="file"):
    """:func:`read_bounded`, decoded as UTF-8 (a byte-order mark is dropped; CRLF becomes LF)."""
    data = read_bounded(path, limit, what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"the {what} {quote(os.fspath(path), 200)} is not UTF-8 text "
                         f"(line {line})") from None
    return text.replace("\r\n", "\n")


# U+2212 MINUS SIGN is what documents (and this README's typeset math) use for minus; people
# paste it into --at and data files. float() refuses it, so it is read as '-' here.
_MINUS_SIGNS = {"\u2212": "-"}


def parse_number(text):
    """A number the user typed: ``float(text)``, with U+2212 '−' read as '-'. Raises ValueError.
    Digits are ASCII: ``float`` also reads other scripts' digits ('١' is 1), which a reader of
    the document would not see as the number symgrad used."""
    text = text.strip()
    for sign, ascii_sign in _MINUS_SIGNS.items():
        text = text.replace(sign, ascii_sign)
    if not text.isascii():
        raise ValueError(f"not an ASCII number: {text!r}")
    return float(text)
