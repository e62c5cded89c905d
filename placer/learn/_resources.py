"""The resources a step ran with, from the decorators Metaflow recorded in `_graph_info`.

Metaflow stores each step's decorators with their attributes after `step_init` (for
@kubernetes and @batch that is after @resources was merged in by max), so these are the
values the pod or job asked for. A local run records @resources but does not apply it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BACKENDS = ("kubernetes", "batch")
_NUMBERS = ("cpu", "memory", "disk", "gpu")  # memory and disk in MB, as Metaflow takes them
_PLACEMENT = ("node_selector", "compute_pool", "queue", "image")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value))
    except ValueError:
        return None  # "None" (Metaflow writes unset attributes as text) or an expression
    return number if number == number else None  # nan


def step_resources(graph_info: Mapping[str, Any] | None, step: str) -> dict[str, Any] | None:
    """{"backend": "kubernetes", "cpu": 4.0, "memory": 16384.0, ...} or None if unknown."""
    if not graph_info:
        return None
    node = (graph_info.get("steps") or {}).get(step)
    if not isinstance(node, Mapping):
        return None
    decorators = {
        str(d.get("name")): d.get("attributes") or {}
        for d in node.get("decorators") or ()
        if isinstance(d, Mapping)
    }
    backend = next((b for b in BACKENDS if b in decorators), "local")
    attributes = decorators.get(backend if backend != "local" else "resources", {})
    out: dict[str, Any] = {"backend": backend}
    for key in _NUMBERS:
        value = _number(attributes.get(key))
        if value is not None:
            out[key] = value
    for key in _PLACEMENT:
        value = attributes.get(key)
        if value not in (None, "None", "", {}):
            out[key] = value
    return out


def resources_text(resources: Mapping[str, Any] | None) -> str:
    """ "kubernetes 4 cpu, 16384 MB, 1 gpu" (what the table and comments show)."""
    if not resources:
        return ""
    parts = []
    if "cpu" in resources:
        parts.append(f"{resources['cpu']:g} cpu")
    if "memory" in resources:
        parts.append(f"{resources['memory']:g} MB")
    if resources.get("gpu"):
        parts.append(f"{resources['gpu']:g} gpu")
    if resources["backend"] == "local":
        return f"local (@resources {', '.join(parts)} not applied)" if parts else ""
    return f"{resources['backend']} {', '.join(parts)}".strip()
