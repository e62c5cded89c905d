"""Lining up base and head plans: step statuses and monthly totals (scenario in the factory)."""

from decimal import Decimal as D

import pytest
from fixtures.plan.report_plans import (
    bases,
    demo_base,
    demo_head,
    etl_head,
    heads,
    old_base,
    plan,
    step,
)

from placer.errors import ReportError
from placer.plan import Cost
from placer.report import build_report


def _flow(report, name):
    return next(f for f in report.flows if f.name == name)


def test_step_statuses_and_order():
    demo = _flow(build_report([demo_head()], [demo_base()]), "DemoFlow")
    # head order first, then steps only the base has
    assert [(s.name, s.status) for s in demo.steps] == [
        ("start", "unchanged"),
        ("train", "moved"),
        ("score", "changed"),
        ("new_step", "new"),
        ("end", "unchanged"),
        ("old_step", "removed"),
    ]


def test_step_monthly_costs_and_changes():
    demo = _flow(build_report([demo_head()], [demo_base()]), "DemoFlow")
    train = demo.steps[1]
    assert train.before_per_month == Cost(D("1500.00"), D("0"))
    assert train.after_per_month == Cost(D("1230.00"), D("30.00"))
    assert train.change_per_month == D("-240")
    new, removed = demo.steps[3], demo.steps[5]
    assert new.before_per_month is None and new.change_per_month == D("6")
    assert removed.after_per_month == Cost() and removed.change_per_month == D("-30")


def test_flow_and_report_totals():
    report = build_report(heads(), bases())
    assert [(f.name, f.status) for f in report.flows] == [
        ("DemoFlow", "changed"),
        ("EtlFlow", "new"),
        ("OldFlow", "removed"),
    ]
    assert _flow(report, "DemoFlow").before_per_month.total == D("1611")
    assert _flow(report, "DemoFlow").after_per_month == Cost(D("1314"), D("45"))
    assert _flow(report, "EtlFlow").before_per_month == Cost()  # new: nothing before
    assert _flow(report, "OldFlow").after_per_month == Cost()
    assert report.before_per_month == D("1633")
    assert report.after_per_month == D("1369.80")
    assert report.change_per_month == D("-263.20")


def test_unchanged_flow():
    report = build_report([demo_base()], [demo_base()])
    assert report.flows[0].status == "unchanged"
    assert report.change_per_month == 0


def test_without_base_nothing_is_compared():
    report = build_report([demo_head(), etl_head()])
    assert not report.compared
    assert report.before_per_month is None and report.change_per_month is None
    assert {s.status for f in report.flows for s in f.steps} == {"planned"}
    assert report.after_per_month == D("1369.80")


def test_runs_per_month_may_differ_between_base_and_head():
    # same per-run cost, twice the runs: the step changed (not unchanged)
    base = plan("F", {"start": step("aws-use1", "1.00")}, runs=10)
    head = plan("F", {"start": step("aws-use1", "1.00")}, runs=20)
    line = build_report([head], [base]).flows[0].steps[0]
    assert line.status == "changed"
    assert line.change_per_month == D("10")


def test_monthly_amounts_keep_full_precision():
    # 0.33335 per run x 3 runs = 1.00005: no rounding before the totals
    head = plan("F", {"a": step("aws-use1", "0.33335"), "b": step("aws-use1", "0.33335")}, runs=3)
    assert build_report([head]).after_per_month == D("2.00010")


def test_two_plans_for_one_flow_is_an_error():
    with pytest.raises(ReportError, match="two head plans for flow DemoFlow"):
        build_report([demo_head(), demo_head()])


def test_no_plans_is_an_error():
    with pytest.raises(ReportError, match="no plans"):
        build_report([], [])


def test_only_base_plans_means_every_flow_was_removed():
    report = build_report([], [old_base()])
    assert report.flows[0].status == "removed"
    assert report.change_per_month == D("-22")


def test_plans_in_different_currencies_are_refused():
    from dataclasses import replace

    euro = replace(etl_head(), currency="EUR")
    with pytest.raises(ReportError, match="different currencies: EUR, USD"):
        build_report([demo_head(), euro])
