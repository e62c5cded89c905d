"""`placer explain FLOW [STEP ...]`: every pool for each step, what it costs there, and why
the plan's pool won.

Parsing only: the work is `placer.optimize.explain.explain_flow` (the same plan as `placer
plan`, then a verdict per pool), the text `placer.output.explain`.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from placer.cli._common import FORMAT, Format
from placer.cli._env import env
from placer.cli._flow import FLOW_CONFIGS, PATHS, pairs
from placer.cli.plan import (
    KEEP_BATCH,
    PLAN_GAP,
    PLAN_TIME_LIMIT,
    FlowReading,
    check_limits,
    limits_origin,
    load_inputs,
    with_keep_batch,
)
from placer.errors import ConfigError

RESOLVE_SECONDS = 10.0  # placer.optimize.explain.RESOLVE_SECONDS, without importing it


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("explain")(explain)


def explain(
    flow: Path = typer.Argument(..., help="The Metaflow flow file (read, never executed)."),
    steps: list[str] = typer.Argument(
        None,
        metavar="[STEP]...",
        help="Steps to explain (default: every step).",
        show_default=False,
    ),
    config: Path | None = typer.Option(
        None, "--config", help="placer.yaml (default: next to the flow, else ./placer.yaml)."
    ),
    deadline: str | None = typer.Option(
        None, "--deadline", help="Longest allowed run, e.g. 2h or 90m (overrides placer.yaml)."
    ),
    budget: float | None = typer.Option(
        None, "--budget", help="Most USD per month (overrides placer.yaml)."
    ),
    time_limit: float = typer.Option(
        PLAN_TIME_LIMIT,
        "--time-limit",
        help=f"Seconds each solve may take (default {PLAN_TIME_LIMIT:g}).",
    ),
    solve_time: float = typer.Option(
        RESOLVE_SECONDS,
        "--solve-time",
        help="Seconds to spend re-solving verdicts that bounds do not settle, with the step "
        f"pinned (default {RESOLVE_SECONDS:g}); after that verdicts state their bounds.",
    ),
    output: Format = FORMAT,
    flow_class: str | None = typer.Option(
        None, "--flow-class", help="The FlowSpec subclass to read, if the file has several."
    ),
    paths: list[Path] = PATHS,
    flow_configs: list[str] = FLOW_CONFIGS,  # pairs (NAME, FILE): see _flow.FLOW_CONFIGS
    keep_batch: bool = KEEP_BATCH,
) -> None:
    """Show every pool each step could run in, its cost there, and why it lost."""
    from placer.optimize.explain import explain_flow

    deadline_hours = check_limits(deadline, budget, time_limit)
    if not solve_time >= 0:  # `not >=` refuses nan too
        raise ConfigError(
            f"solve time {solve_time:g} is not a number of seconds >= 0",
            "--solve-time",
            "give seconds, e.g. 10, or 0 for bounds only",
        )
    from placer.optimize import market_from_catalog

    reading = FlowReading(flow_class, tuple(paths), pairs(flow_configs))
    model, cfg, catalog, _ = load_inputs(flow, config, reading)
    cfg = with_keep_batch(cfg, keep_batch)
    result = explain_flow(
        model,
        cfg,
        market_from_catalog(catalog),
        steps or None,
        deadline_hours=deadline_hours,
        budget_usd_per_month=budget,
        time_limit=time_limit,
        gap=PLAN_GAP,
        resolve_seconds=solve_time,
        flow_file=str(flow),
        origin=limits_origin(deadline, budget),
    )
    if output is Format.json:
        from placer.output.explain import explain_json

        env().write(json.dumps(explain_json(result), indent=2))
        return
    from placer.output.explain import explain_view

    env().show(explain_view(result))
