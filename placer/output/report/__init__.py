"""Cost reports as text: a table for terminals, Markdown for pull requests, JSON for machines.

``render(plans, base=None, fmt="markdown")`` is the one-call entry point (it builds the
report with :func:`placer.report.build_report`); ``render_report`` renders a report already
built, with its threshold results. Modules: ``_table`` (rich), ``_markdown`` (with the
``github`` flavour's marker and truncation in ``_truncate``, diagrams in ``_mermaid``),
``_json`` (docs/report-format.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from placer.errors import ReportError
from placer.output.report._json import REPORT_FORMAT_VERSION, render_json, report_json
from placer.output.report._markdown import MARKER, headline, render_markdown
from placer.output.report._table import render_table, table_renderable
from placer.output.report._truncate import GITHUB_LIMIT_CHARS
from placer.plan import Plan
from placer.report import CheckResult, Report, build_report

Format = Literal["markdown", "github", "json", "table"]
FORMATS: tuple[Format, ...] = ("table", "markdown", "github", "json")

__all__ = [
    "FORMATS",
    "GITHUB_LIMIT_CHARS",
    "MARKER",
    "REPORT_FORMAT_VERSION",
    "Format",
    "headline",
    "render",
    "render_report",
    "report_json",
    "table_renderable",
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
