"""Spot interruptions: how much longer, and dearer, a task runs when its node can be taken.

The providers publish how often spot capacity is reclaimed as bands (AWS Spot Instance
Advisor: <5%, 5-10%, 10-15%, 15-20%, >20% over the trailing month; Azure's eviction rates
0-5% ... 20+% over 28 days; GCP's preemption rate per day and machine type). placer reads
a band as the share ``f`` of spot nodes interrupted within a day of running (batch nodes
under an autoscaler live about that long), so a node is lost at the constant rate
``lambda = -ln(1 - f) / 24`` per hour. A task of ``T`` hours then

- is interrupted with probability ``1 - exp(-lambda T)``;
- takes ``(exp(lambda T) - 1) / lambda`` hours on average when an interrupted task starts
  over (Metaflow's @retry reruns a task from its start; without @retry the run fails and
  ``resume`` reruns it): a factor ``(exp(lambda T) - 1) / (lambda T)`` on its time and cost.
"""

from __future__ import annotations

import math


def hazard_per_hour(share_per_day: float) -> float:
    """Interruptions per node-hour for a share of nodes interrupted per day."""
    if share_per_day <= 0:
        return 0.0
    return -math.log(1.0 - share_per_day) / 24.0


def expected_factor(hours: float, share_per_day: float) -> float:
    """Expected time (and cost) of a task of `hours`, started over when interrupted, over
    its uninterrupted time."""
    x = hazard_per_hour(share_per_day) * hours
    return math.expm1(x) / x if x > 0 else 1.0


def interrupted(hours: float, share_per_day: float) -> float:
    """The probability that a task of `hours` is interrupted at least once."""
    return -math.expm1(-hazard_per_hour(share_per_day) * hours)
