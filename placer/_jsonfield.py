"""Typed, located access to a parsed JSON document (a plan file), for one-line errors.

A plan file may be hand-edited or hostile, so every field is read through :class:`Field`:
the expected type, a finite number within its range (:mod:`placer.limits`), valid label
syntax; anything else raises PlanError naming the field's path (``steps.train.hours``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from placer.errors import PlanError
from placer.limits import Range

_HINT = "re-run `placer plan` (the plan file is damaged or was edited by hand)"
_MISSING = object()


@dataclass(frozen=True)
class Field:
    """A JSON value and the path that led to it."""

    value: Any
    path: str = ""

    def error(self, message: str) -> PlanError:
        return PlanError(message, self.path or None, _HINT)

    def _child(self, value: Any, key: str | int) -> Field:
        if isinstance(key, int):
            return Field(value, f"{self.path}[{key}]")
        return Field(value, f"{self.path}.{key}" if self.path else key)

    def get(self, key: str) -> Field:
        """The required member `key` of an object."""
        found = self.obj().get(key, _MISSING)
        if found is _MISSING:
            raise self._child(None, key).error("missing")
        return self._child(found, key)

    def opt(self, key: str) -> Field | None:
        """The member `key`, or None when it is absent or null."""
        found = self.obj().get(key)
        return None if found is None else self._child(found, key)

    def obj(self) -> Mapping[str, Any]:
        if not isinstance(self.value, dict):
            raise self.error(f"expected an object, got {_kind(self.value)}")
        return self.value

    def members(self) -> dict[str, Field]:
        """An object's members by key (keys are text by JSON's rules)."""
        return {key: self._child(value, key) for key, value in self.obj().items()}

    def items(self) -> list[Field]:
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {_kind(self.value)}")
        return [self._child(v, i) for i, v in enumerate(self.value)]

    def text(self) -> str:
        if not isinstance(self.value, str):
            raise self.error(f"expected text, got {_kind(self.value)}")
        return self.value

    def name(self) -> str:
        """Non-empty text (a flow, step or pool name)."""
        text = self.text()
        if not text.strip():
            raise self.error("must not be empty")
        return text

    def texts(self) -> tuple[str, ...]:
        return tuple(item.text() for item in self.items())

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {_kind(self.value)}")
        return self.value

    def number(self, limits: Range) -> float:
        """A JSON number (not a bool), finite and within `limits`."""
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"expected a number, got {_kind(value)}")
        if problem := limits.problem(value):
            raise self.error(problem)
        return float(value) if isinstance(value, float) else value

    def integer(self, limits: Range) -> int:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"expected a whole number, got {_kind(value)}")
        if problem := limits.problem(value):
            raise self.error(problem)
        return value

    def decimal(self, limits: Range) -> Decimal:
        """A decimal string (as plans write money and hours), finite and within `limits`."""
        value = self.value
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(f"expected a decimal number, got {_kind(value)}")
        if isinstance(value, str) and len(value) > 60:
            raise self.error(f"expected a decimal number, got {len(value)} characters")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.error(f"expected a decimal number, got {value!r}") from None
        if problem := limits.problem(number):
            raise self.error(problem)
        return number


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
