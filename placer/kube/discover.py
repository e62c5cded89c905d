"""Building pools from what clusters show: one pool per cloud, region, capacity type
(and optional `--group-by` labels), with limits set from the capacity free now and the
DaemonSets' requests per node measured on the pool's nodes."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from placer.config import Pool
from placer.config.pool import DaemonSets
from placer.errors import PoolError
from placer.kube.capacity import Amount
from placer.kube.ceiling import ceiling_of
from placer.kube.client import ClusterSnapshot
from placer.kube.load import Load, load_of
from placer.kube.objects import (
    NODE_GROUP_LABELS,
    PROVIDER_LABEL,
    REGION_LABEL,
    SPOT_LABELS,
    Node,
    Pod,
)
from placer.labels import RULE, key_problem, selector_problem

__all__ = ["DiscoveredPool", "daemonsets_of", "discover", "pools_of_cluster", "selector_for"]

# Labels tried, in order, to tell a pool's nodes from the cluster's other nodes.
_NARROWING = (REGION_LABEL, *(k for k, _ in SPOT_LABELS), *NODE_GROUP_LABELS)


@dataclass(frozen=True)
class DiscoveredPool:
    """A pool found in a cluster, with its live load and any autoscaling ceiling."""

    pool: Pool
    context: str
    load: Load
    ceiling: Mapping[str, float] = field(default_factory=dict)  # NodePool limits, e.g. vcpus
    could_add: Mapping[str, float] = field(default_factory=dict)  # ceiling minus in use
    warnings: tuple[str, ...] = ()


def _group_key(node: Node, group_by: Sequence[str], context: str) -> tuple[str, ...]:
    cloud, region = node.cloud, node.region
    if cloud not in ("aws", "azure", "gcp"):
        raise PoolError(
            f"node {node.name} has no cloud: no {PROVIDER_LABEL} label and "
            f"providerID {node.provider_id!r} is not aws/gce/azure",
            f"context {context}",
            f"label it: kubectl label node {node.name} {PROVIDER_LABEL}=aws|azure|gcp",
        )
    if region is None:
        raise PoolError(
            f"node {node.name} has no region: no {REGION_LABEL} label and none "
            "derivable from its zone or providerID",
            f"context {context}",
            f"label it: kubectl label node {node.name} {REGION_LABEL}=REGION",
        )
    groups = tuple(node.labels.get(label, "") for label in group_by)
    return (cloud, region, node.capacity_type, *groups)


def _common_labels(nodes: Sequence[Node]) -> dict[str, str]:
    first = dict(nodes[0].labels)
    return {k: v for k, v in first.items() if all(n.labels.get(k) == v for n in nodes[1:])}


def selector_for(
    group: Sequence[Node], others: Sequence[Node], group_by: Sequence[str]
) -> tuple[dict[str, str], list[Node]]:
    """A small node selector matching every node of `group`, and the other nodes it still
    matches (empty when the selector targets the group exactly)."""
    common = _common_labels(group)
    keys = [k for k in (PROVIDER_LABEL, *group_by) if k in common]
    selector = {k: common[k] for k in keys}
    matched = [n for n in others if n.matches(selector)]
    for key in _NARROWING:
        if key in common and (not selector or matched):
            narrowed = [n for n in matched if n.labels.get(key) == common[key]]
            if len(narrowed) < len(matched) or not selector:
                selector[key], matched = common[key], narrowed
    return selector, matched


def _name(key: tuple[str, ...]) -> str:
    cloud, region, capacity, *groups = key
    parts = [cloud, region, *(g or "none" for g in groups)]
    if capacity == "spot":
        parts.append("spot")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(parts))


def _limit(free: float, allocatable: float, headroom: float, whole: bool = False) -> float:
    value = max(0.0, free - headroom * allocatable) + 1e-9  # 19.2 must not floor to 19.19
    return float(math.floor(value)) if whole else math.floor(value * 100) / 100


def _pool_of(
    key: tuple[str, ...],
    group: list[Node],
    snap: ClusterSnapshot,
    group_by: Sequence[str],
    headroom: float,
) -> DiscoveredPool:
    names = {n.name for n in group}
    others = [n for n in snap.nodes if n.name not in names]
    selector, leaks = selector_for(group, others, group_by)
    if problem := selector_problem(selector):  # a selector apply would write into flows
        raise PoolError(
            f"the nodes of pool {_name(key)} carry a label placer cannot use: {problem}",
            f"context {snap.context}",
            RULE,
        )
    load = load_of(group, snap.pods)
    free, alloc = load.free, load.allocatable
    warnings = (
        [
            f"{key[0]}:{key[1]} {key[2]}: selector {selector} also matches "
            f"{', '.join(n.name for n in leaks)}"
        ]
        if leaks
        else []
    )
    if not load.nodes_usable:
        warnings.append(f"{_name(key)}: no usable node ({'; '.join(load.excluded)})")
    ceiling, could_add = ceiling_of(group, snap)
    daemonsets = daemonsets_of(group, snap.pods, snap.context)
    pool = Pool(
        name=_name(key),
        cloud=key[0],
        region=key[1],
        node_selector=selector,
        capacity_type="spot" if key[2] == "spot" else "on-demand",
        instance_types=tuple(sorted({n.instance_type for n in group if n.instance_type})),
        max_vcpus=_limit(free.vcpus, alloc.vcpus, headroom),
        max_memory_gib=_limit(free.memory_gib, alloc.memory_gib, headroom),
        max_gpus=_limit(free.gpus, alloc.gpus, headroom, whole=True),
        source=f"discovered:{snap.context}",
        daemonsets=daemonsets,
    )
    return DiscoveredPool(pool, snap.context, load, ceiling, could_add, tuple(warnings))


def daemonsets_of(
    nodes: Sequence[Node], pods: Sequence[Pod] | None, context: str
) -> DaemonSets | None:
    """What the DaemonSets request per node of a pool, measured on its nodes: per resource
    the most any node carries (a new node runs every DaemonSet that selects it, so the
    largest is what to expect). None when pods could not be listed."""
    if pods is None or not nodes:
        return None
    names = {n.name for n in nodes}
    used: dict[str, Amount] = {name: Amount() for name in names}
    count: dict[str, int] = dict.fromkeys(names, 0)
    for pod in pods:
        if pod.is_daemonset and pod.node_name in names:
            used[pod.node_name] = used[pod.node_name] + pod.request
            count[pod.node_name] += 1
    return DaemonSets(
        vcpus=max(a.vcpus for a in used.values()),
        memory_gib=max(a.memory_gib for a in used.values()),
        pods=max(count.values()),
        source=f"measured in {context}",
    )


def pools_of_cluster(
    snap: ClusterSnapshot, group_by: Sequence[str] = (), headroom: float = 0.2
) -> list[DiscoveredPool]:
    """The pools of one cluster, in a stable order (cloud, region, capacity, groups)."""
    groups: dict[tuple[str, ...], list[Node]] = {}
    for node in snap.nodes:
        groups.setdefault(_group_key(node, group_by, snap.context), []).append(node)
    return [_pool_of(k, groups[k], snap, group_by, headroom) for k in sorted(groups)]


def discover(
    snapshots: Sequence[ClusterSnapshot], group_by: Sequence[str] = (), headroom: float = 0.2
) -> list[DiscoveredPool]:
    """Pools of every cluster merged into one list; names made unique with the context."""
    if not 0 <= headroom < 1:
        raise PoolError(
            f"must be a share in [0, 1), got {headroom:g}",
            "--headroom",
            "pass a share such as 0.2",
        )
    found: list[DiscoveredPool] = []
    for snap in snapshots:
        if not snap.nodes:
            raise PoolError(
                "the cluster has no nodes",
                f"context {snap.context}",
                "check the context points at the right cluster",
            )
    _check_group_labels(snapshots, group_by)
    for snap in snapshots:
        found.extend(pools_of_cluster(snap, group_by, headroom))
    return _unique_names(found)


def _check_group_labels(snapshots: Sequence[ClusterSnapshot], group_by: Sequence[str]) -> None:
    """A `--group-by` label no node carries would split nothing: a typo, most likely."""
    from placer.errors import did_you_mean

    if not group_by:
        return
    for label in group_by:
        if problem := key_problem(label):
            raise PoolError(problem, "--group-by", RULE)
    seen = {key for snap in snapshots for n in snap.nodes for key in n.labels}
    for label in group_by:
        if label not in seen:
            raise PoolError(
                f"no node of the clusters read has the label {label!r}",
                "--group-by",
                did_you_mean(label, sorted(seen))
                or "pick a label from `kubectl get nodes --show-labels`",
            )


def _unique_names(found: list[DiscoveredPool]) -> list[DiscoveredPool]:
    from dataclasses import replace

    counts: dict[str, int] = {}
    for item in found:
        counts[item.pool.name] = counts.get(item.pool.name, 0) + 1
    out = []
    for item in found:
        if counts[item.pool.name] > 1:
            name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{item.pool.name}-{item.context}")
            item = replace(item, pool=replace(item.pool, name=name))
        out.append(item)
    return out
