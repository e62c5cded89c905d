"""The report tests' hand-made plans (tests/fixtures/plan/report_plans.py) match their
scenario and survive the plan's JSON form."""

from decimal import Decimal

from fixtures.plan.report_plans import demo_base, demo_head, etl_head, old_base

from placer.plan import Cost, Plan


def test_factory_plans_round_trip_through_plan_json_with_edges():
    head = demo_head()
    again = Plan.from_json(head.as_json())
    assert again == head
    assert again.steps["train"].next == ("score",)
    assert "next" not in again.steps["end"].as_json()  # written only when known
    # as_written per month was given directly; per run is it divided by 30 runs
    assert head.baselines["as_written"].per_run.compute == Decimal("46.6667")


def test_factory_monthly_totals_match_the_scenario():
    assert demo_base().per_month.total == Decimal("1611.00")
    assert demo_head().per_month == Cost(Decimal("1314.00"), Decimal("45.00"))
    assert etl_head().per_month.total == Decimal("10.80")
    assert old_base().per_month.total == Decimal("22.00")
