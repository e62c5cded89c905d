"""Cluster-autoscaler node-group sizes from its status ConfigMap (kube-system/
cluster-autoscaler-status), and which node groups they belong to.

The ConfigMap's `status` is YAML since cluster-autoscaler 1.30 (`nodeGroups[].name`,
`.health.minSize/maxSize/cloudProviderTarget`) and free text before it
(`Name: ... Health: Healthy (... cloudProviderTarget=2 (minSize=1, maxSize=5))`); both are read.
Group names are cloud names (an ASG, a VMSS, a GCE instance group URL); they are matched to
the node-group label values of nodes by the `-<value>-` they contain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import yaml

STATUS_CONFIGMAP = ("kube-system", "cluster-autoscaler-status")
_LEGACY = re.compile(
    r"Name:\s+(?P<name>\S+)\s*\n\s*Health:[^\n]*?cloudProviderTarget=(?P<target>\d+)\s*"
    r"\(minSize=(?P<min>\d+),\s*maxSize=(?P<max>\d+)\)"
)


@dataclass(frozen=True)
class AutoscalerGroup:
    """One cluster-autoscaler node group: its bounds and current target size."""

    name: str
    min_size: int
    max_size: int
    target: int


def parse_status(text: str) -> dict[str, AutoscalerGroup]:
    """Node groups by name from the ConfigMap's `status` text (YAML or legacy text)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("nodeGroups"), list):
        return dict(_from_yaml(doc["nodeGroups"]))
    return {
        m["name"]: AutoscalerGroup(m["name"], int(m["min"]), int(m["max"]), int(m["target"]))
        for m in _LEGACY.finditer(text)
    }


def _from_yaml(groups: list) -> Iterable[tuple[str, AutoscalerGroup]]:
    for group in groups:
        health = (group or {}).get("health") or {}
        if "name" in group and "maxSize" in health:
            name = str(group["name"])
            yield (
                name,
                AutoscalerGroup(
                    name,
                    int(health.get("minSize", 0)),
                    int(health["maxSize"]),
                    int(health.get("cloudProviderTarget", 0)),
                ),
            )


def groups_for(
    value: str, groups: Mapping[str, AutoscalerGroup], values: Iterable[str]
) -> list[AutoscalerGroup]:
    """The autoscaler groups of node-group label `value`: names containing `-value-`,
    unless a longer label value among `values` matches the same name better."""
    out = []
    for group in groups.values():
        tail = f"-{group.name.rstrip('/').rsplit('/', 1)[-1]}-"
        matching = [v for v in values if f"-{v}-" in tail]
        if value in matching and max(matching, key=len) == value:
            out.append(group)
    return out
