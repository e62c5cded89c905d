"""Residency means data: a resident step's inputs and outputs stay on its continent.

A step resident on a continent (``steps.<name>.residency``, or listed under
``constraints.residency``) runs only in pools there (space.py), and its data must not cross
the continent's boundary either. Metaflow moves every artifact through the datastore, so a
resident step reads its inputs from the datastore and writes its outputs back; it also reads
its ``reads``. Each of those places off the continent is a crossing:

- ``constraints.residency_data: forbid`` (default): a crossing makes the plan impossible,
  with a message naming the step, the place (the datastore, or a read) and the boundary.
  Put the datastore on the continent (``datastore:``, and the flow's datastore root) or
  move the read.
- ``allow``: the data may move; the plan says how, one warning listing every crossing with
  its volume per run (and the egress is priced as for any step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from placer.config import Config
from placer.errors import PlanError
from placer.flow import Flow
from placer.optimize.demand import Demand
from placer.optimize.space import residency_of
from pricing import Location


@dataclass(frozen=True)
class Crossing:
    """Data of a resident step that leaves or enters its continent, per run."""

    step: str
    continent: str  # the step's
    place: Location  # where the data is
    where: str  # that place's continent
    what: str  # "its inputs and outputs (datastore)" or "its read"
    gb_per_run: float


def crossings(
    demand: Demand, config: Config, continent: Callable[[Location], str]
) -> list[Crossing]:
    """Every crossing of one step's data (none for a step without residency)."""
    found = []
    for home in residency_of(demand.step, config):
        store = config.datastore
        if continent(store) != home:
            moved = (demand.input_gb + demand.output_gb) * demand.tasks
            what = "its inputs and outputs (the datastore)"
            found.append(Crossing(demand.step, home, store, continent(store), what, moved))
        for read in demand.reads:
            if continent(read.location) != home:
                size = read.size_gb * demand.tasks
                where = continent(read.location)
                found.append(Crossing(demand.step, home, read.location, where, "a read", size))
    return found


def check(
    flow: Flow, config: Config, demands: dict[str, Demand], continent: Callable[[Location], str]
) -> list[Crossing]:
    """All crossings of the flow's resident steps; under ``residency_data: forbid`` (the
    default) the first one is a PlanError naming the step, the place and the boundary."""
    found = [c for name in flow.steps for c in crossings(demands[name], config, continent)]
    if found and config.constraints.residency_data == "forbid":
        first = found[0]
        field = _field(first.step, config)
        raise PlanError(
            f"{first.step} must keep its data in {first.continent}, but {first.what} "
            f"{'is' if first.what == 'a read' else 'are'} in {first.place} ({first.where}): "
            f"{first.gb_per_run:g} GB a run would cross the {first.continent} boundary",
            config.locate(field),
            f"put the datastore in {first.continent} (datastore: in placer.yaml, and the "
            "flow's datastore root), or set constraints.residency_data: allow to let the data "
            "move (the plan then lists it)",
        )
    return found


def _field(step: str, config: Config) -> str:
    if config.usage(step).residency:
        return f"steps.{step}.residency"
    return "constraints.residency"


def describe(found: list[Crossing]) -> str:
    """The crossings as one warning (under ``residency_data: allow``)."""
    listed = "; ".join(
        f"{c.step} ({c.continent}): {c.gb_per_run:g} GB a run, {c.what} in {c.place} ({c.where})"
        for c in found
    )
    return (
        f"data of resident steps crosses their boundary (constraints.residency_data: allow): "
        f"{listed}"
    )
