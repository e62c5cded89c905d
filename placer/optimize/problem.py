"""The placement ILP in placer's own terms: columns and rows named by typed keys.

Columns: ``Assign(step, option)`` (binary, one per eligible option: its pool, or
``pool:type`` for the faster hardware a pool also offers the step, see offers.choose_fits;
``placed_load`` sums a step's options in one pool), ``Start(step)`` and
``MAKESPAN`` (hours, only with a deadline or the time objective), and per capped
(pool, resource) stated as a flow, ``Arc(cap, tail, head)`` along the DAG's edges (``None``
is the source or the sink). Rows: ``One(step)`` (each step in exactly one pool),
``Cut(cap, k)``; ``Keep(cap, step)``, ``Through(cap, step)`` and ``FlowValue(cap)`` (a
flow's conservation, cover and value); ``After(u, v)`` and ``Finish(step)`` (critical
path); ``Within(k)`` (a tighter deadline appended later); ``BUDGET``. ``str(key)`` is the
domain name, e.g. ``assign[train,gcp-usc1]``.

Capacity: the peak concurrent demand on a pool is the heaviest set of steps no two of
which are ordered by the DAG (an antichain, see antichain.py); there are exponentially many.
Every cap starts with one cut per depth level (steps at equal longest-path depth are an
antichain) whose candidates could overfill it. After each solve, solve.py finds the
heaviest antichain of every capped pool for the solution (a max flow) and, where it breaks
the cap, adds a cut over that antichain widened by every candidate unordered with it
(:meth:`Problem.add_cut`); a cap broken ``FLOW_AFTER`` times gets the flow formulation
instead (:meth:`Problem.add_flow`): by Dilworth (min-flow form) the peak is <= cap iff a
source-to-sink flow of value <= cap passes at least ``load x assign`` through every step,
one continuous column per edge. It is as strong as all the cuts together, but stating it
for every pool makes large models slow. The rounds end when the solution respects every
cap: then it is optimal for the whole problem. Pools whose potential load (every eligible
step placed there) stays under the cap get no capacity rows at all.

A Problem grows, and that is its only mutation: capacity rounds append rows (and a flow's
columns) through :meth:`~Problem.add_cut` and :meth:`~Problem.add_flow`, a sweep of
deadlines (`placer frontier`) appends tighter ones (:meth:`~Problem.add_deadline`);
nothing already in it changes or goes away, so an engine that has loaded the first columns
and rows only needs the rest (:class:`placer.optimize._highs.HighsModel` keeps in step that way).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, NamedTuple

from placer.optimize.antichain import descendants
from placer.optimize.evaluate import depths
from placer.optimize.space import Space

Objective = Literal["cost", "time"]


class Cap(NamedTuple):
    """A pool's limit on one resource."""

    pool: str
    resource: str

    def __str__(self) -> str:
        return f"{self.pool},{self.resource}"


# -- column keys ---------------------------------------------------------------------------


class Assign(NamedTuple):
    """1 when the step runs as its option `option` (an Option.key: the pool's name, or
    "pool:instance type" for other hardware the pool offers it)."""

    step: str
    option: str

    def __str__(self) -> str:
        return f"assign[{self.step},{self.option}]"


class Start(NamedTuple):
    """The step's start, hours after the run's."""

    step: str

    def __str__(self) -> str:
        return f"start[{self.step}]"


class _Makespan(NamedTuple):
    def __str__(self) -> str:
        return "makespan"


MAKESPAN = _Makespan()  # the run's length in hours


class Arc(NamedTuple):
    """Flow along one edge of a cap's network (``None``: the source or the sink)."""

    cap: Cap
    tail: str | None
    head: str | None

    def __str__(self) -> str:
        return f"flow[{self.cap},{self.tail or 'source'},{self.head or 'sink'}]"


ColumnKey = Assign | Start | _Makespan | Arc

# -- row keys --------------------------------------------------------------------------------


class One(NamedTuple):
    step: str

    def __str__(self) -> str:
        return f"one[{self.step}]"


class Cut(NamedTuple):
    cap: Cap
    k: int

    def __str__(self) -> str:
        return f"cut[{self.cap},{self.k}]"


class Keep(NamedTuple):
    cap: Cap
    step: str

    def __str__(self) -> str:
        return f"keep[{self.cap},{self.step}]"


class Through(NamedTuple):
    cap: Cap
    step: str

    def __str__(self) -> str:
        return f"through[{self.cap},{self.step}]"


class FlowValue(NamedTuple):
    cap: Cap

    def __str__(self) -> str:
        return f"cap[{self.cap}]"


class After(NamedTuple):
    tail: str
    head: str

    def __str__(self) -> str:
        return f"after[{self.tail},{self.head}]"


class Finish(NamedTuple):
    step: str

    def __str__(self) -> str:
        return f"finish[{self.step}]"


class Within(NamedTuple):
    """``makespan <= hours``: the k-th deadline appended to a built problem."""

    k: int

    def __str__(self) -> str:
        return f"within[{self.k}]"


class _Budget(NamedTuple):
    def __str__(self) -> str:
        return "budget"


BUDGET = _Budget()

RowKey = One | Cut | Keep | Through | FlowValue | After | Finish | Within | _Budget


@dataclass(frozen=True)
class Run:
    """What an engine says about one solve of a Problem: "optimal", "feasible" (a
    solution, stopped by a limit), "infeasible", "unbounded" or "not solved"; the
    objective, the relative MIP gap the engine reports (None when it has none), and every
    column's value (empty without a solution)."""

    status: str
    objective: float | None
    gap: float | None
    values: Sequence[float]

    @property
    def found(self) -> bool:
        return self.status in ("optimal", "feasible")


class Column(NamedTuple):
    key: ColumnKey
    low: float
    up: float | None  # None: no upper bound
    integer: bool
    cost: float  # its coefficient in the objective


class Row(NamedTuple):
    """``low <= sum(values[i] x column[columns[i]]) <= up`` (None: no bound on that side)."""

    key: RowKey
    columns: tuple[int, ...]
    values: tuple[float, ...]
    low: float | None
    up: float | None


@dataclass(eq=False)
class Problem:
    """The model of a Space: its columns and rows, growing only by appended rows and
    columns (module docstring). Build it with :func:`build_problem`."""

    space: Space
    objective: Objective
    makespan_limit: float | None  # hours: the deadline or the time objective's limit
    columns: list[Column] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    index: dict[ColumnKey, int] = field(default_factory=dict)  # column key -> position
    cuts: list[Cut] = field(default_factory=list)
    flows: list[Cap] = field(default_factory=list)  # caps stated as flows

    def column(
        self, key: ColumnKey, low: float, up: float | None, integer: bool = False, cost: float = 0
    ) -> int:
        """Append a column; its position."""
        self.index[key] = len(self.columns)
        self.columns.append(Column(key, low, up, integer, cost))
        return self.index[key]

    def use(self, key: ColumnKey, low: float, up: float | None, cost: float = 0) -> int:
        """The column's position, appended now if it is new. Columns come in the order rows
        first use them, a fixed convention: the LP relaxation has many optima, and which
        vertex HiGHS returns (so which plan the rounding makes) depends on that order."""
        found = self.index.get(key)
        return self.column(key, low, up, cost=cost) if found is None else found

    def row(
        self,
        key: RowKey,
        terms: Sequence[tuple[int, float]],
        low: float | None = None,
        up: float | None = None,
    ) -> None:
        """Append ``low <= sum(coef x column) <= up`` over (column position, coef) terms."""
        columns = tuple(c for c, _ in terms)
        values = tuple(v for _, v in terms)
        self.rows.append(Row(key, columns, values, low, up))

    @cached_property
    def potential_loads(self) -> dict[Cap, dict[str, float]]:
        """Per cap: the load of every step that may go to its pool."""
        space = self.space
        out: dict[Cap, dict[str, float]] = {
            Cap(pool, resource): {} for pool, caps in space.caps.items() for resource in caps
        }
        for s in space.steps:
            for o in space.options[s]:
                for resource in space.caps.get(o.pool, ()):
                    if o.load[resource] > 0:
                        loads = out[Cap(o.pool, resource)]
                        loads[s] = max(loads.get(s, 0.0), o.load[resource])
        return out

    def placed_load(self, step: str, cap: Cap) -> list[tuple[int, float]]:
        """(column, load) of each of the step's options in the cap's pool (one per hardware
        the pool offers it): their sum is the step's load there."""
        return [
            (self.index[Assign(step, o.key)], o.load[cap.resource])
            for o in self.space.options[step]
            if o.pool == cap.pool and o.load[cap.resource] > 0
        ]

    @cached_property
    def _related(self) -> dict[str, int]:
        """Per step, a bitset of the steps it is ordered with (itself included)."""
        steps, edges = self.space.steps, self.space.edges
        down = descendants(steps, edges)
        up = descendants(steps, tuple((v, u) for u, v in edges))
        return {s: down[s] | up[s] | 1 << i for i, s in enumerate(steps)}

    def assignment(self, values: Sequence[float]) -> dict[str, str]:
        """The placement a solution's column values say (each step's column above 0.5)."""
        out = {}
        for key, i in self.index.items():
            if isinstance(key, Assign) and values[i] > 0.5:
                out[key.step] = key.option
        return out

    def add_cut(self, cap: Cap, steps: Sequence[str]) -> Cut:
        """Append ``sum(load x assign) <= cap`` over steps that can all run at once."""
        terms = []
        for s in steps:
            terms += self.placed_load(s, cap)
        key = Cut(cap, len(self.cuts))
        self.row(key, terms, up=self.space.caps[cap.pool][cap.resource])
        self.cuts.append(key)
        return key

    def add_flow(self, cap: Cap) -> None:
        """State one cap exactly with the flow formulation (for caps that keep being cut);
        a cap already stated so is left alone."""
        if cap in self.flows:
            return
        space, load = self.space, self.potential_loads[cap]
        parents: dict[str, list[str | None]] = defaultdict(list)
        children: dict[str, list[str | None]] = defaultdict(list)
        for u, v in space.edges:
            children[u].append(v)
            parents[v].append(u)
        sources = []
        for s in space.steps:
            inflow = [(self.use(Arc(cap, p, s), 0, None), 1.0) for p in parents[s] or [None]]
            outflow = [(self.use(Arc(cap, s, c), 0, None), -1.0) for c in children[s] or [None]]
            if not parents[s]:
                sources += inflow
            self.row(Keep(cap, s), inflow + outflow, 0, 0)
            if s in load:
                need = [(i, -w) for i, w in self.placed_load(s, cap)]
                self.row(Through(cap, s), [*inflow, *need], low=0)
        self.row(FlowValue(cap), sources, up=space.caps[cap.pool][cap.resource])
        self.flows.append(cap)

    def add_deadline(self, hours: float) -> None:
        """Append ``makespan <= hours``, tighter than every limit before (a problem only
        grows, so a sweep of deadlines goes from the loosest to the tightest and keeps
        every cut). The problem must have a makespan (built with a limit)."""
        if MAKESPAN not in self.index:
            raise ValueError("the problem has no makespan: build it with a makespan_limit")
        k = sum(1 for row in self.rows if isinstance(row.key, Within))
        self.row(Within(k), [(self.index[MAKESPAN], 1.0)], up=hours)
        self.makespan_limit = min(hours, self.makespan_limit or hours)

    def widen(self, cap: Cap, steps: Sequence[str]) -> tuple[str, ...]:
        """Grow an antichain with every candidate of the pool that is unordered with all
        of it, heaviest first: a cut then also covers the steps that could take the freed
        room."""
        related = self._related
        index = {s: i for i, s in enumerate(self.space.steps)}
        members = 0
        for s in steps:
            members |= 1 << index[s]
        out = list(steps)
        load = self.potential_loads[cap]
        for s in sorted(load, key=lambda s: -load[s]):
            if s not in steps and not related[s] & members:
                members |= 1 << index[s]
                out.append(s)
        return tuple(out)


def build_problem(
    space: Space, objective: Objective = "cost", makespan_limit: float | None = None
) -> Problem:
    """The ILP of `space`: minimise cost per run, or the makespan for objective "time"."""
    limit = _min_limit(space.deadline_hours, makespan_limit)
    problem = Problem(space, objective, limit)
    for step in space.steps:
        row = []
        for o in space.options[step]:
            cost = o.total_usd if objective == "cost" else 0.0
            row.append((problem.column(Assign(step, o.key), 0, 1, True, cost), 1.0))
        problem.row(One(step), row, 1, 1)
    _seed_cuts(problem)
    if limit is not None or objective == "time":
        _critical_path(problem, limit)
    if space.budget_usd_per_month is not None:
        runs, terms = space.runs_per_month, []
        for step in space.steps:
            for o in space.options[step]:
                terms.append((problem.index[Assign(step, o.key)], o.total_usd * runs))
        problem.row(BUDGET, terms, up=space.budget_usd_per_month)
    return problem


def _min_limit(*limits: float | None) -> float | None:
    given = [v for v in limits if v is not None]
    return min(given) if given else None


def depth_levels(space: Space) -> list[tuple[str, ...]]:
    """Steps grouped by longest-path depth: each group is an antichain (nothing in a group
    can reach another member, whose depth would then be larger)."""
    levels: dict[int, list[str]] = defaultdict(list)
    for s, d in depths(space.steps, space.edges).items():
        levels[d].append(s)
    return [tuple(levels[d]) for d in sorted(levels)]


def _seed_cuts(problem: Problem) -> None:
    """Start every cap with a cut per depth level whose candidates could overfill it."""
    space = problem.space
    levels = depth_levels(space)
    for cap, load in problem.potential_loads.items():
        limit = space.caps[cap.pool][cap.resource]
        if sum(load.values()) <= limit + 1e-9:
            continue
        for level in levels:
            if sum(load.get(s, 0.0) for s in level) > limit + 1e-9:
                problem.add_cut(cap, level)


def _critical_path(problem: Problem, limit: float | None) -> None:
    """start[v] >= start[u] + duration[u] on every edge; makespan >= every finish."""
    space = problem.space
    cost = 1.0 if problem.objective == "time" else 0.0
    duration = {
        s: [(problem.index[Assign(s, o.key)], o.wall_hours) for o in space.options[s]]
        for s in space.steps
    }
    has_child = set()
    for u, v in space.edges:
        has_child.add(u)
        start_v, start_u = problem.use(Start(v), 0, None), problem.use(Start(u), 0, None)
        terms = [(start_v, 1.0), (start_u, -1.0)] + [(x, -h) for x, h in duration[u]]
        problem.row(After(u, v), terms, low=0)
    for s in space.steps:
        if s not in has_child:
            makespan = problem.use(MAKESPAN, 0, limit, cost)
            terms = [(makespan, 1.0), (problem.use(Start(s), 0, None), -1.0)]
            problem.row(Finish(s), terms + [(x, -h) for x, h in duration[s]], low=0)
    problem.use(MAKESPAN, 0, limit, cost)  # a flow without steps has a makespan too
