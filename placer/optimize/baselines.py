"""Reference placements every plan is compared with.

- ``as_written``: each step where its decorators send it today. A pool matches a step's
  node selector (``compute_pool`` included) when no selector label contradicts the pool's
  known labels (its selector and ``topology.kubernetes.io/region``) and at least one agrees;
  the first such pool in config order wins. Steps without a selector run in the datastore's
  region (the first pool there, on-demand first).
- ``greedy``: each step in the pool where its *compute* is cheapest (egress and capacity
  ignored, as a person reading a price list would), then repaired one move at a time.

The repair rule (:func:`greedy`): while the placement breaks a constraint, move one step
to another of its eligible pools, choosing the move with the least key

    (overshoot after the move, compute USD after it, suspect rank, option rank)

where the overshoot is :func:`evaluate`'s ``excess`` (steps without a pool, plus each
broken limit's relative overshoot: pool peaks, deadline, budget) and both sums are rounded
to 1e-9 (float sums of the same amounts in another order differ in the last bits, which
must not decide a tie). Only moves that lower the rounded overshoot count; the repair stops
when the placement is feasible, when no move helps, or after 4 moves per step. The
*suspects*, in rank order: every step when over budget; else the critical path when late,
then the steps of each over-limit heaviest antichain (pool by pool). An option's rank is
its place in ``space.options[step]``. tests/test_optimize_baselines.py checks the moves
against that rule spelled out with :func:`evaluate`.

How: placer/optimize/_repair.py keeps the placement's pool peaks, longest paths and cost
between moves, scores a move from what it changes and searches for the best one from
lower bounds up (its five speed-ups are named and measured there): 500 steps x 50 pools
with tight limits take about 0.15 s where scoring every move with :func:`evaluate` took
17-23 s, 2000 steps 0.5-1.3 s (docs/benchmarks.md, "greedy baseline").
"""

from __future__ import annotations

from collections.abc import Mapping

from placer.config import Pool
from placer.flow import Flow
from placer.labels import COMPUTE_POOL_LABEL
from placer.optimize._repair import Repair
from placer.optimize.evaluate import evaluate
from placer.optimize.space import BATCH_POOL, Space
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
    here = [
        p
        for p in pools.values()
        if Location(p.cloud, p.region) == datastore and p.source != BATCH_POOL
    ]
    here.sort(key=lambda p: p.capacity_type != "on-demand")
    return here[0].name if here else None


def as_written(space: Space, flow: Flow, datastore: Location) -> tuple[dict[str, str], str]:
    """Where the flow's decorators send each step today, and a note on guesses made."""
    out, notes = {}, []
    home = datastore_pool(space.pools, datastore)
    for name, step in flow.steps.items():
        if any(o.pool == BATCH_POOL for o in space.options.get(name, ())):
            out[name] = BATCH_POOL  # kept on AWS Batch: where the flow sends it
            continue
        selector = dict(step.placement.node_selector)
        if step.placement.compute_pool:
            selector[COMPUTE_POOL_LABEL] = step.placement.compute_pool
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
        s: min(opts, key=lambda o: (o.compute_usd, o.key)).key
        for s, opts in space.options.items()
        if opts
    }


def greedy(space: Space, max_moves: int | None = None) -> tuple[dict[str, str], str]:
    """Cheapest compute per step, then repaired one move at a time (module docstring); the
    placement and a note on the repair."""
    repair = Repair(space, cheapest_compute(space))
    limit = 4 * len(space.steps) if max_moves is None else max_moves
    moves = 0
    while repair.excess > 0 and moves < limit:
        move = repair.best_move()
        if move is None:
            break
        repair.move(move)
        moves += 1
    note = f"repaired with {moves} move(s)" if moves else ""
    if repair.excess > 0:
        first = evaluate(space, repair.placement).violations[0]
        note = f"repair failed after {moves} move(s): {first}"
    return repair.placement, note
