"""Data a step moves per run, what it costs, and how long it takes.

Metaflow artifacts travel through the datastore: a step in pool P reads its inputs from the
datastore D and writes its outputs back, so it pays ``input x rate(D -> P)`` plus
``output x rate(P -> D)``, plus its external reads ``size x rate(L -> P)``. Volumes on the
same route are added up first. Tiered prices are applied to the route's *monthly* volume
(per-run volume x runs_per_month) after the account's free allowance, which other traffic is
assumed to use up (:data:`FREE_ALLOWANCE_GB`); the month's cost is then divided by the runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from placer.optimize.demand import Demand
from pricing import Location

# Internet egress is free for the first 100 GB a month per account; a planner cannot know
# how much of that other workloads use, so it assumes all of it.
FREE_ALLOWANCE_GB = 100.0

# USD to move `gb` from `src` to `dst` in a month on top of `already_gb` moved before.
TransferCost = Callable[[float, Location, Location, float], float]


def default_transfer_cost() -> TransferCost:
    """The pricing catalog's tiered transfer cost (`pricing.egress.transfer_cost_usd`)."""
    from pricing.egress import transfer_cost_usd

    def cost(gb: float, src: Location, dst: Location, already_gb: float) -> float:
        return float(transfer_cost_usd(gb, src, dst, already_gb))

    return cost


def routes_gb_per_run(demand: Demand, where: Location, datastore: Location) -> dict:
    """GB per run on each (src, dst) route when the step runs at `where`; same place is 0."""
    routes: dict[tuple[Location, Location], float] = defaultdict(float)
    routes[(datastore, where)] += demand.input_gb * demand.tasks
    routes[(where, datastore)] += demand.output_gb * demand.tasks
    for read in demand.reads:
        routes[(read.location, where)] += read.size_gb * demand.tasks
    return {k: v for k, v in routes.items() if k[0] != k[1] and v > 0}


def egress_usd_per_run(
    demand: Demand,
    where: Location,
    datastore: Location,
    runs_per_month: float,
    transfer_cost: TransferCost,
) -> float:
    """The step's transfer cost per run at `where` (tiers on the monthly volume)."""
    total = 0.0
    for (src, dst), gb in routes_gb_per_run(demand, where, datastore).items():
        total += route_usd_per_run(gb, src, dst, runs_per_month, transfer_cost)
    return total


def route_usd_per_run(
    gb: float, src: Location, dst: Location, runs_per_month: float, transfer_cost: TransferCost
) -> float:
    """What moving `gb` per run from `src` to `dst` costs per run, the tiers applied to
    the monthly volume (one run a month when `runs_per_month` is not positive)."""
    runs = runs_per_month if runs_per_month > 0 else 1.0
    return transfer_cost(gb * runs, src, dst, FREE_ALLOWANCE_GB) / runs


def transfer_hours_per_task(
    demand: Demand,
    where: Location,
    datastore: Location,
    gbps: Callable[[Location, Location], float],
) -> float:
    """Hours one task spends moving data across regions, each route at its bandwidth
    (`gbps(src, dst)`, see Constraints.gbps); the transfers run one after another."""
    routes = [(datastore, where, demand.input_gb), (where, datastore, demand.output_gb)]
    routes += [(read.location, where, read.size_gb) for read in demand.reads]
    seconds = 0.0
    for src, dst, gb in routes:
        if src == dst or gb <= 0:
            continue
        rate = gbps(src, dst)
        if rate > 0:
            seconds += gb * 8.0 / rate
    return seconds / 3600.0
