"""Advisory locks per target file, so two placer processes never write one file at once.

`locked(paths)` holds an exclusive `flock` for each path: on the file itself when it
exists, else on its directory (a file about to be created has no inode to lock; several
new files in one directory share that lock). A lock on a file is only good while the path
still names that inode, since an atomic write replaces it; the locks are re-taken until
every path and its locked inode agree. No lock files are left in the user's repository.
The locks are advisory: editors do not take them, which is why every write also compares
the file with what was read (:func:`placer.atomic.write_atomic`'s ``expected``).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from placer.errors import PlacerError

WAIT_SECONDS = 60.0  # a write takes milliseconds; a lock held this long belongs to a stuck run

Identity = tuple[int, int] | None  # (device, inode) of the file; None: no file


@contextlib.contextmanager
def locked(paths: Iterable[Path], wait_s: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold an exclusive lock for each target until the block ends."""
    targets = sorted({Path(os.path.realpath(p)) for p in paths})
    deadline = time.monotonic() + wait_s
    while True:
        with contextlib.ExitStack() as stack:
            seen = {target: _identity(target) for target in targets}
            # what to lock: the file, or its directory; sorted, so no two runs deadlock
            keys = sorted({target if seen[target] else target.parent for target in targets})
            for key in keys:
                stack.enter_context(_flock(key, deadline))
            if all(_identity(target) == seen[target] for target in targets):
                yield
                return
        # a file was replaced or created meanwhile: lock what is there now


def _identity(target: Path) -> Identity:
    try:
        info = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (info.st_dev, info.st_ino)


@contextlib.contextmanager
def _flock(path: Path, deadline: float) -> Iterator[None]:
    import fcntl

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PlacerError(
                        "another placer process has held this file's lock for too long",
                        str(path),
                        "wait for the other `placer` run to finish, then retry",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        yield
    finally:
        os.close(fd)  # closing releases the flock
