"""The JSON form of a :class:`Flow` printed by `placer graph --format json`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from placer.flow._model import Flow, Resources, Step, Unevaluated


def flow_as_json(flow: Flow) -> dict[str, Any]:
    """`{"flow", "file", "sha256", "line", "steps": {name: {...}}}` with JSON-ready values."""
    return {
        "flow": flow.name,
        "file": str(flow.file),
        "sha256": flow.sha256,
        "line": flow.line,
        "steps": {name: step_as_json(step) for name, step in flow.steps.items()},
        "sources": [{"file": str(path), "sha256": sha} for path, sha in flow.sources.items()],
        "warnings": list(flow.warnings),
    }


def step_as_json(step: Step) -> dict[str, Any]:
    """One step: the issue's keys (type, next, ..., line) and the reader's extras."""
    return {
        "type": step.type,
        "next": list(step.next),
        "foreach": step.foreach,
        "in_foreach": step.in_foreach,
        "decorators": [d.name for d in step.decorators],
        "resources": _resources(step.resources),
        "node_selector": dict(step.placement.node_selector),
        "line": step.line,
        "file": str(step.file) if step.file is not None else None,
        "owner": step.owner,
        "foreach_stack": list(step.foreach_stack),
        "num_parallel": step.num_parallel,
        "condition": step.condition,
        "cases": dict(step.switch_cases) if step.type == "split-switch" else None,
        "backend": step.backend,
        "pod_request": _resources(step.pod_request),
        "declared": _resources(step.declared),
        "compute_pool": step.placement.compute_pool,
        "tolerations": [_plain(t) for t in step.placement.tolerations],
        "decorator_args": [
            {
                "name": d.name,
                "args": _plain(d.args),
                "line": d.line,
                "file": str(d.file) if d.file is not None else None,
            }
            for d in step.decorators
        ],
    }


def _resources(res: Resources | None) -> dict[str, Any] | None:
    return res.as_json() if res is not None else None


def _plain(value: Any) -> Any:
    """Decorator argument values as JSON: tuples/sets become lists, unevaluated code a dict."""
    if isinstance(value, Unevaluated):
        return {"unevaluated": value.source}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, complex) or value is Ellipsis:
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "inf"/"nan": JSON has no such numbers
    return value
