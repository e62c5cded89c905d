"""`placer pools list|discover`, `placer init` and `placer status`: pools in effect,
pools found in Kubernetes clusters, a starter placer.yaml, and live load per pool."""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from placer.cli._env import env
from placer.errors import ConfigError

if TYPE_CHECKING:
    from rich.table import Table

    from placer.config import Config, Pool
    from placer.config.quotas import QuotaHeadroom
    from placer.kube import ClusterSnapshot, ClusterStatus, DiscoveredPool, Load


class Format(enum.StrEnum):
    """Output formats."""

    table = "table"
    json = "json"


pools_app = typer.Typer(
    name="pools",
    help="Compute pools: those in effect, and those found in Kubernetes clusters.",
    no_args_is_help=True,
)

_KUBECONFIG = typer.Option(None, "--kubeconfig", help="Kubeconfig file (default: $KUBECONFIG).")
_CONTEXTS = typer.Option(
    [], "--context", help="Kubeconfig context; repeat for several clusters (default: current)."
)
_ALL = typer.Option(False, "--all-contexts", help="Read every context in the kubeconfig.")
_FORMAT = typer.Option(Format.table, "--format", help="table or json.")


def register(app: typer.Typer) -> None:
    """Add `pools`, `init` and `status` to the root app."""
    app.add_typer(pools_app)
    app.command("init")(init)
    app.command("status")(status)


# --- pools list ----------------------------------------------------------------------------


@pools_app.command("list")
def list_pools(
    config_path: Path | None = typer.Option(None, "--config", help="placer.yaml to read."),
    flow: Path | None = typer.Option(None, "--flow", help="Find placer.yaml next to this flow."),
    output: Format = _FORMAT,
) -> None:
    """Show the pools in effect and where each comes from (defaults, a file, discovery)."""
    config = _load_config(flow, config_path)
    _check_catalog(config)
    if output is Format.json:
        env().write(json.dumps([pool_json(p) for p in config.pools], indent=2))
        return
    where = str(config.path) if config.path else "built-in defaults (no placer.yaml found)"
    env().write(f"pools from {where}")
    env().console().print(pools_table(config.pools))
    env().write("\n".join(["", "node selectors:", *selector_lines(config.pools)]))


def _load_config(flow: Path | None, config_path: Path | None) -> Config:
    """placer.yaml for `--flow`/`--config`; a missing flow must not silently mean "cwd"."""
    from placer.config import load_config

    if flow is not None and not flow.is_file():
        raise ConfigError(
            f"flow file not found: {flow}", "--flow", "check the path to the flow file"
        )
    return load_config(flow, config_path)


def _check_catalog(config: Config) -> None:
    """Pools must be priced; skipped while the catalog reader does not exist yet."""
    try:
        from pricing.catalog import load_catalog
    except ImportError:
        return
    from placer.config import check_pools_against_catalog

    check_pools_against_catalog(config, load_catalog())


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
    }


def _limit(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _selector_text(pool: Pool) -> str:
    return ",".join(f"{k}={v}" for k, v in pool.selector().items())


def _table(*columns: str, right: Sequence[str] = (), fold: Sequence[str] = ()) -> Table:
    """A plain table; when too wide, the `fold` columns wrap (numbers are never cut short)."""
    from rich import box
    from rich.table import Table

    table = Table(
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
        collapse_padding=True,
        show_edge=False,  # two more columns, so the tables fit 80 (CI logs) more often
    )
    for column in columns:
        folds = column in fold
        table.add_column(
            column,
            justify="right" if column in right else "left",
            no_wrap=not folds,
            overflow="fold" if folds else "ellipsis",
        )
    return table


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
    table = _table(
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


# --- init ----------------------------------------------------------------------------------


def init(
    flow: Path = typer.Argument(..., help="The Metaflow flow file (read, never executed)."),
    out: Path | None = typer.Option(None, "--out", help="Where to write (default: next to FLOW)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    flow_class: str | None = typer.Option(None, "--flow-class", help="FlowSpec subclass to read."),
) -> None:
    """Write a commented placer.yaml for FLOW: its steps, foreach widths and default pools."""
    from placer.atomic import write_atomic
    from placer.config import init_text
    from placer.flow import read_flow

    target = out or flow.parent / "placer.yaml"
    if target.exists() and not force:
        raise ConfigError(
            "the file already exists",
            str(target),
            "pass --force to overwrite it, or --out to write elsewhere",
        )
    text = init_text(read_flow(flow, flow_class))
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text)
    env().write(f"wrote {target} ({len(text.splitlines())} lines)")


# --- pools discover ------------------------------------------------------------------------


@pools_app.command("discover")
def discover_pools(
    kubeconfig: Path | None = _KUBECONFIG,
    contexts: list[str] = _CONTEXTS,
    all_contexts: bool = _ALL,
    group_by: list[str] = typer.Option(
        [], "--group-by", help="Also split pools by this node label (repeatable)."
    ),
    headroom: float = typer.Option(
        0.2, "--headroom", help="Share of allocatable capacity to keep free in the limits."
    ),
    quotas: bool = typer.Option(False, "--quotas", help="Add cloud vCPU quota headroom."),
    write: Path | None = typer.Option(None, "--write", help="Merge the pools into this file."),
    output: Format = _FORMAT,
) -> None:
    """Build pools from cluster nodes, with free capacity as limits (and autoscaling ceilings)."""
    from placer.kube import discover

    snapshots = _read(kubeconfig, contexts, all_contexts)
    found = discover(snapshots, group_by, headroom)
    warnings = [w for s in snapshots for w in s.warnings] + [w for d in found for w in d.warnings]
    warnings += _unpriced([d.pool for d in found])
    headroom_by_pool = _quotas(found, warnings) if quotas else {}
    if write is not None:
        warnings += _write_pools(write, found, snapshots)
    _warn(warnings)
    if output is Format.json:
        rows = [discovered_json(d, headroom_by_pool.get(d.pool.name)) for d in found]
        env().write(json.dumps(rows, indent=2))
    else:
        env().console().print(discovered_table(found, headroom_by_pool))
        lines = ["", "node selectors:", *selector_lines([d.pool for d in found])]
        env().write("\n".join(lines))
    if write is not None:
        env().err_console().print(f"merged {len(found)} pools into {write}")


def _read(kubeconfig: Path | None, contexts: list[str], every: bool) -> list[ClusterSnapshot]:
    """Snapshots of the named contexts, every context, or the current one."""
    from placer.kube import list_contexts, read_clusters

    if every and contexts:
        raise ConfigError(
            "--all-contexts and --context exclude each other", "--all-contexts", "pass one of them"
        )
    names = list_contexts(kubeconfig)[0] if every else contexts
    return read_clusters(kubeconfig, names)


def _unpriced(pools: Sequence[Pool]) -> list[str]:
    """Warnings for discovered pools `placer plan` would refuse for lack of prices."""
    from placer.config import catalog_problem
    from pricing.catalog import load_catalog

    catalog = load_catalog()
    problems = [(p, catalog_problem(p, catalog)) for p in pools]
    return [
        f"pool {p.name}: {problem}; `placer plan` cannot price it until "
        f"`placer pricing refresh --cloud {p.cloud} --region {p.region}` does"
        for p, problem in problems
        if problem
    ]


def _warn(warnings: Sequence[str]) -> None:
    for warning in dict.fromkeys(warnings):  # once each (a missing env var hits every pool)
        env().stderr.write(f"warning: {warning}\n")


def _quotas(found: Sequence[DiscoveredPool], warnings: list[str]) -> dict[str, QuotaHeadroom]:
    from placer.config.quotas import quota_headroom

    return quota_headroom([d.pool for d in found], warnings)


def _note(d: DiscoveredPool) -> str:
    free = d.load.free
    text = f"{d.context}: free {free.vcpus:g} vCPU, {free.memory_gib:.1f} GiB, {free.gpus:g} GPU"
    if d.ceiling.get("vcpus") is not None:
        text += f"; autoscaling ceiling {d.ceiling['vcpus']:g} vCPU"
    return text


def _write_pools(
    path: Path, found: Sequence[DiscoveredPool], snapshots: Sequence[ClusterSnapshot]
) -> list[str]:
    """Merge `found` into the file at `path` atomically; warnings about pools kept."""
    from placer.atomic import write_atomic
    from placer.config import merge_pools

    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", str(path)) from None
    nodes = [n for snap in snapshots for n in snap.nodes]

    def reaches_read_clusters(pool: Pool) -> bool:
        return any(n.matches(pool.selector()) for n in nodes)

    merged = merge_pools(
        text, [(d.pool, _note(d)) for d in found], str(path), reaches_read_clusters
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, merged.text)
    return [
        f"kept pool {name} from {path}: its selector reaches no node of the clusters read"
        for name in merged.kept
    ]


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
    table = _table(*columns, right=right, fold=("pool", "context"))
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


# --- status --------------------------------------------------------------------------------


def status(
    kubeconfig: Path | None = _KUBECONFIG,
    contexts: list[str] = _CONTEXTS,
    all_contexts: bool = _ALL,
    config_path: Path | None = typer.Option(None, "--config", help="placer.yaml to read."),
    flow: Path | None = typer.Option(None, "--flow", help="Find placer.yaml next to this flow."),
    watch: float | None = typer.Option(
        None, "--watch", help="Refresh every SECONDS until Ctrl-C (json: one line per refresh)."
    ),
    refreshes: int = typer.Option(0, "--refreshes", hidden=True, help="Stop after N (tests)."),
    output: Format = _FORMAT,
) -> None:
    """Live load per pool: capacity, requests, free, utilisation, and Metaflow tasks."""
    if watch is not None and watch <= 0:
        raise ConfigError("--watch must be a positive number of seconds", "--watch", "e.g. 5")
    pools = _load_config(flow, config_path).pools
    count = 0
    try:
        while True:
            _show_status(pools, kubeconfig, contexts, all_contexts, output, watch is not None)
            count += 1
            if watch is None or count == refreshes:
                return
            time.sleep(watch)
    except KeyboardInterrupt:  # the way out of --watch
        return


def _show_status(
    pools: Sequence[Pool],
    kubeconfig: Path | None,
    contexts: list[str],
    every: bool,
    output: Format,
    watching: bool,
) -> None:
    from placer.kube import cluster_status

    report = cluster_status(pools, _read(kubeconfig, contexts, every))
    _warn(report.warnings)
    if output is Format.json:
        data = status_json(report)
        env().write(json.dumps(data) if watching else json.dumps(data, indent=2))
        return
    console = env().console()
    if watching and console.is_terminal:
        console.clear()
    if watching:
        env().write(time.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(status_table(report))
    tasks = task_lines(report)
    if tasks:
        env().write("\n".join(["", *tasks]))


def _tasks_json(tasks: dict) -> list[dict[str, Any]]:
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
    table = _table("pool", *right, right=right, fold=("pool",))
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
