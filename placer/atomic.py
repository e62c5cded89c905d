"""Atomic file replacement, the one way placer writes flows, plans, reports and caches.

A temp file in the same directory is written, fsynced and renamed over the target, so a
reader (or a crash, or Ctrl-C) sees the old file or the new one, never half of either.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Replace `path` with `data` (str is written as UTF-8, newlines untouched).

    The file keeps its permission bits; a new file gets `mode`, else what the umask allows.
    A symlink is written through, not replaced.
    """
    target = Path(os.path.realpath(path))
    bits = mode if mode is not None else _mode_of(target)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, bits)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _mode_of(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
