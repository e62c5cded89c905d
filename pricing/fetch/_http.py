"""A small JSON-over-HTTPS GET for the unauthenticated Azure Retail Prices API."""

from __future__ import annotations

import functools
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from pricing.fetch._retry import RetryPolicy, call_with_retries

USER_AGENT = "placer-pricing-refresh/1"


class HttpStatusError(Exception):
    """The server answered with a non-2xx status."""

    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status = status
        self.url = url


def is_transient(exc: BaseException) -> bool:
    """Throttling (429), server errors (5xx) and timeouts are worth retrying."""
    if isinstance(exc, HttpStatusError):
        return exc.status == 429 or exc.status >= 500
    if isinstance(exc, urllib.error.URLError):
        return isinstance(exc.reason, TimeoutError | socket.timeout)
    return isinstance(exc, TimeoutError)


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` appended to its query string."""
    if not params:
        return url
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + sep + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def get_json(url: str, policy: RetryPolicy, on_retry: Any) -> dict[str, Any]:
    """GET ``url`` and parse a JSON object, retrying transient failures."""
    request = functools.partial(_get_once, url, policy.timeout_s)
    return call_with_retries(request, is_transient, policy, on_retry)


def _get_once(url: str, timeout_s: float) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise HttpStatusError(exc.code, url) from None
    document = json.loads(body)
    if not isinstance(document, dict):
        raise ValueError(f"expected a JSON object from {url}")
    return document
