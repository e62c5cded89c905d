"""Node allocatable capacity per provider (placer.kube.allocatable), worked by hand from
the published formulas (docs/cost-model.md cites them)."""

import pytest

from placer.config.pool import DaemonSets
from placer.kube.allocatable import (
    DEFAULT_DAEMONSETS,
    aks_cpu_reserved,
    allocatable,
    eks_cpu_reserved,
    max_pods,
    reserved,
)

MIB = 1 / 1024


def test_eks_t3a_2xlarge_by_hand():
    # maxPods 58: 4 ENIs x (15 IPs - 1) + 2 (the EKS AMI's instance table).
    # CPU: 6% of 1000m + 1% of 1000m + 0.5% of 2000m + 0.25% of 4000m = 60+10+10+10 = 90m.
    # Memory: 11 x 58 + 255 = 893 MiB kube-reserved + 100 MiB eviction = 993 MiB.
    # DaemonSets (default): aws-node 25m + kube-proxy 100m, no memory, 2 pods.
    assert max_pods("aws", "t3a.2xlarge") == 58
    node = allocatable("aws", "t3a.2xlarge", 8, 32)
    assert node.vcpus == pytest.approx(8 - 0.090 - 0.125)  # 7.785
    assert node.memory_gib == pytest.approx((32768 - 993) * MIB)  # 31.0303 GiB
    assert node.pods == 56


def test_aks_d8s_v5_by_hand():
    # CPU: 180m at 8 cores (the published table). maxPods 250 (Azure CNI Overlay):
    # memory min(20 x 250 + 50 = 5050 MiB, 25% of 32768 = 8192 MiB) + 100 MiB eviction.
    # DaemonSets (default estimate): 310m, 220 MiB, 5 pods.
    node = allocatable("azure", "Standard_D8s_v5", 8, 32)
    assert node.vcpus == pytest.approx(8 - 0.180 - 0.310)  # 7.51
    assert node.memory_gib == pytest.approx((32768 - 5050 - 100 - 220) * MIB)  # 26.756 GiB
    assert node.pods == 245


def test_gke_n2_standard_8_by_hand():
    # CPU as EKS: 90m. Memory: 25% of 4 + 20% of 4 + 10% of 8 + 6% of 16 GiB
    # = 1 + 0.8 + 0.8 + 0.96 = 3.56 GiB (3645.44 MiB) + 100 MiB eviction.
    # DaemonSets (default estimate): 220m, 280 MiB, 4 pods; maxPods 110.
    node = allocatable("gcp", "n2-standard-8", 8, 32)
    assert node.vcpus == pytest.approx(8 - 0.090 - 0.220)  # 7.69
    assert node.memory_gib == pytest.approx((32768 - 3645.44 - 100 - 280) * MIB)  # 28.069
    assert node.pods == 106


def test_the_providers_own_examples():
    # GKE: a 4-core node shows `cpu: 3920m` allocatable (plan-node-sizes).
    assert 4 - eks_cpu_reserved(4) == pytest.approx(3.92)
    # AKS: 8 GB and 30 pods reserve 20 x 30 + 50 = 650 MB; 4 GB and 70 pods reserve 25%
    # (1024 MiB), less than 20 x 70 + 50 = 1450.
    assert reserved("azure", 2, 8, 30)[1] == pytest.approx((650 + 100) * MIB)
    assert reserved("azure", 2, 4, 70)[1] == pytest.approx((1024 + 100) * MIB)
    # AKS CPU: every published point, then linear between them.
    table = {1: 60, 2: 100, 4: 140, 8: 180, 16: 260, 32: 420, 64: 740}
    assert {c: round(aks_cpu_reserved(c) * 1000) for c in table} == table
    assert aks_cpu_reserved(48) == pytest.approx(0.580)
    assert aks_cpu_reserved(96) == pytest.approx(1.060)


def test_gke_small_machines_and_large_ones():
    assert reserved("gcp", 2, 0.6, 110)[1] == pytest.approx((255 + 100) * MIB)
    # 256 GiB: 1 + 0.8 + 0.8 + 6.72 (6% of 112) + 2.56 (2% of 128) = 11.88 GiB.
    assert reserved("gcp", 64, 256, 110)[1] == pytest.approx(11.88 + 100 * MIB)


def test_unknown_eks_types_use_the_kubelet_default_and_pools_can_override():
    assert max_pods("aws", "zz9.hypothetical") == 110
    assert max_pods("aws", "t3a.2xlarge", override=110) == 110
    overhead = DaemonSets(0.5, 1.0, 10, "measured")
    node = allocatable("aws", "t3a.2xlarge", 8, 32, overhead)
    assert node.vcpus == pytest.approx(8 - 0.090 - 0.5)
    assert node.memory_gib == pytest.approx((32768 - 993) * MIB - 1.0)
    assert node.pods == 48
    assert set(DEFAULT_DAEMONSETS) == {"aws", "azure", "gcp"}
