"""Finding the FlowSpec subclass in a module, and the classes its steps come from."""

from __future__ import annotations

import ast

from placer.errors import FlowError
from placer.flow._names import Names
from placer.flow._source import Source


def find_flow_class(source: Source, names: Names, wanted: str | None) -> ast.ClassDef:
    """The flow class: `wanted`, else the only FlowSpec subclass, else the one `__main__` runs."""
    classes = _top_level_classes(source.module)
    flows = [c for c in classes.values() if _is_flow(c, classes, names, set())]
    if wanted is not None:
        return _pick_named(source, flows, classes, wanted)
    if not flows:
        _refuse_imported_base(source, classes, names)
        raise FlowError(
            "no FlowSpec subclass found",
            str(source.path),
            "define `class MyFlow(FlowSpec)` (imported from metaflow) in this file",
        )
    if len(flows) == 1:
        return flows[0]
    return _pick_main(source, flows)


def _refuse_imported_base(source: Source, classes: dict[str, ast.ClassDef], names: Names) -> None:
    """A class deriving from a base imported from another module may be the flow: say so."""
    for cls in classes.values():
        for base in cls.bases:
            imported = isinstance(base, ast.Name) and base.id in names.local
            if imported or (isinstance(base, ast.Attribute) and not names.metaflow_name(base)):
                raise FlowError(
                    f"class '{cls.name}' derives from '{ast.unparse(base)}', imported from "
                    "another module; placer reads only this file, so it cannot see a flow there",
                    source.where(cls.lineno),
                    "placer needs the flow's steps in one file: define them in a FlowSpec "
                    "subclass here",
                )


def class_chain(flow: ast.ClassDef, source: Source) -> list[ast.ClassDef]:
    """The flow class and the classes it inherits from in this file, bases first."""
    classes = _top_level_classes(source.module)
    order: list[ast.ClassDef] = []
    _linearize(flow, classes, order, set())
    return order


def _linearize(
    cls: ast.ClassDef, classes: dict[str, ast.ClassDef], out: list[ast.ClassDef], seen: set[str]
) -> None:
    if cls.name in seen:
        return
    seen.add(cls.name)
    for base in reversed(cls.bases):  # later bases first, so earlier ones override them
        if isinstance(base, ast.Name) and base.id in classes:
            _linearize(classes[base.id], classes, out, seen)
    out.append(cls)


def _top_level_classes(module: ast.Module) -> dict[str, ast.ClassDef]:
    return {n.name: n for n in module.body if isinstance(n, ast.ClassDef)}


def _is_flow(
    cls: ast.ClassDef, classes: dict[str, ast.ClassDef], names: Names, seen: set[str]
) -> bool:
    seen = seen | {cls.name}
    for base in cls.bases:
        if names.metaflow_name(base) == "FlowSpec":
            return True
        if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
            if _is_flow(classes[base.id], classes, names, seen):
                return True
    return False


def _pick_named(
    source: Source, flows: list[ast.ClassDef], classes: dict[str, ast.ClassDef], wanted: str
) -> ast.ClassDef:
    for cls in flows:
        if cls.name == wanted:
            return cls
    known = ", ".join(c.name for c in flows) or "none"
    what = "is not a FlowSpec subclass" if wanted in classes else "is not defined"
    raise FlowError(
        f"class '{wanted}' {what} in this file",
        str(source.path),
        f"pass one of the flow classes to --flow-class ({known})",
    )


def _pick_main(source: Source, flows: list[ast.ClassDef]) -> ast.ClassDef:
    run = _main_block_calls(source.module)
    chosen = [c for c in flows if c.name in run]
    if len(chosen) == 1:
        return chosen[0]
    names = ", ".join(c.name for c in flows)
    raise FlowError(
        f"several FlowSpec subclasses ({names}) and no single one run by `__main__`",
        str(source.path),
        "pass --flow-class NAME",
    )


def _main_block_calls(module: ast.Module) -> set[str]:
    """Names called inside `if __name__ == "__main__":` blocks."""
    called: set[str] = set()
    for node in module.body:
        if isinstance(node, ast.If) and _is_main_test(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                        called.add(sub.func.id)
    return called


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main
