"""Set, update or remove keyword arguments of a decorator call, in the form found.

Each wanted value knows how to compare itself with what the source already says, so an
argument that already holds the right value is left byte for byte as it is (idempotence),
and one that differs is updated in its own form (a string selector stays a string).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from placer.apply._facts import is_placement_read
from placer.apply._names import MetaflowNames
from placer.apply._nodes import (
    NOT_LITERAL,
    code,
    dict_node,
    literal,
    number_node,
    string_node,
    update_dict,
    with_item,
    without_item,
)
from placer.apply._result import Change


@dataclass(frozen=True)
class Style:
    """What new nodes look like and how names resolve in this file."""

    quote: str  # ' or "
    names: MetaflowNames
    indent: str = "    "  # one level of the file's indentation
    line_length: int = 88  # wrap what placer changed beyond this


class Wanted:
    """A value an argument must end up with."""

    def matches(self, node: cst.BaseExpression, style: Style) -> bool:
        raise NotImplementedError

    def render(self, old: cst.BaseExpression | None, style: Style) -> cst.BaseExpression | None:
        """The new value (None: remove the argument); `old` is what the source has."""
        raise NotImplementedError


@dataclass(frozen=True)
class Selector(Wanted):
    """A node selector: a dict, or the string `k=v,k2=v2` when the source uses a string."""

    labels: Mapping[str, str]

    def matches(self, node: cst.BaseExpression, style: Style) -> bool:
        return selector_value(literal(node)) == dict(self.labels)

    def render(self, old: cst.BaseExpression | None, style: Style) -> cst.BaseExpression:
        if isinstance(old, cst.SimpleString) and isinstance(literal(old), str):
            text = ",".join(f"{k}={v}" for k, v in self.labels.items())
            return string_node(text, style.quote, old)
        if isinstance(old, cst.Dict) and selector_value(literal(old)) is not None:
            return update_dict(old, self.labels, style.quote)
        return dict_node(self.labels, style.quote)


@dataclass(frozen=True)
class Text(Wanted):
    """A plain string value, such as a compute pool name."""

    value: str

    def matches(self, node: cst.BaseExpression, style: Style) -> bool:
        return literal(node) == self.value

    def render(self, old: cst.BaseExpression | None, style: Style) -> cst.BaseExpression:
        return string_node(self.value, style.quote, old)


@dataclass(frozen=True)
class Number(Wanted):
    """A number (cpu, memory in MB); written as a string when the source used one."""

    value: float

    def matches(self, node: cst.BaseExpression, style: Style) -> bool:
        found = literal(node)
        try:
            return found is not NOT_LITERAL and float(found) == self.value
        except (TypeError, ValueError):
            return False

    def render(self, old: cst.BaseExpression | None, style: Style) -> cst.BaseExpression:
        number = number_node(self.value)
        if isinstance(old, cst.SimpleString):
            return string_node(number.value, style.quote, old)
        return number


@dataclass(frozen=True)
class ConfigExpr(Wanted):
    """`config_expr("placement.steps.<step>.<field>")`, read from a Metaflow Config."""

    path: str
    func: cst.BaseExpression  # how this file spells config_expr

    def matches(self, node: cst.BaseExpression, style: Style) -> bool:
        if not isinstance(node, cst.Call) or style.names.resolve(node) != "config_expr":
            return False
        return len(node.args) == 1 and literal(node.args[0].value) == self.path

    def render(self, old: cst.BaseExpression | None, style: Style) -> cst.BaseExpression:
        return cst.Call(func=self.func, args=[cst.Arg(cst.SimpleString(_q(self.path, style)))])


@dataclass(frozen=True)
class NotPlacementExpr(Wanted):
    """Anything but a read of placer's own `placement` Config: drops such a read, keeps
    everything else (sizes the user wrote, and the user's own `config_expr` wiring).

    Config mode without --right-size uses it for cpu/memory, undoing an earlier
    --right-size apply without touching what the user wrote.
    """

    def matches(self, node: cst.BaseExpression, style: Style) -> bool:
        if not (isinstance(node, cst.Call) and style.names.resolve(node) == "config_expr"):
            return True
        return not is_placement_read(code(node))

    def render(self, old: cst.BaseExpression | None, style: Style) -> cst.BaseExpression | None:
        return None


def _q(text: str, style: Style) -> str:
    return code(string_node(text, style.quote))


REMOVE = None  # a wanted value of None removes the argument


def selector_value(value: Any) -> dict[str, str] | None:
    """A selector literal (dict, or `k=v,k2=v2` string) as a dict; None if neither."""
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: str(v) for k, v in value.items()}
    if isinstance(value, str):
        pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
        if all(len(p) == 2 for p in pairs):
            return {k.strip(): v.strip() for k, v in pairs}
    return None


def set_kwargs(
    call: cst.Call, wanted: Mapping[str, Wanted | None], style: Style, step: str
) -> tuple[cst.Call, list[Change]]:
    """`call` with each named argument set to (or removed for None) its wanted value."""
    changes: list[Change] = []
    for name, want in wanted.items():
        call, change = _set_one(call, name, want, style, step)
        if change is not None:
            changes.append(change)
    return call, changes


def _set_one(
    call: cst.Call, name: str, want: Wanted | None, style: Style, step: str
) -> tuple[cst.Call, Change | None]:
    index = next((i for i, a in enumerate(call.args) if _keyword(a) == name), None)
    if index is None:
        value = want.render(None, style) if want is not None else None
        if value is None:
            return call, None
        equal = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
        new = cst.Arg(value=value, keyword=cst.Name(name), equal=equal)
        args = with_item(call.args, new, call.whitespace_before_args)
        return call.with_changes(args=args), Change(step, name, None, code(value))
    arg = call.args[index]
    if want is not None and want.matches(arg.value, style):
        return call, None
    value = want.render(arg.value, style) if want is not None else None
    if value is None:
        return _without(call, index), Change(step, name, code(arg.value), None)
    args = list(call.args)
    args[index] = arg.with_changes(value=value)
    return call.with_changes(args=args), Change(step, name, code(arg.value), code(value))


def _without(call: cst.Call, index: int) -> cst.Call:
    args = without_item(call.args, index)
    call = call.with_changes(args=args)
    if not args:  # `f(\n    x=1\n)` becomes `f()`, not `f(\n    )`
        call = call.with_changes(whitespace_before_args=cst.SimpleWhitespace(""))
    return call


def _keyword(arg: cst.Arg) -> str | None:
    return arg.keyword.value if arg.keyword is not None else None
