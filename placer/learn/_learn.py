"""`learn`: read past runs of a flow and derive per-step figures (the whole core of
`placer learn`, minus printing and writing)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from placer.errors import LearnError
from placer.learn._datastore import read_graph_info, read_sizes
from placer.learn._readers import reader_for
from placer.learn._records import RunInfo, TaskRecord
from placer.learn._resources import step_resources
from placer.learn._source import Source, get_run, list_runs
from placer.learn._stats import (
    PARAMETERS_STEP,
    StepLearned,
    StepRun,
    combine,
    run_status,
    summarize_run,
)

if TYPE_CHECKING:
    from placer.flow import Flow

DEFAULT_RUNS = 10  # newest successful runs read when neither --runs, --since nor --run is given
# Runs whose artifact sizes are fetched in one datastore call (S3: one parallel download);
# their task records are held meanwhile (~1 MB per 1,000 tasks).
BATCH_RUNS = 20
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

Progress = Callable[[int, int, str], None]  # (runs read, runs to read, run id being read)


@dataclass(frozen=True)
class Selection:
    """Which runs to read: the given ids, else the newest `runs` successful ones created
    within `since_s` seconds (`runs` defaults to DEFAULT_RUNS unless `since_s` is set)."""

    run_ids: tuple[str, ...] = ()
    runs: int | None = None
    since_s: float | None = None

    @property
    def limit(self) -> int | None:
        if self.run_ids:
            return None
        if self.runs is not None:
            return self.runs
        return None if self.since_s is not None else DEFAULT_RUNS


@dataclass(frozen=True)
class Learned:
    """Per-step figures from the successful runs read, and what was skipped."""

    flow: str
    source: str  # Metaflow's name for the metadata read, e.g. "local@/home/me/project"
    namespace: str | None  # None: every namespace
    runs: tuple[RunInfo, ...]  # the successful runs used, newest first
    failed: tuple[str, ...]  # run ids skipped: a task failed
    unfinished: tuple[str, ...]  # run ids skipped: running, or stopped without a failure
    steps: Mapping[str, StepLearned]  # in the flow's order
    unknown_steps: tuple[str, ...] = ()  # steps the runs have and the flow file does not
    unseen_steps: tuple[str, ...] = ()  # steps of the flow no successful task ran
    learned_on: str = field(default_factory=lambda: datetime.now(UTC).date().isoformat())

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(r.run_id for r in self.runs)


def _check_ids(run_ids: Sequence[str]) -> None:
    for run_id in run_ids:
        if not _RUN_ID.match(run_id):
            raise LearnError(
                f"{run_id!r} is not a Metaflow run id", "--run", "give an id such as 1712345678"
            )


def _candidates(source: Source, flow_name: str, selection: Selection, now_ms: int) -> list[RunInfo]:
    if selection.run_ids:
        _check_ids(selection.run_ids)
        return [get_run(source, flow_name, run_id) for run_id in selection.run_ids]
    runs = list_runs(source, flow_name)
    where = f"namespace {source.namespace}" if source.namespace else "any namespace"
    if not runs:
        raise LearnError(
            f"no runs of {flow_name} in {where}",
            source.description,
            "run the flow first, or pass --namespace (--namespace '*' reads every namespace)",
        )
    if selection.since_s is not None:
        newest = runs[0]
        runs = [r for r in runs if now_ms - r.created_ms <= selection.since_s * 1000]
        if not runs:
            days = (now_ms - newest.created_ms) / 86_400_000
            raise LearnError(
                f"no runs of {flow_name} in the --since window (the newest is {days:.1f} days old)",
                "--since",
                "widen --since or leave it out",
            )
    return runs


def _parents_of(flow: Flow) -> dict[str, tuple[str, ...]]:
    parents = {name: flow.parents(name) for name in flow.steps}
    parents[flow.start.name] = (PARAMETERS_STEP,)
    return parents


@dataclass
class _Tally:
    """What the loop over runs has gathered so far."""

    used: list[RunInfo] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    per_step: dict[str, list[StepRun]] = field(default_factory=dict)
    graph: Mapping[str, Any] | None = None  # _graph_info of the newest run used

    @property
    def skipped(self) -> int:
        return len(self.failed) + len(self.unfinished)


def learn(
    flow: Flow,
    source: Source,
    selection: Selection = Selection(),
    progress: Progress | None = None,
    now_ms: int | None = None,
) -> Learned:
    """Read the selected runs of `flow` (the name read statically) from `source`."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    candidates = _candidates(source, flow.name, selection, now_ms)
    reader = reader_for(source, flow.name)
    parents = _parents_of(flow)
    tally = _Tally()
    cache: dict[str, Any] = {}
    limit = selection.limit
    queue = list(candidates)
    while queue and (limit is None or len(tally.used) < limit):
        wanted = BATCH_RUNS if limit is None else min(BATCH_RUNS, limit - len(tally.used))
        batch, queue = queue[:wanted], queue[wanted:]
        read: list[tuple[RunInfo, list[TaskRecord]]] = []
        for run in batch:
            if progress:
                total = len(candidates)
                if limit is not None:
                    total = min(total, limit + tally.skipped)
                progress(len(tally.used) + tally.skipped + len(read), total, run.run_id)
            read.append((run, reader.tasks(run.run_id)))
        _read_batch(flow, read, parents, tally, cache)
    if progress:
        done = len(tally.used) + tally.skipped
        progress(done, done, "")
    if not tally.used:
        raise LearnError(
            f"no successful run of {flow.name} among the {tally.skipped} read "
            f"({len(tally.failed)} failed, {len(tally.unfinished)} unfinished)",
            source.description,
            "let a run finish, or name one with --run ID",
        )
    return _learned(flow, source, tally)


def _read_batch(
    flow: Flow,
    read: list[tuple[RunInfo, list[TaskRecord]]],
    parents: Mapping[str, tuple[str, ...]],
    tally: _Tally,
    cache: dict[str, Any],
) -> None:
    """Sort the runs read by status; summarise the successful ones, their artifact sizes
    read together."""
    done = []
    for run, tasks in read:
        status = run_status(tasks, flow.end.name)
        if status == "failed":
            tally.failed.append(run.run_id)
        elif status == "unfinished":
            tally.unfinished.append(run.run_id)
        else:
            done.append((run, tasks))
    wanted = [
        (run.run_id, [t for t in tasks if t.succeeded or t.step == PARAMETERS_STEP])
        for run, tasks in done
    ]
    sizes = read_sizes(flow.name, wanted)
    for run, tasks in done:
        run_sizes = sizes[run.run_id]
        if tally.graph is None:
            end = next(t for t in tasks if t.step == flow.end.name and t.succeeded)
            artifacts = run_sizes.get((end.step, end.task_id), {})
            tally.graph = read_graph_info(flow.name, end, artifacts, cache)
        for step, step_run in summarize_run(tasks, run_sizes, parents).items():
            tally.per_step.setdefault(step, []).append(step_run)
        tally.used.append(run)


def _learned(flow: Flow, source: Source, tally: _Tally) -> Learned:
    steps = {
        name: combine(name, tally.per_step[name], step_resources(tally.graph, name))
        for name in flow.steps
        if name in tally.per_step
    }
    return Learned(
        flow=flow.name,
        source=source.description,
        namespace=source.namespace,
        runs=tuple(tally.used),
        failed=tuple(tally.failed),
        unfinished=tuple(tally.unfinished),
        steps=steps,
        unknown_steps=tuple(sorted(set(tally.per_step) - set(flow.steps))),
        unseen_steps=tuple(name for name in flow.steps if name not in steps),
    )
