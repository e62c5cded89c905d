"""Non-regular files where placer reads one (a FIFO, /dev/zero, a directory): each is
refused at once with exit 2 naming it, never read, never waited on."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

from placer.cli import main
from placer.cli._env import Environment

ROOT = Path(__file__).resolve().parent.parent
FLOW = ROOT / "examples" / "crosscloud" / "crosscloudflow.py"


def _run_bounded(argv: list[str], seconds: float = 60) -> tuple[int, str]:
    """(exit code, stderr) of `placer argv`, failing the test if it blocks."""
    out, err, codes = io.StringIO(), io.StringIO(), []
    worker = threading.Thread(
        target=lambda: codes.append(main(argv, Environment(stdout=out, stderr=err, width=200))),
        daemon=True,  # a FIFO read that blocks must not hang the test session
    )
    worker.start()
    worker.join(seconds)
    assert codes, f"placer {' '.join(argv)} blocked reading a special file"
    return codes[0], err.getvalue()


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "special"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["graph", "{fifo}"], "is not a regular file"),
        (["graph", "/dev/zero"], "is not a regular file"),
        (["plan", str(FLOW), "--config", "{fifo}"], "is not a regular file"),
        (["plan", str(FLOW), "--config", "/dev/zero"], "is not a regular file"),
        (["report", "{fifo}"], "is not a regular file"),
        (["report", "/dev/zero"], "is not a regular file"),
        (["learn", str(FLOW), "--write", "{fifo}"], "is not a regular file"),
    ],
)
def test_special_files_are_refused_unread(fifo: Path, argv: list[str], said: str) -> None:
    argv = [arg.format(fifo=fifo) for arg in argv]
    named = str(fifo) if "{fifo}" in " ".join(argv) or str(fifo) in argv else "/dev/zero"
    code, err = _run_bounded(argv)
    assert code == 2, err
    assert err.startswith(f"error: {named}: ") and said in err, err
    assert err.count("\n") == 1
