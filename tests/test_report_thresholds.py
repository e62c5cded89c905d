"""Thresholds: parsing limits and checking them against report totals.

Increase scenario: base = head plans of the factory, head = its base plans, so the total goes
from $1,369.80 to $1,633.00: +$263.20, +19.2% (263.20 / 1369.80 = 0.19214...).
"""

from decimal import Decimal as D

import pytest
from fixtures.plan.report_plans import bases, demo_base, heads, plan, step

from placer.errors import ExitStatus, ReportError, ThresholdExceeded
from placer.output.report import headline
from placer.report import build_report, check_thresholds, parse_threshold, raise_if_failed


def _increase():
    return build_report(bases(), heads())


@pytest.mark.parametrize(
    ("text", "limit", "percent"),
    [
        ("10%", "10", True),
        ("25", "25", False),
        ("$25", "25", False),
        (" 2.5% ", "2.5", True),
        ("1,500", "1500", False),
    ],
)
def test_parse(text, limit, percent):
    t = parse_threshold("fail-on-increase", text)
    assert (t.limit, t.percent) == (D(limit), percent)


@pytest.mark.parametrize("text", ["ten", "-5", "10%%", "", "5 USD"])
def test_parse_rejects_with_option_and_hint(text):
    with pytest.raises(ReportError) as info:
        parse_threshold("fail-on-increase", text)
    assert info.value.location == "--fail-on-increase"
    assert "10% or 25" in info.value.hint


def test_fail_above_takes_no_percent():
    with pytest.raises(ReportError, match="fail-above"):
        parse_threshold("fail-above", "10%")


def _levels(report, *specs):
    thresholds = [parse_threshold(kind, text) for kind, text in specs]
    return [r.level for r in check_thresholds(report, thresholds)]


def test_percent_increase():
    # +19.2%: above 19%, within 20%
    assert _levels(_increase(), ("fail-on-increase", "19%"), ("fail-on-increase", "20%")) == [
        "fail",
        "ok",
    ]


def test_usd_increase_is_strictly_above():
    # +263.20: above 263, within 263.20 (equal does not trip)
    assert _levels(_increase(), ("fail-on-increase", "263"), ("fail-on-increase", "263.20")) == [
        "fail",
        "ok",
    ]


def test_warn_only_warns():
    assert _levels(_increase(), ("warn-on-increase", "5%")) == ["warn"]


def test_decrease_trips_nothing():
    report = build_report(heads(), bases())  # -263.20
    assert _levels(report, ("fail-on-increase", "0"), ("fail-on-increase", "0%")) == ["ok", "ok"]


def test_fail_above_checks_the_new_total():
    # new total 1,633.00
    assert _levels(_increase(), ("fail-above", "1633"), ("fail-above", "1632.99")) == ["ok", "fail"]


def test_fail_above_works_without_a_base():
    assert _levels(build_report([demo_base()]), ("fail-above", "1000")) == ["fail"]


def test_increase_from_zero_trips_any_percent():
    report = build_report([plan("F", {"start": step("aws-use1", "0.01")})], [])
    assert _levels(report, ("fail-on-increase", "1000%")) == ["fail"]


def test_increase_needs_a_base():
    with pytest.raises(ReportError, match="needs plans to compare with") as info:
        check_thresholds(build_report(heads()), [parse_threshold("warn-on-increase", "5%")])
    assert "--compare-to" in info.value.hint


def test_message_names_the_threshold_and_amounts():
    [result] = check_thresholds(_increase(), [parse_threshold("fail-on-increase", "10%")])
    assert result.message == "monthly cost change +$263.20 (+19%) is above --fail-on-increase 10%"


def test_raise_if_failed_names_every_failed_threshold_with_exit_3():
    results = check_thresholds(
        _increase(),
        [
            parse_threshold("fail-on-increase", "10%"),
            parse_threshold("warn-on-increase", "1%"),
            parse_threshold("fail-above", "1000"),
        ],
    )
    with pytest.raises(ThresholdExceeded) as info:
        raise_if_failed(results)
    assert info.value.exit_status == ExitStatus.THRESHOLD
    assert "--fail-on-increase 10%" in info.value.headline
    assert "--fail-above $1,000.00" in info.value.headline
    assert "warn-on-increase" not in info.value.headline


def test_raise_if_failed_passes_on_warnings_only():
    results = check_thresholds(_increase(), [parse_threshold("warn-on-increase", "1%")])
    raise_if_failed(results)  # must not raise
    assert results[0].tripped


def _one_step(cost: str) -> list:
    return [plan("F", {"start": step("aws-use1", cost)}, runs=1)]


def test_checks_use_the_amounts_the_report_shows():
    # $0.001 -> $10.004 a month: shown $0.00 -> $10.00, a change of +$10.00 (exactly +$10.003)
    report = build_report(_one_step("10.004"), _one_step("0.001"))
    assert headline(report) == "💰 Monthly cost will increase by $10.00"
    [inc, above] = check_thresholds(
        report, [parse_threshold("fail-on-increase", "10"), parse_threshold("fail-above", "10")]
    )
    assert (inc.level, inc.message) == (
        "ok",
        "monthly cost change +$10.00 is within --fail-on-increase $10.00",
    )
    assert (above.level, above.message) == (
        "ok",
        "monthly cost $10.00 is within --fail-above $10.00",
    )


def test_check_message_agrees_with_the_headline_to_the_cent():
    # $0.001 -> $10.005: shown $0.00 -> $10.01 (half-up); the exact change is +$10.004
    report = build_report(_one_step("10.005"), _one_step("0.001"))
    assert headline(report) == "💰 Monthly cost will increase by $10.01"
    [inc] = check_thresholds(report, [parse_threshold("fail-on-increase", "10")])
    assert (inc.level, inc.message) == (
        "fail",
        "monthly cost change +$10.01 is above --fail-on-increase $10.00",
    )
