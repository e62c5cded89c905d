"""`placer frontier`: the cost-time frontier as a table and as JSON (docs/explain.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from placer.money import amount, kept, usd
from placer.optimize.diagnose import hours_text

if TYPE_CHECKING:
    from rich.console import RenderableType

    from placer.optimize.frontier import Frontier, Point

__all__ = ["FRONTIER_FORMAT_VERSION", "frontier_json", "frontier_view"]

FRONTIER_FORMAT_VERSION = "1.0"


def frontier_view(frontier: Frontier) -> list[RenderableType | str]:
    """A title, one row per frontier point (fastest first) with what moves, the markers."""
    from placer.output.table import plain_table

    table = plain_table(
        "deadline", "makespan", "per run", "per month", "moves from the cheapest plan",
        right=("deadline", "makespan", "per run", "per month"),
        fold=("moves from the cheapest plan",),
    )  # fmt: skip
    for point in frontier.points:
        month = point.total_usd * frontier.runs_per_month
        table.add_row(
            hours_text(point.deadline_hours), hours_text(point.makespan_hours),
            amount(point.total_usd), amount(month), _moves(point),
        )  # fmt: skip
    lines = [
        f"{m.name}: {hours_text(m.makespan_hours)}, {usd(m.total_usd)}/run"
        + ("" if m.feasible else " (breaks a limit)")
        for m in frontier.markers
    ]
    title = (
        f"{frontier.flow} ({frontier.flow_file}): the cheapest plan for each deadline, USD "
        f"({len(frontier.deadlines)} deadlines, {frontier.solves} solves)"
    )
    return [title, table, "\n".join(lines)]


def _moves(point: Point) -> str:
    if not point.moved:
        return "-"
    return ", ".join(f"{step} to {to}" for step, (_, to) in point.moved.items())


def frontier_json(frontier: Frontier) -> dict[str, Any]:
    """The frontier as JSON-ready data (docs/explain.md, "frontier JSON")."""
    return {
        "format_version": FRONTIER_FORMAT_VERSION,
        "currency": "USD",
        "flow": {"name": frontier.flow, "file": frontier.flow_file},
        "runs_per_month": frontier.runs_per_month,
        "deadlines_hours": [round(d, 6) for d in frontier.deadlines],
        "points": [_point(p, frontier.runs_per_month) for p in frontier.points],
        "markers": [
            {
                "name": m.name,
                "makespan_hours": round(m.makespan_hours, 6),
                "per_run": str(kept(m.total_usd)),
                "feasible": m.feasible,
            }
            for m in frontier.markers
        ],
        "solves": frontier.solves,
        "seconds": round(frontier.seconds, 4),
    }


def _point(point: Point, runs: float) -> dict[str, Any]:
    return {
        "deadline_hours": round(point.deadline_hours, 6),
        "makespan_hours": round(point.makespan_hours, 6),
        "per_run": {
            "compute": str(kept(point.compute_usd)),
            "egress": str(kept(point.egress_usd)),
            "total": str(kept(point.total_usd)),
        },
        "per_month": str(kept(point.total_usd * runs)),
        "status": point.status,
        "steps": dict(point.assignment),
        "moved": {s: {"from": a, "to": b} for s, (a, b) in point.moved.items()},
    }
