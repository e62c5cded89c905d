"""Cost reports as data: plans compared per flow and step, and the CI verdict on them.

``build_report(plans, base=None)`` lines up each flow's steps before and after (pool moves,
new and removed steps, monthly totals); ``check_thresholds`` + ``raise_if_failed`` give the
CI verdict. Nothing here makes text for people: :mod:`placer.output.report` renders a
report as a table, Markdown (a PR comment) or JSON, e.g.
``placer.output.render(plan, fmt="markdown")``.
"""

from __future__ import annotations

from typing import Any

from placer.plan import Plan
from placer.report._diff import FlowLine, Report, StepLine, build_report, monthly, pool_move
from placer.report._edges import flow_edges
from placer.report._thresholds import (
    CheckResult,
    Threshold,
    check_thresholds,
    parse_threshold,
    raise_if_failed,
)

__all__ = [
    "CheckResult",
    "FlowLine",
    "Report",
    "StepLine",
    "Threshold",
    "build_report",
    "check_thresholds",
    "flow_edges",
    "monthly",
    "parse_threshold",
    "pool_move",
    "raise_if_failed",
    "step_costs",
]


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
