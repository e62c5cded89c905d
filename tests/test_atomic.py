"""Atomic writes: all or nothing, file mode kept, symlinks followed, text as UTF-8."""

from __future__ import annotations

import os
import stat

import pytest

from placer.atomic import write_atomic


def test_replaces_content_and_keeps_mode(tmp_path):
    path = tmp_path / "flow.py"
    path.write_bytes(b"old\r\n")
    path.chmod(0o741)
    write_atomic(path, b"new\r\n")
    assert path.read_bytes() == b"new\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o741
    assert os.listdir(tmp_path) == ["flow.py"]


def test_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "placement.json", b"{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "placement.json").stat().st_mode) == 0o640


def test_failure_leaves_the_original_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "flow.py"
    path.write_bytes(b"original")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, b"half")
    assert path.read_bytes() == b"original"
    assert os.listdir(tmp_path) == ["flow.py"]


def test_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.py"
    real.write_bytes(b"old")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_text_is_utf8_with_newlines_untouched_and_explicit_mode(tmp_path):
    path = tmp_path / "offers.json"
    write_atomic(path, "é\r\n", mode=0o644)
    write_atomic(path, "ü\r\n")  # an existing file keeps its bits
    assert path.read_bytes() == "ü\r\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["offers.json"]
