"""Atomic file replacement, the one way placer writes flows, plans, reports and caches.

A temp file in the same directory is written, fsynced and renamed over the target, so a
reader (or a crash, or Ctrl-C) sees the old file or the new one, never half of either.

Three more guarantees, for files other people and processes also touch:

- **compare-and-swap**: with ``expected``, the target is re-read under an advisory lock
  (:mod:`placer.lock`) just before the rename, and the write is refused with
  :class:`~placer.errors.WriteConflict` if it no longer holds what placer read (another
  `placer apply`, an editor's save). ``expected=None`` means "must not exist yet".
- **no leftovers**: temp files are named ``.<name>.placer-<host>-<pid>-<random>.tmp``
  and registered while they exist; :func:`remove_live_temps` (the CLI's SIGTERM handler)
  deletes them, and every write first sweeps the temps of its target that a killed run
  left behind (their process is gone, or they are over an hour old).
- the file keeps its permission bits; a symlink is written through (callers that must not
  follow one out of a project check with :func:`placer.inputs.inside`).
"""

from __future__ import annotations

import errno
import os
import secrets
import socket
import stat
import time
import zlib
from pathlib import Path
from typing import Final

from placer.errors import WriteConflict

ANY: Final = object()  # `expected` default: overwrite whatever is there
STALE_TEMP_SECONDS = 3600.0
_LIVE: set[str] = set()  # temp files this process is writing right now
_HOST = f"{zlib.crc32(socket.gethostname().encode()):08x}"


def write_atomic(
    path: Path, data: bytes | str, *, mode: int | None = None, expected: object = ANY
) -> None:
    """Replace `path` with `data` (str is written as UTF-8, newlines untouched).

    The file keeps its permission bits; a new file gets `mode`, else what the umask allows.
    A symlink is written through, not replaced. With `expected` (bytes, or None for "no
    file yet"), the write happens only if the file still holds exactly that.
    """
    target = Path(os.path.realpath(path))
    payload = data.encode("utf-8") if isinstance(data, str) else data
    sweep_stale_temps(target)
    if expected is ANY:
        _replace(target, payload, mode)
        return
    from placer.lock import locked

    with locked([target]):
        if current_bytes(target) != expected:
            raise _conflict(path)
        _replace(target, payload, mode)


def write_all_atomic(files: list[tuple[Path, bytes, bytes | None]]) -> None:
    """Write several files (path, new bytes, bytes read before) under one set of locks.

    Every file is compared with what was read before any is written, so a conflict on one
    leaves them all as they were. An OSError names the file (as given) it is about.
    """
    from placer.lock import locked

    targets = [(Path(os.path.realpath(p)), p, new, old) for p, new, old in files]
    for target, *_ in targets:
        sweep_stale_temps(target)
    missing = next((shown for target, shown, *_ in targets if not target.parent.is_dir()), None)
    if missing is not None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(missing))
    with locked([t for t, *_ in targets]):
        for target, shown, _new, old in targets:
            if current_bytes(target) != old:
                raise _conflict(shown)
        for target, shown, new, _old in targets:
            try:
                _replace(target, new, None)
            except OSError as exc:
                raise type(exc)(exc.errno, exc.strerror, str(shown)) from None


def current_bytes(path: Path) -> bytes | None:
    """What the file holds now (None: no file)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _conflict(path: Path) -> WriteConflict:
    return WriteConflict(
        "the file changed since placer read it (another placer run or an editor saved it); "
        "nothing was written",
        str(path),
        "re-run the command on the current file",
    )


def _replace(target: Path, payload: bytes, mode: int | None) -> None:
    bits = mode if mode is not None else _mode_of(target)
    temp = target.parent / f".{target.name}.placer-{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    _LIVE.add(str(temp))  # registered before it exists: a signal can never miss it
    try:
        fd = os.open(
            temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, bits)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    finally:
        _LIVE.discard(str(temp))


def remove_live_temps() -> int:
    """Delete the temp files this process is writing (for a SIGTERM handler); how many."""
    removed = 0
    for name in list(_LIVE):
        try:
            os.unlink(name)
            removed += 1
        except OSError:
            pass
        _LIVE.discard(name)
    return removed


def sweep_stale_temps(target: Path, now: float | None = None) -> list[Path]:
    """Delete the temps of `target` that a killed placer left; return what was removed.

    A temp is stale when the process that wrote it (same host) is gone, or when it is over
    an hour old (a write takes milliseconds).
    """
    prefix = f".{target.name}.placer-"
    removed = []
    try:
        names = [
            n for n in os.listdir(target.parent) if n.startswith(prefix) and n.endswith(".tmp")
        ]
    except OSError:
        return []
    for name in names:
        temp = target.parent / name
        if str(temp) in _LIVE or not _stale(name[len(prefix) : -len(".tmp")], temp, now):
            continue
        try:
            temp.unlink()
            removed.append(temp)
        except OSError:
            pass
    return removed


def _stale(tag: str, temp: Path, now: float | None) -> bool:
    host, _, rest = tag.partition("-")
    pid_text = rest.partition("-")[0]
    try:
        age = (now or time.time()) - temp.lstat().st_mtime
    except OSError:
        return False
    if age > STALE_TEMP_SECONDS:
        return True
    return host == _HOST and pid_text.isdigit() and not _alive(int(pid_text))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _mode_of(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
