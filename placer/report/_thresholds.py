"""Cost thresholds for CI: fail or warn when the monthly cost grows too much or is too high.

``--fail-on-increase 10%`` (percent of the compared monthly total) or ``--fail-on-increase 25``
(USD per month), ``--fail-above 500`` (USD per month, the new total) and
``--warn-on-increase ...``. A threshold trips when the amount is strictly above its limit.
Checks run on the report's totals over all flows, rounded to cents as the report shows them,
so a message never disagrees with the headline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from placer.errors import ReportError, ThresholdExceeded
from placer.money import cents, change, percent_change, usd
from placer.report._diff import Report

Kind = Literal["fail-on-increase", "warn-on-increase", "fail-above"]
_NUMBER = re.compile(r"^\$?(\d+(?:\.\d+)?)(%?)$")


@dataclass(frozen=True)
class Threshold:
    """One limit from the command line: a USD amount, or a percent for increases."""

    kind: Kind
    limit: Decimal
    percent: bool = False

    @property
    def option(self) -> str:
        return f"--{self.kind}"

    def __str__(self) -> str:
        return f"{self.limit}%" if self.percent else usd(self.limit)


@dataclass(frozen=True)
class CheckResult:
    """A threshold checked against a report: whether it tripped, and a sentence saying so."""

    threshold: Threshold
    tripped: bool
    message: str

    @property
    def level(self) -> Literal["ok", "warn", "fail"]:
        if not self.tripped:
            return "ok"
        return "warn" if self.threshold.kind == "warn-on-increase" else "fail"


def parse_threshold(kind: Kind, text: str) -> Threshold:
    """Read ``10%``, ``25`` or ``$25`` for `kind`; anything else is a one-line ReportError."""
    match = _NUMBER.match(text.strip().replace(",", ""))
    if match is None or (match.group(2) and kind == "fail-above"):
        example = "500" if kind == "fail-above" else "10% or 25"
        raise ReportError(
            f"bad threshold {text!r}",
            location=f"--{kind}",
            hint=f"give a number of USD per month{'' if kind == 'fail-above' else ' or a percent'}"
            f", e.g. --{kind} {example}",
        )
    return Threshold(kind, Decimal(match.group(1)), percent=bool(match.group(2)))


def _check_increase(t: Threshold, report: Report) -> CheckResult:
    """Compare the change the report shows (the difference of the totals in cents)."""
    before = report.before_per_month
    if before is None:
        raise ReportError(
            f"{t.option} needs plans to compare with",
            location=t.option,
            hint="pass the base branch's plans with --compare-to",
        )
    shown_before, shown_after = cents(before), cents(report.after_per_month)
    delta = shown_after - shown_before
    pct = percent_change(shown_before, shown_after)
    if t.percent:
        # From $0 any increase is an infinite percentage: it trips every percent limit.
        tripped = delta > 0 and (pct is None or pct > t.limit)
    else:
        tripped = delta > t.limit
    verb = "is above" if tripped else "is within"
    shown = change(before, report.after_per_month)
    return CheckResult(t, tripped, f"monthly cost change {shown} {verb} {t.option} {t}")


def _check_above(t: Threshold, report: Report) -> CheckResult:
    total = cents(report.after_per_month)
    tripped = total > t.limit
    verb = "is above" if tripped else "is within"
    return CheckResult(t, tripped, f"monthly cost {usd(total)} {verb} {t.option} {t}")


def check_thresholds(report: Report, thresholds: Sequence[Threshold]) -> tuple[CheckResult, ...]:
    """Check each threshold against the report's totals, in the order given."""
    return tuple(
        _check_above(t, report) if t.kind == "fail-above" else _check_increase(t, report)
        for t in thresholds
    )


def raise_if_failed(results: Sequence[CheckResult]) -> None:
    """Raise ThresholdExceeded (exit 3) naming every failing threshold; call after writing."""
    failed = [r.message for r in results if r.level == "fail"]
    if failed:
        raise ThresholdExceeded(
            "; ".join(failed),
            hint="lower the cost, or raise the threshold if the increase is intended",
        )
