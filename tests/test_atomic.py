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


def test_compare_and_swap_refuses_a_file_changed_since_it_was_read(tmp_path):
    from placer.errors import WriteConflict

    path = tmp_path / "flow.py"
    path.write_bytes(b"read")
    path.write_bytes(b"saved by an editor")
    with pytest.raises(WriteConflict, match="changed since placer read it"):
        write_atomic(path, b"placer's", expected=b"read")
    assert path.read_bytes() == b"saved by an editor"
    write_atomic(path, b"placer's", expected=b"saved by an editor")
    assert path.read_bytes() == b"placer's"
    with pytest.raises(WriteConflict):  # expected=None: only if nobody created it
        write_atomic(path, b"new", expected=None)
    assert os.listdir(tmp_path) == ["flow.py"]


def test_live_temps_are_registered_and_removed_by_the_signal_cleanup(tmp_path, monkeypatch):
    from placer import atomic

    seen = []

    def replace_then_die(src, dst):  # SIGTERM arrives while the temp exists
        seen.append(sorted(os.listdir(tmp_path)))
        assert atomic.remove_live_temps() == 1
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace_then_die)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "plan.json", b"{}")
    assert len(seen[0]) == 1 and seen[0][0].startswith(".plan.json.placer-")
    assert os.listdir(tmp_path) == []


def test_stale_temps_are_swept_and_live_ones_kept(tmp_path):
    import subprocess
    import sys

    from placer.atomic import _HOST, STALE_TEMP_SECONDS, sweep_stale_temps

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = tmp_path / f".flow.py.placer-{_HOST}-{int(done.stdout)}-00000000.tmp"
    alive = tmp_path / f".flow.py.placer-{_HOST}-{os.getppid()}-00000001.tmp"
    other_host = tmp_path / ".flow.py.placer-ffffffff-1-00000002.tmp"
    old = tmp_path / ".flow.py.placer-ffffffff-2-00000003.tmp"
    other_file = tmp_path / f".plan.json.placer-{_HOST}-{int(done.stdout)}-00000004.tmp"
    for path in (dead, alive, other_host, old, other_file):
        path.write_text("half")
    os.utime(old, (0, 0))
    removed = sweep_stale_temps(tmp_path / "flow.py")
    assert sorted(removed) == sorted([dead, old])
    assert alive.exists() and other_host.exists() and other_file.exists()
    assert STALE_TEMP_SECONDS == 3600
