"""The instance type a step's pod lands on in a pool, and what the pod pays for it.

A pod fits an instance type when the node's *allocatable* capacity (its size minus the
provider's kube-reserved, eviction threshold and the pool's DaemonSets, see
:mod:`placer.kube.allocatable`) holds the pod's CPU and memory requests, the node has the
accelerators asked for (of the requested model, or vendor) and the requested architecture.
Nodes with accelerators are kept for pods that ask for them (GPU nodes are tainted in
practice).

Pricing: with ``packing: shared`` (default) the pods of a step's concurrent tasks share
nodes: a node holds ``floor(1 / max(cpu/vcpus, memory/memory_gib, gpu/gpus))`` of them on
its *allocatable* capacity (and no more than its pod slots), the ``concurrent`` pods need
``ceil(concurrent / per node)`` nodes, and each pod pays ``nodes / concurrent`` of a node
(what is reserved, and a last node left part empty, is paid by the step's own pods); with
``packing: cluster`` the nodes are shared with the cluster's other workloads, so a pod pays
only its dominant share of the node; with ``packing: dedicated`` it pays the whole node.
Spot pools use the spot price times ``1 + spot_overhead`` (interruptions and retries). Among
fitting types the one with the lowest price for the pod wins (ties: the cheaper node, then
the name). Burstable types (CPU credits) are left out of steps that run long.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache

from placer.config import Defaults, Pool
from placer.kube.allocatable import Allocatable, allocatable
from placer.optimize.demand import Demand
from pricing import Offer, accelerators


@dataclass(frozen=True)
class Fit:
    """The chosen instance type for one step in one pool."""

    instance_type: str
    node_usd_per_hour: float  # spot overhead included
    share: float  # fraction of the node the pod pays for (1.0 when dedicated)
    pods_per_node: int  # pods of this step one node holds
    allocatable_vcpus: float = 0.0  # what the node offers task pods
    allocatable_memory_gib: float = 0.0
    note: str | None = None  # a cheaper type left out, and why

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


def node_allocatable(offer: Offer, pool: Pool) -> Allocatable:
    """What one node of this type offers task pods in this pool (its DaemonSets and maxPods,
    else the provider's defaults)."""
    return _allocatable(
        offer.cloud,
        offer.instance_type,
        offer.vcpus,
        offer.memory_gib,
        pool.daemonsets,
        pool.max_pods,
    )


_allocatable = cache(allocatable)

# What a node of an offer leaves for task pods in a pool.
NodeCapacity = Callable[[Offer, Pool], Allocatable]


def nominal_allocatable(offer: Offer, pool: Pool) -> Allocatable:
    """The node's whole nominal size, nothing reserved: for self-managed nodes whose
    reservations are unknown, and for tests of the optimizer that are not about nodes."""
    return Allocatable(offer.vcpus, offer.memory_gib, 10**6, 0.0, 0.0)


def fits(offer: Offer, demand: Demand, node: Allocatable | None = None) -> bool:
    """The pod fits on one node of this type (on its allocatable capacity when given)."""
    vcpus, memory = (node.vcpus, node.memory_gib) if node else (offer.vcpus, offer.memory_gib)
    return (
        vcpus >= demand.cpu - 1e-9
        and memory >= demand.memory_gib - 1e-9
        and offer.gpu_count >= demand.gpu
        and offer.arch == demand.arch
        and accelerator_matches(offer, demand)
        and (node is None or node.pods >= 1)
    )


def price_fit(
    offer: Offer, pool: Pool, demand: Demand, defaults: Defaults, node: Allocatable
) -> Fit:
    """What the pod pays on this instance type in this pool (shares of `node`)."""
    price = float(offer.price(pool.capacity_type) or 0.0)
    if pool.capacity_type == "spot":
        price *= 1.0 + defaults.spot_overhead
    fractions = [demand.cpu / node.vcpus, demand.memory_gib / node.memory_gib]
    if demand.gpu:
        fractions.append(demand.gpu / offer.gpu_count)
    dominant = max(fractions)
    sizes = (offer.instance_type, price)
    if defaults.packing == "dedicated":
        return Fit(*sizes, 1.0, 1, node.vcpus, node.memory_gib)
    pods = max(1, math.floor(1.0 / dominant + 1e-9)) if dominant > 0 else 1
    pods = max(1, min(pods, node.pods))
    if defaults.packing == "cluster":  # other workloads fill the rest of the node
        return Fit(*sizes, max(dominant, 1.0 / node.pods), pods, node.vcpus, node.memory_gib)
    together = max(1, demand.concurrent_tasks)
    share = math.ceil(together / pods) / together  # the step's pods fill whole nodes
    return Fit(*sizes, share, pods, node.vcpus, node.memory_gib)


def best_fit(
    demand: Demand,
    pool: Pool,
    offers: Iterable[Offer],
    defaults: Defaults,
    capacity: NodeCapacity = node_allocatable,
) -> Fit | None:
    """The cheapest fitting instance type for the pod in this pool, or None. Burstable
    types are left out when :func:`burstable_allowed` says so; when one of them would have
    been cheaper, the fit's `note` says which and why."""
    fitting: list[Fit] = []
    skipped: list[Fit] = []
    for offer in offers:
        if not in_pool(offer, pool):
            continue
        node = capacity(offer, pool)
        if fits(offer, demand, node):
            fit = price_fit(offer, pool, demand, defaults, node)
            allowed = not is_burstable(offer) or burstable_allowed(offer, pool, demand, defaults)
            (fitting if allowed else skipped).append(fit)
    if not fitting:
        return None
    best = min(fitting, key=_cheapest)
    cheaper = [f for f in skipped if _cheapest(f) < _cheapest(best)]
    if cheaper:
        rival = min(cheaper, key=_cheapest)
        note = (
            f"{rival.instance_type} (${rival.usd_per_task_hour:.4f}/h for the pod) left out: "
            f"burstable, and the step runs {_hours(demand.task_hours / pool.speed)} per task, "
            f"not under defaults.burstable_max_duration ({_hours(defaults.burstable_max_hours)})"
        )
        best = replace(best, note=note)
    return best


def _cheapest(fit: Fit) -> tuple[float, float, str]:
    return (fit.usd_per_task_hour, fit.node_usd_per_hour, fit.instance_type)


def _hours(hours: float) -> str:
    minutes = round(hours * 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def is_burstable(offer: Offer) -> bool:
    """Whether the type runs on CPU credits or a shared core (the catalog's flag)."""
    return offer.burstable


def names_explicitly(pool: Pool, instance_type: str) -> bool:
    """The pool's `instance_types` name the type by a glob with a literal prefix (``t3a.*``,
    ``Standard_B2ms``), not only through a bare wildcard such as ``*``."""
    for glob in pool.instance_types:
        literal = re.split(r"[*?\[]", glob, maxsplit=1)[0]
        if literal and fnmatch.fnmatchcase(instance_type, glob):
            return True
    return False


def burstable_allowed(offer: Offer, pool: Pool, demand: Demand, defaults: Defaults) -> bool:
    """A burstable type may take the step when the pool names it or the step is shorter
    than `defaults.burstable_max_hours`. A burstable type earns CPU credits at a baseline
    of 5-40% of its vCPUs and throttles, or (AWS "unlimited", T3's default) bills the
    vCPU-hours above it: fine for short, mostly idle steps, not for hours at full CPU."""
    if names_explicitly(pool, offer.instance_type):
        return True
    return demand.task_hours / pool.speed < defaults.burstable_max_hours - 1e-9


def describe_request(demand: Demand) -> str:
    """A short human form of a pod request: ``8 x H100, 4 vCPU, 16 GiB``."""
    parts = []
    if demand.gpu:
        kind = demand.gpu_model or (demand.gpu_vendor or "nvidia").upper() + " GPU"
        parts.append(f"{demand.gpu} x {kind}")
    parts.append(f"{demand.cpu:g} vCPU")
    parts.append(f"{demand.memory_gib:.3g} GiB")
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
    arch = [o for o in offers if o.arch == demand.arch and accelerator_matches(o, demand)]
    if not [o for o in offers if o.arch == demand.arch]:
        return f"no pool offers {demand.arch} instance types"
    nodes = [
        _allocatable(o.cloud, o.instance_type, o.vcpus, o.memory_gib, None, None) for o in arch
    ]
    if not nodes:
        return "no instance type in the eligible pools is large enough"
    vcpus, memory = max(n.vcpus for n in nodes), max(n.memory_gib for n in nodes)
    return (
        "no instance type in the eligible pools is large enough (the most a node leaves for "
        f"pods, its allocatable capacity, is {vcpus:.3g} vCPU and {memory:.3g} GiB)"
    )
