"""Solve a placement: one entry, :func:`optimize`, and an honest account of how it went.

Which path answers is named in ``Solution.stats.solver``:

- ``direct``: with no solver asked for and the cost objective, when the cheapest option of
  every step meets every constraint it is optimal (it is the optimum without the coupling
  constraints): no engine runs (:func:`relaxed_optimum`).
- ``HiGHS LP + rounding``: with pool limits, HiGHS and the cost objective, the LP
  relaxation's plan rounded (rounding.py); the answer when it is within the gap asked for
  of the LP bound, or when no time is left.
- ``HiGHS`` (default) or ``CBC`` (``solver="cbc"``): the MIP, solved again with a cut for
  every broken cap until the caps hold (problem.py, :func:`solve_with_cuts`).

The status is "optimal" only when the gap reached is within the gap asked for; a solve
stopped by its time limit with a plan is "feasible", with its gap.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from placer.errors import PlanError
from placer.optimize.evaluate import evaluate, longest_path, violated_antichains
from placer.optimize.problem import Cap, Objective, Problem, Run, build_problem
from placer.optimize.rounding import Rounded, round_lp
from placer.optimize.space import Space
from placer.plan import SolverStats

SOLVERS = ("highs", "cbc")
_NAMES = {"highs": "HiGHS", "cbc": "CBC"}
# Two objectives: the fastest makespan first, then the cheapest plan that keeps it.
_TIME_SLACK = 1e-6
DEFAULT_GAP = 1e-6  # relative MIP gap at which a solve counts as done
ROUGH_GAP = 0.01  # for capacity rounds whose answer will be cut off anyway
FLOW_AFTER = 3  # a cap broken this many times gets the exact flow formulation instead

Engine = Callable[[float | None, float], Run]  # (time limit s, relative gap) -> Run


@dataclass(frozen=True)
class Solution:
    """The solver's placement (None without one) and how it was obtained."""

    assignment: dict[str, str] | None
    stats: SolverStats
    makespan_hours: float | None = None
    rounds: int = 1  # solves needed (capacity cuts)

    @property
    def found(self) -> bool:
        return self.assignment is not None


def optimize(
    space: Space,
    objective: Objective = "cost",
    solver: str | None = None,
    time_limit: float | None = None,
    lp_path: Path | None = None,
    gap: float = DEFAULT_GAP,
    problem: Problem | None = None,
) -> Solution:
    """The cheapest plan (objective "cost") or the fastest, then the cheapest keeping its
    makespan ("time"), within `time_limit` seconds and relative gap `gap`.

    `solver`: None picks (the direct answer when it is optimal, else HiGHS), "highs" or
    "cbc". `lp_path`: the model is written there first, as an LP file (``--debug``).
    `problem`: the cost problem of `space` built before and perhaps grown since (its cuts,
    a tighter deadline: `space` then says that deadline), solved again instead of a new one.
    """
    if problem is not None:
        direct = relaxed_optimum(space) if solver is None else None
        return direct or solve_with_cuts(problem, solver or "highs", time_limit, gap)
    if lp_path is not None:
        from placer.optimize._pulp import write_lp

        write_lp(build_problem(space, objective), lp_path)
    if solver is None:
        direct = relaxed_optimum(space) if objective == "cost" else None
        if direct is not None:
            return direct
        solver = "highs"
    first = solve_with_cuts(build_problem(space, objective), solver, time_limit, gap)
    if objective != "time" or not first.found or first.makespan_hours is None:
        return first
    limit = first.makespan_hours * (1 + _TIME_SLACK) + _TIME_SLACK
    left = None if time_limit is None else max(0.0, time_limit - first.stats.seconds)
    second = solve_with_cuts(build_problem(space, "cost", makespan_limit=limit), solver, left, gap)
    if not second.found:
        return first
    stats = dataclasses.replace(
        second.stats,
        status=_worse(first.stats.status, second.stats.status),
        objective=first.stats.objective,
        gap=first.stats.gap,
        seconds=first.stats.seconds + second.stats.seconds,
    )
    return Solution(second.assignment, stats, second.makespan_hours, first.rounds + second.rounds)


def _worse(a: str, b: str) -> str:
    return a if a != "optimal" else b


def relaxed_optimum(space: Space) -> Solution | None:
    """The cheapest option of every step, when that placement breaks no constraint.

    It is optimal for the problem without the coupling constraints (capacity, deadline,
    budget), so when it meets them it is optimal for the whole problem: no solver needed.
    """
    began = time.perf_counter()
    if any(not options for options in space.options.values()):
        return None
    placement = {
        s: min(opts, key=lambda o: (o.total_usd, o.key)).key for s, opts in space.options.items()
    }
    outcome = evaluate(space, placement)
    if not outcome.feasible:
        return None
    stats = SolverStats(
        solver="direct",
        status="optimal",
        objective=outcome.total_usd,
        gap=0.0,
        seconds=time.perf_counter() - began,
        variables=sum(len(o) for o in space.options.values()),
        constraints=0,
    )
    return Solution(placement, stats, outcome.makespan_hours, rounds=0)


def solve_with_cuts(
    problem: Problem,
    solver: str = "highs",
    time_limit: float | None = None,
    gap: float = DEFAULT_GAP,
) -> Solution:
    """Solve, add a cut for every broken cap, repeat until the caps hold (problem.py).

    With HiGHS and pool limits, the LP relaxation is rounded first (rounding.py): when that
    plan is within `gap` of the LP bound it is the answer; otherwise HiGHS solves the model
    (with the flows the rounding added) and the answer is the cheaper of the two plans.
    (HiGHS 1.16 is not given the rounded plan as a start: with a start, its presolve proved
    a dearer plan "optimal" on a 100-step instance.) Rounds whose answer breaks a cap are
    thrown away, so they stop at a loose gap; once an answer respects every cap it is
    re-solved at `gap` (and cut again if it breaks one).
    """
    began = time.perf_counter()
    engine = _engine(problem, solver)
    capped = any(problem.space.caps.values())
    rounded = None
    if solver == "highs" and capped and problem.objective == "cost":
        rounded = round_lp(problem, None if time_limit is None else began + time_limit)
        if rounded.assignment is not None:
            enough = (rounded.gap or 0.0) <= gap
            spent = time_limit is not None and time.perf_counter() - began >= time_limit
            if enough or spent:  # no time left for HiGHS: the rounded plan, with its gap
                status = "optimal" if enough else "feasible"
                return _from_rounding(problem, rounded, status, rounded.gap, began)
    result = _cut_rounds(problem, solver, engine, time_limit, gap, began)
    return _better(problem, result, rounded, gap, began)


def solve(
    problem: Problem,
    solver: str = "highs",
    time_limit: float | None = None,
    gap: float = DEFAULT_GAP,
    engine: Engine | None = None,
) -> Solution:
    """Solve the problem as it stands: one round, no cut added."""
    began = time.perf_counter()
    run = (engine or _engine(problem, solver))(time_limit, gap)
    seconds = time.perf_counter() - began
    status = run.status
    if status == "optimal" and run.gap is not None and run.gap > gap + 1e-12:
        status = "feasible"  # "optimal" means within the gap asked for, nothing looser
    stats = SolverStats(
        solver=_NAMES[solver],
        status=status,
        objective=run.objective,
        gap=run.gap,
        seconds=seconds,
        variables=len(problem.columns),
        constraints=len(problem.rows),
    )
    assignment = problem.assignment(run.values) if run.found else None
    return Solution(assignment, stats, _makespan(problem.space, assignment))


def _engine(problem: Problem, solver: str) -> Engine:
    """A function that solves `problem` as it stands with the named engine."""
    if solver == "cbc":
        from placer.optimize._pulp import solve_cbc

        return lambda time_limit, gap: solve_cbc(problem, time_limit, gap)
    if solver != "highs":
        raise PlanError(
            f"unknown solver {solver!r}", "--solver", f"use one of: {', '.join(SOLVERS)}"
        )
    try:
        from placer.optimize._highs import HighsModel
    except ImportError as exc:
        raise PlanError(
            f"the HiGHS solver is not available ({exc})",
            "--solver highs",
            "pip install highspy, or use --solver cbc",
        ) from None
    models: list[HighsModel] = []  # loaded at the first run (the rounding may answer)

    def run(time_limit: float | None, gap: float) -> Run:
        began = time.perf_counter()
        if not models:
            models.append(HighsModel(problem))
        result = models[0].run(time_limit, gap)
        if result.status == "infeasible":
            # HiGHS 1.16's MIP presolve has called feasible models infeasible (a 5-step
            # flow once a cap is a flow: tests/test_optimize_rounding_audit.py): confirm.
            left = None if time_limit is None else time_limit - (time.perf_counter() - began)
            if left is None or left > 0:
                result = models[0].run(left, gap, presolve=False)
        return result

    return run


def _makespan(space: Space, assignment: dict[str, str] | None) -> float | None:
    """The placement's real critical path (the model's column is only an upper bound)."""
    if assignment is None:
        return None
    hours = {s: space.placed(s, p).wall_hours for s, p in assignment.items()}
    return longest_path(space.steps, space.edges, hours)[0]


def _better(
    problem: Problem, result: Solution, rounded: Rounded | None, gap: float, began: float
) -> Solution:
    """The cheaper of HiGHS's plan and the rounded one, its gap (and whether that is within
    `gap`: "optimal") measured against the better of the LP bound and HiGHS's bound."""
    if rounded is None or rounded.bound_usd is None:
        return result
    objective = result.stats.objective if result.found else None
    bounds = [rounded.bound_usd]
    if objective is not None and result.stats.gap is not None:
        bounds.append(objective * (1 - result.stats.gap))  # HiGHS: gap = (obj - bound) / obj
    if rounded.assignment is None or (
        objective is not None and objective <= (rounded.cost_usd or 0.0) + 1e-9
    ):
        if objective is None or result.stats.status not in ("optimal", "feasible"):
            return result
        best_gap = _gap(objective, max(bounds))
        status = "optimal" if best_gap <= gap else "feasible"
        stats = dataclasses.replace(result.stats, status=status, gap=best_gap)
        return dataclasses.replace(result, stats=stats)
    cost = rounded.cost_usd or 0.0
    best_gap = _gap(cost, max(bounds))
    status = "optimal" if best_gap <= gap else "feasible"
    return _from_rounding(problem, rounded, status, best_gap, began, result.rounds + 1)


def _gap(cost: float, bound: float) -> float:
    """(cost - bound) / cost, as HiGHS reports it (0 when the bound reaches the cost)."""
    return max(0.0, cost - bound) / max(abs(cost), 1e-9)


def _from_rounding(
    problem: Problem,
    rounded: Rounded,
    status: str,
    gap: float | None,
    began: float,
    rounds: int = 1,
) -> Solution:
    """A Solution for the rounded plan, its gap measured against the LP bound."""
    stats = SolverStats(
        solver="HiGHS LP + rounding",
        status=status,
        objective=rounded.cost_usd,
        gap=gap,
        seconds=time.perf_counter() - began,
        variables=len(problem.columns),
        constraints=len(problem.rows),
    )
    assignment = rounded.assignment
    return Solution(assignment, stats, _makespan(problem.space, assignment), rounds)


def _cut_rounds(
    problem: Problem,
    solver: str,
    engine: Engine,
    time_limit: float | None,
    gap: float,
    began: float,
) -> Solution:
    capped = any(problem.space.caps.values())
    rounds, loose = 0, max(gap, ROUGH_GAP) if capped else gap
    strikes: dict[Cap, int] = {}
    while True:
        spent = time.perf_counter() - began
        left = None if time_limit is None else max(0.1, time_limit - spent)
        result = solve(problem, solver, left, loose, engine)
        rounds += 1
        spent = time.perf_counter() - began
        if not result.found:
            return _restamp(result, result.stats.status, spent, rounds)
        broken = violated_antichains(problem.space, result.assignment or {})
        # A rough round (HiGHS) that proved the gap asked for needs no second solve.
        reached = result.stats.gap if solver == "highs" else None
        if not broken and (loose <= gap or (reached is not None and reached <= gap)):
            return _restamp(result, result.stats.status, spent, rounds)
        if time_limit is not None and spent >= time_limit:
            status = "feasible" if not broken else "time limit"
            return _restamp(
                result if not broken else Solution(None, result.stats), status, spent, rounds
            )
        if not broken:
            loose = gap
        for pool, resource, steps in broken:
            cap = Cap(pool, resource)
            strikes[cap] = strikes.get(cap, 0) + 1
            if strikes[cap] == FLOW_AFTER:
                problem.add_flow(cap)
            elif strikes[cap] < FLOW_AFTER:
                problem.add_cut(cap, problem.widen(cap, steps))


def _restamp(result: Solution, status: str, seconds: float, rounds: int) -> Solution:
    stats = dataclasses.replace(result.stats, status=status, seconds=seconds)
    return dataclasses.replace(result, stats=stats, rounds=rounds)
