"""The cost-time frontier (`placer frontier`): the cheapest plan for each deadline, from the
fastest feasible makespan to the cheapest plan's.

The sweep:

1. the cheapest plan with no deadline (pool limits, budget and residency still hold): the
   frontier's slow end, its makespan the loosest deadline worth asking for;
2. the fastest plan (objective "time", the cheapest among the fastest): the fast end;
3. deadlines evenly spaced between the two makespans, from the loosest to the tightest,
   each solved as the cheapest plan within it. One problem is built for the whole sweep
   and each deadline is appended to it as a row (:meth:`Problem.add_deadline`), so the
   capacity cuts found for one deadline serve the next (a problem only grows, hence the
   order).

Every plan found is kept; a deadline's point is the cheapest plan found that meets it (a
plan found for a tighter deadline meets every looser one, so the cost never rises as the
deadline grows even when a solve stops within its gap), and points no other point beats
on both cost and makespan are returned. The deadline in placer.yaml is not applied: the
frontier shows what each deadline costs.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from placer.config import Config
from placer.errors import ConfigError, PlanError
from placer.flow import Flow
from placer.optimize.baselines import as_written, greedy
from placer.optimize.evaluate import evaluate
from placer.optimize.problem import build_problem
from placer.optimize.solve import DEFAULT_GAP, Solution, optimize
from placer.optimize.space import Market, Space, build_space

_SLACK = 1e-6  # hours a deadline is loosened by, so a plan found at it still meets it
_EPS = 1e-9


@dataclass(frozen=True)
class Point:
    """One plan on the frontier: the deadline it answers, its real makespan and cost per
    run, the placement, and the steps that move from the cheapest plan's pools."""

    deadline_hours: float
    makespan_hours: float
    compute_usd: float  # per run
    egress_usd: float  # per run
    assignment: Mapping[str, str]
    moved: Mapping[str, tuple[str, str]]  # step -> (option in the cheapest plan, option here):
    # a pool, or "pool:type" for faster hardware the pool offers the step (space.Option.key)
    status: str  # the solver's: "optimal", "feasible" (within a gap)...

    @property
    def total_usd(self) -> float:
        return self.compute_usd + self.egress_usd


@dataclass(frozen=True)
class Marker:
    """A reference placement drawn next to the frontier (as written, greedy, the plan)."""

    name: str
    makespan_hours: float
    total_usd: float  # per run
    feasible: bool


@dataclass(frozen=True)
class Frontier:
    """The frontier's points, fastest first, and the references to compare them with."""

    flow: str
    flow_file: str
    runs_per_month: float
    points: tuple[Point, ...]
    markers: tuple[Marker, ...]
    deadlines: tuple[float, ...]  # every deadline solved, loosest first
    solves: int
    seconds: float


def frontier_flow(
    flow: Flow,
    config: Config,
    market: Market,
    points: int = 8,
    *,
    budget_usd_per_month: float | None = None,
    time_limit: float | None = None,
    gap: float = DEFAULT_GAP,
    flow_file: str | None = None,
) -> Frontier:
    """The frontier of `flow` over `points` deadlines, with the as-written and greedy
    baselines and the plan `placer plan` makes (placer.yaml's deadline included) as
    markers. `time_limit` bounds each solve."""
    from placer.optimize.planner import check_names

    if points < 2:
        raise ConfigError(f"{points} points", "--points", "ask for at least 2 points")
    check_names(flow, config)
    began = time.perf_counter()
    space = build_space(flow, config, market, None, budget_usd_per_month)
    free = dataclasses.replace(space, deadline_hours=None)
    found, deadlines = sweep(free, points, time_limit, gap)
    if not found:
        raise PlanError(
            "no plan meets the pool limits, budget and residency, whatever the deadline",
            "constraints",
            "run `placer plan` for the constraint that cannot be met",
        )
    return Frontier(
        flow=flow.name,
        flow_file=flow_file or str(flow.file),
        runs_per_month=space.runs_per_month,
        points=frontier_points(free, found, deadlines),
        markers=_markers(space, flow, config, market, time_limit, gap),
        deadlines=tuple(deadlines),
        solves=len(found),
        seconds=time.perf_counter() - began,
    )


def _markers(
    space: Space,
    flow: Flow,
    config: Config,
    market: Market,
    time_limit: float | None,
    gap: float,
) -> tuple[Marker, ...]:
    """The plan `placer plan` makes (absent when placer.yaml's deadline cannot be met)
    and its baselines, scored without a deadline."""
    from placer.optimize.planner import plan_space

    free = dataclasses.replace(space, deadline_hours=None)
    try:
        plan = plan_space(space, flow, config, market, time_limit=time_limit, gap=gap)
    except PlanError:
        written, _ = as_written(free, flow, config.datastore)
        return (_marker(free, "as_written", written), _marker(free, "greedy", greedy(free)[0]))
    chosen = {n: space.key_for(n, s.pool, s.instance_type) for n, s in plan.steps.items()}
    markers = [_marker(space, "plan", chosen)]
    markers += [_marker(free, name, b.assignment) for name, b in plan.baselines.items()]
    return tuple(markers)


def sweep(
    space: Space, points: int, time_limit: float | None, gap: float
) -> tuple[list[Solution], list[float]]:
    """Every plan found by the sweep (module docstring) and the deadlines solved, loosest
    first. `space` has no deadline."""
    cheapest = optimize(space, "cost", None, time_limit, gap=gap)
    if cheapest.assignment is None or cheapest.makespan_hours is None:
        return [], []
    fastest = optimize(space, "time", None, time_limit, gap=gap)
    slow, fast = cheapest.makespan_hours, fastest.makespan_hours or cheapest.makespan_hours
    found = [cheapest, fastest]
    if slow - fast <= _SLACK:
        return found, [slow]
    deadlines = [slow - (slow - fast) * i / (points - 1) for i in range(points)]
    problem = build_problem(space, "cost", makespan_limit=slow + _SLACK)
    for deadline in deadlines[1:-1]:  # the ends are the two plans above
        problem.add_deadline(deadline + _SLACK)
        within = dataclasses.replace(space, deadline_hours=deadline + _SLACK)
        found.append(optimize(within, "cost", None, time_limit, gap=gap, problem=problem))
    return found, deadlines


def frontier_points(
    space: Space, found: Sequence[Solution], deadlines: Sequence[float]
) -> tuple[Point, ...]:
    """Per deadline the cheapest plan found that meets it, without repeats or points
    another beats on both cost and makespan; fastest first."""
    if not found or found[0].assignment is None:
        return ()
    reference = found[0].assignment  # the cheapest plan
    plans = [s.assignment for s in found if s.assignment is not None]
    status = {id(s.assignment): s.stats.status for s in found}
    scored = [(evaluate(space, p), p) for p in plans]
    best: dict[int, Point] = {}
    for deadline in deadlines:
        meeting = [
            (o, p) for o, p in scored if o.feasible and o.makespan_hours <= deadline + _SLACK
        ]
        if not meeting:
            continue
        outcome, plan = min(meeting, key=lambda op: (op[0].total_usd, op[0].makespan_hours))
        if id(plan) not in best or best[id(plan)].deadline_hours > deadline:
            moved = {s: (reference[s], plan[s]) for s in space.steps if plan[s] != reference[s]}
            best[id(plan)] = Point(
                deadline, outcome.makespan_hours, outcome.compute_usd, outcome.egress_usd,
                dict(plan), moved, status[id(plan)],
            )  # fmt: skip
    return _undominated(list(best.values()))


def _undominated(points: list[Point]) -> tuple[Point, ...]:
    """Points no other point matches or beats on both makespan and cost, fastest first."""
    points.sort(key=lambda p: (p.makespan_hours, p.total_usd))
    kept: list[Point] = []
    for point in points:
        if not kept or point.total_usd < kept[-1].total_usd - _EPS:
            kept.append(point)
    return tuple(kept)


def _marker(space: Space, name: str, assignment: Mapping[str, str]) -> Marker:
    outcome = evaluate(space, assignment)
    return Marker(name, outcome.makespan_hours, outcome.total_usd, outcome.feasible)
