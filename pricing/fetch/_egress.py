"""Fold fetched egress rates into a cloud's egress table (the previous one, or a new one).

Fetchers see only part of the picture (the regions asked for, the meters a cloud
publishes), so a refreshed table starts from the previous table and replaces what was
fetched: internet tiers per source region, within/between-continent rates per source
continent, AWS region-pair rates and the cross-zone rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from pricing._store import EgressTable, Tier
from pricing.fetch._result import EgressRate

Continent = Callable[[str], str | None]
"""region -> continent code ("na", "eu", "apac", ...) for one cloud; None if unknown."""


def merge_egress(
    cloud: str,
    previous: EgressTable | None,
    rates: Sequence[EgressRate],
    continent: Continent,
    captured_at: str,
    sources: Iterable[str],
) -> EgressTable | None:
    """The previous table with the fetched ``rates`` laid over it.

    Without a previous table the fetched rates must cover the "*" fallbacks themselves
    (the dearest fetched value is used). With no rates at all, None: the previous table
    stays as it is, with its own date, instead of being re-dated to ``captured_at``.
    """
    if not rates:
        return None
    internet = dict(previous.internet_tiers) if previous else {}
    internet.update(_internet_tiers(rates))
    within = dict(previous.within_continent_usd_per_gb) if previous else {}
    within.update(_by_continent(rates, "within-continent", continent))
    between = dict(previous.between_continents_usd_per_gb) if previous else {}
    between.update(_by_continent(rates, "between-continents", continent))
    pairs = dict(previous.region_pairs_usd_per_gb) if previous else {}
    pairs.update(
        {(r.region, r.dest_region): r.usd_per_gb for r in rates if r.dest_region and _is_pair(r)}
    )
    cross_zone = [r.usd_per_gb for r in rates if r.kind == "cross-zone"]
    _fill_fallbacks(internet, within, between, pairs)
    if "*" not in internet:
        return None  # nothing to fall back on for unlisted regions: keep the old table
    return EgressTable(
        cloud=cloud,
        captured_at=captured_at,
        sources=tuple(dict.fromkeys([*sources, *(previous.sources if previous else ())])),
        internet_tiers=internet,
        within_continent_usd_per_gb=within,
        between_continents_usd_per_gb=between,
        cross_zone_usd_per_gb=(
            max(cross_zone) if cross_zone else (previous.cross_zone_usd_per_gb if previous else 0.0)
        ),
        region_pairs_usd_per_gb=pairs,
    )


def _is_pair(rate: EgressRate) -> bool:
    return rate.kind == "inter-region" and rate.dest_region is not None


def _internet_tiers(rates: Sequence[EgressRate]) -> dict[str, tuple[Tier, ...]]:
    """Per source region, tiers rising from 0 (a schedule not starting at 0 is dropped)."""
    by_region: dict[str, dict[float, float]] = {}
    for rate in rates:
        if rate.kind == "internet":
            starts = by_region.setdefault(rate.region, {})
            starts[rate.start_gb] = max(rate.usd_per_gb, starts.get(rate.start_gb, 0.0))
    tiers = {}
    for region, starts in by_region.items():
        schedule = tuple(Tier(start, usd) for start, usd in sorted(starts.items()))
        if schedule and schedule[0].start_gb == 0:
            tiers[region] = schedule
    return tiers


def _by_continent(rates: Sequence[EgressRate], kind: str, continent: Continent) -> dict[str, float]:
    """The dearest first-tier rate of ``kind`` per source continent (unknown ones skipped)."""
    result: dict[str, float] = {}
    for rate in rates:
        key = continent(rate.region) if rate.kind == kind and rate.start_gb == 0 else None
        if key is not None:
            result[key] = max(rate.usd_per_gb, result.get(key, 0.0))
    return result


def _fill_fallbacks(
    internet: dict[str, tuple[Tier, ...]],
    within: dict[str, float],
    between: dict[str, float],
    pairs: dict[tuple[str, str], float],
) -> None:
    """Give a table built from scratch the "*" entries the format requires (dearest known)."""
    if "*" not in internet and internet:
        internet["*"] = max(internet.values(), key=lambda tiers: max(t.usd_per_gb for t in tiers))
    pair_rates = list(pairs.values())
    if "*" not in within:
        within["*"] = max([*within.values(), *pair_rates], default=0.0)
    if "*" not in between:
        between["*"] = max([*between.values(), *pair_rates], default=0.0)
