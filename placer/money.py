"""The one money rule, and every money string placer shows.

Amounts are USD :class:`~decimal.Decimal`. Plan files keep them to a hundredth of a cent
(:func:`kept`); people are shown whole cents (:func:`usd`, :func:`amount`) and prices per
hour to a hundredth of a cent (:func:`per_hour`). Every rounding is **half-up**, as an
invoice rounds: $2.5050 is $2.51 in `placer plan`, `placer report` and the markdown alike.

Totals are computed from the kept amounts and rounded once, never summed from rounded rows,
so shown rows can miss a shown total by a cent or two; tables that show both say so
(:func:`rows_add_up` tells when). A *change* is the difference of the two shown amounts, so
``before -> after (change)`` always adds up as displayed.

A leaf module (it imports only :mod:`decimal`): the plan, the optimizer's messages and the
output layer all format money here.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "CENT",
    "KEPT",
    "amount",
    "cents",
    "change",
    "kept",
    "per_hour",
    "percent_change",
    "percent_text",
    "rows_add_up",
    "signed_percent",
    "signed_usd",
    "usd",
    "whole_percent",
]

KEPT = Decimal("0.0001")  # a hundredth of a cent: the precision plan files keep
CENT = Decimal("0.01")
_ONE = Decimal(1)
_TENTH = Decimal("0.1")


def _decimal(value: float | Decimal | str) -> Decimal:
    """A float through its shortest repr (0.1 is 0.1, not 0.1000000000000000055...)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def kept(value: float | Decimal | str) -> Decimal:
    """A USD amount rounded half-up to a hundredth of a cent, the precision plans keep."""
    return _decimal(value).quantize(KEPT, rounding=ROUND_HALF_UP)


def cents(value: float | Decimal | str) -> Decimal:
    """The amount rounded half-up to whole cents: what is shown."""
    return _decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def amount(value: float | Decimal | str) -> str:
    """``1,234.56`` (a table cell under a USD header); a negative amount as ``-1.00``."""
    return f"{cents(value):,.2f}"


def usd(value: float | Decimal | str) -> str:
    """``$1,234.56``; a negative amount as ``-$1.00``."""
    rounded = cents(value)
    text = f"${abs(rounded):,.2f}"
    return f"-{text}" if rounded < 0 else text


def signed_usd(value: float | Decimal | str) -> str:
    """``+$12.00`` / ``-$3.40``; zero (after rounding) as ``$0.00``."""
    rounded = cents(value)
    if rounded == 0:
        return "$0.00"
    return ("+" if rounded > 0 else "-") + usd(abs(rounded))


def per_hour(value: float | Decimal | str | None) -> str:
    """A price per hour to a hundredth of a cent, ``0.1008``; ``-`` when there is none."""
    if value is None:
        return "-"
    return f"{kept(value):.4f}"


def percent_change(before: Decimal, after: Decimal) -> Decimal | None:
    """The change in percent of `before`; None when `before` is zero (no base to divide by)."""
    if before == 0:
        return None
    return (after - before) / before * 100


def percent_text(pct: Decimal) -> str:
    """A percentage as a decimal string with one decimal, ``12.3`` (JSON reports, plans)."""
    return str(pct.quantize(_TENTH, rounding=ROUND_HALF_UP))


def whole_percent(ratio: Decimal) -> str:
    """A ratio as a whole percentage, ``0.085`` -> ``9%``."""
    return f"{(ratio * 100).quantize(_ONE, rounding=ROUND_HALF_UP)}%"


def signed_percent(pct: Decimal) -> str:
    """``+12%`` / ``-3%`` / ``0%``; a change that rounds to 0 but is not 0 as ``+<1%``."""
    if pct == 0:
        return "0%"
    whole = pct.quantize(_ONE, rounding=ROUND_HALF_UP)
    if whole == 0:
        return "+<1%" if pct > 0 else "-<1%"
    return f"{whole:+}%"


def change(before: Decimal, after: Decimal) -> str:
    """A change as shown in tables: ``+$12.00 (+5%)``, ``$0.00 (0%)``, ``+$3.00`` from zero.
    It is the difference of the *shown* amounts, so a row adds up as displayed."""
    shown_before, shown_after = cents(before), cents(after)
    delta = shown_after - shown_before
    if delta == 0:
        return "$0.00 (0%)"
    pct = percent_change(shown_before, shown_after)
    return signed_usd(delta) if pct is None else f"{signed_usd(delta)} ({signed_percent(pct)})"


def rows_add_up(rows: Iterable[Decimal], total: Decimal) -> bool:
    """True when the rows, each shown in cents, add up to the total shown in cents."""
    return sum((cents(r) for r in rows), Decimal(0)) == cents(total)
