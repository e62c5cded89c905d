"""Live load of the pools in effect: which nodes each pool's selector reaches, how full
they are, and the Metaflow task pods running in (or waiting for) each pool."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from placer.config import Pool
from placer.kube.client import ClusterSnapshot
from placer.kube.load import Load, load_of
from placer.kube.objects import Node, Pod


@dataclass(frozen=True)
class PoolStatus:
    """One pool's load across every cluster read, and its Metaflow tasks."""

    pool: Pool
    load: Load
    running: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (flow, step) -> pods
    pending: Mapping[tuple[str, str], int] = field(default_factory=dict)  # unbound, targeting it
    contexts: tuple[str, ...] = ()  # clusters where the selector matched nodes


@dataclass(frozen=True)
class ClusterStatus:
    """Every pool's status, plus the nodes no pool reaches."""

    pools: tuple[PoolStatus, ...]
    unpooled: Load
    warnings: tuple[str, ...] = ()


def _targets(pod: Pod, pool: Pool) -> bool:
    selector = pool.selector()
    return bool(selector) and all(pod.node_selector.get(k) == v for k, v in selector.items())


def _tasks(pods: Sequence[Pod]) -> dict[tuple[str, str], int]:
    return dict(sorted(Counter(p.flow_step for p in pods if p.is_metaflow_task).items()))


def _pool_status(pool: Pool, snapshots: Sequence[ClusterSnapshot]) -> PoolStatus:
    nodes: list[Node] = []
    pods: list[Pod] = []
    waiting: list[Pod] = []
    contexts = []
    for snap in snapshots:
        matched = [n for n in snap.nodes if n.matches(pool.selector())]
        names = {n.name for n in matched}
        if matched:
            contexts.append(snap.context)
        nodes.extend(matched)
        pods.extend(p for p in snap.pods or () if p.node_name in names)
        waiting.extend(p for p in snap.pods or () if not p.node_name and _targets(p, pool))
    counted = all(s.pods is not None for s in snapshots)
    load = load_of(nodes, pods if counted else None)
    return PoolStatus(pool, load, _tasks(pods), _tasks(waiting), tuple(contexts))


def cluster_status(pools: Sequence[Pool], snapshots: Sequence[ClusterSnapshot]) -> ClusterStatus:
    """The load of each pool in `pools` as seen in `snapshots`."""
    statuses = tuple(_pool_status(p, snapshots) for p in pools)
    warnings = [w for s in snapshots for w in s.warnings]
    warnings += [
        f"pool {s.pool.name}: selector {dict(s.pool.selector())} matches no node"
        for s in statuses
        if s.load.nodes_total == 0
    ]
    loose = [
        n for s in snapshots for n in s.nodes if not any(n.matches(p.selector()) for p in pools)
    ]
    all_pods = [p for s in snapshots for p in s.pods or ()]
    counted = all(s.pods is not None for s in snapshots)
    return ClusterStatus(statuses, load_of(loose, all_pods if counted else None), tuple(warnings))
