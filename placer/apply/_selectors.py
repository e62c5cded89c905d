"""Selectors mode: the plan's per-step node selectors for other tooling (JSON or YAML)."""

from __future__ import annotations

import json
import shlex
from typing import Any, Literal

from placer.apply._rewrite import full_selector, right_size_values
from placer.plan import Plan

Format = Literal["json", "yaml"]


def selectors_document(plan: Plan, right_size: bool) -> dict[str, Any]:
    """Per step: pool, full node selector, compute pool (and cpu/memory MB to request)."""
    steps: dict[str, Any] = {}
    for name, step in plan.steps.items():
        if step.backend == "batch":  # left on AWS Batch (plan --keep-batch): no selector
            continue
        entry: dict[str, Any] = {
            "pool": step.pool,
            "node_selector": full_selector(step),
            "compute_pool": step.compute_pool,
        }
        sizes = right_size_values(step) if right_size else None
        if sizes is not None:
            entry.update(sizes)
        steps[name] = entry
    return {"flow": plan.flow, "steps": steps}


def render(document: dict[str, Any], fmt: Format) -> str:
    """The document as JSON (2-space indent) or block-style YAML, ending in a newline."""
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    return json.dumps(document, indent=2) + "\n"


def with_option(plan: Plan) -> str | None:
    """`--with kubernetes:node_selector={...}` when every step shares one selector.

    Metaflow applies `--with` only to steps without a static `@kubernetes`, so this is
    for flows that leave placement to the command line.
    """
    selectors = {json.dumps(full_selector(s), sort_keys=True) for s in plan.steps.values()}
    if len(selectors) != 1:
        return None
    selector = full_selector(next(iter(plan.steps.values())))
    if not selector:
        return None
    compact = json.dumps(selector, separators=(",", ":"))
    return "--with " + shlex.quote(f"kubernetes:node_selector={compact}")
