"""Price and check one placement (step -> pool) against a Space, without a solver.

The baselines are scored with it, and the tests use it as the independent judge of the
ILP's answers.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from placer.money import usd
from placer.optimize.antichain import heaviest_antichain, peak_bound
from placer.optimize.space import Option, Space

EPS = 1e-6


@dataclass(frozen=True)
class Outcome:
    """What a placement costs per run, how long it takes, and which constraints it breaks."""

    compute_usd: float
    egress_usd: float
    makespan_hours: float
    critical_path: tuple[str, ...]
    violations: tuple[str, ...]
    excess: float = 0.0  # sum of relative overshoots (how far from feasible), for repairs

    @property
    def total_usd(self) -> float:
        return self.compute_usd + self.egress_usd

    @property
    def feasible(self) -> bool:
        return not self.violations


def topological(steps: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """Steps in an order where every step follows its parents (stable: source order)."""
    order = list(steps)
    children, indegree = defaultdict(list), {s: 0 for s in order}
    for u, v in edges:
        children[u].append(v)
        indegree[v] += 1
    queue, out = deque(s for s in order if indegree[s] == 0), []
    while queue:
        u = queue.popleft()
        out.append(u)
        for v in children[u]:
            indegree[v] -= 1
            if indegree[v] == 0:
                queue.append(v)
    return out


def longest_path(
    steps: Iterable[str], edges: Iterable[tuple[str, str]], hours: Mapping[str, float]
) -> tuple[float, tuple[str, ...]]:
    """The critical path's length and steps, given each step's elapsed hours."""
    edges = list(edges)
    parents = defaultdict(list)
    for u, v in edges:
        parents[v].append(u)
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for s in topological(steps, edges):
        before = max(parents[s], key=lambda p: finish[p], default=None)
        finish[s] = (finish[before] if before else 0.0) + hours[s]
        via[s] = before
    if not finish:
        return 0.0, ()
    end = max(finish, key=lambda s: finish[s])
    path: list[str] = []
    last: str | None = end
    while last is not None:
        path.append(last)
        last = via[last]
    return finish[end], tuple(reversed(path))


def depths(steps: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Per step, its longest-path depth in edges (in topological order): two steps at the
    same depth are never ordered."""
    edges = list(edges)
    parents = defaultdict(list)
    for u, v in edges:
        parents[v].append(u)
    depth: dict[str, int] = {}
    for s in topological(steps, edges):
        depth[s] = 1 + max((depth[p] for p in parents[s]), default=-1)
    return depth


def chosen(space: Space, assignment: Mapping[str, str]) -> tuple[dict[str, Option], list[str]]:
    """The option of each step, and a violation for each step without an eligible one."""
    options, problems = {}, []
    for step in space.steps:
        pool = assignment.get(step)
        option = space.option(step, pool) if pool else None
        if option is None:
            reasons = dict(space.excluded.get(step, ()))
            why = reasons.get(pool or "", "not a known pool")
            problems.append(f"{step}: cannot run in {pool} ({why})")
        else:
            options[step] = option
    return options, problems


def capacity_violations(space: Space, options: Mapping[str, Option]) -> tuple[list[str], float]:
    """Pools whose limits the concurrent demand of the placement exceeds, and by how much."""
    problems, excess = [], 0.0
    for pool, caps in space.caps.items():
        for resource, cap in caps.items():
            weight = {s: o.load[resource] for s, o in options.items() if o.pool == pool}
            if _surely_within(space, weight, cap):
                continue
            top, steps = heaviest_antichain(space.steps, space.edges, weight)
            if top > cap + EPS:
                excess += (top - cap) / cap if cap else 1.0
                problems.append(
                    f"capacity: {_some(steps)} can need {top:g} {resource} at once in "
                    f"{pool} (limit {cap:g})"
                )
    return problems, excess


def _surely_within(space: Space, weight: Mapping[str, float], cap: float) -> bool:
    """Cheap upper bounds first (the total, then a greedy chain flow) before a max flow."""
    if sum(weight.values()) <= cap + EPS:
        return True
    return peak_bound(space.steps, space.edges, weight) <= cap + EPS


def _some(steps: tuple[str, ...], shown: int = 6) -> str:
    """Up to `shown` step names, and how many more: a violation stays one readable line."""
    if len(steps) <= shown:
        return ", ".join(steps)
    return f"{', '.join(steps[:shown])} and {len(steps) - shown} more steps"


def violated_antichains(space: Space, assignment: dict[str, str]) -> list[tuple[str, str, tuple]]:
    """(pool, resource, steps) for every cap the placement's peak demand breaks."""
    found = []
    for pool, caps in space.caps.items():
        for resource, cap in caps.items():
            weight = {}
            for step, where in assignment.items():
                option = space.option(step, where)
                if option is not None and option.pool == pool:
                    weight[step] = option.load[resource]
            if _surely_within(space, weight, cap):
                continue
            value, steps = heaviest_antichain(space.steps, space.edges, weight)
            if value > cap + 1e-6:
                found.append((pool, resource, steps))
    return found


def evaluate(space: Space, assignment: Mapping[str, str]) -> Outcome:
    """Cost, makespan and every broken constraint of a placement."""
    options, problems = chosen(space, assignment)
    compute = sum(o.compute_usd for o in options.values())
    egress = sum(o.egress_usd for o in options.values())
    hours = {s: (options[s].wall_hours if s in options else 0.0) for s in space.steps}
    makespan, path = longest_path(space.steps, space.edges, hours)
    excess = float(len(problems))
    over_cap, cap_excess = capacity_violations(space, options)
    problems += over_cap
    excess += cap_excess
    deadline = space.deadline_hours
    if deadline is not None and makespan > deadline + EPS:
        problems.append(f"deadline: {makespan:.4g} h > {deadline:g} h")
        excess += (makespan - deadline) / deadline if deadline else 1.0
    monthly = (compute + egress) * space.runs_per_month
    budget = space.budget_usd_per_month
    if budget is not None and monthly > budget + EPS:
        problems.append(f"budget: {usd(monthly)}/month > ${budget:g}")
        excess += (monthly - budget) / budget if budget else 1.0
    return Outcome(compute, egress, makespan, path, tuple(problems), excess)
