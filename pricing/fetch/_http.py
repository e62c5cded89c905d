"""A small, bounded JSON-over-HTTPS GET for the price APIs placer calls itself.

Bounded in every way a misbehaving server (or a mirror, or a proxy) could stretch it:

- each answer is read in chunks up to :data:`MAX_BODY_BYTES`, and never past the fetch's
  total :class:`Deadline` (a body that trickles in forever is cut off, not just a silent
  socket);
- a non-2xx answer becomes :class:`HttpStatusError` carrying the status and a short,
  printable excerpt of what the server said;
- redirects are followed only on the same scheme, host and port (so a bearer token never
  travels elsewhere); :func:`same_origin` is the same rule for paging links;
- :func:`check_endpoint` refuses schemes other than http(s), and plain http for calls
  that carry credentials unless the host is loopback or the user allowed it.
"""

from __future__ import annotations

import functools
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from placer.errors import ConfigError, printable
from pricing.fetch._retry import RetryPolicy, call_with_retries

USER_AGENT = "placer-pricing-refresh/1"
MAX_BODY_BYTES = 64 * 1024 * 1024  # one page; real pages are a few MB at most
EXCERPT_CHARS = 160
_CHUNK = 64 * 1024


class HttpStatusError(Exception):
    """The server answered with a non-2xx status; `excerpt` is the start of its body."""

    def __init__(self, status: int, url: str, excerpt: str = "") -> None:
        said = f": {excerpt}" if excerpt else ""
        super().__init__(f"HTTP {status} from {host_of(url)}{said}")
        self.status = status
        self.url = url
        self.excerpt = excerpt


class BadAnswer(ValueError):
    """A 2xx answer that is not what the API sends (too big, not JSON, not an object)."""


class DeadlineExceeded(Exception):
    """The fetch's total time ran out (a slow server, or an answer that never ends)."""


@dataclass(frozen=True)
class Deadline:
    """A point in time (time.monotonic) that a whole fetch must finish by."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left; raises DeadlineExceeded once none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("the refresh's time limit ran out")
        return left


def host_of(url: str) -> str:
    """``host[:port]`` of a URL, for messages (never its query, which may hold a key)."""
    parts = urllib.parse.urlsplit(url)
    return parts.netloc.rpartition("@")[2] or url[:60]


def excerpt(body: bytes, limit: int = EXCERPT_CHARS) -> str:
    """The start of a body as one printable line (invalid UTF-8 shown as U+FFFD)."""
    text = " ".join(body[: limit * 4].decode("utf-8", "replace").split())
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_loopback(url: str) -> bool:
    """True for http(s)://127.0.0.1, ::1 or localhost: local servers need no credentials."""
    host = urllib.parse.urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def check_endpoint(url: str, option: str, *, authenticated: bool, allow_insecure: bool) -> str:
    """`url` if placer may call it: http(s) only; plain http only for unauthenticated calls,
    loopback hosts, or with `--allow-insecure-endpoint` (credentials would travel in clear)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{url!r} is not an http(s) URL",
            option,
            "give the endpoint as https://host[:port]",
        )
    if authenticated and parts.scheme == "http" and not is_loopback(url) and not allow_insecure:
        raise ConfigError(
            f"refusing to send credentials over plain http to {host_of(url)}",
            option,
            "use https://, or pass --allow-insecure-endpoint if the network is trusted",
        )
    return url


def same_origin(link: str, base: str) -> bool:
    """Whether `link` has the scheme, host and port of `base` (paging links must)."""
    a, b = urllib.parse.urlsplit(link), urllib.parse.urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


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


def get_json(
    url: str,
    policy: RetryPolicy,
    on_retry: Any,
    deadline: Deadline | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """GET ``url`` and parse a JSON object, retrying transient failures."""
    limit = deadline or Deadline.after(policy.total_s)
    request = functools.partial(_get_once, url, policy.timeout_s, limit, dict(headers or {}))
    return call_with_retries(request, is_transient, policy, on_retry, limit.remaining)


def _get_once(
    url: str, timeout_s: float, deadline: Deadline, headers: dict[str, str]
) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    opener = urllib.request.build_opener(_SameOriginRedirects())
    try:
        with opener.open(request, timeout=min(timeout_s, deadline.remaining())) as response:
            body = _read(response, deadline)
    except urllib.error.HTTPError as exc:
        said = excerpt(exc.read(4096)) if exc.fp is not None else ""
        raise HttpStatusError(exc.code, url, said) from None
    try:
        document = json.loads(body)
    except ValueError:  # not JSON, or not UTF-8
        raise BadAnswer(f"the answer is not JSON: '{excerpt(body)}'") from None
    if not isinstance(document, dict):
        raise BadAnswer(f"the answer is JSON but not an object: '{excerpt(body)}'")
    return document


def _read(response: Any, deadline: Deadline) -> bytes:
    """The body, in chunks, stopping at MAX_BODY_BYTES or the deadline."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(_CHUNK):  # what has arrived: a trickle cannot stall it
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadAnswer(f"the server sent more than {MAX_BODY_BYTES // 2**20} MB in one answer")
        chunks.append(chunk)
        deadline.remaining()
    return b"".join(chunks)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the same scheme, host and port."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        target = urllib.parse.urljoin(req.full_url, newurl)
        if not same_origin(target, req.full_url):
            raise urllib.error.HTTPError(
                req.full_url, code, f"redirect to another host ({host_of(target)})", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)
