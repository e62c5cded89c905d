"""Money and percent formatting in reports."""

from decimal import Decimal as D

import pytest

from placer.report._money import change, signed_percent, signed_usd, usd


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
