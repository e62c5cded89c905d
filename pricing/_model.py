"""Value objects of the pricing catalog: where (Location) and what it costs (Offer)."""

from __future__ import annotations

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
    observed_at: str = ""  # ISO date or datetime the price was observed

    @property
    def location(self) -> Location:
        return Location(self.cloud, self.region)

    def price(self, capacity_type: str) -> float | None:
        """$/h for "on-demand" or "spot" capacity (None if not offered)."""
        return self.spot_usd_per_hour if capacity_type == "spot" else self.usd_per_hour
