"""Fixtures shared by several test modules."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

LEARN_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "learn"


@dataclass(frozen=True)
class LearnRuns:
    """Real runs of tests/fixtures/learn/learnflow.py, made by Metaflow in a temp dir with
    local metadata and a local datastore: `ok_small` (width 3), `failed` (its `fast` step
    raises), `ok_large` (width 5), in that order (newest last)."""

    root: Path  # holds learnflow.py (and the metadata/datastore under store/)
    store: Path  # METAFLOW_DATASTORE_SYSROOT_LOCAL: the .metaflow directory is inside
    env: dict[str, str]  # the environment the runs were made with
    ok_small: str
    failed: str
    ok_large: str

    @property
    def flow(self) -> Path:
        return self.root / "learnflow.py"

    @property
    def metadata(self) -> str:
        """The Client's spelling of this store, for `metaflow.metadata()`."""
        return f"local@{self.store}"


def _metaflow_env(root: Path) -> dict[str, str]:
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "METAFLOW_HOME": str(home),  # no user profile leaks in
        "METAFLOW_DEFAULT_METADATA": "local",
        "METAFLOW_DEFAULT_DATASTORE": "local",
        "METAFLOW_DATASTORE_SYSROOT_LOCAL": str(root / "store"),
        "USERNAME": "placer-test",
    }


def _run(root: Path, env: dict[str, str], name: str, *params: str) -> str:
    id_file = root / f"{name}.id"
    done = subprocess.run(
        [sys.executable, "learnflow.py", "--no-pylint", "run", "--run-id-file", str(id_file)]
        + list(params),
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    expect_failure = "--fail" in params
    assert (done.returncode != 0) == expect_failure, done.stderr[-3000:]
    return id_file.read_text().strip()


def _make_runs(root: Path) -> dict[str, str]:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(LEARN_FIXTURES / "learnflow.py", root / "learnflow.py")
    env = _metaflow_env(root)
    return {
        "ok_small": _run(root, env, "ok_small", "--width", "3"),
        "failed": _run(root, env, "failed", "--fail", "true"),
        "ok_large": _run(root, env, "ok_large", "--width", "5"),
    }


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def learn_runs(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> LearnRuns:
    """The runs are made once per test session: under xdist the first worker makes them
    and the others wait for it (the flows sleep, so this costs ~15 s once)."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    root = shared / "learn-runs"
    with _locked(shared / "learn-runs.lock"):
        marker = root / "runs.json"
        if not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps(_make_runs(root)))
        ids = json.loads(marker.read_text())
    return LearnRuns(root=root, store=root / "store", env=_metaflow_env(root), **ids)
