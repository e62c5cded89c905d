"""`placer graph FLOW`: the flow's steps, DAG and effective resources."""

from __future__ import annotations

from pathlib import Path

import typer

from placer.cli._common import FORMAT, Format
from placer.cli._env import env
from placer.cli._flow import FLOW_CONFIGS, PATHS, pairs, read_model


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("graph")(graph)


def graph(
    flow: Path = typer.Argument(
        ..., metavar="FLOW", help="The Metaflow flow file (read, never executed)."
    ),
    flow_class: str | None = typer.Option(
        None, "--flow-class", help="The FlowSpec subclass to read, if the file has several."
    ),
    output: Format = FORMAT,
    paths: list[Path] = PATHS,
    flow_configs: list[str] = FLOW_CONFIGS,  # pairs (NAME, FILE): see _flow.FLOW_CONFIGS
    config: Path | None = typer.Option(
        None,
        "--config",
        help="placer.yaml whose flow_configs give Config values (default: the one next to "
        "the flow, if any).",
    ),
) -> None:
    """Show the flow's steps: type, next steps, foreach context, resources and placement."""
    from placer.config import load_config
    from placer.output.graph import graph_json, graph_table, placement_lines

    # placer.yaml only for its flow_configs: the one named, or the one next to the flow
    beside = flow.parent / "placer.yaml"
    wanted = config if config is not None else (beside if _is_file(beside) else None)
    settings = load_config(flow, wanted) if wanted is not None and _is_file(flow) else None
    model = read_model(flow, flow_class, paths, pairs(flow_configs), settings)
    if output is Format.json:
        env().write(graph_json(model))
        return
    lines = placement_lines(model)
    env().show([graph_table(model), *(["placement:\n" + "\n".join(lines)] if lines else [])])


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long: the flow reader reports it
        return False
