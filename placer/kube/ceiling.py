"""How far a pool can grow: Karpenter NodePool limits and cluster-autoscaler max sizes.

A ceiling is reported only when every node of the pool belongs to an autoscaled group
(a NodePool placer could read, or a node group the autoscaler status names): with static
nodes in the mix there is no ceiling to state. Karpenter limits bound only the resources
the NodePool limits; an autoscaler group bounds every resource (max size x node shape,
the shape being the largest allocatable among the group's nodes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from placer.kube.autoscaler import groups_for
from placer.kube.capacity import Amount, total
from placer.kube.client import ClusterSnapshot
from placer.kube.objects import Node

NODEPOOL_LABEL = "karpenter.sh/nodepool"
RESOURCES = ("vcpus", "memory_gib", "gpus")


@dataclass(frozen=True)
class _Part:
    bounded: frozenset[str]
    limit: Amount
    could_add: Amount


def _karpenter(nodes: Sequence[Node], snap: ClusterSnapshot) -> _Part | None:
    names = sorted({n.labels[NODEPOOL_LABEL] for n in nodes})
    if not names:
        return None
    limits = [snap.nodepools[n] for n in names]
    bounded = frozenset.intersection(*(lim.limited for lim in limits))
    spare = total((lim.limit - lim.in_use).clamp() for lim in limits)
    return _Part(bounded, total(lim.limit for lim in limits), spare)


def _shape(nodes: Sequence[Node]) -> Amount:
    out = Amount()
    for node in nodes:
        out = out.max(node.allocatable)
    return out


def _autoscaled(nodes: Sequence[Node], snap: ClusterSnapshot) -> _Part | None:
    values = sorted({n.node_group for n in nodes if n.node_group})
    if not values:
        return None
    known = {n.node_group for n in snap.nodes if n.node_group}
    limit, spare = Amount(), Amount()
    for value in values:
        members = [n for n in snap.nodes if n.node_group == value]
        max_nodes = sum(g.max_size for g in groups_for(value, snap.autoscaler, known))
        shape = _shape(members)
        limit = limit + shape.scaled(max_nodes)
        spare = spare + shape.scaled(max(0, max_nodes - len(members)))
    return _Part(frozenset(RESOURCES), limit, spare)


def _covered(node: Node, snap: ClusterSnapshot, scaled: set[str]) -> str | None:
    if node.labels.get(NODEPOOL_LABEL) in snap.nodepools:
        return "karpenter"
    return "autoscaler" if node.node_group in scaled else None


def _scaled_groups(snap: ClusterSnapshot) -> set[str]:
    """Node-group label values that some autoscaler group matches."""
    if not snap.autoscaler:
        return set()
    known = {n.node_group for n in snap.nodes if n.node_group}
    return {v for v in known if groups_for(v, snap.autoscaler, known)}


def ceiling_of(group: Sequence[Node], snap: ClusterSnapshot) -> tuple[dict, dict]:
    """(ceiling, could_add) per bounded resource, or two empty dicts.

    Nodes with a taint tasks do not tolerate are left out: their groups never take tasks.
    """
    group = [n for n in group if not n.blocking_taints]
    scaled = _scaled_groups(snap)
    kinds = [_covered(n, snap, scaled) for n in group]
    if not group or None in kinds:
        return {}, {}
    parts = [
        _karpenter([n for n, k in zip(group, kinds, strict=True) if k == "karpenter"], snap),
        _autoscaled([n for n, k in zip(group, kinds, strict=True) if k == "autoscaler"], snap),
    ]
    present = [p for p in parts if p is not None]
    bounded = frozenset.intersection(*(p.bounded for p in present))
    limit, spare = total(p.limit for p in present), total(p.could_add for p in present)
    ceiling = {r: round(getattr(limit, r), 3) for r in RESOURCES if r in bounded}
    return ceiling, {r: round(getattr(spare, r), 3) for r in RESOURCES if r in bounded}
