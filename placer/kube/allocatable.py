"""What a node of a managed cluster offers task pods: its *allocatable* capacity.

The scheduler places a pod on a node only if its requests fit the node's allocatable
CPU and memory, which is the machine's size minus what the provider reserves for the
kubelet, the container runtime and the OS (``kube-reserved``), minus the kubelet's hard
eviction threshold, and the task pods share what remains with the DaemonSet pods every
node runs. Each provider publishes its formula (docs/cost-model.md cites them):

- **EKS** (Amazon EKS AMI, ``nodeadm/internal/kubelet/config.go``): CPU 6% of the first
  core, 1% of the second, 0.5% of the third and fourth, 0.25% of every core above four
  (millicores, integer arithmetic per range); memory ``11 x maxPods + 255`` MiB, where
  maxPods is the VPC CNI's IP limit per instance type (data/eks-max-pods.json, 110 for a
  type the table lacks); eviction ``memory.available<100Mi``.
- **AKS** (1.29 and later, learn.microsoft.com node-resource-reservations, ms.date
  2024-04-16): CPU from the published table (60, 100, 140, 180, 260, 420, 740 millicores
  at 1, 2, 4, 8, 16, 32, 64 cores; linear between the points, 10 per core above 64, the
  table's own slope); memory ``min(20 MiB x maxPods + 50 MiB, 25% of memory)``, maxPods
  250 (Azure CNI Overlay's default); eviction 100 MiB.
- **GKE** (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes): CPU as EKS;
  memory 255 MiB below 1 GiB, else 25% of the first 4 GiB, 20% of the next 4, 10% of the
  next 8, 6% of the next 112 and 2% above 128 GiB; eviction 100 MiB; maxPods 110.

Sizes are the catalog's nominal vCPUs and GiB; the kernel keeps a little of the nominal
memory too (a few %), which these formulas, and so placer, do not count.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from placer.config.pool import DaemonSets

MIB = 1 / 1024  # GiB per MiB
EVICTION_MIB = 100.0  # memory.available<100Mi on EKS, AKS 1.29+, GKE
DEFAULT_MAX_PODS = {"aws": 110, "azure": 250, "gcp": 110}  # aws: only for unknown types
PROVIDERS = {"aws": "EKS", "azure": "AKS", "gcp": "GKE"}
# EKS and GKE: (millicores in the range, reserved per 10,000), the last range open-ended
_CORE_TIERS = ((1000, 600), (1000, 100), (2000, 50), (None, 25))
_GKE_MEMORY_TIERS = ((4.0, 0.25), (4.0, 0.20), (8.0, 0.10), (112.0, 0.06), (math.inf, 0.02))
_AKS_CPU_TABLE = ((1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (32, 420), (64, 740))
_DATA = Path(__file__).parent / "data" / "eks-max-pods.json"


# Per-node DaemonSet requests of a cluster with the provider's default add-ons. EKS:
# aws-node 25m (amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml) and kube-proxy 100m,
# neither requests memory. GKE and AKS: estimates, not measured on a default cluster
# (GKE: kube-proxy or anetd, fluentbit-gke, gke-metrics-agent, pdcsi-node; AKS:
# kube-proxy, azure-ip-masq-agent, cloud-node-manager, csi-azuredisk-node,
# csi-azurefile-node). `placer pools discover` measures the real figures of a cluster.
DEFAULT_DAEMONSETS = {
    "aws": DaemonSets(0.125, 0.0, 2, "EKS default add-ons (aws-node, kube-proxy)"),
    "azure": DaemonSets(0.31, 220 * MIB, 5, "AKS default add-ons (an estimate)"),
    "gcp": DaemonSets(0.22, 280 * MIB, 4, "GKE default add-ons (an estimate)"),
}


@dataclass(frozen=True)
class Allocatable:
    """A node's capacity for task pods, and what was taken off its nominal size."""

    vcpus: float
    memory_gib: float
    pods: int  # pod slots left for task pods
    reserved_vcpus: float  # kube-reserved + DaemonSets
    reserved_memory_gib: float  # kube-reserved + eviction threshold + DaemonSets


@cache
def eks_max_pods_table() -> dict[str, int]:
    """maxPods per EC2 instance type as the EKS AMI sets it (data/eks-max-pods.json)."""
    return dict(json.loads(_DATA.read_text())["max_pods"])


def max_pods(cloud: str, instance_type: str, override: int | None = None) -> int:
    """The kubelet's maxPods on this node: the pool's setting, else the provider's."""
    if override is not None:
        return override
    if cloud == "aws":
        return eks_max_pods_table().get(instance_type, DEFAULT_MAX_PODS["aws"])
    return DEFAULT_MAX_PODS.get(cloud, 110)


def tiered(amount: float, tiers: tuple[tuple[float, float], ...]) -> float:
    """Sum of `rate x part` over consecutive parts of `amount` (a regressive scale)."""
    total, left = 0.0, amount
    for size, rate in tiers:
        part = min(left, size)
        total += part * rate
        left -= part
        if left <= 0:
            break
    return total


def eks_cpu_reserved(vcpus: float) -> float:
    """EKS kube-reserved CPU in cores (nodeadm's integer millicores per range)."""
    total_m, reserved_m, start = int(round(vcpus * 1000)), 0, 0
    for size, per_10000 in _CORE_TIERS:
        end = total_m if size is None else start + size
        if total_m > start:
            reserved_m += (min(total_m, end) - start) * per_10000 // 10000
        start = end
    return reserved_m / 1000


def aks_cpu_reserved(vcpus: float) -> float:
    """AKS kube-reserved CPU in cores: the published table, linear between its points."""
    points = _AKS_CPU_TABLE
    if vcpus <= points[0][0]:
        return points[0][1] / 1000
    for (c0, m0), (c1, m1) in zip(points, points[1:], strict=False):
        if vcpus <= c1:
            return (m0 + (m1 - m0) * (vcpus - c0) / (c1 - c0)) / 1000
    last_cores, last_m = points[-1]
    return (last_m + 10 * (vcpus - last_cores)) / 1000


def reserved(cloud: str, vcpus: float, memory_gib: float, pods: int) -> tuple[float, float]:
    """(cores, GiB) the provider keeps off a node: kube-reserved, plus the eviction
    threshold for memory. `pods` is the node's maxPods."""
    eviction = EVICTION_MIB * MIB
    if cloud == "aws":
        return eks_cpu_reserved(vcpus), (11 * pods + 255) * MIB + eviction
    if cloud == "azure":
        memory = min((20 * pods + 50) * MIB, 0.25 * memory_gib)
        return aks_cpu_reserved(vcpus), memory + eviction
    if cloud == "gcp":
        memory = 255 * MIB if memory_gib < 1 else tiered(memory_gib, _GKE_MEMORY_TIERS)
        return eks_cpu_reserved(vcpus), memory + eviction
    return 0.0, 0.0


def allocatable(
    cloud: str,
    instance_type: str,
    vcpus: float,
    memory_gib: float,
    daemonsets: DaemonSets | None = None,
    pods_override: int | None = None,
) -> Allocatable:
    """What a node of this type offers task pods in a managed cluster of `cloud`, given the
    DaemonSets its nodes run (None: the provider's default add-ons) and its maxPods."""
    ds = daemonsets if daemonsets is not None else DEFAULT_DAEMONSETS.get(cloud)
    ds_vcpus, ds_memory, ds_pods = (ds.vcpus, ds.memory_gib, ds.pods) if ds else (0.0, 0.0, 0)
    pods = max_pods(cloud, instance_type, pods_override)
    cpu_kept, memory_kept = reserved(cloud, vcpus, memory_gib, pods)
    cpu_kept += ds_vcpus
    memory_kept += ds_memory
    return Allocatable(
        vcpus=max(0.0, vcpus - cpu_kept),
        memory_gib=max(0.0, memory_gib - memory_kept),
        pods=max(0, pods - ds_pods),
        reserved_vcpus=cpu_kept,
        reserved_memory_gib=memory_kept,
    )
