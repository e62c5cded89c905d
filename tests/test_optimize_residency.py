"""Residency means data: a resident step's inputs and outputs stay on its continent
(placer.optimize.residency)."""

import pytest
from fixtures.plan.factory import config, flow, market, offer, pool, step

from placer.config import Constraints, ExternalRead, StepUsage
from placer.errors import PlanError
from placer.optimize import plan_flow
from pricing import Location

OFFERS = [
    offer("aws", "us-east-1", "m.large", 2, 8, 0.10),
    offer("aws", "eu-west-1", "m.eu", 2, 8, 0.12),
]
US, EU = pool("us", "aws", "us-east-1"), pool("eu", "aws", "eu-west-1")
EU_STORE = Location("aws", "eu-west-1")


def evaluate_flow():
    return flow(
        step("start", ["evaluate"], type="start"), step("evaluate", ["end"]), step("end", [])
    )


USAGE = {"evaluate": StepUsage(input_gb=2.0, output_gb=1.0)}


def plan(constraints, **kw):
    return plan_flow(
        evaluate_flow(), config([US, EU], USAGE, constraints=constraints, **kw), market(OFFERS)
    )


def test_a_resident_step_whose_data_is_in_another_continent_is_refused():
    with pytest.raises(PlanError) as info:
        plan(Constraints(residency={"eu": ("evaluate",)}))
    assert info.value.headline == (
        "evaluate must keep its data in eu, but its inputs and outputs (the datastore) are in "
        "aws:us-east-1 (na): 3 GB a run would cross the eu boundary"
    )
    assert info.value.hint.startswith("put the datastore in eu (datastore: in placer.yaml")


def test_with_the_datastore_on_its_continent_the_step_is_planned_there():
    result = plan(Constraints(residency={"eu": ("evaluate",)}), datastore=EU_STORE)
    assert result.steps["evaluate"].pool == "eu"
    assert not any("boundary" in w for w in result.warnings)


def test_allowed_crossings_are_planned_and_listed():
    allowed = Constraints(residency={"eu": ("evaluate",)}, residency_data="allow")
    result = plan(allowed)
    assert result.steps["evaluate"].pool == "eu"
    # 2 GB in + 1 GB out a task, one task a run; egress priced as for any step
    assert result.steps["evaluate"].cost.egress > 0
    assert result.warnings[-1] == (
        "data of resident steps crosses their boundary (constraints.residency_data: allow): "
        "evaluate (eu): 3 GB a run, its inputs and outputs (the datastore) in aws:us-east-1 (na)"
    )


def test_a_read_from_outside_the_continent_is_a_crossing_too():
    usage = {
        "evaluate": StepUsage(
            residency="eu", reads=(ExternalRead(Location("aws", "us-east-1"), 5.0),)
        )
    }
    c = config([US, EU], usage, datastore=EU_STORE)
    with pytest.raises(PlanError, match=r"but a read is in aws:us-east-1 \(na\): 5 GB a run"):
        plan_flow(evaluate_flow(), c, market(OFFERS))
