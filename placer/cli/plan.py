"""`placer plan FLOW`: the cheapest (or fastest) placement of every step, with its costs.

Parsing only: the work is `placer.optimize.plan_flow`, the text `placer.output.plan` (and
the report's Markdown). pulp and highspy are imported when solving, never when the CLI
starts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from placer import limits
from placer.cli._common import plot_format
from placer.cli._env import env
from placer.cli._flow import FLOW_CONFIGS, PATHS, pairs, read_model
from placer.errors import ConfigError, PlanError

if TYPE_CHECKING:
    from placer.config import Config
    from placer.flow import Flow
    from placer.optimize.problem import Objective
    from placer.plan import Plan
    from pricing.catalog import Catalog


class PlanFormat(enum.StrEnum):
    """Output formats of `placer plan`."""

    table = "table"
    json = "json"
    markdown = "markdown"


PLAN_GAP = 1e-4  # `placer plan`'s default --gap (HiGHS's default mip_rel_gap)
PLAN_TIME_LIMIT = 120.0  # seconds: a plan in CI must come back; the status and gap say how good


class ObjectiveName(enum.StrEnum):
    cost = "cost"
    time = "time"


class SolverName(enum.StrEnum):
    highs = "highs"
    cbc = "cbc"


KEEP_BATCH = typer.Option(
    False,
    "--keep-batch",
    help="Leave @batch steps on AWS Batch, priced as EC2 on demand (default: on Kubernetes, "
    "where `placer apply` moves them).",
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("plan")(plan)


def plan(
    flow: Path = typer.Argument(..., help="The Metaflow flow file (read, never executed)."),
    config: Path | None = typer.Option(
        None, "--config", help="placer.yaml (default: next to the flow, else ./placer.yaml)."
    ),
    objective: ObjectiveName = typer.Option(
        ObjectiveName.cost, "--objective", help="cost (default) or time (fastest, then cheapest)."
    ),
    deadline: str | None = typer.Option(
        None, "--deadline", help="Longest allowed run, e.g. 2h or 90m (overrides placer.yaml)."
    ),
    budget: float | None = typer.Option(
        None, "--budget", help="Most USD per month (overrides placer.yaml)."
    ),
    solver: SolverName | None = typer.Option(
        None,
        "--solver",
        help="highs or cbc (default: none when no constraint binds, else highs).",
    ),
    time_limit: float = typer.Option(
        PLAN_TIME_LIMIT,
        "--time-limit",
        help=f"Seconds the solver may take (default {PLAN_TIME_LIMIT:g}); the gap is reported.",
    ),
    gap: str = typer.Option(
        "0.01%",
        "--gap",
        help="Stop once the plan is proven within this of the optimum, e.g. 1% or 0.01 "
        "(default 0.01%, HiGHS's own default).",
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the plan as JSON to this file."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Draw the plan's DAG to this .png or .svg file."
    ),
    output: PlanFormat = typer.Option(
        PlanFormat.table, "--format", help="table, json or markdown."
    ),
    flow_class: str | None = typer.Option(
        None, "--flow-class", help="The FlowSpec subclass to read, if the file has several."
    ),
    paths: list[Path] = PATHS,
    flow_configs: list[str] = FLOW_CONFIGS,  # pairs (NAME, FILE): see _flow.FLOW_CONFIGS
    from_runs: int | None = typer.Option(
        None,
        "--from-runs",
        min=1,
        help="Plan with tasks, durations and data sizes learned from the newest N successful "
        "runs (`--from-runs` alone: 10) instead of placer.yaml's; nothing is written.",
    ),
    namespace: str | None = typer.Option(
        None, "--namespace", help="With --from-runs: the Metaflow namespace ('*': all)."
    ),
    keep_batch: bool = KEEP_BATCH,
) -> None:
    """Plan which pool each step runs in, minimising compute + egress cost per month."""
    check_outputs(flow, config, ("--out", out), ("--plot", plot))  # before any work
    reading = FlowReading(flow_class, tuple(paths), pairs(flow_configs))
    fmt = plot_format(plot)
    inputs: list[tuple[Flow, Config, Catalog]] = []
    result = make_plan(
        flow,
        config,
        objective,
        deadline,
        budget,
        solver,
        time_limit,
        reading,
        parse_gap(gap),
        from_runs=from_runs,
        namespace=namespace,
        keep_batch=keep_batch,
        inputs=inputs,
    )
    if out is not None:  # nor any module or Config file the flow turned out to read
        from placer.inputs import check_output

        check_output(out, [flow.parent / name for name in result.flow_sources])
    text = result.dumps()  # refuses NaN/Infinity: a plan file never holds them
    if plot is not None and fmt is not None:
        _draw(result, inputs[0], plot, fmt)  # a picture, then the plan file last
    if output is PlanFormat.json:
        views: list = [text]
    elif output is PlanFormat.markdown:
        from placer.output import render

        views = [render(result, fmt="markdown")]
    else:
        from placer.output.plan import plan_view

        views = plan_view(result)
    if out is not None:  # written once everything else worked: no file from a failed run
        write_atomic(out, text)
    env().show(views)
    if out is not None and output is PlanFormat.table:
        env().write(f"plan written to {out}")
    if plot is not None and output is PlanFormat.table:
        env().write(f"picture written to {plot}")


def _draw(result: Plan, inputs: tuple[Flow, Config, Catalog], path: Path, fmt: str) -> None:
    """The plan's DAG with the data its edges move across regions (matplotlib loads here)."""
    from placer.optimize import market_from_catalog
    from placer.optimize.traffic import edge_traffic
    from placer.output.plot import dag_chart, save

    model, config, catalog = inputs
    pools = {name: step.pool for name, step in result.steps.items()}
    traffic = edge_traffic(model, config, market_from_catalog(catalog), pools)
    edges = {name: tuple(step.next) for name, step in model.steps.items()}
    save(dag_chart(result, edges, traffic, fmt), path)


def check_outputs(flow: Path, config: Path | None, *outputs: tuple[str, Path | None]) -> None:
    """Refuse an output (option, path) that would overwrite the flow or its placer.yaml."""
    from placer.config import find_config
    from placer.inputs import check_output

    try:
        found = find_config(flow, config)
    except ConfigError:
        found = None  # said again, in its place, when the config is read
    for option, out in outputs:
        if out is not None:
            check_output(out, [flow, found], option)


def make_plan(
    flow_path: Path,
    config_path: Path | None,
    objective: str,
    deadline: str | None,
    budget: float | None,
    solver: str | None,
    time_limit: float | None,
    reading: FlowReading,
    gap: float = PLAN_GAP,
    from_runs: int | None = None,
    namespace: str | None = None,
    keep_batch: bool = False,
    inputs: list[tuple[Flow, Config, Catalog]] | None = None,
) -> Plan:
    """Read the flow, config and prices, and plan (the whole command minus output).
    `from_runs`: overlay what the newest N successful runs measured (see placer.learn);
    `inputs`, when given, receives the flow, config and catalog planned with."""
    from placer.optimize import market_from_catalog, plan_flow

    deadline_hours = check_limits(deadline, budget, time_limit)
    model, config, catalog, learned_note = load_inputs(
        flow_path, config_path, reading, from_runs, namespace
    )
    if inputs is not None:
        inputs.append((model, config, catalog))
    config = with_keep_batch(config, keep_batch)
    lp_path = Path(f"{flow_path.stem}.lp") if env().debug else None
    result = plan_flow(
        model,
        config,
        market_from_catalog(catalog),
        objective=_objective(objective),
        deadline_hours=deadline_hours,
        budget_usd_per_month=budget,
        solver=str(solver) if solver else None,
        time_limit=time_limit,
        gap=gap,
        lp_path=lp_path,
        flow_file=str(flow_path),
        origin=limits_origin(deadline, budget),
    )
    if lp_path is not None:
        env().stderr.write(f"wrote the model to {lp_path}\n")
    if learned_note is not None:
        result = replace(result, warnings=(*result.warnings, learned_note))
    result = replace(  # how to read the flow again (apply, the stale check)
        result,
        flow_paths=tuple(str(p) for p in reading.paths),
        flow_config_files={name: file for name, file in reading.flow_configs},
    )
    return with_pricing_age(result, catalog)


def check_limits(
    deadline: str | None, budget: float | None, time_limit: float | None
) -> float | None:
    """Validate --deadline, --budget and --time-limit; the deadline in hours."""
    deadline_hours = _deadline_hours(deadline)
    if budget is not None and (problem := limits.BUDGET_USD.problem(budget)):
        raise ConfigError(problem, "--budget", "give USD per month, e.g. 40")
    if time_limit is not None and (problem := limits.TIME_LIMIT_SECONDS.problem(time_limit)):
        raise ConfigError(problem, "--time-limit", "give seconds, e.g. 30")
    return deadline_hours


def load_inputs(
    flow_path: Path,
    config_path: Path | None,
    reading: FlowReading,
    from_runs: int | None = None,
    namespace: str | None = None,
) -> tuple[Flow, Config, Catalog, str | None]:
    """placer.yaml, the flow read statically as `reading` says, placer.yaml with what runs
    measured (`from_runs`) checked against the catalog, the catalog (a warning on stderr
    when the cache was unusable), and the note saying values were learned (None if not)."""
    from placer.config import check_pools_against_catalog, load_config
    from pricing.catalog import load_catalog

    config = load_config(flow_path, config_path)
    model = read_model(flow_path, reading.flow_class, reading.paths, reading.flow_configs, config)
    learned_note = None
    if from_runs is not None:
        config, learned_note = _with_runs(model, config, from_runs, namespace)
    catalog = load_catalog()
    for warning in catalog.warnings:  # e.g. a corrupt cache file: said, then the snapshot is used
        env().stderr.write(f"warning: {warning}\n")
    check_pools_against_catalog(config, catalog)
    return model, config, catalog, learned_note


@dataclass(frozen=True)
class FlowReading:
    """How `placer plan` reads the flow: its class, module roots and Config files."""

    flow_class: str | None = None
    paths: tuple[Path, ...] = ()
    flow_configs: tuple[tuple[str, str], ...] = ()


def now() -> datetime:
    """The current time (a function so tests can pin it)."""
    from datetime import UTC

    return datetime.now(UTC)


def with_pricing_age(result: Plan, catalog: Catalog) -> Plan:
    """The plan stating how old the prices of the clouds it uses are (the oldest of them as
    pricing_captured_at), with a staleness warning per stale cloud."""
    from pricing._store import parse_time

    used = [
        offer
        for step in result.steps.values()
        for offer in catalog.offers(step.cloud, step.region)
        if offer.instance_type == step.instance_type
    ]
    text, stale = catalog.freshness(used, now())
    clouds = {offer.cloud for offer in used}
    dates = [catalog.prices_of(c, [o for o in used if o.cloud == c]).as_of for c in clouds]
    return replace(
        result,
        pricing_captured_at=min(dates, key=parse_time) if dates else result.pricing_captured_at,
        warnings=(*result.warnings, *stale),
        extra={**result.extra, "pricing_age": text},
    )


def _with_runs(model: Flow, config: Config, runs: int, namespace: str | None) -> tuple[Config, str]:
    """`config` with the values the runs measured, and the plan's note saying so."""
    from placer.cli.learn import read_runs
    from placer.learn import Selection
    from placer.learn._values import runs_text, with_learned

    learned = read_runs(model, Selection(runs=runs), namespace)
    note = (
        f"tasks, durations and data sizes of {len(learned.steps)} step(s) learned from "
        f"{runs_text(learned)} of {learned.source} (--from-runs), not from placer.yaml"
    )
    env().stderr.write(f"{note}\n")
    return with_learned(config, learned), note


def _objective(name: str) -> Objective:
    """The optimizer's objective named on the command line."""
    if name == "cost":
        return "cost"
    if name == "time":
        return "time"
    raise ConfigError(f"unknown objective {name!r}", "--objective", "use cost or time")


def _deadline_hours(deadline: str | None) -> float | None:
    from placer.config import parse_duration_hours

    if deadline is None:
        return None
    try:
        hours = parse_duration_hours(deadline)
    except (ValueError, OverflowError) as exc:
        raise ConfigError(str(exc), "--deadline", "write it like 2h, 90m or 1h30m") from None
    if problem := limits.DURATION_HOURS.problem(hours):
        raise ConfigError(problem, "--deadline", "write it like 2h, 90m or 1h30m")
    return hours


def parse_gap(text: str) -> float:
    """A relative gap from "1%" or "0.01"; bad input is a ConfigError naming --gap."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise ConfigError(
            f"gap {text!r} is not a fraction below 1", "--gap", "write it like 1% or 0.01"
        )
    return value


def limits_origin(deadline: str | None, budget: float | None) -> dict[str, str]:
    """Where the deadline and budget came from, when given as options."""
    origin = {}
    if deadline is not None:
        origin["deadline"] = "--deadline"
    if budget is not None:
        origin["budget"] = "--budget"
    return origin


def write_atomic(path: Path, text: str) -> None:
    """Write the plan atomically (never half a file) into an existing directory."""
    from placer.atomic import write_atomic as replace

    directory = path.resolve().parent
    if not directory.is_dir():
        raise PlanError("directory does not exist", str(directory), "create it or pick --out")
    try:
        replace(path, text)
    except OSError as exc:
        raise PlanError(
            f"cannot write the plan ({exc.strerror or exc})", str(path), "pick a writable --out"
        ) from None


def with_keep_batch(config: Config, keep_batch: bool) -> Config:
    """The config with `--keep-batch` applied (plan, explain and frontier take it)."""
    if not keep_batch:
        return config
    return replace(config, constraints=replace(config.constraints, keep_batch=True))
