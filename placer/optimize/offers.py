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
from placer.hardware import hardware_of
from placer.kube.allocatable import Allocatable, allocatable
from placer.optimize.demand import Demand, task_hours_on
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
    task_hours: float = 0.0  # one task's hours on this type's hardware, at pool speed 1
    hardware: str = ""  # the accelerator (GPU steps) or CPU generation the hours are for
    scaled: str = ""  # how task_hours was found (see demand.task_hours_on)

    @property
    def usd_per_task_hour(self) -> float:
        return self.node_usd_per_hour * self.share

    @property
    def usd_per_task(self) -> float:
        """What one task costs here, transfers aside."""
        return self.usd_per_task_hour * self.task_hours


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
    else the provider's defaults); AWS Batch's EC2 instances (not Kubernetes nodes) offer
    their nominal size."""
    if pool.source == "aws-batch":
        return nominal_allocatable(offer, pool)
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
    offer: Offer,
    pool: Pool,
    demand: Demand,
    defaults: Defaults,
    node: Allocatable,
    hardware: str = "",
    scaled: str = "",
) -> Fit:
    """What the pod pays on this instance type in this pool (shares of `node`); the fit's
    `task_hours` is left 0 until the step's duration is applied (:func:`choose_fits`)."""
    price = float(offer.price(pool.capacity_type) or 0.0)
    if pool.capacity_type == "spot":
        price *= 1.0 + defaults.spot_overhead
    fractions = [demand.cpu / node.vcpus, demand.memory_gib / node.memory_gib]
    if demand.gpu:
        fractions.append(demand.gpu / offer.gpu_count)
    dominant = max(fractions)
    if defaults.packing == "dedicated":
        share, pods = 1.0, 1
    else:
        pods = max(1, math.floor(1.0 / dominant + 1e-9)) if dominant > 0 else 1
        pods = max(1, min(pods, node.pods))
        together = max(1, demand.concurrent_tasks)
        if defaults.packing == "cluster":  # other workloads fill the rest of the node
            share = max(dominant, 1.0 / node.pods)
        else:  # the step's pods fill whole nodes
            share = math.ceil(together / pods) / together
    return Fit(
        instance_type=offer.instance_type,
        node_usd_per_hour=price,
        share=share,
        pods_per_node=pods,
        allocatable_vcpus=node.vcpus,
        allocatable_memory_gib=node.memory_gib,
        hardware=hardware,
        scaled=scaled,
    )


@dataclass(frozen=True)
class SpeedGroup:
    """The fitting types of one speed for a pod in a pool, before the step's duration is
    known: a task takes ``duration x ratio`` hours on them (or ``fixed`` hours, from the
    step's ``durations``). `allowed` is the cheapest per hour of those the step may always
    use, `burstable` the cheapest burstable one (only for short tasks)."""

    ratio: float
    fixed: float | None
    allowed: Fit | None
    burstable: Fit | None


def speed_groups(
    demand: Demand,
    pool: Pool,
    offers: Iterable[Offer],
    defaults: Defaults,
    capacity: NodeCapacity = node_allocatable,
) -> tuple[SpeedGroup, ...]:
    """The pod's fitting types in the pool grouped by speed (the expensive part of
    :func:`fits_in_pool`, which depends on the pod, not on its duration)."""
    unit = replace(demand, task_hours=1.0)
    groups: dict[tuple[float, float | None], list[Fit | None]] = {}
    for offer in offers:
        if not in_pool(offer, pool):
            continue
        node = capacity(offer, pool)
        if not fits(offer, demand, node):
            continue
        hardware = hardware_of(offer, demand.gpu_step)
        hours, scaled = task_hours_on(unit, hardware)
        fixed = hours if scaled == "durations" else None
        fit = price_fit(offer, pool, demand, defaults, node, hardware.label, scaled)
        slot = 1 if is_burstable(offer) and not names_explicitly(pool, offer.instance_type) else 0
        best = groups.setdefault((round(hours, 12) if fixed is None else 0.0, fixed), [None, None])
        held = best[slot]
        if held is None or _hourly(fit) < _hourly(held):
            best[slot] = fit
    return tuple(SpeedGroup(r, f, a, b) for (r, f), (a, b) in groups.items())


MAX_VARIANTS = 4  # fits kept per (step, pool): the cheapest hardware and faster ones


def choose_fits(
    groups: Iterable[SpeedGroup],
    task_hours: float,
    pool: Pool,
    defaults: Defaults,
    transfer_hours: float = 0.0,
    frontier: bool = True,
) -> list[Fit]:
    """For each speed, the cheapest type the step may use at its duration, cheapest per
    task (transfers included) first; with `frontier`, only the cheapest and each one faster
    than every cheaper one (at most MAX_VARIANTS, the fastest kept). The first fit's `note`
    names a burstable type left out that was cheaper.

    A burstable type earns CPU credits at a baseline of 5-40% of its vCPUs and throttles,
    or (AWS "unlimited", T3's default) bills the vCPU-hours above it: fine for short, mostly
    idle steps, not for hours at full CPU. So one is used only for a task shorter than
    `defaults.burstable_max_hours`, or when the pool names it (:func:`names_explicitly`).
    """
    picked: list[tuple[float, float, Fit]] = []  # (cost per task, hours, fit)
    skipped: list[tuple[float, float, Fit]] = []
    for group in groups:
        hours = group.fixed if group.fixed is not None else task_hours * group.ratio
        short = hours / pool.speed < defaults.burstable_max_hours - 1e-9
        usable = [f for f in (group.allowed, group.burstable if short else None) if f]
        if group.burstable is not None and not short:
            rate = group.burstable.usd_per_task_hour
            skipped.append((rate * (hours + transfer_hours), hours, group.burstable))
        if usable:
            best = min(usable, key=_hourly)
            picked.append((best.usd_per_task_hour * (hours + transfer_hours), hours, best))
    picked.sort(key=lambda c: (c[0], *_hourly(c[2])))
    kept = _frontier(picked) if frontier else picked
    found = [replace(fit, task_hours=hours) for _, hours, fit in kept]
    cheaper = [c for c in skipped if picked and c[0] < picked[0][0]]
    if found and cheaper:
        _, hours, rival = min(cheaper, key=lambda c: (c[0], *_hourly(c[2])))
        rival = replace(rival, task_hours=hours)
        found[0] = replace(found[0], note=_burstable_note(rival, pool, defaults))
    return found


def _frontier(picked: list[tuple[float, float, Fit]]) -> list[tuple[float, float, Fit]]:
    """The cheapest, then each faster than every cheaper one; at most MAX_VARIANTS."""
    kept: list[tuple[float, float, Fit]] = []
    for candidate in picked:
        if not kept or candidate[1] < kept[-1][1] - 1e-9:
            kept.append(candidate)
    if len(kept) > MAX_VARIANTS:
        kept = kept[: MAX_VARIANTS - 1] + kept[-1:]
    return kept


def fits_in_pool(
    demand: Demand,
    pool: Pool,
    offers: Iterable[Offer],
    defaults: Defaults,
    capacity: NodeCapacity = node_allocatable,
) -> list[Fit]:
    """For each task duration the pool's hardware gives the step, its cheapest fitting type
    (cost per task = price for the pod x hours), cheapest first; empty when none fits.

    Burstable types are left out unless the pool names them or the task is shorter than
    `defaults.burstable_max_hours`; when one of them would have been the cheapest, the
    first fit's `note` says which and why.
    """
    groups = speed_groups(demand, pool, offers, defaults, capacity)
    return choose_fits(groups, demand.task_hours, pool, defaults)


def best_fit(
    demand: Demand,
    pool: Pool,
    offers: Iterable[Offer],
    defaults: Defaults,
    capacity: NodeCapacity = node_allocatable,
) -> Fit | None:
    """The cheapest fit for the pod in this pool (see :func:`fits_in_pool`), or None."""
    found = fits_in_pool(demand, pool, offers, defaults, capacity)
    return found[0] if found else None


def _burstable_note(rival: Fit, pool: Pool, defaults: Defaults) -> str:
    return (
        f"{rival.instance_type} (${rival.usd_per_task_hour:.4f}/h for the pod) left out: "
        f"burstable, and the step runs {hours_minutes(rival.task_hours / pool.speed)} per task, "
        f"not under defaults.burstable_max_duration ({hours_minutes(defaults.burstable_max_hours)})"
    )


def _cheapest(fit: Fit) -> tuple[float, float, float, str]:
    return (fit.usd_per_task, fit.usd_per_task_hour, fit.node_usd_per_hour, fit.instance_type)


def _hourly(fit: Fit) -> tuple[float, float, str]:
    return (fit.usd_per_task_hour, fit.node_usd_per_hour, fit.instance_type)


def hours_minutes(hours: float) -> str:
    """Hours as ``2h05m`` or ``45m`` (to the minute)."""
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
