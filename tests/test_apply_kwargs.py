"""Setting decorator arguments in the form found, and leaving matching ones untouched."""

from __future__ import annotations

import libcst as cst

from placer.apply._kwargs import (
    ConfigExpr,
    Number,
    Selector,
    Style,
    Text,
    selector_value,
    set_kwargs,
)
from placer.apply._names import MetaflowNames
from placer.apply._nodes import code

STYLE = Style(quote='"', names=MetaflowNames(imported={"config_expr": "config_expr"}))


def _set(text: str, wanted) -> tuple[str, list]:
    call = cst.parse_expression(text)
    assert isinstance(call, cst.Call)
    new, changes = set_kwargs(call, wanted, STYLE, "start")
    return code(new), changes


def test_selector_string_stays_a_string_in_its_quotes():
    wanted = {"node_selector": Selector({"c": "d", "e": "f"})}
    text, changes = _set("k(node_selector='a=b')", wanted)
    assert text == "k(node_selector='c=d,e=f')"
    assert changes[0].describe() == "start: node_selector 'a=b' -> 'c=d,e=f'"


def test_matching_values_are_left_byte_for_byte():
    source = "k(node_selector = 'b=c , a=b', cpu='2.0', compute_pool='p')"
    wanted = {
        "node_selector": Selector({"a": "b", "b": "c"}),
        "cpu": Number(2.0),
        "compute_pool": Text("p"),
    }
    assert _set(source, wanted) == (source, [])


def test_new_arguments_are_dicts_and_numbers():
    text, _ = _set(
        "k()", {"node_selector": Selector({"a": "b"}), "memory": Number(512.0), "cpu": Number(0.25)}
    )
    assert text == 'k(node_selector={"a": "b"}, memory=512, cpu=0.25)'


def test_none_removes_and_an_emptied_call_closes_up():
    text, changes = _set("k(\n    compute_pool='x'\n)", {"compute_pool": None})
    assert text == "k()"
    assert changes[0].describe() == "start: compute_pool removed (was 'x')"


def test_config_expr_matches_only_the_same_path():
    wanted = {
        "node_selector": ConfigExpr("placement.steps.start.node_selector", cst.Name("config_expr"))
    }
    same = "k(node_selector=config_expr('placement.steps.start.node_selector'))"
    assert _set(same, wanted) == (same, [])
    text, _ = _set("k(node_selector=config_expr('other'))", wanted)
    assert text == 'k(node_selector=config_expr("placement.steps.start.node_selector"))'


def test_selector_value_parses_both_forms():
    assert selector_value("a=b, c=d") == {"a": "b", "c": "d"}
    assert selector_value({"a": "b"}) == {"a": "b"}
    assert selector_value("no-equals") is None
    assert selector_value(42) is None
