"""Reading nodes, pods and Karpenter NodePools from clusters with the official client.

The `kubernetes` package is imported inside the functions (it is slow to import). Lists
are read as raw JSON (`_preload_content=False`), page by page, and turned into
:mod:`placer.kube.objects` values; every failure becomes a one-line :class:`PoolError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from placer.errors import PoolError, did_you_mean
from placer.kube.autoscaler import STATUS_CONFIGMAP, AutoscalerGroup, parse_status
from placer.kube.capacity import Amount, amount_of
from placer.kube.objects import Node, Pod, node_from_json, pod_from_json

NON_TERMINAL = "status.phase!=Succeeded,status.phase!=Failed"
PAGE_SIZE = 500
MAX_PAGES = 10_000  # 5 million objects: a list that goes on longer does not end
MAX_PAGE_BYTES = 256 * 1024 * 1024  # one page of 500 objects is a few MB
KARPENTER_VERSIONS = ("v1", "v1beta1")  # NodePool spec.limits is the same in both
TIMEOUT_SECONDS = (5.0, 30.0)  # connect, read
CREDENTIALS_HINT = (
    "refresh the context's credentials (aws eks update-kubeconfig, gcloud container clusters "
    "get-credentials, az aks get-credentials) and retry"
)


@dataclass(frozen=True)
class NodePoolLimit:
    """A Karpenter NodePool's ceiling (`spec.limits`) and what its nodes hold now."""

    name: str
    limit: Amount  # 0 for a resource without a limit
    in_use: Amount  # `status.resources`
    limited: frozenset[str] = frozenset()  # which of vcpus/memory_gib/gpus have a limit


@dataclass(frozen=True)
class ClusterSnapshot:
    """What one kubeconfig context showed: nodes, pods (None if forbidden), NodePools."""

    context: str
    nodes: tuple[Node, ...]
    pods: tuple[Pod, ...] | None
    nodepools: Mapping[str, NodePoolLimit] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    autoscaler: Mapping[str, AutoscalerGroup] = field(default_factory=dict)  # by group name


def list_contexts(kubeconfig: Path | None) -> tuple[list[str], str | None]:
    """All context names in the kubeconfig and the current one."""
    import yaml
    from kubernetes import config as kconfig

    if kubeconfig is not None and not kubeconfig.is_file():
        raise PoolError(
            f"cannot read the kubeconfig: no file {kubeconfig}",
            "--kubeconfig",
            "check the path (kubectl uses $KUBECONFIG, else ~/.kube/config)",
        )
    try:
        contexts, active = kconfig.list_kube_config_contexts(_file(kubeconfig))
    except (kconfig.ConfigException, OSError) as exc:
        raise _config_error(kubeconfig, exc) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(kubeconfig, exc) from None
    return [c["name"] for c in contexts], (active or {}).get("name")


def read_clusters(kubeconfig: Path | None, contexts: Sequence[str]) -> list[ClusterSnapshot]:
    """One snapshot per context (the current context when `contexts` is empty)."""
    names, active = list_contexts(kubeconfig)
    if not contexts:
        if active is None:
            raise PoolError(
                "the kubeconfig has no current context",
                _where(kubeconfig),
                "pass --context NAME",
            )
        contexts = [active]
    for name in contexts:
        if name not in names:
            raise PoolError(
                f"unknown context {name!r}",
                _where(kubeconfig),
                did_you_mean(name, names) or f"the kubeconfig's contexts: {', '.join(names)}",
            )
    return [read_cluster(kubeconfig, name) for name in contexts]


def read_cluster(kubeconfig: Path | None, context: str) -> ClusterSnapshot:
    """Nodes, non-terminal pods and Karpenter NodePools of one context."""
    import yaml
    from kubernetes import client as kclient
    from kubernetes import config as kconfig

    try:
        api_client = kconfig.new_client_from_config(_file(kubeconfig), context, False)
    except (kconfig.ConfigException, OSError) as exc:
        raise _config_error(kubeconfig, exc, context) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(kubeconfig, exc) from None
    with api_client:
        core = kclient.CoreV1Api(api_client)
        nodes = [node_from_json(i) for i in _pages(core.list_node, context, "nodes")]
        warnings: list[str] = []
        pods = _pods(core, context, warnings)
        nodepools = _nodepools(kclient.CustomObjectsApi(api_client), context, warnings)
        autoscaler = _autoscaler(core, context, warnings)
    return ClusterSnapshot(context, tuple(nodes), pods, nodepools, tuple(warnings), autoscaler)


def _pods(core: Any, context: str, warnings: list[str]) -> tuple[Pod, ...] | None:
    try:
        items = list(
            _pages(core.list_pod_for_all_namespaces, context, "pods", field_selector=NON_TERMINAL)
        )
    except _Forbidden:
        warnings.append(
            f"{context}: not allowed to list pods (RBAC 403): free capacity is "
            "allocatable capacity, running pods not subtracted"
        )
        return None
    return tuple(pod_from_json(i) for i in items)


def _nodepools(custom: Any, context: str, warnings: list[str]) -> dict[str, NodePoolLimit]:
    for version in KARPENTER_VERSIONS:
        try:
            items = list(_pages(_custom_lister(custom, version), context, "Karpenter NodePools"))
        except _Forbidden:
            warnings.append(f"{context}: not allowed to list Karpenter NodePools: no ceilings")
            return {}
        except _NotFound:  # not this API version, or no Karpenter in this cluster
            continue
        return {p.name: p for p in map(nodepool_from_json, items)}
    return {}


def _autoscaler(core: Any, context: str, warnings: list[str]) -> dict[str, AutoscalerGroup]:
    namespace, name = STATUS_CONFIGMAP
    try:
        configmap = _request(
            core.read_namespaced_config_map,
            context,
            "autoscaler status",
            name=name,
            namespace=namespace,
        )
    except _Forbidden:
        warnings.append(
            f"{context}: not allowed to read {namespace}/{name}: no autoscaler ceilings"
        )
        return {}
    except _NotFound:  # no cluster-autoscaler, or a managed one that does not publish it
        return {}
    return parse_status((configmap.get("data") or {}).get("status", ""))


def _custom_lister(custom: Any, version: str) -> Callable[..., Any]:
    def lister(**kwargs: Any) -> Any:
        return custom.list_cluster_custom_object("karpenter.sh", version, "nodepools", **kwargs)

    return lister


def nodepool_from_json(item: Mapping[str, Any]) -> NodePoolLimit:
    """A NodePoolLimit from a `karpenter.sh/v1` (or v1beta1) NodePool object."""
    limits = (item.get("spec") or {}).get("limits") or {}
    limited = {k for k, key in (("vcpus", "cpu"), ("memory_gib", "memory")) if key in limits}
    if any(k in limits for k in ("nvidia.com/gpu", "amd.com/gpu")):
        limited.add("gpus")
    return NodePoolLimit(
        name=(item.get("metadata") or {}).get("name", "?"),
        limit=amount_of(limits),
        in_use=amount_of((item.get("status") or {}).get("resources")),
        limited=frozenset(limited),
    )


class _Forbidden(Exception):
    pass


class _NotFound(Exception):
    pass


def _pages(call: Callable[..., Any], context: str, what: str, **kwargs: Any) -> Iterator[dict]:
    """Every item of a paged list call, following `metadata.continue`."""
    token: str | None = None
    seen: set[str] = set()
    while True:
        page = _request(call, context, what, limit=PAGE_SIZE, _continue=token, **kwargs)
        yield from page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return
        if not isinstance(token, str) or token in seen or len(seen) >= MAX_PAGES:
            raise PoolError(
                f"the API server's list of {what} does not end (continue token {token!r:.40} "
                f"repeated, or over {MAX_PAGES} pages)",
                f"context {context}",
                "check that the kubeconfig server is a Kubernetes API",
            )
        seen.add(token)


def _request(call: Callable[..., Any], context: str, what: str, **kwargs: Any) -> dict:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    try:
        response = call(_preload_content=False, _request_timeout=TIMEOUT_SECONDS, **kwargs)
        body = _body(response, context, what)
    except ApiException as exc:
        raise _api_error(exc, context, what) from None
    except HTTPError as exc:
        raise PoolError(
            f"cluster unreachable while listing {what}: {_reason(exc)}",
            f"context {context}",
            "check the network/VPN and the server address in the kubeconfig",
        ) from None
    try:
        return json.loads(body)
    except ValueError:
        raise PoolError(
            f"the API server sent invalid JSON for {what}",
            f"context {context}",
            "check that the kubeconfig server is a Kubernetes API",
        ) from None


def _body(response: Any, context: str, what: str) -> bytes:
    """The answer's bytes, refusing one over MAX_PAGE_BYTES (memory stays bounded)."""
    chunks, size = [], 0
    try:
        for chunk in response.stream(1024 * 1024):
            size += len(chunk)
            if size > MAX_PAGE_BYTES:
                raise PoolError(
                    f"the API server sent more than {MAX_PAGE_BYTES // 2**20} MB for one page "
                    f"of {what}",
                    f"context {context}",
                    "check that the kubeconfig server is a Kubernetes API",
                )
            chunks.append(chunk)
    finally:
        response.release_conn()
    return b"".join(chunks)


def _api_error(exc: Any, context: str, what: str) -> Exception:
    if exc.status == 401:
        return PoolError(
            f"credentials rejected (401 Unauthorized) listing {what}: expired or invalid",
            f"context {context}",
            CREDENTIALS_HINT,
        )
    if exc.status == 403 and what != "nodes":
        return _Forbidden()
    if exc.status == 404 and what in ("Karpenter NodePools", "autoscaler status"):
        return _NotFound()
    if exc.status == 403:
        return PoolError(
            "not allowed to list nodes (RBAC 403 Forbidden)",
            f"context {context}",
            "grant get/list on nodes (a ClusterRole) to this identity",
        )
    return PoolError(
        f"listing {what} failed: HTTP {exc.status} {exc.reason}",
        f"context {context}",
        "check the cluster's health",
    )


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason).split(": ", 1)[-1][:160]


def _file(kubeconfig: Path | None) -> str | None:
    return str(kubeconfig) if kubeconfig else None


def _where(kubeconfig: Path | None) -> str:
    """The kubeconfig in use, for messages: --kubeconfig, $KUBECONFIG or the default."""
    return str(kubeconfig) if kubeconfig else os.environ.get("KUBECONFIG") or "~/.kube/config"


def _yaml_error(kubeconfig: Path | None, exc: Exception) -> PoolError:
    """A kubeconfig that is not YAML, as one line with the line and column."""
    mark = getattr(exc, "problem_mark", None)
    where = _where(kubeconfig)
    if mark is not None:
        where = f"{where}:{mark.line + 1}:{mark.column + 1}"
    problem = getattr(exc, "problem", None) or type(exc).__name__
    return PoolError(
        f"the kubeconfig is not valid YAML: {problem}",
        where,
        "fix the file, or point --kubeconfig at another one",
    )


def _config_error(kubeconfig: Path | None, exc: Exception, context: str | None = None) -> PoolError:
    where = _where(kubeconfig)
    what = f"cannot use context {context!r}" if context else "cannot read the kubeconfig"
    return PoolError(
        f"{what}: {exc}",
        where,
        "check --kubeconfig and --context (kubectl config get-contexts lists them)",
    )
