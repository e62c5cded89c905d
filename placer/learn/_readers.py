"""Reading every task of a run from the metadata provider, in as few calls as it allows.

Metaflow's Client has no bulk call for task metadata: `Task.metadata` is one provider call
per task (`get_object("task", "metadata", ...)`), and the local provider keeps every
metadatum in its own JSON file. So each provider gets the cheapest faithful reader:

- ``local``: the provider's own directory layout, `<flow>/<run>/<step>/<task>/_meta/
  sysmeta_<field>_<ts_epoch>.json` (LocalMetadataProvider.register_metadata): one directory
  listing per task, and only the few files whose values matter are opened (a time read
  from a file name is the provider's clock a moment after the row's own `ts_epoch`: 1 ms
  later on an idle machine, a few more under load);
- ``service``: the metadata service's run-level route `GET /flows/F/runs/R/metadata` (every
  task's metadata in one request; the Client never calls it), through the provider's own
  request method so its headers and retries apply;
- any other provider: `get_object` per step and per task, as the Client does.

All three build the same :class:`~placer.learn._records.TaskRecord` through `task_record`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any, Protocol

from placer.learn._records import (
    CLONE_FIELD,
    DATASTORE_FIELDS,
    VALUE_FIELDS,
    TaskRecord,
    task_record,
)
from placer.learn._source import Source, local_root, provider_call

_META = "_meta"
_PREFIX = "sysmeta_"
# File-name prefixes of the fields read (a task has ~35 files; most are skipped unparsed).
_WANTED = tuple(
    _PREFIX + p
    for p in (
        "attempt",
        "foreach-execution-path",
        "ds-",
        "kubernetes-",
        "ec2-",
        "aws-batch-",
        CLONE_FIELD,
    )
)


class Reader(Protocol):
    """Reads every task of one run."""

    def tasks(self, run_id: str) -> list[TaskRecord]: ...


def reader_for(source: Source, flow_name: str) -> Reader:
    """The cheapest faithful reader for the source's provider."""
    if source.kind == "local":
        return LocalReader(local_root(source.provider), flow_name)
    if source.kind == "service" and hasattr(source.provider, "_request"):
        return ServiceReader(source, flow_name)
    return ProviderReader(source, flow_name)


# --- any provider ------------------------------------------------------------------------


class ProviderReader:
    """`get_object` per step and task: what `Run.steps()`, `Step.tasks()` and
    `Task.metadata` do, without building Client objects."""

    def __init__(self, source: Source, flow_name: str):
        self._source = source
        self._flow = flow_name

    def tasks(self, run_id: str) -> list[TaskRecord]:
        out = []
        steps = provider_call(self._source, "run", "step", None, None, self._flow, run_id) or []
        for step_row in steps:
            step = str(step_row["step_name"])
            rows = provider_call(self._source, "step", "task", None, None, self._flow, run_id, step)
            for task_row in rows or []:
                task_id = str(task_row["task_id"])
                meta = provider_call(
                    self._source, "task", "metadata", None, None, self._flow, run_id, step, task_id
                )
                out.append(task_record(step, task_id, meta or []))
        return with_run_datastore(out)


# --- the metadata service ----------------------------------------------------------------


class ServiceReader:
    """One request per run for all its tasks' metadata; a service without the run-level
    route (HTTP 404) is read per task instead."""

    def __init__(self, source: Source, flow_name: str):
        self._source = source
        self._flow = flow_name
        self._fallback = ProviderReader(source, flow_name)

    def tasks(self, run_id: str) -> list[TaskRecord]:
        rows = self._run_metadata(run_id)
        if rows is None:
            return self._fallback.tasks(run_id)
        by_task: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        for row in rows:
            by_task.setdefault((str(row["step_name"]), str(row["task_id"])), []).append(row)
        return with_run_datastore(
            [task_record(step, task, rows) for (step, task), rows in by_task.items()]
        )

    def _run_metadata(self, run_id: str) -> list[Mapping[str, Any]] | None:
        import requests
        from metaflow.exception import MetaflowException

        from placer.errors import LearnError

        path = f"/flows/{self._flow}/runs/{run_id}/metadata"
        try:
            body, _ = self._source.provider._request(None, path, "GET")
        except MetaflowException as exc:
            if getattr(exc, "http_code", None) == 404:
                return None
            raise LearnError(
                f"reading {path} failed: {str(exc).splitlines()[0][:200]}",
                self._source.description,
                "check that the metadata service is reachable and try again",
            ) from None
        except requests.RequestException as exc:
            raise LearnError(
                f"reading {path} failed ({type(exc).__name__})",
                self._source.description,
                "check that the metadata service is reachable and try again",
            ) from None
        return list(body or [])


# --- the local provider ------------------------------------------------------------------


class LocalReader:
    """Metaflow's local metadata directory, read with one listing per task."""

    def __init__(self, root: str, flow_name: str):
        self._run_dir = os.path.join(root, flow_name)

    def tasks(self, run_id: str) -> list[TaskRecord]:
        run_dir = os.path.join(self._run_dir, run_id)
        records = []
        found = False
        for step, step_dir in _subdirs(run_dir):
            for task_id, task_dir in _subdirs(step_dir):
                meta = os.path.join(task_dir, _META)
                rows, datastore_files = _local_rows(meta)
                if not found and datastore_files:  # one task's are the run's: read once
                    rows += _datastore_rows(meta, datastore_files)
                    found = True
                records.append(task_record(step, task_id, rows))
        return with_run_datastore(records)


def _subdirs(path: str) -> Iterator[tuple[str, str]]:
    try:
        entries = list(os.scandir(path))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.name != _META and entry.is_dir():
            yield entry.name, entry.path


def _split(name: str) -> tuple[str, int] | None:
    """("attempt_ok", 1796291994930) from "sysmeta_attempt_ok_1796291994930.json"."""
    if not (name.startswith(_PREFIX) and name.endswith(".json")):
        return None
    field, _, stamp = name[len(_PREFIX) : -len(".json")].rpartition("_")
    return (field, int(stamp)) if field and stamp.isdigit() else None


def _local_rows(meta: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows task_record needs, and the names of the datastore-field files.

    Rows of three fields come from file names alone: an `attempt` is registered as each
    attempt starts, one after the other, so its number is its rank in time; `attempt-done`
    only needs its time (task_record pairs it with the attempt started before it), and
    `origin-task-id` only its presence."""
    try:
        names = os.listdir(meta)
    except FileNotFoundError:
        return [], []
    rows: list[dict[str, Any]] = []
    datastore_files = []
    starts = []
    for name in names:
        parsed = _split(name) if name.startswith(_WANTED) else None
        if parsed is None:
            continue
        field, stamp = parsed
        if field == "attempt":
            starts.append(stamp)
        elif field in ("attempt-done", CLONE_FIELD):
            rows.append({"field_name": field, "value": None, "ts_epoch": stamp, "tags": ()})
        elif field in VALUE_FIELDS:
            rows.append(_read_row(meta, name, stamp))
        elif field in DATASTORE_FIELDS:
            datastore_files.append(name)
    rows += (
        {"field_name": "attempt", "value": str(n), "ts_epoch": ts, "tags": ()}
        for n, ts in enumerate(sorted(starts))
    )
    return rows, datastore_files


def _read_row(meta: str, name: str, stamp: int) -> dict[str, Any]:
    with open(os.path.join(meta, name), encoding="utf-8") as handle:
        row = json.load(handle)
    row.setdefault("ts_epoch", stamp)
    return row


def _datastore_rows(meta: str, names: Iterable[str]) -> list[dict[str, Any]]:
    return [_read_row(meta, name, parsed[1]) for name in names if (parsed := _split(name))]


def with_run_datastore(records: list[TaskRecord]) -> list[TaskRecord]:
    """The run's datastore on every task that does not name its own (the runtime gives all
    tasks of a run the same one; `_parameters` records none)."""
    known = next((r for r in records if r.ds_type and r.ds_root), None)
    if known is None:
        return records
    return [
        r if r.ds_root else replace(r, ds_type=known.ds_type, ds_root=known.ds_root)
        for r in records
    ]
