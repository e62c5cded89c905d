"""Advisory locks per target file, so two placer processes never write one file at once.

`locked(paths)` holds an exclusive `flock` for each path: on the file itself when it
exists, else on its directory (a file about to be created has no inode to lock). A lock
on a file is only good while the path still names that inode, since an atomic write
replaces it; the lock is re-taken until the path and the locked inode agree. No lock
files are left in the user's repository. The locks are advisory: editors do not take
them, which is why every write also compares the file with what was read
(:func:`placer.atomic.write_atomic`'s ``expected``).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from placer.errors import PlacerError

WAIT_SECONDS = 60.0  # a write takes milliseconds; a lock held this long belongs to a stuck run


@contextlib.contextmanager
def locked(paths: Iterable[Path], wait_s: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold an exclusive lock on each target (sorted, so two processes never deadlock)."""
    targets = sorted({Path(os.path.realpath(p)) for p in paths})
    with contextlib.ExitStack() as stack:
        for target in targets:
            stack.enter_context(_one(target, wait_s))
        yield


@contextlib.contextmanager
def _one(target: Path, wait_s: float) -> Iterator[None]:
    deadline = time.monotonic() + wait_s
    while True:
        fd, identity = _open(target)
        try:
            _acquire(fd, target, deadline)
            if _identity(target) == identity:  # still the file (or absence) we locked
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # replaced (or created) meanwhile: lock what is there now
    try:
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _open(target: Path) -> tuple[int, tuple[int, int] | None]:
    """An fd to lock: the target if it exists, else its directory; and what it identifies."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags)
    except (FileNotFoundError, NotADirectoryError):
        fd = os.open(target.parent, flags)
        return fd, None
    info = os.fstat(fd)
    return fd, (info.st_dev, info.st_ino)


def _identity(target: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (info.st_dev, info.st_ino)


def _acquire(fd: int, target: Path, deadline: float) -> None:
    import fcntl

    delay = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise PlacerError(
                    "another placer process has held this file's lock for too long",
                    str(target),
                    "wait for the other `placer` run to finish, then retry",
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
