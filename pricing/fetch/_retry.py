"""Retries with exponential backoff for throttled or briefly failing price API calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` calls in all, waiting ``base_delay_s * 2**n`` between.

    ``timeout_s`` bounds each wait on the network (connect, each read); ``total_s`` bounds
    a cloud's whole fetch, retries and waits included. ``sleep`` is swappable so tests do
    not wait.
    """

    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    timeout_s: float = 30.0
    total_s: float = 900.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def delay_s(self, retry: int) -> float:
        """The wait before retry number ``retry`` (0-based)."""
        return min(self.max_delay_s, self.base_delay_s * 2**retry)


def call_with_retries(
    call: Callable[[], T],
    is_transient: Callable[[BaseException], bool],
    policy: RetryPolicy,
    on_retry: Callable[[], None],
    remaining: Callable[[], float] | None = None,
) -> T:
    """Run ``call``; on a transient error wait and try again, up to ``policy.attempts``.

    A non-transient error, or the last transient one, propagates unchanged; so does the
    transient one when waiting would pass the deadline (`remaining` seconds left).
    """
    for retry in range(policy.attempts):
        try:
            return call()
        except Exception as exc:  # re-raised below unless the caller's predicate says transient
            if retry + 1 >= policy.attempts or not is_transient(exc):
                raise
            if remaining is not None and remaining() <= policy.delay_s(retry):
                raise
        on_retry()
        policy.sleep(policy.delay_s(retry))
    raise AssertionError("unreachable: the loop returns or raises")
