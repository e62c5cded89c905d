"""Quantities, pod requests, node labels and load math (placer.kube, no server)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from placer.kube import Amount, Node, load_of, node_from_json, parse_quantity, pod_request
from placer.kube.objects import Pod
from placer.kube.quantity import cpu_cores, memory_gib


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3920m", Decimal("3.92")),
        ("2", Decimal(2)),
        ("1Ki", Decimal(1024)),
        ("16Gi", Decimal(16 * 2**30)),
        ("500M", Decimal(500_000_000)),
        ("1e3", Decimal(1000)),
        ("250u", Decimal("0.00025")),
        (".5", Decimal("0.5")),
        ("1.5Gi", Decimal(3 * 2**29)),
    ],
)
def test_parse_quantity(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("bad", ["", "3 cores", "1Gb", "m", "1.2.3"])
def test_parse_quantity_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity(bad)


def test_units() -> None:
    assert cpu_cores("100m") == pytest.approx(0.1)
    assert memory_gib("31457280Ki") == 30.0  # 30 x 1024 x 1024 Ki
    assert memory_gib("4096M") == pytest.approx(4.096e9 / 2**30)  # Metaflow writes "M"


def c(cpu: str, memory: str, **extra: object) -> dict[str, object]:
    return {"name": "c", "resources": {"requests": {"cpu": cpu, "memory": memory}}, **extra}


def test_pod_request_sums_containers_and_takes_init_peak() -> None:
    spec = {"containers": [c("1", "1Gi"), c("500m", "3Gi")], "initContainers": [c("3", "1Gi")]}
    # apps: 1.5 cpu, 4 GiB; init: 3 cpu, 1 GiB -> per resource max: 3 cpu, 4 GiB
    assert pod_request(spec) == Amount(3.0, 4.0, 0.0)


def test_pod_request_counts_sidecars_and_overhead() -> None:
    spec = {
        "containers": [c("1", "2Gi")],
        "initContainers": [
            c("1", "1Gi"),
            c("500m", "512Mi", restartPolicy="Always"),
            c("2", "256Mi"),
        ],
        "overhead": {"cpu": "250m", "memory": "128Mi"},
    }
    # init 1: 1 cpu, 1 GiB; sidecar starts (0.5, 0.5); init 3 runs beside it: (2.5, 0.75)
    # running: app + sidecar = (1.5, 2.5); max -> (2.5, 2.5); + overhead (0.25, 0.125)
    assert pod_request(spec) == Amount(2.75, 2.625, 0.0)


def test_limits_stand_in_for_missing_requests() -> None:
    spec = {
        "containers": [
            {
                "name": "x",
                "resources": {
                    "limits": {"cpu": "2", "nvidia.com/gpu": "1"},
                    "requests": {"cpu": "1"},
                },
            }
        ]
    }
    assert pod_request(spec) == Amount(1.0, 0.0, 1.0)  # request wins for cpu, limit for gpu


def _node(**spec: object) -> dict[str, object]:
    status = {
        "allocatable": {"cpu": "4", "memory": "8Gi"},
        "conditions": [{"type": "Ready", "status": str(spec.pop("ready", "True"))}],
    }
    return {"metadata": {"name": "n", "labels": {}}, "spec": spec, "status": status}


def test_node_exclusions() -> None:
    assert node_from_json(_node()).excluded_because is None
    assert node_from_json(_node(ready="Unknown")).excluded_because == "not Ready"
    assert node_from_json(_node(unschedulable=True)).excluded_because == "cordoned (unschedulable)"
    tainted = node_from_json(
        _node(taints=[{"key": "dedicated", "value": "ml", "effect": "NoSchedule"}])
    )
    assert tainted.excluded_because == "tainted dedicated=ml:NoSchedule"
    soft = node_from_json(
        _node(
            taints=[
                {"key": "a", "effect": "PreferNoSchedule"},
                {"key": "nvidia.com/gpu", "effect": "NoSchedule"},
            ]
        )
    )
    assert soft.excluded_because is None  # soft taints and the auto-tolerated GPU taint


def test_cloud_region_and_capacity_from_labels() -> None:
    eks = Node("a", {"eks.amazonaws.com/capacityType": "SPOT"}, provider_id="aws:///us-west-2b/i-1")
    assert (eks.cloud, eks.region, eks.capacity_type) == ("aws", "us-west-2", "spot")
    gke = Node("g", {"topology.kubernetes.io/zone": "europe-west4-c"}, provider_id="gce://p/z/n")
    assert (gke.cloud, gke.region, gke.capacity_type) == ("gcp", "europe-west4", "on-demand")
    aks = Node(
        "z", {"outerbounds.co/provider": "azure", "kubernetes.azure.com/scalesetpriority": "spot"}
    )
    assert (aks.cloud, aks.region, aks.capacity_type) == ("azure", None, "spot")


@pytest.mark.parametrize(
    ("label", "value", "expected"),
    [
        ("karpenter.sh/capacity-type", "spot", "spot"),
        ("karpenter.sh/capacity-type", "on-demand", "on-demand"),
        ("eks.amazonaws.com/capacityType", "SPOT", "spot"),
        ("eks.amazonaws.com/capacityType", "ON_DEMAND", "on-demand"),
        ("cloud.google.com/gke-spot", "true", "spot"),
        ("cloud.google.com/gke-preemptible", "true", "spot"),
        ("kubernetes.azure.com/scalesetpriority", "spot", "spot"),
        ("kubernetes.azure.com/scalesetpriority", "regular", "on-demand"),
    ],
)
def test_capacity_type_of_every_flavour(label: str, value: str, expected: str) -> None:
    assert Node("n", {label: value}).capacity_type == expected


def test_load_clamps_overcommitted_nodes_and_skips_excluded() -> None:
    a = Node("a", allocatable=Amount(4, 8))
    b = Node("b", allocatable=Amount(2, 4))
    down = Node("c", allocatable=Amount(16, 64), ready=False)
    pods = [
        Pod("ns", "p1", "a", "Running", Amount(5, 2)),  # over a's cpu: free cpu 0, not -1
        Pod("ns", "p2", "b", "Running", Amount(1, 1)),
        Pod("ns", "p3", "c", "Running", Amount(1, 1)),
        Pod("ns", "p4", None, "Pending", Amount(1, 1)),
    ]
    load = load_of([a, b, down], pods)
    assert (load.nodes_total, load.nodes_usable) == (3, 2)
    assert load.allocatable == Amount(6, 12)
    assert load.requested == Amount(6, 3)
    assert load.free == Amount(0 + 1, 6 + 3)  # a: (0, 6), b: (1, 3)
    assert load.excluded == ("c: not Ready",)
    assert load.utilisation() == Amount(1.0, 0.25, 0.0)


def test_load_without_pods_is_allocatable() -> None:
    load = load_of([Node("a", allocatable=Amount(4, 8, 1))], None)
    assert load.free == Amount(4, 8, 1) and not load.pods_counted
