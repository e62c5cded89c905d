"""The plan's DAG, left to right: one box per step (a foreach body once, with its width),
coloured by cloud and labelled with its pool, instance type and cost per run; edges that
move data between regions labelled with the GB per run and its cost."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

from placer.money import usd
from placer.output.plot._figure import CLOUD_COLOURS, cloud_colour, new_figure, to_bytes

if TYPE_CHECKING:
    from placer.optimize.traffic import Traffic
    from placer.plan import Plan

_BOX_W, _BOX_H = 1.7, 0.78  # in data units: one layer is 2.4 wide, one row 1.0 high
_LAYER_W, _ROW_H = 2.4, 1.0


def dag_chart(
    plan: Plan,
    edges: Mapping[str, tuple[str, ...]],
    traffic: Mapping[tuple[str, str], Traffic] | None = None,
    fmt: str = "png",
) -> bytes:
    """The DAG of `plan` (`edges`: step -> next steps) as PNG or SVG bytes."""
    from matplotlib.patches import FancyBboxPatch, Patch

    layers = _layers(list(plan.steps), edges)
    position = _positions(layers, edges)
    width = max(len(layers), 1) * _LAYER_W
    height = max((len(layer) for layer in layers), default=1) * _ROW_H
    figure = new_figure(max(4.0, width * 1.25), max(2.5, height * 0.95 + 0.8))
    axes = figure.add_subplot()
    axes.set_xlim(-_LAYER_W / 2, width - _LAYER_W / 2)
    axes.set_ylim(-height / 2 - 0.1, height / 2 + 0.1)
    axes.axis("off")
    for tail, heads in edges.items():
        for head in heads:
            if tail in position and head in position:
                _edge(axes, position[tail], position[head], (traffic or {}).get((tail, head)))
    for name, step in plan.steps.items():
        x, y = position[name]
        box = FancyBboxPatch(
            (x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H, boxstyle="round,pad=0.02",
            facecolor=cloud_colour(step.cloud), alpha=0.85, edgecolor="#333333", zorder=2,
        )  # fmt: skip
        axes.add_patch(box)
        width_text = f" x{step.tasks}" if step.tasks > 1 else ""
        axes.text(x, y + 0.2, name + width_text, ha="center", va="center", fontsize=7.5,
                  fontweight="bold", zorder=3)  # fmt: skip
        detail = f"{step.pool}\n{step.instance_type}, {usd(step.cost.total)}/run"
        axes.text(x, y - 0.12, detail, ha="center", va="center", fontsize=6, zorder=3)
    clouds = sorted({s.cloud for s in plan.steps.values()})
    handles = [Patch(facecolor=CLOUD_COLOURS.get(c, "#9e9e9e"), label=c) for c in clouds]
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles) or 1,
                  fontsize="small", frameon=False)  # fmt: skip
    title = f"{plan.flow}: {usd(plan.per_run.total)}/run, {usd(plan.per_month.total)}/month"
    axes.set_title(title, fontsize=10)
    return to_bytes(figure, fmt)


def _edge(axes, tail: tuple[float, float], head: tuple[float, float], moved) -> None:
    start = (tail[0] + _BOX_W / 2, tail[1])
    end = (head[0] - _BOX_W / 2, head[1])
    colour = "#d62728" if moved is not None else "#555555"
    axes.annotate(
        "", xy=end, xytext=start, zorder=1,
        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.2 if moved else 0.8},
    )  # fmt: skip
    if moved is not None:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.08)
        text = f"{moved.gb:,.3g} GB, {usd(moved.usd)}"
        plate = {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5}
        axes.text(
            *middle, text, ha="center", va="bottom", fontsize=6, color=colour, zorder=3,
            bbox=plate,
        )  # fmt: skip


def _layers(steps: list[str], edges: Mapping[str, tuple[str, ...]]) -> list[list[str]]:
    """Steps by longest-path depth from the start (each a column of the picture)."""
    parents: dict[str, list[str]] = defaultdict(list)
    for tail, heads in edges.items():
        for head in heads:
            parents[head].append(tail)
    depth: dict[str, int] = {}

    def level(step: str, seen: frozenset[str] = frozenset()) -> int:
        if step not in depth:
            ups = [p for p in parents[step] if p in steps and p not in seen]
            depth[step] = 1 + max((level(p, seen | {step}) for p in ups), default=-1)
        return depth[step]

    for step in steps:
        level(step)
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for step in steps:
        layers[depth[step]].append(step)
    return layers


def _positions(
    layers: list[list[str]], edges: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[float, float]]:
    """Centres of the boxes: a column per layer, each column ordered by its parents' rows
    (fewer crossings) and centred vertically."""
    parents: dict[str, list[str]] = defaultdict(list)
    for tail, heads in edges.items():
        for head in heads:
            parents[head].append(tail)
    out: dict[str, tuple[float, float]] = {}

    def height(step: str) -> float:  # the mean height of its placed parents, top first
        ys = [out[p][1] for p in parents[step] if p in out]
        return -sum(ys) / len(ys) if ys else 0.0

    for i, layer in enumerate(layers):
        order = sorted(layer, key=height)
        top = (len(order) - 1) * _ROW_H / 2
        for j, step in enumerate(order):
            out[step] = (i * _LAYER_W, top - j * _ROW_H)
    return out
