"""The cost-time frontier: cost per run against makespan, with the plan and baselines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from placer.output.plot._figure import new_figure, to_bytes

if TYPE_CHECKING:
    from placer.optimize.frontier import Frontier

_MARKERS = {"plan": ("*", "#d62728", 16), "as_written": ("s", "#7f7f7f", 9)}
_OTHER = ("^", "#9467bd", 9)


def frontier_chart(frontier: Frontier, fmt: str = "png") -> bytes:
    """The frontier as a stepped line of points (each the cheapest plan within its
    makespan), and the plan and baselines as labelled markers (hollow when infeasible)."""
    figure = new_figure(8, 5)
    axes = figure.add_subplot()
    points = frontier.points
    xs = [p.makespan_hours for p in points]
    ys = [p.total_usd for p in points]
    if points:
        axes.step(xs, ys, where="post", color="#1f77b4", linewidth=1.5, zorder=2)
        axes.plot(xs, ys, "o", color="#1f77b4", label="frontier (cheapest plan per deadline)")
    for marker in frontier.markers:
        shape, colour, size = _MARKERS.get(marker.name, _OTHER)
        label = marker.name.replace("_", " ") + ("" if marker.feasible else " (infeasible)")
        face = colour if marker.feasible else "none"
        axes.plot(
            [marker.makespan_hours], [marker.total_usd], shape, markersize=size,
            markerfacecolor=face, markeredgecolor=colour, label=label, zorder=3,
        )  # fmt: skip
    axes.set_xlabel("makespan of one run (hours)")
    axes.set_ylabel("cost per run (USD)")
    axes.set_title(f"{frontier.flow}: cost against time ({len(points)} frontier points)")
    axes.yaxis.set_major_formatter("${x:,.2f}")
    axes.grid(True, alpha=0.3)
    axes.margins(0.08)
    axes.legend(loc="best", fontsize="small")
    return to_bytes(figure, fmt)
