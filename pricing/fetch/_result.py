"""What a fetcher returns: offers, egress rates, and counts of what it skipped and retried."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pricing._model import Location, Offer, is_burstable
from pricing.accelerators import canonical, memory_gib

Progress = Callable[[str, int, int, str], None]
"""Progress callback: ``(cloud, steps_done, steps_total, label)``; called after each step."""


def no_progress(cloud: str, done: int, total: int, label: str) -> None:
    """The default progress callback: ignore progress."""


class FetchError(Exception):
    """A cloud's prices could not be fetched (credentials, network, throttling, HTTP 5xx).

    Refresh catches this per cloud, keeps that cloud's previous cache and reports ``reason``.
    """

    def __init__(self, cloud: str, reason: str, retries: int = 0) -> None:
        super().__init__(f"{cloud}: {reason}")
        self.cloud = cloud
        self.reason = reason
        self.retries = retries  # retried calls before giving up


@dataclass(frozen=True)
class Shape:
    """An instance type's size, as a price list or shape table knows it."""

    vcpus: float
    memory_gib: float
    gpu_count: float = 0
    gpu_model: str | None = None
    accelerator_kind: str | None = None
    arch: str = "x86_64"
    burstable: bool = False
    accelerator_memory_gib: float = 0  # per device; 0 = take it from pricing.accelerators

    def offer(
        self,
        where: Location,
        instance_type: str,
        usd_per_hour: float | None,  # None: sold as spot only
        spot_usd_per_hour: float | None,
        source: str,
        observed_at: str,
    ) -> Offer:
        """The catalog row for this shape sold as `instance_type` in `where` at these prices.

        A live price is dated exactly (``observed_earliest`` = ``observed_at``); accelerator
        names are canonical (pricing.accelerators) and burstable families are flagged.
        """
        model = (canonical(self.gpu_model) or self.gpu_model) if self.gpu_model else None
        return Offer(
            cloud=where.cloud,
            region=where.region,
            instance_type=instance_type,
            vcpus=self.vcpus,
            memory_gib=self.memory_gib,
            usd_per_hour=usd_per_hour,
            spot_usd_per_hour=spot_usd_per_hour,
            gpu_count=self.gpu_count,
            gpu_model=model,
            accelerator_kind=self.accelerator_kind,
            arch=self.arch,
            source=source,
            observed_at=observed_at,
            burstable=self.burstable or is_burstable(where.cloud, instance_type),
            accelerator_memory_gib=self.accelerator_memory_gib or memory_gib(model),
            observed_earliest=observed_at,
        )


@dataclass(frozen=True)
class EgressRate:
    """One fetched data-transfer price (a tier of it), in USD per decimal GB.

    ``kind`` is "internet", "inter-region" (to ``dest_region``), "within-continent",
    "between-continents" or "cross-zone"; ``start_gb`` is where the tier starts in
    cumulative monthly volume.
    """

    cloud: str
    region: str
    kind: str
    usd_per_gb: float
    start_gb: float = 0.0
    dest_region: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """One cloud's refreshed prices and what happened on the way."""

    cloud: str
    offers: tuple[Offer, ...]
    egress: tuple[EgressRate, ...]
    sources: tuple[str, ...]
    malformed_rows: int = 0  # rows that could not be parsed (skipped and counted)
    unshaped_types: int = 0  # priced instance types with no known shape (skipped)
    retries: int = 0  # throttled or failed calls that were retried
    notes: tuple[str, ...] = ()  # what the user should know, e.g. a fallback taken


class Tally:
    """Counters a fetcher bumps while it works; frozen into a FetchResult at the end."""

    def __init__(self) -> None:
        self.malformed_rows = 0
        self.unshaped_types = 0
        self.retries = 0
        self.notes: list[str] = []

    def retried(self) -> None:
        self.retries += 1

    def result(
        self, cloud: str, offers: list[Offer], egress: list[EgressRate], sources: tuple[str, ...]
    ) -> FetchResult:
        """The frozen result of a fetch that counted with this tally."""
        return FetchResult(
            cloud,
            tuple(offers),
            tuple(egress),
            sources,
            self.malformed_rows,
            self.unshaped_types,
            self.retries,
            tuple(self.notes),
        )
