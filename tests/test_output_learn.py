"""`placer learn`'s views: the table at 80 columns and the JSON form."""

from __future__ import annotations

import json

from placer.learn import Learned, RunInfo, Spread, StepLearned
from placer.output.learn import learn_json, learn_view
from placer.output.table import to_text


def _spread(p50: float, top: float | None = None) -> Spread:
    return Spread(p50, p50, p50 if top is None else top, 4)


def _step(name: str, runs: int, **over) -> StepLearned:
    base = dict(
        name=name,
        runs=runs,
        tasks=40,
        tasks_per_run=_spread(1),
        width=None,
        duration_s=_spread(2712),
        retried_tasks=2,
        failed_attempts=2,
        input_bytes=_spread(12.5e9),
        output_bytes=_spread(4e8),
        hardware=(("kubernetes m5.2xlarge", 38), ("kubernetes", 2)),
        resources={"backend": "kubernetes", "cpu": 8.0, "memory": 32000.0, "gpu": 1.0},
    )
    return StepLearned(**{**base, **over})


LEARNED = Learned(
    flow="TrainFlow",
    source="service@https://mf.example.com",
    namespace="production:trainflow-0-abcd",
    runs=(RunInfo("1712399", 1_764_720_000_000), RunInfo("1712301", 1_764_633_600_000)),
    failed=("1712377",),
    unfinished=(),
    steps={
        "train": _step("train", 2, tasks_per_run=_spread(8, 10), width=_spread(8, 10)),
        "fast_path": _step("fast_path", 1, hardware=(("local", 1),), resources=None),
    },
    unseen_steps=("slow_path",),
    learned_on="2026-12-03",
)


def test_table_at_80_columns():
    text = to_text(learn_view(LEARNED), width=80)
    lines = text.splitlines()
    assert lines[0].split() == [
        "step",
        "runs",
        "tasks",
        "width",
        "p50",
        "p90",
        "retry",
        "in",
        "out",
        "ran",
        "on",
    ]  # a runs column: fast_path ran in one of the two runs
    train = lines[2].split()
    assert train[:9] == ["train", "2", "8-10", "8-10", "45m12s", "45m12s", "5%", "12.5GB", "400MB"]
    ran_on = " ".join(line[69:].strip() for line in lines[2:9])  # folded into its column
    assert ran_on.startswith("kubernetes m5.2xlarge x38, kubernetes x2; 8 cpu, 32000 MB, 1")
    assert all(len(line) <= 80 for line in lines[:8])
    assert "skipped 1 failed run(s): 1712377" in text
    assert "steps no run measured (new, renamed, or a branch not taken): slow_path" in text


def test_json_form():
    data = json.loads(learn_json(LEARNED))
    assert data["runs"][0] == {"id": "1712399", "created": "2025-12-03T00:00:00+00:00"}
    train = data["steps"]["train"]
    assert train["foreach_width"] == {"p50": 8, "p90": 8, "max": 10, "count": 4}
    assert train["values"] == {
        "tasks": 8,
        "duration_hours": 2712 / 3600,
        "input_gb": 12.5,
        "output_gb": 0.4,
    }
    assert train["retry_rate"] == 0.05 and train["hardware"]["kubernetes"] == 2
    assert data["skipped"] == {"failed": ["1712377"], "unfinished": []}
    assert data["unseen_steps"] == ["slow_path"] and "write" not in data and "check" not in data
