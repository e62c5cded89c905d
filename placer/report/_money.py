"""How reports write money and changes: ``$1,234.56``, ``+$12.00``, ``-$3.40``, ``+12%``.

Amounts are rounded to cents half-up for display only; the report's data keeps the plan's
precision. A change is the difference of the two *displayed* amounts, so a table row adds up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")
_ONE = Decimal(1)


def cents(amount: Decimal) -> Decimal:
    """The amount rounded to whole cents, half-up (as an invoice would)."""
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def usd(amount: Decimal) -> str:
    """``$1,234.56``; a negative amount as ``-$1.00``."""
    rounded = cents(amount)
    text = f"${abs(rounded):,.2f}"
    return f"-{text}" if rounded < 0 else text


def signed_usd(amount: Decimal) -> str:
    """``+$12.00`` / ``-$3.40``; zero (after rounding) as ``$0.00``."""
    rounded = cents(amount)
    if rounded == 0:
        return "$0.00"
    return ("+" if rounded > 0 else "-") + usd(abs(rounded))


def percent_change(before: Decimal, after: Decimal) -> Decimal | None:
    """The change in percent of `before`; None when `before` is zero (no base to divide by)."""
    if before == 0:
        return None
    return (after - before) / before * 100


def signed_percent(pct: Decimal) -> str:
    """``+12%`` / ``-3%`` / ``0%``; a change that rounds to 0 but is not 0 as ``+<1%``."""
    if pct == 0:
        return "0%"
    whole = pct.quantize(_ONE, rounding=ROUND_HALF_UP)
    if whole == 0:
        return "+<1%" if pct > 0 else "-<1%"
    return f"{whole:+}%"


def change(before: Decimal, after: Decimal) -> str:
    """A change as shown in tables: ``+$12.00 (+5%)``, ``$0.00 (0%)``, ``+$3.00`` from zero."""
    shown_before, shown_after = cents(before), cents(after)
    delta = shown_after - shown_before
    if delta == 0:
        return "$0.00 (0%)"
    pct = percent_change(shown_before, shown_after)
    return signed_usd(delta) if pct is None else f"{signed_usd(delta)} ({signed_percent(pct)})"
