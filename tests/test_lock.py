"""Advisory locks per target: exclusive across processes, re-taken when the file is replaced."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from placer.atomic import write_atomic
from placer.errors import PlacerError
from placer.lock import locked

HOLD = """
import sys, time
from pathlib import Path
from placer.lock import locked
with locked([Path(sys.argv[1])]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(path: Path, seconds: float) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "locked\n"
    return child


@pytest.mark.parametrize("exists", [True, False])
def test_a_second_process_waits_for_the_lock(tmp_path, exists):
    path = tmp_path / "flow.py"
    if exists:
        path.write_text("x")
    child = _holder(path, 0.5)
    started = time.monotonic()
    with pytest.raises(PlacerError, match="held this file's lock for too long"):
        with locked([path], wait_s=0.05):
            pass
    with locked([path], wait_s=10):  # granted once the holder lets go, not before
        assert time.monotonic() - started >= 0.45
    child.wait()


def test_a_replaced_file_is_locked_again(tmp_path):
    path = tmp_path / "flow.py"
    path.write_text("one")
    with locked([path]):
        write_atomic(path, "two")  # a new inode; the lock followed the path, not the inode
    child = _holder(path, 0.3)
    started = time.monotonic()
    with locked([path], wait_s=10):
        assert time.monotonic() - started > 0.1
    child.wait()


def test_several_new_files_in_one_directory_share_its_lock(tmp_path):
    new = [tmp_path / "placement.json", tmp_path / "placer_placement.py", tmp_path / "flow.py"]
    new[2].write_text("x")
    with locked(new, wait_s=1):  # would wait on itself if the directory were locked twice
        pass
