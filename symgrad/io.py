"""Writing files atomically: a partly written output never replaces a good one."""

import os
import stat
import tempfile

from .errors import OutputError


def _file_mode(path):
    """The mode the file should get: an existing file keeps its own, a new one gets 0666 minus the umask
    (what ``open(path, "w")`` would have given; ``mkstemp`` alone would leave it 0600)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_atomic(path, data):
    """Write ``data`` (str or bytes) to ``path`` via a temporary file in the same folder and a rename."""
    path = os.fspath(path)
    try:
        _write(path, data)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    mode = "wb" if isinstance(data, (bytes, bytearray)) else "w"
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"})) as fh:
            fh.write(data)
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
