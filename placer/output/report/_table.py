"""The report as a rich renderable for terminals (``--format table``).

rich is imported inside the functions so importing placer.report stays light.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from placer.money import change, usd
from placer.output.escape import one_line
from placer.output.report._markdown import ROUNDED_NOTE, adds_up, headline, step_change
from placer.plan import Plan
from placer.report import CheckResult, FlowLine, Report, StepLine, pool_move

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

_CLOUD_COLOURS = {"aws": "dark_orange", "azure": "dodger_blue2", "gcp": "green"}
_LEVEL_STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def _pool(line: StepLine, plan: Plan) -> str:
    before, after = (_plain(p) if p else p for p in pool_move(line, plan))
    if after is None or line.after is None:
        return f"[strike]{before or ''}[/strike]"
    colour = _CLOUD_COLOURS.get(line.after.cloud, "white")
    prefix = f"{before} → " if before and before != after else ""
    return f"{prefix}[{colour}]{after}[/{colour}]"


def _plain(value: str) -> str:
    """A plan's string as literal text in rich markup (no styles, links or control codes)."""
    from rich.markup import escape

    return escape(one_line(value))


def _flow_table(flow: FlowLine, compared: bool) -> Table:
    from rich.table import Table

    tag = f" ({flow.status})" if flow.status in ("new", "removed") else ""
    title = f"{_plain(flow.name)}{tag} · {_plain(flow.plan.flow_file)}"
    table = Table(title=title, title_justify="left")
    for header in ["Step", "Pool", "Compute", "Egress", "Total"] + (["Change"] if compared else []):
        table.add_column(header, justify="left" if header in ("Step", "Pool") else "right")
    for line in flow.steps:
        cost = line.after_per_month
        money = [usd(cost.compute), usd(cost.egress), usd(cost.total)] if line.after else ["—"] * 3
        name = _plain(line.name)
        name += f" ({line.status})" if line.status in ("new", "removed") else ""
        row = [name, _pool(line, flow.plan), *money]
        if compared:
            row.append(step_change(line))
        table.add_row(*row)
    table.add_section()
    table.add_row(*_total_row(flow, compared), style="bold")
    return table


def _total_row(flow: FlowLine, compared: bool) -> list[str]:
    """The flow's monthly totals, and its change when compared (as in the Markdown table)."""
    after = flow.after_per_month
    row = ["Total", "", usd(after.compute), usd(after.egress), usd(after.total)]
    if not compared:
        return row
    before = flow.before_per_month
    return [*row, change(before.total if before else Decimal(0), after.total)]


def table_renderable(report: Report, checks: Sequence[CheckResult] = ()) -> RenderableType:
    """Headline, threshold results and one table per flow, as one rich Group."""
    from rich.console import Group
    from rich.text import Text

    parts: list[RenderableType] = [Text(headline(report), style="bold")]
    if report.before_per_month is not None:
        parts.append(
            Text(f"{usd(report.before_per_month)} → {usd(report.after_per_month)} per month")
        )
    for result in checks:
        parts.append(
            Text(
                f"{result.level.upper()}: {one_line(result.message)}",
                style=_LEVEL_STYLES[result.level],
            )
        )
    parts.extend(_flow_table(flow, report.compared) for flow in report.flows)
    if not adds_up(report):
        parts.append(Text(f"note: {ROUNDED_NOTE}"))
    return Group(*parts)


def render_table(report: Report, checks: Sequence[CheckResult] = (), width: int = 100) -> str:
    """The table as plain text at a fixed width (for files and tests)."""
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False)
    console.print(table_renderable(report, checks))
    return out.getvalue()
