"""The range of every number placer reads: placer.yaml, plan files, flows, command lines.

A number outside its range (NaN, infinity, a 38-digit integer, a negative size) is bad
input, exit 2, naming where it came from; it never reaches the optimizer, a plan file or a
report. The bounds are far beyond any real flow; docs/reliability.md lists them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Range:
    """`low` (excluded when `low_open`) to `high` (included), in `unit`."""

    low: float
    high: float
    low_open: bool = False
    unit: str = ""

    def problem(self, value: float | Decimal) -> str | None:
        """Why `value` is out of range (a phrase to follow the field's name), or None.

        Ints are compared exactly (a 400-digit integer is simply too large)."""
        if isinstance(value, Decimal):
            if not value.is_finite():
                return f"must be a finite number, got {value}"
        elif not isinstance(value, int) and not math.isfinite(value):
            return f"must be a finite number, got {value}"
        if value < self.low or (self.low_open and value == self.low) or value > self.high:
            return f"must be {self.text()}, got {_shown(value)}"
        return None

    def text(self) -> str:
        """`greater than 0 and at most 8,760 hours`, `from 1 to 1,000,000`."""
        unit = f" {self.unit}" if self.unit else ""
        if self.low_open:
            return f"greater than {_shown(self.low)} and at most {_shown(self.high)}{unit}"
        return f"from {_shown(self.low)} to {_shown(self.high)}{unit}"


def _shown(value: float | Decimal) -> str:
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"a {len(str(abs(value)))}-digit number"
    if abs(float(value)) >= 1e15:
        return f"{float(value):.3g}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{float(value):g}"


# placer.yaml
RUNS_PER_MONTH = Range(0, 1_000_000, low_open=True)  # a run every 2.6 s
DURATION_HOURS = Range(0, 8_760, low_open=True, unit="hours")  # a year per task
SIZE_GB = Range(0, 1e9, unit="GB")  # an exabyte per task
COUNT = Range(1, 1_000_000)  # tasks, foreach width, workers
NODES = Range(0, 1_000_000)
CAPACITY = Range(0, 1e9)  # a pool's vCPUs, GiB or GPUs
SPEED = Range(0, 1_000, low_open=True)
SPOT_OVERHEAD = Range(0, 100)
BUDGET_USD = Range(0, 1e12, low_open=True, unit="USD per month")
BANDWIDTH_GBPS = Range(0, 1e6, low_open=True, unit="Gbps")
MAX_PODS = Range(1, 10_000)
DAEMONSET_PODS = Range(0, 10_000)
DAEMONSET_CPU = Range(0, 10_000, unit="cores")
DAEMONSET_MEMORY_GIB = Range(0, 1e6, unit="GiB")
# a flow's @resources / @kubernetes (Metaflow units: MB)
CPU = Range(0, 100_000, low_open=True)
MEMORY_MB = Range(0, 1e10, low_open=True, unit="MB")
DISK_MB = Range(0, 1e12, low_open=True, unit="MB")
GPU = Range(0, 1_000)
# plan files
USD = Range(0, 1e15, unit="USD")
HOURS = Range(0, 1e13, unit="hours")
TASKS = COUNT
SOLVER_SECONDS = Range(0, 1e7, unit="seconds")
GAP = Range(0, 1e6)
# command lines
TIME_LIMIT_SECONDS = Range(0, 604_800, low_open=True, unit="seconds")  # a week
WATCH_SECONDS = Range(0, 86_400, low_open=True, unit="seconds")
