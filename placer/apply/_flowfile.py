"""Walk one flow class of a parsed file and hand each step's `def` to an editor.

This is the part of the codemod that knows Metaflow's layout: a flow is a class, its
steps are the methods decorated with `@step`. Other classes in the file, nested
functions and non-step methods are left alone.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from placer.apply import _order
from placer.apply._names import MetaflowNames

StepEditor = Callable[[str, cst.FunctionDef, int], cst.FunctionDef]  # name, def, @step line
ClassEditor = Callable[[cst.ClassDef], cst.ClassDef]


class _FlowWalker(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self, flow: str, names: MetaflowNames, on_step: StepEditor, on_class: ClassEditor
    ) -> None:
        super().__init__()
        self.flow, self.names = flow, names
        self.on_step, self.on_class = on_step, on_class
        self.scopes: list[str] = []  # "class:Name" / "def"
        self.found_class = False
        self.classes: list[str] = []
        self.steps: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if not self.scopes:
            self.classes.append(node.name.value)
        self.scopes.append(f"class:{node.name.value}")
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.scopes.pop()
        if self.scopes or original.name.value != self.flow:
            return updated
        self.found_class = True
        return self.on_class(updated)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.scopes.append("def")
        return True

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.scopes.pop()
        if self.scopes != [f"class:{self.flow}"]:
            return updated
        at = _order.find(original.decorators, self.names, "step")
        if at is None:
            return updated
        self.steps.append(original.name.value)
        line = self.get_metadata(PositionProvider, original.decorators[at]).start.line
        return self.on_step(original.name.value, updated, line)


def walk_flow(
    module: cst.Module,
    flow: str,
    names: MetaflowNames,
    on_step: StepEditor,
    on_class: ClassEditor,
) -> tuple[cst.Module, bool, list[str], list[str]]:
    """Edit the top-level class `flow`: (new module, class found?, its steps, all classes)."""
    walker = _FlowWalker(flow, names, on_step, on_class)
    new = MetadataWrapper(module, unsafe_skip_copy=True).visit(walker)
    return new, walker.found_class, walker.steps, walker.classes


def dominant_quote(module: cst.Module) -> str:
    """The quote character most of the file's plain strings use (ties: double)."""
    counter = _QuoteCounter()
    module.visit(counter)
    return "'" if counter.single > counter.double else '"'


class _QuoteCounter(cst.CSTVisitor):
    def __init__(self) -> None:
        self.single = 0
        self.double = 0

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if node.quote == "'":
            self.single += 1
        elif node.quote == '"':
            self.double += 1
