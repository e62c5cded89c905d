"""Running an older commit's placer side by side with this checkout (bench_hardware,
bench_rewrite): its placer/ and pricing/ taken out with `git archive`, each run in a fresh
process with one tree or the other first on PYTHONPATH, before and now alternately."""

from __future__ import annotations

import os
import statistics
import subprocess
import tarfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def old_tree(commit: str, folder: Path, bench: str) -> Path:
    """`commit`'s placer/ and pricing/ in `folder`, or SystemExit naming `bench` and what
    failed."""
    try:
        data = subprocess.run(
            ["git", "archive", commit, "placer", "pricing"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"{bench}: cannot read commit {commit} with git: {exc}") from exc
    with tarfile.open(fileobj=BytesIO(data)) as archive:
        archive.extractall(folder, filter="data")
    return folder


def tree_env(tree: Path) -> dict[str, str]:
    """The environment of a process that imports placer from `tree` (no .pyc left there)."""
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


def alternate(measure: Callable[[bool], dict], reps: int) -> tuple[list[dict], list[dict]]:
    """`measure(before)` `reps` times each, alternately, the order flipped every time."""
    before: list[dict] = []
    now: list[dict] = []
    for rep in range(reps):
        for old in (True, False) if rep % 2 == 0 else (False, True):
            (before if old else now).append(measure(old))
    return before, now


def median(runs: list[dict], key: str) -> float:
    """The median of `key` over `runs`."""
    return statistics.median(r[key] for r in runs)
