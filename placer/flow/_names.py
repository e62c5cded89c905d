"""Which names in a flow file come from Metaflow, and module-level literal constants.

`from metaflow import kubernetes as k8s` makes `k8s` mean Metaflow's `kubernetes`;
`import metaflow as mf` makes `mf.kubernetes` mean it too. Module-level assignments of
literals (`CPU = 4`) let decorator arguments name a constant.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MISSING: Any = object()  # what `Names.literal` returns for an expression it cannot evaluate
_MISSING = MISSING


@dataclass
class Names:
    """Import aliases and literal constants found at the top level of one module."""

    imported: dict[str, str] = field(default_factory=dict)  # local name -> Metaflow name
    modules: set[str] = field(default_factory=set)  # local names bound to the metaflow package
    constants: dict[str, Any] = field(default_factory=dict)
    star: bool = False  # `from metaflow import *`: bare names may be Metaflow's
    local: set[str] = field(default_factory=set)  # names bound by other imports
    # Resolves references to a flow's Configs (set once the flow class is known).
    config_lookup: Callable[[ast.expr], Any] | None = None

    def metaflow_name(self, node: ast.expr) -> str | None:
        """The Metaflow name `node` refers to (`k8s` -> `kubernetes`), else None."""
        if isinstance(node, ast.Name):
            if node.id in self.imported:
                return self.imported[node.id]
            return node.id if self.star and node.id not in self.local else None
        if isinstance(node, ast.Attribute) and _dotted(node.value) in self.modules:
            return node.attr
        return None

    def literal(self, node: ast.expr) -> Any:
        """The Python value of a literal (or of a literal constant's name), else _MISSING."""
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        if self.config_lookup is not None:
            return self.config_lookup(node)
        return _MISSING


def is_missing(value: Any) -> bool:
    """True when :meth:`Names.literal` could not evaluate the expression."""
    return value is _MISSING


def dotted(node: ast.expr) -> str:
    """`a.b.c` for a Name/Attribute chain, else the expression's source text."""
    return _dotted(node) or ast.unparse(node)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def collect_names(module: ast.Module) -> Names:
    """Scan the module's top-level imports and literal assignments."""
    names = Names()
    for node in module.body:
        if isinstance(node, ast.ImportFrom) and _is_metaflow(node.module):
            for alias in node.names:
                if alias.name == "*":
                    names.star = True
                else:
                    names.imported[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            names.local.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            _add_module_imports(names, node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            _add_constant(names, node)
    return names


def _is_metaflow(module: str | None) -> bool:
    return module is not None and (module == "metaflow" or module.startswith("metaflow."))


def _add_module_imports(names: Names, node: ast.Import) -> None:
    for alias in node.names:
        if alias.name == "metaflow":
            names.modules.add(alias.asname or "metaflow")
        elif alias.asname is None and alias.name.startswith("metaflow."):
            names.modules.add("metaflow")  # `import metaflow.x` binds `metaflow`


def _add_constant(names: Names, node: ast.Assign | ast.AnnAssign) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if node.value is None:
        return
    try:
        value = ast.literal_eval(node.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        value = _MISSING
    for target in targets:
        if isinstance(target, ast.Name):
            if value is _MISSING:
                names.constants.pop(target.id, None)  # reassigned to something we cannot read
            else:
                names.constants[target.id] = value
