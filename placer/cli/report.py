"""`placer report`: cost reports from plans, for terminals and pull requests.

Parsing and writing live here; building lives in :mod:`placer.report`, rendering in
:mod:`placer.output.report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

from placer.cli._common import plot_format
from placer.cli._env import env
from placer.errors import ReportError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from placer.output.report import Format
    from placer.plan import Plan
    from placer.report import CheckResult, Report

_FORMATS = ("table", "markdown", "github", "json")


def _plan_files(paths: list[Path]) -> list[Path]:
    """Files as given; a directory stands for the *.json plans in it, sorted by name.

    A file named twice (say, on its own and through its directory) is read once.
    """
    files: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        for file in sorted(path.glob("*.json")) if path.is_dir() else [path]:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return files


def _read_plans(paths: list[Path]) -> list[tuple[Path, Plan]]:
    """Each plan file with its plan; two plans of one flow on one side name both files."""
    from placer.plan import read_plan

    read: list[tuple[Path, Plan]] = []
    for file in _plan_files(paths):
        plan = read_plan(file)
        other = next((f for f, p in read if p.flow == plan.flow), None)
        if other is not None:
            raise ReportError(
                f"two plans for flow {plan.flow} on one side ({other} and {file})",
                location=str(file),
                hint="give each flow's plan once (a directory counts every *.json in it)",
            )
        read.append((file, plan))
    return read


def _check_some(
    heads: list[tuple[Path, Plan]], bases: list[tuple[Path, Plan]], given: list[Path]
) -> None:
    """Refuse a report with no plan at all, naming what was given."""
    if not heads and not bases:
        names = ", ".join(str(p) for p in given)
        raise ReportError(
            f"no plan files (*.json) in {names}",
            hint="write plans with `placer plan FLOW --out DIR/FLOW.json` and pass them",
        )


def _check_currency(read: list[tuple[Path, Plan]]) -> None:
    """All plans in one currency; otherwise name the first file that differs."""
    first_file, first = read[0]
    for file, plan in read[1:]:
        if plan.currency != first.currency:
            raise ReportError(
                f"plan in {plan.currency}, but {first_file} is in {first.currency}",
                location=str(file),
                hint="plan every flow with the same pricing catalog",
            )


def _write_atomic(path: Path, text: str) -> None:
    """Write the report atomically, so `--out` never holds half a report."""
    from placer.atomic import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    except OSError as exc:
        raise ReportError(
            f"cannot write the report ({exc.strerror})", str(path), "pick a writable --out path"
        ) from exc


def _check_format(fmt: str) -> Format:
    if fmt not in _FORMATS:
        hint = f"use one of {', '.join(_FORMATS)}"
        raise ReportError(f"unknown format {fmt!r}", "--format", hint)
    return cast("Format", fmt)


def report(
    plans: list[Path] = typer.Argument(
        ...,
        help="Plan files from `placer plan --out`, or directories of them.",
        metavar="PLAN...",
        show_default=False,
    ),
    compare_to: list[Path] = typer.Option(
        [],
        "--compare-to",
        metavar="PLAN",
        help="Base plans (files or directories) to show the change against; repeatable.",
    ),
    fmt: str = typer.Option(
        "table", "--format", "-f", metavar="FORMAT", help="table, markdown, github or json."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", metavar="FILE", help="Write the report to this file."
    ),
    fail_on_increase: list[str] = typer.Option(
        [],
        "--fail-on-increase",
        metavar="LIMIT",
        help="Exit 3 if the monthly cost grows by more: 10% or 25 (USD).",
    ),
    warn_on_increase: list[str] = typer.Option(
        [],
        "--warn-on-increase",
        metavar="LIMIT",
        help="Flag in the report a growth above 10% or 25 (USD).",
    ),
    fail_above: list[str] = typer.Option(
        [],
        "--fail-above",
        metavar="LIMIT",
        help="Exit 3 if the monthly total is above this many USD.",
    ),
    plot: Path | None = typer.Option(
        None,
        "--plot",
        metavar="FILE",
        help="Draw the monthly cost by step and pool (compute and egress; with --compare-to "
        "the base beside it) to this .png or .svg file.",
    ),
) -> None:
    """Report the monthly cost of plans, and its change against base plans.

    Several plans (flows) combine into one report. Thresholds are checked after the report
    is written; a tripped --fail-* threshold exits with status 3.
    """
    from placer import report as rpt

    checked = _check_format(fmt)
    from placer.inputs import check_output

    for option, target in (("--out", out), ("--plot", plot)):
        if target is not None:  # a report over one of its own plans would destroy it
            check_output(target, _plan_files([*plans, *compare_to]), option)
    picture = plot_format(plot)
    thresholds = [
        *(rpt.parse_threshold("fail-on-increase", t) for t in fail_on_increase),
        *(rpt.parse_threshold("warn-on-increase", t) for t in warn_on_increase),
        *(rpt.parse_threshold("fail-above", t) for t in fail_above),
    ]
    heads, bases = _read_plans(plans), _read_plans(compare_to)
    _check_some(heads, bases, [*plans, *compare_to])
    _check_currency([*heads, *bases])
    built = rpt.build_report([p for _, p in heads], [p for _, p in bases] if compare_to else None)
    checks = rpt.check_thresholds(built, thresholds)
    _emit(built, checks, checked, out)
    if plot is not None and picture is not None:
        from placer.output.plot import cost_chart, save

        save(cost_chart([p for _, p in heads], [p for _, p in bases], picture), plot)
        env().err_console().print(f"wrote {plot}", markup=False, highlight=False)
    for result in checks:
        if result.level == "warn":
            env().err_console().print(f"warning: {result.message}", markup=False)
    rpt.raise_if_failed(checks)


def _emit(built: Report, checks: Sequence[CheckResult], fmt: Format, out: Path | None) -> None:
    """Print the report, or write it atomically to `out`."""
    from placer.output.report import render_report, table_renderable

    current = env()
    if fmt == "table" and out is None:
        current.show([table_renderable(built, checks)])
        return
    text = render_report(built, fmt, checks, width=current.width or 100)
    if out is None:
        current.write(text)
    else:
        _write_atomic(out, text)
        current.err_console().print(f"wrote {out}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("report")(report)
