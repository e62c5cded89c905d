"""The planning input in placer.yaml, as typed values (loading lives in placer.configfile).

Sizes are in GB (decimal, as clouds bill egress), durations in hours, money in USD.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from placer.pool import Pool
from pricing import Location


@dataclass(frozen=True)
class ExternalRead:
    """Data a step reads from outside the datastore, e.g. a dataset in a bucket."""

    location: Location
    size_gb: float


@dataclass(frozen=True)
class StepUsage:
    """What placer.yaml says about one step (every field optional)."""

    tasks: int | None = None  # foreach width of this step's tasks per run
    duration_hours: float | None = None  # per task
    input_gb: float | None = None  # read from the datastore per task
    output_gb: float | None = None  # written to the datastore per task
    reads: tuple[ExternalRead, ...] = ()  # per task
    pools: tuple[str, ...] = ()  # allowed pools (pin); empty = all
    exclude_pools: tuple[str, ...] = ()
    allowed_clouds: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    residency: str | None = None  # a continent: "na", "eu", "apac" (see pricing.egress)
    gpu_model: str | None = None  # e.g. "H100": Metaflow cannot say which GPU, placer can
    arch: str | None = None  # "x86_64" or "arm64"


@dataclass(frozen=True)
class Defaults:
    """Fallbacks for steps placer.yaml says nothing about."""

    foreach_width: int = 10
    duration_hours: float = 1.0
    input_gb: float = 1.0
    output_gb: float = 1.0
    packing: str = "shared"  # "shared": pay the dominant share of a node; "dedicated": whole
    spot_overhead: float = 0.1  # spot price x (1 + overhead) for interruptions and retries


@dataclass(frozen=True)
class Constraints:
    """Flow-wide constraints."""

    max_workers: int = 16  # Metaflow's --max-workers
    deadline_hours: float | None = None  # makespan of one run
    budget_usd_per_month: float | None = None
    residency: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # continent -> steps
    bandwidth_gbps: float = 10.0  # for transfer time between regions


@dataclass(frozen=True)
class Config:
    """Everything placer plans with besides the flow and the catalog."""

    datastore: Location = Location("aws", "us-east-1")
    runs_per_month: float = 30
    pools: tuple[Pool, ...] = ()
    steps: Mapping[str, StepUsage] = field(default_factory=dict)
    defaults: Defaults = field(default_factory=Defaults)
    constraints: Constraints = field(default_factory=Constraints)
    path: Path | None = None  # None when built-in defaults are in effect
    sha256: str | None = None  # of the file's bytes

    def pool(self, name: str) -> Pool:
        return next(p for p in self.pools if p.name == name)

    def usage(self, step: str) -> StepUsage:
        return self.steps.get(step, StepUsage())
