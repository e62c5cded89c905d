"""A YAML node with the key path that led to it, so config errors name file, line and key.

placer.yaml is composed into nodes (not plain values); :class:`YamlNode` walks them with
typed accessors that raise a one-line ConfigError such as
``placer.yaml:12: pools[1].capacity_type: must be one of on-demand, spot, got 'spto'``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from placer.errors import ConfigError, did_you_mean
from placer.limits import Range

__all__ = ["YamlNode"]

_CONSTRUCTOR = SafeConstructor()


@dataclass(frozen=True)
class YamlNode:
    """A YAML node, the key path that led to it and the file label, for error messages."""

    node: yaml.Node
    path: str
    label: str

    @property
    def line(self) -> int:
        """1-based line of the node in the file."""
        return self.node.start_mark.line + 1

    def error(self, message: str, hint: str | None = None) -> ConfigError:
        """A ConfigError located at this node: ``file:line: path: message``."""
        where = f"{self.path}: " if self.path else ""
        return ConfigError(f"{where}{message}", f"{self.label}:{self.line}", hint)

    def child(self, node: yaml.Node, key: str | int) -> YamlNode:
        """The node under `key` (a mapping key or a list index), its path extended."""
        if isinstance(key, int):
            return YamlNode(node, f"{self.path}[{key}]", self.label)
        return YamlNode(node, f"{self.path}.{key}" if self.path else key, self.label)

    def mapping(self, allowed: Sequence[str] | None = None) -> dict[str, YamlNode]:
        """The mapping's children by key; unknown and duplicate keys are errors."""
        if self.is_null():
            return {}
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error(f"expected a mapping, got {self.describe()}")
        out: dict[str, YamlNode] = {}
        for key_node, value_node in self.node.value:
            key = str(YamlNode(key_node, self.path, self.label).value())
            key_at = self.child(key_node, key)
            if allowed is not None and key not in allowed:
                raise key_at.error(
                    "unknown key",
                    did_you_mean(key, allowed) or f"valid keys are {', '.join(allowed)}",
                )
            if key in out:
                raise key_at.error("duplicate key", "keep one of the two")
            out[key] = self.child(value_node, key)
        return out

    def items(self) -> list[YamlNode]:
        """The sequence's children; a single scalar counts as a one-item list."""
        if self.is_null():
            return []
        if isinstance(self.node, yaml.ScalarNode):
            return [self]
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error(f"expected a list, got {self.describe()}")
        return [self.child(n, i) for i, n in enumerate(self.node.value)]

    def value(self) -> Any:
        """The plain Python value (YAML 1.1 scalars as PyYAML reads them).

        A tag PyYAML's safe loader does not construct (`!foo`, `!!python/object`) or cannot
        apply (`!!float abc`) is an error at the node's line, like any other bad value."""
        try:
            return _CONSTRUCTOR.construct_object(self.node, deep=True)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            raise self.error(
                f"cannot read the value tagged {self.node.tag!r}: {problem}",
                "remove the tag (placer.yaml holds plain values: text, numbers, lists, maps)",
            ) from None
        except (ValueError, OverflowError) as exc:  # `!!float abc`, `!!int x`
            raise self.error(
                f"cannot read the value tagged {self.node.tag!r}: {exc}",
                "remove the tag (placer.yaml holds plain values: text, numbers, lists, maps)",
            ) from None

    def is_null(self) -> bool:
        """True for an empty value (`key:` or `null`)."""
        return isinstance(self.node, yaml.ScalarNode) and self.value() is None

    def describe(self) -> str:
        """How the node reads in an error: "a mapping", "a list" or the value's repr."""
        if isinstance(self.node, yaml.MappingNode):
            return "a mapping"
        if isinstance(self.node, yaml.SequenceNode):
            return "a list"
        return repr(self.value())

    def text(self) -> str:
        """A non-empty scalar as text (numbers accepted: region names can look numeric)."""
        value = self.value()
        if not isinstance(value, str | int | float) or isinstance(value, bool) or value == "":
            raise self.error(f"expected text, got {self.describe()}")
        return str(value)

    def number(self, limits: Range) -> float:
        """A finite number within `limits`."""
        value = self.value()
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"expected a number, got {self.describe()}")
        return self.within(value, limits)

    def integer(self, limits: Range) -> int:
        """A whole number within `limits`."""
        value = self.value()
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"expected a whole number, got {self.describe()}")
        return int(self.within(value, limits))

    def within(self, value: float, limits: Range) -> float:
        """`value` as a float if it is in `limits`; else an error at this node."""
        problem = limits.problem(value)
        if problem:
            said = limits.text() in problem  # a NaN's message does not state the range
            raise self.error(problem, None if said else f"set it to a value {limits.text()}")
        return float(value)

    def choice(self, options: Sequence[str]) -> str:
        """One of `options`, else an error suggesting the closest."""
        value = self.text()
        if value not in options:
            hint = did_you_mean(value, options)  # the headline already lists the options
            raise self.error(f"must be one of {', '.join(options)}, got {value!r}", hint)
        return value

    def parsed(self, parse: Callable[[object], float], limits: Range) -> float:
        """A unit value read by `parse` (a duration or a size), within `limits`."""
        try:
            result = parse(self.value())
        except ValueError as exc:
            raise self.error(str(exc)) from None
        except OverflowError:
            raise self.error(
                f"{self.describe()} is too large: it must be {limits.text()}"
            ) from None
        return self.within(result, limits)

    def texts(self) -> tuple[str, ...]:
        """A list of texts (a single text counts as a one-item list)."""
        return tuple(item.text() for item in self.items())
