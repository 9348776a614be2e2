"""symgrad.io.write_atomic: the whole file or the old one, with the permissions open() gives."""

import os
import stat

import pytest

from symgrad.io import write_atomic


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_file_gets_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.md", "hello\n")
        with open(tmp_path / "b.md", "w") as fh:      # the reference: what plain open() gives
            fh.write("x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "a.md") == mode(tmp_path / "b.md") == 0o644
    assert (tmp_path / "a.md").read_text(encoding="utf-8") == "hello\n"


def test_existing_file_keeps_its_mode_and_bytes_are_written_as_is(tmp_path):
    target = tmp_path / "fig.svg"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_atomic(target, b"\x00\x01new")
    assert mode(target) == 0o640
    assert target.read_bytes() == b"\x00\x01new"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "post.md"
    target.write_text("good", encoding="utf-8")
    with pytest.raises(TypeError):
        write_atomic(target, 12345)       # not str or bytes: the write fails half way
    assert target.read_text(encoding="utf-8") == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["post.md"]


def test_missing_folders_are_created(tmp_path):
    write_atomic(tmp_path / "a" / "b" / "c.txt", "x")
    assert (tmp_path / "a" / "b" / "c.txt").read_text() == "x"


def test_an_unwritable_place_is_a_one_line_error_naming_the_path(tmp_path, run_cli):
    from symgrad.errors import OutputError

    blocker = tmp_path / "notes.txt"          # a file where a folder is wanted (works even as root)
    blocker.write_text("keep me")
    with pytest.raises(OutputError, match=r"cannot write .*notes\.txt/post\.md"):
        write_atomic(blocker / "post.md", "x")
    code, out, err = run_cli("render", "linear-mse", "-o", str(blocker / "site"))
    assert code == 2 and out == "" and err.startswith("symgrad: error: cannot write ")
    assert len(err.strip().splitlines()) == 1 and blocker.read_text() == "keep me"
