"""`placer explain`: per step, every pool with its costs and why it won or lost.

:func:`explain_view` makes one table per step for terminals, :func:`explain_json` the JSON
form (docs/explain.md). Money is kept to a hundredth of a cent in JSON and shown to the
cent in tables (placer.money); hours are the billed pod-hours per run, as in `placer plan`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from placer.money import amount, kept, usd

if TYPE_CHECKING:
    from rich.console import RenderableType

    from placer.optimize.explain import Explanation, PoolRow, StepExplanation

__all__ = [
    "EXPLAIN_FORMAT_VERSION",
    "LABELS",
    "explain_json",
    "explain_view",
    "reason_lines",
    "step_table",
]

EXPLAIN_FORMAT_VERSION = "1.0"

# The verdict column: a word or two per kind (placer.optimize.explain.Verdict.kind).
LABELS = {"no_fit": "no fit", "over_capacity": "too big"}


def explain_view(explanation: Explanation) -> list[RenderableType | str]:
    """A title, then for each step a heading line and its table of pools."""
    plan = explanation.plan
    parts: list[RenderableType | str] = [
        f"{plan.flow} ({plan.flow_file}): every pool per step, USD per run; the plan costs "
        f"{usd(plan.per_run.total)}/run"
    ]
    for step in explanation.steps:
        parts += [_heading(step), step_table(step), reason_lines(step)]
    solves = explanation.solves
    exact = all(
        r.verdict.solved or r.verdict.delta_usd is not None or r.verdict.low_usd is None
        for s in explanation.steps
        for r in s.rows
    )
    parts.append(
        "\nA verdict on a pool that lost compares the best plan with the step there with the "
        f"plan ({solves} re-solve{'' if solves == 1 else 's'}; bounds settled the rest)."
        + (
            ""
            if exact
            else " Verdicts marked 'not re-solved' state bounds: the re-solve time ran out."
        )
    )
    return parts


def _heading(step: StepExplanation) -> str:
    tasks = "1 task" if step.tasks == 1 else f"{step.tasks} tasks"
    return f"\n{step.step} ({tasks}): runs in {step.pool}"


def step_table(step: StepExplanation) -> RenderableType:
    """One row per pool: instance type, tasks, hours, compute, egress, total, and the
    verdict's kind (:func:`reason_lines` says it in full)."""
    from placer.output.table import plain_table

    table = plain_table(
        "pool", "instance", "tasks", "hours", "compute", "egress", "total", "verdict",
        right=("tasks", "hours", "compute", "egress", "total"), fold=("pool", "instance"),
    )  # fmt: skip
    for row in step.rows:
        table.add_row(
            row.pool,
            row.instance_type or "-",
            str(row.tasks),
            "-" if row.task_hours is None else f"{row.task_hours:.2f}",
            _money(row.compute_usd),
            _money(row.egress_usd),
            _money(row.total_usd),
            LABELS.get(row.verdict.kind, row.verdict.kind),
        )
    return table


def reason_lines(step: StepExplanation) -> str:
    """Each pool's verdict in full, one line per pool, in the table's order."""
    return "\n".join(f"  {row.pool}: {row.verdict.text}" for row in step.rows)


def _money(value: float | None) -> str:
    return "-" if value is None else amount(value)


def explain_json(explanation: Explanation) -> dict[str, Any]:
    """The explanation as JSON-ready data (docs/explain.md)."""
    plan = explanation.plan
    return {
        "format_version": EXPLAIN_FORMAT_VERSION,
        "currency": plan.currency,
        "flow": {"name": plan.flow, "file": plan.flow_file},
        "plan": {
            "per_run": str(kept(plan.per_run.total)),
            "per_month": str(kept(plan.per_month.total)),
            "makespan_hours": plan.makespan_hours,
            "solver": plan.solver.as_json(),
            "constraints": dict(plan.constraints),
        },
        "solves": explanation.solves,
        "seconds": round(explanation.seconds, 4),
        "steps": {s.step: _step_json(s) for s in explanation.steps},
    }


def _step_json(step: StepExplanation) -> dict[str, Any]:
    return {"pool": step.pool, "tasks": step.tasks, "pools": [_row_json(r) for r in step.rows]}


def _row_json(row: PoolRow) -> dict[str, Any]:
    v = row.verdict
    return {
        "pool": row.pool,
        "cloud": row.cloud,
        "region": row.region,
        "capacity_type": row.capacity_type,
        "instance_type": row.instance_type,
        "tasks": row.tasks,
        "hours": _number(row.task_hours),
        "wall_hours": _number(row.wall_hours),
        "compute": _kept(row.compute_usd),
        "egress": _kept(row.egress_usd),
        "total": _kept(row.total_usd),
        "egress_gb": _number(row.egress_gb),
        "verdict": {
            "kind": v.kind,
            "text": v.text,
            "delta_per_run": _kept(v.delta_usd),
            "low_per_run": _kept(v.low_usd),
            "high_per_run": _kept(v.high_usd),
            "steps": list(v.steps),
            "solved": v.solved,
        },
    }


def _kept(value: float | None) -> str | None:
    return None if value is None else str(kept(value))


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
