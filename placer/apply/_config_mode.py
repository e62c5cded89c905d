"""Config mode: the placement lives in `placement.json`, read through a Metaflow Config.

The flow is rewritten once so that each planned step says
`@kubernetes(node_selector=config_expr("placement.steps.<step>.node_selector"))` (and,
under `--right-size`, `cpu=`/`memory=` read the same way) and the flow class declares
`placement = Config("placement", default="placement.json")`. Later applies with the same
options find the flow already in that shape and only rewrite the JSON. Metaflow opens
the default path relative to the working directory, so deploy from the flow's directory
(or pass `--config placement PATH`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import libcst as cst

from placer.apply._decorators import EditLog, StepEdit
from placer.apply._facts import FlowFacts
from placer.apply._kwargs import ConfigExpr, NotPlacementExpr, Style, Wanted
from placer.apply._names import reference
from placer.apply._nodes import code, literal, string_node
from placer.apply._result import Change, FileResult
from placer.apply._rewrite import EditFor, full_selector, rewrite, right_size_values
from placer.errors import ApplyError
from placer.inputs import MAX_DOCUMENT_BYTES, read_regular
from placer.plan import Plan

CONFIG_NAME = "placement"  # the Config's name, its class attribute, and the JSON's stem
PLACEMENT_FILE = "placement.json"


def placement_document(plan: Plan, right_size: bool = False) -> dict[str, Any]:
    """What placement.json holds: per step its pool and full node selector, and under
    --right-size the cpu and memory (MB) that @resources asks (steps that have one)."""
    steps: dict[str, Any] = {}
    for name, step in plan.steps.items():
        if step.backend == "batch":  # left on AWS Batch: nothing reads a selector
            continue
        steps[name] = {"pool": step.pool, "node_selector": full_selector(step)}
        sizes = right_size_values(step) if right_size else None
        if sizes is not None:
            steps[name].update({k: _plain(v) for k, v in sizes.items()})
    return {"flow": plan.flow, "steps": steps}


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def placement_result(
    path: Path, plan: Plan, right_size: bool = False, force: bool = False
) -> FileResult:
    """The placement.json next to the flow, as a FileResult (before = current bytes).

    An existing file must be a placement document (what apply writes), so a file of
    something else at that name is not overwritten unless `force` (a merge conflict in
    placement.json is worth overwriting; somebody's other file is not)."""
    before = _existing_placement(path, force)
    document = placement_document(plan, right_size)
    after = (json.dumps(document, indent=2) + "\n").encode()
    if before == after:
        return FileResult(path, before, after)
    return FileResult(path, before, after, tuple(_step_changes(before, document)))


def _existing_placement(path: Path, force: bool) -> bytes | None:
    if not os.path.lexists(path):
        return None
    data = read_regular(path, PLACEMENT_FILE, MAX_DOCUMENT_BYTES, ApplyError)
    try:
        document = json.loads(data)
    except ValueError:
        document = None
    if not force and not (isinstance(document, dict) and isinstance(document.get("steps"), dict)):
        raise ApplyError(
            f"{PLACEMENT_FILE} exists and is not a placement file written by `placer apply`",
            str(path),
            "move it away, or pass --force to overwrite it",
        )
    return data


def _step_changes(before: bytes | None, document: dict[str, Any]) -> list[Change]:
    """Which steps' selector, cpu or memory placement.json changes (all for a new file)."""
    try:
        old = json.loads(before or b"{}")
    except ValueError:
        old = None  # unreadable: every step counts as changed
    steps = old.get("steps") if isinstance(old, dict) else None
    changes = []
    for name, entry in document["steps"].items():
        was = steps.get(name) if isinstance(steps, dict) else None
        was = was if isinstance(was, dict) else {}
        for key in ("node_selector", "cpu", "memory"):
            if was.get(key) != entry.get(key):
                before_text, after_text = (_shown(v) for v in (was.get(key), entry.get(key)))
                changes.append(Change(name, f"{PLACEMENT_FILE} {key}", before_text, after_text))
    return changes


def _shown(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def config_edit(plan: Plan, right_size: bool, fix_order: bool, facts: FlowFacts) -> EditFor:
    """The edit of config mode: every placement argument becomes a `config_expr`; one that
    reads the flow's own Config is refused (config mode would replace that wiring)."""

    def edit_for(name: str, style: Style) -> StepEdit:
        func, to_import = reference(style.names, "config_expr", _module_style_step(style))
        imports = {to_import: "config_expr"} if to_import else {}

        path = f"{CONFIG_NAME}.steps.{name}.node_selector"
        wanted: dict[str, Wanted | None] = {"node_selector": ConfigExpr(path, func)}
        wanted["compute_pool"] = None  # the JSON's selector already holds the pool label
        sizes = right_size_values(plan.steps[name]) if right_size else None
        if sizes is not None:
            prefix = f"{CONFIG_NAME}.steps.{name}"
            wanted["cpu"] = ConfigExpr(f"{prefix}.cpu", func)
            wanted["memory"] = ConfigExpr(f"{prefix}.memory", func)
        elif not right_size:
            wanted.update({"cpu": NotPlacementExpr(), "memory": NotPlacementExpr()})
        unsized = right_size and sizes is None
        wired = facts.config_wired.get(name, frozenset())
        return StepEdit(name, wanted, fix_order, unsized, imports, wired, refuse_wired=True)

    return edit_for


def rewrite_for_config(
    source: bytes,
    path: Path,
    plan: Plan,
    right_size: bool,
    fix_order: bool,
    line_length: int = 88,
    facts: FlowFacts | None = None,
) -> FileResult:
    """The flow wired to read placement.json (unchanged when it already is)."""
    facts = facts or FlowFacts()
    edit = config_edit(plan, right_size, fix_order, facts)

    def declare(node: cst.ClassDef, style: Style, log: EditLog) -> cst.ClassDef:
        if facts.placement is not None:  # declared already (maybe in a base class)
            return node
        return _declare_config(node, style, log, path)

    return rewrite(source, path, plan, edit, declare, line_length, facts)


def _declare_config(node: cst.ClassDef, style: Style, log: EditLog, path: Path) -> cst.ClassDef:
    """Add `placement = Config("placement", default="placement.json")` to the flow class."""
    body = list(node.body.body)
    for statement in body:
        target, value = _assignment(statement)
        if target != CONFIG_NAME:
            continue
        if isinstance(value, cst.Call) and style.names.resolve(value) == "Config":
            name = literal(value.args[0].value) if value.args else None
            if name == CONFIG_NAME:
                return node
            raise ApplyError(
                f"class attribute '{CONFIG_NAME}' of {node.name.value} is the Config "
                f"{name!r}, not '{CONFIG_NAME}'",
                str(path),
                "rename that attribute, or use --mode mutator",
            )
        raise ApplyError(
            f"class attribute '{CONFIG_NAME}' of {node.name.value} is not a Metaflow Config",
            str(path),
            "rename that attribute, or use --mode decorators",
        )
    func = _reference(style, "Config", log)
    name = code(string_node(CONFIG_NAME, style.quote))
    default = code(string_node(PLACEMENT_FILE, style.quote))
    line = cst.parse_statement(f"{CONFIG_NAME} = Config({name}, default={default})\n")
    assert isinstance(line, cst.SimpleStatementLine)
    assign = line.body[0]
    assert isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call)
    line = line.with_changes(body=[assign.with_changes(value=assign.value.with_changes(func=func))])
    at = 1 if body and _is_docstring(body[0]) else 0
    first = body[at] if at < len(body) else None
    if isinstance(first, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        # blank lines above the first statement go above the Config, comments stay
        lines = list(first.leading_lines)
        blank = next((i for i, e in enumerate(lines) if e.comment is not None), len(lines))
        line = line.with_changes(leading_lines=lines[:blank])
        rest = [cst.EmptyLine(indent=False), *lines[blank:]]
        body[at] = first.with_changes(leading_lines=rest)
    body.insert(at, line)
    log.changes.append(Change("*", f"{CONFIG_NAME} = Config(...)", None, None))
    return node.with_changes(body=node.body.with_changes(body=body))


def _reference(style: Style, name: str, log: EditLog) -> cst.BaseExpression:
    func, to_import = reference(style.names, name, _module_style_step(style))
    if to_import is not None:
        log.imports[to_import] = name
    return func


def _module_style_step(style: Style) -> cst.BaseExpression | None:
    """`mf.step` when the file only reaches Metaflow through a module alias."""
    if style.names.local_name("step") is None and style.names.modules:
        return cst.Attribute(cst.Name(sorted(style.names.modules)[0]), cst.Name("step"))
    return None


def _assignment(statement: cst.CSTNode) -> tuple[str | None, cst.BaseExpression | None]:
    if not isinstance(statement, cst.SimpleStatementLine):
        return None, None
    assign = statement.body[0]
    if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
        target = assign.targets[0].target
        if isinstance(target, cst.Name):
            return target.value, assign.value
    return None, None


def _is_docstring(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    expr = statement.body[0]
    return isinstance(expr, cst.Expr) and isinstance(literal(expr.value), str)
