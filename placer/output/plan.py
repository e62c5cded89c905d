"""A plan for people: the step table, totals, savings, solver and pricing lines, warnings.

`placer plan --format table` prints :func:`plan_view`; `--format markdown` is the report's
Markdown (:func:`placer.output.render`) and `--format json` the plan file itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from placer.money import amount, rows_add_up, usd, whole_percent

if TYPE_CHECKING:
    from rich.console import RenderableType

    from placer.plan import Plan

__all__ = ["ROUNDED_NOTE", "plan_view", "summary_lines"]

ROUNDED_NOTE = (
    "note: amounts are rounded to the cent and totals are of the unrounded amounts, "
    "so a column can differ from its total by a cent or two"
)


def plan_view(plan: Plan) -> list[RenderableType]:
    """The table view: a title, one row per step, per-run and per-month totals, then
    :func:`summary_lines`."""
    from rich.text import Text

    title = f"{plan.flow} ({plan.flow_file}): objective {plan.objective}, USD per run"
    return [Text(title), steps_table(plan), Text("\n".join(summary_lines(plan)))]


def steps_table(plan: Plan) -> RenderableType:
    """Steps with pool, instance, tasks, task-hours and cost per run; totals below."""
    from placer.output.table import new_table

    table = new_table()
    # Names fold onto a second line in narrow terminals; figures are never cut.
    table.add_column("step", overflow="fold", min_width=len("per month"))
    table.add_column("pool", overflow="fold")
    table.add_column("instance", overflow="fold")
    for name in ("tasks", "hours", "compute", "egress", "total"):
        table.add_column(name, justify="right", no_wrap=True)
    for name, step in plan.steps.items():
        cost = step.cost
        table.add_row(
            name, step.pool, step.instance_type, str(step.tasks), f"{step.hours:.2f}",
            amount(cost.compute), amount(cost.egress), amount(cost.total),
        )  # fmt: skip
    table.add_section()
    for label, cost in (("per run", plan.per_run), ("per month", plan.per_month)):
        table.add_row(
            label, "", "", "", "", amount(cost.compute), amount(cost.egress), amount(cost.total)
        )
    return table


def adds_up(plan: Plan) -> bool:
    """True when the table's rows and columns add up as displayed (in cents)."""
    costs = [step.cost for step in plan.steps.values()]
    totals = plan.per_run
    columns = (
        rows_add_up([c.compute for c in costs], totals.compute),
        rows_add_up([c.egress for c in costs], totals.egress),
        rows_add_up([c.total for c in costs], totals.total),
    )
    rows = [rows_add_up([c.compute, c.egress], c.total) for c in [*costs, totals, plan.per_month]]
    return all(columns) and all(rows)


def summary_lines(plan: Plan) -> list[str]:
    """Savings, makespan, solver, pricing and warnings as plain lines."""
    lines = [f"per month = per run x {plan.runs_per_month:g} runs"]
    if not adds_up(plan):
        lines.append(ROUNDED_NOTE)
    for name, base in plan.baselines.items():
        saved = plan.savings(name)
        if saved is None:
            lines.append(f"vs {name}: infeasible ({base.note})")
        else:
            total = base.per_month.total
            pct = f" ({whole_percent(saved / total)})" if total else ""
            lines.append(
                f"vs {name}: {usd(base.per_month.total)}/month -> saves {usd(saved)}/month{pct}"
            )
    if plan.makespan_hours is not None:
        from placer.optimize.diagnose import hours_text

        lines.append(f"makespan: {hours_text(plan.makespan_hours)}")
    lines.append(_solver_line(plan))
    age = plan.extra.get("pricing_age")  # the age of the prices the plan used, per cloud
    lines.append(
        f"pricing: {age}" if age else
        f"pricing: {plan.pricing_source}, captured {plan.pricing_captured_at}"
    )  # fmt: skip
    lines += [f"warning: {w}" for w in plan.warnings]
    return lines


def _solver_line(plan: Plan) -> str:
    s = plan.solver
    if s.solver == "direct":
        return (
            f"solver: none needed, {s.status}: the cheapest pool of every step meets every "
            f"constraint ({s.variables} options, {s.seconds:.3f} s)"
        )
    gap = "n/a" if s.gap is None else f"{s.gap:.2%}"
    return (
        f"solver: {s.solver}, {s.status}, gap {gap}, {s.seconds:.2f} s "
        f"({s.variables} variables, {s.constraints} constraints)"
    )
