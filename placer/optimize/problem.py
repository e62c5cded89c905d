"""The placement ILP as a pulp model whose names speak the domain.

Variables: ``assign[step,pool]`` (binary, eligible pairs only; ``assign[step,pool:type]``
for the faster hardware a pool also offers a step, see offers.choose_fits), ``start[step]`` and
``makespan`` (hours, only with a deadline or the time objective), and per capped
``(pool, resource)`` a flow ``flow[pool,resource,u,v]`` along the DAG's edges.
Constraints: ``one[step]`` (each step in exactly one pool), ``cap[pool,resource]``,
``through[pool,resource,step]`` / ``keep[pool,resource,step]`` (flow conservation),
``after[u,v]`` and ``finish[step]`` (critical path), ``budget``.

Capacity: the peak concurrent demand on a pool is the heaviest set of steps no two of
which are ordered by the DAG (an antichain, see antichain.py); there are exponentially many.
Two exact ways to state "every antichain's load <= cap":

- ``capacity="cuts"`` (default): seed every cap with one ``cut[pool,resource,k]`` per depth
  level (steps at equal longest-path depth are an antichain) whose candidates could overfill
  it. After each solve (solve.py), find the heaviest antichain of every capped pool for the
  solution (a max flow) and, where it breaks the cap, add a cut over that antichain widened
  by every candidate unordered with it. A cap broken ``FLOW_AFTER`` times gets the flow
  formulation below instead. Repeat until the solution respects every cap: then it is
  optimal for the whole problem.
- ``capacity="flow"``: one model, no rounds. By Dilworth (min-flow form) the peak is <= cap
  iff a source-to-sink flow of value <= cap passes at least ``load x assign`` through every
  step: one continuous variable per edge per capped (pool, resource). As strong as all the
  cuts together, but stating it for every pool makes large models slow.

Pools whose potential load (every eligible step placed there) stays under the cap get no
capacity rows at all.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from placer.optimize.antichain import peak
from placer.optimize.evaluate import topological
from placer.optimize.space import Space

if TYPE_CHECKING:
    import pulp

Objective = Literal["cost", "time"]


@dataclass(frozen=True)
class Problem:
    """A built model plus handles on its domain variables."""

    space: Space
    model: pulp.LpProblem
    assign: dict[tuple[str, str], pulp.LpVariable]
    cost: pulp.LpAffineExpression  # USD per run
    makespan: pulp.LpVariable | None
    objective: Objective
    cuts: list[str] = field(default_factory=list)  # names of capacity cuts added so far
    flows: list[str] = field(default_factory=list)  # "pool,resource" stated as flows
    order: dict = field(default_factory=dict)  # reachability bitsets, built on first use
    loads: dict = field(default_factory=dict)  # potential_loads(space), built on first use

    def potential_loads(self) -> dict[tuple[str, str], dict[str, float]]:
        """:func:`potential_loads` of the space, computed once per problem."""
        if not self.loads:
            self.loads.update(potential_loads(self.space))
        return self.loads


def build_problem(
    space: Space,
    objective: Objective = "cost",
    makespan_limit: float | None = None,
    capacity: Literal["cuts", "flow"] = "cuts",
) -> Problem:
    """The ILP of `space`: minimise cost per run, or the makespan for objective "time"."""
    import pulp

    sense = pulp.LpMinimize
    model = pulp.LpProblem("placement", sense)
    assign = _assign(space, model)
    cost = pulp.LpAffineExpression(
        [(assign[o.step, o.key], o.total_usd) for opts in space.options.values() for o in opts]
    )
    problem = Problem(space, model, assign, cost, None, objective)
    if capacity == "flow":
        _capacity(space, model, assign)
    else:
        _seed_cuts(problem)
    limit = _min_limit(space.deadline_hours, makespan_limit)
    makespan = None
    if limit is not None or objective == "time":
        makespan = _critical_path(space, model, assign, limit)
    if space.budget_usd_per_month is not None:
        model += cost * space.runs_per_month <= space.budget_usd_per_month, "budget"
    if objective == "time" and makespan is not None:
        model.setObjective(pulp.LpAffineExpression([(makespan, 1.0)]))
    else:
        model.setObjective(cost)
    return dataclasses.replace(problem, makespan=makespan)


def new_var(
    model: pulp.LpProblem,
    name: str,
    low: float | None = None,
    up: float | None = None,
    cat: str = "Continuous",
) -> pulp.LpVariable:
    """A variable owned by `model` (pulp 3.3+), else a free-standing one (older pulp)."""
    import pulp

    if hasattr(model, "add_variable"):
        return model.add_variable(name, low, up, cat)
    return pulp.LpVariable(name, low, up, cat)


def _min_limit(*limits: float | None) -> float | None:
    given = [v for v in limits if v is not None]
    return min(given) if given else None


def _assign(space: Space, model: pulp.LpProblem) -> dict[tuple[str, str], pulp.LpVariable]:
    import pulp

    assign = {}
    for step in space.steps:
        row = []
        for o in space.options[step]:
            var = new_var(model, f"assign[{step},{o.key}]", 0, 1, pulp.LpBinary)
            assign[step, o.key] = var
            row.append((var, 1.0))
        model += pulp.LpAffineExpression(row) == 1, f"one[{step}]"
    return assign


def potential_loads(space: Space) -> dict[tuple[str, str], dict[str, float]]:
    """Per capped (pool, resource): the load of every step that may go there (the most of
    its options there, when the pool offers it several hardware)."""
    out: dict[tuple[str, str], dict[str, float]] = {
        (pool, resource): {} for pool, caps in space.caps.items() for resource in caps
    }
    for s in space.steps:
        for o in space.options[s]:
            for resource in space.caps.get(o.pool, ()):
                if o.load[resource] > 0:
                    loads = out[o.pool, resource]
                    loads[s] = max(loads.get(s, 0.0), o.load[resource])
    return out


def placed_load(space: Space, assign: dict, step: str, pool: str, resource: str) -> list:
    """``(assign variable, load)`` of each of the step's options in `pool` (one per hardware
    the pool offers it): their sum is the step's load there."""
    return [
        (assign[step, o.key], o.load[resource])
        for o in space.options[step]
        if o.pool == pool and o.load[resource] > 0
    ]


def _capacity(space: Space, model: pulp.LpProblem, assign: dict) -> None:
    """Per capped (pool, resource): a flow that covers the placed load (module docstring)."""
    for (pool, resource), load in potential_loads(space).items():
        cap = space.caps[pool][resource]
        if binding(space, load, cap):
            _cover_flow(space, model, assign, pool, resource, cap, load)


def binding(space: Space, load: dict[str, float], cap: float) -> bool:
    """Whether a cap can bind: the peak with every eligible step placed there exceeds it."""
    if sum(load.values()) <= cap + 1e-9:
        return False
    return peak(space.steps, space.edges, load) > cap + 1e-9


def depth_levels(space: Space) -> list[tuple[str, ...]]:
    """Steps grouped by longest-path depth: each group is an antichain (nothing in a group
    can reach another member, whose depth would then be larger)."""
    parents: dict[str, list[str]] = defaultdict(list)
    for u, v in space.edges:
        parents[v].append(u)
    depth: dict[str, int] = {}
    for s in topological(space.steps, space.edges):
        depth[s] = 1 + max((depth[p] for p in parents[s]), default=-1)
    levels: dict[int, list[str]] = defaultdict(list)
    for s, d in depth.items():
        levels[d].append(s)
    return [tuple(levels[d]) for d in sorted(levels)]


def _seed_cuts(problem: Problem) -> None:
    """Start every cap with a cut per depth level whose candidates could overfill it."""
    space = problem.space
    levels = depth_levels(space)
    for (pool, resource), load in problem.potential_loads().items():
        cap = space.caps[pool][resource]
        if sum(load.values()) <= cap + 1e-9:
            continue
        for level in levels:
            if sum(load.get(s, 0.0) for s in level) > cap + 1e-9:
                add_cut(problem, pool, resource, level)


def _cover_flow(
    space: Space,
    model: pulp.LpProblem,
    assign: dict,
    pool: str,
    resource: str,
    cap: float,
    load: dict[str, float],
) -> None:
    import pulp

    tag = f"{pool},{resource}"
    inflow, outflow = defaultdict(list), defaultdict(list)
    has_parent = {v for _, v in space.edges}
    has_child = {u for u, _ in space.edges}
    sources = []
    for u, v in space.edges:
        f = new_var(model, f"flow[{tag},{u},{v}]", 0)
        outflow[u].append((f, 1.0))
        inflow[v].append((f, 1.0))
    for s in space.steps:
        if s not in has_parent:
            f = new_var(model, f"flow[{tag},source,{s}]", 0)
            inflow[s].append((f, 1.0))
            sources.append((f, 1.0))
        if s not in has_child:
            outflow[s].append((new_var(model, f"flow[{tag},{s},sink]", 0), 1.0))
    for s in space.steps:
        balance = inflow[s] + [(f, -c) for f, c in outflow[s]]
        model += pulp.LpAffineExpression(balance) == 0, f"keep[{tag},{s}]"
        if s in load:
            need = inflow[s] + [(x, -w) for x, w in placed_load(space, assign, s, pool, resource)]
            model += pulp.LpAffineExpression(need) >= 0, f"through[{tag},{s}]"
    model += pulp.LpAffineExpression(sources) <= cap, f"cap[{tag}]"


def _critical_path(
    space: Space, model: pulp.LpProblem, assign: dict, limit: float | None
) -> pulp.LpVariable:
    """start[v] >= start[u] + duration[u] on every edge; makespan >= every finish."""
    import pulp

    start = {s: new_var(model, f"start[{s}]", 0) for s in space.steps}
    makespan = new_var(model, "makespan", 0, limit)
    duration = {
        s: [(assign[s, o.key], o.wall_hours) for o in space.options[s]] for s in space.steps
    }
    has_child = set()
    for u, v in space.edges:
        has_child.add(u)
        row = [(start[v], 1.0), (start[u], -1.0)] + [(x, -h) for x, h in duration[u]]
        model += pulp.LpAffineExpression(row) >= 0, f"after[{u},{v}]"
    for s in space.steps:
        if s not in has_child:
            row = [(makespan, 1.0), (start[s], -1.0)] + [(x, -h) for x, h in duration[s]]
            model += pulp.LpAffineExpression(row) >= 0, f"finish[{s}]"
    return makespan


def reachability(space: Space) -> dict[str, int]:
    """Per step, a bitset of the steps it is ordered with (ancestors, descendants, itself)."""
    bit = {s: 1 << i for i, s in enumerate(space.steps)}
    children: dict[str, list[str]] = defaultdict(list)
    for u, v in space.edges:
        children[u].append(v)
    order = topological(space.steps, space.edges)
    down = {s: bit[s] for s in space.steps}
    for s in reversed(order):
        for c in children[s]:
            down[s] |= down[c]
    related = dict(down)
    for s in space.steps:
        rest = down[s] & ~bit[s]
        while rest:
            low = rest & -rest
            related[space.steps[low.bit_length() - 1]] |= bit[s]
            rest ^= low
    return related


def widen(problem: Problem, pool: str, resource: str, steps: tuple[str, ...]) -> tuple[str, ...]:
    """Grow an antichain with every candidate of the pool that is unordered with all of it,
    heaviest first: the cut then also covers the steps that could take the freed room."""
    if not problem.order:
        problem.order.update(reachability(problem.space))
    related = problem.order
    index = {s: i for i, s in enumerate(problem.space.steps)}
    members = 0
    for s in steps:
        members |= 1 << index[s]
    out = list(steps)
    load = problem.potential_loads()[pool, resource]
    for s in sorted(load, key=lambda s: -load[s]):
        if s not in steps and not related[s] & members:
            members |= 1 << index[s]
            out.append(s)
    return tuple(out)


def add_cut(problem: Problem, pool: str, resource: str, steps: tuple[str, ...]) -> str:
    """Add ``sum(load x assign) <= cap`` over steps that can all run at once; its name."""
    import pulp

    space = problem.space
    row = []
    for s in steps:
        row += placed_load(space, problem.assign, s, pool, resource)
    name = f"cut[{pool},{resource},{len(problem.cuts)}]"
    problem.model.addConstraint(pulp.LpAffineExpression(row) <= space.caps[pool][resource], name)
    problem.cuts.append(name)
    return name


def add_flow(problem: Problem, pool: str, resource: str) -> None:
    """State one cap exactly with the flow formulation (for caps that keep being cut);
    a cap already stated so is left alone."""
    if f"{pool},{resource}" in problem.flows:
        return
    load = problem.potential_loads()[pool, resource]
    cap = problem.space.caps[pool][resource]
    _cover_flow(problem.space, problem.model, problem.assign, pool, resource, cap, load)
    problem.flows.append(f"{pool},{resource}")
