"""Fetchers that talk to the clouds' price APIs (imported lazily: they pull in the SDKs).

Each ``fetch_<cloud>(regions, policy, progress, ...)`` returns a :class:`FetchResult` or
raises :class:`FetchError`; :mod:`pricing.refresh` runs them and writes the cache.
"""

from pricing.fetch._result import EgressRate, FetchError, FetchResult, Progress, Shape
from pricing.fetch._retry import RetryPolicy

__all__ = ["EgressRate", "FetchError", "FetchResult", "Progress", "RetryPolicy", "Shape"]
