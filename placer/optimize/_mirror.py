"""A HiGHS LP kept in step with a pulp model while rows and columns are added to it.

The rounding heuristic solves the placement model's LP relaxation again and again as
capacity flows are added; handing pulp's whole model to HiGHS each time costs about half a
second at 2000 steps x 50 pools, appending the new rows costs milliseconds and the dual
simplex restarts from the last basis. Imported only when solving (needs highspy).

What is mirrored: the sense, the objective (its constant too), every variable's bounds as
they are when the variable is first seen, and every constraint with its constant. A
variable is first seen in the objective or in a constraint added since the last sync; an
objective replaced by ``setObjective`` is re-read whole at the next sync.
"""

from __future__ import annotations

import highspy
import numpy as np
import pulp

from placer.optimize._highs import add_rows, quiet_c_stdout


class Mirror:
    """The LP relaxation of a pulp model (every variable continuous) as a HiGHS model."""

    def __init__(self, model: pulp.LpProblem) -> None:
        self.model = model
        with quiet_c_stdout():
            self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        maximize = model.sense == pulp.LpMaximize
        self.highs.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
        )
        self.column: dict[str, int] = {}
        self._rows = 0
        self._objective: pulp.LpAffineExpression | None = None
        self.sync()

    def sync(self) -> None:
        """Append the variables and constraints added to the pulp model since last time.

        Variables are found through the new constraints (and the objective, when it is new):
        pulp's own ``variables()`` walks and sorts the whole model on every call.
        """
        constraints = list(self.model._constraints.values())[self._rows :]
        objective = self.model.objective
        renewed = objective is not None and objective is not self._objective
        fresh: dict[str, pulp.LpVariable] = {}
        if renewed:
            fresh.update((v.name, v) for v in objective if v.name not in self.column)
        for constraint in constraints:
            for var in constraint:
                if var.name not in self.column:
                    fresh.setdefault(var.name, var)
        if fresh:
            self._add_columns(list(fresh.values()))
        if renewed:
            self._set_objective(objective)
        if constraints:
            self._add_rows(constraints)
        self._rows += len(constraints)

    def _add_columns(self, columns: list[pulp.LpVariable]) -> None:
        """New columns with their bounds, costing 0: a variable of the objective is new
        only with a new objective, whose costs are then all set (``_set_objective``)."""
        inf = highspy.kHighsInf
        cost = np.zeros(len(columns))
        low = np.array([-inf if v.lowBound is None else v.lowBound for v in columns])
        up = np.array([inf if v.upBound is None else v.upBound for v in columns])
        for v in columns:
            self.column[v.name] = len(self.column)
        empty = np.array([], dtype=np.int32)
        self.highs.addCols(len(columns), cost, low, up, 0, empty, empty, np.array([]))

    def _set_objective(self, objective: pulp.LpAffineExpression) -> None:
        """Every column's cost from `objective` (0 where absent), and its constant."""
        cost = np.zeros(len(self.column))
        for var, coef in objective.items():
            cost[self.column[var.name]] = coef
        if len(cost):
            index = np.arange(len(cost), dtype=np.int32)
            self.highs.changeColsCost(len(cost), index, cost)
        self.highs.changeObjectiveOffset(float(objective.constant))
        self._objective = objective

    def _add_rows(self, constraints: list[pulp.LpConstraint]) -> None:
        add_rows(self.highs, constraints, lambda var: self.column[var.name])

    def solve(self, time_limit: float | None = None) -> float | None:
        """Solve the LP within `time_limit` seconds; its optimal value, or None when it has
        none (infeasible, unbounded) or the time ran out."""
        limit = highspy.kHighsInf if time_limit is None else max(0.0, time_limit)
        self.highs.setOptionValue("time_limit", float(limit))
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kModelEmpty:  # no column: just the constant,
            return self._empty_value()  # if every row (all of them 0) allows 0
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        return float(self.highs.getInfo().objective_function_value)

    def _empty_value(self) -> float | None:
        lp = self.highs.getLp()
        low, up = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
        if np.any(low > 0) or np.any(up < 0):
            return None
        return float(self.highs.getObjectiveOffset()[1])

    def values(self) -> np.ndarray:
        """The last solve's value of every column (indexed by ``column``)."""
        return np.asarray(self.highs.getSolution().col_value)
