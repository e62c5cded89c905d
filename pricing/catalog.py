"""The offer catalog planning reads: per cloud, the fresher of the refresh cache and the
embedded snapshot, indexed by cloud and region.

Loading reads one JSON table per cloud, validates it column by column and groups its rows
by region; Offer objects are built on first use, per cloud or region, so planning a few
pools stays fast even with a large refresh cache. It imports neither pandas nor a cloud SDK
(see benchmarks/bench_catalog.py for the time it takes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from placer.errors import PricingError
from pricing import accelerators
from pricing._model import CLOUDS, Offer
from pricing._store import Rows, cache_dir, live_dir, offers_path, parse_time, read_rows

SNAPSHOT_DIR = Path(__file__).parent / "data"
STALE_AFTER_DAYS = 7


@dataclass(frozen=True)
class CloudPrices:
    """Where one cloud's offers came from."""

    cloud: str
    source: str  # "snapshot" | "cache"
    captured_at: str
    sources: tuple[str, ...]
    path: Path | None
    offer_count: int
    # The oldest row's observed_at (an upper bound of its price's date), if older than
    # captured_at: a refresh of some regions keeps the other regions' older rows in a table
    # captured now, and a snapshot mixes sources of several dates ("" = none older).
    oldest_observed_at: str = ""
    # Some row's price has no known lower date bound (its source's date is unknown): its
    # true age is unknown, only "at least" the age of its upper bound.
    date_unknown: bool = False

    @property
    def as_of(self) -> str:
        """How old the oldest price in use is: the older of captured_at and every row."""
        return self.oldest_observed_at or self.captured_at

    def stale_warning(self, now: datetime, days: float = STALE_AFTER_DAYS) -> str | None:
        """A one-line warning if the oldest price in use is older than ``days``, else None."""
        age = (now - parse_time(self.as_of)).total_seconds() / 86400
        if age <= days:
            return None
        when = f"captured {self.captured_at}"
        if self.oldest_observed_at:  # older rows: a partial refresh, or a mixed snapshot
            when = f"oldest rows observed {self.oldest_observed_at}, table {when}"
        old = (
            f"of unknown age, at least {age:.0f} days old"
            if self.date_unknown
            else (f"{self.age_text(now)} old")
        )
        return (
            f"{self.cloud} prices are {old} ({when}); "
            f"run `placer pricing refresh --cloud {self.cloud}`"
        )

    def age_text(self, now: datetime) -> str:
        """ "12 days", or "age unknown, at least 640 days" when some price's date is unknown."""
        days = (now - parse_time(self.as_of)).total_seconds() / 86400
        age = f"{days:.0f} days" if days >= 1 else f"{days * 24:.0f} hours"
        return f"age unknown, at least {age}" if self.date_unknown else age


@dataclass(frozen=True)
class OfferQuery:
    """Which offers to list and in which order (all filters optional)."""

    cloud: str | None = None
    region: str | None = None
    # An accelerator model or family wildcard (pricing.accelerators: exact through aliases,
    # "A100*" for every A100 size); offers without it are dropped.
    gpu_model: str | None = None
    min_vcpus: float = 0
    min_memory_gib: float = 0
    capacity_type: str = "on-demand"  # or "spot": price by spot, drop offers without one
    sort: str = "price"  # "price" | "cpu" | "memory" | "gpu-price" ($ per accelerator-hour)

    def matches(self, offer: Offer) -> bool:
        """True if the offer passes every filter and has a price for the capacity type."""
        return (
            offer.vcpus >= self.min_vcpus
            and offer.memory_gib >= self.min_memory_gib
            and (self.gpu_model is None or accelerators.matches(offer.gpu_model, self.gpu_model))
            and offer.price(self.capacity_type) is not None
            and (self.sort != "gpu-price" or offer.gpu_count > 0)
        )

    def key(self, offer: Offer) -> tuple:
        """Sort key: the chosen column first, then price, then a stable name order."""
        price = offer.price(self.capacity_type) or 0.0
        if self.sort == "gpu-price":
            first = offer.price_per_accelerator(self.capacity_type) or 0.0
        else:
            first = {"price": price, "cpu": offer.vcpus, "memory": offer.memory_gib}[self.sort]
        return (first, price, offer.cloud, offer.region, offer.instance_type)


@dataclass(frozen=True)
class Catalog:
    """All offers, with their provenance; query with :meth:`offers` and :meth:`regions`."""

    clouds: Mapping[str, CloudPrices]
    warnings: tuple[str, ...]
    _tables: Mapping[str, Rows] = field(repr=False)
    _built: dict[tuple[str, str | None], tuple[Offer, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def source(self) -> str:
        """Either "snapshot" or "cache" if every cloud agrees, else "mixed"."""
        kinds = {prices.source for prices in self.clouds.values()}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    @property
    def captured_at(self) -> str:
        """The oldest capture time among the tables in use (ISO 8601)."""
        return min((p.captured_at for p in self.clouds.values()), key=parse_time)

    @property
    def sources_by_cloud(self) -> dict[str, tuple[str, ...]]:
        return {cloud: prices.sources for cloud, prices in self.clouds.items()}

    def offers(self, cloud: str | None = None, region: str | None = None) -> tuple[Offer, ...]:
        """Offers of one cloud (and region), or all of them."""
        if cloud is None:
            if region is not None:
                raise ValueError("region needs a cloud")
            return tuple(o for name in self._tables for o in self.offers(name))
        key = (cloud, region)
        if key not in self._built:  # Offers are built on first use, per cloud or region
            table = self._tables.get(cloud)
            if table is None:
                self._built[key] = ()
            elif region is None:
                self._built[key] = tuple(o for r in table.regions() for o in self.offers(cloud, r))
            else:
                self._built[key] = table.offers(table.region_rows(region))
        return self._built[key]

    def count(self, cloud: str, region: str) -> int:
        """How many offers a region has (without parsing its rows)."""
        table = self._tables.get(cloud)
        block = table.blocks.get(region) if table else None
        return block.count if block else 0

    def find(self, query: OfferQuery) -> tuple[Offer, ...]:
        """The offers matching ``query``, sorted by its key (cheapest first by default)."""
        pool = self.offers(query.cloud, query.region) if query.cloud else self.offers()
        if query.region and not query.cloud:
            pool = tuple(o for o in pool if o.region == query.region)
        return tuple(sorted((o for o in pool if query.matches(o)), key=query.key))

    def gpu_models(self) -> tuple[str, ...]:
        """Every accelerator model in the catalog, sorted."""
        return tuple(sorted({o.gpu_model for o in self.offers() if o.gpu_model}))

    def regions(self, cloud: str) -> tuple[str, ...]:
        """The regions a cloud has offers in, sorted."""
        table = self._tables.get(cloud)
        return table.regions() if table else ()

    def freshness(self, offers: Iterable[Offer], now: datetime) -> tuple[str, tuple[str, ...]]:
        """How old the prices of the offers used are, per cloud ("aws snapshot age unknown,
        at least 130 days, gcp snapshot 122 days"), and a staleness warning per stale cloud:
        what a plan using those offers states."""
        chosen: dict[str, list[Offer]] = {}
        for offer in offers:
            chosen.setdefault(offer.cloud, []).append(offer)
        used = [self.prices_of(c, chosen[c]) for c in sorted(chosen) if c in self.clouds]
        text = ", ".join(f"{p.cloud} {p.source} {p.age_text(now)}" for p in used)
        warnings = tuple(w for p in used if (w := p.stale_warning(now)))
        return text, warnings

    def prices_of(self, cloud: str, offers: Iterable[Offer]) -> CloudPrices:
        """A cloud's provenance narrowed to some of its offers: the oldest of their dates
        and whether any of them has an unknown date."""
        prices = self.clouds[cloud]
        chosen = list(offers)
        if not chosen:
            return prices
        dates = [o.observed_at or prices.captured_at for o in chosen]
        oldest = min(dates, key=parse_time)
        older = parse_time(oldest) < parse_time(prices.captured_at)
        return replace(
            prices,
            oldest_observed_at=oldest if older else "",
            date_unknown=any(o.observed_at and not o.observed_earliest for o in chosen),
        )

    def age_days(self, now: datetime) -> float:
        """Days since the oldest table in use was captured."""
        return (now - parse_time(self.captured_at)).total_seconds() / 86400

    def stale_clouds(self, now: datetime, days: float = STALE_AFTER_DAYS) -> tuple[str, ...]:
        """Clouds whose prices are older than ``days``."""
        return tuple(
            cloud
            for cloud, prices in self.clouds.items()
            if (now - parse_time(prices.as_of)).total_seconds() > days * 86400
        )


def load_catalog(
    cache_dir: Path | None = None,
    snapshot_dir: Path | None = None,
    clouds: Iterable[str] = CLOUDS,
) -> Catalog:
    """Per cloud, the fresher of the cache (if present and valid) and the snapshot.

    A corrupt cache file becomes a warning naming it; that cloud falls back to the snapshot.
    """
    cache = live_dir(_cache_dir(cache_dir))  # one generation for every cloud
    snapshot = SNAPSHOT_DIR if snapshot_dir is None else snapshot_dir
    chosen: dict[str, tuple[Rows, str]] = {}
    warnings: list[str] = []
    for cloud in clouds:
        chosen[cloud] = _pick(cloud, cache, snapshot, warnings)
    return _index(chosen, tuple(warnings))


def _cache_dir(explicit: Path | None) -> Path:
    return cache_dir() if explicit is None else Path(explicit)


def _pick(cloud: str, cache: Path, snapshot: Path, warnings: list[str]) -> tuple[Rows, str]:
    """(table, "snapshot" | "cache") for one cloud."""
    table, kind = read_rows(snapshot / f"offers-{cloud}.json.gz"), "snapshot"
    cached_path = offers_path(cloud, cache)
    if not cached_path.exists():
        return table, kind
    try:
        cached = read_rows(cached_path)
    except PricingError as exc:
        warnings.append(f"ignoring {exc.one_line()}")
        return table, kind
    if parse_time(cached.captured_at) >= parse_time(table.captured_at):
        return cached, "cache"
    return table, kind


def _index(chosen: Mapping[str, tuple[Rows, str]], warnings: tuple[str, ...]) -> Catalog:
    """Provenance per cloud from the tables' headers; rows are parsed later, on first use."""
    clouds = {}
    for cloud, (table, kind) in chosen.items():
        blocks = table.blocks.values()
        clouds[cloud] = CloudPrices(
            cloud, kind, table.captured_at, table.sources, table.path, table.count,
            _oldest_observed(table), any(block.undated for block in blocks),
        )  # fmt: skip
    return Catalog(
        clouds=clouds,
        warnings=warnings,
        _tables={cloud: table for cloud, (table, _) in chosen.items()},
    )


def _oldest_observed(table: Rows) -> str:
    """The oldest region's oldest observation if it is more than a day older than the
    table's capture (a date-only observed_at of the capture day is not older), else ""."""
    oldest, captured = "", parse_time(table.captured_at)
    for value in {block.oldest for block in table.blocks.values()}:
        try:
            when = parse_time(value)
        except (TypeError, ValueError, AttributeError):
            continue  # "" or an unparsable value: the rows count as captured_at
        if (captured - when).total_seconds() > 86400 and (not oldest or when < parse_time(oldest)):
            oldest = value
    return oldest
