"""Files placer reads or writes on a user's behalf, checked before use.

In CI the flow, placer.yaml and plan files come from a pull request, so each may be
hostile: a FIFO that never ends, `/dev/zero`, a gigabyte of JSON, a symlink out of the
repository. :func:`read_regular` reads only regular files, up to a size cap, without ever
blocking on a FIFO; :func:`check_output` refuses an output that is one of the command's
inputs (the same inode) or not a regular file; :func:`inside` says whether a path stays
in a project after symlinks.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from placer.errors import InputError, PlacerError

MIB = 1024 * 1024
# Caps on what placer reads (docs/reliability.md); far above anything real.
MAX_FLOW_BYTES = 8 * MIB
MAX_CONFIG_BYTES = 8 * MIB
MAX_PLAN_BYTES = 64 * MIB
MAX_DOCUMENT_BYTES = 16 * MIB  # placement.json, a Config file, a selectors document


def read_regular(
    path: Path,
    what: str,
    limit: int,
    error: type[PlacerError] = InputError,
    hint: str | None = None,
) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes; else `error`.

    The file is opened non-blocking and checked with fstat on the open descriptor, so a
    FIFO or a device is refused without reading from it, whatever it is swapped for.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        raise error(f"{what} not found", str(path), hint or "check the path") from None
    except PermissionError:
        raise error(
            f"cannot read the {what} (permission denied)", str(path), "make it readable"
        ) from None
    except OSError as exc:  # a symlink loop, a name too long
        raise error(f"cannot read the {what} ({exc.strerror or exc})", str(path), hint) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"is a directory, not a {what}", str(path), hint or "give a file path")
        if not stat.S_ISREG(info.st_mode):
            raise error(
                f"is not a regular file (a FIFO, device or socket), not a {what}",
                str(path),
                hint or "give a regular file",
            )
        if info.st_size > limit:
            raise _too_big(error, what, path, limit)
        return _read_at_most(fd, limit, error, what, path)
    finally:
        os.close(fd)


def _read_at_most(fd: int, limit: int, error: type[PlacerError], what: str, path: Path) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = os.read(fd, min(1 * MIB, limit + 1 - size))
        except OSError as exc:
            raise error(f"cannot read the {what} ({exc.strerror or exc})", str(path)) from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:  # it grew while being read
            raise _too_big(error, what, path, limit)


def _too_big(error: type[PlacerError], what: str, path: Path, limit: int) -> PlacerError:
    return error(
        f"the {what} is larger than {limit // MIB} MB",
        str(path),
        f"placer reads a {what} of at most {limit // MIB} MB; check it is the right file",
    )


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (the same inode), following symlinks."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(out: Path, inputs: Iterable[Path | None], option: str = "--out") -> None:
    """Refuse an output that would overwrite one of the inputs, or is not a regular file."""
    for source in inputs:
        if source is not None and same_file(out, source):
            raise InputError(
                f"{option} is the same file as {source}, an input of this command; writing "
                "there would destroy it",
                str(out),
                f"give {option} another file name",
            )
    _refuse_leaving_link(out, option)
    try:
        info = os.stat(out)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise InputError(f"cannot use {option} ({exc.strerror or exc})", str(out)) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{option} is a directory", str(out), f"give a file path, e.g. {out}/FILE")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{option} is not a regular file (a FIFO, device or socket)",
            str(out),
            "give a regular file path, or leave the option out to print to stdout",
        )


def _refuse_leaving_link(out: Path, option: str) -> None:
    """Refuse an output path that a symlink (the file or a directory on the way) sends out
    of the project it is written in: a link committed to a repository must not make placer
    overwrite ~/.bashrc. The project is the repository above the path as written."""
    written = Path(os.path.abspath(out))
    root = project_root(written.parent)
    if inside(written, root):
        return
    raise InputError(
        f"{option} resolves to {os.path.realpath(written)} through a symlink, outside the "
        f"project ({root}); placer does not write through it",
        str(out),
        f"give {option} the real path, or remove the link",
    )


def project_root(directory: Path) -> Path:
    """The repository root above `directory` (holding `.git`), else `directory` itself."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return directory


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every symlink resolved, lies under `root` (also resolved)."""
    real = Path(os.path.realpath(path))
    return real.is_relative_to(Path(os.path.realpath(root)))


def project_of(path: Path) -> Path:
    """The project a file belongs to: the repository root of its (resolved) directory."""
    return project_root(Path(os.path.realpath(Path(path).absolute().parent)))
