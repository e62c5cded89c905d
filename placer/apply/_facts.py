"""What the flow reader knows that a rewrite of the flow file alone cannot see.

A codemod edits one file; the flow reader follows the project: which planned steps are
inherited (maybe from another module, where no rewrite of the flow file reaches them),
which `@kubernetes` arguments read one of the flow's own Configs (wiring apply must not
remove silently), and which file the flow's `placement` Config really reads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from placer.flow import Flow, FlowConfig

PLACEMENT_CONFIG = "placement"  # the Config config mode wires (name, attribute, JSON stem)


@dataclass(frozen=True)
class FlowFacts:
    """Per-step facts from the flow reader (empty when the flow could not be read)."""

    inherited: Mapping[str, str] = field(default_factory=dict)  # step -> "Base (file:line)"
    config_wired: Mapping[str, frozenset[str]] = field(default_factory=dict)  # step -> args
    placement: FlowConfig | None = None  # the flow's `placement` Config, if it declares one
    steps: tuple[str, ...] | None = None  # every step of the flow (None: not read)

    def wired(self, step: str, arg: str) -> bool:
        """Whether the step's @kubernetes (or @batch) `arg` reads one of the flow's Configs."""
        return arg in self.config_wired.get(step, frozenset())


def flow_facts(flow: Flow | None) -> FlowFacts:
    """The facts apply needs, from a flow read by `placer.flow.read_flow`."""
    if flow is None:
        return FlowFacts()
    inherited, wired = {}, {}
    for name, step in flow.steps.items():
        if step.owner not in (None, flow.name):
            where = _shown(step.file or flow.file, flow.file.parent)
            inherited[name] = f"{step.owner} ({where}:{step.line})"
        args: set[str] = set()
        for deco in step.decorators:
            if deco.name in ("kubernetes", "batch"):
                args |= deco.config_args
        if args:
            wired[name] = frozenset(args)
    placement = flow.configs.get(PLACEMENT_CONFIG)
    return FlowFacts(inherited, wired, placement, tuple(flow.steps))


def _shown(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive (Windows)
        return str(path)


def is_placement_read(source: str | None) -> bool:
    """Whether an argument's source reads config mode's own `placement` Config."""
    if source is None:
        return False
    text = "".join(source.split())
    prefixes = (f'config_expr("{PLACEMENT_CONFIG}.', f"config_expr('{PLACEMENT_CONFIG}.")
    return text.startswith(f"{PLACEMENT_CONFIG}.") or any(p in text for p in prefixes)
