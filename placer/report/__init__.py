"""Cost reports from plans: a PR comment, JSON for machines, a table for terminals.

Reports build text (or a rich renderable) from :class:`~placer.plan.Plan` objects; only the
CLI writes files. ``render(plans, base=None, fmt="markdown")`` is the one-call entry point;
``build_report`` + ``check_thresholds`` give the data and the CI verdict separately.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from placer.errors import ReportError
from placer.plan import Plan
from placer.report._diff import FlowLine, Report, StepLine, build_report, monthly
from placer.report._json import REPORT_FORMAT_VERSION, render_json, report_json
from placer.report._markdown import MARKER, headline, render_markdown
from placer.report._money import change, signed_percent, signed_usd, usd
from placer.report._table import render_table, table_renderable
from placer.report._thresholds import (
    CheckResult,
    Threshold,
    check_thresholds,
    parse_threshold,
    raise_if_failed,
)
from placer.report._truncate import GITHUB_LIMIT_CHARS

Format = Literal["markdown", "github", "json", "table"]
FORMATS: tuple[Format, ...] = ("table", "markdown", "github", "json")

__all__ = [
    "FORMATS",
    "GITHUB_LIMIT_CHARS",
    "MARKER",
    "REPORT_FORMAT_VERSION",
    "CheckResult",
    "FlowLine",
    "Format",
    "Report",
    "StepLine",
    "Threshold",
    "build_report",
    "change",
    "check_thresholds",
    "headline",
    "monthly",
    "parse_threshold",
    "raise_if_failed",
    "render",
    "render_report",
    "report_json",
    "signed_percent",
    "signed_usd",
    "step_costs",
    "table_renderable",
    "usd",
]


def _plans(value: Plan | Sequence[Plan] | None) -> list[Plan] | None:
    if value is None:
        return None
    return [value] if isinstance(value, Plan) else list(value)


def render_report(
    report: Report, fmt: Format = "markdown", checks: Sequence[CheckResult] = (), width: int = 100
) -> str:
    """A built report in one format; `width` applies to the table."""
    if fmt == "markdown":
        return render_markdown(report, checks)
    if fmt == "github":
        return render_markdown(report, checks, github=True)
    if fmt == "json":
        return render_json(report, checks)
    if fmt == "table":
        return render_table(report, checks, width)
    raise ReportError(f"unknown report format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")


def render(
    plans: Plan | Sequence[Plan],
    base: Plan | Sequence[Plan] | None = None,
    fmt: Format = "markdown",
    checks: Sequence[CheckResult] = (),
    width: int = 100,
) -> str:
    """Plans (and optionally the base plans they change) as report text in `fmt`."""
    return render_report(build_report(_plans(plans) or [], _plans(base)), fmt, checks, width)


def step_costs(plan: Plan) -> list[dict[str, Any]]:
    """One row per step with its pool and monthly costs in USD (for notebooks and scripts)."""
    rows = []
    for name, step in plan.steps.items():
        cost = monthly(step, plan.runs_per_month)
        rows.append(
            {
                "step": name,
                "pool": step.pool,
                "cloud": step.cloud,
                "instance_type": step.instance_type,
                "tasks": step.tasks,
                "compute_usd_per_month": float(cost.compute),
                "egress_usd_per_month": float(cost.egress),
                "total_usd_per_month": float(cost.total),
            }
        )
    return rows
