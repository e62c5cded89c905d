"""Which local names refer to Metaflow's decorators, whatever the import style.

A flow may write `from metaflow import kubernetes as k8s` then `@k8s(...)`, or
`import metaflow as mf` then `@mf.kubernetes(...)`. The rewrites resolve every
decorator to its Metaflow name through this table, and build new references in the
style the step already uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst

_METAFLOW = "metaflow"


@dataclass(frozen=True)
class MetaflowNames:
    """The module's top-level imports from Metaflow, and names bound to other things."""

    modules: frozenset[str] = frozenset()  # local names of the metaflow module itself
    imported: Mapping[str, str] = field(default_factory=dict)  # local name -> metaflow name
    star: bool = False  # `from metaflow import *`
    others: frozenset[str] = frozenset()  # top-level names bound by other imports

    def resolve(self, expr: cst.BaseExpression) -> str | None:
        """The Metaflow name an expression (or a call of it) refers to, else None."""
        if isinstance(expr, cst.Call):
            expr = expr.func
        if isinstance(expr, cst.Name):
            if expr.value in self.imported:
                return self.imported[expr.value]
            if self.star and expr.value not in self.others:
                return expr.value
            return None
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            if expr.value.value in self.modules:
                return expr.attr.value
        return None

    def local_name(self, name: str) -> str | None:
        """How the module already spells Metaflow's `name` as a bare name, if it does."""
        for local, target in self.imported.items():
            if target == name:
                return local
        if self.star and name not in self.others:
            return name
        return None

    def free_name(self, name: str) -> str:
        """A local name to import `name` under: itself, unless something else holds it."""
        taken = self.others | self.modules | set(self.imported)
        return name if name not in taken else f"metaflow_{name}"


def reference(
    names: MetaflowNames, name: str, like: cst.BaseExpression | None
) -> tuple[cst.BaseExpression, str | None]:
    """An expression for Metaflow's `name`, and the local name to import (None: no import).

    `like` is a decorator the step already has (usually `@step`): `@mf.step` makes the
    new reference `mf.<name>`, so no import is needed.
    """
    if isinstance(like, cst.Call):
        like = like.func
    if isinstance(like, cst.Attribute) and isinstance(like.value, cst.Name):
        if like.value.value in names.modules:
            return cst.Attribute(value=cst.Name(like.value.value), attr=cst.Name(name)), None
    local = names.local_name(name)
    if local is not None:
        return cst.Name(local), None
    local = names.free_name(name)
    return cst.Name(local), local


def metaflow_names(module: cst.Module) -> MetaflowNames:
    """Read the module's top-level imports (including those inside `try:`/`if` blocks)."""
    collector = _ImportCollector()
    module.visit(collector)
    return MetaflowNames(
        modules=frozenset(collector.modules),
        imported=dict(collector.imported),
        star=collector.star,
        others=frozenset(collector.others),
    )


class _ImportCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.imported: dict[str, str] = {}
        self.star = False
        self.others: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # imports inside functions do not bind decorator names

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = _dotted(alias.name)
            if alias.asname is not None:
                local = _as_name(alias)
                (self.modules if dotted == _METAFLOW else self.others).add(local)
            else:
                first = dotted.split(".")[0]
                (self.modules if first == _METAFLOW else self.others).add(first)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = node.module
        is_metaflow = not node.relative and module is not None and _dotted(module) == _METAFLOW
        if isinstance(node.names, cst.ImportStar):
            self.star = self.star or is_metaflow
            return
        for alias in node.names:
            local = _as_name(alias) if alias.asname else _dotted(alias.name)
            if is_metaflow:
                self.imported[local] = _dotted(alias.name)
            else:
                self.others.add(local)


def _as_name(alias: cst.ImportAlias) -> str:
    assert alias.asname is not None
    return _dotted(alias.asname.name)


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    raise TypeError(f"not a dotted name: {node!r}")
