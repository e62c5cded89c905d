"""From the tasks of successful runs to per-step figures.

Each run is summarised as soon as it is read (:func:`summarize_run`), so memory holds a few
numbers per task, not every artifact; :func:`combine` pools the summaries of all runs.

- duration: the final attempt of each successful task, from its `attempt` metadatum to its
  `attempt_ok` (see :class:`~placer.learn._records.Attempt`); earlier attempts only count
  as retries;
- width: tasks of the step in the run divided by the foreach splits they came from, i.e.
  the width of the innermost foreach (1 level: the number of tasks);
- output: per task, the artifacts whose content hash none of its parent tasks had (what the
  task really wrote; Metaflow's store is content-addressed);
- input: per task, every distinct artifact of its parent tasks (a foreach body task has its
  one foreach task as parent, a join all the tasks it joins). Metaflow loads artifacts when
  the step touches them, so this is what the step *can* load: an upper bound.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from placer.learn._datastore import Sizes
from placer.learn._records import TaskRecord

PARAMETERS_STEP = "_parameters"  # Metaflow's pseudo-step holding the run's parameters


@dataclass(frozen=True)
class Spread:
    """A distribution: median, 90th percentile (linear interpolation), maximum."""

    p50: float
    p90: float
    max: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        if not values:
            return None
        ordered = sorted(values)
        return cls(_quantile(ordered, 0.5), _quantile(ordered, 0.9), ordered[-1], len(ordered))


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class StepRun:
    """One step in one successful run."""

    tasks: int = 0
    width: float | None = None
    durations_s: list[float] = field(default_factory=list)
    inputs_bytes: list[int] = field(default_factory=list)
    outputs_bytes: list[int] = field(default_factory=list)
    retried_tasks: int = 0
    failed_attempts: int = 0
    hardware: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class StepLearned:
    """What past runs say about one step."""

    name: str
    runs: int  # successful runs the step ran in
    tasks: int  # successful tasks timed, all runs together (not those `resume` cloned)
    tasks_per_run: Spread
    width: Spread | None  # innermost foreach width per run; None outside a foreach
    duration_s: Spread | None  # per task (final attempt, start to finish)
    retried_tasks: int  # tasks that needed more than one attempt
    failed_attempts: int  # attempts that failed (retried ones)
    input_bytes: Spread | None  # per task
    output_bytes: Spread | None  # per task
    hardware: tuple[tuple[str, int], ...]  # ("kubernetes m5.xlarge", tasks), most first
    resources: Mapping[str, Any] | None = None  # as the newest run recorded the decorators

    @property
    def retry_rate(self) -> float:
        """The share of tasks that were retried at least once."""
        return self.retried_tasks / self.tasks if self.tasks else 0.0

    @property
    def in_foreach(self) -> bool:
        return self.width is not None


def run_status(tasks: Iterable[TaskRecord], end_step: str) -> str:
    """ "successful" (the end step succeeded), "failed" (a task's last attempt failed) or
    "unfinished" (running, or stopped without a failure recorded)."""
    tasks = list(tasks)
    if any(t.step == end_step and t.succeeded for t in tasks):
        return "successful"
    return "failed" if any(t.failed for t in tasks) else "unfinished"


def hardware_label(task: TaskRecord) -> str:
    """Where a task ran, from the metadata Metaflow recorded about it."""
    where = task.where
    instance = where.get("ec2-instance-type")
    if "kubernetes-pod-name" in where:
        return f"kubernetes {instance}" if instance else "kubernetes"
    if "aws-batch-job-id" in where:
        return f"batch {instance}" if instance else "batch"
    return "local"


def _parents(
    task: TaskRecord, by_path: Mapping[tuple[str, ...], list[TaskRecord]], by_outer: Mapping
) -> list[TaskRecord]:
    """The tasks of the parent steps this task loaded: the same foreach position, the
    foreach task it splits from, or the foreach tasks it joins."""
    path = task.foreach_path
    found = list(by_path.get(path, ()))
    if path:
        found += by_path.get(path[:-1], ())
    found += by_outer.get(path, ())
    return found


def _index(tasks: Iterable[TaskRecord]) -> tuple[dict, dict]:
    by_path: dict[tuple[str, ...], list[TaskRecord]] = {}
    by_outer: dict[tuple[str, ...], list[TaskRecord]] = {}
    for task in tasks:
        by_path.setdefault(task.foreach_path, []).append(task)
        if task.foreach_path:
            by_outer.setdefault(task.foreach_path[:-1], []).append(task)
    return by_path, by_outer


def _io_bytes(task: TaskRecord, parents: list[TaskRecord], sizes: Sizes) -> tuple[int, int]:
    mine = sizes.get((task.step, task.task_id), {})
    loaded: dict[str, int] = {}
    for parent in parents:
        for artifact in sizes.get((parent.step, parent.task_id), {}).values():
            loaded[artifact.sha] = artifact.size_bytes
    written = {a.sha: a.size_bytes for a in mine.values() if a.sha not in loaded}
    return sum(loaded.values()), sum(written.values())


def summarize_run(
    tasks: Sequence[TaskRecord], sizes: Sizes, parents_of: Mapping[str, Sequence[str]]
) -> dict[str, StepRun]:
    """Per step of one successful run. `parents_of` maps each step of the flow to its
    parent steps (the start step to `_parameters`)."""
    by_step: dict[str, list[TaskRecord]] = {}
    for task in tasks:
        by_step.setdefault(task.step, []).append(task)
    out = {}
    for step, members in by_step.items():
        if step == PARAMETERS_STEP:
            continue
        parent_tasks = [t for p in parents_of.get(step, ()) for t in by_step.get(p, ())]
        by_path, by_outer = _index(parent_tasks)
        out[step] = _step_run(members, sizes, by_path, by_outer)
    return out


def _step_run(
    members: list[TaskRecord], sizes: Sizes, by_path: Mapping, by_outer: Mapping
) -> StepRun:
    run = StepRun(tasks=len(members))
    splits = {t.foreach_path[:-1] for t in members if t.foreach_path}
    if splits:
        run.width = len(members) / len(splits)
    for task in members:
        if not task.succeeded:
            continue
        if not task.cloned:  # a clone's sizes are its origin's; its times are not a run
            seconds = task.final.seconds if task.final else None
            if seconds is not None:
                run.durations_s.append(seconds)
            run.retried_tasks += len(task.attempts) > 1
            run.failed_attempts += sum(a.ok is False for a in task.attempts)
            run.hardware[hardware_label(task)] += 1
        if (task.step, task.task_id) in sizes:
            loaded, written = _io_bytes(task, _parents(task, by_path, by_outer), sizes)
            run.inputs_bytes.append(loaded)
            run.outputs_bytes.append(written)
    return run


def combine(name: str, runs: Sequence[StepRun], resources: Mapping[str, Any] | None) -> StepLearned:
    """One step's figures pooled over the successful runs it ran in."""
    widths = [r.width for r in runs if r.width is not None]
    hardware: Counter[str] = Counter()
    for r in runs:
        hardware.update(r.hardware)
    spread = Spread.of
    return StepLearned(
        name=name,
        runs=len(runs),
        tasks=sum(len(r.durations_s) for r in runs),
        tasks_per_run=spread([r.tasks for r in runs]) or Spread(0, 0, 0, 0),
        width=spread(widths),
        duration_s=spread([d for r in runs for d in r.durations_s]),
        retried_tasks=sum(r.retried_tasks for r in runs),
        failed_attempts=sum(r.failed_attempts for r in runs),
        input_bytes=spread([b for r in runs for b in r.inputs_bytes]),
        output_bytes=spread([b for r in runs for b in r.outputs_bytes]),
        hardware=tuple(hardware.most_common()),
        resources=resources,
    )
