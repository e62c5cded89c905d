"""Mutator mode: the plan in placement.json, set at deploy time by a Metaflow FlowMutator.

Three files: placement.json (the plan's per-step selector, compute pool, and sizes under
--right-size), placer_placement.py (a small self-contained FlowMutator module, so the
code package carries it and the run needs no placer) and the flow file, which gains
`@PlacerPlacement` on its flow class and the import, once. Steps inherited from base
classes, in this file or other modules, are reached without editing their source; later
applies only rewrite placement.json.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from placer.apply._facts import FlowFacts
from placer.apply._result import Change, FileResult
from placer.apply._rewrite import parse
from placer.apply._selectors import selectors_document
from placer.errors import ApplyError
from placer.plan import Plan

MUTATOR_MODULE = "placer_placement"
MUTATOR_CLASS = "PlacerPlacement"
PLACEMENT_FILE = "placement.json"
_TEMPLATE = Path(__file__).with_name("_placement_mutator.py")


def mutator_files(
    source: bytes, flow_path: Path, target: Path, plan: Plan, right_size: bool, facts: FlowFacts
) -> tuple[FileResult, ...]:
    """placement.json, placer_placement.py and the flow file (written to `target`)."""
    _check_steps(plan, flow_path, facts)
    document = selectors_document(plan, right_size)
    placement = _file(target.parent / PLACEMENT_FILE, (json.dumps(document, indent=2) + "\n"))
    placement = _with_changes(placement, document)
    module = _file(target.parent / f"{MUTATOR_MODULE}.py", _TEMPLATE.read_text(encoding="utf-8"))
    _check_ours(module)
    if module.changed:
        module = FileResult(
            module.path, module.before, module.after, (Change("*", module.path.name, None, None),)
        )
    flow = _decorate(source, flow_path, target, plan)
    warnings = tuple(_warnings(plan, facts))
    unplanned = tuple(s for s in facts.steps or () if s not in plan.steps)
    flow = FileResult(flow.path, flow.before, flow.after, flow.changes, warnings, unplanned)
    return placement, module, flow


def _check_ours(module: FileResult) -> None:
    """Never overwrite a placer_placement.py that placer did not write."""
    if module.before is None:
        return
    mark = module.after.split(b"\n", 1)[0]
    if not module.before.startswith(mark):
        raise ApplyError(
            f"{module.path.name} exists and is not the module placer writes",
            str(module.path),
            "rename your module (mutator mode writes this name), or use another --mode",
        )


def _check_steps(plan: Plan, flow_path: Path, facts: FlowFacts) -> None:
    if facts.steps is None:
        return  # the flow could not be read as a whole (e.g. --fix-order): nothing to check
    missing = [s for s in plan.steps if s not in facts.steps]
    if missing:
        raise ApplyError(
            f"planned step(s) {', '.join(missing)} not found in {plan.flow}",
            str(flow_path),
            "re-run `placer plan` on this flow",
        )


def _warnings(plan: Plan, facts: FlowFacts) -> list[str]:
    steps = facts.steps or ()
    out = [f"step '{s}' is not in the plan; left as it is" for s in steps if s not in plan.steps]
    for name in plan.steps:
        overridden = [a for a in ("node_selector", "compute_pool") if facts.wired(name, a)]
        if overridden:
            out.append(
                f"step '{name}': {', '.join(overridden)} read the flow's own Config; "
                f"@{MUTATOR_CLASS} sets the plan's placement over it at deploy time (the "
                "source keeps its wiring)"
            )
    return out


def _file(path: Path, text: str) -> FileResult:
    if path.is_dir():
        raise ApplyError("is a directory", str(path), f"move it away: apply writes {path.name}")
    before = path.read_bytes() if path.exists() else None
    return FileResult(path, before, text.encode())


def _with_changes(result: FileResult, document: dict[str, Any]) -> FileResult:
    """Which steps' selector, compute pool or sizes placement.json changes."""
    try:
        old = json.loads(result.before or b"{}")
    except ValueError:
        old = {}
    found = old.get("steps") if isinstance(old, dict) else None
    steps: dict[str, Any] = found if isinstance(found, dict) else {}
    changes = []
    for name, entry in document["steps"].items():
        listed = steps.get(name)
        was: dict[str, Any] = listed if isinstance(listed, dict) else {}
        for key in ("node_selector", "compute_pool", "cpu", "memory"):
            if was.get(key) != entry.get(key) and (key in was or entry.get(key) is not None):
                before, after = (_shown(v) for v in (was.get(key), entry.get(key)))
                changes.append(Change(name, f"{PLACEMENT_FILE} {key}", before, after))
    return FileResult(result.path, result.before, result.after, tuple(changes))


def _shown(value: object) -> str | None:
    return None if value is None else json.dumps(value)


def _decorate(source: bytes, flow_path: Path, target: Path, plan: Plan) -> FileResult:
    """The flow with `@PlacerPlacement` on its flow class and the import (once)."""
    module = parse(source, flow_path)
    adder = _AddMutator(plan.flow)
    new = module.visit(adder)
    if not adder.found:
        classes = [s.name.value for s in module.body if isinstance(s, cst.ClassDef)]
        raise ApplyError(
            f"flow class '{plan.flow}' not found (classes here: {', '.join(classes) or 'none'})",
            str(flow_path),
            "pass the flow file the plan was made for with --flow",
        )
    changes: tuple[Change, ...] = ()
    if adder.added:
        context = CodemodContext()
        AddImportsVisitor.add_needed_import(context, MUTATOR_MODULE, MUTATOR_CLASS)
        new = AddImportsVisitor(context).transform_module(new)
        changes = (Change("*", f"@{MUTATOR_CLASS}", None, None),)
    before = source if target == flow_path else (target.read_bytes() if target.exists() else None)
    return FileResult(target, before, new.bytes, changes)


class _AddMutator(cst.CSTTransformer):
    """Adds `@PlacerPlacement` as the outermost decorator of the top-level flow class."""

    def __init__(self, flow: str) -> None:
        super().__init__()
        self.flow, self.found, self.added = flow, False, False
        self.depth = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.depth += 1
        return False  # nothing inside a class needs visiting

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.depth -= 1
        if self.depth or original.name.value != self.flow:
            return updated
        self.found = True
        if any(_names_mutator(d.decorator) for d in updated.decorators):
            return updated
        self.added = True
        decorator = cst.Decorator(decorator=cst.Name(MUTATOR_CLASS))
        return updated.with_changes(decorators=[decorator, *updated.decorators])

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a class inside a function is not the flow


def _names_mutator(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Attribute):
        return expr.attr.value == MUTATOR_CLASS
    return isinstance(expr, cst.Name) and expr.value == MUTATOR_CLASS


def ignored_by_stale_check(target: Path) -> frozenset[Path]:
    """Files this mode writes, which the flow reads (so a re-apply changes them)."""
    return frozenset({(target.parent / PLACEMENT_FILE).resolve()})


def carries_mutator(source: bytes, flow: str) -> bool:
    """Whether the flow class already carries `@PlacerPlacement` (an earlier mutator-mode
    apply), which would set its placement.json over what another mode writes."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False  # the rewrite itself reports it
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == flow:
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                name = target.attr if isinstance(target, ast.Attribute) else None
                name = target.id if isinstance(target, ast.Name) else name
                if name == MUTATOR_CLASS:
                    return True
    return False


def mutator_warning(flow: str) -> str:
    return (
        f"{flow} also carries @{MUTATOR_CLASS} (mutator mode), which sets the placement in "
        f"{PLACEMENT_FILE} over these decorators at deploy time: remove it and its import, "
        "or apply with --mode mutator"
    )
