"""pulp's HiGHS interface, made quiet and fast for large models.

pulp adds columns and rows to highspy one call at a time, and highspy prints its banner on
C-level stdout when the first solver object is created (which would corrupt
``placer plan --format json``). This subclass builds the model in two bulk calls and
silences that banner. Imported only when solving.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import highspy
import numpy as np
import pulp


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


class QuietHiGHS(pulp.HiGHS):
    """HiGHS through highspy, with bulk model building and no banner."""

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (pulp API)
        with quiet_c_stdout():
            super().createAndConfigureSolver(lp)

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (pulp API)
        inf = highspy.kHighsInf
        variables = lp.variables()
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        cost = np.zeros(len(variables))
        lower = np.empty(len(variables))
        upper = np.empty(len(variables))
        integers = []
        for i, var in enumerate(variables):
            var.index = i
            lower[i] = -inf if var.lowBound is None else var.lowBound
            upper[i] = inf if var.upBound is None else var.upBound
            if var.cat == pulp.LpInteger and self.mip:
                integers.append(i)
        for var, coef in lp.objective.items():
            cost[var.index] = sign * coef
        none_i, none_f = np.array([], dtype=np.int32), np.array([], dtype=np.float64)
        lp.solverModel.addCols(len(variables), cost, lower, upper, 0, none_i, none_i, none_f)
        if integers:
            kinds = np.full(len(integers), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
            lp.solverModel.changeColsIntegrality(
                len(integers), np.array(integers, dtype=np.int32), kinds
            )
        self._add_rows(lp)

    @staticmethod
    def _add_rows(lp: pulp.LpProblem) -> None:
        constraints = list(lp._constraints.values())
        for i, constraint in enumerate(constraints):
            constraint.index = i
        add_rows(lp.solverModel, constraints, lambda var: var.index)


def add_rows(
    highs: highspy.Highs,
    constraints: Sequence[pulp.LpConstraint],
    column: Callable[[pulp.LpVariable], int],
) -> None:
    """Append pulp constraints to a HiGHS model as rows, in one call; `column` maps a
    variable to its column."""
    inf = highspy.kHighsInf
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    low: list[float] = []
    up: list[float] = []
    for constraint in constraints:
        starts.append(len(index))
        for var, coef in constraint.items():
            if coef != 0:
                index.append(column(var))
                value.append(coef)
        lb, ub = constraint.getLb(), constraint.getUb()
        low.append(-inf if lb is None else lb)
        up.append(inf if ub is None else ub)
    highs.addRows(
        len(starts),
        np.array(low, dtype=np.float64),
        np.array(up, dtype=np.float64),
        len(index),
        np.array(starts, dtype=np.int32),
        np.array(index, dtype=np.int32),
        np.array(value, dtype=np.float64),
    )
