"""Pools for people and machines: `placer pools list`, `pools discover` and `status` as
tables and JSON, from Pool, DiscoveredPool and ClusterStatus values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from placer.output.table import plain_table

if TYPE_CHECKING:
    from rich.table import Table

    from placer.config import Pool
    from placer.config.quotas import QuotaHeadroom
    from placer.kube import ClusterStatus, DiscoveredPool, Load

__all__ = [
    "discovered_json",
    "discovered_table",
    "pool_json",
    "pools_table",
    "selector_lines",
    "status_json",
    "status_table",
    "task_lines",
]


def pool_json(pool: Pool) -> dict[str, Any]:
    """A pool as JSON: placer.yaml's keys plus `source`."""
    return {
        "name": pool.name,
        "cloud": pool.cloud,
        "region": pool.region,
        "node_selector": dict(pool.node_selector),
        "compute_pool": pool.compute_pool,
        "capacity_type": pool.capacity_type,
        "instance_types": list(pool.instance_types),
        "max_vcpus": pool.max_vcpus,
        "max_memory_gib": pool.max_memory_gib,
        "max_gpus": pool.max_gpus,
        "max_nodes": pool.max_nodes,
        "speed": pool.speed,
        "source": pool.source,
        "max_pods": pool.max_pods,
        "daemonsets": _daemonsets_json(pool),
    }


def _daemonsets_json(pool: Pool) -> dict[str, Any] | None:
    """The pool's per-node DaemonSet requests, or None (the provider's defaults apply)."""
    ds = pool.daemonsets
    if ds is None:
        return None
    return {
        "vcpus": round(ds.vcpus, 4),
        "memory_gib": round(ds.memory_gib, 4),
        "pods": ds.pods,
        "source": ds.source,
    }


def _limit(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _selector_text(pool: Pool) -> str:
    return ",".join(f"{k}={v}" for k, v in pool.selector().items())


def selector_lines(pools: Sequence[Pool]) -> list[str]:
    """`pool: selector k=v,...; types a,b` lines printed under a table."""
    return [
        f"  {p.name}: {_selector_text(p) or '-'}"
        + (f"; types {','.join(p.instance_types)}" if p.instance_types else "")
        for p in pools
    ]


def _source_label(pool: Pool) -> str:
    """defaults, discovered:<context>, or file (the path is printed above the table)."""
    known = pool.source == "defaults" or pool.source.startswith("discovered:")
    return pool.source if known else "file"


def pools_table(pools: Sequence[Pool]) -> Table:
    """One row per pool: where it is, how steps target it, its limits and source."""
    limits = ("vcpus", "mem GiB", "gpus", "nodes")
    table = plain_table(
        "pool", "cloud:region", "capacity", *limits, "source", right=limits, fold=("pool", "source")
    )
    for p in pools:
        table.add_row(
            p.name,
            f"{p.cloud}:{p.region}",
            p.capacity_type,
            _limit(p.max_vcpus),
            _limit(p.max_memory_gib),
            _limit(p.max_gpus),
            _limit(p.max_nodes),
            _source_label(p),
        )
    return table


def _amount_json(load: Load) -> dict[str, Any]:
    return {
        "allocatable": load.allocatable.as_json(),
        "requested": load.requested.as_json(),
        "free": load.free.as_json(),
        "nodes_usable": load.nodes_usable,
        "nodes_total": load.nodes_total,
        "excluded_nodes": list(load.excluded),
        "pods_counted": load.pods_counted,
    }


def discovered_json(d: DiscoveredPool, quota: QuotaHeadroom | None = None) -> dict[str, Any]:
    """A discovered pool as JSON: the pool, its load, ceiling and quota headroom."""
    out = {**pool_json(d.pool), "context": d.context, **_amount_json(d.load)}
    out.update(ceiling=dict(d.ceiling), could_add=dict(d.could_add), warnings=list(d.warnings))
    if quota is not None:
        out["quota"] = quota.as_json()
    return out


def _triple(vcpus: float | None, memory_gib: float | None, gpus: float | None) -> str:
    return "/".join(_limit(v) if v is None else f"{v:.4g}" for v in (vcpus, memory_gib, gpus))


def discovered_table(found: Sequence[DiscoveredPool], quotas: dict[str, QuotaHeadroom]) -> Table:
    """One row per discovered pool: nodes, free now, the limits set, and ceilings."""
    right = ("nodes", "free now\ncpu/GiB/gpu", "limits\ncpu/GiB/gpu", "ceiling\ncpu", "quota\ncpu")
    columns = ("pool", "context", "capacity", *right[: 5 if quotas else 4])
    table = plain_table(*columns, right=right, fold=("pool", "context"))
    for d in found:
        free, p = d.load.free, d.pool
        row = [
            p.name,
            d.context,
            p.capacity_type,
            f"{d.load.nodes_usable}/{d.load.nodes_total}",
            _triple(free.vcpus, free.memory_gib, free.gpus),
            _triple(p.max_vcpus, p.max_memory_gib, p.max_gpus),
            _limit(d.ceiling.get("vcpus")),
        ]
        if quotas:
            quota = quotas.get(p.name)
            row.append(f"{quota.headroom_vcpus:g}" if quota else "?")
        table.add_row(*row)
    return table


def _tasks_json(tasks: Mapping[tuple[str, str], int]) -> list[dict[str, Any]]:
    return [{"flow": f, "step": s, "pods": n} for (f, s), n in tasks.items()]


def status_json(report: ClusterStatus) -> dict[str, Any]:
    """The live status as JSON: one entry per pool plus the nodes no pool reaches."""
    pools = []
    for s in report.pools:
        util = s.load.utilisation().as_json()
        pools.append(
            {
                "pool": s.pool.name,
                "cloud": s.pool.cloud,
                "region": s.pool.region,
                "selector": s.pool.selector(),
                "contexts": list(s.contexts),
                **_amount_json(s.load),
                "utilisation": util,
                "running_tasks": _tasks_json(dict(s.running)),
                "pending_tasks": _tasks_json(dict(s.pending)),
            }
        )
    return {
        "pools": pools,
        "unpooled": _amount_json(report.unpooled),
        "warnings": list(report.warnings),
    }


def _used(requested: float, allocatable: float, digits: int) -> str:
    return f"{requested:.{digits}f}/{allocatable:.{digits}f}" if allocatable else "-"


def _share(requested: float, allocatable: float) -> str:
    return f"{requested / allocatable:.0%}" if allocatable else "-"


def status_table(report: ClusterStatus) -> Table:
    """One row per pool: nodes usable/total, requested/allocatable and utilisation, tasks."""
    right = ("nodes", "cpu", "cpu%", "GiB", "mem%", "gpu", "running", "pending")
    table = plain_table("pool", *right, right=right, fold=("pool",))
    rows = [
        (s.pool.name, s.load, sum(s.running.values()), sum(s.pending.values()))
        for s in report.pools
    ]
    if report.unpooled.nodes_total:
        rows.append(("(no pool)", report.unpooled, 0, 0))
    for name, load, running, pending in rows:
        a, r = load.allocatable, load.requested
        table.add_row(
            name,
            f"{load.nodes_usable}/{load.nodes_total}",
            _used(r.vcpus, a.vcpus, 2),
            _share(r.vcpus, a.vcpus),
            _used(r.memory_gib, a.memory_gib, 1),
            _share(r.memory_gib, a.memory_gib),
            _used(r.gpus, a.gpus, 0),
            str(running),
            str(pending),
        )
    return table


def task_lines(report: ClusterStatus) -> list[str]:
    """`pool: Flow/step xN` lines for the Metaflow task pods running or waiting."""
    lines = []
    for s in report.pools:
        for (flow, step), n in s.running.items():
            lines.append(f"{s.pool.name}: {flow}/{step} x{n} running")
        for (flow, step), n in s.pending.items():
            lines.append(f"{s.pool.name}: {flow}/{step} x{n} pending")
    return lines
