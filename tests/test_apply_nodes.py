"""libcst helpers: literal values, quote style, list layout when adding/removing items."""

from __future__ import annotations

import libcst as cst

from placer.apply._nodes import (
    NOT_LITERAL,
    code,
    literal,
    update_dict,
    with_item,
    without_item,
)


def _call(text: str) -> cst.Call:
    node = cst.parse_expression(text)
    assert isinstance(node, cst.Call)
    return node


def _add(text: str, arg: str) -> str:
    call = _call(text)
    new = _call(f"f({arg})").args[0]
    return code(call.with_changes(args=with_item(call.args, new, call.whitespace_before_args)))


def _drop(text: str, index: int) -> str:
    call = _call(text)
    return code(call.with_changes(args=without_item(call.args, index)))


def test_literal_reads_values_and_refuses_expressions():
    assert literal(cst.parse_expression("{'a': 'b'}")) == {"a": "b"}
    assert literal(cst.parse_expression("0.5")) == 0.5
    assert literal(cst.parse_expression("config_expr('x')")) is NOT_LITERAL


def test_adding_to_one_line_and_empty_calls():
    assert _add("f(a=1)", "b=2") == "f(a=1, b=2)"
    assert _add("f()", "b=2") == "f(b=2)"


def test_adding_to_a_one_per_line_call_continues_the_layout():
    source = "f(\n    a=1,\n    b=2,\n)"
    assert _add(source, "c=3") == "f(\n    a=1,\n    b=2,\n    c=3,\n)"
    assert _add("f(\n    a=1,\n)", "c=3") == "f(\n    a=1,\n    c=3,\n)"


def test_adding_keeps_the_whitespace_before_the_closing_paren():
    assert _add("f(\n    a=1\n)", "c=3") == "f(\n    a=1, c=3\n)"


def test_removing_items():
    assert _drop("f(a=1, b=2)", 1) == "f(a=1)"
    assert _drop("f(a=1, b=2)", 0) == "f(b=2)"
    assert _drop("f(\n    a=1,\n    b=2,\n)", 1) == "f(\n    a=1,\n)"


def test_update_dict_keeps_untouched_entries_and_layout():
    node = cst.parse_expression('{\n    "keep": "x",\n    "change": "old",\n    "drop": "y",\n}')
    assert isinstance(node, cst.Dict)
    updated = update_dict(node, {"keep": "x", "change": "new", "add": "z"}, '"')
    assert code(updated) == '{\n    "keep": "x",\n    "change": "new",\n    "add": "z",\n}'


def test_update_dict_uses_the_file_quote_for_new_entries():
    node = cst.parse_expression("{'a': 'b'}")
    assert isinstance(node, cst.Dict)
    assert code(update_dict(node, {"a": "b", "c": "d"}, "'")) == "{'a': 'b', 'c': 'd'}"
