"""The cost-time frontier (placer.optimize.frontier): monotone, dominated-free, every point's
plan feasible for its deadline and the cheapest there (brute force on small instances)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from fixtures.plan.factory import config, flow, market, offer, pool, step
from fixtures.plan.instances import brute_force, instances
from hypothesis import HealthCheck, given, settings

from placer.cli import main
from placer.cli._env import Environment
from placer.config import StepUsage
from placer.optimize.evaluate import evaluate
from placer.optimize.frontier import frontier_flow, frontier_points, sweep

OFFERS = [
    offer("aws", "us-east-1", "m.large", 2, 8, 0.10),
    offer("gcp", "us-central1", "n.std", 2, 8, 0.30),
]
SLOW = pool("aws", "aws", "us-east-1")
FAST = pool("gcp", "gcp", "us-central1", speed=3.0)


def chain(n: int = 3):
    names = [f"s{i}" for i in range(n)]
    return flow(*(step(s, names[i + 1 : i + 2]) for i, s in enumerate(names)))


def check(space, points: int = 6) -> None:
    found, deadlines = sweep(space, points, None, 1e-9)
    result = frontier_points(space, found, deadlines)
    every = [o for _, o in brute_force(space) if o.feasible]
    if not every:
        assert result == ()
        return
    assert result, "a feasible instance has a frontier"
    for a, b in zip(result, result[1:], strict=False):  # fastest first
        assert a.makespan_hours < b.makespan_hours
        assert a.total_usd > b.total_usd  # slower points are strictly cheaper: no dominance
    for point in result:
        within = replace(space, deadline_hours=point.deadline_hours + 1e-6)
        outcome = evaluate(within, point.assignment)
        assert outcome.feasible, outcome.violations
        assert outcome.total_usd == pytest.approx(point.total_usd)
        best = min(o.total_usd for o in every if o.makespan_hours <= point.deadline_hours + 1e-6)
        assert point.total_usd == pytest.approx(best, abs=1e-6)
    cheapest = min(o.total_usd for o in every)
    assert result[-1].total_usd == pytest.approx(cheapest, abs=1e-6)
    fastest = min(o.makespan_hours for o in every)
    assert result[0].makespan_hours == pytest.approx(fastest, abs=1e-5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_frontier_is_monotone_feasible_and_optimal_per_deadline(space):
    check(replace(space, deadline_hours=None))


def test_a_faster_dearer_pool_makes_a_staircase():
    usage = {s: StepUsage(duration_hours=3.0) for s in ("s0", "s1", "s2")}
    c = config([SLOW, FAST], usage)
    space_market = market([*OFFERS[:1], offer("gcp", "us-central1", "n.std", 2, 8, 0.60)])
    result = frontier_flow(chain(), c, space_market, 4)
    # Each step: aws 3 h for 0.05 x 3 = $0.15; gcp 1 h for 0.30 x 1 = $0.30 (+0.15 each).
    costs = [round(p.total_usd, 6) for p in result.points]
    spans = [round(p.makespan_hours, 6) for p in result.points]
    assert spans == [3.0, 5.0, 7.0, 9.0] and costs == [0.9, 0.75, 0.6, 0.45]
    assert result.points[0].moved == {s: ("aws", "gcp") for s in ("s0", "s1", "s2")}
    assert len(result.points[1].moved) == 2 and result.points[-1].moved == {}
    names = [m.name for m in result.markers]
    assert names == ["plan", "as_written", "greedy"]
    assert result.markers[0].total_usd == pytest.approx(0.45)


def test_cli_writes_the_documented_json_and_a_picture(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "no-cache"))
    gpu = Path(__file__).resolve().parents[1] / "examples" / "gpu_training"
    (tmp_path / "trainflow.py").write_text((gpu / "trainflow.py").read_text())
    fast = "\n".join(
        [
            (gpu / "placer.yaml").read_text(),
            "pools:",
            "  - {name: aws-use1, cloud: aws, region: us-east-1, node_selector: {c: aws}}",
            "  - {name: gcp-fast, cloud: gcp, region: us-central1, speed: 2.5,",
            "     node_selector: {c: gcp}}",
        ]
    )
    (tmp_path / "placer.yaml").write_text(fast + "\n")
    out, err = io.StringIO(), io.StringIO()
    argv = ["frontier", str(tmp_path / "trainflow.py"), "--points", "5"]
    argv += ["--out", str(tmp_path / "f.json"), "--plot", str(tmp_path / "f.svg")]
    code = main(argv, Environment(stdout=out, stderr=err, width=120))
    assert code == 0, err.getvalue()
    data = json.loads((tmp_path / "f.json").read_text())
    assert data["format_version"] == "1.0" and data["flow"]["name"] == "TrainFlow"
    points = data["points"]
    assert len(points) >= 2 and len(data["deadlines_hours"]) == 5
    totals = [float(p["per_run"]["total"]) for p in points]
    assert totals == sorted(totals, reverse=True)
    assert [p["makespan_hours"] for p in points] == sorted(p["makespan_hours"] for p in points)
    assert points[0]["moved"]["train"] == {"from": "aws-use1", "to": "gcp-fast"}
    assert {m["name"] for m in data["markers"]} == {"plan", "as_written", "greedy"}
    svg = (tmp_path / "f.svg").read_text()
    assert "makespan of one run (hours)" in svg and "cost per run (USD)" in svg
    assert "frontier (cheapest plan per deadline)" in svg and "greedy" in svg
