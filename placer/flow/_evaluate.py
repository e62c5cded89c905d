"""Evaluating expressions of a flow project statically: names, imports, Configs, constants.

Nothing is imported or executed. An expression is evaluated the way Python would see it
in its own module: names follow the module's imports into other project modules
(re-exports, aliases and `from m import *` included), module constants are evaluated
in their module, Config attributes and `config_expr("...")` read the flow's Config
values, and a little arithmetic (numbers, string concatenation, f-strings, `dict.get`,
`int`/`float`/`str`/`min`/`max`) is done. Anything else is :class:`Unknown`, with the
reason; `soft` marks information placer lacks (a module outside the project, a Config
parser it does not run, an import cycle) rather than code it will not run.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from placer.flow._project import Module, Project
from placer.flow._scope import (
    Bindings,
    Define,
    ImportModule,
    ImportName,
    Opaque,
    class_bindings,
    module_bindings,
)
from placer.flow._values import (
    ClassRef,
    ConfigRef,
    DecoratorRef,
    ExternalRef,
    FlowSelf,
    FunctionRef,
    MetaflowRef,
    ModuleRef,
    ParameterRef,
    Unknown,
    Where,
    is_number,
)


@dataclass(frozen=True)
class _Builtin:
    name: str


@dataclass(frozen=True)
class _Method:
    target: Any
    name: str


class ConfigValues(Protocol):
    """The flow's Config values by name (loaded on first use)."""

    def value(self, name: str) -> Any: ...

    def names(self) -> frozenset[str]: ...


_BUILTINS = frozenset({"int", "float", "str", "dict", "min", "max"})
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_MAX_TEXT = 100_000  # longest string an evaluation may build
_IN_PROGRESS = object()


@dataclass
class Evaluator:
    """Evaluates expressions across the project's modules, caching module-level names."""

    project: Project
    configs: ConfigValues | None = None
    warn: Callable[[str], None] = lambda message: None
    config_reads: int = 0  # how many Config values were read (callers compare before/after)
    context: str = ""  # `file:line: step 'x'`, prefixed to warnings while it is set
    _module_names: dict[tuple[int, str, int | None], Any] = field(default_factory=dict)
    _bindings: dict[int, Bindings] = field(default_factory=dict)
    _chain: list[str] = field(default_factory=list)

    def value(self, node: ast.expr, where: Where) -> Any:
        """The value of `node` (plain data, a reference, or Unknown); Configs materialized."""
        try:
            return self.materialize(self._eval(node, where))
        except RecursionError:
            return Unknown("an expression nested too deeply")

    def reference(self, node: ast.expr, where: Where) -> Any:
        """What `node` refers to, without reading a Config it names (`cfg` stays a ConfigRef)."""
        try:
            return self._eval(node, where)
        except RecursionError:
            return Unknown("an expression nested too deeply")

    def materialize(self, value: Any) -> Any:
        """A Config reference as its value (a dict, usually)."""
        if isinstance(value, ConfigRef):
            return self._config(value.name)
        return value

    # --- names -----------------------------------------------------------------------

    def bindings(self, module: Module) -> Bindings:
        key = id(module)
        if key not in self._bindings:
            self._bindings[key] = module_bindings(module.tree, module.package)
        return self._bindings[key]

    def class_bindings(self, cls: ast.ClassDef) -> Bindings:
        key = id(cls)
        if key not in self._bindings:
            self._bindings[key] = class_bindings(cls)
        return self._bindings[key]

    def in_class(self, module: Module, cls: ast.ClassDef, node: ast.AST | None = None) -> Where:
        """Where a statement `node` of class `cls` (or its header, for None) is evaluated:
        the module as it stood at the `class` statement, the body up to `node`."""
        module_before = self.bindings(module).positions.get(id(cls))
        class_before = self.class_bindings(cls).positions.get(id(node)) if node else None
        return Where(module, cls, module_before=module_before, class_before=class_before)

    def at_class(self, module: Module, cls: ast.ClassDef) -> Where:
        """Where the `class` statement itself is evaluated (its bases, its decorators)."""
        return Where(module, module_before=self.bindings(module).positions.get(id(cls)))

    def name(self, name: str, where: Where) -> Any:
        """What `name` means where it is written (extra names, class body, module)."""
        if name in where.extra:
            return where.extra[name]
        if where.cls is not None:
            bindings = self.class_bindings(where.cls)
            binding, index, _ = bindings.lookup(name, where.class_before)
            if binding is not None:
                inner = Where(
                    where.module, where.cls, module_before=where.module_before, class_before=index
                )
                return self._binding(binding, inner, name)
        return self.module_name(where.module, name, where.module_before)

    def module_name(self, module: Module, name: str, before: int | None = None) -> Any:
        """A top-level name of `module` as bound before statement `before` (None: after
        the whole module ran). Cached; an import cycle is a soft Unknown."""
        key = (id(module), name, before)
        cached = self._module_names.get(key)
        label = f"{module.name}.{name}"
        if cached is _IN_PROGRESS:
            loop = " -> ".join(self._chain[self._chain.index(label) :])
            return Unknown(f"an import cycle ({loop} -> {label})", soft=True)
        if key in self._module_names:
            return cached
        self._module_names[key] = _IN_PROGRESS
        self._chain.append(label)
        try:
            value = self._lookup(module, name, before)
        finally:
            self._chain.pop()
        self._module_names[key] = value
        return value

    def _lookup(self, module: Module, name: str, before: int | None) -> Any:
        binding, index, stars = self.bindings(module).lookup(name, before)
        for star, error in stars:
            found = self._star(star, error, name)
            if found is not None:
                return found
        if binding is not None:
            return self._binding(binding, Where(module, module_before=index), name)
        if name in _BUILTINS:
            return _Builtin(name)
        return Unknown(f"'{name}' is not defined at the top of {module.path}")

    def _star(self, module_name: str, error: str | None, name: str) -> Any:
        """`name` as `from module_name import *` binds it, or None if it does not."""
        if error is not None:
            return None
        if _is_metaflow(module_name):
            return MetaflowRef(name) if not name.startswith("_") else None
        module = self.project.module(module_name)
        if module is None:
            return None
        bindings = self.bindings(module)
        exported = bindings.exports
        if exported is not None and name not in exported:
            return None
        if exported is None and name.startswith("_"):
            return None
        own, _, stars = bindings.lookup(name)
        if own is None and not stars:
            return None
        return self.module_name(module, name)

    def _binding(self, binding: Any, where: Where, name: str) -> Any:
        if isinstance(binding, ImportModule):
            return self._import_module(binding.module)
        if isinstance(binding, ImportName):
            return self._import_name(binding)
        if isinstance(binding, Opaque):
            return Unknown(
                f"'{name}' is set at {where.module.path}:{binding.line} in a way "
                "placer does not evaluate"
            )
        assert isinstance(binding, Define)
        node = binding.node
        if isinstance(node, ast.ClassDef):
            return ClassRef(where.module, node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return FunctionRef(where.module, node)
        assert isinstance(node, ast.expr)
        return self._eval(node, where)

    def _import_module(self, dotted: str) -> Any:
        if _is_metaflow(dotted):
            return MetaflowRef(dotted.partition(".")[2])
        module = self.project.module(dotted)
        return ModuleRef(module) if module is not None else ExternalRef(dotted)

    def _import_name(self, binding: ImportName) -> Any:
        if binding.error is not None:
            return Unknown(f"{binding.error}: cannot import '{binding.name}'", soft=True)
        if _is_metaflow(binding.module):
            return MetaflowRef(binding.name)
        module = self.project.module(binding.module)
        if module is None:
            return ExternalRef(f"{binding.module}.{binding.name}")
        return self._attribute_of_module(module, binding.name)

    def _attribute_of_module(self, module: Module, name: str) -> Any:
        """`module.name`: a top-level name of the module, else (for a package) its
        submodule, as `from pkg import sub` and `pkg.sub` find it."""
        own, _, _ = self.bindings(module).lookup(name)
        # `from . import sub` in pkg/__init__.py binds the submodule, not itself
        itself = isinstance(own, ImportName) and (own.module, own.name) == (module.name, name)
        value = None if itself else self.module_name(module, name)
        missing = value is None or (isinstance(value, Unknown) and own is None)
        if missing and module.search:
            sub = self.project.module(f"{module.name}.{name}")
            if sub is not None:
                return ModuleRef(sub)
        if missing and not (isinstance(value, Unknown) and value.soft):
            return Unknown(
                f"module '{module.name}' ({module.path}) has no top-level '{name}'", soft=True
            )
        return value

    # --- expressions -----------------------------------------------------------------

    def _eval(self, node: ast.expr, where: Where) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node.id, where)
        if isinstance(node, ast.Attribute):
            return self.attribute(self._eval(node.value, where), node.attr)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, where)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return self._sequence(node, where)
        if isinstance(node, ast.Dict):
            return self._dict(node, where)
        if isinstance(node, ast.Call):
            return self._call(node, where)
        if isinstance(node, ast.BinOp):
            return self._binary(node, where)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, where)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, where)
        return Unknown("")  # code: nothing to say beyond "placer does not run it"

    def attribute(self, target: Any, attr: str) -> Any:
        """`target.attr` for the reference kinds placer follows."""
        if isinstance(target, Unknown):
            return target
        if isinstance(target, MetaflowRef):
            return MetaflowRef(f"{target.path}.{attr}" if target.path else attr)
        if isinstance(target, ExternalRef):
            return ExternalRef(f"{target.path}.{attr}")
        if isinstance(target, ModuleRef):
            return self._attribute_of_module(target.module, attr)
        if isinstance(target, ConfigRef):
            return self._config_member(self._config(target.name), attr, target.name)
        if isinstance(target, FlowSelf):
            return self._self_attribute(target, attr)
        if isinstance(target, dict):
            if attr in target:
                return target[attr]
            if attr in ("get", "keys", "values", "items"):
                return _Method(target, attr)
            return Unknown(f"the Config value has no key '{attr}'")
        return Unknown(f"attribute '{attr}' of {type(target).__name__}")

    def _config(self, name: str) -> Any:
        if self.configs is None or name not in self.configs.names():
            return Unknown(f"no Config named '{name}' in the flow")
        self.config_reads += 1
        return self.configs.value(name)

    def _config_member(self, value: Any, key: Any, name: str) -> Any:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, dict):
            if key in value:
                return value[key]
            return Unknown(f"Config '{name}' has no key '{key}'")
        return Unknown(f"Config '{name}' is not a mapping (it is {type(value).__name__})")

    def _subscript(self, node: ast.Subscript, where: Where) -> Any:
        target = self._eval(node.value, where)
        key = self.materialize(self._eval(node.slice, where))
        if isinstance(target, Unknown):
            return target
        if isinstance(key, Unknown):
            return key
        if isinstance(target, ConfigRef):
            return self._config_member(self._config(target.name), key, target.name)
        try:
            if isinstance(target, dict | list | tuple | str) and not isinstance(key, slice):
                return target[key]
        except (KeyError, IndexError, TypeError):
            return Unknown(f"no item {key!r}")
        return Unknown("an item of something placer does not evaluate")

    def _sequence(self, node: ast.List | ast.Tuple | ast.Set, where: Where) -> Any:
        items = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                return Unknown("a starred item")
            value = self.materialize(self._eval(element, where))
            if isinstance(value, Unknown):
                return value
            items.append(value)
        if isinstance(node, ast.Tuple):
            return tuple(items)
        if isinstance(node, ast.Set):
            try:
                return set(items)
            except TypeError:
                return Unknown("a set of unhashable values")
        return items

    def _dict(self, node: ast.Dict, where: Where) -> Any:
        out: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                return Unknown("a ** inside a dict")
            key = self.materialize(self._eval(key_node, where))
            value = self.materialize(self._eval(value_node, where))
            for part in (key, value):
                if isinstance(part, Unknown):
                    return part
            try:
                out[key] = value
            except TypeError:
                return Unknown("an unhashable dict key")
        return out

    def _call(self, node: ast.Call, where: Where) -> Any:
        func = self._eval(node.func, where)
        if isinstance(func, Unknown):
            return func if func.soft else Unknown("")  # calling unknown code: code
        if isinstance(func, MetaflowRef):
            return self._metaflow_call(func.path, node, where)
        if isinstance(func, _Method | _Builtin):
            args = [self.materialize(self._eval(a, where)) for a in node.args]
            kwargs = {k.arg: self.materialize(self._eval(k.value, where)) for k in node.keywords}
            for value in [*args, *kwargs.values()]:
                if isinstance(value, Unknown):
                    return value
            if None in kwargs or any(isinstance(a, ast.Starred) for a in node.args):
                return Unknown("* or ** arguments")
            return _apply(func, args, kwargs)  # type: ignore[arg-type]
        return Unknown("")

    def _metaflow_call(self, name: str, node: ast.Call, where: Where) -> Any:
        if name == "config_expr":
            return self._config_expr(node, where)
        if name in ("Config", "Parameter"):
            first = self.materialize(self._eval(node.args[0], where)) if node.args else None
            keywords = {k.arg: k.value for k in node.keywords}
            if first is None and "name" in keywords:
                first = self.materialize(self._eval(keywords["name"], where))
            if not isinstance(first, str):
                return Unknown(f"a {name} whose name placer cannot read")
            if name == "Config":
                return ConfigRef(first)
            return ParameterRef(first, keywords.get("default"), where)
        if "." not in name:
            return DecoratorRef(name, node, where)
        return Unknown(f"metaflow.{name}() placer does not run")

    def _config_expr(self, node: ast.Call, where: Where) -> Any:
        text = self.materialize(self._eval(node.args[0], where)) if len(node.args) == 1 else None
        if not isinstance(text, str) or node.keywords:
            return Unknown("config_expr() takes one string")
        try:
            expr = ast.parse(text.strip(), mode="eval").body
        except SyntaxError:
            return Unknown(f"config_expr({text!r}) is not a Python expression")
        names = self.configs.names() if self.configs is not None else frozenset()
        extra = {**where.extra, **{n: ConfigRef(n) for n in names}}
        return self._eval(expr, Where(where.module, None, extra))

    def _binary(self, node: ast.BinOp, where: Where) -> Any:
        left = self.materialize(self._eval(node.left, where))
        right = self.materialize(self._eval(node.right, where))
        for side in (left, right):
            if isinstance(side, Unknown):
                return side
        op = _BINARY.get(type(node.op))
        if op is None:
            return Unknown("an operator placer does not evaluate")
        if isinstance(left, str) and isinstance(right, str) and op is operator.add:
            if len(left) + len(right) <= _MAX_TEXT:
                return left + right
        if is_number(left) and is_number(right):
            return _arithmetic(op, left, right)
        return Unknown("arithmetic on values placer does not evaluate")

    def _unary(self, node: ast.UnaryOp, where: Where) -> Any:
        value = self.materialize(self._eval(node.operand, where))
        if isinstance(value, Unknown):
            return value
        if is_number(value) and isinstance(node.op, ast.USub):
            return -value
        if is_number(value) and isinstance(node.op, ast.UAdd):
            return value
        return Unknown("an operator placer does not evaluate")

    def _fstring(self, node: ast.JoinedStr, where: Where) -> Any:
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
                continue
            assert isinstance(part, ast.FormattedValue)
            value = self.materialize(self._eval(part.value, where))
            if isinstance(value, Unknown):
                return value
            if part.format_spec is not None or part.conversion != -1:
                return Unknown("an f-string format placer does not evaluate")
            if not isinstance(value, str | int | float | bool):
                return Unknown("an f-string of a value placer does not evaluate")
            try:
                parts.append(str(value))
            except ValueError:  # an integer with more digits than Python will print
                return Unknown("a number too long to format")
        text = "".join(parts)
        return text if len(text) <= _MAX_TEXT else Unknown("a string too long")

    # --- `self.x` in a step --------------------------------------------------------------

    def _self_attribute(self, target: FlowSelf, attr: str) -> Any:
        for module, cls in target.mro:  # the class attribute once the class is built
            binding, index, _ = self.class_bindings(cls).lookup(attr)
            if binding is None:
                continue
            where = self.in_class(module, cls)
            where = Where(module, cls, module_before=where.module_before, class_before=index)
            value = self._binding(binding, where, attr)
            if isinstance(value, ParameterRef):
                return self._parameter_default(value, attr)
            return self.materialize(value)
        return Unknown(f"self.{attr} is set while the flow runs, not in the class")

    def _parameter_default(self, param: ParameterRef, attr: str) -> Any:
        if param.default is None:
            return Unknown(f"Parameter '{param.name}' (self.{attr}) has no default", soft=True)
        value = self.value(param.default, param.where)
        if isinstance(value, Unknown):
            return Unknown(
                f"the default of Parameter '{param.name}' is not static ({value.reason})", soft=True
            )
        prefix = f"{self.context}: " if self.context else ""
        self.warn(
            f"{prefix}self.{attr} is Parameter '{param.name}': placer uses its default "
            f"{value!r}; a run may pass another value"
        )
        return value


def _is_metaflow(module: str) -> bool:
    return module == "metaflow" or module.startswith("metaflow.")


def _arithmetic(op: Callable[[Any, Any], Any], left: Any, right: Any) -> Any:
    if op is operator.pow and (abs(right) > 64 or abs(left) > 1e6):
        return Unknown("a power too large to evaluate")
    try:
        result = op(left, right)
    except (ArithmeticError, ValueError):
        return Unknown("arithmetic that fails (a division by zero)")
    if isinstance(result, complex) or (isinstance(result, float) and not math.isfinite(result)):
        return Unknown("arithmetic without a finite result")
    return result


def _apply(func: _Method | _Builtin, args: list[Any], kwargs: dict[str, Any]) -> Any:
    try:
        if isinstance(func, _Method):
            if func.name == "get" and not kwargs and 1 <= len(args) <= 2:
                return func.target.get(*args)
            return Unknown(f".{func.name}() placer does not evaluate")
        if func.name in ("int", "float", "str") and len(args) == 1 and not kwargs:
            if isinstance(args[0], str | int | float) and not isinstance(args[0], bool):
                if func.name == "str" or len(str(args[0])) < 100:
                    return {"int": int, "float": float, "str": str}[func.name](args[0])
        if func.name == "dict" and not args:
            return dict(kwargs)
        if func.name in ("min", "max") and not kwargs and args and all(map(is_number, args)):
            return (min if func.name == "min" else max)(args)
    except (TypeError, ValueError, OverflowError):
        pass
    return Unknown(f"{func.name}() with these arguments")
