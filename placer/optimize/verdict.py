"""The verdict on one pool for one step: why the plan's pool won, or why this one lost.

A verdict on an eligible pool that lost is a statement about the *pinned optimum*: the
best plan with the step in that pool. Either no such plan exists (a limit forbids it), or
it costs `low_usd` to `high_usd` more per run than the plan (equal when exact).

Cheap bounds first, for every (step, pool):

- the deadline: the fastest critical path through the step with it there (every other
  step in its fastest pool) is longer than the deadline: no plan puts it there;
- the budget: the cheapest month with it there is over the budget: likewise;
- *alone*, the plan with only this step moved: when it meets every limit the pinned
  optimum costs at most the plan plus the price difference `d`;
- the pinned optimum costs at least the plan (which is optimal, up to the solver's gap)
  and at least every other step's cheapest option plus this one's;
- moving the step back: when the plan's pool can never run out of room and is no slower,
  moving the step back from any plan with it there keeps that plan feasible and saves
  `d`, so the pinned optimum costs at least the plan plus `d`.

When the bounds meet, the verdict is exact and costs no solve; they always do when no
limit couples the steps. Otherwise the step is pinned there and the space re-solved (while
the explanation's re-solve time lasts), which makes it exact and names the steps that would
move; once that time is spent, the bounds are stated as they are (`solved` False).
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from placer.money import cents, per_hour, usd
from placer.optimize.antichain import descendants, heaviest_antichain
from placer.optimize.diagnose import hours_text
from placer.optimize.evaluate import (
    EPS,
    Outcome,
    depths,
    evaluate,
    topological,
    violated_antichains,
)
from placer.optimize.space import Option, Space

TIE_USD = 0.00005  # half the 1/100 cent a plan keeps: closer than this is a tie

# A re-solve: (space, seconds left or None) -> (the best plan or None, its status).
Resolve = Callable[[Space, float | None], tuple[dict[str, str] | None, str]]
Paths = dict[str, tuple[float, tuple[str, ...]]]


@dataclass(frozen=True)
class Verdict:
    """Why a pool won or lost for a step.

    `low_usd`/`high_usd` bound what the best plan with the step in this pool costs per
    run minus the plan's cost (None: no bound known, or no such plan). `steps` names the
    other steps involved: those that would move, those sharing a limit, or the critical
    path. `solved`: a re-solve, not a bound, established it.
    """

    kind: str
    text: str
    low_usd: float | None = None
    high_usd: float | None = None
    steps: tuple[str, ...] = ()
    solved: bool = False

    @property
    def delta_usd(self) -> float | None:
        """The exact difference, when the bounds meet."""
        if self.low_usd is None or self.high_usd is None:
            return None
        if self.high_usd - self.low_usd > TIE_USD:
            return None
        return self.high_usd


def exact(kind: str, text: str, delta: float, steps: tuple[str, ...] = (), solved=False):
    """A verdict whose difference is known exactly."""
    return Verdict(kind, text, delta, delta, steps, solved)


@dataclass
class Judge:
    """Everything verdicts read, computed once per explanation (:func:`judge`)."""

    space: Space
    assignment: Mapping[str, str]
    resolve: Resolve
    gap_usd: float = 0.0  # how far above the optimum the plan may be (the solver's gap)
    resolve_until: float | None = None  # perf_counter time after which no re-solve starts
    egress_gb: Callable[[str, str], float | None] = lambda step, pool: None
    solves: int = 0
    cost: float = 0.0
    slack: float = 0.0  # the plan's cost above every step's cheapest option
    cheapest: dict[str, float] = field(default_factory=dict)
    fastest: tuple[Paths, Paths] = ({}, {})  # before / after each step, all at their fastest
    placed: tuple[Paths, Paths] = ({}, {})  # before / after each step, as the plan places them
    roomy: dict[str, bool] = field(default_factory=dict)  # pools no placement can overfill
    members: dict[str, list[str]] = field(default_factory=dict)  # pool -> the plan's steps
    related: dict[str, int] = field(default_factory=dict)  # ancestors | descendants, bitsets
    bit: dict[str, int] = field(default_factory=dict)
    depth: dict[str, int] = field(default_factory=dict)  # longest-path depth
    peaks: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # plan's peaks

    def __post_init__(self) -> None:
        space = self.space
        self.cheapest = {s: min(o.total_usd for o in space.options[s]) for s in space.steps}
        self.cost = sum(self.option(s).total_usd for s in space.steps)
        self.slack = self.cost - sum(self.cheapest.values())
        quick = {s: min(o.wall_hours for o in space.options[s]) for s in space.steps}
        self.fastest = _both_ways(space, quick)
        self.placed = _both_ways(space, {s: self.option(s).wall_hours for s in space.steps})
        self.roomy = {pool: _roomy(space, pool) for pool in space.pools}
        self.members = {pool: [] for pool in space.pools}
        for s in space.steps:
            self.members[self.option(s).pool].append(s)
        self.bit = {s: 1 << i for i, s in enumerate(space.steps)}
        down = descendants(space.steps, space.edges)
        up = descendants(space.steps, tuple((v, u) for u, v in space.edges))
        self.related = {s: down[s] | up[s] for s in space.steps}
        self.depth = depths(space.steps, space.edges)

    def load(self, pool: str, resource: str) -> dict[str, float]:
        """The plan's load on one limit of a pool, per step."""
        return {s: self.option(s).load[resource] for s in self.members[pool]}

    def peak(self, pool: str, resource: str) -> tuple[str, ...]:
        """The steps of the plan's heaviest antichain on one limit of a pool (computed once)."""
        if (pool, resource) not in self.peaks:
            load = self.load(pool, resource)
            found = heaviest_antichain(self.space.steps, self.space.edges, load)[1]
            self.peaks[pool, resource] = found
        return self.peaks[pool, resource]

    def option(self, step: str) -> Option:
        """The plan's option for the step."""
        return self.space.placed(step, self.assignment[step])

    def time_left(self) -> float | None:
        """Seconds the re-solves may still take (None: no limit); <= 0 when spent."""
        if self.resolve_until is None:
            return None
        return self.resolve_until - time.perf_counter()


def _both_ways(space: Space, hours: Mapping[str, float]) -> tuple[Paths, Paths]:
    reverse = [(v, u) for u, v in space.edges]
    return _paths(space.steps, space.edges, hours), _paths(space.steps, reverse, hours)


def _paths(
    steps: Sequence[str], edges: Sequence[tuple[str, str]], hours: Mapping[str, float]
) -> Paths:
    """Per step, the longest path of steps strictly before it (in `edges`' direction) and
    its length in hours."""
    parents = defaultdict(list)
    for u, v in edges:
        parents[v].append(u)
    best: Paths = {}
    for s in topological(steps, edges):
        best[s] = (0.0, ())
        for p in parents[s]:
            length, path = best[p]
            if length + hours[p] > best[s][0]:
                best[s] = (length + hours[p], (*path, p))
    return best


def _roomy(space: Space, pool: str) -> bool:
    """True when no placement can break the pool's limits: every step that may run there,
    placed there at once, stays within each of them."""
    for resource, cap in space.caps.get(pool, {}).items():
        load = {}
        for s in space.steps:
            most = max((o.load[resource] for o in space.options[s] if o.pool == pool), default=0)
            if most > 0:
                load[s] = most  # the heaviest hardware the pool offers the step
        if sum(load.values()) > cap + EPS:
            if heaviest_antichain(space.steps, space.edges, load)[0] > cap + EPS:
                return False
    return True


def chosen_verdict(judge: Judge, step: str) -> Verdict:
    """The plan's pool, and in a few words why."""
    option = judge.option(step)
    if len(judge.space.options[step]) == 1:
        return exact("chosen", "the only pool it may use", 0.0)
    if option.total_usd <= judge.cheapest[step] + TIE_USD:
        return exact("chosen", "the cheapest pool for this step", 0.0)
    here = [o for o in judge.space.options[step] if o.pool == option.pool]
    least = min(here, key=lambda o: (o.total_usd, o.wall_hours))
    if least.key != option.key and least.fit.hardware != option.fit.hardware:
        text = (
            f"on {option.fit.hardware} ({option.fit.instance_type}), faster than its cheaper "
            f"{least.fit.hardware} there: the cheapest hardware that keeps the plan within "
            "its limits"
        )
        return exact("chosen", text, 0.0)
    return exact("chosen", "the cheapest pool that keeps the plan within its limits", 0.0)


def verdict_on(judge: Judge, step: str, option: Option) -> Verdict:
    """The verdict on an eligible pool that lost: bounds first, then a re-solve while the
    time lasts, else the bounds as they are."""
    for bound in (_misses_deadline, _over_budget):
        verdict = bound(judge, step, option)
        if verdict is not None:
            return verdict
    chosen = judge.option(step)
    delta = option.total_usd - chosen.total_usd
    alone = _alone(judge, step, option, delta)
    if alone.feasible and _settled(judge, step, chosen, option, delta):
        return _priced(judge, chosen, option, delta)
    if alone.feasible and _low(judge, step, chosen, delta) >= delta - TIE_USD:
        return _priced(judge, chosen, option, delta)  # the bounds meet (a tie, say)
    left = judge.time_left()
    if left is None or left > 0:
        return _resolved(judge, step, option, delta, left)
    return _bounded(judge, step, option, delta, alone)


def _misses_deadline(judge: Judge, step: str, option: Option) -> Verdict | None:
    """With the step here and every other step in its fastest pool, is the critical path
    through it still longer than the deadline? Then no plan puts it here."""
    deadline = judge.space.deadline_hours
    if deadline is None:
        return None
    (before, first), (after, last) = judge.fastest[0][step], judge.fastest[1][step]
    length = before + option.wall_hours + after
    if length <= deadline + EPS:
        return None
    path = (*first, step, *reversed(last))
    return Verdict(
        "deadline",
        f"misses the deadline: the critical path {' -> '.join(path)} takes at least "
        f"{hours_text(length)} with it here (deadline {hours_text(deadline)})",
        steps=tuple(s for s in path if s != step),
    )


def _over_budget(judge: Judge, step: str, option: Option) -> Verdict | None:
    """With the step here and every other step at its cheapest, is the month still over
    the budget? Then no plan puts it here."""
    budget = judge.space.budget_usd_per_month
    if budget is None:
        return None
    runs = judge.space.runs_per_month
    least = (sum(judge.cheapest.values()) - judge.cheapest[step] + option.total_usd) * runs
    if least <= budget + EPS:
        return None
    return Verdict(
        "budget",
        f"over the budget: any plan with it here costs at least {usd(least)}/month "
        f"(budget {usd(budget)}/month)",
    )


@dataclass(frozen=True)
class Alone:
    """The plan with only the step moved: whether it meets every limit, else the first it
    breaks (its family, a clause saying how, and the other steps involved)."""

    feasible: bool
    family: str = ""
    broken: str = ""
    steps: tuple[str, ...] = ()


def _alone(judge: Judge, step: str, option: Option, delta: float) -> Alone:
    """Only the step changes, so it is enough to check the critical path through it (the
    plan's paths before and after it), the month's cost, and the pool it joins."""
    space = judge.space
    deadline = space.deadline_hours
    if deadline is not None:
        (before, first), (after, last) = judge.placed[0][step], judge.placed[1][step]
        length = before + option.wall_hours + after
        if length > deadline + EPS:
            broken = f"the critical path would take {hours_text(length)} > the deadline"
            return Alone(False, "deadline", broken, (*first, *reversed(last)))
    budget = space.budget_usd_per_month
    monthly = (judge.cost + delta) * space.runs_per_month
    if budget is not None and monthly > budget + EPS:
        return Alone(False, "budget", f"the month would cost {usd(monthly)} > the budget")
    crowd = None if judge.roomy[option.pool] else _crowd(judge, step, option)
    if crowd is None:
        return Alone(True)
    resource, steps = crowd
    broken = f"{option.pool}'s {resource} limit would break ({_some(steps)} at once)"
    return Alone(False, "capacity", broken, tuple(s for s in steps if s != step))


def _crowd(judge: Judge, step: str, option: Option) -> tuple[str, tuple[str, ...]] | None:
    """The first limit of the pool the step would overfill next to the plan's steps there:
    the resource and the steps that would run at once. Cheap bounds first (the load of
    every unordered step above, the plan's own peak and the step's depth level below),
    then a max flow."""
    pool = option.pool
    for resource, cap in judge.space.caps.get(pool, {}).items():
        need = option.load[resource]
        if need <= 0:
            continue
        load = judge.load(pool, resource)
        mask = judge.related[step]
        free = {s: w for s, w in load.items() if not mask & judge.bit[s] and w > 0}
        if need + sum(free.values()) <= cap + EPS:
            continue
        for some in (judge.peak(pool, resource), _level(judge, step, free)):
            together = tuple(s for s in some if s in free)
            if need + sum(free[s] for s in together) > cap + EPS:
                return resource, (step, *together)
        value, steps = heaviest_antichain(judge.space.steps, judge.space.edges, free)
        if need + value > cap + EPS:
            return resource, (step, *steps)
    return None


def _level(judge: Judge, step: str, free: Mapping[str, float]) -> tuple[str, ...]:
    """The steps of `free` at the step's depth: none of them is ordered with another."""
    return tuple(s for s in free if judge.depth[s] == judge.depth[step])


def _others_slack(judge: Judge, step: str, chosen: Option) -> float:
    """How much the other steps pay above their cheapest options in the plan: no plan
    with this step moved can save more than that on them."""
    return judge.slack - (chosen.total_usd - judge.cheapest[step])


def _low(judge: Judge, step: str, chosen: Option, delta: float) -> float:
    """A lower bound on the pinned optimum minus the plan: the plan is optimal (up to its
    gap), and the other steps can save no more than they pay above their cheapest."""
    return max(-judge.gap_usd, delta - _others_slack(judge, step, chosen))


def _settled(judge: Judge, step: str, chosen: Option, option: Option, delta: float) -> bool:
    """Whether moving the step alone (feasible, `delta` dearer) is the pinned optimum, up
    to the plan's own gap: (1) every other step already sits in its cheapest pool, or
    (2) moving it back from any plan with it here keeps that plan feasible and `delta`
    cheaper (its pool can never overfill, it is no slower there, the month gets cheaper).
    """
    if _others_slack(judge, step, chosen) <= TIE_USD:
        return True
    if delta < 0:
        return False
    slower = judge.space.deadline_hours is not None and (
        chosen.wall_hours > option.wall_hours + EPS
    )
    return not slower and judge.roomy[chosen.pool]


def _priced(
    judge: Judge, chosen: Option, option: Option, delta: float, solved: bool = False
) -> Verdict:
    """Only this step changes: the verdict is the price difference and what makes it."""
    if delta < -max(TIE_USD, judge.gap_usd):
        return _cheaper(delta, (), solved)
    if abs(delta) <= TIE_USD:
        text = f"as cheap as {chosen.pool} ({usd(option.total_usd)}/run)"
        return exact("tie", text, delta, solved=solved)
    d_compute = option.compute_usd - chosen.compute_usd
    d_egress = option.egress_usd - chosen.egress_usd
    if d_egress > 0 and d_egress >= d_compute:
        gb = judge.egress_gb(option.step, option.pool)
        volume = f" of {gb:,.4g} GB/run" if gb is not None else ""
        saving = f" (its compute is {usd(-d_compute)} cheaper)" if cents(-d_compute) > 0 else ""
        text = (
            f"dearer by {usd(delta)}/run: egress{volume} to and from its data costs "
            f"{usd(option.egress_usd)}{saving}"
        )
        return exact("egress", text, delta, solved=solved)
    fit = option.fit
    text = (
        f"dearer by {usd(delta)}/run: compute {usd(option.compute_usd)} "
        f"({option.task_hours:.4g} pod-h on {fit.instance_type} at "
        f"${per_hour(fit.usd_per_task_hour)}/h) vs {usd(chosen.compute_usd)}"
    )
    return exact("dearer", text, delta, solved=solved)


def _cheaper(delta: float, moved: tuple[str, ...], solved: bool) -> Verdict:
    text = (
        f"a plan with it here is {usd(-delta)}/run cheaper: the plan stopped within the "
        f"solver's gap"
    )
    return exact("gap", text, delta, moved, solved)


# The plan with only the step moved, and how it fares.
Moved = tuple[Mapping[str, str], Outcome]


def _resolved(judge: Judge, step: str, option: Option, delta: float, left: float | None) -> Verdict:
    """Re-solve with the step pinned here and compare with the plan."""
    moved_plan = {**judge.assignment, step: option.key}
    moved: Moved = (moved_plan, evaluate(judge.space, moved_plan))
    pinned = _pin(judge.space, step, option)
    judge.solves += 1
    best, status = judge.resolve(pinned, left)
    if best is None and status != "infeasible":  # stopped without an answer: the bounds
        return _bounded(judge, step, option, delta, _alone(judge, step, option, delta))
    if best is None:
        return _infeasible(judge, step, pinned, moved)
    cost = sum(pinned.placed(s, p).total_usd for s, p in best.items())
    change = cost - judge.cost
    if status != "optimal":  # stopped by the time: an upper bound only
        verdict = _bounded(judge, step, option, delta, _alone(judge, step, option, delta))
        high = min(change, verdict.high_usd if verdict.high_usd is not None else change)
        return dataclasses.replace(verdict, high_usd=high)
    others = tuple(s for s in judge.space.steps if s != step and best[s] != judge.assignment[s])
    if change < -max(TIE_USD, judge.gap_usd):
        return _cheaper(change, others, True)
    alone_usd = judge.cost + delta if moved[1].feasible else None
    if not others or (alone_usd is not None and alone_usd <= cost + TIE_USD):
        # Nothing else has to move (the solver may have moved steps that tie).
        return _priced(judge, judge.option(step), option, delta if others else change, True)
    where = _some([f"{s} to {best[s]}" for s in others])
    if abs(change) <= TIE_USD:
        return exact("tie", f"as cheap as the plan if {where} move", change, others, True)
    text = (
        f"dearer by {usd(change)}/run (alone {usd(delta)}): {where} would move"
        f"{_coupling(judge.space, moved)}"
    )
    return exact("coupled", text, change, others, True)


def _some(items: Sequence[str], shown: int = 6) -> str:
    """Up to `shown` items and how many more, so a verdict stays one readable line."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _coupling(space: Space, moved: Moved) -> str:
    """What the plan with only this step moved breaks, as a clause."""
    assignment, outcome = moved
    if outcome.feasible:
        return " into the room it leaves"
    crowded = violated_antichains(space, dict(assignment))
    if crowded:
        pool, resource, steps = crowded[0]
        return f" to keep {pool}'s {resource} limit ({_some(steps)} run at once)"
    first = outcome.violations[0]
    if first.startswith("deadline"):
        return " to keep the deadline"
    if first.startswith("budget"):
        return " to keep the budget"
    return f" ({first})"


def _pin(space: Space, step: str, option: Option) -> Space:
    return dataclasses.replace(space, options={**space.options, step: (option,)})


def _infeasible(judge: Judge, step: str, pinned: Space, moved: Moved) -> Verdict:
    """No plan with the step here: find the family of limits that forbids it by relaxing
    one family at a time (each relaxation is a re-solve)."""
    assignment, outcome = moved
    crowded = violated_antichains(judge.space, dict(assignment))
    named = tuple(s for s in crowded[0][2] if s != step) if crowded else ()
    if pinned.caps and crowded and _feasible(judge, dataclasses.replace(pinned, caps={})):
        pool, resource, steps = crowded[0]
        text = (
            f"over capacity: no plan with it here keeps the pool limits (with only it moved, "
            f"{_some(steps)} would need more than {pinned.caps[pool][resource]:g} "
            f"{resource} at once in {pool})"
        )
        return Verdict("capacity", text, steps=named, solved=True)
    deadline = pinned.deadline_hours
    if deadline is not None and _feasible(judge, dataclasses.replace(pinned, deadline_hours=None)):
        limits = " and keeps the pool limits" if pinned.caps else ""
        text = (
            f"misses the deadline: no plan with it here finishes within "
            f"{hours_text(deadline)}{limits}"
        )
        path = tuple(s for s in outcome.critical_path if s != step)
        return Verdict("deadline", text, steps=path, solved=True)
    budget = pinned.budget_usd_per_month
    if budget is not None and _feasible(
        judge, dataclasses.replace(pinned, budget_usd_per_month=None)
    ):
        text = (
            f"over the budget: every plan with it here that meets the other limits costs "
            f"more than {usd(budget)}/month"
        )
        return Verdict("budget", text, solved=True)
    text = "no plan with it here meets the pool limits, deadline and budget together"
    return Verdict("infeasible", text, steps=named, solved=True)


def _feasible(judge: Judge, space: Space) -> bool:
    """Whether a relaxed space has a plan (within the plan's own time limit: the verdict
    is already being settled, it is not cut short)."""
    judge.solves += 1
    return judge.resolve(space, None)[0] is not None


def _bounded(judge: Judge, step: str, option: Option, delta: float, alone: Alone) -> Verdict:
    """The bounds as they are, when the re-solve time is spent: moving the step alone
    bounds the difference from above (when feasible), the plan's optimality and the other
    steps' cheapest options from below."""
    chosen = judge.option(step)
    low = max(-judge.gap_usd, delta - _others_slack(judge, step, chosen))
    if alone.feasible and delta < -max(TIE_USD, judge.gap_usd):
        return Verdict("gap", _cheaper(delta, (), False).text, low, delta)
    at_least = f"at least {usd(low)}/run dearer" if low > TIE_USD else "no cheaper than the plan"
    if alone.feasible:
        text = (
            f"dearer by at most {usd(delta)}/run: moving only it costs that much more; the "
            f"room it leaves in {chosen.pool} may let other steps win part of it back "
            f"({at_least}; not re-solved)"
        )
        return Verdict("dearer", text, low, delta)
    text = (
        f"with only it moved, {alone.broken} unless other steps move; a plan with it here, "
        f"if one exists, is {at_least} (not re-solved)"
    )
    return Verdict("coupled", text, low, None, alone.steps)
