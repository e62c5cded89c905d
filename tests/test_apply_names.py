"""Resolving Metaflow decorators through every import style."""

from __future__ import annotations

import libcst as cst

from placer.apply._names import metaflow_names, reference
from placer.apply._nodes import code


def _names(source: str):
    return metaflow_names(cst.parse_module(source))


def _expr(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def test_from_import_with_alias():
    names = _names("from metaflow import kubernetes as k8s, step\n")
    assert names.resolve(_expr("k8s(cpu=1)")) == "kubernetes"
    assert names.resolve(_expr("step")) == "step"
    assert names.resolve(_expr("kubernetes")) is None


def test_module_alias_and_plain_module_import():
    names = _names("import metaflow as mf\nimport metaflow\n")
    assert names.resolve(_expr("mf.kubernetes(cpu=1)")) == "kubernetes"
    assert names.resolve(_expr("metaflow.step")) == "step"
    assert names.resolve(_expr("other.step")) is None


def test_star_import_resolves_bare_names_not_bound_elsewhere():
    names = _names("from metaflow import *\nfrom mylib import retry\n")
    assert names.resolve(_expr("kubernetes")) == "kubernetes"
    assert names.resolve(_expr("retry")) is None


def test_imports_inside_functions_do_not_count():
    names = _names("def f():\n    from metaflow import step\n")
    assert names.resolve(_expr("step")) is None


def test_reference_follows_the_style_of_step():
    names = _names("import metaflow as mf\n")
    ref, to_import = reference(names, "kubernetes", _expr("mf.step"))
    assert (code(ref), to_import) == ("mf.kubernetes", None)


def test_reference_reuses_an_alias_or_imports_a_free_name():
    names = _names("from metaflow import step, kubernetes as k8s\n")
    ref, to_import = reference(names, "kubernetes", _expr("step"))
    assert (code(ref), to_import) == ("k8s", None)
    names = _names("import kubernetes\nfrom metaflow import step\n")
    ref, to_import = reference(names, "kubernetes", _expr("step"))
    assert (code(ref), to_import) == ("metaflow_kubernetes", "metaflow_kubernetes")
    names = _names("from metaflow import step\n")
    assert reference(names, "kubernetes", _expr("step"))[1] == "kubernetes"
