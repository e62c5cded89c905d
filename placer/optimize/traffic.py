"""Data that crosses regions along the DAG's edges, for pictures of a plan.

Metaflow moves artifacts through the datastore, so an edge ``u -> v`` carries data from
one region to another when the two steps run in different regions: ``v`` reads its input
from the datastore (across regions when ``v`` is away from it), or ``u`` wrote its output
there from away. The edge is labelled with that volume per run and what moving it costs
(the same tiered prices as the plan's egress); a step's input is split evenly among its
incoming edges (a join reads every parent's artifacts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from placer.config import Config
from placer.flow import Flow
from placer.optimize.demand import Demand, demands
from placer.optimize.egress import route_usd_per_run
from placer.optimize.space import Market
from pricing import Location


@dataclass(frozen=True)
class Traffic:
    """GB per run an edge moves between regions, and its cost per run."""

    gb: float
    usd: float


def edge_traffic(
    flow: Flow, config: Config, market: Market, pools: Mapping[str, str]
) -> dict[tuple[str, str], Traffic]:
    """Per edge between steps placed in different regions (`pools`: step -> pool name),
    the data it moves across regions per run and the cost."""
    per_step = demands(flow, config)
    where = {p.name: Location(p.cloud, p.region) for p in config.pools}
    out = {}
    for child in flow.steps:
        ups = flow.parents(child)
        for parent in ups:
            src, dst = where[pools[parent]], where[pools[child]]
            if src == dst:
                continue
            moved = _moved(per_step[parent], per_step[child], src, dst, len(ups), config)
            if moved is not None:
                out[parent, child] = _priced(moved, config, market)
    return out


def _moved(
    parent: Demand, child: Demand, src: Location, dst: Location, fan_in: int, config: Config
) -> tuple[float, Location, Location] | None:
    """(GB, from, to): the child's share of its input when it reads across regions, else
    the parent's output when it writes across regions; None when neither does."""
    store = config.datastore
    if dst != store:
        return child.tasks * child.input_gb / fan_in, store, dst
    if src != store:
        return parent.tasks * parent.output_gb, src, store
    return None


def _priced(moved: tuple[float, Location, Location], config: Config, market: Market) -> Traffic:
    gb, src, dst = moved
    return Traffic(gb, route_usd_per_run(gb, src, dst, config.runs_per_month, market.transfer_cost))
