"""The values static evaluation works with: plain data, or references to what a name
means (a Metaflow name, a project module, a class, a Config), or `Unknown` with the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from placer.flow._project import Module


@dataclass(frozen=True)
class Unknown:
    """A value placer cannot know statically, and why."""

    reason: str
    soft: bool = False  # missing information (fixable with --path or placer.yaml), not code


@dataclass(frozen=True)
class MetaflowRef:
    """`metaflow` (path "") or a name in it (`kubernetes`, `plugins.parsers.yaml_parser`)."""

    path: str


@dataclass(frozen=True)
class ModuleRef:
    module: Module


@dataclass(frozen=True)
class ExternalRef:
    """A module outside the project (or a name in one): `yaml`, `yaml.safe_load`."""

    path: str


@dataclass(frozen=True)
class ClassRef:
    module: Module
    node: ast.ClassDef


@dataclass(frozen=True)
class FunctionRef:
    module: Module
    node: ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class ConfigRef:
    """A Metaflow Config, by its name (what `config_expr` strings refer to)."""

    name: str


@dataclass(frozen=True)
class ParameterRef:
    """A Metaflow Parameter: its name and the default as written (evaluated on demand)."""

    name: str
    default: ast.expr | None
    where: Where


@dataclass(frozen=True)
class DecoratorRef:
    """A Metaflow step decorator called with arguments: `kubernetes(gpu=1)`, kept in a
    variable (`gpu_step = kubernetes(gpu=1)`) to decorate steps elsewhere."""

    name: str
    call: ast.Call
    where: Where


@dataclass(frozen=True)
class FlowSelf:
    """`self` inside a step: attributes are looked up on the flow class (its MRO)."""

    mro: tuple[tuple[Module, ast.ClassDef], ...]


@dataclass(frozen=True, eq=False)
class Where:
    """Where an expression is written: its module, the class body around it, names bound
    outside both (the Configs of a `config_expr`, a step's `self`), and how far the
    module (and the class body) had run when it is evaluated: the statement index names
    must be bound before (None: once it all ran, as for an import from elsewhere)."""

    module: Module
    cls: ast.ClassDef | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    module_before: int | None = None
    class_before: int | None = None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_data(value: Any) -> bool:
    """Plain data (what a decorator argument can hold once evaluated), not a reference."""
    if value is None or isinstance(value, str | int | float | bool | bytes | complex):
        return True
    if value is Ellipsis:
        return True
    if isinstance(value, dict):
        return all(is_data(k) and is_data(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return all(is_data(v) for v in value)
    return False


def source_of(node: ast.expr) -> str:
    """The expression's source; very deep ones are elided (`ast.unparse` recurses)."""
    try:
        return ast.unparse(node)
    except RecursionError:
        return "<expression too deeply nested to show>"
