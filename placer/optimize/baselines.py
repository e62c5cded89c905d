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
"""

from __future__ import annotations

from collections.abc import Mapping

from placer.flow import Flow
from placer.optimize.antichain import peak
from placer.optimize.evaluate import EPS, Outcome, evaluate, longest_path, violated_antichains
from placer.optimize.space import Space
from placer.pool import Pool
from pricing import Location

REGION_LABEL = "topology.kubernetes.io/region"


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
    placement = cheapest_compute(space)
    outcome = evaluate(space, placement)
    moves = 0
    limit = max_moves if max_moves is not None else 4 * len(space.steps)
    while not outcome.feasible and moves < limit:
        best = _best_move(space, placement, outcome)
        if best is None:
            break
        step, pool, outcome = best
        placement[step] = pool
        moves += 1
    note = f"repaired with {moves} move(s)" if moves else ""
    if not outcome.feasible:
        note = f"repair failed after {moves} move(s): {outcome.violations[0]}"
    return placement, note


def _suspects(space: Space, placement: dict[str, str], outcome: Outcome) -> list[str]:
    """Steps whose move could help: on the critical path, in an over-cap antichain, or all."""
    if any(v.startswith("budget") for v in outcome.violations):
        return list(space.steps)
    found: dict[str, None] = {}
    if any(v.startswith("deadline") for v in outcome.violations):
        found.update(dict.fromkeys(outcome.critical_path))
    for _, _, steps in violated_antichains(space, placement):
        found.update(dict.fromkeys(steps))
    return list(found)


def _best_move(space: Space, placement: dict[str, str], outcome: Outcome):
    """The single-step move that most reduces the overshoot (cheapest compute on ties).

    A move changes the load of two pools only: the pool a step leaves is re-measured once per
    step, the pool it would join once per trial, the others are reused (scoring every trial
    with :func:`evaluate` measured every pool each time: 10 s at 100 steps with binding
    limits). The chosen move is then scored by :func:`evaluate` itself.
    """
    best, excess = None, outcome.excess
    options = {(o.step, o.pool): o for opts in space.options.values() for o in opts}
    by_pool = {pool: _cap_excess(space, options, placement, pool) for pool in space.caps}
    for step in _suspects(space, placement, outcome):
        here = placement.get(step)
        rest = {s: p for s, p in placement.items() if s != step}
        left = {here: _cap_excess(space, options, rest, here)} if here in by_pool else {}
        for option in space.options[step]:
            if option.pool == here:
                continue
            trial = {**placement, step: option.pool}
            caps = {**by_pool, **left}
            if option.pool in caps:
                caps[option.pool] = _cap_excess(space, options, trial, option.pool)
            key = _score(space, options, trial, sum(caps.values()))
            if key[0] < excess - 1e-12 and (best is None or key < best[0]):
                best = (key, step, option.pool)
    if best is None:
        return None
    _, step, pool = best
    return step, pool, evaluate(space, {**placement, step: pool})


def _cap_excess(space: Space, options: dict, placement: Mapping[str, str], pool: str) -> float:
    """The pool's relative overshoot of its limits under the placement (as evaluate sums it)."""
    total = 0.0
    for resource, cap in space.caps.get(pool, {}).items():
        weight = {}
        for step, where in placement.items():
            option = options.get((step, where)) if where == pool else None
            if option is not None:
                weight[step] = option.load[resource]
        if sum(weight.values()) <= cap + EPS:
            continue
        top = peak(space.steps, space.edges, weight)
        if top > cap + EPS:
            total += (top - cap) / cap if cap else 1.0
    return total


def _score(
    space: Space, options: dict, trial: Mapping[str, str], cap_excess: float
) -> tuple[float, float]:
    """(overshoot, compute USD) of a trial placement whose limits' overshoot is known."""
    chosen = {s: options.get((s, trial.get(s))) for s in space.steps}
    excess = float(sum(1 for o in chosen.values() if o is None)) + cap_excess
    hours = {s: (o.wall_hours if o else 0.0) for s, o in chosen.items()}
    makespan = longest_path(space.steps, space.edges, hours)[0]
    deadline = space.deadline_hours
    if deadline is not None and makespan > deadline + EPS:
        excess += (makespan - deadline) / deadline if deadline else 1.0
    compute = sum(o.compute_usd for o in chosen.values() if o)
    monthly = (compute + sum(o.egress_usd for o in chosen.values() if o)) * space.runs_per_month
    budget = space.budget_usd_per_month
    if budget is not None and monthly > budget + EPS:
        excess += (monthly - budget) / budget if budget else 1.0
    return excess, compute
