"""Compute pools in a plan: the label in node_selector or not, apply writes the same thing.

`placer plan` records a compute-pool pool with its full selector (the pool's labels plus
`outerbounds.co/compute-pool`) and `compute_pool` beside it; plans written before that
(and hand-made ones) leave the label out. Every mode must treat both alike, and refuse a
plan where they disagree.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from fixtures.plan.apply_plans import AWS, make_plan, step_plan

from placer.apply import ApplyOptions, apply_plan, placement_document, selectors_document
from placer.cli import main
from placer.cli._env import Environment
from placer.errors import ApplyError

FIXTURES = Path(__file__).parent / "fixtures" / "apply"
LABEL = "outerbounds.co/compute-pool"

# (label left out, as `placer plan` wrote it before; full, as it writes now): one pool
FORMS = {
    "no labels": ({}, {LABEL: "warehouse"}),
    "own labels": ({"team": "etl"}, {"team": "etl", LABEL: "warehouse"}),
}


def _plans(case: str, flow: Path):
    planner, full = FORMS[case]
    return [
        make_plan(
            "TrickyFlow",
            {
                "start": step_plan(AWS),
                "middle": step_plan(selector, "warehouse"),
                "end": step_plan(AWS),
            },
            "flow.py",
            flow.read_bytes(),
        )
        for selector in (planner, full)
    ]


@pytest.mark.parametrize("case", sorted(FORMS))
@pytest.mark.parametrize("mode", ["decorators", "config"])
def test_both_forms_rewrite_the_flow_identically(tmp_path, case, mode):
    flow = tmp_path / "flow.py"
    shutil.copy(FIXTURES / "tabs.flow", flow)
    outcomes = [
        apply_plan(plan, tmp_path / "plan.json", ApplyOptions(mode=mode))
        for plan in _plans(case, flow)
    ]
    assert [f.after for f in outcomes[0].files] == [f.after for f in outcomes[1].files]


def test_decorators_mode_spells_the_pool_as_compute_pool(tmp_path):
    flow = tmp_path / "flow.py"
    shutil.copy(FIXTURES / "tabs.flow", flow)
    for case, expected in (
        ("no labels", b'\t@kubernetes(compute_pool="warehouse")\n\t@step\n\tdef middle'),
        (
            "own labels",
            b'\t@kubernetes(node_selector={"team": "etl"}, compute_pool="warehouse")\n'
            b"\t@step\n\tdef middle",
        ),
    ):
        for plan in _plans(case, flow):
            after = apply_plan(plan, tmp_path / "plan.json", ApplyOptions()).files[0].after
            assert expected in after, case
            assert after.count(LABEL.encode()) == 0, case  # compute_pool= adds the label


@pytest.mark.parametrize("case", sorted(FORMS))
def test_both_forms_give_the_same_documents(tmp_path, case):
    flow = tmp_path / "flow.py"
    shutil.copy(FIXTURES / "tabs.flow", flow)
    planner, full = _plans(case, flow)
    assert selectors_document(planner, False) == selectors_document(full, False)
    assert placement_document(planner) == placement_document(full)
    middle = selectors_document(planner, False)["steps"]["middle"]
    assert middle["node_selector"] == FORMS[case][1]  # the full selector, label included
    assert middle["compute_pool"] == "warehouse"


def test_a_label_that_contradicts_compute_pool_is_refused(tmp_path):
    flow = tmp_path / "flow.py"
    shutil.copy(FIXTURES / "tabs.flow", flow)
    steps = {
        "start": step_plan(AWS),
        "middle": step_plan({LABEL: "other"}, "warehouse"),
        "end": step_plan(AWS),
    }
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(make_plan("TrickyFlow", steps, "flow.py", flow.read_bytes()).dumps())
    for mode in ("decorators", "config", "selectors"):
        out, err = io.StringIO(), io.StringIO()
        code = main(["apply", str(plan_path), "--mode", mode], Environment(stdout=out, stderr=err))
        assert code == 2, mode
        assert err.getvalue() == (
            f"error: {plan_path}: steps.middle: node_selector has "
            f"{LABEL}=other but compute_pool is warehouse. To fix: re-run `placer plan`\n"
        )
    assert flow.read_bytes() == (FIXTURES / "tabs.flow").read_bytes()
    assert not (tmp_path / "placement.json").exists()
    with pytest.raises(ApplyError, match="compute_pool is warehouse"):
        apply_plan(make_plan("TrickyFlow", steps), plan_path, ApplyOptions(flow=flow, force=True))
