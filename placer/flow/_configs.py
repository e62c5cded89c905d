"""A flow's Metaflow Configs, evaluated statically: the values decorators read at deploy time.

`cfg = Config("cfg", default="config.json")` in the flow class (or a base class, in any
module) declares a Config; `@resources(cpu=cfg.cpu)`, `cfg["cpu"]` and
`config_expr("cfg.cpu")` read it. Like `python flow.py --config cfg FILE` in Metaflow, a
value comes from, in order: placer.yaml's `flow_configs` (already parsed data), a
`--flow-config NAME FILE` override, the `default=` file, or `default_value=`.

Files are parsed as Metaflow would: JSON by default, `plain=True` as the raw text, and
the common `parser=` choices as data (Metaflow's `yaml_parser`, `yaml.safe_load`,
`tomllib.loads`/`toml.loads`/`tomli.loads`, `json.loads`). A parser function of the
project's own is not run: a warning, and its references stay unknown (placer.yaml's
`flow_configs` can give the value). A `default=` path is read relative to the flow's
directory (Metaflow reads it relative to the working directory: deploy from there) and
must stay inside the flow's project.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from placer.errors import FlowError
from placer.flow._evaluate import Evaluator
from placer.flow._project import Module, Project
from placer.flow._scope import Define
from placer.flow._values import ConfigRef, ExternalRef, MetaflowRef, Unknown, Where, source_of

_YAML = frozenset(
    {
        "yaml.safe_load",
        "yaml.full_load",
        "metaflow.yaml_parser",
        "metaflow.plugins.parsers.yaml_parser",
        ".plugins.parsers.yaml_parser",
        "yaml_parser",
        "plugins.parsers.yaml_parser",
    }
)
_TOML = frozenset({"tomllib.loads", "toml.loads", "tomli.loads"})
_JSON = frozenset({"json.loads"})


@dataclass(frozen=True)
class ConfigDecl:
    """One `attr = Config(...)` in a class body of the flow's MRO."""

    name: str
    attr: str
    module: Module
    cls: ast.ClassDef
    call: ast.Call
    line: int
    scope: Where  # where its arguments are evaluated

    @property
    def where(self) -> str:
        return f"{self.module.path}:{self.line}"

    def keyword(self, key: str) -> ast.expr | None:
        for kw in self.call.keywords:
            if kw.arg == key:
                return kw.value
        if key == "default" and len(self.call.args) > 1:
            return self.call.args[1]
        return None


@dataclass(frozen=True)
class ConfigOverrides:
    """Values given outside the flow: `--flow-config NAME FILE`, placer.yaml `flow_configs`."""

    files: Mapping[str, Path] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)
    assumed: Mapping[str, Any] = field(default_factory=dict)  # below files, above defaults


@dataclass
class Configs:
    """The flow's Configs by name; each value is loaded (and its file read) on first use."""

    decls: dict[str, ConfigDecl]
    project: Project
    evaluator: Evaluator
    overrides: ConfigOverrides = field(default_factory=ConfigOverrides)
    warn: Callable[[str], None] = lambda message: None
    _values: dict[str, Any] = field(default_factory=dict)

    def names(self) -> frozenset[str]:
        return frozenset(self.decls)

    def value(self, name: str) -> Any:
        if name not in self._values:
            self._values[name] = self._load(self.decls[name])
        return self._values[name]

    def default_file(self, decl: ConfigDecl) -> Path | None:
        """The file `default=` names, relative to the flow's directory (None: not a path)."""
        node = decl.keyword("default")
        text = self.evaluator.value(node, decl.scope) if node else None
        return self.project.flow_path.parent / text if isinstance(text, str) else None

    def _load(self, decl: ConfigDecl) -> Any:
        if decl.name in self.overrides.values:
            return self.overrides.values[decl.name]
        parser = self._parser(decl)
        if decl.name in self.overrides.files:
            path = self.overrides.files[decl.name]
            data = self.project.read_bytes(path, path.resolve())
            return self._parse(decl, parser, data, path)
        if decl.name in self.overrides.assumed:
            return self.overrides.assumed[decl.name]
        default = decl.keyword("default")
        if default is not None:
            return self._from_default(decl, parser, default)
        inline = decl.keyword("default_value")
        if inline is not None:
            return self._from_inline(decl, parser, inline)
        return Unknown(
            f"Config '{decl.name}' ({decl.where}) has no default",
            soft=True,
        )

    def _from_default(self, decl: ConfigDecl, parser: Any, node: ast.expr) -> Any:
        text = self.evaluator.value(node, decl.scope)
        if not isinstance(text, str):
            return Unknown(
                f"Config '{decl.name}' ({decl.where}) has default={source_of(node)}, "
                "not a file name placer can read",
                soft=True,
            )
        path = self.project.flow_path.parent / text
        if not path.exists() and not path.is_symlink():
            raise FlowError(
                f"the Config default '{text}' is not next to the flow ({path})",
                decl.where,
                "create the file (or run `placer apply` again if it wrote it), or pass "
                f"--flow-config {decl.name} FILE",
            )
        data = self.project.read_data(path, f"Config '{decl.name}'")
        return self._parse(decl, parser, data, path)

    def _from_inline(self, decl: ConfigDecl, parser: Any, node: ast.expr) -> Any:
        value = self.evaluator.value(node, decl.scope)
        if isinstance(value, dict):
            return value
        if isinstance(value, str):
            return self._parse(decl, parser, value.encode(), None)
        return Unknown(
            f"Config '{decl.name}' ({decl.where}) has default_value={source_of(node)}, "
            "which placer cannot evaluate",
            soft=True,
        )

    def _parser(self, decl: ConfigDecl) -> str | Unknown:
        """ "json", "yaml", "toml" or "plain", or Unknown for a parser placer does not run."""
        node = decl.keyword("parser")
        if node is None:
            plain = decl.keyword("plain")
            where = decl.scope
            return "plain" if plain is not None and self.evaluator.value(plain, where) else "json"
        value = self.evaluator.value(node, decl.scope)
        name = _parser_name(value)
        for kind, names in (("yaml", _YAML), ("toml", _TOML), ("json", _JSON)):
            if name in names:
                return kind
        return Unknown(
            f"Config '{decl.name}' ({decl.where}) is parsed by {source_of(node)}, which "
            f"placer does not run; give its value in placer.yaml under "
            f"flow_configs.{decl.name}",
            soft=True,
        )

    def _parse(self, decl: ConfigDecl, parser: Any, data: bytes, path: Path | None) -> Any:
        if isinstance(parser, Unknown):
            self.warn(parser.reason)
            return parser
        where = str(path) if path is not None else decl.where
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise FlowError(
                f"Config '{decl.name}' is not UTF-8 text", where, "save it as UTF-8"
            ) from None
        try:
            return _parse_text(parser, text)
        except _ParseError as exc:
            location = f"{path}:{exc.line}" if path is not None and exc.line else where
            raise FlowError(
                f"Config '{decl.name}' is not valid {parser.upper()}: {exc.message}",
                location,
                "fix the file (Metaflow refuses it too)",
            ) from None


@dataclass
class _ParseError(Exception):
    message: str
    line: int | None = None


def _parse_text(parser: str, text: str) -> Any:
    if parser == "plain":
        return text
    if parser == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise _ParseError(exc.msg, exc.lineno) from None
        except RecursionError:
            raise _ParseError("nested too deeply") from None
    if parser == "toml":
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _ParseError(str(exc)) from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _ParseError(str(problem), mark.line + 1 if mark else None) from None
    except RecursionError:
        raise _ParseError("nested too deeply") from None


def _parser_name(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, MetaflowRef):
        return f"metaflow.{value.path}"
    if isinstance(value, ExternalRef):
        return value.path
    return None


def declare_configs(
    mro: list[tuple[Module, ast.ClassDef]], evaluator: Evaluator
) -> dict[str, ConfigDecl]:
    """Every `x = Config(...)` in the flow's classes, by Config name (the MRO's first)."""
    decls: dict[str, ConfigDecl] = {}
    for module, cls in mro:
        bindings = evaluator.class_bindings(cls)
        for attr in bindings.names:
            binding = bindings.last(attr)
            node = binding.node if isinstance(binding, Define) else None
            if not isinstance(node, ast.Call):
                continue
            scope = evaluator.in_class(module, cls, node)
            if evaluator.reference(node.func, scope) != MetaflowRef("Config"):
                continue
            ref = evaluator.reference(node, scope)
            name = ref.name if isinstance(ref, ConfigRef) else None
            if name is not None and name not in decls:
                decls[name] = ConfigDecl(name, attr, module, cls, node, node.lineno, scope)
    return decls
