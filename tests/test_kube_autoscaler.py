"""Cluster-autoscaler status parsing and node-group matching (placer.kube.autoscaler)."""

from __future__ import annotations

from pathlib import Path

from placer.kube.autoscaler import AutoscalerGroup, groups_for, parse_status

FIXTURES = Path(__file__).parent / "fixtures" / "kube"


def test_yaml_status() -> None:
    groups = parse_status((FIXTURES / "ca-status-eks.yaml").read_text())
    assert list(groups.values()) == [
        AutoscalerGroup("eks-general-8ec6a3f2-1b2c-4d5e-9f00-112233445566", 1, 5, 2),
        AutoscalerGroup("eks-gpu-1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718", 0, 2, 1),
    ]


def test_legacy_text_status() -> None:
    groups = parse_status((FIXTURES / "ca-status-aks.txt").read_text())
    assert list(groups.values()) == [
        AutoscalerGroup("aks-userpool-31415926-vmss", 1, 4, 1),
        AutoscalerGroup("aks-system-27182818-vmss", 1, 1, 1),
    ]


def test_garbage_status_has_no_groups() -> None:
    assert parse_status("autoscalerStatus: Initializing\n") == {}
    assert parse_status("{not yaml") == {}


def test_matching_prefers_the_longest_label_value() -> None:
    url = "https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a/instanceGroups/"
    groups = {
        "a": AutoscalerGroup(url + "gke-c-default-pool-1a2b3c4d-grp", 0, 3, 1),
        "b": AutoscalerGroup(url + "gke-c-pool-9f8e7d6c-grp", 0, 6, 2),
    }
    values = ["default-pool", "pool", "gpu"]
    assert [g.max_size for g in groups_for("default-pool", groups, values)] == [3]
    assert [g.max_size for g in groups_for("pool", groups, values)] == [6]
    assert groups_for("gpu", groups, values) == []
