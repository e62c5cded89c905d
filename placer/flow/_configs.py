"""Metaflow Configs a flow reads its placement from (`placer apply`'s config mode).

After `placer apply --mode config` a step says
`@kubernetes(node_selector=config_expr("placement.steps.train.node_selector"))` and the
class says `placement = Config("placement", default="placement.json")`. The reader
resolves such references from the JSON file next to the flow (where `apply` writes it),
or from a literal `default_value=`. Nothing is executed.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from placer.errors import FlowError
from placer.flow._names import MISSING, Names, dotted
from placer.flow._source import Source


@dataclass
class Configs:
    """Config names (and the class attributes holding them) -> their loaded values."""

    loaders: dict[str, Callable[[], Any]] = field(default_factory=dict)

    def resolve(self, node: ast.expr, names: Names) -> Any:
        """The value `node` reads from a Config, or MISSING if it is not such a reference."""
        parts = _reference(node, names)
        if not parts or parts[0] not in self.loaders:
            return MISSING
        value = self.loaders[parts[0]]()
        for key in parts[1:]:
            if not (isinstance(value, dict) and key in value):
                return MISSING
            value = value[key]
        return value


def read_configs(classes: list[ast.ClassDef], source: Source, names: Names) -> Configs:
    """Every `x = Config("name", default=... | default_value=...)` in the flow's classes."""
    configs = Configs()
    for cls in classes:
        for node in cls.body:
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
                continue
            call = node.value
            if names.metaflow_name(call.func) == "Config":
                loader = _loader(call, source, names)
                if loader is not None:
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            configs.loaders[target.id] = loader
                    config_name = names.literal(call.args[0]) if call.args else MISSING
                    if isinstance(config_name, str):
                        configs.loaders[config_name] = loader
    return configs


def _reference(node: ast.expr, names: Names) -> list[str] | None:
    """`placement.steps.x` or `config_expr("placement.steps.x")` as ["placement", ...]."""
    if isinstance(node, ast.Call) and names.metaflow_name(node.func) == "config_expr":
        if len(node.args) != 1 or node.keywords:
            return None
        text = names.literal(node.args[0])
        if not isinstance(text, str):
            return None
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.Name | ast.Attribute):
        text = dotted(node)
        return text.split(".") if all(p.isidentifier() for p in text.split(".")) else None
    return None


def _loader(call: ast.Call, source: Source, names: Names) -> Callable[[], Any] | None:
    kwargs = {kw.arg: kw.value for kw in call.keywords if kw.arg}
    if "parser" in kwargs:
        return None  # a custom parser: placer cannot read the file as Metaflow would
    if "default_value" in kwargs:
        value = names.literal(kwargs["default_value"])
        return None if value is MISSING else (lambda: value)
    default = names.literal(kwargs["default"]) if "default" in kwargs else MISSING
    if not isinstance(default, str):
        return None
    cache: list[Any] = []

    def load() -> Any:
        if not cache:
            cache.append(_load_json(source, call.lineno, default))
        return cache[0]

    return load


def _load_json(source: Source, line: int, default: str) -> Any:
    path = source.path.parent / default
    where = source.where(line)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FlowError(
            f"the Config default '{default}' is not next to the flow ({path})",
            where,
            "run `placer apply` again to write it, or restore the file",
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FlowError(
            f"cannot read the Config default '{path}': {exc}",
            where,
            "fix or regenerate the JSON file (`placer apply` writes it)",
        ) from None
