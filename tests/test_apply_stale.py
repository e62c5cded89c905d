"""The staleness rule: sha256 of flow and config, and 'already applied' flows."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

import pytest
from fixtures.plan.apply_plans import AWS, make_plan, step_plan, tricky_plan

from placer.apply import ApplyOptions, apply_plan
from placer.apply._stale import locate, sha256_of
from placer.errors import ApplyError, StalePlan

FIXTURES = Path(__file__).parent / "fixtures" / "apply"


def test_sha256_is_of_the_bytes():
    assert sha256_of(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_locate_prefers_the_plan_directory_then_the_cwd(tmp_path, monkeypatch):
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "flow.py").write_text("x")
    assert locate("flow.py", plans / "plan.json") == plans / "flow.py"
    assert locate("other.py", plans / "plan.json") == Path("other.py")
    assert locate(str(tmp_path / "abs.py"), plans / "plan.json") == tmp_path / "abs.py"


def test_already_applied_flow_is_reported_not_refused(tmp_path):
    flow = tmp_path / "flow.py"
    flow.write_bytes((FIXTURES / "tabs.expected.flow").read_bytes())
    plan = tricky_plan((FIXTURES / "tabs.flow").read_bytes())  # made before the apply
    outcome = apply_plan(plan, tmp_path / "plan.json", ApplyOptions(flow=flow))
    assert outcome.already_applied and not outcome.changed
    assert outcome.notes == (f"{flow} already matches the plan",)


def test_stale_flow_whose_steps_vanished_reports_the_staleness(tmp_path):
    flow = tmp_path / "flow.py"
    shutil.copy(FIXTURES / "tabs.flow", flow)
    plan = make_plan(
        "TrickyFlow", {"start": step_plan(AWS), "train": step_plan(AWS)}, flow_bytes=b"the old flow"
    )
    with pytest.raises(StalePlan, match="flow.py:10: the flow changed since the plan was made: "
                       "step 'middle': the step is new since the plan"):  # fmt: skip
        apply_plan(plan, tmp_path / "plan.json", ApplyOptions(flow=flow))
    with pytest.raises(ApplyError, match="planned step.s. train not found"):
        apply_plan(plan, tmp_path / "plan.json", ApplyOptions(flow=flow, force=True))


def test_missing_config_file_is_stale(tmp_path):
    flow = tmp_path / "flow.py"
    shutil.copy(FIXTURES / "tabs.flow", flow)
    plan = make_plan(
        "TrickyFlow",
        tricky_plan().steps,
        "flow.py",
        flow.read_bytes(),
        config_file="placer.yaml",
        config_bytes=b"x: 1\n",
    )
    with pytest.raises(ApplyError, match="the config file the plan was made with is missing"):
        apply_plan(plan, tmp_path / "plan.json", ApplyOptions())
    assert apply_plan(plan, tmp_path / "plan.json", ApplyOptions(force=True)).changed


def test_stale_flow_with_a_new_unplanned_step_is_refused(tmp_path):
    flow = tmp_path / "flow.py"
    flow.write_bytes((FIXTURES / "tabs.expected.flow").read_bytes())
    plan = make_plan(
        "TrickyFlow",
        {n: s for n, s in tricky_plan().steps.items() if n != "middle"},
        flow_bytes=b"the flow before it grew a step",
    )
    with pytest.raises(StalePlan, match="step 'middle': the step is new since the plan"):
        apply_plan(plan, tmp_path / "plan.json", ApplyOptions(flow=flow))


def _selectors(plan, tmp_path, **options):
    return apply_plan(plan, tmp_path / "plan.json", ApplyOptions(mode="selectors", **options))


def test_selectors_mode_refuses_a_changed_config(tmp_path):
    flow = tmp_path / "flow.py"
    shutil.copy(FIXTURES / "tabs.flow", flow)
    (tmp_path / "placer.yaml").write_bytes(b"x: 2\n")  # the plan was made with x: 1
    plan = make_plan(
        "TrickyFlow",
        tricky_plan().steps,
        "flow.py",
        flow.read_bytes(),
        config_file="placer.yaml",
        config_bytes=b"x: 1\n",
    )
    with pytest.raises(ApplyError, match="config file changed since the plan was made"):
        _selectors(plan, tmp_path)
    assert _selectors(plan, tmp_path, force=True).stdout is not None


def test_selectors_mode_refuses_a_flow_with_other_steps_but_not_an_applied_one(tmp_path):
    flow = tmp_path / "flow.py"
    plan = tricky_plan((FIXTURES / "tabs.flow").read_bytes())
    flow.write_bytes((FIXTURES / "tabs.expected.flow").read_bytes())  # applied: same steps
    assert '"middle"' in _selectors(plan, tmp_path).stdout
    grown = (
        (FIXTURES / "tabs.flow")
        .read_bytes()
        .replace(
            b"\tdef middle(self):\n\t\tself.next(self.end)",
            b"\tdef middle(self):\n\t\tself.next(self.extra)\n\n\t@step\n\tdef extra(self):\n"
            b"\t\tself.next(self.end)",
        )
    )
    flow.write_bytes(grown)
    with pytest.raises(StalePlan, match="step 'middle': its next steps changed: end -> extra"):
        _selectors(plan, tmp_path)
    assert _selectors(plan, tmp_path, force=True).stdout is not None
    flow.unlink()  # no flow at hand: the document stands on its own
    assert _selectors(plan, tmp_path).stdout is not None


def _flow_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A flow in tmp_path, and where its plan would be."""
    flow = tmp_path / "flow.py"
    shutil.copy(FIXTURES / "tabs.flow", flow)
    return flow, tmp_path / "plan.json"


def test_a_hostile_plan_cannot_make_apply_read_outside_the_project(tmp_path):
    (tmp_path / "repo").mkdir()
    flow, plan_path = _flow_copy(tmp_path / "repo")
    plan = dataclasses.replace(
        tricky_plan(flow.read_bytes()), flow_sources={"../../../etc/passwd": "0" * 64}
    )
    with pytest.raises(ApplyError) as info:
        apply_plan(plan, plan_path, ApplyOptions(flow=flow))
    assert info.value.headline == (
        "the plan lists ../../../etc/passwd as read by the flow, outside the flow's project"
    )


def test_a_changed_or_missing_module_is_named(tmp_path):
    (tmp_path / "base.py").write_text("CPU = 2\n")
    sources = {"base.py": sha256_of(b"CPU = 2\n")}
    flow, plan_path = _flow_copy(tmp_path)
    plan = dataclasses.replace(tricky_plan(flow.read_bytes()), flow_sources=sources)
    assert apply_plan(plan, plan_path, ApplyOptions(flow=flow)).changed
    (tmp_path / "base.py").write_text("CPU = 4\n")
    with pytest.raises(ApplyError, match="base.py, which the flow reads, changed since the plan"):
        apply_plan(plan, plan_path, ApplyOptions(flow=flow))
    assert apply_plan(plan, plan_path, ApplyOptions(flow=flow, force=True)).changed
    (tmp_path / "base.py").unlink()
    with pytest.raises(ApplyError, match="base.py, which the flow reads, is missing since"):
        apply_plan(plan, plan_path, ApplyOptions(flow=flow))
