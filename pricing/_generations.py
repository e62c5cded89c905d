"""The refresh cache as generations: each refresh writes a new directory and switches to it.

``<cache>/current`` is a symlink to the generation in use (``gen-<time>-<random>``). A
refresh fills a new generation (the clouds it fetched, merged with what was there; the
others carried over unchanged), then replaces the symlink in one ``rename`` — so readers
see every table of one refresh or every table of the previous one, never a mix, and a
refresh killed half-way leaves ``current`` as it was. Refreshes are serialized by a lock
on the cache directory (:mod:`placer.lock`), so two refreshes of different regions both
land: the second merges into what the first switched to.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from pricing._model import CLOUDS
from pricing._store import CURRENT, egress_name, live_dir, offers_name

PREFIX = "gen-"


@contextlib.contextmanager
def refreshing(cache: Path) -> Iterator[Path]:
    """Lock the cache, yield a new empty generation, and switch to it if the block succeeds.

    On any error (or a signal) the new generation is removed and `current` is untouched.
    """
    from placer.lock import locked

    cache.mkdir(parents=True, exist_ok=True)
    with locked([cache]):
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        new = cache / f"{PREFIX}{stamp}-{os.getpid()}-{secrets.token_hex(3)}"
        new.mkdir()
        try:
            yield new
            previous = _switch(cache, new)
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            raise
        _sweep(cache, keep={new.name, previous})


def carry_over(cache: Path, new: Path, cloud: str) -> None:
    """Put the live tables of a cloud this refresh did not fetch into the new generation."""
    live = live_dir(cache)
    for name in (offers_name(cloud), egress_name(cloud)):
        source = live / name
        if source.is_file():
            _link_or_copy(source, new / name)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # the same bytes, for free; generations never edit a file
    except OSError:
        shutil.copyfile(source, target)


def _switch(cache: Path, new: Path) -> str | None:
    """Point `current` at `new` in one rename; return the generation it pointed at before."""
    current = cache / CURRENT
    previous = os.readlink(current) if current.is_symlink() else None
    for directory in (new, cache):
        _fsync_dir(directory)
    link = cache / f".{CURRENT}.{secrets.token_hex(4)}.tmp"
    os.symlink(new.name, link)
    try:
        os.replace(link, current)
    except BaseException:
        link.unlink(missing_ok=True)
        raise
    _fsync_dir(cache)
    return previous


def _sweep(cache: Path, keep: set[str | None]) -> None:
    """Remove generations other than `keep` (a killed refresh's, older ones), temp links,
    and tables of the layout before generations (superseded by `current`)."""
    for entry in cache.iterdir():
        name = entry.name
        if name.startswith(PREFIX) and name not in keep and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif name.startswith(f".{CURRENT}.") and name.endswith(".tmp"):
            entry.unlink(missing_ok=True)
        elif name.startswith(("offers-", "egress-")) and name.endswith(".json"):
            entry.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def generations(cache: Path) -> list[str]:
    """The generation directories in the cache (for tests and `pricing info`)."""
    if not cache.is_dir():
        return []
    return sorted(e.name for e in cache.iterdir() if e.name.startswith(PREFIX) and e.is_dir())


__all__ = ["CLOUDS", "carry_over", "generations", "refreshing"]
