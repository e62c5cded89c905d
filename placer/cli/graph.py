"""`placer graph FLOW`: the flow's steps, DAG and effective resources."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from placer.cli._env import env

if TYPE_CHECKING:
    from rich.table import Table

    from placer.flow import Flow, Step


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

    model = read_flow(flow, flow_class)
    for warning in model.warnings:
        env().stderr.write(f"warning: {warning}\n")
    if output is GraphFormat.json:
        import json

        from placer.flow import flow_as_json

        env().write(json.dumps(flow_as_json(model), indent=2))
    else:
        console = env().console()
        console.print(graph_table(model))
        lines = placement_lines(model)
        if lines:
            env().write("placement:\n" + "\n".join(lines))


def graph_table(flow: Flow) -> Table:
    """A rich table with one row per step, in source order (sizes in GiB)."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"{flow.name} ({flow.file})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
        collapse_padding=True,
    )
    # Names fold onto more lines when the terminal is narrow; the short columns keep their
    # full width, so no figure is ever cut to an ellipsis.
    for column, least in (("step", 4), ("type", 4), ("next", 8), ("foreach", 4)):
        table.add_column(column, overflow="fold", min_width=least)
    table.add_column("on", no_wrap=True)
    for column in ("cpu", "mem", "disk", "gpu"):
        table.add_column(column, justify="right", no_wrap=True)
    for step in flow.steps.values():
        table.add_row(*_row(step))
    return table


_BACKENDS = {"kubernetes": "k8s", "batch": "batch", "local": "local"}


def _row(step: Step) -> list[str]:
    res = step.resources
    sizes = ["-"] * 4
    if res is not None:
        sizes = [_num(res.cpu), _gib(res.memory_mb), _gib(res.disk_mb), str(res.gpu)]
    return [
        step.name,
        _type(step),
        " ".join(step.next) or "-",
        " > ".join(step.foreach_stack) or "-",
        _BACKENDS[step.backend],
        *sizes,
    ]


def _type(step: Step) -> str:
    if step.foreach is not None:
        return f"foreach {step.foreach}"
    if step.num_parallel is not None:
        return f"parallel {step.num_parallel}"
    if step.condition is not None:
        return f"switch {step.condition}"
    return step.type


def placement_lines(flow: Flow) -> list[str]:
    """`step: key=value, ...` for every step with a node selector or tolerations."""
    lines = []
    for step in flow.steps.values():
        parts = [f"{k}={v}" for k, v in step.placement.node_selector.items()]
        if step.placement.tolerations:
            parts.append(f"{len(step.placement.tolerations)} toleration(s)")
        if parts:
            lines.append(f"  {step.name}: {', '.join(parts)}")
    return lines


def _num(value: float) -> str:
    return f"{value:g}"


def _gib(mb: float) -> str:
    return f"{mb / 1024:g}G"
