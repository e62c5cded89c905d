"""Nodes and pods read from the Kubernetes API's JSON, with the labels placer cares about."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from placer.kube.capacity import GPU_RESOURCES, Amount, amount_of, pod_request

PROVIDER_LABEL = "outerbounds.co/provider"
REGION_LABEL = "topology.kubernetes.io/region"
ZONE_LABEL = "topology.kubernetes.io/zone"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
# Labels that say a node is spot capacity: (label, value meaning spot), one per flavour.
SPOT_LABELS = (
    ("karpenter.sh/capacity-type", "spot"),
    ("eks.amazonaws.com/capacityType", "SPOT"),
    ("cloud.google.com/gke-spot", "true"),
    ("cloud.google.com/gke-preemptible", "true"),
    ("kubernetes.azure.com/scalesetpriority", "spot"),
)
# Labels naming the node group a node belongs to, per flavour.
NODE_GROUP_LABELS = (
    "karpenter.sh/nodepool",
    "eks.amazonaws.com/nodegroup",
    "cloud.google.com/gke-nodepool",
    "kubernetes.azure.com/agentpool",
)
METAFLOW_TASK = ("app.kubernetes.io/name", "metaflow-task")
_PROVIDER_ID = {"aws": "aws", "gce": "gcp", "azure": "azure"}
_ZONE_SUFFIX = re.compile(
    r"^(?P<region>.+?)(?:-?[a-z]|-\d)$"
)  # us-east-1a, us-central1-a, eastus-1


@dataclass(frozen=True)
class Node:
    """One node: labels, what it can hold, and whether new pods can land on it."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    allocatable: Amount = Amount()
    provider_id: str = ""
    ready: bool = True
    unschedulable: bool = False
    blocking_taints: tuple[str, ...] = ()  # NoSchedule/NoExecute taints a task would not tolerate

    @property
    def excluded_because(self) -> str | None:
        """Why new task pods cannot land here, or None when they can."""
        if not self.ready:
            return "not Ready"
        if self.unschedulable:
            return "cordoned (unschedulable)"
        if self.blocking_taints:
            return f"tainted {', '.join(self.blocking_taints)}"
        return None

    @property
    def cloud(self) -> str | None:
        """aws, azure or gcp: the provider label, else the `spec.providerID` scheme."""
        if self.labels.get(PROVIDER_LABEL):
            return self.labels[PROVIDER_LABEL]
        scheme = self.provider_id.partition("://")[0]
        return _PROVIDER_ID.get(scheme)

    @property
    def region(self) -> str | None:
        """The region label, else derived from the zone label or an AWS/GCE providerID."""
        if self.labels.get(REGION_LABEL):
            return self.labels[REGION_LABEL]
        zone = self.labels.get(ZONE_LABEL) or _zone_from_provider_id(self.provider_id)
        match = _ZONE_SUFFIX.match(zone or "")
        return match["region"] if match else None

    @property
    def capacity_type(self) -> str:
        """Spot when any flavour's spot label says so, else on-demand."""
        spot = any(self.labels.get(k) == v for k, v in SPOT_LABELS)
        return "spot" if spot else "on-demand"

    @property
    def instance_type(self) -> str | None:
        """The `node.kubernetes.io/instance-type` label."""
        return self.labels.get(INSTANCE_TYPE_LABEL)

    @property
    def node_group(self) -> str | None:
        """The node group / node pool / agent pool the node belongs to, if labelled."""
        return next((self.labels[k] for k in NODE_GROUP_LABELS if k in self.labels), None)

    def matches(self, selector: Mapping[str, str]) -> bool:
        """True when a pod with this nodeSelector may be placed here."""
        return all(self.labels.get(k) == v for k, v in selector.items())


def _zone_from_provider_id(provider_id: str) -> str | None:
    # aws:///us-east-1a/i-0abc  |  gce://project/us-central1-a/name
    scheme, _, rest = provider_id.partition("://")
    parts = rest.strip("/").split("/")
    if scheme == "aws" and len(parts) >= 2:
        return parts[0]
    if scheme == "gce" and len(parts) >= 3:
        return parts[1]
    return None


@dataclass(frozen=True)
class Pod:
    """A non-terminal pod: where it runs and what it reserves there."""

    namespace: str
    name: str
    node_name: str | None
    phase: str
    request: Amount
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    owner_kind: str | None = None  # the controller that made it: "DaemonSet", "Job", ...

    @property
    def is_daemonset(self) -> bool:
        """Made by a DaemonSet: it runs on every node its DaemonSet selects, new ones too."""
        return self.owner_kind == "DaemonSet"

    @property
    def is_metaflow_task(self) -> bool:
        """Labelled `app.kubernetes.io/name=metaflow-task` by Metaflow's kubernetes plugin."""
        key, value = METAFLOW_TASK
        return self.labels.get(key) == value

    @property
    def flow_step(self) -> tuple[str, str]:
        """(flow, step) from Metaflow's annotations (`metaflow/flow_name`, `metaflow/step_name`)."""
        get = self.annotations.get
        return get("metaflow/flow_name", "?"), get("metaflow/step_name", "?")


def _blocking_taints(taints: list[Mapping[str, Any]]) -> tuple[str, ...]:
    # Pods that request a GPU get the GPU taint tolerated automatically (the
    # ExtendedResourceToleration admission plugin GKE and AKS enable), so it does not block.
    out = []
    for taint in taints:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and taint.get("key") not in (
            GPU_RESOURCES
        ):
            value = f"={taint['value']}" if taint.get("value") else ""
            out.append(f"{taint.get('key')}{value}:{taint['effect']}")
    return tuple(out)


def _is_ready(status: Mapping[str, Any]) -> bool:
    conditions = status.get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def node_from_json(item: Mapping[str, Any]) -> Node:
    """A Node from one item of a `NodeList`."""
    meta, spec, status = (
        item.get("metadata") or {},
        item.get("spec") or {},
        item.get("status") or {},
    )
    return Node(
        name=meta.get("name", "?"),
        labels=dict(meta.get("labels") or {}),
        allocatable=amount_of(status.get("allocatable")),
        provider_id=spec.get("providerID") or "",
        ready=_is_ready(status),
        unschedulable=bool(spec.get("unschedulable")),
        blocking_taints=_blocking_taints(spec.get("taints") or []),
    )


def pod_from_json(item: Mapping[str, Any]) -> Pod:
    """A Pod from one item of a `PodList`."""
    meta, spec, status = (
        item.get("metadata") or {},
        item.get("spec") or {},
        item.get("status") or {},
    )
    return Pod(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", "?"),
        node_name=spec.get("nodeName"),
        phase=status.get("phase", "Unknown"),
        request=pod_request(spec),
        labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        node_selector=dict(spec.get("nodeSelector") or {}),
        owner_kind=_controller_kind(meta.get("ownerReferences") or []),
    )


def _controller_kind(owners: list[Mapping[str, Any]]) -> str | None:
    """The kind of the pod's controller (the owner reference marked `controller: true`)."""
    kinds = [o.get("kind") for o in owners if o.get("controller")]
    return kinds[0] if kinds else None
