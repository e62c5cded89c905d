"""The stale check's comparison: what the plan priced against the flow now, step by step."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fixtures.plan.apply_plans import AWS, make_plan, step_plan

from placer.apply._priced import priced_change
from placer.flow import Flow, Resources, Step

POD = Resources(cpu=1.0, memory_mb=4096.0, disk_mb=10240.0)
DECLARED = Resources(cpu=1.0, memory_mb=512.0, disk_mb=0.0)


def _flow(**changes: dict) -> Flow:
    """start -> fan (foreach) -> body -> join -> end, with per-step field changes."""
    steps = {
        "start": Step("start", "start", ("fan",), 3),
        "fan": Step("fan", "foreach", ("body",), 6, foreach="xs"),
        "body": Step("body", "linear", ("join",), 9, foreach_stack=("fan",)),
        "join": Step("join", "join", ("end",), 12),
        "end": Step("end", "end", (), 15),
    }
    for name, step in steps.items():
        step = dataclasses.replace(step, pod_request=POD, declared=DECLARED)
        steps[name] = dataclasses.replace(step, **changes.get(name, {}))
    return Flow("F", Path("flow.py"), 1, steps, "sha")


def _plan(flow: Flow, **changes: dict):
    steps = {}
    for name, step in flow.steps.items():
        priced = dataclasses.replace(
            step_plan(AWS),
            resources=step.pod_request.as_json(),
            declared=step.declared.as_json() if step.declared else None,
            next=step.next,
            node_type=step.type,
            foreach_stack=step.foreach_stack,
            num_parallel=step.num_parallel,
        )
        steps[name] = dataclasses.replace(priced, **changes.get(name, {}))
    return make_plan("F", steps)


def test_the_plans_own_flow_has_no_change():
    flow = _flow()
    assert priced_change(_plan(flow), flow) is None


@pytest.mark.parametrize(
    ("flow_changes", "step", "what"),
    [
        ({"body": {"pod_request": Resources(1.0, 8192.0, 10240.0)}}, "body",
         "its pod request changed: memory 4096 MB -> 8192 MB"),
        ({"body": {"pod_request": Resources(1.0, 4096.0, 10240.0, 2, "nvidia")}}, "body",
         "its pod request changed: gpu 0 -> 2"),
        ({"body": {"pod_request": Resources(1.0, 4096.0, 10240.0, 0, "amd")}}, "body",
         "its pod request changed: gpu_vendor none -> amd"),
        ({"body": {"declared": None}}, "body", "its @resources changed: some -> none"),
        ({"body": {"declared": Resources(2.0, 512.0, 0.0)}}, "body",
         "its @resources changed: cpu 1 -> 2"),
        ({"body": {"foreach_stack": ()}}, "body",
         "the foreach steps around it changed: fan -> (none)"),
        ({"body": {"num_parallel": 4}}, "body", "num_parallel changed: None -> 4"),
        ({"fan": {"type": "linear"}}, "fan", "its Metaflow node type changed: foreach -> linear"),
        ({"start": {"next": ("fan", "end")}}, "start",
         "its next steps changed: fan -> fan, end"),
    ],
)  # fmt: skip
def test_the_first_difference_is_named(flow_changes, step, what):
    plan = _plan(_flow())
    change = priced_change(plan, _flow(**flow_changes))
    assert change is not None
    assert (change.step, change.what) == (step, what)
    assert change.line == _flow().steps[step].line


def test_new_and_vanished_steps():
    flow = _flow()
    plan = _plan(flow)
    smaller = dataclasses.replace(plan, steps={k: v for k, v in plan.steps.items() if k != "end"})
    change = priced_change(smaller, flow)
    assert (change.step, change.line, change.what) == ("end", 15, "the step is new since the plan")
    bigger = dataclasses.replace(plan, steps={**plan.steps, "gone": step_plan(AWS)})
    change = priced_change(bigger, flow)
    assert (change.step, change.line) == ("gone", 0)
    assert change.what == "the plan's step is no longer in the flow"


def test_right_size_owns_cpu_and_memory_of_steps_with_resources():
    flow = _flow(body={"pod_request": Resources(1.0, 512.0, 10240.0)})  # right-sized by apply
    plan = _plan(_flow())
    assert priced_change(plan, flow, right_size=True) is None
    change = priced_change(plan, flow)
    assert change is not None and change.what.endswith("memory 4096 MB -> 512 MB")
    disk = _flow(body={"pod_request": Resources(1.0, 512.0, 20480.0)})
    assert priced_change(plan, disk, right_size=True).what.endswith("disk 10240 MB -> 20480 MB")


def test_plans_before_format_1_2_compare_what_they_recorded():
    flow = _flow(fan={"type": "linear"})
    legacy = _plan(_flow(), **{n: {"node_type": None} for n in _flow().steps})
    assert priced_change(legacy, flow) is None  # node types were not recorded
    no_edges = _plan(_flow(), **{n: {"next": ()} for n in _flow().steps})
    assert priced_change(no_edges, _flow(start={"next": ("fan", "end")})) is None
