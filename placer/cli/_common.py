"""Options and helpers shared by the command groups: `--format table|json` and `--plot`'s
picture format (most commands); reading clusters or placer.yaml (`pools`, `init`, `status`)."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from placer.cli._env import env
from placer.errors import ConfigError

if TYPE_CHECKING:
    from placer.config import Config
    from placer.kube import ClusterSnapshot


class Format(enum.StrEnum):
    """Output formats."""

    table = "table"
    json = "json"


KUBECONFIG = typer.Option(None, "--kubeconfig", help="Kubeconfig file (default: $KUBECONFIG).")
CONTEXTS = typer.Option(
    [], "--context", help="Kubeconfig context; repeat for several clusters (default: current)."
)
ALL_CONTEXTS = typer.Option(False, "--all-contexts", help="Read every context in the kubeconfig.")
FORMAT = typer.Option(Format.table, "--format", help="table or json.")


def in_range(value: float, option: str, low: float, high: float) -> float:
    """`value` if it is a finite number in [low, high]; else bad input naming `option`."""
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(
            f"must be between {low:g} and {high:g}, got {value:g}",
            option,
            f"give a number from {low:g} to {high:g}",
        )
    return value


def plot_format(plot: Path | None) -> str | None:
    """The picture format --plot's suffix asks for (png or svg); None without --plot."""
    if plot is None:
        return None
    from placer.output.plot._figure import check_path

    return check_path(plot, "--plot")


def load_config_for(flow: Path | None, config_path: Path | None) -> Config:
    """placer.yaml for `--flow`/`--config`; a missing flow must not silently mean "cwd"."""
    from placer.config import load_config

    if flow is not None and not flow.is_file():
        raise ConfigError(
            f"flow file not found: {flow}", "--flow", "check the path to the flow file"
        )
    return load_config(flow, config_path)


def read_snapshots(
    kubeconfig: Path | None, contexts: list[str], every: bool
) -> list[ClusterSnapshot]:
    """Snapshots of the named contexts, every context, or the current one."""
    from placer.kube import list_contexts, read_clusters

    if every and contexts:
        raise ConfigError(
            "--all-contexts and --context exclude each other", "--all-contexts", "pass one of them"
        )
    names = list_contexts(kubeconfig)[0] if every else contexts
    return read_clusters(kubeconfig, names)


def warn(warnings: Sequence[str]) -> None:
    """Each warning once, on stderr (a missing env var would otherwise hit every pool)."""
    for warning in dict.fromkeys(warnings):
        env().stderr.write(f"warning: {warning}\n")
