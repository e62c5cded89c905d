"""Rewrite one step's decorators: make `@kubernetes` carry the planned placement.

Updates the arguments of an existing `@kubernetes` in place, adds one directly above
`@step` when missing, converts `@batch` to `@kubernetes` (AWS Batch has no node
selectors) and, with `fix_order`, moves a misplaced `@step` innermost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import libcst as cst

from placer.apply import _order
from placer.apply._facts import is_placement_read
from placer.apply._kwargs import Style, Wanted, set_kwargs
from placer.apply._names import reference
from placer.apply._nodes import NOT_LITERAL, code, literal, without_item
from placer.apply._result import Change
from placer.apply._wrap import wrap_if_long
from placer.errors import ApplyError
from placer.flow._resources import BATCH_KEPT


@dataclass(frozen=True)
class StepEdit:
    """What one step's `@kubernetes` must say: argument -> wanted value (None removes)."""

    step: str
    wanted: Mapping[str, Wanted | None]
    fix_order: bool = False
    unsized: bool = False  # --right-size asked, but the step has no @resources
    imports: Mapping[str, str] = field(default_factory=dict)  # local -> metaflow name
    wired: frozenset[str] = frozenset()  # arguments reading the flow's own Configs
    refuse_wired: bool = False  # True: changing one is an error (config mode), else a warning


@dataclass
class EditLog:
    """What the edits of one file did, and which Metaflow names they need imported."""

    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unsized: list[str] = field(default_factory=list)  # steps --right-size could not size
    imports: dict[str, str] = field(default_factory=dict)  # local name -> metaflow name


def edit_step(
    func: cst.FunctionDef, edit: StepEdit, style: Style, log: EditLog, where: Callable[[], str]
) -> cst.FunctionDef:
    """The step's `def` with its decorators rewritten; `where()` is `file:line` of @step."""
    if edit.unsized:
        log.unsized.append(edit.step)
    log.imports.update(edit.imports)
    decorators = _step_innermost(list(func.decorators), edit, style, log, where)
    step_at = len(decorators) - 1
    k8s_at = _kubernetes_index(decorators, edit.step, style, log, where)
    if k8s_at is None:
        decorators.insert(step_at, _new_kubernetes(decorators[step_at].decorator, style, log))
        k8s_at = step_at
        log.changes.append(Change(edit.step, "@kubernetes", None, None))
    decorators[k8s_at] = _set_arguments(decorators[k8s_at], edit, style, log, where)
    return func.with_changes(decorators=decorators)


def _step_innermost(
    decorators: list[cst.Decorator],
    edit: StepEdit,
    style: Style,
    log: EditLog,
    where: Callable[[], str],
) -> list[cst.Decorator]:
    """The decorators with `@step` last, or an error when it is not and may not be moved."""
    step_at = _order.find(decorators, style.names, "step")
    assert step_at is not None, "edit_step is only called on steps"
    if _order.is_innermost(decorators, step_at):
        return decorators
    if not edit.fix_order:
        raise ApplyError(
            f"@step is not the innermost decorator of step '{edit.step}' "
            "(Metaflow refuses this order)",
            where(),
            f"move @step directly above `def {edit.step}`, or re-run with --fix-order",
        )
    log.changes.append(Change(edit.step, "@step", "outer", "innermost"))
    return _order.move_innermost(decorators, step_at)


def _kubernetes_index(
    decorators: list[cst.Decorator],
    step: str,
    style: Style,
    log: EditLog,
    where: Callable[[], str],
) -> int | None:
    k8s_at = _order.find(decorators, style.names, "kubernetes")
    batch_at = _order.find(decorators, style.names, "batch")
    if batch_at is None:
        return k8s_at
    if k8s_at is not None:
        raise ApplyError(
            f"step '{step}' has both @batch and @kubernetes", where(), "keep only one of them"
        )
    decorators[batch_at] = _batch_to_kubernetes(decorators[batch_at], step, style, log)
    return batch_at


def _batch_to_kubernetes(
    decorator: cst.Decorator, step: str, style: Style, log: EditLog
) -> cst.Decorator:
    """`@batch(cpu=.., queue=..)` -> `@kubernetes(cpu=..)`, keeping the shared arguments."""
    batch = decorator.decorator
    func, to_import = reference(style.names, "kubernetes", batch)
    _need(log, to_import, "kubernetes")
    if not isinstance(batch, cst.Call):
        log.changes.append(Change(step, "@batch", "@batch", "@kubernetes"))
        return decorator.with_changes(decorator=func)
    args = list(batch.args)
    dropped = []
    for index in reversed(range(len(args))):
        keyword = args[index].keyword
        if keyword is None or keyword.value not in BATCH_KEPT:
            dropped.append(keyword.value if keyword else "a positional argument")
            args = without_item(args, index)
    if dropped:
        log.warnings.append(
            f"step '{step}': @batch converted to @kubernetes; dropped "
            f"{', '.join(sorted(dropped))} (AWS Batch only)"
        )
    log.changes.append(Change(step, "@batch", "@batch", "@kubernetes"))
    return decorator.with_changes(decorator=batch.with_changes(func=func, args=args))


def _new_kubernetes(step_expr: cst.BaseExpression, style: Style, log: EditLog) -> cst.Decorator:
    func, to_import = reference(style.names, "kubernetes", step_expr)
    _need(log, to_import, "kubernetes")
    return cst.Decorator(decorator=cst.Call(func=func))


def _set_arguments(
    decorator: cst.Decorator,
    edit: StepEdit,
    style: Style,
    log: EditLog,
    where: Callable[[], str],
) -> cst.Decorator:
    expr = decorator.decorator
    call = expr if isinstance(expr, cst.Call) else cst.Call(func=expr)
    new_call, changes = set_kwargs(call, edit.wanted, style, edit.step)
    if not changes:
        return decorator  # untouched, even a bare `@kubernetes`
    _refuse_doubled(call, changes, edit, where)
    wired = edit.wired | _config_expr_arguments(call, style)
    rewired = [c for c in changes if c.what in wired and not is_placement_read(c.before)]
    if rewired and edit.refuse_wired:
        first = rewired[0]
        raise ApplyError(
            f"step '{edit.step}': {first.what}={_one_line(first.before)} reads the flow's own "
            "Config; config mode would replace that wiring",
            where(),
            "use --mode mutator, which keeps the flow's Config wiring and sets the placement "
            "at deploy time",
        )
    log.changes.extend(changes)
    log.warnings.extend(_rewired_warning(c) for c in rewired)
    log.warnings.extend(_replaced_expressions(call, [c for c in changes if c not in rewired]))
    if any(arg.star == "**" for arg in call.args):
        log.warnings.append(
            f"step '{edit.step}': @kubernetes(**...) must not also set what placer set "
            f"({', '.join(sorted({c.what for c in changes}))}), or Python refuses the call"
        )
    new = decorator.with_changes(decorator=new_call)
    return wrap_if_long(new, style.indent, style.line_length)


def _refuse_doubled(
    call: cst.Call, changes: list[Change], edit: StepEdit, where: Callable[[], str]
) -> None:
    """An argument the flow's `**config` already passes cannot be added as a keyword too:
    Python refuses a keyword given twice, so the flow would no longer import."""
    spread = [code(arg.value) for arg in call.args if arg.star == "**"]
    keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
    for change in changes:
        if spread and change.what in edit.wired and change.what not in keywords:
            raise ApplyError(
                f"step '{edit.step}': {change.what} comes from **{spread[0]} (the flow's own "
                f"Config); adding {change.what}= too would make Python refuse the call",
                where(),
                "use --mode mutator, which sets the placement at deploy time and keeps the "
                "flow's Config wiring",
            )


def _config_expr_arguments(call: cst.Call, style: Style) -> frozenset[str]:
    """Arguments written as `config_expr(...)`: Config wiring even when the flow could not
    be read as a whole."""
    return frozenset(
        arg.keyword.value
        for arg in call.args
        if arg.keyword is not None
        and isinstance(arg.value, cst.Call)
        and style.names.resolve(arg.value) == "config_expr"
    )


def _rewired_warning(change: Change) -> str:
    done = f"replaced by {_one_line(change.after)}" if change.after is not None else "removed"
    return (
        f"step '{change.step}': {change.what}={_one_line(change.before)} read the flow's own "
        f"Config; {done} (--mode mutator keeps the Config wiring)"
    )


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _replaced_expressions(call: cst.Call, changes: list[Change]) -> list[str]:
    """Warn when an argument that was computed (not a literal) gets overwritten."""
    computed = {
        arg.keyword.value: code(arg.value)
        for arg in call.args
        if arg.keyword is not None and literal(arg.value) is NOT_LITERAL
    }
    return [
        f"step '{c.step}': {c.what}={computed[c.what]} was computed; replaced by {c.after}"
        for c in changes
        if c.what in computed
        and c.after is not None
        and "config_expr(" not in c.after
        and not is_placement_read(computed[c.what])
    ]


def _need(log: EditLog, local: str | None, name: str) -> None:
    if local is not None:
        log.imports[local] = name
