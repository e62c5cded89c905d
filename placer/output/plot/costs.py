"""Cost by step and pool: stacked compute and egress bars per month; with base plans, the
base's bars beside each step's and the change in the title."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from placer.money import signed_usd, usd
from placer.output.plot._figure import new_figure, to_bytes

if TYPE_CHECKING:
    from placer.plan import Plan

_COMPUTE, _EGRESS = "#1f77b4", "#ff7f0e"


def cost_chart(plans: Sequence[Plan], bases: Sequence[Plan] = (), fmt: str = "png") -> bytes:
    """Monthly compute (bottom) and egress (top) per step, labelled with the step and its
    pool; with `bases`, the base plan's bars (hatched) left of each step's current ones."""
    labels, head, base = _bars(plans, bases)
    figure = new_figure(max(6.0, 0.65 * len(labels) + 2.0), 5.0)
    axes = figure.add_subplot()
    xs = list(range(len(labels)))
    width = 0.38 if bases else 0.7
    shift = width / 2 if bases else 0.0
    if bases:
        left = [x - shift for x in xs]
        compute, egress = [c for c, _ in base], [e for _, e in base]
        axes.bar(left, compute, width, color=_COMPUTE, alpha=0.45, hatch="//", label="base compute")
        axes.bar(left, egress, width, bottom=compute, color=_EGRESS, alpha=0.45, hatch="//",
                 label="base egress")  # fmt: skip
    right = [x + shift for x in xs]
    compute, egress = [c for c, _ in head], [e for _, e in head]
    axes.bar(right, compute, width, color=_COMPUTE, label="compute")
    axes.bar(right, egress, width, bottom=compute, color=_EGRESS, label="egress")
    axes.set_xticks(xs, labels, rotation=45, ha="right", fontsize=7)
    axes.set_ylabel("cost per month (USD)")
    axes.yaxis.set_major_formatter("${x:,.0f}")
    axes.grid(True, axis="y", alpha=0.3)
    axes.legend(fontsize="small")
    axes.set_title(_title(plans, bases), fontsize=10)
    return to_bytes(figure, fmt)


def _bars(
    plans: Sequence[Plan], bases: Sequence[Plan]
) -> tuple[list[str], list[tuple[float, float]], list[tuple[float, float]]]:
    """Bar labels ("step\\npool", flow-qualified when there are several flows), and the
    (compute, egress) per month of each step now and in the base (0 when absent)."""
    from placer.report import monthly

    several = len({p.flow for p in [*plans, *bases]}) > 1
    by_flow = {b.flow: b for b in bases}
    labels, head, base = [], [], []
    for plan in plans:
        before = by_flow.get(plan.flow)
        names = list(plan.steps) + [
            s for s in (before.steps if before else {}) if s not in plan.steps
        ]
        for name in names:
            step = plan.steps.get(name)
            pool = step.pool if step else "removed"
            label = f"{plan.flow}.{name}" if several else name
            labels.append(f"{label}\n{pool}")
            head.append(_pair(monthly(step, plan.runs_per_month)) if step else (0.0, 0.0))
            old = before.steps.get(name) if before else None
            base.append(
                _pair(monthly(old, before.runs_per_month)) if old and before else (0.0, 0.0)
            )
    return labels, head, base


def _pair(cost) -> tuple[float, float]:
    return float(cost.compute), float(cost.egress)


def _title(plans: Sequence[Plan], bases: Sequence[Plan]) -> str:
    now = sum((p.per_month.total for p in plans), Decimal(0))
    flows = ", ".join(p.flow for p in plans)
    if not bases:
        return f"{flows}: {usd(now)}/month"
    before = sum((b.per_month.total for b in bases), Decimal(0))
    return f"{flows}: {usd(before)} -> {usd(now)}/month ({signed_usd(now - before)})"
