"""Live pricing refresh: fetch each cloud, then write its cache files, atomically, per cloud.

Clouds are isolated: one failing (no credentials, timeout, throttling after retries,
HTTP 5xx) is reported in its :class:`CloudOutcome` and leaves that cloud's previous cache
untouched. Nothing is written until every requested cloud has been fetched, so an
interrupted refresh (Ctrl-C) leaves the cache exactly as it was; each file is then
replaced atomically. Rows for regions not refreshed are kept from the previous cache
(or, without one, from the embedded snapshot), since planning reads the cache instead of
the snapshot once it is fresher.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from placer.errors import PricingError, printable
from pricing._model import CLOUDS, Location, Offer
from pricing._store import (
    EgressTable,
    cache_dir,
    egress_name,
    egress_path,
    load_egress,
    load_table,
    offers_name,
    offers_path,
    save_egress,
    save_table,
)
from pricing.fetch._egress import merge_egress
from pricing.fetch._result import FetchError, FetchResult, Progress, Shape, no_progress
from pricing.fetch._retry import RetryPolicy

SNAPSHOT_DIR = Path(__file__).parent / "data"

# Used when neither the cache nor the snapshot lists a cloud's regions.
DEFAULT_REGIONS: Mapping[str, tuple[str, ...]] = {
    "aws": (
        "us-east-1", "us-east-2", "us-west-2", "ca-central-1", "eu-west-1", "eu-central-1",
        "eu-west-2", "ap-south-1", "ap-northeast-1", "ap-southeast-1", "ap-southeast-2",
    ),
    "azure": (
        "eastus", "eastus2", "westus2", "canadacentral", "westeurope", "northeurope",
        "uksouth", "centralindia", "japaneast", "southeastasia", "australiaeast",
    ),
    "gcp": (
        "us-central1", "us-east1", "us-west1", "northamerica-northeast1", "europe-west1",
        "europe-west4", "europe-west2", "asia-south1", "asia-northeast1", "asia-southeast1",
        "australia-southeast1",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class RefreshOptions:
    """What to refresh and how: clouds, regions per cloud (default: the regions the
    catalog already covers), retries/timeouts, endpoint overrides, the cache directory
    (default: cache_dir()) and the snapshot whose rows and shapes seed a first cache."""

    clouds: tuple[str, ...] = CLOUDS
    regions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    policy: RetryPolicy = RetryPolicy()
    azure_prices_url: str | None = None
    azure_arm_url: str | None = None
    gcp_endpoint: str | None = None
    directory: Path | None = None
    snapshot_dir: Path = SNAPSHOT_DIR
    allow_insecure_endpoint: bool = False  # plain http for calls that carry credentials


@dataclass(frozen=True)
class _Places:
    """Where one refresh reads previous tables from and writes the new ones to."""

    cache: Path
    snapshot: Path

    def previous_offers(self, cloud: str) -> tuple[Offer, ...]:
        """The cached offers, else the snapshot's (a corrupt cache counts as none)."""
        return _offers_in(offers_path(cloud, self.cache)) or _offers_in(
            self.snapshot / f"offers-{cloud}.json.gz"
        )

    def previous_egress(self, cloud: str) -> EgressTable | None:
        """The cached egress table, else the snapshot's, else None."""
        for path in (egress_path(cloud, self.cache), self.snapshot / f"egress-{cloud}.json.gz"):
            if path.exists():
                try:
                    return load_egress(path)
                except PricingError:
                    continue
        return None

    def regions(self, cloud: str, options: RefreshOptions) -> tuple[str, ...]:
        """The regions asked for, else those the catalog covers, else DEFAULT_REGIONS."""
        if options.regions.get(cloud):
            return tuple(options.regions[cloud])
        covered = sorted({offer.region for offer in self.previous_offers(cloud)})
        return tuple(covered) or DEFAULT_REGIONS[cloud]


@dataclass(frozen=True)
class CloudOutcome:
    """How one cloud's refresh went; ``reason`` says why it failed."""

    cloud: str
    ok: bool
    regions: tuple[str, ...]
    offers: int = 0
    egress_rates: int = 0
    malformed_rows: int = 0
    unshaped_types: int = 0
    retries: int = 0
    reason: str = ""
    seconds: float = 0.0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefreshReport:
    """Every cloud's outcome, where the cache is, and the capture time written."""

    outcomes: tuple[CloudOutcome, ...]
    directory: Path
    captured_at: str

    @property
    def refreshed(self) -> tuple[str, ...]:
        """The clouds whose cache was written."""
        return tuple(o.cloud for o in self.outcomes if o.ok)

    @property
    def failed(self) -> tuple[str, ...]:
        """The clouds that kept their previous prices."""
        return tuple(o.cloud for o in self.outcomes if not o.ok)


Fetcher = Callable[[tuple[str, ...], RefreshOptions, Progress, Mapping[str, Shape]], FetchResult]
"""``(regions, options, progress, known shapes) -> FetchResult``; raises FetchError."""


def refresh(
    options: RefreshOptions = RefreshOptions(),
    progress: Progress = no_progress,
    now: dt.datetime | None = None,
    fetchers: Mapping[str, Fetcher] | None = None,
) -> RefreshReport:
    """Fetch every requested cloud, then write the ones that succeeded to the cache."""
    places = _Places(options.directory or cache_dir(), options.snapshot_dir)
    captured_at = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    chosen = {**FETCHERS, **(fetchers or {})}
    check_endpoints(options)  # before any call: a refused endpoint is bad input (exit 2)
    outcomes, fetched = [], {}
    for cloud in options.clouds:
        regions = places.regions(cloud, options)
        progress(cloud, 0, len(regions), "starting")
        started = time.monotonic()
        try:
            result = _fetch_alone(chosen[cloud], cloud, regions, options, progress, places)
        except FetchError as exc:
            progress(cloud, len(regions), len(regions), "failed")
            seconds = time.monotonic() - started
            outcomes.append(
                CloudOutcome(
                    cloud, False, regions, retries=exc.retries, reason=exc.reason, seconds=seconds
                )
            )
            continue
        progress(cloud, len(regions), len(regions), "fetched")
        fetched[cloud] = (result, regions)
        outcomes.append(_outcome(result, regions, time.monotonic() - started))
    if fetched:  # writing starts only once all fetching is done
        try:
            _write(places, fetched, captured_at)
        except OSError as exc:
            raise PricingError(
                f"cannot write the pricing cache ({exc.strerror or exc})",
                str(places.cache),
                "make it a writable directory, or set PLACER_CACHE_DIR to one",
            ) from exc
    return RefreshReport(tuple(outcomes), places.cache, captured_at)


def _write(
    places: _Places, fetched: Mapping[str, tuple[FetchResult, tuple[str, ...]]], captured_at: str
) -> None:
    """One new cache generation: fetched clouds merged with the live tables (read under the
    cache's lock, so a concurrent refresh's regions are kept), the rest carried over; then
    one switch to it."""
    from pricing._generations import carry_over, refreshing

    with refreshing(places.cache) as new:
        for cloud in CLOUDS:
            if cloud in fetched:
                result, regions = fetched[cloud]
                _write_cloud(places, new, result, regions, captured_at)
            else:
                carry_over(places.cache, new, cloud)


def _fetch_alone(
    fetcher: Fetcher,
    cloud: str,
    regions: tuple[str, ...],
    options: RefreshOptions,
    progress: Progress,
    places: _Places,
) -> FetchResult:
    """One cloud's fetch; whatever goes wrong in it fails that cloud only.

    Fetchers turn every failure they foresee into FetchError with what the endpoint said.
    Anything else (a cloud SDK choking on an answer it did not expect) is still that
    cloud's failure, not the others': it is reported as unexpected, with its type.
    """
    try:
        result = fetcher(regions, options, progress, known_shapes(cloud, places))
    except FetchError:
        raise
    except Exception as exc:  # isolation: the other clouds' prices are kept and written
        reason = f"unexpected {type(exc).__name__} while reading the answer: {exc}"
        raise FetchError(cloud, printable(reason)[:300]) from exc
    if not result.offers:
        raise FetchError(cloud, "the API returned no prices for these regions")
    return result


def check_endpoints(options: RefreshOptions) -> None:
    """Refuse endpoints placer must not call: not http(s), or plain http with credentials."""
    import os

    from pricing.fetch._http import check_endpoint

    allow = options.allow_insecure_endpoint
    wanted: list[tuple[str, str | None, str, bool]] = []
    env = os.environ.get
    if "azure" in options.clouds:
        prices = options.azure_prices_url or env("PLACER_AZURE_PRICES_URL")
        arm = options.azure_arm_url or env("PLACER_AZURE_ARM_URL")
        wanted += [
            ("azure", prices, "--azure-prices-url", False),
            ("azure", arm, "--azure-arm-url", True),
        ]
    if "gcp" in options.clouds:
        endpoint = options.gcp_endpoint or env("PLACER_GCP_ENDPOINT")
        wanted.append(("gcp", endpoint, "--gcp-endpoint", True))
    if "aws" in options.clouds:
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_PRICING", "AWS_ENDPOINT_URL_EC2"):
            wanted.append(("aws", os.environ.get(name), f"${name}", True))
    for _cloud, url, option, authenticated in wanted:
        if url:
            check_endpoint(url, option, authenticated=authenticated, allow_insecure=allow)


def _outcome(result: FetchResult, regions: tuple[str, ...], seconds: float) -> CloudOutcome:
    return CloudOutcome(
        cloud=result.cloud,
        ok=True,
        regions=regions,
        offers=len(result.offers),
        egress_rates=len(result.egress),
        malformed_rows=result.malformed_rows,
        unshaped_types=result.unshaped_types,
        retries=result.retries,
        seconds=seconds,
        notes=result.notes,
    )


# ---------------------------------------------------------------------------- fetchers


def _fetch_aws(
    regions: tuple[str, ...], options: RefreshOptions, progress: Progress, _shapes: Mapping
) -> FetchResult:
    from pricing.fetch.aws import fetch_aws

    return fetch_aws(regions, options.policy, progress)


def _fetch_azure(
    regions: tuple[str, ...],
    options: RefreshOptions,
    progress: Progress,
    shapes: Mapping[str, Shape],
) -> FetchResult:
    from pricing.fetch.azure import fetch_azure

    return fetch_azure(
        regions, options.policy, progress, options.azure_prices_url, options.azure_arm_url, shapes
    )


def _fetch_gcp(
    regions: tuple[str, ...], options: RefreshOptions, progress: Progress, _shapes: Mapping
) -> FetchResult:
    from pricing.fetch.gcp import fetch_gcp

    return fetch_gcp(
        regions,
        options.policy,
        progress,
        options.gcp_endpoint,
        allow_insecure=options.allow_insecure_endpoint,
    )


FETCHERS: Mapping[str, Fetcher] = {"aws": _fetch_aws, "azure": _fetch_azure, "gcp": _fetch_gcp}


# ---------------------------------------------------------------------------- the cache


def _write_cloud(
    places: _Places, new: Path, result: FetchResult, regions: Sequence[str], captured_at: str
) -> None:
    """One cloud's offer (and egress) tables in the new generation, keeping the live
    tables' rows of regions not refreshed."""
    cloud = result.cloud
    kept = [offer for offer in places.previous_offers(cloud) if offer.region not in regions]
    offers = sorted([*kept, *result.offers], key=lambda o: (o.region, o.instance_type))
    save_table(new / offers_name(cloud), cloud, captured_at, result.sources, offers)
    table = merge_egress(
        cloud,
        places.previous_egress(cloud),
        result.egress,
        _continent_of(cloud),
        captured_at,
        result.sources,
    )
    if table is not None:
        save_egress(new / egress_name(cloud), table)
    else:
        carry_over_egress(places.cache, new, cloud)


def carry_over_egress(cache: Path, new: Path, cloud: str) -> None:
    """No egress table for a fetched cloud (none fetched, none before): keep what is live."""
    from pricing._generations import _link_or_copy

    live = egress_path(cloud, cache)
    if live.is_file():
        _link_or_copy(live, new / egress_name(cloud))


def _offers_in(path: Path) -> tuple[Offer, ...]:
    """The offers of a table file; none if it is missing or corrupt (it gets replaced)."""
    if not path.exists():
        return ()
    try:
        return load_table(path).offers
    except PricingError:
        return ()


def known_shapes(cloud: str, places: _Places) -> dict[str, Shape]:
    """instance type -> shape from the snapshot and the cache (Azure without ARM access
    takes prices from the Retail API and shapes from what placer already knows)."""
    shapes: dict[str, Shape] = {}
    snapshot = places.snapshot / f"offers-{cloud}.json.gz"
    for path in (snapshot, offers_path(cloud, places.cache)):
        for offer in _offers_in(path):
            shapes[offer.instance_type] = Shape(
                offer.vcpus,
                offer.memory_gib,
                offer.gpu_count,
                offer.gpu_model,
                offer.accelerator_kind,
                offer.arch,
            )
    return shapes


def _continent_of(cloud: str) -> Callable[[str], str | None]:
    from pricing.egress import continent

    def lookup(region: str) -> str | None:
        try:
            return continent(Location(cloud, region))
        except PricingError:  # a region placer has no continent for: its rate is skipped
            return None

    return lookup
