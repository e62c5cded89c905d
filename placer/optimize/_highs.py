"""HiGHS through highspy: a Problem loaded in bulk and kept in step as it grows.

HiGHS is placer's default engine. solve.py runs the MIP on a :class:`HighsModel`; the LP
rounding (rounding.py) re-solves the LP relaxation on one as flows are added. Columns and
rows go in with one call each (numpy arrays); :meth:`HighsModel.sync` appends only what the
Problem gained since (it only grows), and an LP re-solve starts from the last basis.
highspy prints a banner on C-level stdout when the first Highs object is created (which
would corrupt ``placer plan --format json``): it is silenced. Imported only when solving.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import highspy
import numpy as np

from placer.optimize.problem import Problem, Run

_INF = highspy.kHighsInf
_Status = highspy.HighsModelStatus
_STOPPED = {  # limits that end a solve with whatever solution it has
    _Status.kTimeLimit,
    _Status.kIterationLimit,
    _Status.kInterrupt,
    _Status.kSolutionLimit,
    _Status.kObjectiveBound,
    _Status.kObjectiveTarget,
}


@contextmanager
def quiet_c_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for the duration (C libraries print there)."""
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance."""
    with quiet_c_stdout():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


class HighsModel:
    """A Problem as a HiGHS model; `relaxed`: its LP relaxation (every column continuous)."""

    def __init__(self, problem: Problem, relaxed: bool = False) -> None:
        self.problem, self.relaxed = problem, relaxed
        self.highs = new_highs()
        self.highs.changeObjectiveSense(highspy.ObjSense.kMinimize)
        self._columns = self._rows = 0
        self.sync()

    def sync(self) -> None:
        """Append the columns and rows the Problem gained since the last sync."""
        columns = self.problem.columns[self._columns :]
        if columns:
            cost = np.array([c.cost for c in columns], dtype=np.float64)
            low = np.array([c.low for c in columns], dtype=np.float64)
            up = np.array([_INF if c.up is None else c.up for c in columns], dtype=np.float64)
            none = np.array([], dtype=np.int32)
            self.highs.addCols(len(columns), cost, low, up, 0, none, none, np.array([]))
            integer = [self._columns + i for i, c in enumerate(columns) if c.integer]
            if integer and not self.relaxed:
                kinds = np.full(len(integer), highspy.HighsVarType.kInteger.value, np.uint8)
                self.highs.changeColsIntegrality(
                    len(integer), np.array(integer, dtype=np.int32), kinds
                )
            self._columns += len(columns)
        rows = self.problem.rows[self._rows :]
        if rows:
            starts = np.cumsum([0] + [len(r.columns) for r in rows[:-1]], dtype=np.int32)
            index = np.fromiter((c for r in rows for c in r.columns), dtype=np.int32)
            value = np.fromiter((v for r in rows for v in r.values), dtype=np.float64)
            low = np.array([-_INF if r.low is None else r.low for r in rows], dtype=np.float64)
            up = np.array([_INF if r.up is None else r.up for r in rows], dtype=np.float64)
            self.highs.addRows(len(rows), low, up, len(index), starts, index, value)
            self._rows += len(rows)

    def run(self, time_limit: float | None = None, gap: float = 0.0, presolve: bool = True) -> Run:
        """Solve (the MIP, or the LP when relaxed) within `time_limit` seconds, stopping
        at relative MIP gap `gap`. No absolute gap: HiGHS's default (1e-6 USD) would stop
        plans of a few cents per run short of the relative gap asked for."""
        self.sync()
        if not self.problem.columns:
            return self._empty()
        highs = self.highs
        highs.setOptionValue("time_limit", _INF if time_limit is None else max(0.0, time_limit))
        if not self.relaxed:
            highs.setOptionValue("mip_rel_gap", gap)
            highs.setOptionValue("mip_abs_gap", 0.0)
            highs.setOptionValue("presolve", "choose" if presolve else "off")
        highs.run()
        status, info = highs.getModelStatus(), highs.getInfo()
        solved = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
        name = _status(status, solved)
        if name not in ("optimal", "feasible"):
            return Run(name, None, None, [])
        values = list(highs.getSolution().col_value)
        gap_found = None if self.relaxed or info.mip_gap == _INF else float(info.mip_gap)
        return Run(name, float(info.objective_function_value), gap_found, values)

    def _empty(self) -> Run:
        """A model without columns: every row must allow 0; its objective is 0."""
        rows = self.problem.rows
        if any((r.low or 0.0) > 0.0 or (r.up is not None and r.up < 0.0) for r in rows):
            return Run("infeasible", None, None, [])
        return Run("optimal", 0.0, None if self.relaxed else 0.0, [])


def _status(status: highspy.HighsModelStatus, solved: bool) -> str:
    if status == _Status.kOptimal:
        return "optimal"
    if status in (_Status.kInfeasible, _Status.kUnboundedOrInfeasible):
        return "infeasible"
    if status == _Status.kUnbounded:
        return "unbounded"
    if status in _STOPPED and solved:
        return "feasible"
    return "not solved"
