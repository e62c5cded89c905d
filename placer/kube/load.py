"""How loaded a set of nodes is: allocatable, requested and free capacity."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from placer.kube.capacity import Amount, total
from placer.kube.objects import Node, Pod


@dataclass(frozen=True)
class Load:
    """Capacity of the nodes new task pods can use, and what running pods hold of it.

    Excluded nodes (not Ready, cordoned, tainted) count in `nodes_total` only. `free` is
    summed node by node, each clamped at zero, because a pod cannot span nodes.
    """

    nodes_total: int
    nodes_usable: int
    allocatable: Amount
    requested: Amount
    free: Amount
    excluded: tuple[str, ...] = ()  # "node: reason"
    pods_counted: bool = True  # False when pods could not be listed

    def utilisation(self) -> Amount:
        """requested / allocatable per resource (0 where nothing is allocatable)."""
        a, r = self.allocatable, self.requested
        return Amount(
            r.vcpus / a.vcpus if a.vcpus else 0.0,
            r.memory_gib / a.memory_gib if a.memory_gib else 0.0,
            r.gpus / a.gpus if a.gpus else 0.0,
        )


def requests_by_node(pods: Iterable[Pod]) -> dict[str, Amount]:
    """Sum of pod requests per node name (pods not yet bound to a node are skipped)."""
    out: dict[str, Amount] = {}
    for pod in pods:
        if pod.node_name:
            out[pod.node_name] = out.get(pod.node_name, Amount()) + pod.request
    return out


def load_of(nodes: Sequence[Node], pods: Iterable[Pod] | None) -> Load:
    """The Load of `nodes` given the cluster's non-terminal pods (None: not listable)."""
    usable = [n for n in nodes if n.excluded_because is None]
    used = requests_by_node(pods or ())
    requested = total(used.get(n.name, Amount()) for n in usable)
    return Load(
        nodes_total=len(nodes),
        nodes_usable=len(usable),
        allocatable=total(n.allocatable for n in usable),
        requested=requested,
        free=total((n.allocatable - used.get(n.name, Amount())).clamp() for n in usable),
        excluded=tuple(f"{n.name}: {n.excluded_because}" for n in nodes if n.excluded_because),
        pods_counted=pods is not None,
    )
