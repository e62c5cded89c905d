"""Learned figures as placer.yaml values: their text, what --write sets, what plan uses,
what --check calls drift."""

from __future__ import annotations

import math

import pytest

from placer.config import parse_config, parse_duration_hours, parse_size_gb
from placer.learn import Learned, RunInfo, Spread, StepLearned
from placer.learn._values import (
    drift,
    duration_text,
    learned_values,
    runs_text,
    size_text,
    step_values,
    with_learned,
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5400, "1h30m"),
        (7200, "2h"),
        (750, "12m30s"),
        (120, "2m"),
        (45, "45s"),
        (0.3685, "0.368s"),
        (0.0, "0.001s"),
    ],
)
def test_duration_text_reads_back(seconds, text):
    assert duration_text(seconds) == text
    assert parse_duration_hours(text) * 3600 == pytest.approx(max(seconds, 0.001), rel=0.01)


@pytest.mark.parametrize(
    ("size", "text"),
    [(1.5e9, "1.5GB"), (250_126, "250KB"), (812, "812B"), (0, "0B"), (2.1e12, "2.1TB")],
)
def test_size_text_reads_back(size, text):
    assert size_text(size) == text
    assert parse_size_gb(text) * 1e9 == pytest.approx(size, rel=0.01)


def _spread(p50: float, p90: float | None = None, top: float | None = None) -> Spread:
    return Spread(p50, p90 if p90 is not None else p50, top if top is not None else p50, 10)


def _step(name: str, width: Spread | None = None, **over) -> StepLearned:
    base = dict(
        name=name,
        runs=5,
        tasks=50,
        tasks_per_run=width or _spread(1),
        width=width,
        duration_s=_spread(750, 900),
        retried_tasks=5,
        failed_attempts=5,
        input_bytes=_spread(2e9, top=3e9),
        output_bytes=_spread(4e8),
        hardware=(("kubernetes m5.xlarge", 50),),
        resources={"backend": "kubernetes", "cpu": 4.0, "memory": 16384.0},
    )
    return StepLearned(**{**base, **over})


def _learned(*steps: StepLearned, runs: int = 2) -> Learned:
    infos = tuple(RunInfo(str(100 + i), 0) for i in reversed(range(runs)))
    return Learned(
        "F", "local@/x", None, infos, (), (), {s.name: s for s in steps}, (), "2026-12-03"
    )


def test_values_of_a_foreach_step():
    values = step_values(_step("train", width=_spread(9.5, top=12)))
    assert values.tasks == 10  # 9.5 rounds half up
    assert values.duration_hours == 750 / 3600 and values.input_gb == 2.0
    assert step_values(_step("end")).tasks is None  # one task, outside a foreach


def test_written_values_name_runs_date_and_hardware():
    learned = _learned(_step("train", width=_spread(8, top=12)), runs=5)
    written = {v.key: v for v in learned_values(learned)["train"]}
    assert (written["tasks"].value, written["duration"].value) == (8, "12m30s")
    assert written["input"].value == "2GB" and written["output"].value == "400MB"
    assert written["duration"].comment == (
        "learned 2026-12-03 from 5 runs 100..104: p50 of 10 tasks, p90 15m, "
        "on kubernetes m5.xlarge (4 cpu, 16384 MB)"
    )
    assert written["tasks"].comment.endswith("median per run, max 12")
    assert (
        runs_text(_learned(runs=2)) == "runs 101, 100" and runs_text(_learned(runs=1)) == "run 100"
    )
    lines = [f"    {v.key}: {v.value}  # {v.comment}\n" for v in written.values()]
    config = parse_config("steps:\n  train:\n" + "".join(lines), "placer.yaml")
    assert config.steps["train"].tasks == 8 and config.steps["train"].output_gb == 0.4


def test_plan_values_replace_the_files():
    config = parse_config("steps:\n  train: {tasks: 3, duration: 2h, gpu_model: H100}\n", "p.yaml")
    planned = with_learned(config, _learned(_step("train", width=_spread(8))))
    usage = planned.steps["train"]
    assert (usage.tasks, usage.duration_hours, usage.input_gb) == (8, 750 / 3600, 2.0)
    assert usage.gpu_model == "H100" and config.steps["train"].tasks == 3  # the file's untouched


def test_drift_beyond_threshold_and_noise_floor():
    config = parse_config(
        "steps:\n"
        "  train: {tasks: 8, duration: 6m, input: 2.2GB, output: 10MB}\n"
        "  small: {duration: 12m, output: 350MB}\n"
        "  none: {output: 0}\n"
        "  other: {duration: 1h}\n",
        "p.yaml",
    )
    small = _step("small", output_bytes=_spread(4e8))  # 400 MB vs 350 MB: within 50%
    learned = _learned(_step("train", width=_spread(8)), small, _step("none"), _step("missing"))
    found = {(d.step, d.key): d for d in drift(config, learned, 0.5)}
    assert set(found) == {
        ("train", "tasks"),
        ("train", "duration"),
        ("train", "input"),
        ("train", "output"),
        ("small", "duration"),
        ("small", "output"),
        ("none", "output"),
    }
    assert not found["train", "tasks"].drifted and not found["train", "input"].drifted
    duration = found["train", "duration"]
    assert duration.drifted and duration.ratio == pytest.approx(750 / 360)
    assert (duration.recorded, duration.measured) == ("6m", "12m30s")
    assert found["train", "output"].drifted  # 10 MB recorded, 400 MB measured
    assert not found["small", "duration"].drifted and not found["small", "output"].drifted
    assert found["none", "output"].drifted and math.isinf(found["none", "output"].ratio)
    loose = {(d.step, d.key): d for d in drift(config, learned, 2.0)}
    assert not loose["train", "duration"].drifted  # 2.1x is within 200%


def test_small_differences_are_noise():
    config = parse_config("steps:\n  s: {duration: 10s, output: 1MB}\n", "p.yaml")
    step = _step("s", duration_s=_spread(50), output_bytes=_spread(60e6))
    assert not any(d.drifted for d in drift(config, _learned(step), 0.5))  # 5x, 6x: tiny
