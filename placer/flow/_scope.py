"""What the names of one module (or class body) are bound to, read from its statements.

Only the top level counts (and the bodies of top-level `if`/`try` blocks, whose names
Python binds too): `import`, `from ... import`, `class`, `def` and assignments. Later
bindings win, as when Python runs the module; a `from m import *` binds whatever `m`
exports at that point (its `__all__` when that is a literal list, else its public
names), so a name is looked up in the star imports that come after its own binding.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ImportModule:
    """`import a.b as c` binds c to `a.b`; `import a.b` binds a to `a`."""

    module: str


@dataclass(frozen=True)
class ImportName:
    """`from m import n`: the name n of module m (m made absolute); `error` when m is a
    relative import Python cannot resolve from here."""

    module: str
    name: str
    error: str | None = None


@dataclass(frozen=True)
class Define:
    """A class, a function, or an assignment's value in this module (or class body)."""

    node: ast.AST  # ast.ClassDef, ast.FunctionDef/AsyncFunctionDef, or the assigned expr
    line: int


@dataclass(frozen=True)
class Opaque:
    """Bound by a statement placer does not evaluate (tuple unpacking, `+=`, a loop)."""

    line: int


Binding = ImportModule | ImportName | Define | Opaque


@dataclass
class Bindings:
    """Each name's bindings in statement order, the star imports, and where each class,
    function and assigned expression is (its statement index)."""

    names: dict[str, list[tuple[int, Binding]]] = field(default_factory=dict)
    stars: list[tuple[int, str, str | None]] = field(default_factory=list)  # (index, module, error)
    exports: list[str] | None = None  # a literal `__all__`
    positions: dict[int, int] = field(default_factory=dict)  # id(defined node) -> index

    def lookup(
        self, name: str, before: int | None = None
    ) -> tuple[Binding | None, int, list[tuple[str, str | None]]]:
        """What `name` is bound to when statement `before` runs (None: once all ran): its
        own latest binding and that binding's index, and the star imports after it as
        (module, error), latest first (one rebinds the name if its module exports it)."""
        limit = before if before is not None else 1 << 62
        index, binding = -1, None
        for at, bound in reversed(self.names.get(name, ())):
            if at < limit:
                index, binding = at, bound
                break
        later = [(m, error) for at, m, error in reversed(self.stars) if index < at < limit]
        return binding, index, later

    def last(self, name: str) -> Binding | None:
        """The name's binding once every statement ran (ignoring star imports)."""
        bound = self.names.get(name)
        return bound[-1][1] if bound else None


def module_bindings(tree: ast.Module, package: str | None) -> Bindings:
    """The bindings of a module's top level; `package` resolves relative imports."""
    return _Collector(package).collect(tree.body)


def class_bindings(cls: ast.ClassDef) -> Bindings:
    """The bindings of a class body (its attributes and methods)."""
    return _Collector(None).collect(cls.body)


@dataclass
class _Collector:
    package: str | None
    out: Bindings = field(default_factory=Bindings)
    index: int = 0

    def collect(self, body: list[ast.stmt]) -> Bindings:
        for statement in body:
            self._statement(statement)
        return self.out

    def _bind(self, name: str, binding: Binding) -> None:
        self.index += 1
        self.out.names.setdefault(name, []).append((self.index, binding))
        if isinstance(binding, Define):
            self.out.positions[id(binding.node)] = self.index

    def _statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._bind(alias.asname, ImportModule(alias.name))
                else:
                    root = alias.name.split(".")[0]
                    self._bind(root, ImportModule(root))
        elif isinstance(node, ast.ImportFrom):
            self._import_from(node)
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            self._bind(node.name, Define(node, node.lineno))
        elif isinstance(node, ast.Assign):
            self._assign(node.targets, node.value, node.lineno)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._assign([node.target], node.value, node.lineno)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            self._bind(node.target.id, Opaque(node.lineno))
        elif isinstance(node, ast.If):
            self.collect(node.body)
            self.collect(node.orelse)
        elif isinstance(node, ast.Try | ast.TryStar):
            self.collect(node.body)
            self.collect(node.orelse)

    def _assign(self, targets: list[ast.expr], value: ast.expr, line: int) -> None:
        for target in targets:
            if isinstance(target, ast.Name):
                self._bind(target.id, Define(value, line))
                if target.id == "__all__":
                    self.out.exports = _literal_names(value)
            else:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        self._bind(sub.id, Opaque(line))

    def _import_from(self, node: ast.ImportFrom) -> None:
        module, error = self._absolute(node.module, node.level)
        for alias in node.names:
            if alias.name == "*":
                self.index += 1
                self.out.stars.append((self.index, module, error))
            else:
                self._bind(alias.asname or alias.name, ImportName(module, alias.name, error))

    def _absolute(self, module: str | None, level: int) -> tuple[str, str | None]:
        if level == 0:
            return module or "", None
        if self.package is None:
            return module or "", "a relative import in a file run as a script (no parent package)"
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts) or not self.package:
            return module or "", "a relative import beyond the top-level package"
        base = parts[: len(parts) - (level - 1)]
        return ".".join([*base, module] if module else base), None


def _literal_names(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.List | ast.Tuple):
        names = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        if len(names) == len(node.elts) and all(isinstance(n, str) for n in names):
            return names  # type: ignore[return-value]
    return None
