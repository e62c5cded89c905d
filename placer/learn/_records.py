"""What placer reads about past runs, as plain values (no Metaflow objects).

Every metadata reader (local directory, metadata service, any provider through the Client's
`get_object`) turns Metaflow's metadata rows into these records through :func:`task_record`,
so the readers differ only in how they fetch rows, never in what the rows mean.

Timestamps are Metaflow's `ts_epoch`: milliseconds since the epoch, set by the process that
registered the metadatum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Metadata Metaflow 2.19 records about where a task ran (see docs/learn.md). Kubernetes:
# kubernetes_decorator.task_pre_step; the ec2-* keys come from the instance metadata service
# (always on AWS Batch, on Kubernetes only with METAFLOW_KUBERNETES_FETCH_EC2_METADATA);
# AWS Batch: batch_decorator.task_pre_step.
WHERE_FIELDS = (
    "kubernetes-pod-name",
    "kubernetes-pod-namespace",
    "kubernetes-node-ip",
    "ec2-instance-type",
    "ec2-region",
    "ec2-availability-zone",
    "aws-batch-job-id",
    "aws-batch-ce-name",
    "aws-batch-jq-name",
)
# The metadata a reader must fetch for :func:`task_record` (values, not only names).
VALUE_FIELDS = ("attempt", "attempt_ok", "attempt-done", "foreach-execution-path", *WHERE_FIELDS)
# `resume` clones the tasks before the step it restarts from (clone_util.clone_task_helper):
# they get an `attempt` and `attempt_ok` registered together, and `origin-task-id`.
CLONE_FIELD = "origin-task-id"
DATASTORE_FIELDS = ("ds-type", "ds-root")


@dataclass(frozen=True)
class Attempt:
    """One attempt of a task: from the `attempt` metadatum (registered by the task process
    once it runs, so queueing and pod start-up are excluded) to `attempt_ok` (registered
    after the attempt's artifacts are persisted), in epoch milliseconds."""

    number: int
    started_ms: int
    finished_ms: int | None = None  # None: still running, or killed before it could say
    ok: bool | None = None  # attempt_ok's value; None when it never came

    @property
    def seconds(self) -> float | None:
        if self.finished_ms is None:
            return None
        return max(self.finished_ms - self.started_ms, 0) / 1000.0


@dataclass(frozen=True)
class TaskRecord:
    """One task of a run: its attempts, foreach position and where it ran."""

    step: str
    task_id: str
    attempts: tuple[Attempt, ...]
    foreach_path: tuple[str, ...] = ()  # ("start:0", "inner:3"): foreach step and index
    where: Mapping[str, str] = field(default_factory=dict)  # WHERE_FIELDS of the last attempt
    ds_type: str | None = None
    ds_root: str | None = None
    cloned: bool = False  # copied from an earlier run by `resume`: it did not run here

    @property
    def final(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def succeeded(self) -> bool:
        final = self.final
        return final is not None and final.ok is True

    @property
    def failed(self) -> bool:
        final = self.final
        return final is not None and final.ok is False


@dataclass(frozen=True)
class RunInfo:
    """A run as the metadata provider lists it."""

    run_id: str
    created_ms: int
    tags: frozenset[str] = frozenset()


class ArtifactSize(NamedTuple):
    """One artifact of a task's final attempt, from the datastore's `<attempt>.data.json`:
    its content hash and the size Metaflow recorded (bytes of the serialized object). A
    tuple: a run has tens of thousands."""

    sha: str
    size_bytes: int


Row = Mapping[str, Any]  # a metadata row: field_name, value, ts_epoch, tags, ...


def _attempt_tag(row: Row) -> int | None:
    for tag in row.get("tags") or ():
        text = str(tag)
        if text.startswith("attempt_id:"):
            try:
                return int(text.removeprefix("attempt_id:"))
            except ValueError:
                return None
    return None


def _number(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _by_attempt(rows: Iterable[Row], starts: list[tuple[int, int]]) -> dict[int, Row]:
    """Each row keyed by its attempt: the attempt_id tag, else the attempt that had started
    last when the row was registered (metadata without tags predates Metaflow 2.4)."""
    out: dict[int, Row] = {}
    for row in sorted(rows, key=lambda r: int(r["ts_epoch"])):
        number = _attempt_tag(row)
        if number is None:
            before = [n for n, ts in starts if ts <= int(row["ts_epoch"])]
            number = before[-1] if before else None
        if number is not None:
            out[number] = row
    return out


def task_record(step: str, task_id: str, rows: Iterable[Row]) -> TaskRecord:
    """A task from its metadata rows (dicts with field_name, value, ts_epoch and tags, the
    shape every Metaflow metadata provider returns)."""
    by_field: dict[str, list[Row]] = {}
    for row in rows:
        by_field.setdefault(str(row["field_name"]), []).append(row)
    starts = sorted(
        (number, int(row["ts_epoch"]))
        for row in by_field.get("attempt", ())
        if (number := _number(row["value"])) is not None
    )
    oks = _by_attempt(by_field.get("attempt_ok", ()), starts)
    dones = _by_attempt(by_field.get("attempt-done", ()), starts)
    attempts = []
    for number, started in dict(starts).items():
        end = oks.get(number) or dones.get(number)
        ok = oks.get(number)
        attempts.append(
            Attempt(
                number=number,
                started_ms=started,
                finished_ms=int(end["ts_epoch"]) if end else None,
                ok=None if ok is None else str(ok["value"]) == "True",
            )
        )
    return TaskRecord(
        step=step,
        task_id=str(task_id),
        attempts=tuple(sorted(attempts, key=lambda a: a.number)),
        foreach_path=_foreach_path(_latest(by_field, "foreach-execution-path")),
        where={f: v for f in WHERE_FIELDS if (v := _latest(by_field, f)) is not None},
        ds_type=_latest(by_field, "ds-type"),
        ds_root=_latest(by_field, "ds-root"),
        cloned=CLONE_FIELD in by_field,
    )


def _latest(by_field: Mapping[str, list[Row]], name: str) -> str | None:
    rows = by_field.get(name)
    if not rows:
        return None
    row = max(rows, key=lambda r: int(r["ts_epoch"]))
    return None if row["value"] is None else str(row["value"])


def _foreach_path(value: str | None) -> tuple[str, ...]:
    """Metaflow's `foreach-execution-path`: "step:index,step:index", outermost first."""
    return tuple(part for part in (value or "").split(",") if part)
