"""Small libcst helpers: read literal values, build literals in the file's quote style,
and add or drop items of comma-separated lists without disturbing their layout."""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import libcst as cst

NOT_LITERAL = object()  # what `literal()` returns for anything it cannot evaluate
_EMPTY = cst.Module(body=[])


def code(node: cst.CSTNode) -> str:
    """The source text of a node."""
    return _EMPTY.code_for_node(node)


def literal(node: cst.BaseExpression) -> Any:
    """The Python value of a literal expression, or NOT_LITERAL."""
    try:
        return ast.literal_eval(code(node).strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return NOT_LITERAL


def quote_text(text: str, quote: str) -> str:
    """`text` as a Python string literal using `quote` (' or \") when it can."""
    if quote == "'":
        rendered = repr(text)
        if rendered.startswith("'"):
            return rendered
    return json.dumps(text)


def string_node(text: str, quote: str, like: cst.BaseExpression | None = None) -> cst.SimpleString:
    """A string literal; keeps the prefix and quotes of `like` when that is a plain string."""
    if isinstance(like, cst.SimpleString) and "\\" not in text and like.quote not in text:
        return cst.SimpleString(f"{like.prefix}{like.quote}{text}{like.quote}")
    return cst.SimpleString(quote_text(text, quote))


def number_node(value: float) -> cst.Integer | cst.Float:
    """An int literal when the value is whole, else a float literal."""
    if float(value).is_integer():
        return cst.Integer(str(int(value)))
    return cst.Float(repr(float(value)))


def dict_node(mapping: Mapping[str, str], quote: str) -> cst.Dict:
    """A one-line dict literal of strings."""
    items = ", ".join(f"{quote_text(k, quote)}: {quote_text(v, quote)}" for k, v in mapping.items())
    node = cst.parse_expression("{" + items + "}")
    assert isinstance(node, cst.Dict)
    return node


def update_dict(node: cst.Dict, desired: Mapping[str, str], quote: str) -> cst.Dict:
    """`node` changed to hold exactly `desired`, keeping untouched entries as they are."""
    elements: list[cst.BaseDictElement] = list(node.elements)
    seen: set[str] = set()
    index = 0
    while index < len(elements):
        element = elements[index]
        key = literal(element.key) if isinstance(element, cst.DictElement) else NOT_LITERAL
        if not isinstance(key, str) or key not in desired:
            elements = without_item(elements, index)
            continue
        assert isinstance(element, cst.DictElement)
        seen.add(key)
        if literal(element.value) != desired[key]:
            changed = string_node(desired[key], quote, element.value)
            elements[index] = element.with_changes(value=changed)
        index += 1
    for key, value in desired.items():
        if key not in seen:
            key_node = cst.SimpleString(quote_text(key, quote))
            new = cst.DictElement(key_node, string_node(value, quote))
            elements = with_item(elements, new, node.lbrace.whitespace_after)
    return node.with_changes(elements=elements)


# The separated items libcst lists hold (call arguments, dict entries, import names): each
# kind has a `comma`, and a list keeps one kind.
T = TypeVar("T", cst.Arg, cst.BaseDictElement, cst.ImportAlias)


def with_item(items: Sequence[T], item: T, opening: cst.BaseParenthesizableWhitespace) -> list[T]:
    """`items` plus `item` at the end, continuing the list's layout.

    A one-line list without a trailing comma just gets `, item`. A list with a trailing
    comma (usually one item per line) gets the new item on its own line, like the others.
    """
    out: list[T] = list(items)
    if not out:
        return [item]
    last = out[-1]
    last_comma = last.comma
    item, out[-1] = _hand_on_closing(last, item)
    if not isinstance(last_comma, cst.Comma):
        out.append(item)
        return out
    if len(out) > 1:
        between = out[-2].comma
    else:
        between = cst.Comma(whitespace_after=_copy_opening(opening))
    out[-1] = out[-1].with_changes(comma=between)
    out.append(item.with_changes(comma=last_comma))
    return out


def without_item(items: Sequence[T], index: int) -> list[T]:
    """`items` without the one at `index`; a removed last item hands its comma on."""
    out = list(items)
    removed = out.pop(index)
    if index == len(out) and out:
        out[-1] = out[-1].with_changes(comma=removed.comma)
        out[-1], _ = _hand_on_closing(removed, out[-1])
    return out


def _hand_on_closing(old_last: T, new_last: T) -> tuple[T, T]:
    """Move the whitespace before a call's `)` from the old last argument to the new one."""
    if isinstance(old_last, cst.Arg) and isinstance(new_last, cst.Arg):
        closing = old_last.whitespace_after_arg
        return (
            new_last.with_changes(whitespace_after_arg=closing),
            old_last.with_changes(whitespace_after_arg=cst.SimpleWhitespace("")),
        )
    return new_last, old_last


def _copy_opening(opening: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return opening
    return cst.SimpleWhitespace(" ")
