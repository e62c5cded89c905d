"""The flow-file codemod: source bytes and a plan in, a FileResult out. Writes nothing."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from pathlib import Path

import libcst as cst

from placer.apply import _order
from placer.apply._decorators import EditLog, StepEdit, edit_step
from placer.apply._facts import FlowFacts
from placer.apply._flowfile import dominant_quote, walk_flow
from placer.apply._imports import add_metaflow_imports
from placer.apply._kwargs import Number, Selector, Style, Text, Wanted
from placer.apply._names import metaflow_names
from placer.apply._result import Change, FileResult
from placer.errors import ApplyError
from placer.labels import COMPUTE_POOL_LABEL  # what Metaflow's compute_pool= adds
from placer.plan import Plan, StepPlan

EditFor = Callable[[str, Style], StepEdit]  # step name -> its edit
ClassHook = Callable[[cst.ClassDef, Style, EditLog], cst.ClassDef]


def parse(source: bytes, path: Path) -> cst.Module:
    """Parse a flow file, or say where it is not valid Python."""
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        line = _python_error_line(source) or exc.raw_line
        raise ApplyError(
            f"not valid Python: {exc.message}", f"{path}:{line}", "fix the syntax error"
        ) from None
    except UnicodeDecodeError as exc:  # bytes the file's encoding cannot decode
        line = _python_error_line(source) or 1
        raise ApplyError(
            f"not valid {exc.encoding} text",
            f"{path}:{line}",
            "save the flow file in the encoding it declares (UTF-8 by default)",
        ) from None
    except SyntaxError as exc:  # libcst's encoding detection: an unknown coding: line
        raise ApplyError(
            f"cannot read the file: {exc.msg}", f"{path}:{_coding_line(source)}", _CODING_HINT
        ) from None


_CODING_HINT = "fix the `# -*- coding: ... -*-` line, or remove it to use UTF-8"


def _coding_line(source: bytes) -> int:
    """The line (1 or 2, where Python looks) that declares the file's encoding."""
    head = source.splitlines()[:2]
    return next((n for n, line in enumerate(head, 1) if b"coding" in line), 1)


def _python_error_line(source: bytes) -> int | None:
    """Python's own parser points at the offending line more precisely than libcst's."""
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return exc.lineno
    return None


def rewrite(
    source: bytes,
    path: Path,
    plan: Plan,
    edit_for: EditFor,
    class_hook: ClassHook | None = None,
    line_length: int = 88,
    facts: FlowFacts | None = None,
) -> FileResult:
    """Apply `edit_for(step)` to every planned step of the plan's flow class in `source`."""
    module = parse(source, path)
    facts = facts or FlowFacts()
    if any(s in facts.inherited for s in plan.steps):  # before any step edit can complain
        _check_steps_found(
            plan, path, source, [s for s in plan.steps if s not in facts.inherited], facts
        )
    names = metaflow_names(module)
    style = Style(dominant_quote(source), names, module.default_indent, line_length)
    log = EditLog()

    def on_step(name: str, func: cst.FunctionDef, line: Callable[[], int]) -> cst.FunctionDef:
        if name not in plan.steps:
            log.warnings.append(f"step '{name}' is not in the plan; left as it is")
            return func
        if plan.steps[name].backend == "batch":  # kept on AWS Batch (plan --keep-batch)
            return func
        return edit_step(func, edit_for(name, style), style, log, lambda: f"{path}:{line()}")

    def on_class(node: cst.ClassDef) -> cst.ClassDef:
        return class_hook(node, style, log) if class_hook else node

    new, found, steps, classes = walk_flow(
        module, plan.flow, style.names, on_step, on_class, source
    )
    _check_coverage(plan, path, found, steps, classes)
    _check_steps_found(plan, path, source, steps, facts)
    new = add_metaflow_imports(new, log.imports)
    warnings = tuple(log.warnings + _unsized_warning(log.unsized))
    unplanned = tuple(s for s in steps if s not in plan.steps)
    return FileResult(path, source, new.bytes, tuple(log.changes), warnings, unplanned)


def _check_coverage(
    plan: Plan, path: Path, found: bool, steps: list[str], classes: list[str]
) -> None:
    if not found:
        raise ApplyError(
            f"flow class '{plan.flow}' not found (classes here: {', '.join(classes) or 'none'})",
            str(path),
            "pass the flow file the plan was made for with --flow",
        )


def _check_steps_found(
    plan: Plan, path: Path, source: bytes, steps: list[str], facts: FlowFacts
) -> None:
    """Every planned step is a method of the plan's class (apply edits no other class)."""
    missing = [s for s in plan.steps if s not in steps]
    if not missing:
        return
    owners = {s: f"from {c}" for s, c in _inherited_methods(source, plan.flow).items()}
    owners.update({s: f"from {c}" for s, c in facts.inherited.items()})
    inherited = [f"{s} ({owners[s]})" for s in missing if s in owners]
    if inherited:
        raise ApplyError(
            f"planned step(s) {', '.join(inherited)} are inherited; this mode edits only "
            f"{plan.flow}'s own steps in {path.name}",
            str(path),
            "use --mode mutator, which places inherited steps at deploy time without "
            f"editing them (or override them in {plan.flow})",
        )
    raise ApplyError(
        f"planned step(s) {', '.join(missing)} not found in {plan.flow}",
        str(path),
        "re-run `placer plan` on this flow",
    )


def _inherited_methods(source: bytes, flow: str) -> dict[str, str]:
    """Method name -> the base class of `flow` defined in this file that supplies it."""
    classes = {n.name: n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)}
    owners: dict[str, str] = {}
    queue = [b.id for b in classes[flow].bases if isinstance(b, ast.Name)]
    seen = {flow}
    while queue:
        base = classes.get(queue.pop(0))
        if base is None or base.name in seen:
            continue
        seen.add(base.name)
        for item in base.body:
            if isinstance(item, ast.FunctionDef):
                owners.setdefault(item.name, base.name)  # the nearest base wins, as in the MRO
        queue += [b.id for b in base.bases if isinstance(b, ast.Name)]
    return owners


def full_selector(step: StepPlan) -> dict[str, str]:
    """The selector a pod of this step gets, the compute-pool label included.

    Plans may or may not repeat the label in `node_selector`; this is the same either way.
    """
    selector = dict(step.node_selector)
    if step.compute_pool:
        selector[COMPUTE_POOL_LABEL] = step.compute_pool
    return selector


def placement_wants(step: StepPlan) -> dict[str, Wanted | None]:
    """node_selector / compute_pool as the plan says (compute_pool split out when named)."""
    selector = dict(step.node_selector)
    if step.compute_pool:
        selector.pop(COMPUTE_POOL_LABEL, None)
    return {
        "node_selector": Selector(selector) if selector else None,
        "compute_pool": Text(step.compute_pool) if step.compute_pool else None,
    }


def _unsized_warning(steps: list[str]) -> list[str]:
    if not steps:
        return []
    names = ", ".join(steps)
    return [f"--right-size: no @resources on {names}; their requests are left as they are"]


def right_size_values(step: StepPlan) -> Mapping[str, float] | None:
    """The declared cpu and memory (MB) of a step, or None without @resources."""
    if not step.declared:
        return None
    return {"cpu": float(step.declared["cpu"]), "memory": float(step.declared["memory"])}


def decorators_edit(
    plan: Plan, right_size: bool, fix_order: bool, facts: FlowFacts | None = None
) -> EditFor:
    """The edit of decorators mode: literal selectors (and sizes) in `@kubernetes`; an
    argument read from the flow's own Config is replaced with a warning."""
    facts = facts or FlowFacts()

    def edit_for(name: str, style: Style) -> StepEdit:
        wanted = placement_wants(plan.steps[name])
        wired = facts.config_wired.get(name, frozenset())
        sizes = right_size_values(plan.steps[name]) if right_size else None
        if sizes is not None:
            wanted.update({"cpu": Number(sizes["cpu"]), "memory": Number(sizes["memory"])})
        unsized = right_size and sizes is None
        return StepEdit(name, wanted, fix_order, unsized, wired=wired)

    return edit_for


def fix_order_only(source: bytes, path: Path) -> FileResult:
    """Move `@step` innermost in every class of the file; nothing else changes.

    For flows placer's reader refuses (so no plan can be made yet), like the seed's
    `@step` above `@kubernetes`: `placer apply --fix-order FLOW.py`.
    """
    module = parse(source, path)
    style = Style(dominant_quote(source), metaflow_names(module), module.default_indent)
    log = EditLog()

    def on_step(name: str, func: cst.FunctionDef, line: Callable[[], int]) -> cst.FunctionDef:
        decorators = list(func.decorators)
        at = _order.find(decorators, style.names, "step")
        if at is None or _order.is_innermost(decorators, at):
            return func
        log.changes.append(Change(name, "@step", "outer", "innermost"))
        return func.with_changes(decorators=_order.move_innermost(decorators, at))

    for name in top_level_classes(module):
        module, *_ = walk_flow(module, name, style.names, on_step, lambda node: node, source)
    return FileResult(path, source, module.bytes, tuple(log.changes))


def top_level_classes(module: cst.Module) -> list[str]:
    """Names of the classes defined at the top of the module, in order."""
    return [s.name.value for s in module.body if isinstance(s, cst.ClassDef)]
