"""`placer apply PLAN`: make the flow follow a saved plan (or check that it does).

Exit codes: 0 done (or, with --check, the flow matches the plan); 2 bad input (with
--check: the flow does not match the plan); 1 any error under --check, so CI can tell
"needs `placer apply`" from "broken".
"""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from placer.cli._env import env
from placer.errors import ExitStatus, PlacerError

if TYPE_CHECKING:
    from placer.apply import ApplyOptions, ApplyOutcome


class ModeChoice(enum.StrEnum):
    decorators = "decorators"
    config = "config"
    selectors = "selectors"
    mutator = "mutator"


class FormatChoice(enum.StrEnum):
    json = "json"
    yaml = "yaml"


def apply(
    plan_file: Path = typer.Argument(
        ...,
        metavar="PLAN",
        help="plan.json from `placer plan` (or, with --fix-order alone, a flow file).",
    ),
    flow: Path | None = typer.Option(
        None, "--flow", help="Flow file (default: the plan's flow.file)."
    ),
    mode: ModeChoice = typer.Option(
        ModeChoice.decorators,
        "--mode",
        help="decorators: rewrite @kubernetes; config: placement.json + Config; "
        "mutator: placement.json + a Metaflow FlowMutator (reaches inherited steps); "
        "selectors: write node selectors for other tooling.",
    ),
    right_size: bool = typer.Option(
        False, "--right-size", help="Also set @kubernetes(cpu=, memory=) to what @resources asks."
    ),
    fix_order: bool = typer.Option(
        False, "--fix-order", help="Move a @step that is not innermost (else refuse)."
    ),
    force: bool = typer.Option(False, "--force", help="Apply even if the plan is stale."),
    diff: bool = typer.Option(False, "--diff", help="Print a unified diff; write nothing."),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 0 if the flow matches the plan, 2 if not."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write here instead (selectors: the document; else the flow)."
    ),
    fmt: FormatChoice = typer.Option(
        FormatChoice.json, "--format", help="Selectors document format."
    ),
) -> None:
    """Rewrite the flow's decorators so the real run follows the plan.

    Refuses a stale plan (placer.yaml or the flow changed since `placer plan`; a changed
    flow that already matches the plan is fine); writes atomically; a second apply
    changes nothing.
    With --check: exit 0 if the flow matches the plan, 2 if not, 1 on any error.
    """
    from placer.apply import ApplyOptions

    options = ApplyOptions(
        mode=mode.value,
        right_size=right_size,
        fix_order=fix_order,
        force=force,
        flow=flow,
        out=out,
        format=fmt.value,
    )
    if check:
        _check(plan_file, options)
    else:
        _apply(plan_file, options, diff)


def _outcome(plan_file: Path, options: ApplyOptions) -> ApplyOutcome:
    from placer.apply import apply_plan, fix_order
    from placer.plan import read_plan

    if plan_file.suffix == ".py":  # a flow, not a plan: only --fix-order can work on it
        if not options.fix_order:
            raise PlacerError(
                "expected a plan file, got a flow file",
                str(plan_file),
                f"run `placer plan {plan_file} --out plan.json` first; "
                "`placer apply --fix-order FLOW.py` only fixes the @step order",
            )
        return fix_order(plan_file)
    return apply_plan(read_plan(plan_file), plan_file, options)


def _apply(plan_file: Path, options: ApplyOptions, diff: bool) -> None:
    from placer.apply import write_outcome

    outcome = _outcome(plan_file, options)
    _warn(outcome.warnings)
    if outcome.stdout is not None:
        env().write(outcome.stdout)
        _notes(outcome.notes, to_stderr=True)
        return
    if diff:
        env().write("".join(f.diff() for f in outcome.files) or "no changes")
        return
    written = write_outcome(outcome)  # first: a failed write must not read as done
    for change in outcome.changes:
        env().write(f"  {change.describe()}")
    for path in written:
        env().write(f"wrote {path}")
    if not written:
        env().write(f"{outcome.flow or 'flow'}: nothing to change")
    _notes(outcome.notes, to_stderr=False)


def _check(plan_file: Path, options: ApplyOptions) -> None:
    from placer.errors import StalePlan

    try:
        outcome = _outcome(plan_file, options)
    except StalePlan:
        raise  # the flow no longer matches the plan: a mismatch (2), not an error
    except PlacerError as exc:
        raise dataclasses.replace(exc, exit_status=ExitStatus.ERROR) from None
    if not outcome.files and outcome.stdout is not None:
        raise PlacerError(
            "--check with --mode selectors needs --out FILE to compare with",
            hint="add --out",
            exit_status=ExitStatus.ERROR,
        )
    if not outcome.changed:
        env().write(f"{outcome.flow}: matches the plan" if outcome.flow else "@step order is fine")
        return
    if outcome.flow:
        env().write(f"{outcome.flow}: does not match the plan; `placer apply` would change:")
    else:
        env().write("@step is not innermost everywhere; `placer apply --fix-order` would change:")
    for result in outcome.files:
        if result.changed and not result.changes:
            env().write(f"  {result.path}")
    for change in outcome.changes:
        env().write(f"  {change.describe()}")
    raise typer.Exit(int(ExitStatus.BAD_INPUT))


def _warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        env().stderr.write(f"warning: {warning}\n")


def _notes(notes: tuple[str, ...], to_stderr: bool) -> None:
    for note in notes:
        if to_stderr:
            env().stderr.write(f"{note}\n")
        else:
            env().write(note)


def register(app: typer.Typer) -> None:
    """Add `placer apply` to the root app."""
    app.command("apply")(apply)
