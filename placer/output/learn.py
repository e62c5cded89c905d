"""`placer learn`: the per-step table with the lines under it, and the JSON form
(docs/learn.md). Pure functions of a Learned (and what --write and --check did)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from placer.output.table import plain_table

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from placer.config.learned import LearnedMerge
    from placer.learn import Learned, StepLearned
    from placer.learn._values import Drift

__all__ = ["learn_json", "learn_view", "learned_table"]


def _spread(spread: Any) -> dict[str, float] | None:
    if spread is None:
        return None
    return {"p50": spread.p50, "p90": spread.p90, "max": spread.max, "count": spread.count}


def learned_json(learned: Learned) -> dict[str, Any]:
    """The JSON form of `placer learn --format json` (see docs/learn.md)."""
    from datetime import UTC, datetime

    from placer.learn._values import step_values

    steps = {}
    for name, step in learned.steps.items():
        values = step_values(step)
        steps[name] = {
            "runs": step.runs,
            "tasks": step.tasks,
            "tasks_per_run": _spread(step.tasks_per_run),
            "foreach_width": _spread(step.width),
            "duration_s": _spread(step.duration_s),
            "retry_rate": step.retry_rate,
            "retried_tasks": step.retried_tasks,
            "failed_attempts": step.failed_attempts,
            "input_bytes": _spread(step.input_bytes),
            "output_bytes": _spread(step.output_bytes),
            "hardware": dict(step.hardware),
            "resources": dict(step.resources) if step.resources else None,
            "values": {
                "tasks": values.tasks,
                "duration_hours": values.duration_hours,
                "input_gb": values.input_gb,
                "output_gb": values.output_gb,
            },
        }
    return {
        "flow": learned.flow,
        "metadata": learned.source,
        "namespace": learned.namespace,
        "learned_on": learned.learned_on,
        "runs": [
            {
                "id": r.run_id,
                "created": datetime.fromtimestamp(r.created_ms / 1000, UTC).isoformat(),
            }
            for r in learned.runs
        ],
        "skipped": {"failed": list(learned.failed), "unfinished": list(learned.unfinished)},
        "steps": steps,
        "unknown_steps": list(learned.unknown_steps),
        "unseen_steps": list(learned.unseen_steps),
    }


def _changes_json(merge: LearnedMerge) -> list[dict[str, Any]]:
    return [
        {"step": c.step, "key": c.key, "before": c.before, "after": c.after, "kept": c.kept}
        for c in merge.changes
    ]


def _drift_json(d: Drift) -> dict[str, Any]:
    ratio = d.ratio if d.ratio != float("inf") else None
    return {
        "step": d.step,
        "key": d.key,
        "recorded": d.recorded,
        "measured": d.measured,
        "ratio": ratio,
        "drifted": d.drifted,
    }


def _range(spread: Any) -> str:
    """ "4" or "4-5": the median, and the maximum when it differs."""
    if spread is None:
        return ""
    return f"{spread.p50:g}" + (f"-{spread.max:g}" if spread.max != spread.p50 else "")


def _ran_on(step: StepLearned) -> str:
    """ "local", "kubernetes m5.xlarge x76, kubernetes x4; 8 cpu, 32000 MB": where the tasks
    ran (counts only when they differ) and, off the local machine, what they asked for."""
    if len(step.hardware) == 1:
        where = step.hardware[0][0]
    else:
        where = ", ".join(f"{label} x{count}" for label, count in step.hardware)
    resources = step.resources or {}
    if resources.get("backend") in ("kubernetes", "batch"):
        from placer.learn import resources_text

        asked = resources_text(resources).partition(" ")[2]
        return f"{where}; {asked}" if asked else where
    return where


def learned_table(learned: Learned) -> Table:
    """One row per step: tasks per run and foreach width (median-max), duration p50 and
    p90, the retried share, input and output per task, where the tasks ran. A runs column
    appears when some step ran in fewer runs than were read (a switch branch, say)."""
    from placer.learn._values import duration_text, size_text

    partial = any(step.runs < len(learned.runs) for step in learned.steps.values())
    numbers = ("runs",) * partial + ("tasks", "width", "p50", "p90", "retry", "in", "out")
    table = plain_table("step", *numbers, "ran on", right=numbers, fold=("step", "ran on"))
    for name, step in learned.steps.items():
        duration = step.duration_s
        table.add_row(
            name,
            *((str(step.runs),) * partial),
            _range(step.tasks_per_run),
            _range(step.width),
            duration_text(duration.p50) if duration else "",
            duration_text(duration.p90) if duration else "",
            f"{step.retry_rate:.0%}",
            size_text(step.input_bytes.p50) if step.input_bytes else "",
            size_text(step.output_bytes.p50) if step.output_bytes else "",
            _ran_on(step),
        )
    return table


def summary_lines(learned: Learned) -> list[str]:
    """Which runs were read, which skipped, and steps without figures."""
    from placer.learn._values import runs_text

    where = f"namespace {learned.namespace}" if learned.namespace else "every namespace"
    lines = [
        f"{learned.flow}: {runs_text(learned)} ({learned.source}, {where})",
        "tasks, width: median-max per run; p50, p90: task duration (final attempt, "
        "`attempt` to `attempt_ok` metadata); retry: tasks retried; in, out: median per task",
    ]
    skipped = [(learned.failed, "failed"), (learned.unfinished, "unfinished")]
    for ids, why in skipped:
        if ids:
            lines.append(f"skipped {len(ids)} {why} run(s): {', '.join(ids)}")
    if learned.unknown_steps:
        lines.append(f"steps in the runs but not in the flow: {', '.join(learned.unknown_steps)}")
    if learned.unseen_steps:
        lines.append(
            f"steps no run measured (new, renamed, or a branch not taken): "
            f"{', '.join(learned.unseen_steps)}"
        )
    return lines


def _merge_lines(merge: LearnedMerge, target: Path) -> list[str]:
    written = [c for c in merge.changes if c.changed]
    kept = [c for c in merge.changes if c.kept and c.before != c.after]
    lines = [f"wrote {target}: {len(written)} value(s) set, {len(kept)} hand-set value(s) kept"]
    by_step: dict[str, list[str]] = {}
    for c in written:
        change = f"{c.key} {c.after}" if c.before is None else f"{c.key} {c.before} -> {c.after}"
        by_step.setdefault(c.step, []).append(change)
    lines += [f"  {step}: {', '.join(changes)}" for step, changes in by_step.items()]
    lines += [
        f"  {c.step}.{c.key}: kept {c.before} (hand-set), the runs say {c.after} "
        "(--overwrite replaces it)"
        for c in kept
    ]
    return lines


def _drift_lines(drifts: list[Drift], threshold: float) -> list[str]:
    if not drifts:
        return ["check: placer.yaml records no value for the steps the runs measured"]
    bad = [d for d in drifts if d.drifted]
    lines = [f"drift: {d.step}.{d.key}: placer.yaml {d.recorded}, runs {d.measured}" for d in bad]
    lines.append(
        f"check: {len(drifts) - len(bad)} of {len(drifts)} recorded value(s) within "
        f"{threshold:.0%} of the runs"
    )
    return lines


def learn_view(
    learned: Learned,
    merge: LearnedMerge | None = None,
    target: Path | None = None,
    drifts: list[Drift] | None = None,
    threshold: float | None = None,
) -> list[RenderableType | str]:
    """The table, then which runs were read, what --write did and what --check found."""
    lines = summary_lines(learned)
    if merge is not None and target is not None:
        lines += _merge_lines(merge, target)
    if drifts is not None and threshold is not None:
        lines += _drift_lines(drifts, threshold)
    return [learned_table(learned), *lines]


def learn_json(
    learned: Learned,
    merge: LearnedMerge | None = None,
    target: Path | None = None,
    drifts: list[Drift] | None = None,
    threshold: float | None = None,
) -> str:
    """`placer learn --format json` (see docs/learn.md)."""
    data = learned_json(learned)
    if merge is not None and target is not None:
        data["write"] = {"path": str(target), "changes": _changes_json(merge)}
    if drifts is not None and threshold is not None:
        data["check"] = {"threshold": threshold, "values": [_drift_json(d) for d in drifts]}
    return json.dumps(data, indent=2)
