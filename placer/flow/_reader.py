"""`read_flow`: a flow file to a :class:`Flow`, statically and in time linear in its size."""

from __future__ import annotations

from pathlib import Path

from placer.errors import FlowError
from placer.flow._classes import class_chain, find_flow_class
from placer.flow._configs import read_configs
from placer.flow._graph import Node, build_graph
from placer.flow._model import Flow, Step
from placer.flow._names import collect_names
from placer.flow._resources import read_compute
from placer.flow._source import Source, read_source
from placer.flow._steps import RawStep, read_steps


def read_flow(path: Path, flow_class: str | None = None) -> Flow:
    """Read the Metaflow flow in `path` without importing or executing it.

    `flow_class` picks the FlowSpec subclass when the file defines several and its
    `__main__` block does not say which one runs. Raises FlowError (one line naming the
    file, line and fix) for anything Metaflow would refuse or placer cannot read.
    """
    source = read_source(Path(path))
    names = collect_names(source.module)
    cls = find_flow_class(source, names, flow_class)
    chain = class_chain(cls, source)
    configs = read_configs(chain, source, names)
    names.config_lookup = lambda node: configs.resolve(node, names)
    raw = read_steps(chain, source, names)
    if not raw:
        raise FlowError(
            f"flow class '{cls.name}' has no @step methods",
            source.where(cls.lineno),
            "decorate the flow's steps with @step (from metaflow)",
        )
    nodes = build_graph(raw, source)
    steps = {s.name: _step(s, nodes[s.name], source) for s in raw}
    return Flow(cls.name, source.path, cls.lineno, steps, source.sha256)


def _step(raw: RawStep, node: Node, source: Source) -> Step:
    compute = read_compute(raw.name, raw.decorators, source)
    tr = raw.transition
    return Step(
        name=raw.name,
        type=node.type,  # type: ignore[arg-type]  # one of NodeType by construction
        next=tr.next,
        line=raw.line,
        decorators=raw.decorators,
        foreach=tr.foreach,
        num_parallel=tr.num_parallel,
        condition=tr.condition,
        switch_cases=dict(tr.switch_cases),
        foreach_stack=node.foreach_stack,
        backend=compute.backend,
        resources=compute.resources,
        pod_request=compute.pod_request,
        declared=compute.declared,
        placement=compute.placement,
    )
