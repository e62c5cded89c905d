"""The JSON report: golden file, field names, money as decimal strings, nulls when not compared."""

import json
from decimal import Decimal

from fixtures.plan.report_plans import bases, demo_head, heads

from placer.output.report import REPORT_FORMAT_VERSION, render, report_json
from placer.report import build_report, check_thresholds, parse_threshold


def test_compare_json_golden(golden):
    golden("report/compare.json", render(heads(), bases(), "json"))


def test_single_plan_json_golden(golden):
    golden("report/plan.json", render(demo_head(), None, "json"))


def test_totals_and_diff_by_hand():
    data = json.loads(render(heads(), bases(), "json"))
    assert data["format_version"] == REPORT_FORMAT_VERSION == "1.0"
    assert data["currency"] == "USD"
    assert data["total_monthly_cost"] == "1369.8000"
    assert data["past_total_monthly_cost"] == "1633.0000"
    assert data["diff_total_monthly_cost"] == "-263.2000"
    assert data["diff_percent"] == "-16.1"  # -263.20 / 1633 = -16.12%
    demo, etl, old = data["projects"]
    assert [p["status"] for p in data["projects"]] == ["changed", "new", "removed"]
    assert demo["breakdown"]["compute_monthly_cost"] == "1314.0000"
    assert demo["past_breakdown"]["total_monthly_cost"] == "1611.0000"
    train = next(s for s in demo["diff"]["steps"] if s["name"] == "train")
    assert train == {
        "name": "train",
        "status": "moved",
        "pool_before": "aws-use1",
        "pool_after": "gcp-usc1",
        "monthly_cost": "-240.0000",
        "percent": "-16.0",
    }
    assert etl["past_breakdown"] == {
        "steps": [],
        "compute_monthly_cost": "0.0000",
        "egress_monthly_cost": "0.0000",
        "total_monthly_cost": "0.0000",
    }
    assert old["breakdown"]["steps"] == [] and old["diff"]["total_monthly_cost"] == "-22.0000"
    assert demo["savings"]["as_written"]["monthly_savings"] == "141.0000"
    assert demo["savings"]["as_written"]["percent"] == "9.4"


def _money_strings(node, path="$"):
    """Every *_cost / compute / egress / total value, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("_cost") or key in ("compute", "egress", "total", "monthly_cost"):
                if not isinstance(value, dict):
                    yield f"{path}.{key}", value
            yield from _money_strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _money_strings(value, f"{path}[{i}]")


def test_every_amount_is_a_decimal_string():
    found = list(_money_strings(report_json(build_report(heads(), bases()))))
    assert len(found) > 40
    for where, value in found:
        assert isinstance(value, str), where
        assert Decimal(value).as_tuple().exponent == -4, where


def test_not_compared_means_null():
    data = json.loads(render(heads(), None, "json"))
    assert data["compared"] is False
    assert data["past_total_monthly_cost"] is None
    assert data["diff_total_monthly_cost"] is None
    assert all(p["past_breakdown"] is None and p["diff"] is None for p in data["projects"])
    assert data["total_monthly_cost"] == "1369.8000"


def test_thresholds_are_listed():
    report = build_report(bases(), heads())  # +263.20
    checks = check_thresholds(report, [parse_threshold("warn-on-increase", "5%")])
    [entry] = report_json(report, checks)["thresholds"]
    assert entry == {
        "option": "--warn-on-increase",
        "limit": "5",
        "unit": "percent",
        "status": "warn",
        "message": "monthly cost change +$263.20 (+19%) is above --warn-on-increase 5%",
    }
