"""Reading Metaflow flows statically: never imports or executes user code."""

from placer.flow._model import Backend, Decorator, Flow, NodeType, Placement, Resources, Step

__all__ = ["Backend", "Decorator", "Flow", "NodeType", "Placement", "Resources", "Step"]
