"""Reading Metaflow flows statically: never imports or executes user code."""

from placer.flow._json import flow_as_json, step_as_json
from placer.flow._model import (
    Backend,
    Decorator,
    Flow,
    FlowConfig,
    NodeType,
    Placement,
    Resources,
    Step,
    Unevaluated,
)
from placer.flow._reader import ReadOptions, read_flow

__all__ = [
    "Backend",
    "Decorator",
    "Flow",
    "FlowConfig",
    "NodeType",
    "Placement",
    "ReadOptions",
    "Resources",
    "Step",
    "Unevaluated",
    "flow_as_json",
    "read_flow",
    "step_as_json",
]
