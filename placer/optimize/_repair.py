"""The greedy baseline's repair: its state, and the search for the best move.

The rule is in baselines.py. Scoring every move with :func:`evaluate` costs a max flow
per capped pool per move tried (500 steps x 50 pools with tight limits: 23 s).
:class:`Repair` keeps what scoring needs (each capped pool's loads and peaks, the longest
paths into and out of every step, the cost per run, the overshoot) and scores a move from
what it changes, exactly: a step leaving a pool lowers only the peaks of antichains it is
in; one joining raises a peak to the old one or its load plus the heaviest antichain of
the steps unordered with it; the makespan changes only on paths through the step.

Speed-ups, each named where it is made, with its measured effect: CPU seconds of the
whole repair on bench_baselines' 2000 steps x 50 pools with tight limits / with a deadline
at the fastest makespan as well / over budget as well: 0.5 / 0.8 / 1.3 s with all five,
and with one switched off (docs/benchmarks.md, `python benchmarks/run.py baselines`):

1. *Bound first* (:meth:`Repair.best_move`): a best-first search that scores a move
   exactly only when its lower bound could win (1.8 / 3.3 / 13.2 s without).
2. *Pools kept* (:class:`_Pool`): a pool is re-made only when its members change, and
   keeps its peaks and the changes it scored until then (0.8 / 2.0 / 2.5 s).
3. *Least flow kept* (:meth:`_Pool.leaving`): a pool's peak without one step comes from
   its least flow with that step relaxed, a few augmenting paths (1.6 / 1.8 / 9.1 s).
4. *Known antichains* (:meth:`_Pool.leaving`): every antichain found bounds the peak
   once a step not in it leaves (1.8 / 2.0 / 2.8 s).
5. *Flows carried* (:meth:`_Pool.after_leaving`): the pool a step left keeps its least
   flow with the step relaxed instead of building one (0.8 / 1.1 / 2.0 s).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from typing import Any

from placer.optimize.antichain import (
    LeastFlow,
    descendants,
    heaviest_antichain,
    least_flow,
    whole_dag,
)
from placer.optimize.evaluate import EPS, longest_path, topological
from placer.optimize.space import Option, Space

MARGIN = 1e-10  # a bound is lowered by this before rounding: float sums differ in ulps
_STEP, _BOUND, _EXACT = 0, 1, 2  # what a heap entry's key stands for (Repair.best_move)

Key = tuple[float, float, int, int]  # (overshoot, compute USD, suspect rank, option rank)


def over(value: float, limit: float) -> float:
    """The relative overshoot of a limit, as :func:`evaluate` adds it (0 within EPS)."""
    if value <= limit + EPS:
        return 0.0
    return (value - limit) / limit if limit else 1.0


def rounded(value: float) -> float:
    """A score rounded to 1e-9, so that float rounding cannot decide between equal ones."""
    return round(value, 9)


class Repair:
    """A placement under repair and what scoring a move needs: the capped pools, the
    longest paths into and out of every step, the cost per run, the overshoot.

    Mutable: :meth:`move` brings it up to date; one lives for one greedy repair.
    """

    def __init__(self, space: Space, placement: dict[str, str]) -> None:
        self.space = space
        self.placement = placement
        self.chosen = {s: o for s, p in placement.items() if (o := space.option(s, p))}
        self.order = _Order(space)
        self.pools = {
            p: _Pool(space, self.order, p, {s: o for s, o in self.chosen.items() if o.pool == p})
            for p in space.caps
        }
        self.by_cost: dict[str, list[tuple[int, Option]]] = {}  # moves_of, made once
        self._retime()

    def _retime(self) -> None:
        """What depends on every step: makespan, critical path, the paths around each
        step, cost (summed as :func:`evaluate` sums it), the overshoot."""
        space = self.space
        options = [self.chosen.get(s) for s in space.steps]
        self.hours = {
            s: o.wall_hours if o else 0.0 for s, o in zip(space.steps, options, strict=True)
        }
        self.makespan, self.critical = longest_path(space.steps, space.edges, self.hours)
        self.head, self.tail = self.order.around(self.hours)
        self.avoiding: dict[str, float] = {}  # step -> the longest path avoiding it
        self.floors: dict[str, float] = {}  # step -> Repair.floor's fixed part
        self.compute_usd = sum(o.compute_usd for o in options if o)
        egress = sum(o.egress_usd for o in options if o)
        self.monthly_usd = (self.compute_usd + egress) * space.runs_per_month
        deadline, budget = space.deadline_hours, space.budget_usd_per_month
        self.late = 0.0 if deadline is None else over(self.makespan, deadline)
        self.over_budget = 0.0 if budget is None else over(self.monthly_usd, budget)
        missing = len(space.steps) - len(self.chosen)
        pools = sum(sum(p.over.values()) for p in self.pools.values())
        self.excess = missing + pools + self.late + self.over_budget

    def suspects(self) -> list[str]:
        """Steps whose move could help, in rank order: every step when over budget; else
        the critical path when late, then each over-limit heaviest antichain."""
        if self.over_budget:
            return list(self.space.steps)
        found: dict[str, None] = dict.fromkeys(self.critical) if self.late else {}
        for pool in self.pools.values():
            for resource, excess in pool.over.items():
                if excess:
                    found.update(dict.fromkeys(pool.antichain(resource)))
        return list(found)

    def moves_of(self, step: str) -> list[tuple[int, Option]]:
        """The step's other options with their rank, cheapest per run first."""
        if step not in self.by_cost:
            here = self.placement.get(step)
            ranked = [(j, o) for j, o in enumerate(self.space.options[step]) if o.key != here]
            self.by_cost[step] = sorted(ranked, key=lambda jo: jo[1].total_usd)
        return self.by_cost[step]

    def move(self, option: Option) -> None:
        """Move the option's step to its pool and bring the state up to date."""
        before = self.chosen[option.step]
        self.placement[option.step] = option.key
        self.chosen[option.step] = option
        del self.by_cost[option.step]
        if before.pool in self.pools:
            self.pools[before.pool] = self.pools[before.pool].after_leaving(option.step)
        if option.pool in self.pools:
            self.pools[option.pool] = self.pools[option.pool].after_joining(option)
        self._retime()

    # -- the best move ---------------------------------------------------------------------

    def best_move(self) -> Option | None:
        """The move (the option a step moves to) of least :meth:`key` among those that
        lower the rounded overshoot; None when none does.

        Speed-up 1 (bound first): a best-first search over lower bounds. The heap holds,
        per suspect, a bound on all its moves not taken out yet (_STEP: they come out
        cheapest first, and a dearer one never changes the budget's overshoot less), moves
        with a bound on their key (_BOUND) and moves scored exactly (_EXACT). Each entry's
        key is at most the exact keys it stands for, so the first _EXACT out is the least.
        """
        now = rounded(self.excess)
        # (key, kind, step, item): item is a move's index (_STEP) or the Option (_BOUND, _EXACT)
        queue: list[tuple[Any, int, str, Any]] = [
            (self.floor(step, 0, i), _STEP, step, 0)
            for i, step in enumerate(self.suspects())
            if self.moves_of(step)
        ]
        heapq.heapify(queue)
        while queue:
            key, kind, step, item = heapq.heappop(queue)
            if key[0] >= now:
                return None  # neither this move nor any after it lowers the overshoot
            if kind == _EXACT:
                return item
            if kind == _BOUND:
                bound = self.key(item, key[2:], exact=False)  # what was learned since
                if bound > key:  # may have raised it: the move waits its turn again
                    heapq.heappush(queue, (bound, _BOUND, step, item))
                else:
                    heapq.heappush(queue, (self.key(item, key[2:], exact=True), _EXACT, step, item))
                continue
            moves = self.moves_of(step)
            j, option = moves[item]
            heapq.heappush(
                queue, (self.key(option, (key[2], j), exact=False), _BOUND, step, option)
            )
            if item + 1 < len(moves):
                heapq.heappush(queue, (self.floor(step, item + 1, key[2]), _STEP, step, item + 1))
        return None

    def key(self, option: Option, rank: tuple[int, int], exact: bool) -> Key:
        """The move's key (baselines.py: overshoot and compute USD after it, rounded, then
        its rank); unless `exact`, a lower bound on it."""
        here = self.chosen[option.step]
        change = self._leaving(here, exact) + self._budget_change(here, option)
        change += self._deadline_change(here, option, exact)
        if option.pool in self.pools:
            change += self.pools[option.pool].joining(option, exact)
        compute = self.compute_usd + option.compute_usd - here.compute_usd
        margin = 0.0 if exact else MARGIN
        return (rounded(self.excess + change - margin), rounded(compute), *rank)

    def floor(self, step: str, position: int, rank: int) -> tuple[float, float, int, int]:
        """A bound on the key of every move of `step` from `position` on in
        :meth:`moves_of`: the pool it leaves and the deadline change no less than with its
        fastest option, the pool it joins cannot lower the overshoot, and the budget's
        changes no less than with the cheapest of those moves."""
        here = self.chosen[step]
        if step not in self.floors:
            fastest = min(self.space.options[step], key=lambda o: o.wall_hours)
            leaving = self._leaving(here, exact=False)
            self.floors[step] = leaving + self._deadline_change(here, fastest, exact=False)
        option = self.moves_of(step)[position][1]
        change = self.floors[step] + self._budget_change(here, option)
        return (rounded(self.excess + change - MARGIN), -math.inf, rank, -1)

    def _leaving(self, here: Option, exact: bool) -> float:
        pool = self.pools.get(here.pool)
        return 0.0 if pool is None else pool.leaving(here, exact)

    def _deadline_change(self, here: Option, option: Option, exact: bool) -> float:
        """Change of the deadline's overshoot: only paths through the step change. Shorter
        on a critical path, the longest path avoiding the step is walked (exact) or bounded
        by the makespan less the time saved."""
        deadline = self.space.deadline_hours
        if deadline is None:
            return 0.0
        step, old, new = here.step, here.wall_hours, option.wall_hours
        around = self.head[step] + self.tail[step]
        if new >= old or around + old < self.makespan - 1e-9 * (1.0 + self.makespan):
            after = max(self.makespan, around + new)
        elif exact:
            if step not in self.avoiding:
                self.avoiding[step] = self.order.longest_avoiding(self.hours, step)
            after = max(self.avoiding[step], around + new)
        else:
            after = max(self.makespan - (old - new), around + new)
        return over(after, deadline) - self.late

    def _budget_change(self, here: Option, option: Option) -> float:
        budget = self.space.budget_usd_per_month
        if budget is None:
            return 0.0
        delta = (option.total_usd - here.total_usd) * self.space.runs_per_month
        return over(self.monthly_usd + delta, budget) - self.over_budget


Antichains = dict[str, list[tuple[float, frozenset[str]]]]  # resource -> [(weight, steps)]


class _Pool:
    """One capped pool's members under the current placement: per limited resource its
    total load, overshoot and least flow (its value is the peak, measured when needed),
    and the change of its overshoot when a step leaves or joins.

    Speed-up 2 (pools kept): a pool is re-made only when a move changes its members, and
    keeps what it measured until then.
    """

    def __init__(
        self,
        space: Space,
        order: _Order,
        name: str,
        members: dict[str, Option],
        flows: dict[str, LeastFlow] | None = None,
        known: Antichains | None = None,
    ) -> None:
        self.space, self.order, self.name, self.members = space, order, name, members
        self.caps = space.caps[name]
        self.total = {r: sum(o.load[r] for o in members.values()) for r in self.caps}
        self.flows = flows or {}
        # Speed-up 4 (known antichains): antichains of the members found so far; any of
        # them without a step bounds the peak once that step leaves.
        self.known: Antichains = known or {}
        self.antichains: dict[str, tuple[str, ...]] = {}
        self.left: dict[tuple[str, str], LeastFlow] = {}  # (resource, step) -> flow
        self.joined: dict[tuple[str, str], float] = {}  # (resource, step) -> overshoot
        self.over = {
            r: 0.0 if self.total[r] <= cap + EPS else over(self.flow(r).value, cap)
            for r, cap in self.caps.items()
        }  # no max flow while the loads' sum fits

    def flow(self, resource: str) -> LeastFlow:
        """The members' least flow for `resource`: its value is the peak."""
        if resource not in self.flows:
            weight = {s: o.load[resource] for s, o in self.members.items()}
            self.flows[resource] = least_flow(self.space.steps, self.space.edges, weight)
        return self.flows[resource]

    def antichain(self, resource: str) -> tuple[str, ...]:
        """The heaviest antichain, as :func:`evaluate` finds it."""
        if resource not in self.antichains:
            flow = self.flow(resource)
            self.antichains[resource] = steps = flow.antichain()
            self.known.setdefault(resource, []).append((flow.value, frozenset(steps)))
        return self.antichains[resource]

    def leaving(self, here: Option, exact: bool) -> float:
        """Change of the overshoot when `here`'s step leaves (peaks only fall); unless
        exact, a lower bound: the heaviest antichain known without the step, or the peak
        less the step's load."""
        change = 0.0
        for resource, before in self.over.items():
            if not before or here.step not in self.antichain(resource):
                continue  # an antichain without the step still weighs the peak
            key, cap = (resource, here.step), self.caps[resource]
            if key not in self.left and exact:
                # Speed-up 3 (least flow kept): a few augmenting paths, no new max flow.
                self.left[key] = flow = self.flow(resource).without(here.step)
                self.known[resource].append((flow.value, frozenset(flow.antichain())))
            if key in self.left:
                after = over(self.left[key].value, cap)
            else:
                known = [w for w, steps in self.known[resource] if here.step not in steps]
                peak = self.flow(resource).value
                after = over(max([peak - here.load[resource], *known]), cap)
            change += after - before
        return change

    def joining(self, option: Option, exact: bool) -> float:
        """Change of the overshoot when `option`'s step joins (peaks only rise)."""
        change = 0.0
        for resource, cap in self.caps.items():
            load = option.load[resource]
            if self.total[resource] + load > cap + EPS:
                change += self._joined(resource, option, exact) - self.over[resource]
        return change

    def _joined(self, resource: str, option: Option, exact: bool) -> float:
        """The overshoot once `option`'s step joins: the peak becomes the old one or the
        step's load plus the heaviest antichain of the members unordered with it; unless
        exact, a lower bound from the old heaviest antichain's members unordered with it."""
        step, load, cap = option.step, option.load[resource], self.caps[resource]
        peak = self.flow(resource).value
        if peak + load <= cap + EPS:
            return 0.0
        if (resource, step) in self.joined:
            return self.joined[resource, step]
        steps = self.antichain(resource)
        apart = [s for s in steps if not self.order.related(s, step)]
        if len(apart) == len(steps):  # the heaviest antichain grows by the step
            return over(peak + load, cap)
        if not exact:
            return over(max(peak, load + sum(self.members[s].load[resource] for s in apart)), cap)
        members = self.members.items()
        weight = {s: o.load[resource] for s, o in members if not self.order.related(s, step)}
        rest = heaviest_antichain(self.space.steps, self.space.edges, weight)[0]
        self.joined[resource, step] = over(max(peak, load + rest), cap)
        return self.joined[resource, step]

    def after_leaving(self, step: str) -> _Pool:
        """The pool once `step` left. Speed-up 5 (flows carried): a least flow over the
        whole DAG becomes the new members' by relaxing the step (done already if the move
        was scored exactly), and is what a new one would be, antichain included."""
        members = {s: o for s, o in self.members.items() if s != step}
        flows = {}
        for resource, flow in self.flows.items():
            gone = self.left.get((resource, step)) or flow.without(step)
            weight = {s: o.load[resource] for s, o in members.items()}
            if gone.whole and whole_dag(self.space.steps, weight):
                flows[resource] = gone
        known = {r: [(w, a) for w, a in found if step not in a] for r, found in self.known.items()}
        return _Pool(self.space, self.order, self.name, members, flows, known)

    def after_joining(self, option: Option) -> _Pool:
        """The pool once `option`'s step joined: the antichains known stay antichains."""
        members = {**self.members, option.step: option}
        known = {r: list(found) for r, found in self.known.items()}
        return _Pool(self.space, self.order, self.name, members, known=known)


class _Order:
    """The DAG's order: which steps can overlap, longest paths under changing durations."""

    def __init__(self, space: Space) -> None:
        self.steps = topological(space.steps, space.edges)
        self.parents: dict[str, list[str]] = {s: [] for s in space.steps}
        self.children: dict[str, list[str]] = {s: [] for s in space.steps}
        for u, v in space.edges:
            self.parents[v].append(u)
            self.children[u].append(v)
        self.bit = {s: 1 << i for i, s in enumerate(space.steps)}
        down = descendants(space.steps, space.edges)
        up = descendants(space.steps, tuple((v, u) for u, v in space.edges))
        self.ordered_with = {s: down[s] | up[s] | self.bit[s] for s in space.steps}

    def related(self, a: str, b: str) -> bool:
        """True when one of the steps runs after the other (they never overlap)."""
        return bool(self.ordered_with[a] & self.bit[b])

    def around(self, hours: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
        """Per step, the longest path ending before it and the longest starting after it."""
        head: dict[str, float] = {}
        for s in self.steps:
            head[s] = max((head[p] + hours[p] for p in self.parents[s]), default=0.0)
        tail: dict[str, float] = {}
        for s in reversed(self.steps):
            tail[s] = max((hours[c] + tail[c] for c in self.children[s]), default=0.0)
        return head, tail

    def longest_avoiding(self, hours: Mapping[str, float], step: str) -> float:
        """The longest path that does not pass through `step`."""
        finish: dict[str, float] = {}
        for s in self.steps:
            if s != step:
                parents = (finish[p] for p in self.parents[s] if p != step)
                finish[s] = max(parents, default=0.0) + hours[s]
        return max(finish.values(), default=0.0)
