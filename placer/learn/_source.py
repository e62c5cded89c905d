"""Where past runs are read from: the metadata provider the user's Metaflow is configured for.

Metaflow picks its provider from its own configuration (METAFLOW_DEFAULT_METADATA, a
profile in ~/.metaflowconfig, METAFLOW_SERVICE_URL, ...); :func:`connect` asks Metaflow for
it the way the Client API does (`metaflow.default_metadata()`), never naming one itself.
Runs are listed with the provider's `get_object`, the call the Client's `Flow.runs()` makes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from placer.errors import LearnError
from placer.learn._records import RunInfo

ALL_NAMESPACES = "*"  # --namespace '*': runs of every namespace (Metaflow's namespace(None))
_PING_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Source:
    """A metadata provider class, what Metaflow calls it, and the namespace to read."""

    provider: Any  # a metaflow MetadataProvider subclass (classmethods only)
    description: str  # Metaflow's own: "local@/path/to/project", "service@https://..."
    namespace: str | None  # a tag such as "user:alice"; None reads every namespace

    @property
    def kind(self) -> str:
        return str(getattr(self.provider, "TYPE", "unknown"))


def connect(metadata: str | None = None, namespace: str | None = None) -> Source:
    """The metadata provider the Client would use now (its configuration, or what
    `metaflow.metadata()` selected in this process), or `metadata` in that function's
    spelling ("local@/path", "service@https://..."), checked to be reachable.
    `namespace`: None for the Client's current one (by default user:<you>), "*" for all."""
    import metaflow

    if metadata:
        url = _service_url(metadata)
        if url:
            _ping(url)  # metaflow.metadata() itself retries for ~15 s before it gives up
        metaflow.metadata(metadata)
    provider = metaflow.Metaflow().metadata
    _check_reachable(provider)
    if namespace == ALL_NAMESPACES:
        ns = None
    elif namespace:
        ns = namespace
    else:
        ns = metaflow.get_namespace()
    return Source(provider, metaflow.get_metadata(), ns)


def _service_url(spec: str) -> str | None:
    kind, at, info = spec.partition("@")
    if at and kind == "service":
        return info
    return spec if spec.startswith("http") else None


def local_root(provider: Any) -> str:
    """The `.metaflow` directory of the local metadata provider."""
    return os.path.join(str(provider.INFO), str(provider.DATASTORE_DIR))


def _check_reachable(provider: Any) -> None:
    if provider.TYPE == "local":
        root = local_root(provider)
        if not os.path.isdir(root):
            raise LearnError(
                "no local Metaflow metadata found (no .metaflow directory in the current "
                "directory or above it)",
                "metadata: local",
                "run placer where you run the flow, or set METAFLOW_DATASTORE_SYSROOT_LOCAL "
                "(or METAFLOW_DEFAULT_METADATA=service with METAFLOW_SERVICE_URL)",
            )
    elif provider.TYPE == "service":
        _ping(str(provider.INFO))


def _ping(url: str) -> None:
    """One quick request, so an unreachable service fails now instead of after Metaflow's
    retries with exponential back-off."""
    import requests
    from metaflow.metaflow_config import SERVICE_HEADERS

    try:
        response = requests.get(
            url.rstrip("/") + "/ping", headers=dict(SERVICE_HEADERS or {}), timeout=_PING_TIMEOUT_S
        )
    except requests.RequestException as exc:
        raise LearnError(
            f"the Metaflow metadata service can't be reached ({type(exc).__name__})",
            url,
            "check METAFLOW_SERVICE_URL (or your Metaflow profile) and the network",
        ) from None
    if response.status_code >= 400:
        raise LearnError(
            f"the Metaflow metadata service answered /ping with HTTP {response.status_code}",
            url,
            "check METAFLOW_SERVICE_URL and METAFLOW_SERVICE_AUTH_KEY / the service headers",
        )


def provider_call(source: Source, *args: Any) -> Any:
    """`provider.get_object(*args)`, its failures as one-line LearnErrors."""
    import requests
    from metaflow.exception import MetaflowException

    try:
        return source.provider.get_object(*args)
    except (MetaflowException, requests.RequestException, OSError) as exc:
        raise LearnError(
            f"reading Metaflow metadata failed: {_first_line(exc)}",
            source.description,
            "check that the metadata provider is reachable and try again",
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _run_info(row: dict[str, Any]) -> RunInfo:
    tags = frozenset(map(str, (row.get("tags") or ()))) | frozenset(
        map(str, row.get("system_tags") or ())
    )
    return RunInfo(str(row["run_number"]), int(row.get("ts_epoch") or 0), tags)


def list_runs(source: Source, flow_name: str) -> list[RunInfo]:
    """Every run of the flow in the namespace, newest first."""
    filters = {"any_tags": source.namespace} if source.namespace else None
    rows = provider_call(source, "flow", "run", filters, None, flow_name) or []
    runs = [_run_info(row) for row in rows]
    return sorted(runs, key=lambda r: (r.created_ms, r.run_id), reverse=True)


def get_run(source: Source, flow_name: str, run_id: str) -> RunInfo:
    """One run by id (in any namespace: the user named it); unknown ids are a LearnError."""
    row = provider_call(source, "run", "self", None, None, flow_name, run_id)
    if not row:
        raise LearnError(
            f"run {flow_name}/{run_id} does not exist",
            "--run",
            f"`placer learn FLOW --namespace '*'` reads every run of {flow_name}; "
            "check the id and the metadata provider",
        )
    return _run_info(row)
