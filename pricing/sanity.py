"""Sanity rules every shipped price must pass (tools/snapshot applies them; a test re-checks
the shipped snapshot so a refresh cannot bring a bad row back).

1. A spot price is not above the on-demand price of the same offer.
2. An on-demand price is within 1.5x of the median of the same type over the regions of its
   continent (where the type is sold in at least three of them).
3. An accelerator type is not cheaper than a CPU-only type of the same cloud and region
   with its vCPUs and memory (at least, and at most 25% more): a GPU never makes a machine
   cheaper than its host.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pricing._model import Location, Offer

MEDIAN_FACTOR = 1.5
MIN_REGIONS_FOR_MEDIAN = 3


@dataclass(frozen=True)
class Violation:
    """One offer that breaks a rule: which, and the figures that show it."""

    offer: Offer
    rule: str  # "spot-above-on-demand" | "off-continent-median" | "gpu-cheaper-than-host"
    detail: str


def violations(offers: Sequence[Offer]) -> list[Violation]:
    """Every rule broken by ``offers`` (one cloud or several)."""
    return [*spot_above_on_demand(offers), *off_median(offers), *gpu_below_host(offers)]


def spot_above_on_demand(offers: Iterable[Offer]) -> list[Violation]:
    return [
        Violation(o, "spot-above-on-demand", f"spot {o.spot_usd_per_hour} > {o.usd_per_hour}")
        for o in offers
        if o.spot_usd_per_hour is not None
        and o.usd_per_hour is not None
        and o.spot_usd_per_hour > o.usd_per_hour
    ]


def continent_medians(offers: Iterable[Offer]) -> dict[tuple[str, str, str], float]:
    """(cloud, continent, type) -> median on-demand price, where >= 3 regions sell it."""
    from pricing.egress import continent

    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    places: dict[tuple[str, str], str | None] = {}
    for o in offers:
        if o.usd_per_hour is None:
            continue
        key = (o.cloud, o.region)
        if key not in places:
            try:
                places[key] = continent(Location(o.cloud, o.region))
            except Exception:  # a region with no continent: not compared
                places[key] = None
        place = places[key]
        if place:
            groups[(o.cloud, place, o.instance_type)].append(o.usd_per_hour)
    return {
        key: statistics.median(prices)
        for key, prices in groups.items()
        if len(prices) >= MIN_REGIONS_FOR_MEDIAN
    }


def off_median(offers: Sequence[Offer]) -> list[Violation]:
    from pricing.egress import continent

    medians = continent_medians(offers)
    found = []
    for o in offers:
        if o.usd_per_hour is None:
            continue
        try:
            key = (o.cloud, continent(Location(o.cloud, o.region)), o.instance_type)
        except Exception:
            continue
        median = medians.get(key)
        if median and not median / MEDIAN_FACTOR <= o.usd_per_hour <= median * MEDIAN_FACTOR:
            ratio = o.usd_per_hour / median
            detail = f"{ratio:.2f}x the {key[1]} median {median:.5g}"
            found.append(Violation(o, "off-continent-median", detail))
    return found


def gpu_below_host(offers: Sequence[Offer]) -> list[Violation]:
    by_region: dict[tuple[str, str], list[Offer]] = defaultdict(list)
    for o in offers:
        if not o.gpu_count and o.usd_per_hour is not None:
            by_region[(o.cloud, o.region)].append(o)
    found = []
    for o in offers:
        if not o.gpu_count or o.usd_per_hour is None:
            continue
        hosts = [
            h.usd_per_hour
            for h in by_region.get((o.cloud, o.region), ())
            if h.usd_per_hour is not None
            if o.vcpus <= h.vcpus <= 1.25 * o.vcpus
            and o.memory_gib <= h.memory_gib <= 1.25 * o.memory_gib
        ]
        price = o.usd_per_hour
        if hosts and price < min(hosts):
            found.append(Violation(o, "gpu-cheaper-than-host", f"{price} < CPU-only {min(hosts)}"))
    return found
