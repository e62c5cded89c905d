"""A HiGHS LP kept in step with a pulp model while rows and columns are added to it.

The rounding heuristic solves the placement model's LP relaxation again and again as
capacity flows are added; handing pulp's whole model to HiGHS each time costs about half a
second at 2000 steps x 50 pools, appending the new rows costs milliseconds and the dual
simplex restarts from the last basis. Imported only when solving (needs highspy).
"""

from __future__ import annotations

import highspy
import numpy as np
import pulp

from placer.optimize._highs import quiet_c_stdout


class Mirror:
    """The LP relaxation of a pulp model (every variable continuous) as a HiGHS model."""

    def __init__(self, model: pulp.LpProblem) -> None:
        self.model = model
        with quiet_c_stdout():
            self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.column: dict[str, int] = {}
        self._rows = 0
        self.sync()

    def sync(self) -> None:
        """Append the variables and constraints added to the pulp model since last time.

        Variables are found through the new constraints (and the objective, the first
        time): pulp's own ``variables()`` walks and sorts the whole model on every call.
        """
        inf = highspy.kHighsInf
        constraints = list(self.model._constraints.values())[self._rows :]
        fresh: dict[str, pulp.LpVariable] = {}
        objective = {v.name: c for v, c in self.model.objective.items()}
        if not self.column:
            fresh.update((v.name, v) for v in self.model.objective)
        for constraint in constraints:
            for var in constraint:
                if var.name not in self.column:
                    fresh.setdefault(var.name, var)
        if fresh:
            columns = list(fresh.values())
            cost = np.array([objective.get(v.name, 0.0) for v in columns], dtype=np.float64)
            low = np.array([-inf if v.lowBound is None else v.lowBound for v in columns])
            up = np.array([inf if v.upBound is None else v.upBound for v in columns])
            for v in columns:
                self.column[v.name] = len(self.column)
            empty = np.array([], dtype=np.int32)
            self.highs.addCols(len(columns), cost, low, up, 0, empty, empty, np.array([]))
        if constraints:
            self._add_rows(constraints, inf)
        self._rows += len(constraints)

    def _add_rows(self, constraints: list[pulp.LpConstraint], inf: float) -> None:
        starts, index, value, low, up = [], [], [], [], []
        for constraint in constraints:
            starts.append(len(index))
            for var, coef in constraint.items():
                if coef != 0:
                    index.append(self.column[var.name])
                    value.append(coef)
            lb, ub = constraint.getLb(), constraint.getUb()
            low.append(-inf if lb is None else lb)
            up.append(inf if ub is None else ub)
        self.highs.addRows(
            len(starts),
            np.array(low, dtype=np.float64),
            np.array(up, dtype=np.float64),
            len(index),
            np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32),
            np.array(value, dtype=np.float64),
        )

    def solve(self) -> float | None:
        """Solve the LP; its optimal value, or None when it has none (infeasible)."""
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return float(self.highs.getInfo().objective_function_value)

    def values(self) -> np.ndarray:
        return np.asarray(self.highs.getSolution().col_value)
