"""Where every field of placer.yaml is: field paths ("steps.train.tasks", "pools[2]") to lines.

Kept from loading (the composed YAML nodes, walked the first time a line is asked for), so a
later error (an unknown step found by the optimizer, a pool the catalog cannot price) names
the line without reading the file again, and loading pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import yaml

__all__ = ["FieldLines", "field_lines"]


class FieldLines(Mapping[str, int]):
    """:func:`field_lines` of a composed file, computed on first use."""

    def __init__(self, root: yaml.Node) -> None:
        self._root = root
        self._lines: dict[str, int] | None = None

    def _all(self) -> dict[str, int]:
        if self._lines is None:
            self._lines = field_lines(self._root)
        return self._lines

    def __getitem__(self, field_path: str) -> int:
        return self._all()[field_path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def field_lines(root: yaml.Node) -> dict[str, int]:
    """1-based lines of every mapping key (the key's line) and list item (the item's first
    line) under `root`, by field path. A node reached again through a YAML alias is walked
    once (its first path wins), so a hostile file of nested aliases stays linear."""
    lines: dict[str, int] = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for child, child_path, line in reversed(_children(node, path)):
            lines.setdefault(child_path, line)
            stack.append((child, child_path))
    return lines


def _children(node: yaml.Node, path: str) -> list[tuple[yaml.Node, str, int]]:
    """(child node, its path, its line) for a mapping's values or a sequence's items."""
    if isinstance(node, yaml.MappingNode):
        out = []
        for key_node, value in node.value:
            # The key's text as written (a mapping or list as a key: not a field placer has).
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            out.append((value, f"{path}.{key}" if path else key, key_node.start_mark.line + 1))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            (item, f"{path}[{i}]", item.start_mark.line + 1) for i, item in enumerate(node.value)
        ]
    return []
