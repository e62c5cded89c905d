"""Solve a Problem with HiGHS (default, through highspy) or CBC, and say honestly how it went.

pulp's ``status`` calls a time-limited run that found a solution "Optimal"; the status here
comes from ``sol_status`` (optimal / feasible with a gap / infeasible / no solution), and the
MIP gap from the solver itself (HiGHS info, or CBC's log).
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from placer.errors import PlanError
from placer.optimize.evaluate import evaluate, longest_path, violated_antichains
from placer.optimize.problem import (
    Objective,
    Problem,
    add_cut,
    add_flow,
    build_problem,
    widen,
)
from placer.optimize.rounding import Rounded, round_lp
from placer.optimize.space import Space
from placer.plan import SolverStats

SOLVERS = ("highs", "cbc")
_STATUS = {1: "optimal", 2: "feasible", 0: "not solved", -1: "infeasible", -2: "unbounded"}
# Two objectives: the fastest makespan first, then the cheapest plan that keeps it.
_TIME_SLACK = 1e-6
DEFAULT_GAP = 1e-6  # relative MIP gap at which a solve counts as done
ROUGH_GAP = 0.01  # for capacity rounds whose answer will be cut off anyway
FLOW_AFTER = 3  # a cap broken this many times gets the exact flow formulation instead


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


def _solver(
    name: str,
    time_limit: float | None,
    log_path: Path | None,
    gap: float,
    presolve: bool = True,
):
    import pulp

    if name == "highs":
        try:
            from placer.optimize._highs import QuietHiGHS
        except ImportError as exc:
            raise PlanError(
                f"the HiGHS solver is not available ({exc})",
                "--solver highs",
                "pip install highspy, or use --solver cbc",
            ) from None
        # mip_abs_gap 0: HiGHS's default (1e-6 USD) would stop plans of a few cents per
        # run short of the relative gap asked for, and call them optimal.
        options = {} if presolve else {"presolve": "off"}
        return QuietHiGHS(msg=False, timeLimit=time_limit, gapRel=gap, gapAbs=0.0, **options)
    if name == "cbc":
        with warnings.catch_warnings():  # pulp 3.3 deprecates the bundled CBC for 4.0
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.PULP_CBC_CMD(
                msg=False, timeLimit=time_limit, gapRel=gap, logPath=str(log_path)
            )
    raise PlanError(f"unknown solver {name!r}", "--solver", f"use one of: {', '.join(SOLVERS)}")


def default_solver() -> str:
    """HiGHS when highspy can be imported, else CBC (bundled with pulp) as the fallback."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return "cbc"
    return "highs"


def _cbc_gap(log: str, wanted: float) -> float | None:
    """The relative gap CBC ends with: 0 when proven optimal, else from its objective and
    lower bound lines (CBC prints the bound with 3 decimals: taken 0.0005 lower), no more
    than `wanted` when CBC says it stopped within that tolerance (its own test, on exact
    figures). Its "Gap:" line is rounded to 2 decimals; the last resort."""
    if re.search(r"^Result - Optimal solution found\s*$", log, re.M):
        return 0.0
    value = re.search(r"^Objective value:\s+(\S+)", log, re.M)
    bound = re.search(r"^Lower bound:\s+(\S+)", log, re.M)
    if value and bound:
        objective, low = float(value.group(1)), float(bound.group(1)) - 0.0005
        measured = max(0.0, objective - low) / max(abs(objective), 1e-9)
        return min(measured, wanted) if "(within gap tolerance)" in log else measured
    found = re.search(r"^Gap:\s+([-\d.eE+]+)", log, re.M)
    return float(found.group(1)) if found else None


def _highs_gap(problem: Problem) -> float | None:
    highs = getattr(problem.model, "solverModel", None)
    if highs is None:
        return None
    gap = float(highs.getInfo().mip_gap)
    return gap if gap < float("inf") else None


def solve(
    problem: Problem,
    solver: str = "highs",
    time_limit: float | None = None,
    lp_path: Path | None = None,
    gap: float = DEFAULT_GAP,
) -> Solution:
    """Solve one model; `lp_path` writes it in LP format first (for --debug)."""
    if lp_path is not None:
        problem.model.writeLP(str(lp_path))
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "cbc.log"
        began = time.perf_counter()
        problem.model.solve(_solver(solver, time_limit, log_path, gap))
        if solver == "highs" and problem.model.sol_status == -1:
            # HiGHS 1.16's MIP presolve has called feasible models infeasible (a 5-step
            # flow once a cap is a flow: tests/test_optimize_rounding_audit.py): confirm.
            left = None if time_limit is None else time_limit - (time.perf_counter() - began)
            if left is None or left > 0:
                problem.model.solve(_solver(solver, left, log_path, gap, presolve=False))
        seconds = time.perf_counter() - began
        log = log_path.read_text() if log_path.exists() else ""
    status = _STATUS.get(problem.model.sol_status, f"status {problem.model.sol_status}")
    found = status in ("optimal", "feasible")
    reached = (_highs_gap(problem) if solver == "highs" else _cbc_gap(log, gap)) if found else None
    if status == "optimal" and reached is not None and reached > gap + 1e-12:
        status = "feasible"  # "optimal" means within the gap asked for, nothing looser
    objective = problem.model.objective.value() if found else None
    stats = SolverStats(
        solver="HiGHS" if solver == "highs" else "CBC",
        status=status,
        objective=objective,
        gap=reached,
        seconds=seconds,
        variables=problem.model.numVariables(),
        constraints=problem.model.numConstraints(),
    )
    assignment = _assignment(problem) if found else None
    return Solution(assignment, stats, _makespan(problem.space, assignment))


def _makespan(space: Space, assignment: dict[str, str] | None) -> float | None:
    """The placement's real critical path (the model's variable is only an upper bound)."""
    if assignment is None:
        return None
    hours = {s: space.placed(s, p).wall_hours for s, p in assignment.items()}
    return longest_path(space.steps, space.edges, hours)[0]


def _assignment(problem: Problem) -> dict[str, str]:
    out = {}
    for (step, pool), var in problem.assign.items():
        if (var.value() or 0.0) > 0.5:
            out[step] = pool
    return out


def solve_with_cuts(
    problem: Problem,
    solver: str = "highs",
    time_limit: float | None = None,
    lp_path: Path | None = None,
    gap: float = DEFAULT_GAP,
) -> Solution:
    """Solve, add a cut for every broken cap, repeat until the caps hold (problem.py).

    With HiGHS and pool limits, the LP relaxation is rounded first (rounding.py): when that
    plan is within `gap` of the LP bound it is the answer; otherwise HiGHS solves the model
    (with the flows the rounding added) and the answer is the cheaper of the two plans.
    (HiGHS 1.16 is not given the rounded plan as a start: with a start, its presolve proved
    a dearer plan "optimal" on a 100-step instance.) Rounds whose answer breaks
    a cap are thrown away, so they stop at a loose gap; once an answer respects every cap it
    is re-solved at `gap` (and cut again if it breaks one).
    """
    began = time.perf_counter()
    capped = any(problem.space.caps.values())
    rounded = None
    if solver == "highs" and capped and problem.objective == "cost" and lp_path is None:
        rounded = round_lp(problem, None if time_limit is None else began + time_limit)
        if rounded.assignment is not None:
            enough = (rounded.gap or 0.0) <= gap
            spent = time_limit is not None and time.perf_counter() - began >= time_limit
            if enough or spent:  # no time left for HiGHS: the rounded plan, with its gap
                status = "optimal" if enough else "feasible"
                return _from_rounding(problem, rounded, status, rounded.gap, began)
    result = _cut_rounds(problem, solver, time_limit, lp_path, gap, began)
    return _better(problem, result, rounded, gap, began)


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
        variables=problem.model.numVariables(),
        constraints=problem.model.numConstraints(),
    )
    assignment = rounded.assignment
    return Solution(assignment, stats, _makespan(problem.space, assignment), rounds)


def _cut_rounds(
    problem: Problem,
    solver: str,
    time_limit: float | None,
    lp_path: Path | None,
    gap: float,
    began: float,
) -> Solution:
    capped = any(problem.space.caps.values())
    rounds, loose = 0, max(gap, ROUGH_GAP) if capped else gap
    strikes: dict[tuple[str, str], int] = {}
    while True:
        spent = time.perf_counter() - began
        left = None if time_limit is None else max(0.1, time_limit - spent)
        result = solve(problem, solver, left, lp_path if rounds == 0 else None, loose)
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
            strikes[pool, resource] = strikes.get((pool, resource), 0) + 1
            if strikes[pool, resource] == FLOW_AFTER:
                add_flow(problem, pool, resource)
            elif strikes[pool, resource] < FLOW_AFTER:
                add_cut(problem, pool, resource, widen(problem, pool, resource, steps))


def _restamp(result: Solution, status: str, seconds: float, rounds: int) -> Solution:
    stats = dataclasses.replace(result.stats, status=status, seconds=seconds)
    return dataclasses.replace(result, stats=stats, rounds=rounds)


def relaxed_optimum(space: Space) -> Solution | None:
    """The cheapest option of every step, when that placement breaks no constraint.

    It is optimal for the problem without the coupling constraints (capacity, deadline,
    budget), so when it meets them it is optimal for the whole problem: no solver needed.
    """
    began = time.perf_counter()
    if any(not options for options in space.options.values()):
        return None
    placement = {
        s: min(opts, key=lambda o: (o.total_usd, o.pool)).pool for s, opts in space.options.items()
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


def optimize(
    space: Space,
    objective: Objective = "cost",
    solver: str | None = None,
    time_limit: float | None = None,
    lp_path: Path | None = None,
    gap: float = DEFAULT_GAP,
) -> Solution:
    """Build and solve; for "time", the fastest makespan then the cheapest plan keeping it.

    With `solver` None ("auto"), a cost objective whose cheapest-per-step placement is
    feasible is answered directly (see :func:`relaxed_optimum`), else HiGHS solves it (CBC
    when highspy is not installed).
    """
    if solver is None:
        direct = relaxed_optimum(space) if objective == "cost" and lp_path is None else None
        if direct is not None:
            return direct
        solver = default_solver()
    first = solve_with_cuts(build_problem(space, objective), solver, time_limit, lp_path, gap)
    if objective != "time" or not first.found or first.makespan_hours is None:
        return first
    limit = first.makespan_hours * (1 + _TIME_SLACK) + _TIME_SLACK
    left = None if time_limit is None else max(0.0, time_limit - first.stats.seconds)
    second = solve_with_cuts(
        build_problem(space, "cost", makespan_limit=limit), solver, left, None, gap
    )
    if not second.found:
        return first
    stats = SolverStats(
        solver=second.stats.solver,
        status=_worse(first.stats.status, second.stats.status),
        objective=first.stats.objective,
        gap=first.stats.gap,
        seconds=first.stats.seconds + second.stats.seconds,
        variables=second.stats.variables,
        constraints=second.stats.constraints,
    )
    return Solution(second.assignment, stats, second.makespan_hours, first.rounds + second.rounds)


def _worse(a: str, b: str) -> str:
    return a if a != "optimal" else b
