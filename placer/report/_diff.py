"""Compare plans: which steps moved pools, what each costs per month before and after.

A :class:`Report` is the data every format renders. It is built from the head plans (the
change) and, optionally, base plans (what runs today). Flows are matched by name; steps by
name. Monthly amounts keep full precision (per-run cost x runs per month) so totals add up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from placer.errors import ReportError
from placer.plan import Cost, Plan, StepPlan

StepStatus = Literal["unchanged", "changed", "moved", "new", "removed", "planned"]
FlowStatus = Literal["unchanged", "changed", "new", "removed", "planned"]


def monthly(step: StepPlan, runs_per_month: float) -> Cost:
    """One step's cost per month, unrounded."""
    runs = Decimal(str(runs_per_month))
    return Cost(step.cost.compute * runs, step.cost.egress * runs)


@dataclass(frozen=True)
class StepLine:
    """One step of one flow: its plan before and after, and its monthly cost on each side."""

    name: str
    status: StepStatus
    before: StepPlan | None
    after: StepPlan | None
    before_per_month: Cost | None  # None when the step is new or nothing was compared
    after_per_month: Cost  # zero when the step was removed

    @property
    def change_per_month(self) -> Decimal:
        before = self.before_per_month.total if self.before_per_month else Decimal(0)
        return self.after_per_month.total - before


@dataclass(frozen=True)
class FlowLine:
    """One flow: its steps and totals; `base` is None for a new flow or without a comparison."""

    name: str
    status: FlowStatus
    head: Plan | None  # None when the flow was removed
    base: Plan | None
    steps: tuple[StepLine, ...]

    @property
    def plan(self) -> Plan:
        """The plan describing the flow now (the base one if the flow was removed)."""
        plan = self.head or self.base
        assert plan is not None  # a FlowLine always has one side
        return plan

    @property
    def after_per_month(self) -> Cost:
        return _sum(s.after_per_month for s in self.steps)

    @property
    def before_per_month(self) -> Cost | None:
        if self.status == "planned":
            return None
        return _sum(s.before_per_month for s in self.steps if s.before_per_month is not None)


@dataclass(frozen=True)
class Report:
    """Every flow of a report, and whether base plans were given to compare with."""

    flows: tuple[FlowLine, ...]
    compared: bool
    currency: str = "USD"

    @property
    def after_per_month(self) -> Decimal:
        return sum((f.after_per_month.total for f in self.flows), Decimal(0))

    @property
    def before_per_month(self) -> Decimal | None:
        if not self.compared:
            return None
        return sum((f.before_per_month.total for f in self.flows if f.before_per_month), Decimal(0))

    @property
    def change_per_month(self) -> Decimal | None:
        before = self.before_per_month
        return None if before is None else self.after_per_month - before


def pool_move(line: StepLine, plan: Plan) -> tuple[str | None, str | None]:
    """(pool before, pool after) of a step; None on a side where it does not run.

    Without a base plan, "before" is where the flow as written sends the step (the plan's
    ``as_written`` baseline), so a single plan still shows what `placer apply` would move.
    """
    after = line.after.pool if line.after else None
    if line.status != "planned":
        return (line.before.pool if line.before else None), after
    written = plan.baselines.get("as_written")
    return (written.assignment.get(line.name) if written else None), after


def _sum(costs: Iterable[Cost | None]) -> Cost:
    total = Cost()
    for cost in costs:
        total = total + cost if cost is not None else total
    return total


def _by_name(plans: Sequence[Plan], side: str) -> dict[str, Plan]:
    out: dict[str, Plan] = {}
    for plan in plans:
        if plan.flow in out:
            raise ReportError(
                f"two {side} plans for flow {plan.flow} ({out[plan.flow].flow_file}, "
                f"{plan.flow_file})",
                location=plan.flow_file,
                hint="report flows with the same class name in separate `placer report` runs",
            )
        out[plan.flow] = plan
    return out


def _step_status(before: StepPlan, after: StepPlan, base: Plan, head: Plan) -> StepStatus:
    if before.pool != after.pool:
        return "moved"
    same = monthly(before, base.runs_per_month) == monthly(after, head.runs_per_month)
    return "unchanged" if same else "changed"


def _step_lines(head: Plan | None, base: Plan | None, compared: bool) -> tuple[StepLine, ...]:
    head_steps: Mapping[str, StepPlan] = head.steps if head else {}
    base_steps: Mapping[str, StepPlan] = base.steps if base else {}
    lines = []
    for name, after in head_steps.items():
        assert head is not None
        before = base_steps.get(name)
        after_cost = monthly(after, head.runs_per_month)
        if not compared:
            lines.append(StepLine(name, "planned", None, after, None, after_cost))
        elif base is None or before is None:
            lines.append(StepLine(name, "new", None, after, None, after_cost))
        else:
            status = _step_status(before, after, base, head)
            before_cost = monthly(before, base.runs_per_month)
            lines.append(StepLine(name, status, before, after, before_cost, after_cost))
    for name, before in base_steps.items():
        if name not in head_steps:
            assert base is not None
            gone = monthly(before, base.runs_per_month)
            lines.append(StepLine(name, "removed", before, None, gone, Cost()))
    return tuple(lines)


def _flow_status(head: Plan | None, base: Plan | None, steps: Sequence[StepLine]) -> FlowStatus:
    if head is None:
        return "removed"
    if base is None:
        return "new"
    return "unchanged" if all(s.status == "unchanged" for s in steps) else "changed"


def build_report(plans: Sequence[Plan], base: Sequence[Plan] | None = None) -> Report:
    """Line up head plans with base plans (if any) flow by flow and step by step."""
    if not plans and not base:
        raise ReportError("no plans to report on", hint="pass at least one plan.json")
    heads = _by_name(plans, "head")
    if base is None:
        flows = [
            FlowLine(n, "planned", p, None, _step_lines(p, None, False)) for n, p in heads.items()
        ]
        return Report(tuple(flows), compared=False, currency=_currency(plans))
    bases = _by_name(base, "base")
    flows = []
    for name in [*heads, *(n for n in bases if n not in heads)]:
        head, old = heads.get(name), bases.get(name)
        steps = _step_lines(head, old, True)
        flows.append(FlowLine(name, _flow_status(head, old, steps), head, old, steps))
    return Report(tuple(flows), compared=True, currency=_currency([*plans, *base]))


def _currency(plans: Sequence[Plan]) -> str:
    currencies = sorted({p.currency for p in plans})
    if len(currencies) > 1:
        raise ReportError(
            f"plans use different currencies: {', '.join(currencies)}",
            hint="plan every flow with the same pricing catalog",
        )
    return currencies[0] if currencies else "USD"
