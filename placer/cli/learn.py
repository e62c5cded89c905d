"""`placer learn FLOW`: per-step figures from the flow's past runs, shown, written into
placer.yaml (`--write`) or checked against it (`--check`).

Parsing and printing only; the work is `placer.learn`. Metaflow and ruamel.yaml are
imported when the command runs, never when the CLI starts.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from placer.cli._env import env
from placer.errors import ConfigError, ThresholdExceeded

if TYPE_CHECKING:
    from rich.table import Table

    from placer.config.learned import LearnedMerge
    from placer.learn import Learned, Selection
    from placer.learn._values import Drift

DEFAULT_THRESHOLD = "50%"


class LearnFormat(enum.StrEnum):
    """Output formats of `placer learn`."""

    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add `learn` to the root app."""
    app.command("learn")(learn)


def learn(
    flow: Path = typer.Argument(..., help="The Metaflow flow file (read, never executed)."),
    run: list[str] = typer.Option(
        [], "--run", help="Read this run id; repeat for several (default: the newest runs)."
    ),
    runs: int | None = typer.Option(
        None, "--runs", min=1, help="Read the newest N successful runs (default 10)."
    ),
    since: str | None = typer.Option(
        None, "--since", help="Only runs started within this long, e.g. 30d or 12h."
    ),
    namespace: str | None = typer.Option(
        None,
        "--namespace",
        help="Metaflow namespace, e.g. user:alice or production:flow-x ('*': all; "
        "default: Metaflow's, user:<you>).",
    ),
    write: str | None = typer.Option(
        None,
        "--write",
        help="Merge the values into placer.yaml's steps: (default: the placer.yaml in "
        "effect, else next to the flow), comments and order kept.",
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="With --write: replace hand-set values too."
    ),
    check: bool = typer.Option(
        False, "--check", help="Exit 3 if placer.yaml's values drift from the runs (for CI)."
    ),
    threshold: str = typer.Option(
        DEFAULT_THRESHOLD,
        "--threshold",
        help=f"With --check: the drift allowed, e.g. 50% (1.5x either way; default "
        f"{DEFAULT_THRESHOLD}).",
    ),
    config: Path | None = typer.Option(
        None, "--config", help="placer.yaml (default: next to the flow, else ./placer.yaml)."
    ),
    output: LearnFormat = typer.Option(LearnFormat.table, "--format", help="table or json."),
    flow_class: str | None = typer.Option(
        None, "--flow-class", help="The FlowSpec subclass to read, if the file has several."
    ),
) -> None:
    """Learn per-step durations, foreach widths and data sizes from past runs."""
    from placer.flow import read_flow

    if write is not None and check:
        raise ConfigError("--write and --check do not go together", "--check", "pick one")
    drift_at = parse_threshold(threshold) if check else None
    selection = selection_from(run, runs, since)
    model = read_flow(flow, flow_class)
    learned = read_runs(model, selection, namespace)
    report: dict[str, Any] = {}
    merge = None
    target = None
    if write is not None:
        target = write_target(flow, config, write)
        merge = write_learned(target, learned, overwrite)
        report["write"] = {"path": str(target), "changes": _changes_json(merge)}
    drifts = None
    if drift_at is not None:
        drifts = check_drift(flow, config, learned, drift_at)
        report["check"] = {"threshold": drift_at, "values": [_drift_json(d) for d in drifts]}
    if output is LearnFormat.json:
        env().write(json.dumps({**learned_json(learned), **report}, indent=2))
    else:
        _print_table(learned, merge, target, drifts, drift_at)
    if drifts and any(d.drifted for d in drifts):
        bad = [d for d in drifts if d.drifted]
        raise ThresholdExceeded(
            f"{len(bad)} value(s) in placer.yaml drift from the last {len(learned.runs)} "
            f"run(s) by more than {drift_at:.0%}: "
            + ", ".join(f"{d.step}.{d.key} {d.recorded} -> {d.measured}" for d in bad[:4])
            + ("" if len(bad) <= 4 else f" and {len(bad) - 4} more"),
            "--check",
            "run `placer learn FLOW --write` to record what the runs measure",
        )


# --- the work, shared with `placer plan --from-runs` ---------------------------------------


def selection_from(run: list[str], runs: int | None, since: str | None) -> Selection:
    """The runs to read, from the options (bad values are a ConfigError naming them)."""
    from placer.config import parse_duration_hours
    from placer.learn import Selection

    since_s = None
    if since is not None:
        try:
            since_s = parse_duration_hours(since) * 3600
        except ValueError as exc:
            raise ConfigError(str(exc), "--since", "write it like 30d or 12h") from None
        if since_s <= 0:
            raise ConfigError("--since must be longer than zero", "--since", "e.g. 30d")
    if run and (runs is not None or since is not None):
        raise ConfigError(
            "--run names the runs: --runs and --since do not go with it", "--run", "pick one"
        )
    return Selection(run_ids=tuple(run), runs=runs, since_s=since_s)


def read_runs(model: Any, selection: Selection, namespace: str | None) -> Learned:
    """`placer.learn.learn` on the configured metadata, with a progress bar on stderr."""
    from placer.learn import connect
    from placer.learn import learn as learn_runs

    source = connect(namespace=namespace)
    with _progress() as advance:
        return learn_runs(model, source, selection, advance)


@contextmanager
def _progress() -> Iterator[Callable[[int, int, str], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = env().err_console()
    bar = Progress(
        TextColumn("reading runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with bar:
        task = bar.add_task("", total=None)

        def advance(done: int, total: int, run_id: str) -> None:
            bar.update(task, completed=done, total=total, description=run_id)

        yield advance


def parse_threshold(text: str) -> float:
    """A relative drift from "50%" or "0.5" (must be positive)."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(
            f"threshold {text!r} is not a positive share", "--threshold", "write it like 50%"
        )
    return value


def write_target(flow: Path, config: Path | None, write: str) -> Path:
    """Where --write writes: its value, else the placer.yaml in effect, else next to the flow."""
    from placer.config import CONFIG_NAME, find_config

    if write:
        return Path(write)
    return find_config(flow, config) or flow.parent / CONFIG_NAME


def write_learned(target: Path, learned: Learned, overwrite: bool) -> LearnedMerge:
    """Merge the learned values into `target` (created if missing), atomically."""
    from placer.atomic import write_atomic
    from placer.config.learned import merge_learned
    from placer.learn._values import learned_values

    if not target.resolve().parent.is_dir():
        raise ConfigError("directory does not exist", str(target.parent), "create it first")
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    merge = merge_learned(text, learned_values(learned), str(target), overwrite)
    if merge.text != text:
        write_atomic(target, merge.text)
    return merge


def check_drift(
    flow: Path, config_path: Path | None, learned: Learned, threshold: float
) -> list[Drift]:
    from placer.config import find_config, load_config
    from placer.learn._values import drift

    if find_config(flow, config_path) is None:
        raise ConfigError(
            "no placer.yaml to check", str(flow.parent), "run `placer learn FLOW --write` first"
        )
    return drift(load_config(flow, config_path), learned, threshold)


# --- output ---------------------------------------------------------------------------------


def _spread(spread: Any) -> dict[str, float] | None:
    if spread is None:
        return None
    return {"p50": spread.p50, "p90": spread.p90, "max": spread.max, "count": spread.count}


def learned_json(learned: Learned) -> dict[str, Any]:
    """The JSON form of `placer learn --format json` (see docs/learn.md)."""
    from datetime import UTC, datetime

    from placer.learn._values import step_values

    steps = {}
    for name, step in learned.steps.items():
        values = step_values(step)
        steps[name] = {
            "runs": step.runs,
            "tasks": step.tasks,
            "tasks_per_run": _spread(step.tasks_per_run),
            "foreach_width": _spread(step.width),
            "duration_s": _spread(step.duration_s),
            "retry_rate": step.retry_rate,
            "retried_tasks": step.retried_tasks,
            "failed_attempts": step.failed_attempts,
            "input_bytes": _spread(step.input_bytes),
            "output_bytes": _spread(step.output_bytes),
            "hardware": dict(step.hardware),
            "resources": dict(step.resources) if step.resources else None,
            "values": {
                "tasks": values.tasks,
                "duration_hours": values.duration_hours,
                "input_gb": values.input_gb,
                "output_gb": values.output_gb,
            },
        }
    return {
        "flow": learned.flow,
        "metadata": learned.source,
        "namespace": learned.namespace,
        "learned_on": learned.learned_on,
        "runs": [
            {
                "id": r.run_id,
                "created": datetime.fromtimestamp(r.created_ms / 1000, UTC).isoformat(),
            }
            for r in learned.runs
        ],
        "skipped": {"failed": list(learned.failed), "unfinished": list(learned.unfinished)},
        "steps": steps,
        "unknown_steps": list(learned.unknown_steps),
    }


def _changes_json(merge: LearnedMerge) -> list[dict[str, Any]]:
    return [
        {"step": c.step, "key": c.key, "before": c.before, "after": c.after, "kept": c.kept}
        for c in merge.changes
    ]


def _drift_json(d: Drift) -> dict[str, Any]:
    ratio = d.ratio if d.ratio != float("inf") else None
    return {
        "step": d.step,
        "key": d.key,
        "recorded": d.recorded,
        "measured": d.measured,
        "ratio": ratio,
        "drifted": d.drifted,
    }


def learned_table(learned: Learned) -> Table:
    """One row per step: runs, tasks, width, duration p50/p90, retries, in, out, hardware."""
    from rich import box
    from rich.table import Table

    from placer.learn import resources_text
    from placer.learn._values import duration_text, size_text

    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, collapse_padding=True)
    table.add_column("step", overflow="fold")
    for name in ("runs", "tasks/run", "width", "p50", "p90", "retried", "in", "out"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("ran on", overflow="fold")
    for name, step in learned.steps.items():
        per_run = step.tasks_per_run
        tasks = f"{per_run.p50:g}" + (f"-{per_run.max:g}" if per_run.max != per_run.p50 else "")
        width = f"{step.width.p50:g} (max {step.width.max:g})" if step.width else ""
        duration = step.duration_s
        hardware = ", ".join(f"{label} x{count}" for label, count in step.hardware)
        resources = resources_text(step.resources)
        table.add_row(
            name,
            str(step.runs),
            tasks,
            width,
            duration_text(duration.p50) if duration else "",
            duration_text(duration.p90) if duration else "",
            f"{step.retry_rate:.0%}",
            size_text(step.input_bytes.p50) if step.input_bytes else "",
            size_text(step.output_bytes.p50) if step.output_bytes else "",
            "; ".join(x for x in (hardware, resources) if x),
        )
    return table


def summary_lines(learned: Learned) -> list[str]:
    """Which runs were read, which skipped, and steps without figures."""
    from placer.learn._values import runs_text

    where = f"namespace {learned.namespace}" if learned.namespace else "every namespace"
    lines = [
        f"{learned.flow}: {runs_text(learned)} ({learned.source}, {where}); "
        "durations: final attempt, from its `attempt` metadatum to `attempt_ok`; "
        "in/out: median per task"
    ]
    skipped = [(learned.failed, "failed"), (learned.unfinished, "unfinished")]
    for ids, why in skipped:
        if ids:
            lines.append(f"skipped {len(ids)} {why} run(s): {', '.join(ids)}")
    if learned.unknown_steps:
        lines.append(f"steps in the runs but not in the flow: {', '.join(learned.unknown_steps)}")
    return lines


def _merge_lines(merge: LearnedMerge, target: Path) -> list[str]:
    written = [c for c in merge.changes if c.changed]
    kept = [c for c in merge.changes if c.kept and c.before != c.after]
    lines = [f"wrote {target}: {len(written)} value(s) set, {len(kept)} hand-set value(s) kept"]
    by_step: dict[str, list[str]] = {}
    for c in written:
        change = f"{c.key} {c.after}" if c.before is None else f"{c.key} {c.before} -> {c.after}"
        by_step.setdefault(c.step, []).append(change)
    lines += [f"  {step}: {', '.join(changes)}" for step, changes in by_step.items()]
    lines += [
        f"  {c.step}.{c.key}: kept {c.before} (hand-set), the runs say {c.after} "
        "(--overwrite replaces it)"
        for c in kept
    ]
    return lines


def _drift_lines(drifts: list[Drift], threshold: float) -> list[str]:
    if not drifts:
        return ["check: placer.yaml records no value for the steps the runs measured"]
    bad = [d for d in drifts if d.drifted]
    lines = [f"drift: {d.step}.{d.key}: placer.yaml {d.recorded}, runs {d.measured}" for d in bad]
    lines.append(
        f"check: {len(drifts) - len(bad)} of {len(drifts)} recorded value(s) within "
        f"{threshold:.0%} of the runs"
    )
    return lines


def _print_table(
    learned: Learned,
    merge: LearnedMerge | None,
    target: Path | None,
    drifts: list[Drift] | None,
    threshold: float | None,
) -> None:
    from rich.text import Text

    console = env().console()
    console.print(learned_table(learned))
    lines = summary_lines(learned)
    if merge is not None and target is not None:
        lines += _merge_lines(merge, target)
    if drifts is not None and threshold is not None:
        lines += _drift_lines(drifts, threshold)
    console.print(Text("\n".join(lines)))
