"""What moving data costs: egress rates between (cloud, region) locations, tiers summed.

Rules (per the providers' list prices; see pricing/data/SOURCES.md):

* Ingress is free; so is traffic within one region (``cross_zone=True`` charges the
  cloud's cross-zone rate instead).
* Between two regions of one cloud: the per-pair rate if the table has one, else the
  source cloud's rate within a continent or between continents (keyed by source continent).
* To another cloud or the internet: the source cloud's internet egress rate, tiered by
  the cumulative volume of the month (first 100 GB free on AWS and Azure).

All rates are USD per decimal GB (GCP publishes per GiB; its tables are converted when
read). Tables come from the embedded snapshot or, when fresher, the refresh cache.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from placer.errors import PricingError
from pricing._model import CLOUDS, Location
from pricing._store import (
    EgressTable,
    Tier,
    cache_dir,
    egress_path,
    live_dir,
    load_egress,
    parse_time,
)

CONTINENTS: tuple[str, ...] = ("na", "eu", "apac", "sa", "me", "af")
SNAPSHOT_DIR = Path(__file__).parent / "data"

# Azure region names carry no continent prefix, so they are listed one by one.
_AZURE_CONTINENT = {
    **dict.fromkeys(
        "eastus eastus2 centralus northcentralus southcentralus westcentralus westus westus2 "
        "westus3 canadacentral canadaeast mexicocentral".split(),
        "na",
    ),
    **dict.fromkeys(
        "northeurope westeurope uksouth ukwest francecentral francesouth germanywestcentral "
        "germanynorth swedencentral swedensouth norwayeast norwaywest switzerlandnorth "
        "switzerlandwest polandcentral italynorth spaincentral austriaeast".split(),
        "eu",
    ),
    **dict.fromkeys(
        "japaneast japanwest koreacentral koreasouth southeastasia eastasia centralindia "
        "southindia westindia jioindiacentral jioindiawest australiaeast australiasoutheast "
        "australiacentral australiacentral2 newzealandnorth indonesiacentral malaysiawest".split(),
        "apac",
    ),
    **dict.fromkeys("brazilsouth brazilsoutheast chilecentral".split(), "sa"),
    **dict.fromkeys("uaenorth uaecentral qatarcentral israelcentral".split(), "me"),
    **dict.fromkeys("southafricanorth southafricawest".split(), "af"),
}
# AWS and GCP region names start with their geography.
_PREFIX_CONTINENT = (
    ("us-", "na"), ("ca-", "na"), ("mx-", "na"), ("northamerica-", "na"),
    ("eu-", "eu"), ("europe-", "eu"),
    ("ap-", "apac"), ("asia-", "apac"), ("australia-", "apac"),
    ("sa-", "sa"), ("southamerica-", "sa"),
    ("me-", "me"), ("il-", "me"), ("af-", "af"), ("africa-", "af"),
)  # fmt: skip


def continent(loc: Location | str) -> str:
    """The continent code ("na", "eu", "apac", "sa", "me", "af") of a cloud region."""
    location = _location(loc)
    found = _continent_or_none(location)
    if found is None:
        raise PricingError(
            f"unknown region {location.region!r} for {location.cloud}",
            str(location),
            "use a region of the catalog (`placer pricing info` lists them)",
        )
    return found


def _continent_or_none(location: Location) -> str | None:
    if location.cloud == "azure":
        return _AZURE_CONTINENT.get(location.region)
    for prefix, code in _PREFIX_CONTINENT:
        if location.region.startswith(prefix):
            return code
    return None


def _location(loc: Location | str) -> Location:
    if isinstance(loc, Location):
        return loc
    try:
        return Location.parse(loc)
    except ValueError as exc:
        raise PricingError(str(exc), None, "write locations as CLOUD:REGION") from None


# ----------------------------------------------------------------------------- tiers


def tier_rate(tiers: tuple[Tier, ...], monthly_gb: float) -> float:
    """The marginal price at a cumulative monthly volume (the tier it falls in)."""
    rate = tiers[0].usd_per_gb
    for tier in tiers:
        if monthly_gb >= tier.start_gb:
            rate = tier.usd_per_gb
    return rate


def tiered_cost(tiers: tuple[Tier, ...], gb: float, already_gb: float = 0.0) -> float:
    """The cost of ``gb`` more after ``already_gb`` this month, each part at its tier."""
    start, end, cost = already_gb, already_gb + gb, 0.0
    bounds = [t.start_gb for t in tiers[1:]] + [float("inf")]
    for tier, upper in zip(tiers, bounds, strict=True):
        overlap = min(end, upper) - max(start, tier.start_gb)
        if overlap > 0:
            cost += overlap * tier.usd_per_gb
    return cost


# ----------------------------------------------------------------------------- rates


@dataclass(frozen=True)
class EgressRates:
    """Egress tables for every cloud, with where each came from."""

    tables: Mapping[str, EgressTable]
    source_by_cloud: Mapping[str, str]  # "snapshot" | "cache"
    warnings: tuple[str, ...] = ()

    def rate_usd_per_gb(
        self, src: Location | str, dst: Location | str, monthly_gb: float = 0.0,
        *, cross_zone: bool = False,
    ) -> float:  # fmt: skip
        """Marginal USD/GB from src to dst at a cumulative monthly volume."""
        tiers, flat = self._route(_location(src), _location(dst), cross_zone)
        return tier_rate(tiers, monthly_gb) if tiers else flat

    def transfer_cost_usd(
        self, gb: float, src: Location | str, dst: Location | str, already_gb: float = 0.0,
        *, cross_zone: bool = False,
    ) -> float:  # fmt: skip
        """USD to move ``gb`` from src to dst after ``already_gb`` moved this month."""
        if gb < 0 or already_gb < 0:
            raise ValueError("gb and already_gb must be >= 0")
        tiers, flat = self._route(_location(src), _location(dst), cross_zone)
        return tiered_cost(tiers, gb, already_gb) if tiers else gb * flat

    def _route(
        self, src: Location, dst: Location, cross_zone: bool
    ) -> tuple[tuple[Tier, ...], float]:
        """(internet tiers, 0.0) for tiered routes, else ((), flat USD/GB)."""
        if src.cloud not in CLOUDS:
            return (), 0.0  # ingress from outside any cloud is free
        table = self._table(src.cloud)
        if dst.cloud != src.cloud:
            return _internet_tiers(table, src), 0.0
        if dst.region == src.region:
            return (), table.cross_zone_usd_per_gb if cross_zone else 0.0
        return (), _inter_region(table, src, dst)

    def _table(self, cloud: str) -> EgressTable:
        try:
            return self.tables[cloud]
        except KeyError:
            hint = "run `placer pricing refresh`"
            raise PricingError(f"no egress table for {cloud}", None, hint) from None


def _internet_tiers(table: EgressTable, src: Location) -> tuple[Tier, ...]:
    tiers = table.internet_tiers
    key = src.region if src.region in tiers else continent(src)
    return tiers.get(key) or tiers["*"]


def _inter_region(table: EgressTable, src: Location, dst: Location) -> float:
    pair = table.region_pairs_usd_per_gb.get((src.region, dst.region))
    if pair is not None:
        return pair
    here, there = continent(src), continent(dst)
    rates = (
        table.within_continent_usd_per_gb if here == there else table.between_continents_usd_per_gb
    )
    return rates.get(here, rates["*"])


# ---------------------------------------------------------------------------- loading


def load_egress_rates(
    cache: Path | None = None, snapshot: Path | None = None, clouds: Iterable[str] = CLOUDS
) -> EgressRates:
    """Per cloud, the fresher of the cache's and the snapshot's egress table.

    A corrupt cache file is reported in ``warnings`` and the snapshot is used instead.
    """
    cache = live_dir(cache_dir() if cache is None else cache)  # one generation throughout
    snapshot = SNAPSHOT_DIR if snapshot is None else snapshot
    tables, sources, warnings = {}, {}, []
    for cloud in clouds:
        chosen = load_egress(snapshot / f"egress-{cloud}.json.gz")
        sources[cloud] = "snapshot"
        cached_path = egress_path(cloud, cache)
        if cached_path.exists():
            try:
                cached = load_egress(cached_path)
            except PricingError as exc:
                warnings.append(f"ignoring {exc.one_line()}")
            else:
                if parse_time(cached.captured_at) >= parse_time(chosen.captured_at):
                    chosen, sources[cloud] = cached, "cache"
        tables[cloud] = chosen
    return EgressRates(tables, sources, tuple(warnings))


@functools.lru_cache(maxsize=1)
def default_rates() -> EgressRates:
    """The egress tables of this process (loaded once from cache and snapshot)."""
    return load_egress_rates()


def rate_usd_per_gb(src: Location | str, dst: Location | str, monthly_gb: float = 0.0) -> float:
    """Marginal USD/GB from src to dst at a cumulative monthly volume (default tables)."""
    return default_rates().rate_usd_per_gb(src, dst, monthly_gb)


def transfer_cost_usd(
    gb: float, src: Location | str, dst: Location | str, already_gb: float = 0.0
) -> float:
    """USD to move ``gb`` from src to dst after ``already_gb`` this month (default tables)."""
    return default_rates().transfer_cost_usd(gb, src, dst, already_gb)
