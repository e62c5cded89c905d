"""The instance type a step's pod lands on in a pool, and what the pod pays for it.

A pod fits an instance type when the node has at least the pod's vCPUs, memory and
accelerators (of the requested model, or vendor), and the requested architecture. Nodes with
accelerators are kept for pods that ask for them (GPU nodes are tainted in practice).

Pricing: with ``packing: shared`` (default) pods of many tasks share nodes, so a pod pays its
*dominant share* of the node, ``max(cpu/vcpus, memory/memory_gib, gpu/gpus)`` times the node
price; with ``packing: dedicated`` it pays the whole node. Spot pools use the spot price
times ``1 + spot_overhead`` (interruptions and retries). Among fitting types the one with the
lowest price for the pod wins (ties: the cheaper node, then the name).
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from placer.config import Defaults, Pool
from placer.optimize.demand import Demand
from pricing import Offer, accelerators


@dataclass(frozen=True)
class Fit:
    """The chosen instance type for one step in one pool."""

    instance_type: str
    node_usd_per_hour: float  # spot overhead included
    share: float  # fraction of the node the pod pays for (1.0 when dedicated)
    pods_per_node: int  # pods of this step one node holds

    @property
    def usd_per_task_hour(self) -> float:
        return self.node_usd_per_hour * self.share


def in_pool(offer: Offer, pool: Pool) -> bool:
    """True when the pool may launch this instance type (its globs, its capacity type)."""
    if offer.price(pool.capacity_type) is None:
        return False
    globs = pool.instance_types
    return not globs or any(fnmatch.fnmatchcase(offer.instance_type, g) for g in globs)


def accelerator_matches(offer: Offer, demand: Demand) -> bool:
    """Whether the node's accelerators are the kind the pod asks for (or none for none)."""
    if demand.gpu <= 0:
        return not offer.gpu_count
    if not offer.gpu_count or not offer.gpu_model:
        return False
    if demand.gpu_model:  # exact, through the alias table: A10 never matches A100
        return accelerators.matches(offer.gpu_model, demand.gpu_model)
    return (offer.accelerator_kind or "nvidia") == (demand.gpu_vendor or "nvidia")


def fits(offer: Offer, demand: Demand) -> bool:
    """The pod fits on one node of this type."""
    return (
        offer.vcpus >= demand.cpu
        and offer.memory_gib >= demand.memory_gib
        and offer.gpu_count >= demand.gpu
        and offer.arch == demand.arch
        and accelerator_matches(offer, demand)
    )


def price_fit(offer: Offer, pool: Pool, demand: Demand, defaults: Defaults) -> Fit:
    """What the pod pays on this instance type in this pool."""
    node = float(offer.price(pool.capacity_type) or 0.0)
    if pool.capacity_type == "spot":
        node *= 1.0 + defaults.spot_overhead
    fractions = [demand.cpu / offer.vcpus, demand.memory_gib / offer.memory_gib]
    if demand.gpu:
        fractions.append(demand.gpu / offer.gpu_count)
    dominant = max(fractions)
    if defaults.packing == "dedicated":
        return Fit(offer.instance_type, node, 1.0, 1)
    pods = max(1, math.floor(1.0 / dominant + 1e-9)) if dominant > 0 else 1
    return Fit(offer.instance_type, node, dominant, pods)


def best_fit(demand: Demand, pool: Pool, offers: Iterable[Offer], defaults: Defaults) -> Fit | None:
    """The cheapest fitting instance type for the pod in this pool, or None."""
    fitting = [
        price_fit(o, pool, demand, defaults) for o in offers if in_pool(o, pool) and fits(o, demand)
    ]
    if not fitting:
        return None
    return min(fitting, key=lambda f: (f.usd_per_task_hour, f.node_usd_per_hour, f.instance_type))


def describe_request(demand: Demand) -> str:
    """A short human form of a pod request: ``8 x H100, 4 vCPU, 16 GiB``."""
    parts = []
    if demand.gpu:
        kind = demand.gpu_model or (demand.gpu_vendor or "nvidia").upper() + " GPU"
        parts.append(f"{demand.gpu} x {kind}")
    parts.append(f"{demand.cpu:g} vCPU")
    parts.append(f"{demand.memory_gib:g} GiB")
    if demand.arch != "x86_64":
        parts.append(demand.arch)
    return ", ".join(parts)


def no_fit_reason(demand: Demand, offers: Sequence[Offer]) -> str:
    """Why no instance type among `offers` (those of the eligible pools) fits the pod."""
    if demand.gpu:
        kind = [o for o in offers if o.gpu_count and accelerator_matches(o, demand)]
        name = demand.gpu_model or (demand.gpu_vendor or "nvidia") + " GPUs"
        if not kind:
            return f"no pool offers {name}"
        most = max(o.gpu_count for o in kind)
        if most < demand.gpu:
            return f"no pool offers {demand.gpu} x {name} on one node (at most {most:g})"
    arch = [o for o in offers if o.arch == demand.arch]
    if not arch:
        return f"no pool offers {demand.arch} instance types"
    return "no instance type in the eligible pools is large enough"
