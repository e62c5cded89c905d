"""`@step` must be the innermost decorator; Metaflow refuses a flow where it is not."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from placer.apply._names import MetaflowNames


def find(decorators: Sequence[cst.Decorator], names: MetaflowNames, name: str) -> int | None:
    """Index of the decorator that resolves to Metaflow's `name`, if any."""
    return next((i for i, d in enumerate(decorators) if names.resolve(d.decorator) == name), None)


def is_innermost(decorators: Sequence[cst.Decorator], index: int) -> bool:
    """Whether the decorator at `index` sits directly above the `def`."""
    return index == len(decorators) - 1


def move_innermost(decorators: Sequence[cst.Decorator], index: int) -> list[cst.Decorator]:
    """The decorators with the one at `index` moved directly above the `def`.

    A comment line above the moved decorator moves with it; the first decorator's
    blank lines and comments belong to the `def` in libcst, so they stay on top.
    """
    out = list(decorators)
    out.append(out.pop(index))
    return out
