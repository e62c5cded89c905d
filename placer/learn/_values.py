"""Learned figures as placer.yaml values: what `--write` writes (with its comment), what
`plan --from-runs` plans with, and what `--check` compares with the file.

Per step: `tasks` (median tasks per run, only for steps in a foreach or with more than one
task), `duration` (median of the successful tasks' final attempts), `input` and `output`
(median per task). Medians make the per-run cost of a typical run; p90 and maxima go in the
comment and the table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from placer.config.learned import LearnedValue
from placer.learn._learn import Learned
from placer.learn._resources import resources_text
from placer.learn._stats import StepLearned

if TYPE_CHECKING:
    from placer.config import Config

KEYS = ("tasks", "duration", "input", "output")
DURATION_FLOOR_S = 60.0  # --check ignores differences smaller than this ...
SIZE_FLOOR_BYTES = 100e6  # ... and this: noise, not cost
_UNITS = (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3))


def duration_text(seconds: float) -> str:
    """ "1h30m", "12m30s", "45s", "0.368s": what placer.yaml's duration parser reads."""
    if seconds >= 3600:
        hours, minutes = divmod(round(seconds / 60), 60)
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    if seconds >= 60:
        minutes, secs = divmod(round(seconds), 60)
        return f"{minutes}m{secs}s" if secs else f"{minutes}m"
    return f"{max(seconds, 0.001):.3g}s"


def size_text(size_bytes: float) -> str:
    """ "1.5GB", "250KB", "812B": decimal units, three significant digits."""
    for unit, scale in _UNITS:
        if size_bytes >= scale:
            return f"{size_bytes / scale:.3g}{unit}"
    return f"{round(size_bytes)}B"


@dataclass(frozen=True)
class StepValues:
    """One step's learned values in placer.yaml's units (None: nothing to say)."""

    tasks: int | None
    duration_hours: float | None
    input_gb: float | None
    output_gb: float | None


def step_values(step: StepLearned) -> StepValues:
    median_tasks = step.tasks_per_run.p50
    tasks = None
    if step.in_foreach or median_tasks != 1:
        tasks = max(1, math.floor(median_tasks + 0.5))
    return StepValues(
        tasks=tasks,
        duration_hours=step.duration_s.p50 / 3600 if step.duration_s else None,
        input_gb=step.input_bytes.p50 / 1e9 if step.input_bytes else None,
        output_gb=step.output_bytes.p50 / 1e9 if step.output_bytes else None,
    )


def runs_text(learned: Learned) -> str:
    """ "runs 17..., 17..." (up to three) or "12 runs 1712...-1799..." (oldest-newest)."""
    ids = learned.run_ids
    if len(ids) <= 3:
        return ("run " if len(ids) == 1 else "runs ") + ", ".join(ids)
    return f"{len(ids)} runs {ids[-1]}..{ids[0]}"


def _where(step: StepLearned) -> str:
    label = step.hardware[0][0] if step.hardware else "unknown hardware"
    resources = step.resources or {}
    if resources.get("backend") in ("kubernetes", "batch"):
        detail = resources_text(resources).split(" ", 1)[1:]
        return f"{label} ({detail[0]})" if detail and detail[0] else label
    return label


def learned_values(learned: Learned) -> dict[str, list[LearnedValue]]:
    """What `--write` sets, by step, each value with its comment."""
    origin = f"learned {learned.learned_on} from {runs_text(learned)}"
    out: dict[str, list[LearnedValue]] = {}
    for name, step in learned.steps.items():
        values = step_values(step)
        found = []
        if values.tasks is not None:
            found.append(
                LearnedValue(
                    "tasks",
                    values.tasks,
                    f"{origin}: median per run, max {step.tasks_per_run.max:g}",
                )
            )
        duration = step.duration_s
        if duration:
            found.append(
                LearnedValue(
                    "duration",
                    duration_text(duration.p50),
                    f"{origin}: p50 of {duration.count} tasks, p90 {duration_text(duration.p90)}, "
                    f"on {_where(step)}",
                )
            )
        for key, size in (("input", step.input_bytes), ("output", step.output_bytes)):
            if size:
                found.append(
                    LearnedValue(
                        key,
                        size_text(size.p50),
                        f"{origin}: p50 per task, max {size_text(size.max)}",
                    )
                )
        out[name] = found
    return out


def with_learned(config: Config, learned: Learned) -> Config:
    """`config` with the learned values in place of the file's (`plan --from-runs`)."""
    steps = dict(config.steps)
    for name, step in learned.steps.items():
        values = step_values(step)
        usage = config.usage(name)
        steps[name] = replace(
            usage,
            tasks=values.tasks if values.tasks is not None else usage.tasks,
            duration_hours=values.duration_hours or usage.duration_hours,
            input_gb=values.input_gb if values.input_gb is not None else usage.input_gb,
            output_gb=values.output_gb if values.output_gb is not None else usage.output_gb,
        )
    return replace(config, steps=steps)


@dataclass(frozen=True)
class Drift:
    """A value placer.yaml records for a step, and what the runs say now."""

    step: str
    key: str
    recorded: str  # as placer.yaml's units read back: "1h", "12GB", "8"
    measured: str
    ratio: float  # measured / recorded (inf when recorded is 0)
    drifted: bool  # beyond the threshold (and the noise floor)


def _compare(
    step: str, key: str, recorded: float, measured: float, floor: float, threshold: float
) -> Drift:
    text = {"tasks": lambda v: f"{v:g}", "duration": lambda v: duration_text(v * 3600)}
    show = text.get(key, lambda v: size_text(v * 1e9))
    ratio = measured / recorded if recorded else math.inf
    far = max(ratio, 1 / ratio if ratio else math.inf) > 1 + threshold
    return Drift(
        step, key, show(recorded), show(measured), ratio, far and abs(measured - recorded) > floor
    )


def drift(config: Config, learned: Learned, threshold: float) -> list[Drift]:
    """Every value placer.yaml records for a step the runs measured, compared with them:
    drifted when they differ by more than `threshold` (0.5: 1.5x either way) and by more
    than a noise floor (a minute, 100 MB)."""
    out = []
    for name, step in learned.steps.items():
        if name not in config.steps:
            continue
        usage, values = config.steps[name], step_values(step)
        pairs = (
            ("tasks", usage.tasks, values.tasks, 0.0),
            ("duration", usage.duration_hours, values.duration_hours, DURATION_FLOOR_S / 3600),
            ("input", usage.input_gb, values.input_gb, SIZE_FLOOR_BYTES / 1e9),
            ("output", usage.output_gb, values.output_gb, SIZE_FLOOR_BYTES / 1e9),
        )
        for key, recorded, measured, floor in pairs:
            if recorded is not None and measured is not None:
                out.append(_compare(name, key, float(recorded), float(measured), floor, threshold))
    return out
