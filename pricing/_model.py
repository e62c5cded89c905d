"""Value objects of the pricing catalog: where (Location) and what it costs (Offer)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Cloud = Literal["aws", "azure", "gcp"]
CLOUDS: tuple[Cloud, ...] = ("aws", "azure", "gcp")
AcceleratorKind = Literal["nvidia", "amd", "trainium", "inferentia", "tpu"]


@dataclass(frozen=True, order=True)
class Location:
    """A cloud region, e.g. ``Location("aws", "us-east-1")``; written ``aws:us-east-1``."""

    cloud: str
    region: str

    @classmethod
    def parse(cls, text: str) -> Location:
        cloud, sep, region = text.partition(":")
        if not sep or not cloud or not region:
            raise ValueError(f"expected CLOUD:REGION such as aws:us-east-1, got {text!r}")
        return cls(cloud.strip().lower(), region.strip())

    def __str__(self) -> str:
        return f"{self.cloud}:{self.region}"


@dataclass(frozen=True)
class Offer:
    """One instance type in one region with its shape and list prices."""

    cloud: str
    region: str
    instance_type: str
    vcpus: float
    memory_gib: float
    usd_per_hour: float | None  # on-demand list price; None where not sold on demand
    spot_usd_per_hour: float | None = None  # None where the cloud sells no spot capacity
    gpu_count: float = 0  # accelerator devices (TPU chips, Trainium chips, GPUs)
    gpu_model: str | None = None  # "H100", "A100-80GB", "T4", "trn1", "tpu-v5e", ...
    accelerator_kind: str | None = None  # one of AcceleratorKind
    arch: str = "x86_64"  # or "arm64"
    source: str = "snapshot"
    # When the price was observed, as bounds: ``observed_at`` is the latest date it is known
    # to be from (an upper bound; exact for live prices), ``observed_earliest`` the earliest
    # ("" = unknown; equal to observed_at when the date is exact). ISO date or datetime.
    observed_at: str = ""
    burstable: bool = False  # shared-core or CPU-credit type (AWS t*, Azure B*, GCP e2-micro)
    accelerator_memory_gib: float = 0  # memory of one accelerator device (0 = none/unknown)
    observed_earliest: str = ""

    @property
    def location(self) -> Location:
        return Location(self.cloud, self.region)

    def price(self, capacity_type: str) -> float | None:
        """$/h for "on-demand" or "spot" capacity (None if not offered)."""
        return self.spot_usd_per_hour if capacity_type == "spot" else self.usd_per_hour

    def price_per_accelerator(self, capacity_type: str = "on-demand") -> float | None:
        """$/h per accelerator device (GPU, TPU chip, Trainium chip); None without one."""
        price = self.price(capacity_type)
        if price is None or not self.gpu_count:
            return None
        return price / self.gpu_count


_BURSTABLE = (
    ("aws", re.compile(r"^t\d+[a-z]*\.")),  # t2, t3, t3a, t4g: CPU credits
    ("azure", re.compile(r"^Standard_B\d", re.IGNORECASE)),  # B-series: CPU credits
    ("gcp", re.compile(r"^(e2-(micro|small|medium)|f1-micro|g1-small)$")),  # shared core
)


def is_burstable(cloud: str, instance_type: str) -> bool:
    """Whether a type shares cores or runs on CPU credits, by the providers' family names
    (AWS T family, Azure B-series, GCP shared-core e2-micro/small/medium, f1-micro,
    g1-small). Used where a source does not say."""
    return any(c == cloud and rule.match(instance_type) for c, rule in _BURSTABLE)
