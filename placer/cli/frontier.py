"""`placer frontier FLOW`: the cheapest plan for each deadline, from the fastest feasible
makespan to the cheapest plan's.

Parsing only: the work is `placer.optimize.frontier.frontier_flow`, the text
`placer.output.frontier`, the picture `placer.output.plot` (matplotlib is imported only
with --plot).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from placer.cli._common import FORMAT, Format, plot_format
from placer.cli._env import env
from placer.cli._flow import FLOW_CONFIGS, PATHS, pairs
from placer.cli.plan import (
    KEEP_BATCH,
    PLAN_GAP,
    PLAN_TIME_LIMIT,
    FlowReading,
    check_limits,
    check_outputs,
    load_inputs,
    with_keep_batch,
    write_atomic,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("frontier")(frontier)


def frontier(
    flow: Path = typer.Argument(..., help="The Metaflow flow file (read, never executed)."),
    points: int = typer.Option(8, "--points", min=2, max=100, help="Deadlines to solve."),
    out: Path | None = typer.Option(None, "--out", help="Write the frontier as JSON here."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Draw the frontier to this .png or .svg file."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="placer.yaml (default: next to the flow, else ./placer.yaml)."
    ),
    budget: float | None = typer.Option(
        None, "--budget", help="Most USD per month (overrides placer.yaml)."
    ),
    time_limit: float = typer.Option(
        PLAN_TIME_LIMIT, "--time-limit", help="Seconds each solve may take."
    ),
    output: Format = FORMAT,
    flow_class: str | None = typer.Option(
        None, "--flow-class", help="The FlowSpec subclass to read, if the file has several."
    ),
    paths: list[Path] = PATHS,
    flow_configs: list[str] = FLOW_CONFIGS,  # pairs (NAME, FILE): see _flow.FLOW_CONFIGS
    keep_batch: bool = KEEP_BATCH,
) -> None:
    """Show the cheapest plan for each deadline: cost per run against makespan."""
    from placer.optimize import market_from_catalog
    from placer.optimize.frontier import frontier_flow
    from placer.output.frontier import frontier_json, frontier_view

    check_limits(None, budget, time_limit)
    check_outputs(flow, config, ("--out", out), ("--plot", plot))  # before any work
    fmt = plot_format(plot)
    reading = FlowReading(flow_class, tuple(paths), pairs(flow_configs))
    model, cfg, catalog, _ = load_inputs(flow, config, reading)
    cfg = with_keep_batch(cfg, keep_batch)
    result = frontier_flow(
        model, cfg, market_from_catalog(catalog), points,
        budget_usd_per_month=budget, time_limit=time_limit, gap=PLAN_GAP, flow_file=str(flow),
    )  # fmt: skip
    data = json.dumps(frontier_json(result), indent=2) + "\n"
    if out is not None:
        write_atomic(out, data)
    if plot is not None and fmt is not None:
        from placer.output.plot import frontier_chart, save

        save(frontier_chart(result, fmt), plot)
    if output is Format.json:
        env().write(data)
        return
    env().show(frontier_view(result))
    for path in (out, plot):
        if path is not None:
            env().write(f"wrote {path}")
