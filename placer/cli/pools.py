"""`placer pools list|discover`: the pools in effect and where each comes from, and pools
found in Kubernetes clusters (free capacity as limits, autoscaling ceilings, quotas)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from placer.cli._common import (
    ALL_CONTEXTS,
    CONTEXTS,
    FORMAT,
    KUBECONFIG,
    Format,
    load_config_for,
    read_snapshots,
    warn,
)
from placer.cli._env import env
from placer.errors import ConfigError

if TYPE_CHECKING:
    from placer.config import Config, Pool
    from placer.config.quotas import QuotaHeadroom
    from placer.kube import ClusterSnapshot, DiscoveredPool


pools_app = typer.Typer(
    name="pools",
    help="Compute pools: those in effect, and those found in Kubernetes clusters.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the `pools` group (list, discover) to the root app."""
    app.add_typer(pools_app)


# --- pools list ----------------------------------------------------------------------------


@pools_app.command("list")
def list_pools(
    config_path: Path | None = typer.Option(None, "--config", help="placer.yaml to read."),
    flow: Path | None = typer.Option(None, "--flow", help="Find placer.yaml next to this flow."),
    output: Format = FORMAT,
) -> None:
    """Show the pools in effect and where each comes from (defaults, a file, discovery)."""
    from placer.output.pools import pool_json, pools_table, selector_lines

    config = load_config_for(flow, config_path)
    _check_catalog(config)
    if output is Format.json:
        env().write(json.dumps([pool_json(p) for p in config.pools], indent=2))
        return
    where = str(config.path) if config.path else "built-in defaults (no placer.yaml found)"
    lines = ["", "node selectors:", *selector_lines(config.pools)]
    env().show([f"pools from {where}", pools_table(config.pools), "\n".join(lines)])


def _check_catalog(config: Config) -> None:
    """Every pool must be priced, as `placer plan` requires."""
    from placer.config import check_pools_against_catalog
    from pricing.catalog import load_catalog

    check_pools_against_catalog(config, load_catalog())


# --- pools discover ------------------------------------------------------------------------


@pools_app.command("discover")
def discover_pools(
    kubeconfig: Path | None = KUBECONFIG,
    contexts: list[str] = CONTEXTS,
    all_contexts: bool = ALL_CONTEXTS,
    group_by: list[str] = typer.Option(
        [], "--group-by", help="Also split pools by this node label (repeatable)."
    ),
    headroom: float = typer.Option(
        0.2, "--headroom", help="Share of allocatable capacity to keep free in the limits."
    ),
    quotas: bool = typer.Option(False, "--quotas", help="Add cloud vCPU quota headroom."),
    write: Path | None = typer.Option(None, "--write", help="Merge the pools into this file."),
    output: Format = FORMAT,
) -> None:
    """Build pools from cluster nodes, with free capacity as limits (and autoscaling ceilings)."""
    from placer.kube import discover
    from placer.output.pools import discovered_json, discovered_table, selector_lines

    snapshots = read_snapshots(kubeconfig, contexts, all_contexts)
    found = discover(snapshots, group_by, headroom)
    warnings = [w for s in snapshots for w in s.warnings] + [w for d in found for w in d.warnings]
    warnings += _unpriced([d.pool for d in found])
    headroom_by_pool = _quotas(found, warnings) if quotas else {}
    if write is not None:
        warnings += _write_pools(write, found, snapshots)
    warn(warnings)
    if output is Format.json:
        rows = [discovered_json(d, headroom_by_pool.get(d.pool.name)) for d in found]
        env().write(json.dumps(rows, indent=2))
    else:
        lines = ["", "node selectors:", *selector_lines([d.pool for d in found])]
        env().show([discovered_table(found, headroom_by_pool), "\n".join(lines)])
    if write is not None:
        env().err_console().print(f"merged {len(found)} pools into {write}")


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
    from placer.inputs import MAX_CONFIG_BYTES, check_output, read_regular

    check_output(path, [], "--write")
    before = (
        read_regular(path, "config file", MAX_CONFIG_BYTES, ConfigError) if path.exists() else None
    )
    try:
        text = (before or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", str(path), "save the file as UTF-8") from None
    nodes = [n for snap in snapshots for n in snap.nodes]

    def reaches_read_clusters(pool: Pool) -> bool:
        return any(n.matches(pool.selector()) for n in nodes)

    merged = merge_pools(
        text, [(d.pool, _note(d)) for d in found], str(path), reaches_read_clusters
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, merged.text, expected=before)  # an edit meanwhile is not lost
    return [
        f"kept pool {name} from {path}: its selector reaches no node of the clusters read"
        for name in merged.kept
    ]
