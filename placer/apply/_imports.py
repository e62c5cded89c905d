"""Add names to the flow's `from metaflow import ...` line (the one shared helper).

Appends to the first top-level `from metaflow import` statement in its own layout
(one line, or one name per line in parentheses). A file without one gets a new import
through libcst's `AddImportsVisitor`.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from placer.apply._nodes import with_item


def add_metaflow_imports(module: cst.Module, wanted: Mapping[str, str]) -> cst.Module:
    """`module` importing each Metaflow name (local name -> metaflow name) it lacks."""
    if not wanted:
        return module
    for index, statement in enumerate(module.body):
        node = _metaflow_import(statement)
        if node is not None:
            assert isinstance(statement, cst.SimpleStatementLine)
            new_line = statement.with_changes(body=[_extend(node, wanted), *statement.body[1:]])
            body = list(module.body)
            body[index] = new_line
            return module.with_changes(body=body)
    context = CodemodContext()
    for local, name in wanted.items():
        asname = local if local != name else None
        AddImportsVisitor.add_needed_import(context, "metaflow", name, asname)
    return AddImportsVisitor(context).transform_module(module)


def _metaflow_import(statement: cst.CSTNode) -> cst.ImportFrom | None:
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    node = statement.body[0]
    if not isinstance(node, cst.ImportFrom) or node.relative or node.module is None:
        return None
    is_metaflow = isinstance(node.module, cst.Name) and node.module.value == "metaflow"
    return node if is_metaflow and not isinstance(node.names, cst.ImportStar) else None


def _extend(node: cst.ImportFrom, wanted: Mapping[str, str]) -> cst.ImportFrom:
    assert not isinstance(node.names, cst.ImportStar)
    names = list(node.names)
    opening = node.lpar.whitespace_after if node.lpar else cst.SimpleWhitespace("")
    for local, name in sorted(wanted.items(), key=lambda item: item[1].lower()):
        asname = cst.AsName(cst.Name(local)) if local != name else None
        names = with_item(names, cst.ImportAlias(cst.Name(name), asname=asname), opening)
    return node.with_changes(names=names)
