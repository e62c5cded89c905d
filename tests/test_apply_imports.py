"""Adding Metaflow names to the flow's imports."""

from __future__ import annotations

import libcst as cst

from placer.apply._imports import add_metaflow_imports


def _add(source: str, wanted: dict[str, str]) -> str:
    return add_metaflow_imports(cst.parse_module(source), wanted).code


def test_appends_to_the_first_from_metaflow_line_in_its_layout():
    assert _add("from metaflow import FlowSpec, step\n", {"kubernetes": "kubernetes"}) == (
        "from metaflow import FlowSpec, step, kubernetes\n"
    )
    multi = "from metaflow import (\n    FlowSpec,\n    step,\n)\n"
    assert _add(multi, {"kubernetes": "kubernetes"}) == (
        "from metaflow import (\n    FlowSpec,\n    step,\n    kubernetes,\n)\n"
    )


def test_names_are_added_in_a_stable_order_with_aliases():
    wanted = {"kubernetes": "kubernetes", "config_expr": "config_expr", "Config": "Config"}
    assert _add("from metaflow import step\n", wanted) == (
        "from metaflow import step, Config, config_expr, kubernetes\n"
    )
    assert _add("from metaflow import step\n", {"metaflow_kubernetes": "kubernetes"}) == (
        "from metaflow import step, kubernetes as metaflow_kubernetes\n"
    )


def test_without_a_top_level_from_metaflow_line_a_new_import_is_added():
    source = "try:\n    from metaflow import step\nexcept ImportError:\n    raise\n"
    out = _add(source, {"kubernetes": "kubernetes"})
    assert out == "from metaflow import kubernetes\n\n" + source  # libcst adds the gap


def test_nothing_wanted_leaves_the_module_alone():
    source = "from metaflow import step\n"
    assert _add(source, {}) == source
