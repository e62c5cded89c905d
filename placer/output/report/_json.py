"""The report as JSON for machines (docs/report-format.md).

Money is written as decimal strings in the plan's precision (1/100 of a cent); percentages
as decimal strings with one decimal (both rounded half-up, placer.money). ``null`` marks
what was not compared. Minor format versions only add fields.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from placer.money import kept, percent_change, percent_text
from placer.plan import Cost, Plan, StepPlan
from placer.report import CheckResult, FlowLine, Report, StepLine

REPORT_FORMAT_VERSION = "1.0"


def _usd(amount: Decimal) -> str:
    return str(kept(amount))


def _pct(before: Decimal, after: Decimal) -> str | None:
    pct = percent_change(before, after)
    return None if pct is None else percent_text(pct)


def _step(name: str, step: StepPlan, cost: Cost) -> dict[str, Any]:
    return {
        "name": name,
        "pool": step.pool,
        "cloud": step.cloud,
        "region": step.region,
        "capacity_type": step.capacity_type,
        "instance_type": step.instance_type,
        "tasks": step.tasks,
        "hours_per_run": str(step.hours),
        "monthly_cost": {
            "compute": _usd(cost.compute),
            "egress": _usd(cost.egress),
            "total": _usd(cost.total),
        },
    }


def _breakdown(lines: Sequence[tuple[str, StepPlan, Cost]]) -> dict[str, Any]:
    total = Cost()
    for _, _, cost in lines:
        total = total + cost
    return {
        "steps": [_step(*line) for line in lines],
        "compute_monthly_cost": _usd(total.compute),
        "egress_monthly_cost": _usd(total.egress),
        "total_monthly_cost": _usd(total.total),
    }


def _head_side(flow: FlowLine) -> dict[str, Any]:
    return _breakdown([(s.name, s.after, s.after_per_month) for s in flow.steps if s.after])


def _base_side(flow: FlowLine) -> dict[str, Any]:
    lines = [(s.name, s.before, s.before_per_month) for s in flow.steps]
    return _breakdown([(n, b, c) for n, b, c in lines if b is not None and c is not None])


def _diff_step(line: StepLine) -> dict[str, Any]:
    before = line.before_per_month.total if line.before_per_month else Decimal(0)
    after = line.after_per_month.total
    return {
        "name": line.name,
        "status": line.status,
        "pool_before": line.before.pool if line.before else None,
        "pool_after": line.after.pool if line.after else None,
        "monthly_cost": _usd(after - before),
        "percent": _pct(before, after),
    }


def _savings(plan: Plan | None) -> dict[str, Any]:
    if plan is None:
        return {}
    out = {}
    for name, base in plan.baselines.items():
        saved = plan.savings(name)
        pct = None if saved is None else _pct(base.per_month.total, base.per_month.total + saved)
        out[name] = {
            "feasible": base.feasible,
            "monthly_cost": _usd(base.per_month.total),
            "monthly_savings": None if saved is None else _usd(saved),
            "percent": pct,
        }
    return out


def _project(flow: FlowLine, compared: bool) -> dict[str, Any]:
    plan = flow.plan
    before = flow.before_per_month.total if flow.before_per_month else Decimal(0)
    diff = {
        "steps": [_diff_step(s) for s in flow.steps],
        "total_monthly_cost": _usd(flow.after_per_month.total - before),
        "percent": _pct(before, flow.after_per_month.total),
    }
    return {
        "name": flow.name,
        "flow_file": plan.flow_file,
        "status": flow.status,
        "runs_per_month": plan.runs_per_month,
        "pricing": {"source": plan.pricing_source, "captured_at": plan.pricing_captured_at},
        "breakdown": _head_side(flow),
        "past_breakdown": _base_side(flow) if compared else None,
        "diff": diff if compared else None,
        "savings": _savings(flow.head),
        "warnings": list(flow.head.warnings) if flow.head else [],
    }


def _check(result: CheckResult) -> dict[str, Any]:
    t = result.threshold
    return {
        "option": t.option,
        "limit": str(t.limit),
        "unit": "percent" if t.percent else "USD",
        "status": result.level,
        "message": result.message,
    }


def report_json(report: Report, checks: Sequence[CheckResult] = ()) -> dict[str, Any]:
    """The report as a JSON-ready dict, keys in a stable order."""
    before, delta = report.before_per_month, report.change_per_month
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "currency": report.currency,
        "compared": report.compared,
        "projects": [_project(f, report.compared) for f in report.flows],
        "total_monthly_cost": _usd(report.after_per_month),
        "past_total_monthly_cost": None if before is None else _usd(before),
        "diff_total_monthly_cost": None if delta is None else _usd(delta),
        "diff_percent": None if before is None else _pct(before, report.after_per_month),
        "thresholds": [_check(r) for r in checks],
    }


def render_json(report: Report, checks: Sequence[CheckResult] = ()) -> str:
    """The JSON text, indented, ending in a newline."""
    return json.dumps(report_json(report, checks), indent=2, ensure_ascii=False) + "\n"
