"""Reference placements every plan is compared with.

- ``as_written``: each step where its decorators send it today. A pool matches a step's
  node selector (``compute_pool`` included) when no selector label contradicts the pool's
  known labels (its selector and ``topology.kubernetes.io/region``) and at least one agrees;
  the first such pool in config order wins. Steps without a selector run in the datastore's
  region (the first pool there, on-demand first).
- ``greedy``: each step in the pool where its *compute* is cheapest (egress and capacity
  ignored, as a person reading a price list would), then repaired: while the placement
  breaks a constraint, make the single-step move that most reduces the total relative
  overshoot (capacity, deadline, budget), the lowest compute cost first on ties (the repair
  is as blind to egress as the first pass); stop when feasible or when no move helps.
  Precisely: the candidates are the moves of the *suspects* (every step when over budget;
  else the critical path when late, then the steps of each over-limit heaviest antichain,
  pool by pool), each to every other eligible pool; a move is scored by the placement's
  total overshoot and compute USD after it, both rounded to 1e-9 (float sums of the same
  amounts in another order differ in the last bits, which must not decide a tie); the
  least score wins, then the first candidate in that order. It must lower the rounded
  overshoot. At most 4 moves per step.

The repair keeps its state between moves (each pool's peaks and heaviest antichains, the
longest paths into and out of every step, the run's cost), bounds every trial move in O(1)
and scores exactly only the trials whose bound could still win: a pool's peak without a
step re-measured from a kept least flow (:class:`~placer.optimize.antichain.LeastFlow`),
with a step added as that step plus the heaviest antichain of the steps unordered with it,
the longest path avoiding a shortened critical step walked once. Bounds come from the
peak less the step's load, antichains found for earlier trials and moves, and the steps
running at once in the earliest and latest schedules. The moves are those of the rule
above (checked against a slow reference in tests/test_optimize_baselines.py); 500 steps x
50 pools with tight limits take 0.25 s instead of 23 s, 2000 steps 0.8 s (1.2-1.6 s with a
binding deadline or budget as well; docs/benchmarks.md, "greedy baseline").
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from placer.config import Pool
from placer.flow import Flow
from placer.optimize.antichain import LeastFlow, descendants, heaviest_antichain
from placer.optimize.evaluate import (
    EPS,
    capacity_violations,
    evaluate,
    longest_path,
    topological,
)
from placer.optimize.space import Option, Space
from pricing import Location

REGION_LABEL = "topology.kubernetes.io/region"
MARGIN = 1e-10  # a bound on a score is lowered by this before rounding (float rounding)
CEILING_SLACK = 2e-9  # above a ceiling by more than this, a score rounds above it (1e-9 grid)


def pool_labels(pool: Pool) -> dict[str, str]:
    """Labels every node of the pool is known to carry."""
    return {**pool.selector(), REGION_LABEL: pool.region}


def matching_pool(selector: Mapping[str, str], pools: Mapping[str, Pool]) -> str | None:
    """The first pool whose known labels agree with the selector (see module docstring)."""
    for name, pool in pools.items():
        labels = pool_labels(pool)
        agree = [k for k, v in selector.items() if labels.get(k) == v]
        clash = [k for k, v in selector.items() if k in labels and labels[k] != v]
        if agree and not clash:
            return name
    return None


def datastore_pool(pools: Mapping[str, Pool], datastore: Location) -> str | None:
    """The pool in the datastore's region, on-demand first."""
    here = [p for p in pools.values() if Location(p.cloud, p.region) == datastore]
    here.sort(key=lambda p: p.capacity_type != "on-demand")
    return here[0].name if here else None


def as_written(space: Space, flow: Flow, datastore: Location) -> tuple[dict[str, str], str]:
    """Where the flow's decorators send each step today, and a note on guesses made."""
    out, notes = {}, []
    home = datastore_pool(space.pools, datastore)
    for name, step in flow.steps.items():
        selector = dict(step.placement.node_selector)
        if step.placement.compute_pool:
            selector["outerbounds.co/compute-pool"] = step.placement.compute_pool
        pool = matching_pool(selector, space.pools) if selector else home
        if pool is None:
            shown = ",".join(f"{k}={v}" for k, v in selector.items()) or f"datastore {datastore}"
            notes.append(f"{name}: no pool matches {shown}")
        else:
            out[name] = pool
    return out, "; ".join(notes)


def cheapest_compute(space: Space) -> dict[str, str]:
    """Each step in the eligible pool where its compute is cheapest."""
    return {
        s: min(opts, key=lambda o: (o.compute_usd, o.pool)).pool
        for s, opts in space.options.items()
        if opts
    }


def greedy(space: Space, max_moves: int | None = None) -> tuple[dict[str, str], str]:
    """Cheapest compute per step, then repaired one move at a time (module docstring)."""
    repair = _Repair(space, cheapest_compute(space))
    moves = 0
    limit = max_moves if max_moves is not None else 4 * len(space.steps)
    while not repair.feasible() and moves < limit:
        move = repair.best_move()
        if move is None:
            break
        repair.apply(*move)
        moves += 1
    note = f"repaired with {moves} move(s)" if moves else ""
    if not repair.feasible():
        note = f"repair failed after {moves} move(s): {repair.first_violation()}"
    return repair.placement, note


def _over(value: float, limit: float) -> float:
    """The relative overshoot of a limit, as :func:`evaluate` adds it (0 within EPS)."""
    if value <= limit + EPS:
        return 0.0
    return (value - limit) / limit if limit else 1.0


@dataclass
class _Limit:
    """One pool limit under the current placement (mutable: its peak is measured lazily).

    ``peak`` is the heaviest antichain's weight once measured, ``steps`` that antichain;
    a limit whose loads sum to at most the cap (plus EPS) is only measured when asked.
    """

    cap: float
    total: float
    peak: float | None = None
    steps: tuple[str, ...] = ()
    members: frozenset[str] = frozenset()

    @property
    def upper(self) -> float:
        """The peak, or the loads' sum (which bounds it) while it is not measured."""
        return self.total if self.peak is None else self.peak

    @property
    def excess(self) -> float:
        return 0.0 if self.peak is None else _over(self.peak, self.cap)


@dataclass
class _Memo:
    """What one pool's current members let the repair remember between trials and moves."""

    antichains: dict = field(default_factory=dict)  # (resource, steps) -> heaviest antichain
    without: dict = field(default_factory=dict)  # (resource, step) -> peak with it gone
    joined: dict = field(default_factory=dict)  # (resource, step) -> peak with it added
    known: dict = field(default_factory=dict)  # resource -> [(weight, antichain)] found
    flows: dict = field(default_factory=dict)  # resource -> LeastFlow of the members
    flows_without: dict = field(default_factory=dict)  # (resource, step) -> LeastFlow
    floors: dict = field(default_factory=dict)  # (resource, step) -> at most the peak without


class _Repair:
    """The repair's state: the placement and, kept up to date move by move, what scoring a
    move needs (each capped pool's peaks, the longest paths into and out of every step,
    the run's cost), so that a trial move costs O(1) unless it may be the best one."""

    def __init__(self, space: Space, placement: dict[str, str]) -> None:
        self.space = space
        self.placement = placement
        self.chosen = {s: o for s, p in placement.items() if (o := space.option(s, p))}
        self.missing = sum(1 for s in space.steps if s not in self.chosen)
        self.members: dict[str, dict[str, Option]] = {p: {} for p in space.caps}
        for step, option in self.chosen.items():
            if option.pool in self.members:
                self.members[option.pool][step] = option
        self.memo = {p: _Memo() for p in space.caps}
        self.limits = {p: self._measure(p) for p in space.caps}
        self.order: dict[tuple[str, str], tuple[int, int]] = {}  # scan rank of each trial
        self.sorted_options: dict[str, list[tuple[int, Option]]] = {}
        self.fastest: dict[str, Option] = {}
        self._retime()

    # What only a repair needs (a placement that starts feasible never builds it):

    @cached_property
    def paths(self) -> _Paths:
        return _Paths(self.space)

    def _by_cost(self, step: str) -> list[tuple[int, Option]]:
        """The step's options (with their rank) from the cheapest per run up."""
        if step not in self.sorted_options:
            ranked = enumerate(self.space.options[step])
            self.sorted_options[step] = sorted(ranked, key=lambda jo: jo[1].total_usd)
        return self.sorted_options[step]

    def _fastest(self, step: str) -> Option:
        if step not in self.fastest:
            self.fastest[step] = min(self.space.options[step], key=lambda o: o.wall_hours)
        return self.fastest[step]

    # -- state -----------------------------------------------------------------------------

    def _measure(self, pool: str) -> dict[str, _Limit]:
        members, out = self.members[pool], {}
        for resource, cap in self.space.caps[pool].items():
            total = sum(o.load[resource] for o in members.values())
            out[resource] = _Limit(cap, total, members=frozenset(members))
            if total > cap + EPS:
                self._measure_peak(pool, resource, out[resource])
        return out

    def _measure_peak(self, pool: str, resource: str, limit: _Limit) -> None:
        flow = self.memo[pool].flows.get(resource)
        if flow is not None and self._dense(pool, resource, limit.members):
            limit.peak, limit.steps = flow.value, flow.antichain()
        else:
            limit.peak, limit.steps = self._antichain(pool, resource, limit.members)

    def _dense(self, pool: str, resource: str, steps: frozenset[str]) -> bool:
        """True when :func:`heaviest_antichain` would use the whole DAG's network (most
        steps weighted): then a :class:`LeastFlow` is kept and re-measured from instead."""
        heavy = sum(1 for s in steps if self.members[pool][s].load[resource] > 0)
        return 4 * heavy > len(self.space.steps)

    def _flow(self, pool: str, resource: str) -> LeastFlow:
        """The least flow of the pool's members, built once per set of members."""
        flows = self.memo[pool].flows
        if resource not in flows:
            weight = {s: o.load[resource] for s, o in self.members[pool].items()}
            flows[resource] = LeastFlow.build(self.space.steps, self.space.edges, weight)
        return flows[resource]

    def _antichain(
        self, pool: str, resource: str, steps: frozenset[str]
    ) -> tuple[float, tuple[str, ...]]:
        """:func:`heaviest_antichain` of some of the pool's steps, remembered until the
        pool's members change."""
        memo = self.memo[pool].antichains
        if (resource, steps) not in memo:
            weight = {s: self.members[pool][s].load[resource] for s in steps}
            found = heaviest_antichain(self.space.steps, self.space.edges, weight)
            memo[resource, steps] = found
        return memo[resource, steps]

    def _retime(self) -> None:
        """Re-measure what depends on every step: makespan, critical path, cost."""
        space = self.space
        options = [self.chosen.get(s) for s in space.steps]
        self.hours = {
            s: (o.wall_hours if o else 0.0) for s, o in zip(space.steps, options, strict=True)
        }
        self.makespan, self.critical = longest_path(space.steps, space.edges, self.hours)
        self.around_stale = True
        self.avoiding: dict[str, float] = {}
        self.profiles: dict[tuple[str, str], list[_Profile]] = {}
        compute = sum(o.compute_usd for o in options if o)
        egress = sum(o.egress_usd for o in options if o)
        self.compute_usd = compute
        self.monthly_usd = (compute + egress) * space.runs_per_month

    def _late(self) -> bool:
        deadline = self.space.deadline_hours
        return deadline is not None and self.makespan > deadline + EPS

    def _over_budget(self) -> bool:
        budget = self.space.budget_usd_per_month
        return budget is not None and self.monthly_usd > budget + EPS

    def _over_caps(self) -> list[tuple[str, ...]]:
        """The heaviest antichain of every broken limit (pool order, then resource order)."""
        return [
            limit.steps
            for limits in self.limits.values()
            for limit in limits.values()
            if limit.excess > 0
        ]

    def _excess(self) -> float:
        """The total relative overshoot, added up as :func:`evaluate` adds it."""
        total = float(self.missing)
        for limits in self.limits.values():
            total += sum(limit.excess for limit in limits.values())
        deadline, budget = self.space.deadline_hours, self.space.budget_usd_per_month
        if deadline is not None:
            total += _over(self.makespan, deadline)
        if budget is not None:
            total += _over(self.monthly_usd, budget)
        return total

    def first_violation(self) -> str:
        """What :func:`evaluate` would name first, measuring only the limit it would name."""
        rest = evaluate(replace(self.space, caps={}), self.placement)  # no peaks: O(steps)
        if self.missing:
            return rest.violations[0]
        for pool, limits in self.limits.items():
            for resource, limit in limits.items():
                if limit.excess > 0:
                    one = replace(self.space, caps={pool: {resource: limit.cap}})
                    return capacity_violations(one, self.chosen)[0][0]
        return rest.violations[0]

    def feasible(self) -> bool:
        """True when the placement breaks no constraint (as :func:`evaluate` judges)."""
        return not (self.missing or self._late() or self._over_budget() or self._over_caps())

    def apply(self, step: str, option: Option) -> None:
        """Move `step` to `option`'s pool and bring the state up to date."""
        before = self.chosen[step]
        self.placement[step] = option.pool
        self.chosen[step] = option
        for pool in {before.pool, option.pool} & set(self.members):
            if pool == before.pool:
                del self.members[pool][step]
                self.memo[pool] = _left(self.memo[pool], before)
            else:
                self.members[pool][step] = option
                self.memo[pool] = _joined(self.memo[pool])
            self.limits[pool] = self._measure(pool)
            self.memo[pool].antichains = {}
        self._retime()

    # -- choosing a move -------------------------------------------------------------------

    def suspects(self) -> list[str]:
        """Steps whose move could help: on the critical path, in an over-cap antichain, or
        every step when the budget is broken."""
        if self._over_budget():
            return list(self.space.steps)
        found: dict[str, None] = {}
        if self._late():
            found.update(dict.fromkeys(self.critical))
        for steps in self._over_caps():
            found.update(dict.fromkeys(steps))
        return list(found)

    def best_move(self) -> tuple[str, Option] | None:
        """The move with the least overshoot after it, then the least compute, then the
        first in scan order (module docstring); None when no move lowers the overshoot.

        Every trial gets a lower bound on its key in O(1) (its compute is known exactly,
        its overshoot bounded). Trials are taken from the lowest key up: one whose bound
        what was learned since raises (the antichains left when other steps leave a pool)
        goes back in the queue, the others are scored exactly (peaks re-measured, the
        longest path re-walked only where needed) and go back with their exact key. The
        first exact key to come out of the queue is the least of all.
        """
        if self.around_stale:
            self.head, self.tail = self.paths.around(self.hours)
            self.around_stale = False
        now = self._excess()
        queue = self._bounded_trials(now)
        heapq.heapify(queue)
        while queue:
            key, exact, step, option = heapq.heappop(queue)
            if exact:
                return step, option
            fresh = self._key(now, step, option, exact=False)
            if fresh > key:
                if fresh[0] < _rounded(now):
                    heapq.heappush(queue, (fresh, False, step, option))
                continue
            key = self._key(now, step, option, exact=True)
            if key[0] < _rounded(now):
                heapq.heappush(queue, (key, True, step, option))
        return None

    def _bounded_trials(self, now: float) -> list[tuple[tuple, bool, str, Option]]:
        """Every move of a suspect whose bound does not rule out that it lowers the overshoot
        at least as much as the exact change of one promising move (the ceiling).

        Joining a pool adds no overshoot and a step's deadline change is least with its
        fastest option, while the budget's grows with the option's cost: scanning a step's
        options from the cheapest up, once that floor reaches the ceiling no dearer option
        can pass it (with every step a suspect, as over budget, most steps stop at once).
        """
        trials, least = [], _rounded(now)
        self.order = {}
        movers = self._movers()
        ceiling = min(0.0, self._ceiling(movers)) + CEILING_SLACK
        for i, step, here, leaving, floor in movers:
            for j, option in self._by_cost(step):
                if option.pool == here.pool:
                    continue
                budget = self._budget_change(here, option)
                if floor + budget >= ceiling:
                    break
                change = leaving + budget + self._deadline_change(step, here, option, False)
                if option.pool in self.limits:
                    change += self._joining(step, option, False)
                if change >= ceiling:
                    continue
                self.order[step, option.pool] = (i, j)
                key = self._order_key(now, change, step, option, (i, j))
                if key[0] < least:
                    trials.append((key, False, step, option))
        return trials

    def _movers(self) -> list[tuple[int, str, Option, float, float]]:
        """Per suspect: its scan rank, its option now, the bound on the change of the pool it
        leaves, and that plus the least deadline change any of its moves can make."""
        movers = []
        for i, step in enumerate(self.suspects()):
            here = self.chosen.get(step)
            if here is None:
                continue
            leaving = self._leaving(step, here.pool, False) if here.pool in self.limits else 0.0
            floor = leaving + self._deadline_change(step, here, self._fastest(step), False)
            movers.append((i, step, here, leaving, floor))
        return movers

    def _ceiling(self, movers: list[tuple[int, str, Option, float, float]]) -> float:
        """The exact change of the move with the least bound among each suspect's cheapest
        move elsewhere (0.0 when there is none): the move chosen changes at least as much."""
        best = None
        for _, step, here, _, _ in movers:
            option = next((o for _, o in self._by_cost(step) if o.pool != here.pool), None)
            if option is not None:
                bound = self._change(step, option, exact=False)
                if best is None or bound < best[0]:
                    best = (bound, step, option)
        return 0.0 if best is None else self._change(best[1], best[2], exact=True)

    def _key(self, now: float, step: str, option: Option, exact: bool) -> tuple:
        order = self.order[step, option.pool]
        change = self._change(step, option, exact)
        return self._order_key(now, change, step, option, order, exact)

    def _order_key(
        self,
        now: float,
        change: float,
        step: str,
        option: Option,
        order: tuple[int, int],
        exact: bool = False,
    ) -> tuple:
        """(overshoot, compute USD) after the move, rounded, then the scan order; with a
        bound on the change, a bound on the key (less a margin for float rounding)."""
        compute = self.compute_usd + option.compute_usd - self.chosen[step].compute_usd
        margin = 0.0 if exact else MARGIN
        return (_rounded(now + change - margin), _rounded(compute), *order)

    def _change(self, step: str, option: Option, exact: bool) -> float:
        """How much the move changes the total overshoot (a lower bound unless exact)."""
        here = self.chosen[step]
        change = 0.0
        if here.pool in self.limits:
            change += self._leaving(step, here.pool, exact)
        if option.pool in self.limits:
            change += self._joining(step, option, exact)
        change += self._deadline_change(step, here, option, exact)
        return change + self._budget_change(here, option)

    def _leaving(self, step: str, pool: str, exact: bool) -> float:
        """Change of the pool's overshoot when `step` leaves it (peaks only fall)."""
        change = 0.0
        for resource, limit in self.limits[pool].items():
            before = limit.excess
            if before == 0.0 or step not in limit.steps:
                continue  # no antichain through `step` is over: it stays
            after = self._peak_without(pool, resource, step, exact)
            change += _over(after, limit.cap) - before
        return change

    def _peak_without(self, pool: str, resource: str, step: str, exact: bool) -> float:
        """The pool's peak once `step` leaves; unless exact, a lower bound: the peak less the
        step's load, or an antichain without the step found for another trial."""
        memo, key = self.memo[pool], (resource, step)
        if key in memo.without:
            return memo.without[key]
        known = memo.known.setdefault(resource, [])
        if exact:
            members = self.limits[pool][resource].members
            if self._dense(pool, resource, members):
                flow = memo.flows_without[key] = self._flow(pool, resource).without(step)
                value, steps = flow.value, flow.antichain()
            else:
                value, steps = self._antichain(pool, resource, members - {step})
            memo.without[key] = value
            known.append((value, frozenset(steps)))
            return value
        peak = self.limits[pool][resource].peak
        found = [v for v, steps in known if step not in steps]
        found += [p.without(step) for p in self._profiles(pool, resource)]
        bound = max([peak - self.members[pool][step].load[resource], *found])
        bound = max(bound, memo.floors.get(key, bound))
        if bound >= peak:  # the peak cannot rise: it stays
            memo.without[key] = bound = peak
        return bound

    def _profiles(self, pool: str, resource: str) -> list[_Profile]:
        """The pool's load over time when every step starts as early (and as late) as it
        can: the steps running at one moment form an antichain (a step starts no earlier
        than its parents' ends as they are added up, so float rounding keeps them apart)."""
        key = (pool, resource)
        if key not in self.profiles:
            loads = {s: o.load[resource] for s, o in self.members[pool].items()}
            # As late as can be, in hours before the end: the same sums as the tails, so a
            # step never overlaps its parents by a rounding error.
            early, late = self.head, self.tail
            self.profiles[key] = [_Profile(loads, t, self.hours) for t in (early, late)]
        return self.profiles[key]

    def _joining(self, step: str, option: Option, exact: bool) -> float:
        """Change of the pool's overshoot when `step` joins it (peaks only rise)."""
        pool, change = option.pool, 0.0
        for resource, limit in self.limits[pool].items():
            load = option.load[resource]
            if limit.upper + load <= limit.cap + EPS:
                continue
            if limit.peak is None:
                self._measure_peak(pool, resource, limit)
                if limit.upper + load <= limit.cap + EPS:
                    continue
            after = self._peak_with(option, resource, limit, exact)
            change += _over(after, limit.cap) - limit.excess
        return change

    def _peak_with(self, option: Option, resource: str, limit: _Limit, exact: bool) -> float:
        """The pool's peak once the option's step joins; unless exact, a lower bound."""
        memo, key = self.memo[option.pool], (resource, option.step)
        if key in memo.joined:
            return memo.joined[key]
        peak, load = limit.peak, option.load[resource]
        apart = sum(
            self.members[option.pool][s].load[resource]
            for s in limit.steps
            if not self.paths.related(s, option.step)
        )
        if apart >= peak:  # type: ignore[operator]
            memo.joined[key] = peak + load  # type: ignore[operator]  # its antichain, grown
            return memo.joined[key]
        if not exact:
            during = [p.during(option.step) for p in self._profiles(option.pool, resource)]
            return max(peak, load + max(apart, *during))  # type: ignore[type-var]
        # An antichain through the step holds only steps unordered with it: the new peak is
        # the old one or the step's load plus the heaviest antichain among those.
        apart_steps = frozenset(s for s in limit.members if not self.paths.related(s, option.step))
        rest = self._antichain(option.pool, resource, apart_steps)[0] if apart_steps else 0.0
        memo.joined[key] = max(peak, load + rest)  # type: ignore[type-var]
        return memo.joined[key]

    def _deadline_change(self, step: str, here: Option, option: Option, exact: bool) -> float:
        """Change of the deadline's overshoot when the step's elapsed time changes.

        Paths not through the step keep their length. When it grows, the new makespan is
        the longer of the old one and the longest path through the step; when it shrinks on
        a critical path, the longest path avoiding the step is walked (exact) or bounded by
        the old makespan less the time saved."""
        deadline = self.space.deadline_hours
        if deadline is None:
            return 0.0
        old, new = here.wall_hours, option.wall_hours
        around = self.head[step] + self.tail[step]
        if new >= old or around + old < self.makespan - 1e-9 * (1.0 + self.makespan):
            after = max(self.makespan, around + new)
        elif exact:
            after = max(self._avoiding(step), around + new)
        else:
            after = max(self.makespan - (old - new), around + new)
        return _over(after, deadline) - _over(self.makespan, deadline)

    def _avoiding(self, step: str) -> float:
        if step not in self.avoiding:
            self.avoiding[step] = self.paths.longest_avoiding(self.hours, step)
        return self.avoiding[step]

    def _budget_change(self, here: Option, option: Option) -> float:
        budget = self.space.budget_usd_per_month
        if budget is None:
            return 0.0
        delta = option.total_usd - here.total_usd
        after = self.monthly_usd + delta * self.space.runs_per_month
        return _over(after, budget) - _over(self.monthly_usd, budget)


def _left(memo: _Memo, gone: Option) -> _Memo:
    """What stays known about a pool once `gone` left it: the flows of that trial and the
    antichains without it; each peak without another step falls by at most its load."""
    step = gone.step
    flows = {r: f for (r, s), f in memo.flows_without.items() if s == step}
    for resource, flow in memo.flows.items():
        if resource not in flows:
            flows[resource] = flow.without(step)
    floors = {(r, s): v - gone.load[r] for (r, s), v in {**memo.floors, **memo.without}.items()}
    known = {r: [(v, a) for v, a in found if step not in a] for r, found in memo.known.items()}
    return _Memo(antichains=memo.antichains, known=known, flows=flows, floors=floors)


def _joined(memo: _Memo) -> _Memo:
    """What stays known about a pool a step joined: its antichains (peaks only rose)."""
    floors = {**memo.floors, **memo.without}
    return _Memo(antichains=memo.antichains, known=memo.known, floors=floors)


def _rounded(value: float) -> float:
    """A score rounded to 1e-9, so that float rounding cannot decide between equal ones."""
    return round(value, 9)


class _Profile:
    """The load of some steps over time in one schedule (start hours given), and the most
    load at once outside any one step's run: a lower bound on the peak without it."""

    def __init__(
        self, loads: Mapping[str, float], starts: Mapping[str, float], hours: Mapping[str, float]
    ) -> None:
        self.starts, self.hours = starts, hours
        self.span = {s: (starts[s], starts[s] + hours[s]) for s in loads if hours[s] > 0}
        change: dict[float, float] = {}
        for s, (start, end) in self.span.items():
            change[start] = change.get(start, 0.0) + loads[s]
            change[end] = change.get(end, 0.0) - loads[s]
        self.times = sorted(change)
        level, levels = 0.0, []
        for t in self.times:
            level += change[t]
            levels.append(level)  # the load from self.times[k] to self.times[k + 1]
        self.levels = levels
        self.before = list(itertools.accumulate(levels, max))
        self.after = list(itertools.accumulate(reversed(levels), max))[::-1]

    def during(self, step: str) -> float:
        """The most load at once while `step` (any step of the DAG) runs: steps running at
        the same time as it are unordered with it."""
        start, end = self.starts[step], self.starts[step] + self.hours[step]
        if end <= start or not self.times:
            return 0.0
        first = max(0, bisect.bisect_right(self.times, start) - 1)
        last = bisect.bisect_left(self.times, end)  # spans from first to last - 1 overlap
        return max(self.levels[first:last], default=0.0)

    def without(self, step: str) -> float:
        """The most load at once while `step` is not running."""
        if step not in self.span:
            return 0.0
        start, end = self.span[step]
        last = bisect.bisect_right(self.times, start) - 2  # the last span ending by `start`
        first = bisect.bisect_left(self.times, end)  # the first span starting at `end`
        best = self.before[last] if last >= 0 else 0.0
        return max(best, self.after[first] if first < len(self.times) else 0.0)


class _Paths:
    """The DAG's order and neighbours, for longest paths under changing step durations."""

    def __init__(self, space: Space) -> None:
        self.order = topological(space.steps, space.edges)
        self.parents: dict[str, list[str]] = {s: [] for s in space.steps}
        self.children: dict[str, list[str]] = {s: [] for s in space.steps}
        for u, v in space.edges:
            self.parents[v].append(u)
            self.children[u].append(v)
        self.bit = {s: 1 << i for i, s in enumerate(space.steps)}
        self.down = descendants(space.steps, space.edges)
        self.up = descendants(space.steps, tuple((v, u) for u, v in space.edges))

    def related(self, a: str, b: str) -> bool:
        """True when one of the steps runs after the other (they can never overlap)."""
        return bool((self.down[a] | self.up[a]) & self.bit[b])

    def around(self, hours: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
        """Per step, the longest path ending before it and the longest starting after it."""
        head: dict[str, float] = {}
        for s in self.order:
            head[s] = max((head[p] + hours[p] for p in self.parents[s]), default=0.0)
        tail: dict[str, float] = {}
        for s in reversed(self.order):
            tail[s] = max((hours[c] + tail[c] for c in self.children[s]), default=0.0)
        return head, tail

    def longest_avoiding(self, hours: Mapping[str, float], step: str) -> float:
        """The longest path that does not pass through `step`."""
        finish: dict[str, float] = {}
        for s in self.order:
            if s != step:
                parents = (finish[p] for p in self.parents[s] if p != step)
                finish[s] = max(parents, default=0.0) + hours[s]
        return max(finish.values(), default=0.0)
