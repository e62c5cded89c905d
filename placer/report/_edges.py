"""The flow's edges for the DAG diagram: from the plan when it has them, else the flow file."""

from __future__ import annotations

from pathlib import Path

from placer.errors import PlacerError
from placer.plan import Plan

Edges = dict[str, tuple[str, ...]]


def flow_edges(plan: Plan) -> Edges:
    """Step -> next steps; empty when neither the plan nor a readable flow file has them."""
    edges = {name: step.next for name, step in plan.steps.items() if step.next}
    return edges or _edges_from_file(plan)


def _edges_from_file(plan: Plan) -> Edges:
    """Read the edges statically from the flow file (relative to the working directory).

    A plan file may be hand-edited, so only a regular file inside the working directory's
    project (its repository) is read."""
    from placer.inputs import inside, project_of

    path = Path(plan.flow_file)
    if not path.is_file() or not inside(path, project_of(Path.cwd() / "x")):
        return {}
    from placer.flow import read_flow

    try:
        flow = read_flow(path, plan.flow, plan.read_options())
    except PlacerError:  # the file changed and no longer parses: the diagram loses only edges
        return {}
    return {name: tuple(step.next) for name, step in flow.steps.items() if name in plan.steps}
