"""The planning input in placer.yaml, as typed values (reading it lives in placer.config.parse
and placer.config.load), and the built-in configuration used when there is no file.

Sizes are in GB (decimal, as clouds bill egress), durations in hours, money in USD.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from placer.config.pool import Pool
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
    # The hardware `duration` was measured on: an accelerator ("A100"), a CPU family or
    # instance type ("m6i", "n2-standard-8"), or "any" (the same everywhere).
    reference: str | None = None
    speedup: Mapping[str, float] = field(default_factory=dict)  # accelerator -> x reference
    durations: Mapping[str, float] = field(default_factory=dict)  # accelerator -> hours


@dataclass(frozen=True)
class Defaults:
    """Fallbacks for steps placer.yaml says nothing about."""

    foreach_width: int = 10
    duration_hours: float = 1.0
    input_gb: float = 1.0
    output_gb: float = 1.0
    # "shared": a step's concurrent pods fill nodes of the type chosen for them; "cluster":
    # a pod pays its share of a node other workloads fill too; "dedicated": a whole node
    packing: str = "shared"
    spot_overhead: float = 0.0  # spot price x (1 + overhead): a margin on top of interruptions
    # Share of spot nodes interrupted per day of running, per cloud: the upper end of the
    # 5-10% band the providers publish most often (see docs/cost-model.md).
    spot_interruption: Mapping[str, float] = field(
        default_factory=lambda: {"aws": 0.10, "azure": 0.10, "gcp": 0.10}
    )
    spot_unretried_max_hours: float = 1.0  # longer spot tasks without @retry: a warning
    burstable_max_hours: float = 0.25  # burstable types only for steps shorter than this
    # The hardware durations are measured on, unless a step says (see StepUsage.reference):
    reference_gpu: str | None = None  # None: an A100 is assumed, and the plan says so; "any"
    reference_cpu: str = "m6i"  # a 2021 CPU generation (Ice Lake); "any": not scaled


@dataclass(frozen=True)
class Link:
    """The bandwidth between two places, either direction. An end is a cloud ("aws") or a
    cloud region ("aws:us-east-1"); a region-level end is more specific than a cloud one."""

    ends: tuple[str, str]
    gbps: float

    def specificity(self, src: Location, dst: Location) -> int:
        """How closely the link matches the route (0: not at all; 2 per region-level end)."""
        best = 0
        for a, b in ((src, dst), (dst, src)):
            score_a, score_b = _match(self.ends[0], a), _match(self.ends[1], b)
            if score_a and score_b:
                best = max(best, score_a + score_b)
        return best


def _match(end: str, place: Location) -> int:
    if end == f"{place.cloud}:{place.region}":
        return 2
    return 1 if end == place.cloud else 0


@dataclass(frozen=True)
class Constraints:
    """Flow-wide constraints."""

    max_workers: int = 16  # Metaflow's --max-workers
    deadline_hours: float | None = None  # makespan of one run
    budget_usd_per_month: float | None = None
    residency: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # continent -> steps
    bandwidth_gbps: float = 10.0  # for transfer time between regions (any route not listed)
    bandwidth: tuple[Link, ...] = ()  # per pair of clouds or regions, the most specific wins
    keep_batch: bool = False  # @batch steps stay on AWS Batch (priced as EC2 on demand)
    # Resident steps' data off their continent: "forbid" (no plan) or "allow" (the plan
    # lists it); see placer.optimize.residency
    residency_data: str = "forbid"

    def gbps(self, src: Location, dst: Location) -> float:
        """The bandwidth of a route: the most specific link that matches it (the first one
        listed on ties), else `bandwidth_gbps`."""
        best, found = 0, self.bandwidth_gbps
        for link in self.bandwidth:
            score = link.specificity(src, dst)
            if score > best:
                best, found = score, link.gbps
        return found


@dataclass(frozen=True)
class Config:
    """Everything placer plans with besides the flow and the catalog."""

    datastore: Location = Location("aws", "us-east-1")
    runs_per_month: float = 30
    pools: tuple[Pool, ...] = ()
    steps: Mapping[str, StepUsage] = field(default_factory=dict)
    defaults: Defaults = field(default_factory=Defaults)
    constraints: Constraints = field(default_factory=Constraints)
    # Values of the flow's Metaflow Configs, already parsed (Config name -> mapping), for
    # Configs placer cannot read itself (a custom parser=); they win over the flow's files.
    flow_configs: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None  # None when built-in defaults are in effect
    sha256: str | None = None  # of the file's bytes
    # Where each field is in the file, kept from loading so errors found later (by the
    # optimizer, say) name the line without reading the file again: field paths such as
    # "steps.train.tasks" or "pools[2]" -> 1-based line.
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def pool(self, name: str) -> Pool:
        return next(p for p in self.pools if p.name == name)

    def usage(self, step: str) -> StepUsage:
        return self.steps.get(step, _NO_USAGE)

    def where(self, field_path: str) -> str | None:
        """``file:line`` of a field such as "steps.train" or "pools[1]", or None (built-in
        defaults, or a field the file does not have)."""
        line = self.lines.get(field_path)
        return None if self.path is None or line is None else f"{self.path}:{line}"

    def locate(self, field_path: str) -> str:
        """An error location for a field: ``file:line: field`` when the file has it, else
        ``file: field``, or the field alone under the built-in defaults."""
        where = self.where(field_path)
        if where is not None:
            return f"{where}: {field_path}"
        return f"{self.path}: {field_path}" if self.path else field_path


_NO_USAGE = StepUsage()  # what placer.yaml says about a step it does not mention (immutable)

CONFIG_NAME = "placer.yaml"
PROVIDER_LABEL = "outerbounds.co/provider"
DEFAULT_DATASTORE = Location("aws", "us-east-1")
DEFAULT_POOLS: tuple[Pool, ...] = (
    Pool("aws-use1", "aws", "us-east-1", {PROVIDER_LABEL: "aws"}),
    Pool("azure-eastus", "azure", "eastus", {PROVIDER_LABEL: "azure"}),
    Pool("gcp-usc1", "gcp", "us-central1", {PROVIDER_LABEL: "gcp"}),
)


def default_config() -> Config:
    """The built-in configuration used when no placer.yaml is found: the datastore in aws
    us-east-1 and one on-demand, unlimited pool per cloud selected by its provider label."""
    return Config(datastore=DEFAULT_DATASTORE, pools=DEFAULT_POOLS)
