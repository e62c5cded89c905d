"""Wrapping decorators a rewrite made longer than 88 columns."""

from __future__ import annotations

import libcst as cst

from placer.apply._nodes import code
from placer.apply._wrap import wrap_if_long


def _decorator(text: str) -> cst.Decorator:
    function = cst.parse_module(f"@{text}\ndef f():\n    pass\n").body[0]
    assert isinstance(function, cst.FunctionDef)
    return function.decorators[0]


def _wrap(text: str, indent: str = "    ") -> str:
    return code(wrap_if_long(_decorator(text), indent).decorator)


def test_short_or_already_multi_line_or_commented_calls_are_left_alone():
    assert _wrap('kubernetes(node_selector={"a": "b"})') == 'kubernetes(node_selector={"a": "b"})'
    multi = 'kubernetes(\n    node_selector={"k": "' + "v" * 90 + '"}, cpu=1)'
    assert _wrap(multi) == multi
    commented = 'kubernetes(  # why\n    node_selector={"k": "' + "v" * 90 + '"})'
    assert _wrap(commented) == commented


def test_long_call_gets_one_argument_per_line_and_long_dicts_one_entry_per_line():
    long_value = "x" * 60
    text = f'kubernetes(image="python:3.11", node_selector={{"a": "{long_value}", "b": "c"}})'
    assert _wrap(text) == (
        "kubernetes(\n"
        '    image="python:3.11",\n'
        "    node_selector={\n"
        f'        "a": "{long_value}",\n'
        '        "b": "c",\n'
        "    },\n"
        ")"
    )


def test_exactly_88_columns_stays_on_one_line():
    # 4 (indent) + 1 (@) + len(text) == 88
    text = 'kubernetes(node_selector={"k": "' + "v" * (88 - 5 - 35) + '"})'
    assert 4 + 1 + len(text) == 88
    assert _wrap(text) == text
    longer = text.replace('"})', 'v"})')
    assert _wrap(longer).startswith("kubernetes(\n")
