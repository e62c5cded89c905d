"""Walk one flow class of a parsed file and hand each step's `def` to an editor.

This is the part of the codemod that knows Metaflow's layout: a flow is a class, its
steps are the methods decorated with `@step`. Other classes in the file, nested
functions and non-step methods are left alone.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Callable

import libcst as cst

from placer.apply import _order
from placer.apply._names import MetaflowNames

LineOf = Callable[[], int]  # the @step line, computed only when an error needs it
StepEditor = Callable[[str, cst.FunctionDef, LineOf], cst.FunctionDef]
ClassEditor = Callable[[cst.ClassDef], cst.ClassDef]


class _FlowWalker(cst.CSTTransformer):
    """Visits only what it needs: top-level classes and their methods' decorators.

    Function bodies and other classes are never entered, which keeps a rewrite close to
    the cost of parsing. Line numbers come from Python's `ast`, and only when an error
    needs one (libcst's PositionProvider would render the whole file again).
    """

    def __init__(
        self,
        flow: str,
        names: MetaflowNames,
        on_step: StepEditor,
        on_class: ClassEditor,
        source: bytes,
    ) -> None:
        super().__init__()
        self.flow, self.names, self.source = flow, names, source
        self.on_step, self.on_class = on_step, on_class
        self.scopes: list[str] = []  # "class:Name" / "def"
        self.found_class = False
        self.classes: list[str] = []
        self.steps: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if not self.scopes:
            self.classes.append(node.name.value)
        self.scopes.append(f"class:{node.name.value}")
        return self.scopes == [f"class:{self.flow}"]

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.scopes.pop()
        if self.scopes or original.name.value != self.flow:
            return updated
        self.found_class = True
        return self.on_class(updated)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.scopes.append("def")
        return False  # steps are never nested in functions

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.scopes.pop()
        if self.scopes != [f"class:{self.flow}"]:
            return updated
        at = _order.find(original.decorators, self.names, "step")
        if at is None:
            return updated
        name = original.name.value
        self.steps.append(name)
        return self.on_step(name, updated, lambda: decorator_line(self.source, self.flow, name, at))


def walk_flow(
    module: cst.Module,
    flow: str,
    names: MetaflowNames,
    on_step: StepEditor,
    on_class: ClassEditor,
    source: bytes,
) -> tuple[cst.Module, bool, list[str], list[str]]:
    """Edit the top-level class `flow`: (new module, class found?, its steps, all classes)."""
    walker = _FlowWalker(flow, names, on_step, on_class, source)
    new = module.visit(walker)
    return new, walker.found_class, walker.steps, walker.classes


def decorator_line(source: bytes, flow: str, method: str, index: int) -> int:
    """The line of decorator `index` of `flow.method` (for error messages)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == flow:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    return item.decorator_list[index].lineno
    return 0


def dominant_quote(source: bytes) -> str:
    """The quote character most of the file's plain strings use (ties: double)."""
    single = double = 0
    for token in tokenize.tokenize(io.BytesIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        body = token.string.lstrip("rRbBuUfF")
        if body[:3] in ('"""', "'''"):
            continue  # docstrings say nothing about the code's quote style
        single += body.startswith("'")
        double += body.startswith('"')
    return "'" if single > double else '"'
