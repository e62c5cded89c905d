"""A fast plan and a proven lower bound from the LP relaxation, before any branching.

With binding pool limits, HiGHS spends most of a large solve in cut separation at the root
(2000 steps x 50 pools: about 30 s before its first plan within 1%). The structure of the
problem gives a good plan much sooner:

1. **Bound.** Solve the LP relaxation; where its fractional placement breaks a pool's
   limit (the heaviest antichain of ``x x load``, antichain.py), state that limit exactly
   with the flow formulation (problem.py) and solve again. When no limit is broken, the LP
   value is the relaxation's optimum over *every* antichain constraint: a valid lower bound
   on the cost of any plan.
2. **Round down.** Steps the LP places whole stay there. A split step leaves the contested
   pools (those stated by flows, whose limits bind) for its cheapest other pool among the
   LP's choices (the fastest one if the deadline would break). Leaving a pool never breaks
   its limit; if the rounded plan breaks another pool's limit, that limit gets a flow too
   and the bound is solved again. A split step with no other pool is left out for now.
3. **Refill.** Place the steps left out, each in its cheapest pool that still fits; then
   give the contested pools back their most profitable split steps, one at a time, while
   each pool's peak (an LP kept open, _peak_lp.py) stays within its limit and the critical
   path within the deadline.

The plan is then checked by :func:`evaluate` like any other; its gap to the bound is
honest because both sides are measured. solve.py uses it when the gap is small enough (or
no time is left); otherwise HiGHS solves the model and the cheaper plan wins, its gap
measured against the better bound (the plan is not given to HiGHS as a start).

Time: past ``stop_at`` no more limits are stated and the refill stops. The last LP solved
is still a bound (any LP of the model is a relaxation's), and the plan rounded from it is
still checked, against every pool when that LP broke some limits.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from placer.optimize.antichain import peak, peak_bound, reduced_order
from placer.optimize.evaluate import evaluate, longest_path, topological, violated_antichains
from placer.optimize.problem import Assign, Cap, Problem
from placer.optimize.space import Option, Space

if TYPE_CHECKING:
    from placer.optimize._highs import HighsModel

_INTEGRAL = 1e-6  # an LP value within this of 1 counts as a whole placement
_TOLERANCE = 1e-6
_ATTEMPTS = 8  # bound/round cycles: each adds flows for limits the rounding broke (with whole
# nodes paid by the step's own pods, 2000 x 50 tight instances need 6: i12)


@dataclass(frozen=True)
class Rounded:
    """The rounded plan (None if rounding found none), its cost, and the LP lower bound."""

    assignment: dict[str, str] | None
    cost_usd: float | None
    bound_usd: float | None

    @property
    def gap(self) -> float | None:
        """Relative gap between the plan and the bound, as a MIP solver reports it."""
        if self.cost_usd is None or self.bound_usd is None:
            return None
        return max(0.0, self.cost_usd - self.bound_usd) / max(abs(self.cost_usd), 1e-9)


def round_lp(problem: Problem, stop_at: float | None = None) -> Rounded:
    """Bound, round down, refill (module docstring); adds flows to `problem`. Past
    `stop_at` (a ``perf_counter`` time) no more limits are added and the refill stops
    early: a plan, if found, is still checked and its bound is the last LP's (any LP of a
    relaxation is one)."""
    try:
        from placer.optimize._highs import HighsModel
    except ImportError:  # no highspy: the solver reports that itself
        return Rounded(None, None, None)

    space = problem.space
    lp = HighsModel(problem, relaxed=True)
    bound = None
    for _ in range(_ATTEMPTS):
        result = _exact_lp(problem, lp, stop_at)
        if result is None:
            return Rounded(None, None, bound)
        bound, x, complete = result
        contested = {cap.pool for cap in problem.flows}
        rounded = _round_down(space, x, contested, problem.makespan_limit)
        if rounded is None:
            return Rounded(None, None, bound)
        placement, stranded = rounded
        # The contested pools only lost load against the LP, which met their limits exactly
        # once complete (an LP cut short by time may break some).
        checked = placement
        if complete:
            checked = {s: k for s, k in placement.items() if space.pool_of(s, k) not in contested}
        broken = [Cap(p, r) for p, r, _ in violated_antichains(space, checked)]
        if not broken:
            limit = problem.makespan_limit
            placement = _refill(space, placement, contested, limit, stop_at, stranded)
            outcome = evaluate(space, placement)
            if not outcome.feasible:
                return Rounded(None, None, bound)
            return Rounded(placement, outcome.total_usd, bound)
        fresh = [cap for cap in dict.fromkeys(broken) if cap not in problem.flows]
        if not fresh or _late(stop_at):  # broke a limit the LP states exactly, or no time
            return Rounded(None, None, bound)
        for cap in fresh:
            problem.add_flow(cap)
    return Rounded(None, None, bound)


def _late(stop_at: float | None) -> bool:
    return stop_at is not None and time.perf_counter() > stop_at


def _left(stop_at: float | None) -> float | None:
    """Seconds until `stop_at` (None: no limit)."""
    return None if stop_at is None else stop_at - time.perf_counter()


def _exact_lp(
    problem: Problem, lp: HighsModel, stop_at: float | None
) -> tuple[float, dict[Assign, float], bool] | None:
    """The LP optimum once its fractional placement breaks no limit: (value, columns,
    True); or (value, columns, False) for the last LP solved when `stop_at` passed first;
    None if the first LP has no optimum (infeasible, or out of time)."""
    space = problem.space
    column = {key: i for key, i in problem.index.items() if isinstance(key, Assign)}
    last = None
    while True:
        run = lp.run(_left(stop_at))
        if run.status != "optimal" or run.objective is None:
            return last
        x = {key: run.values[i] for key, i in column.items()}
        last = run.objective, x, False
        broken = []
        for cap, load in problem.potential_loads.items():
            if cap in problem.flows:
                continue
            weights = {s: _fraction(space, x, s, cap) for s in load}
            limit = space.caps[cap.pool][cap.resource]
            if sum(weights.values()) <= limit + _TOLERANCE:
                continue
            if peak_bound(space.steps, space.edges, weights) <= limit + _TOLERANCE:
                continue
            if peak(space.steps, space.edges, weights) > limit + _TOLERANCE:
                broken.append(cap)
        if not broken or _late(stop_at):
            return last[0], last[1], not broken
        for cap in broken:
            problem.add_flow(cap)


def _fraction(space: Space, x: Mapping[Assign, float], step: str, cap: Cap) -> float:
    """The step's fractional load on a cap: its options in the pool, weighted."""
    return sum(
        x[Assign(step, o.key)] * o.load[cap.resource]
        for o in space.options[step]
        if o.pool == cap.pool
    )


def _round_down(
    space: Space, x: Mapping[Assign, float], contested: set[str], limit: float | None
) -> tuple[dict[str, str], dict[str, list[Option]]] | None:
    """Whole LP placements kept; split steps to their best uncontested pool (docstring).
    A split step whose every pool is contested is left out, "stranded": its options,
    cheapest first, for the refill to place where they fit."""
    placement: dict[str, str] = {}
    split: dict[str, list[Option]] = {}
    stranded: dict[str, list[Option]] = {}
    for step in space.steps:
        options = space.options[step]
        top = max(options, key=lambda o: x[Assign(step, o.key)])
        if x[Assign(step, top.key)] >= 1 - _INTEGRAL:
            placement[step] = top.key
            continue
        free = [o for o in options if o.pool not in contested]
        if not free:
            stranded[step] = sorted(options, key=lambda o: (o.total_usd, o.key))
            continue
        used = [o for o in free if x[Assign(step, o.key)] > _INTEGRAL]
        split[step] = used or free
    hopeful = {s: min(o, key=lambda o: o.wall_hours).key for s, o in stranded.items()}
    for fastest in (False, True):
        for step, choices in split.items():
            key = (lambda o: (o.wall_hours, o.total_usd)) if fastest else (lambda o: o.total_usd)
            placement[step] = min(choices, key=key).key
        if limit is None or _makespan(space, {**placement, **hopeful}) <= limit + _TOLERANCE:
            return placement, stranded
    return None


def _durations(space: Space, placement: Mapping[str, str]) -> dict[str, float]:
    return {s: space.placed(s, p).wall_hours for s, p in placement.items()}


def _makespan(space: Space, placement: Mapping[str, str]) -> float:
    return longest_path(space.steps, space.edges, _durations(space, placement))[0]


def _head_tail(
    space: Space, hours: Mapping[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    """Per step: the longest path ending before it, and the longest starting with it."""
    parents, children = defaultdict(list), defaultdict(list)
    for u, v in space.edges:
        parents[v].append(u)
        children[u].append(v)
    order = topological(space.steps, space.edges)
    head: dict[str, float] = {}
    for s in order:
        head[s] = max((head[p] + hours[p] for p in parents[s]), default=0.0)
    tail: dict[str, float] = {}
    for s in reversed(order):
        tail[s] = hours[s] + max((tail[c] for c in children[s]), default=0.0)
    return head, tail


def _refill(
    space: Space,
    placement: dict[str, str],
    contested: set[str],
    limit: float | None,
    stop_at: float | None = None,
    stranded: Mapping[str, list[Option]] | None = None,
) -> dict[str, str]:
    """Place the stranded steps (each in its cheapest pool that still fits), then move
    steps into contested pools, most saved first, while limits and deadline hold (and
    until `stop_at`: every prefix of the moves is a plan as good as the limits). A
    stranded step that fits nowhere stays out, and the plan fails its check."""
    stranded = stranded or {}
    moves = _profitable_moves(space, placement, contested)
    if not moves and not stranded:
        return placement
    candidates = moves + [(0.0, o) for options in stranded.values() for o in options]
    oracles = _oracles(space, placement, contested, candidates)
    hours = _durations(space, placement)
    hours.update({s: min(o.wall_hours for o in opts) for s, opts in stranded.items()})
    head, tail = _head_tail(space, hours) if limit is not None else ({}, {})
    moved: set[str] = set()
    for options in stranded.values():
        for option in options:
            if _admit(space, oracles, option, hours, head, tail, limit, None):
                placement[option.step] = option.key
                moved.add(option.step)
                if limit is not None:
                    head, tail = _head_tail(space, hours)
                break
    for _, option in moves:
        if _late(stop_at):
            break
        step = option.step
        if step in moved:
            continue
        old = space.placed(step, placement[step])
        if not _admit(space, oracles, option, hours, head, tail, limit, old):
            continue
        placement[step] = option.key
        moved.add(step)
        if limit is not None and option.wall_hours > old.wall_hours + _TOLERANCE:
            head, tail = _head_tail(space, hours)
    return placement


def _admit(
    space: Space,
    oracles: dict,
    option: Option,
    hours: dict[str, float],
    head: Mapping[str, float],
    tail: Mapping[str, float],
    limit: float | None,
    old: Option | None,
) -> bool:
    """Whether `option` keeps the deadline and its pool's limits; if so its load is added
    to that pool's peaks, taken off `old`'s pool, and its hours recorded."""
    step = option.step
    slower = option.wall_hours > hours[step] + _TOLERANCE
    if slower and limit is not None:
        through = head[step] + option.wall_hours + tail[step] - hours[step]
        if through > limit + _TOLERANCE:  # only paths through the step grow
            return False
    if not _fits(space, oracles, option):
        return False
    if old is not None:
        for resource in space.caps.get(old.pool, {}):
            if (old.pool, resource) in oracles:
                oracles[old.pool, resource].remove(step, old.load[resource])
    hours[step] = option.wall_hours
    return True


def _profitable_moves(
    space: Space, placement: Mapping[str, str], contested: set[str]
) -> list[tuple[float, Option]]:
    """(USD saved, option) for every cheaper option in a contested pool, most saved first."""
    moves = []
    for step, pool in placement.items():
        here = space.placed(step, pool).total_usd
        for option in space.options[step]:
            if option.pool in contested and option.total_usd < here - _TOLERANCE:
                moves.append((here - option.total_usd, option))
    moves.sort(key=lambda m: (-m[0], m[1].step, m[1].key))
    return moves


def _oracles(
    space: Space,
    placement: Mapping[str, str],
    contested: set[str],
    moves: list[tuple[float, Option]],
) -> dict:
    """A PeakLP per capped resource of each contested pool, over its steps and candidates."""
    from placer.optimize._peak_lp import PeakLP

    oracles = {}
    for pool in contested:
        wanted = {o.step for _, o in moves if o.pool == pool}
        for resource in space.caps.get(pool, {}):
            load = {
                s: space.placed(s, k).load[resource]
                for s, k in placement.items()
                if space.pool_of(s, k) == pool
            }
            members = [s for s in space.steps if s in load or s in wanted]
            edges = reduced_order(space.steps, space.edges, members)
            oracles[pool, resource] = PeakLP(members, edges, load)
    return oracles


def _fits(space: Space, oracles: dict, option: Option) -> bool:
    """Add the option's load to its pool's peaks if every one stays within its limit."""
    added: list[str] = []
    for resource, cap in space.caps.get(option.pool, {}).items():
        oracle = oracles[option.pool, resource]
        if not oracle.fits(option.step, option.load[resource], cap):
            for done in added:
                oracles[option.pool, done].remove(option.step, option.load[done])
            return False
        added.append(resource)
    return True
