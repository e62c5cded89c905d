"""`placer learn FLOW`: per-step figures from the flow's past runs, shown, written into
placer.yaml (`--write`) or checked against it (`--check`).

Parsing only: the work is `placer.learn` (and `placer.config.learned` for --write), the
text `placer.output.learn`. Metaflow and ruamel.yaml are imported when the command runs,
never when the CLI starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from placer.cli._common import FORMAT, Format
from placer.cli._env import env
from placer.cli._flow import FLOW_CONFIGS, PATHS, pairs, read_model
from placer.errors import ConfigError, ThresholdExceeded

if TYPE_CHECKING:
    from placer.config import Config
    from placer.config.learned import LearnedMerge
    from placer.learn import Learned, Selection
    from placer.learn._values import Drift

DEFAULT_THRESHOLD = "50%"


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
    output: Format = FORMAT,
    flow_class: str | None = typer.Option(
        None, "--flow-class", help="The FlowSpec subclass to read, if the file has several."
    ),
    paths: list[Path] = PATHS,
    flow_configs: list[str] = FLOW_CONFIGS,  # pairs (NAME, FILE): see _flow.FLOW_CONFIGS
) -> None:
    """Learn per-step durations, foreach widths and data sizes from past runs."""
    if write is not None and check:
        raise ConfigError("--write and --check do not go together", "--check", "pick one")
    drift_at = parse_threshold(threshold) if check else None
    selection = selection_from(run, runs, since)
    recorded = recorded_config(flow, config) if check else None  # before the slow part
    # the flow as `placer plan` reads it: --path, --flow-config, and with --check the
    # placer.yaml's flow_configs
    model = read_model(flow, flow_class, paths, pairs(flow_configs), recorded)
    target = write_target(flow, config, write) if write is not None else None
    if target is not None:
        _check_target(target)
    learned = read_runs(model, selection, namespace)
    merge = write_learned(target, learned, overwrite) if target is not None else None
    drifts = None
    if recorded is not None and drift_at is not None:
        from placer.learn import drift

        drifts = drift(recorded, learned, drift_at)
    if output is Format.json:
        from placer.output.learn import learn_json

        env().write(learn_json(learned, merge, target, drifts, drift_at))
    else:
        from placer.output.learn import learn_view

        env().show(learn_view(learned, merge, target, drifts, drift_at))
    if drifts and drift_at is not None and any(d.drifted for d in drifts):
        raise _drift_error(drifts, len(learned.runs), drift_at)


def _drift_error(drifts: list[Drift], runs: int, threshold: float) -> ThresholdExceeded:
    bad = [d for d in drifts if d.drifted]
    named = ", ".join(f"{d.step}.{d.key} {d.recorded} -> {d.measured}" for d in bad[:4])
    more = "" if len(bad) <= 4 else f" and {len(bad) - 4} more"
    return ThresholdExceeded(
        f"{len(bad)} value(s) in placer.yaml drift from the last {runs} run(s) by more "
        f"than {threshold:.0%}: {named}{more}",
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


def _check_target(target: Path) -> None:
    """Refuse a --write target that cannot be written, before reading any run."""
    from placer.config import parse_config
    from placer.config.load import read_config_text

    if not target.resolve().parent.is_dir():
        raise ConfigError("directory does not exist", str(target.parent), "create it first")
    if target.exists() or target.is_symlink():  # a FIFO or a device is refused, unread
        parse_config(read_config_text(target), str(target))


def write_learned(target: Path, learned: Learned, overwrite: bool) -> LearnedMerge:
    """Merge the learned values into `target` (created if missing), atomically."""
    from placer.atomic import write_atomic
    from placer.config.learned import merge_learned
    from placer.config.load import read_config_text
    from placer.learn import learned_values

    text = read_config_text(target) if target.exists() else ""
    merge = merge_learned(text, learned_values(learned), str(target), overwrite)
    if merge.text != text:
        write_atomic(target, merge.text)
    return merge


def recorded_config(flow: Path, config_path: Path | None) -> Config:
    """The placer.yaml --check compares with (there must be one)."""
    from placer.config import find_config, load_config

    if find_config(flow, config_path) is None:
        raise ConfigError(
            "no placer.yaml to check", str(flow.parent), "run `placer learn FLOW --write` first"
        )
    return load_config(flow, config_path)
