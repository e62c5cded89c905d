"""CBC through pulp, and the LP file ``--debug`` writes.

CBC, bundled with pulp, is the second engine: ``--solver cbc`` asks for it (a second
opinion when HiGHS misbehaves). pulp also writes a Problem as an LP file whose names speak
the domain (``assign[train,gcp-usc1]`` becomes ``assign_train,gcp_usc1_``: pulp replaces the
characters LP files do not allow). Only pulp's public API is used. pulp's ``status``
calls a run stopped by its time limit "Optimal": the status here comes from
``sol_status``, the gap from CBC's log. Imported only when solving.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path

import pulp

from placer.optimize.problem import Problem, Run

_STATUS = {1: "optimal", 2: "feasible", 0: "not solved", -1: "infeasible", -2: "unbounded"}


def to_pulp(problem: Problem) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """The Problem as a pulp model, and its variables in column order."""
    model = pulp.LpProblem("placement", pulp.LpMinimize)
    variables = [
        _variable(
            model, str(c.key), c.low, c.up, pulp.LpInteger if c.integer else pulp.LpContinuous
        )
        for c in problem.columns
    ]
    model.setObjective(
        pulp.LpAffineExpression(
            [(variables[i], c.cost) for i, c in enumerate(problem.columns) if c.cost]
        )
    )
    for row in problem.rows:
        expression = pulp.LpAffineExpression(
            [(variables[c], v) for c, v in zip(row.columns, row.values, strict=True)]
        )
        if row.low is not None and row.low == row.up:
            model += expression == row.low, str(row.key)
        elif row.low is not None:
            model += expression >= row.low, str(row.key)
        elif row.up is not None:
            model += expression <= row.up, str(row.key)
    return model, variables


def _variable(
    model: pulp.LpProblem, name: str, low: float, up: float | None, cat: str
) -> pulp.LpVariable:
    """A variable owned by `model` (pulp 3.3+), else a free-standing one (older pulp)."""
    if hasattr(model, "add_variable"):
        return model.add_variable(name, low, up, cat)
    return pulp.LpVariable(name, low, up, cat)


def write_lp(problem: Problem, path: Path) -> None:
    """Write the Problem as an LP file (for ``--debug``)."""
    to_pulp(problem)[0].writeLP(str(path))


def solve_cbc(problem: Problem, time_limit: float | None, gap: float) -> Run:
    """Solve with CBC within `time_limit` seconds, stopping at relative gap `gap`."""
    model, variables = to_pulp(problem)
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "cbc.log"
        with warnings.catch_warnings():  # pulp 3.3 deprecates the bundled CBC for 4.0
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(
                msg=False, timeLimit=time_limit, gapRel=gap, logPath=str(log_path)
            )
        model.solve(solver)
        log = log_path.read_text() if log_path.exists() else ""
    status = _STATUS.get(model.sol_status, f"status {model.sol_status}")
    if status not in ("optimal", "feasible"):
        return Run(status, None, None, [])
    values = [v.value() or 0.0 for v in variables]
    return Run(status, model.objective.value() or 0.0, cbc_gap(log, gap), values)


def cbc_gap(log: str, wanted: float) -> float | None:
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
