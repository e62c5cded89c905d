"""The one money rule and every money string (placer.money): half-up everywhere."""

from decimal import Decimal as D

import pytest

from placer.money import (
    amount,
    cents,
    change,
    kept,
    per_hour,
    percent_text,
    rows_add_up,
    signed_percent,
    signed_usd,
    usd,
    whole_percent,
)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("1234.56", "$1,234.56"),
        ("1234567.891", "$1,234,567.89"),
        ("0", "$0.00"),
        ("0.005", "$0.01"),  # half-up, as an invoice rounds
        ("0.0049", "$0.00"),
        ("-3.4", "-$3.40"),
        ("12", "$12.00"),
    ],
)
def test_usd(amount, text):
    assert usd(D(amount)) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("12", "+$12.00"),
        ("-3.4", "-$3.40"),
        ("0", "$0.00"),
        ("0.004", "$0.00"),
        ("-1500", "-$1,500.00"),
    ],
)
def test_signed_usd(amount, text):
    assert signed_usd(D(amount)) == text


@pytest.mark.parametrize(
    ("pct", "text"),
    [
        ("12", "+12%"),
        ("11.5", "+12%"),
        ("-2.5", "-3%"),
        ("0", "0%"),
        ("0.4", "+<1%"),
        ("-0.2", "-<1%"),
        ("-100", "-100%"),
    ],
)
def test_signed_percent(pct, text):
    assert signed_percent(D(pct)) == text


def test_change_with_sign_percent_and_zero():
    assert change(D("100"), D("112")) == "+$12.00 (+12%)"
    assert change(D("200"), D("196.60")) == "-$3.40 (-2%)"  # -1.7% rounds to -2%
    assert change(D("5"), D("5")) == "$0.00 (0%)"
    # a change below half a cent on both sides shows as no change
    assert change(D("5.001"), D("5.003")) == "$0.00 (0%)"
    # from zero there is no percentage
    assert change(D("0"), D("7.5")) == "+$7.50"


def test_change_uses_the_displayed_cents_so_rows_add_up():
    # 1.005 shows as $1.01 and 1.014 as $1.01: the row must not claim a change
    assert change(D("1.005"), D("1.014")) == "$0.00 (0%)"


def test_every_precision_rounds_half_up():
    assert cents(D("2.505")) == D("2.51") and amount(D("2.505")) == "2.51"
    assert cents(2.675) == D("2.68")  # a float through its repr: 2.675, not 2.67499999...
    assert kept("0.00005") == D("0.0001")
    assert per_hour(0.04165) == "0.0417" and per_hour(None) == "-"
    assert percent_text(D("12.25")) == "12.3"
    assert whole_percent(D("0.085")) == "9%" and whole_percent(D("-0.015")) == "-2%"
    assert amount(D("-1234.5")) == "-1,234.50"


def test_rows_add_up_compares_the_shown_cents():
    assert rows_add_up([D("0.334")] * 3, D("1.002")) is False  # 0.33 x 3 = 0.99, shown 1.00
    assert rows_add_up([D("0.10"), D("0.20")], D("0.30")) is True
