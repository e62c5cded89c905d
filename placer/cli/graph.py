"""`placer graph FLOW`: the flow's steps, DAG and effective resources."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from placer.cli._env import env

if TYPE_CHECKING:
    pass


class GraphFormat(enum.StrEnum):
    """Output formats of `placer graph`."""

    table = "table"
    json = "json"


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
    output: GraphFormat = typer.Option(GraphFormat.table, "--format", help="table or json."),
) -> None:
    """Show the flow's steps: type, next steps, foreach context, resources and placement."""
    from placer.flow import read_flow
    from placer.output.graph import graph_json, graph_table, placement_lines

    model = read_flow(flow, flow_class)
    if output is GraphFormat.json:
        env().write(graph_json(model))
        return
    lines = placement_lines(model)
    env().show([graph_table(model), *(["placement:\n" + "\n".join(lines)] if lines else [])])
