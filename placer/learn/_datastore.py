"""Artifact sizes and the run's recorded graph, from the run's datastore.

Each task records its datastore (`ds-type`, `ds-root` metadata). Its final attempt's
`<attempt>.data.json` lists every artifact with its content hash and size; those of several
runs are fetched with one `load_bytes` call of Metaflow's storage class for that datastore
(parallel downloads on S3, Azure and GCS). The Client's `DataArtifact.size` reads the same
file, one task at a time; `FlowDataStore.get_task_datastores` probes 18 names per task.

`_graph_info`, the artifact in which Metaflow records each step's decorators and their
arguments as the run used them, is one blob per code version, unpickled by an unpickler
that refuses every class (it is a dict of plain values, and the datastore is untrusted input).
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Mapping, Sequence
from typing import Any

from placer.errors import LearnError
from placer.learn._records import ArtifactSize, TaskRecord

TaskKey = tuple[str, str]  # (step, task id)
Sizes = dict[TaskKey, dict[str, ArtifactSize]]


def _storage(ds_type: str, ds_root: str) -> Any:
    from metaflow.plugins import DATASTORES

    impl = next((d for d in DATASTORES if d.TYPE == ds_type), None)
    if impl is None:
        known = ", ".join(sorted(d.TYPE for d in DATASTORES))
        raise LearnError(
            f"the run's datastore type {ds_type!r} is not one this Metaflow knows ({known})",
            ds_root,
            "install the Metaflow extension that provides it",
        )
    return impl(ds_root)


def _attempt(task: TaskRecord) -> int:
    final = task.final
    return final.number if final else 0  # `_parameters` records no attempt: it has only 0


def read_sizes(
    flow_name: str, runs: Sequence[tuple[str, Sequence[TaskRecord]]]
) -> dict[str, Sizes]:
    """Artifacts of each task's final attempt, by run id and (step, task id), for several
    runs in one `load_bytes` call per datastore (on S3 each call is one parallel download
    in a subprocess). Tasks whose datastore lacks the file (never finished) are left out."""
    from metaflow.datastore.task_datastore import TaskDataStore

    groups: dict[tuple[str, str], list[tuple[str, TaskRecord]]] = {}
    for run_id, tasks in runs:
        for task in tasks:
            if task.ds_type and task.ds_root:
                groups.setdefault((task.ds_type, task.ds_root), []).append((run_id, task))
    out: dict[str, Sizes] = {run_id: {} for run_id, _ in runs}
    for (ds_type, ds_root), members in groups.items():
        storage = _storage(ds_type, ds_root)
        paths = {
            storage.path_join(
                flow_name,
                run_id,
                t.step,
                t.task_id,
                TaskDataStore.metadata_name_for_attempt(
                    TaskDataStore.METADATA_DATA_SUFFIX, _attempt(t)
                ),
            ): (run_id, t.step, t.task_id)
            for run_id, t in members
        }
        for (run_id, step, task_id), artifacts in _load(storage, paths, ds_root).items():
            out[run_id][(step, task_id)] = artifacts
    return out


def _load(
    storage: Any, paths: Mapping[str, tuple[str, str, str]], ds_root: str
) -> dict[tuple[str, str, str], dict[str, ArtifactSize]]:
    from metaflow.exception import MetaflowException

    out: dict[tuple[str, str, str], dict[str, ArtifactSize]] = {}
    try:
        with storage.load_bytes(list(paths)) as results:
            for key, local_path, _ in results:
                if local_path is not None and key in paths:
                    with open(local_path, encoding="utf-8") as handle:
                        out[paths[key]] = _artifacts(json.load(handle))
    except (MetaflowException, OSError, ValueError) as exc:
        raise LearnError(
            f"reading artifact sizes from the datastore failed: {str(exc).splitlines()[0][:200]}",
            ds_root,
            "check access to the datastore (credentials, METAFLOW_DATASTORE_SYSROOT_*)",
        ) from None
    return out


def _artifacts(data: Mapping[str, Any]) -> dict[str, ArtifactSize]:
    info = data.get("info") or {}
    out = {}
    for name, sha in (data.get("objects") or {}).items():
        size = (info.get(name) or {}).get("size") or 0
        out[str(name)] = ArtifactSize(str(sha), size if isinstance(size, int) else 0)
    return out


class _PlainUnpickler(pickle.Unpickler):
    """Builds dicts, lists, strings and numbers; refuses every class or function."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing {module}.{name} in _graph_info")


def read_graph_info(
    flow_name: str, task: TaskRecord, artifacts: Mapping[str, ArtifactSize], cache: dict
) -> Mapping[str, Any] | None:
    """The `_graph_info` the task carries (None if it has none or it can't be read)."""
    from metaflow.datastore.content_addressed_store import ContentAddressedStore
    from metaflow.exception import MetaflowException

    graph = artifacts.get("_graph_info")
    if graph is None or not task.ds_type or not task.ds_root:
        return None
    if graph.sha not in cache:
        storage = _storage(task.ds_type, task.ds_root)
        store = ContentAddressedStore(storage.path_join(flow_name, "data"), storage)
        try:
            blobs = dict(store.load_blobs([graph.sha]))
            value = _PlainUnpickler(io.BytesIO(blobs[graph.sha])).load()
        except (MetaflowException, OSError, KeyError, IndexError, TypeError, ValueError, EOFError):
            value = None
        cache[graph.sha] = value if isinstance(value, Mapping) else None
    return cache[graph.sha]
