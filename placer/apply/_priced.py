"""Is the flow now the flow the plan priced? (The stale check behind `apply` and `--check`.)

The flow file's sha256 changes with every apply, every comment and every reformat, so it
cannot tell a stale plan from an applied one. What must not have changed is what the plan
priced: the steps and their edges (the DAG), where each step's task count comes from (its
node type, the foreaches around it, num_parallel), each step's merged pod request (cpu,
memory, disk, GPUs and their vendor) and what @resources alone asks (`--right-size`
writes it). Placement arguments, formatting and comments are not compared. (placer.yaml
and every other file the flow was read from are compared by hash: `_stale`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from placer.flow import Flow, Step
from placer.plan import Plan, StepPlan

_UNITS = {"memory": " MB", "disk": " MB"}
_REQUEST_KEYS = ("cpu", "memory", "disk", "gpu", "gpu_vendor")


@dataclass(frozen=True)
class Change:
    """The first difference found: which step, its line (0: not in the flow), and what."""

    step: str
    line: int
    what: str


def priced_change(plan: Plan, flow: Flow, right_size: bool = False) -> Change | None:
    """The first step (in flow order) whose priced facts differ from the plan's, or None.

    With `right_size`, apply itself sets @kubernetes cpu and memory to @resources', so
    those two are compared through `declared` only, for steps that have one.
    """
    edges_known = any(s.next for s in plan.steps.values())
    for name, step in flow.steps.items():
        priced = plan.steps.get(name)
        if priced is None:
            return Change(name, step.line, "the step is new since the plan")
        what = _step_change(priced, step, right_size, edges_known)
        if what is not None:
            return Change(name, step.line, what)
    gone = next((name for name in plan.steps if name not in flow.steps), None)
    if gone is not None:
        return Change(gone, 0, "the plan's step is no longer in the flow")
    return None


def _step_change(priced: StepPlan, step: Step, right_size: bool, edges_known: bool) -> str | None:
    if edges_known and tuple(priced.next) != tuple(step.next):
        return f"its next steps changed: {_names(priced.next)} -> {_names(step.next)}"
    if priced.node_type is not None:  # plans from format 1.2 on record where tasks come from
        if priced.node_type != step.type:
            return f"its Metaflow node type changed: {priced.node_type} -> {step.type}"
        if tuple(priced.foreach_stack) != tuple(step.foreach_stack):
            return (
                f"the foreach steps around it changed: {_names(priced.foreach_stack)} -> "
                f"{_names(step.foreach_stack)}"
            )
        if priced.num_parallel != step.num_parallel:
            return f"num_parallel changed: {priced.num_parallel} -> {step.num_parallel}"
    pod = step.pod_request or step.resources
    now = pod.as_json() if pod is not None else {}
    skip = {"cpu", "memory"} if right_size and priced.declared is not None else set()
    if what := _request_change(priced.resources, now, skip, "its pod request"):
        return what
    declared = step.declared.as_json() if step.declared is not None else None
    if (priced.declared is None) != (declared is None):
        was, is_ = ("none", "some") if declared is not None else ("some", "none")
        return f"its @resources changed: {was} -> {is_}"
    if priced.declared is not None and declared is not None:
        return _request_change(priced.declared, declared, set(), "its @resources")
    return None


def _request_change(
    before: Mapping[str, Any], after: Mapping[str, Any], skip: set[str], what: str
) -> str | None:
    for key in _REQUEST_KEYS:
        if key in skip:
            continue
        old, new = _value(before.get(key), key), _value(after.get(key), key)
        if old != new:
            unit = _UNITS.get(key, "")
            return f"{what} changed: {key} {_shown(old)}{unit} -> {_shown(new)}{unit}"
    return None


def _value(value: Any, key: str) -> Any:
    """Numbers compared as numbers (a plan stores 4096.0, a flow may say 4096); no gpu is 0."""
    if value is None and key == "gpu":
        return 0
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _names(names: tuple[str, ...] | Any) -> str:
    return ", ".join(names) if names else "(none)"
