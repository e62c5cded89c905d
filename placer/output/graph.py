"""A flow for people and machines: `placer graph` as a table (one row per step, sizes in
GiB) with placement lines, or the flow's own JSON form (placer.flow.flow_as_json)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from placer.output.table import new_table

if TYPE_CHECKING:
    from rich.table import Table

    from placer.flow import Flow, Step

__all__ = ["graph_json", "graph_table", "placement_lines"]


def graph_json(flow: Flow) -> str:
    """The flow as indented JSON text."""
    from placer.flow import flow_as_json

    return json.dumps(flow_as_json(flow), indent=2)


def graph_table(flow: Flow) -> Table:
    """A rich table with one row per step, in source order (sizes in GiB)."""
    table = new_table(title=f"{flow.name} ({flow.file})")
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
