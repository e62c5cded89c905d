"""A compute pool: where a step can be sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from placer.labels import COMPUTE_POOL_LABEL

CapacityType = Literal["on-demand", "spot"]


@dataclass(frozen=True)
class DaemonSets:
    """What the DaemonSets on each node of a pool request: it is not left for task pods.

    Per node: CPU cores, memory GiB and the pods they are (pods take the node's pod slots).
    `source` says where the figures come from (a provider's defaults, placer.yaml, or the
    context `placer pools discover` measured them in).
    """

    vcpus: float
    memory_gib: float
    pods: int = 0
    source: str = ""


@dataclass(frozen=True)
class Pool:
    """A set of Kubernetes nodes in one cloud region and capacity type.

    Steps target it with `node_selector` (Metaflow's `compute_pool=X` adds the
    selector ``outerbounds.co/compute-pool=X``). Limits of None mean unlimited.
    """

    name: str
    cloud: str
    region: str
    node_selector: Mapping[str, str] = field(default_factory=dict)
    compute_pool: str | None = None
    capacity_type: CapacityType = "on-demand"
    instance_types: tuple[str, ...] = ()  # globs over the catalog; empty = every type
    max_vcpus: float | None = None
    max_memory_gib: float | None = None
    max_gpus: float | None = None
    max_nodes: int | None = None
    speed: float = 1.0  # task duration is divided by this
    source: str = "defaults"  # "defaults", a config path, or "discovered:<context>"
    max_pods: int | None = None  # the kubelet's maxPods on its nodes (None: the provider's)
    daemonsets: DaemonSets | None = None  # per-node DaemonSet requests (None: the provider's)

    def selector(self) -> dict[str, str]:
        """The full node selector a pod needs to land here (compute_pool included)."""
        sel = dict(self.node_selector)
        if self.compute_pool:
            sel[COMPUTE_POOL_LABEL] = self.compute_pool
        return sel
