"""`placer status`: live load per pool (capacity, requests, utilisation) and the Metaflow
tasks running or waiting in each, once or every few seconds."""

from __future__ import annotations

import json
import time
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
from placer.limits import WATCH_SECONDS

if TYPE_CHECKING:
    from placer.config import Pool


def register(app: typer.Typer) -> None:
    """Add `status` to the root app."""
    app.command("status")(status)


def status(
    kubeconfig: Path | None = KUBECONFIG,
    contexts: list[str] = CONTEXTS,
    all_contexts: bool = ALL_CONTEXTS,
    config_path: Path | None = typer.Option(None, "--config", help="placer.yaml to read."),
    flow: Path | None = typer.Option(None, "--flow", help="Find placer.yaml next to this flow."),
    watch: float | None = typer.Option(
        None, "--watch", help="Refresh every SECONDS until Ctrl-C (json: one line per refresh)."
    ),
    refreshes: int = typer.Option(0, "--refreshes", hidden=True, help="Stop after N (tests)."),
    output: Format = FORMAT,
) -> None:
    """Live load per pool: capacity, requests, free, utilisation, and Metaflow tasks."""
    if watch is not None and (problem := WATCH_SECONDS.problem(watch)):
        raise ConfigError(problem, "--watch", "give seconds, e.g. 5")
    pools = load_config_for(flow, config_path).pools
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
    from placer.output.pools import status_json, status_table, task_lines

    report = cluster_status(pools, read_snapshots(kubeconfig, contexts, every))
    warn(report.warnings)
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
