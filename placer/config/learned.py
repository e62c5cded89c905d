"""Merging values learned from past runs (`placer learn --write`) into placer.yaml's `steps:`.

The file is loaded with ruamel.yaml's round-trip loader, the values are set on its `steps:`
mapping, each with an end-of-line comment that starts with ``learned`` and names its runs
and date, and the `steps:` section is dumped back. Only that section is replaced in the
text: every other line stays byte for byte (ruamel would, for one, join a flow mapping the
user wrapped over several lines). Comments and blank lines that ended a step's block stay
at its end when a key is added to it.

A value is *hand-set* when its line has no ``# learned`` comment: it is kept, and reported,
unless `overwrite`. Functions here return text; the CLI writes it atomically.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from placer.config.parse import parse_config
from placer.errors import ConfigError

__all__ = ["LEARNED_MARK", "Change", "LearnedMerge", "LearnedValue", "merge_learned"]

LEARNED_MARK = "learned"  # the comment of a learned value starts with it: "# learned 2026-..."


@dataclass(frozen=True)
class LearnedValue:
    """A value to set under `steps.<step>.<key>`, as YAML writes it, and its comment."""

    key: str  # "tasks", "duration", "input" or "output"
    value: int | str  # 8, "12m30s", "1.5GB"
    comment: str  # without "#": "learned 2026-12-03 from 12 runs (...): p50 of 96 tasks"


@dataclass(frozen=True)
class Change:
    """One learned value and what happened to it."""

    step: str
    key: str
    before: str | None  # the file's value (None: absent)
    after: str  # the learned value
    kept: bool  # True: a hand-set value was kept (no --overwrite)

    @property
    def changed(self) -> bool:
        return not self.kept and self.before != self.after


@dataclass(frozen=True)
class LearnedMerge:
    """The new file text and what happened to each value."""

    text: str
    changes: tuple[Change, ...]


def _yaml() -> Any:
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never wrap a long line the user wrote on one
    return rt


def _comment(node: Any, key: str) -> str | None:
    """The end-of-line comment after `node[key]`, without "#" (None if none)."""
    entry = node.ca.items.get(key) if hasattr(node, "ca") else None
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None:
        return None
    head = token.value.split("\n", 1)[0].strip()
    return head.lstrip("#").strip() if head.startswith("#") else None


def _is_learned(node: Any, key: str) -> bool:
    comment = _comment(node, key)
    return comment is not None and comment.startswith(LEARNED_MARK)


def _deepest_last(node: Any) -> tuple[Any, Any] | None:
    """The (mapping, key) that ends a block mapping's text: where ruamel keeps the comments
    and blank lines that follow the block."""
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(node, CommentedMap) or not node or node.fa.flow_style():
        return None
    key = list(node)[-1]
    return _deepest_last(node[key]) or (node, key)


def _take_tail(node: Any) -> str:
    """Remove and return what follows the end-of-line comment at the end of `node`'s block
    (following comment lines, blank lines)."""
    last = _deepest_last(node)
    if last is None:
        return ""
    owner, key = last
    entry = owner.ca.items.get(key)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None or "\n" not in token.value:
        return ""
    head, _, tail = token.value.partition("\n")
    if head.strip():
        token.value = head + "\n"
    else:
        entry[2] = None
    return tail


def _give_tail(node: Any, tail: str) -> None:
    if not tail:
        return
    last = _deepest_last(node)
    if last is None:
        return
    from ruamel.yaml.tokens import CommentToken

    owner, key = last
    entry = owner.ca.items.setdefault(key, [None, None, None, None])
    token = entry[2]
    if token is None:
        entry[2] = CommentToken("\n" + tail, column=0)
    else:
        token.value = token.value.rstrip("\n") + "\n" + tail


def _block_map(parent: Any, key: str) -> Any:
    """`parent[key]` as a block mapping (created, or turned from null or flow style)."""
    from ruamel.yaml.comments import CommentedMap

    node = parent.get(key)
    if isinstance(node, CommentedMap):
        node.fa.set_block_style()
        return node
    if node is not None:
        where = "steps" if key == "steps" else f"steps.{key}"
        raise ConfigError("expected a mapping", where, "fix the file by hand first")
    parent[key] = CommentedMap()  # a new key goes last; `key:` with no value keeps its place
    return parent[key]


def _set(node: Any, value: LearnedValue, column: int, indent: int) -> None:
    """`node[key] = value` with its comment; what followed the old line stays after it, and
    what ended the block stays at its end."""
    if value.key not in node:
        tail = _take_tail(node)
        node[value.key] = value.value
        _give_tail(node, tail)
    else:
        node[value.key] = value.value
    entry = node.ca.items.get(value.key)
    rest = ""
    if entry and len(entry) > 2 and entry[2] is not None:
        rest = entry[2].value.partition("\n")[2]
        entry[2] = None
    width = indent + len(f"{value.key}: {value.value}")
    node.yaml_add_eol_comment("# " + value.comment, value.key, column=max(column, width + 2))
    if rest:
        node.ca.items[value.key][2].value += "\n" + rest


def _text(value: object) -> str:
    return str(value)


def _merge_step(
    node: Any,
    step: str,
    values: Sequence[LearnedValue],
    overwrite: bool,
    layout: tuple[int, int],
) -> list[Change]:
    """`layout`: the comment column and the keys' indentation."""
    changes = []
    for value in values:
        before = _text(node[value.key]) if value.key in node else None
        kept = before is not None and not overwrite and not _is_learned(node, value.key)
        changes.append(Change(step, value.key, before, _text(value.value), kept))
        if not kept:
            _set(node, value, *layout)
    return changes


def _indent(text: str, data: Any) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation as the file uses it."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.util import load_yaml_guess_indent

    mapping = 2
    for key, value in (data or {}).items():
        if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
            mapping = value.lc.key(next(iter(value)))[1] - data.lc.key(key)[1] or 2
            break
    _, sequence, offset = load_yaml_guess_indent(text)
    return mapping, sequence or mapping, offset or 0


def _section(text: str, data: Any, key: str) -> tuple[int, int] | None:
    """Lines [start, end) of the top-level `key` section (to the next top-level key)."""
    keys = list(data or {})
    if key not in keys:
        return None
    start = data.lc.key(key)[0]
    following = keys[keys.index(key) + 1 :]
    end = data.lc.key(following[0])[0] if following else len(text.splitlines())
    return start, end


def merge_learned(
    text: str,
    values: Mapping[str, Sequence[LearnedValue]],
    label: str = "placer.yaml",
    overwrite: bool = False,
) -> LearnedMerge:
    """`text` with `values` (by step) merged into `steps:`. Raises ConfigError when the file
    is invalid before or would be after (nothing should be written then)."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    if text.strip():
        parse_config(text, label)
    rt = _yaml()
    try:
        data = rt.load(text) if text.strip() else None
    except YAMLError as exc:  # parse_config accepted it: a construct ruamel reads otherwise
        raise ConfigError(f"cannot round-trip the file: {exc}", label) from None
    if data is None:
        data = CommentedMap()
    original_section = _section(text, data, "steps")
    mapping, sequence, offset = _indent(text, data) if text.strip() else (2, 4, 2)
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    steps = _block_map(data, "steps")
    layout = (_comment_column(steps, 2 * mapping), 2 * mapping)
    tail = _take_tail(steps)  # the comments and blank lines that end the section
    changes: list[Change] = []
    for step, step_values in values.items():
        changes += _merge_step(_block_map(steps, step), step, step_values, overwrite, layout)
    _give_tail(steps, tail)
    out = io.StringIO()
    rt.dump(data, out)
    merged = _splice(text, out.getvalue(), original_section, rt)
    parse_config(merged, label)
    return LearnedMerge(merged, tuple(changes))


def _comment_column(steps: Any, indent: int) -> int:
    """The column the file's step comments use, so learned comments line up with them
    (at least two spaces after the value: `indent` is the keys' column)."""
    columns = [indent + 12] + [
        entry[2].column
        for node in steps.values()
        if hasattr(node, "ca")
        for entry in node.ca.items.values()
        if len(entry) > 2 and entry[2] is not None and entry[2].column
    ]
    return max(columns)


def _splice(original: str, dumped: str, section: tuple[int, int] | None, rt: Any) -> str:
    """`original` with its `steps:` section replaced by the dumped one."""
    new_data = rt.load(dumped)
    start, end = _section(dumped, new_data, "steps") or (0, 0)
    block = dumped.splitlines(keepends=True)[start:end]
    lines = original.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if section is None:
        return "".join(lines + block)
    return "".join(lines[: section[0]] + block + lines[section[1] :])
