"""A pool's peak concurrent load, kept up to date while steps are added one at a time.

The peak of a set of steps is the least source-to-sink flow along the DAG's edges that
passes at least each step's load through it (Dilworth, min-flow form; see antichain.py).
Here that flow is a small LP held open in HiGHS: adding a step raises one column's lower
bound, and the dual simplex re-solves from the last basis in a few pivots, so asking
"would this step still fit?" hundreds of times costs milliseconds each instead of a fresh
max flow. Imported only by the rounding heuristic (it needs highspy and numpy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import highspy
import numpy as np

from placer.optimize._highs import new_highs
from placer.optimize.antichain import descendants

_TOLERANCE = 1e-6
_WITNESSES = 64  # antichains remembered for refusing steps without a solve


class PeakLP:
    """The least flow covering every added step's load: equal to the heaviest antichain.

    Columns per step ``s``: ``src[s]`` (flow entering from the source), ``thru[s]`` (flow
    through s, lower bound = its load), ``sink[s]``; per DAG edge one flow column. Rows per
    step: what enters equals ``thru``, and ``thru`` equals what leaves.
    """

    def __init__(
        self, steps: Iterable[str], edges: Iterable[tuple[str, str]], load: Mapping[str, float]
    ) -> None:
        names = tuple(steps)
        edges = tuple(edges)
        n, m = len(names), len(edges)
        self._column = {s: 3 * i + 1 for i, s in enumerate(names)}  # the thru column
        index = {s: i for i, s in enumerate(names)}
        self._highs = new_highs()
        self._highs.setOptionValue("presolve", "off")  # re-solves start from the last basis
        # Rows: 2i = "in" balance of step i, 2i + 1 = "out" balance; both == 0.
        starts: list[int] = []
        rows: list[int] = []
        values: list[float] = []
        cost = np.zeros(3 * n + m)
        lower = np.zeros(3 * n + m)
        for i, s in enumerate(names):
            cost[3 * i] = 1.0  # src
            lower[3 * i + 1] = load.get(s, 0.0)
            for column_rows in ([2 * i], [2 * i, 2 * i + 1], [2 * i + 1]):
                starts.append(len(rows))
                rows += column_rows
            values += [1.0, -1.0, 1.0, -1.0]
        for u, v in edges:
            starts.append(len(rows))
            rows += [2 * index[u] + 1, 2 * index[v]]
            values += [-1.0, 1.0]
        inf = highspy.kHighsInf
        self._highs.addRows(2 * n, np.zeros(2 * n), np.zeros(2 * n), 0, [], [], [])
        self._highs.addCols(
            3 * n + m,
            cost,
            lower,
            np.full(3 * n + m, inf),
            len(rows),
            np.array(starts, dtype=np.int32),
            np.array(rows, dtype=np.int32),
            np.array(values, dtype=np.float64),
        )
        self._load = {s: load.get(s, 0.0) for s in names}
        self._names = names
        self._bit = {s: 1 << i for i, s in enumerate(names)}
        down = descendants(names, edges)
        up = descendants(names, tuple((v, u) for u, v in edges))  # reversed: ancestors
        self._related = {s: down[s] | up[s] | self._bit[s] for s in names}  # ordered with s
        # Antichains found by earlier solves (the heaviest each time), newest first: a step
        # that would push one of them over the cap is refused without solving.
        self._witnesses: list[tuple[tuple[str, ...], int]] = []
        self._solve()

    def _value(self) -> float:
        return float(self._highs.getInfo().objective_function_value)

    def _set(self, step: str, load: float) -> None:
        column = self._column[step]
        self._highs.changeColBounds(column, load, highspy.kHighsInf)
        self._load[step] = load

    def _solve(self) -> float:
        self._highs.run()
        self.peak = self._value()
        # The heaviest antichain: the thru columns the dual prices at 1 (their lower bounds
        # are what holds the flow up).
        duals = self._highs.getSolution().col_dual
        members = tuple(s for s, c in self._column.items() if duals[c] > 0.5)
        mask = 0
        for s in members:
            mask |= self._bit[s]
        self._witnesses = [(members, mask)] + self._witnesses[: _WITNESSES - 1]
        return self.peak

    def surely_over(self, step: str, load: float, cap: float) -> bool:
        """Whether an antichain found before, less its members ordered with `step`, plus
        `step`, already weighs more than `cap` (no solve needed: a subset of an antichain is
        one, whatever was added or removed since)."""
        related = self._related[step] & ~self._bit[step]
        base = self._load[step] + load - cap - _TOLERANCE
        for members, mask in self._witnesses:
            if not mask & ~related:
                continue
            weight = base
            for s in members:
                if s != step and not related & self._bit[s]:
                    weight += self._load[s]
            if weight > 0:
                return True
        return False

    def fits(self, step: str, load: float, cap: float) -> bool:
        """Add `load` to `step` if the peak then stays within `cap`; whether it did.

        ``peak`` is kept as an upper bound between solves: it grows by at most the load
        added, so a step that fits under that bound is accepted without solving.
        """
        if self.surely_over(step, load, cap):
            return False
        before, bound = self._load[step], self.peak
        self._set(step, before + load)
        if bound + load <= cap + _TOLERANCE:
            self.peak += load
            return True
        if self._solve() <= cap + _TOLERANCE:
            return True
        self._set(step, before)  # back where it was: the peak is what it was too
        self.peak = min(bound, self.peak)
        return False

    def remove(self, step: str, load: float) -> None:
        """Take `load` off `step` (a step moved away); the bound is kept, not re-solved."""
        self._set(step, max(0.0, self._load[step] - load))
