"""Mutator mode: placement.json, the placer_placement module and `@PlacerPlacement`.

The proof that Metaflow's own deploy follows it is in test_apply_integration.py; here:
which files are written, that inherited steps need no edit, that re-applies only rewrite
the JSON, that placer reads the placed flow as Metaflow will run it, and that the other
modes refuse inherited steps naming this one.
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest
from fixtures.plan.apply_plans import AWS, GCP, SPOT_POOL, make_plan, step_plan

from placer.apply import ApplyOptions, apply_plan, write_outcome
from placer.apply._placement_mutator import kubernetes_arguments
from placer.cli import main
from placer.cli._env import Environment
from placer.flow import read_flow
from placer.plan import Plan

INHERIT = Path(__file__).parent / "fixtures" / "projects" / "inherit"
TEMPLATE = Path(__file__).parent.parent / "placer" / "apply" / "_placement_mutator.py"
SELECTORS = [GCP, SPOT_POOL, AWS]
WIRED = "".join(
    f"warning: step '{name}': node_selector read the flow's own Config; @PlacerPlacement "
    "sets the plan's placement over it at deploy time (the source keeps its wiring)\n"
    for name in ("train", "gather")
)


def project(tmp_path: Path) -> Path:
    """A copy of the shared-pipeline project; returns its flow file."""
    shutil.copytree(INHERIT, tmp_path / "proj")
    return tmp_path / "proj" / "flow.py"


def plan_for(flow_path: Path, shift: int = 0) -> Plan:
    """A plan placing the steps in turn on GCP, a compute pool and AWS."""
    flow = read_flow(flow_path)
    steps = {}
    for index, name in enumerate(flow.steps):
        selector = SELECTORS[(index + shift) % len(SELECTORS)]
        pool = "spot-pool" if selector is SPOT_POOL else None
        steps[name] = step_plan(selector, pool)
    plan = make_plan(flow.name, steps, flow_path.name, flow_path.read_bytes())
    return dataclasses.replace(plan, flow_sources=flow.relative_sources())


def write_plan(plan: Plan, flow_path: Path) -> Path:
    path = flow_path.parent / "plan.json"
    path.write_text(plan.dumps())
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["apply", *argv], Environment(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_mutator_mode_writes_three_files_and_edits_no_step(tmp_path):
    flow = project(tmp_path)
    base = flow.parent / "common" / "pipeline.py"
    before = base.read_bytes()
    plan = plan_for(flow)
    code, out, err = run(str(write_plan(plan, flow)), "--mode", "mutator")
    assert (code, err) == (0, WIRED)
    text = flow.read_text()
    assert "from placer_placement import PlacerPlacement\n" in text
    assert "@PlacerPlacement\nclass Training(Pipeline):" in text
    assert (flow.parent / "placer_placement.py").read_bytes() == TEMPLATE.read_bytes()
    document = json.loads((flow.parent / "placement.json").read_text())
    assert set(document["steps"]) == set(plan.steps)
    assert document["steps"]["prepare"]["compute_pool"] == "spot-pool"
    assert base.read_bytes() == before  # the inherited steps' source is untouched
    for name in ("placement.json", "placer_placement.py", "flow.py"):
        assert f"wrote {flow.parent / name}" in out


def test_a_later_apply_only_rewrites_the_json(tmp_path):
    flow = project(tmp_path)
    assert run(str(write_plan(plan_for(flow), flow)), "--mode", "mutator")[0] == 0
    applied, module = flow.read_bytes(), (flow.parent / "placer_placement.py").read_bytes()
    # a new plan, made on the applied flow, moves every step
    code, out, err = run(str(write_plan(plan_for(flow, shift=1), flow)), "--mode", "mutator")
    assert (code, err) == (0, WIRED)
    assert flow.read_bytes() == applied
    assert (flow.parent / "placer_placement.py").read_bytes() == module
    assert out.count("wrote ") == 1 and f"wrote {flow.parent / 'placement.json'}" in out
    # and once more: nothing to change
    code, out, _ = run(str(flow.parent / "plan.json"), "--mode", "mutator")
    assert code == 0 and "wrote" not in out
    assert run(str(flow.parent / "plan.json"), "--mode", "mutator", "--check")[0] == 0


def test_check_and_diff_write_nothing(tmp_path):
    flow = project(tmp_path)
    plan_path = write_plan(plan_for(flow), flow)
    code, out, _ = run(str(plan_path), "--mode", "mutator", "--check")
    assert code == 2
    code, out, _ = run(str(plan_path), "--mode", "mutator", "--diff")
    assert code == 0 and "+@PlacerPlacement" in out and "+++ b/" in out
    assert not (flow.parent / "placement.json").exists()


def test_placer_reads_the_placed_flow_as_metaflow_will_run_it(tmp_path):
    flow = project(tmp_path)
    plan = plan_for(flow)
    assert run(str(write_plan(plan, flow)), "--mode", "mutator")[0] == 0
    placed = read_flow(flow)
    original = read_flow(INHERIT / "flow.py")
    for name, step in placed.steps.items():
        expected = dict(plan.steps[name].node_selector)
        if plan.steps[name].compute_pool:
            expected["outerbounds.co/compute-pool"] = plan.steps[name].compute_pool
        assert dict(step.placement.node_selector) == expected, name
        assert step.backend == "kubernetes"
        # sizes stay what the flow asks (Config-valued ones included)
        assert step.pod_request == original.steps[name].pod_request, name
    assert placed.steps["train"].decorator("kubernetes").config_args == {"memory"}


def test_decorators_and_config_modes_name_mutator_mode_for_inherited_steps(tmp_path):
    flow = project(tmp_path)
    plan_path = write_plan(plan_for(flow), flow)
    for mode in ("decorators", "config"):
        code, _, err = run(str(plan_path), "--mode", mode)
        assert code == 2
        assert err.startswith(
            f"error: {flow}: planned step(s) start (from Pipeline (common/pipeline.py:13)), "
            "prepare (from Pipeline (common/pipeline.py:18))"
        )
        assert "To fix: use --mode mutator" in err


def test_a_config_wired_selector_is_kept_in_the_source_with_a_warning(tmp_path):
    flow = project(tmp_path)
    code, _, err = run(str(write_plan(plan_for(flow), flow)), "--mode", "mutator")
    assert (code, err) == (0, WIRED)
    assert 'node_selector=config_expr("config.pool")' in flow.read_text()


def test_a_planned_step_the_flow_lacks_is_refused(tmp_path):
    flow = project(tmp_path)
    plan = plan_for(flow)
    steps = {**plan.steps, "ghost": step_plan(AWS)}
    plan_path = write_plan(dataclasses.replace(plan, steps=steps), flow)
    code, _, err = run(str(plan_path), "--mode", "mutator")
    assert code == 2 and "planned step(s) ghost not found in Training" in err


def test_a_changed_base_module_makes_the_plan_stale(tmp_path):
    flow = project(tmp_path)
    plan_path = write_plan(plan_for(flow), flow)
    base = flow.parent / "common" / "settings.py"
    base.write_text(base.read_text().replace("PREP_CPU = 2", "PREP_CPU = 4"))
    for mode in ("mutator", "decorators"):
        code, _, err = run(str(plan_path), "--mode", mode)
        assert code == 2
        assert err.startswith(
            f"error: {base}: common/settings.py, which the flow reads, changed since the plan "
            "was made"
        )
    assert run(str(plan_path), "--mode", "mutator", "--force")[0] == 0


def test_library_outcome_lists_unplanned_steps(tmp_path):
    flow = project(tmp_path)
    plan = plan_for(flow)
    steps = {k: v for k, v in plan.steps.items() if k != "gather"}
    outcome = apply_plan(
        dataclasses.replace(plan, steps=steps),
        flow.parent / "plan.json",
        ApplyOptions(mode="mutator"),
    )
    assert "step 'gather' is not in the plan; left as it is" in outcome.warnings
    write_outcome(outcome)
    assert "gather" not in json.loads((flow.parent / "placement.json").read_text())["steps"]


@pytest.mark.parametrize(
    "specs, entry, expected",
    [
        # an existing @kubernetes keeps its other arguments
        (
            [("kubernetes", "k", [], {"cpu": "4", "node_selector": "a=b", "image": "x"})],
            {"node_selector": {"p": "gcp"}, "compute_pool": None},
            {"cpu": "4", "image": "x", "node_selector": {"p": "gcp"}, "compute_pool": None},
        ),
        # a compute pool: its label is left to compute_pool=
        (
            [],
            {
                "node_selector": {"outerbounds.co/compute-pool": "cp", "t": "1"},
                "compute_pool": "cp",
            },
            {"node_selector": {"t": "1"}, "compute_pool": "cp"},
        ),
        # @batch moves to Kubernetes with the arguments both share; sizes from --right-size
        (
            [("batch", "b", [], {"cpu": "2", "queue": "q", "gpu": None, "image": "i"})],
            {"node_selector": {}, "cpu": 0.5, "memory": 512},
            {
                "cpu": "0.5",
                "memory": "512",
                "image": "i",
                "node_selector": None,
                "compute_pool": None,
            },
        ),
    ],
)
def test_kubernetes_arguments_of_the_mutator(specs, entry, expected):
    assert kubernetes_arguments(specs, entry) == expected


def test_right_size_sets_cpu_and_memory_through_the_mutator(tmp_path):
    flow = project(tmp_path)
    plan = plan_for(flow)
    declared = {"cpu": 1.0, "memory": 512.0, "disk": 0.0, "gpu": 0}
    steps = {**plan.steps, "train": dataclasses.replace(plan.steps["train"], declared=declared)}
    plan_path = write_plan(dataclasses.replace(plan, steps=steps), flow)
    code, _, err = run(str(plan_path), "--mode", "mutator", "--right-size")
    assert code == 0, err
    entry = json.loads((flow.parent / "placement.json").read_text())["steps"]["train"]
    assert (entry["cpu"], entry["memory"]) == (1.0, 512.0)
    train = read_flow(flow).steps["train"]  # @resources(cpu=config.train.cpu) still floors cpu
    assert (train.resources.cpu, train.resources.memory_mb) == (8, 4096)


SIMPLE = """\
from metaflow import FlowSpec, step


class Simple(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
"""


def test_another_mode_on_a_mutator_placed_flow_warns(tmp_path):
    flow = tmp_path / "flow.py"
    flow.write_text(SIMPLE)

    def plan_now() -> Path:
        steps = {"start": step_plan(GCP), "end": step_plan(AWS)}
        return write_plan(make_plan("Simple", steps, "flow.py", flow.read_bytes()), flow)

    assert run(str(plan_now()), "--mode", "mutator")[0] == 0
    code, _, err = run(str(plan_now()), "--mode", "decorators")
    assert code == 0
    assert err == (
        "warning: Simple also carries @PlacerPlacement (mutator mode), which sets the "
        "placement in placement.json over these decorators at deploy time: remove it and its "
        "import, or apply with --mode mutator\n"
    )


def test_a_module_of_the_same_name_is_never_overwritten(tmp_path):
    flow = project(tmp_path)
    mine = flow.parent / "placer_placement.py"
    mine.write_text("X = 1\n")
    code, _, err = run(str(write_plan(plan_for(flow), flow)), "--mode", "mutator")
    assert code == 2
    assert err.startswith(f"error: {mine}: placer_placement.py exists and is not the module")
    assert mine.read_text() == "X = 1\n" and not (flow.parent / "placement.json").exists()


def test_the_standalone_mutator_keeps_placers_label_and_batch_arguments():
    """placer_placement.py is copied next to the flow and imports nothing from placer, so it
    keeps its own copies: they must say what placer's do."""
    from placer.apply import _placement_mutator as standalone
    from placer.flow._resources import BATCH_KEPT
    from placer.labels import COMPUTE_POOL_LABEL

    assert standalone.COMPUTE_POOL_LABEL == COMPUTE_POOL_LABEL
    assert frozenset(standalone.BATCH_KEPT) == BATCH_KEPT
