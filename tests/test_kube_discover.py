"""Pool discovery against local Kubernetes API servers (EKS + Karpenter, GKE, AKS)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.kube.clusters import cluster, container, pod
from fixtures.kube.kubeapi import FakeCluster, closed_port_url, write_kubeconfig

import placer.kube.client as kube_client
from placer.errors import PoolError
from placer.kube import Amount, discover, list_contexts, read_clusters

NAMES = ("eks", "gke", "aks")


def by_name(found: list) -> dict:
    return {d.pool.name: d for d in found}


def test_three_clouds_merge_into_one_pool_list(kubeconfig: Path) -> None:
    found = by_name(discover(read_clusters(kubeconfig, list(NAMES))))
    assert list(found) == [
        "aws-us-east-1",
        "aws-us-east-1-spot",
        "gcp-us-central1",
        "gcp-us-central1-spot",
        "azure-eastus",
        "azure-eastus-spot",
    ]
    assert {n: (d.pool.cloud, d.pool.region, d.pool.capacity_type) for n, d in found.items()} == {
        "aws-us-east-1": ("aws", "us-east-1", "on-demand"),
        "aws-us-east-1-spot": ("aws", "us-east-1", "spot"),
        "gcp-us-central1": ("gcp", "us-central1", "on-demand"),
        "gcp-us-central1-spot": ("gcp", "us-central1", "spot"),
        "azure-eastus": ("azure", "eastus", "on-demand"),
        "azure-eastus-spot": ("azure", "eastus", "spot"),
    }
    assert found["gcp-us-central1"].pool.source == "discovered:gke"


def test_eks_on_demand_free_capacity(kubeconfig: Path) -> None:
    d = by_name(discover(read_clusters(kubeconfig, ["eks"])))["aws-us-east-1"]
    # Nodes general x2 (7.91 cpu, 30 GiB) + gpu (3.92 cpu, 14 GiB, 1 GPU; its GPU taint is
    # tolerated by GPU pods) = 19.74 cpu, 74 GiB, 1 GPU.
    assert d.load.allocatable.vcpus == pytest.approx(19.74)
    assert d.load.allocatable.memory_gib == pytest.approx(74.0)
    # etl-1: max(apps 1.5 cpu/2.5 GiB, init 2 cpu/1 GiB) = 2 cpu, 2.5 GiB
    # kata-agent: 0.1 + overhead 0.25 = 0.35 cpu; 128 + 120 = 248 MiB = 0.2421875 GiB
    # t-start: 1 cpu, 4096M = 4.096e9 / 2^30 GiB; done-job (Succeeded) is not listed
    # t-train: 2 cpu, 8 GiB, 1 GPU
    mem = 2.5 + 0.2421875 + 4.096e9 / 2**30 + 8
    assert d.load.requested.vcpus == pytest.approx(5.35)
    assert d.load.requested.memory_gib == pytest.approx(mem)
    assert d.load.requested.gpus == 1
    assert d.load.free.vcpus == pytest.approx(19.74 - 5.35)  # 14.39
    assert d.load.free.memory_gib == pytest.approx(74 - mem)  # 59.4431...
    # limits keep 20% of allocatable free: 14.39 - 3.948 = 10.442 -> 10.44;
    # 59.4431 - 14.8 = 44.6431 -> 44.64; GPUs 0 - 0.2 -> 0
    assert (d.pool.max_vcpus, d.pool.max_memory_gib, d.pool.max_gpus) == (10.44, 44.64, 0.0)
    assert d.pool.instance_types == ("g5.xlarge", "m7i.2xlarge")
    assert dict(d.pool.node_selector) == {
        "outerbounds.co/provider": "aws",
        "eks.amazonaws.com/capacityType": "ON_DEMAND",
    }
    assert d.warnings == ()
    # cluster-autoscaler status (YAML): eks-general-... maxSize 5, eks-gpu-... maxSize 2.
    # ceiling = 5 x (7.91 cpu, 30 GiB) + 2 x (3.92 cpu, 14 GiB, 1 GPU)
    assert d.ceiling == {"vcpus": 47.39, "memory_gib": 178.0, "gpus": 2.0}
    # could add (5 - 2) general nodes + (2 - 1) gpu node = 3 x 7.91 + 3.92 = 27.65 cpu,
    # 3 x 30 + 14 = 104 GiB, 1 GPU
    assert d.could_add == {"vcpus": 27.65, "memory_gib": 104.0, "gpus": 1.0}


def test_karpenter_spot_pool_has_ceiling(kubeconfig: Path) -> None:
    d = by_name(discover(read_clusters(kubeconfig, ["eks"])))["aws-us-east-1-spot"]
    # ip-10-0-2-21 is NotReady: only ip-10-0-2-20 (15.89 cpu, 29 GiB) counts;
    # limits-only pod requests its limits 2 cpu/4 GiB; the Failed pod is not listed.
    assert (d.load.nodes_total, d.load.nodes_usable) == (2, 1)
    assert d.load.excluded == ("ip-10-0-2-21.ec2.internal: not Ready",)
    assert d.load.free == Amount(pytest.approx(13.89), 25.0, 0.0)
    # 13.89 - 0.2 x 15.89 = 10.712 -> 10.71; 25 - 0.2 x 29 = 19.2
    assert (d.pool.max_vcpus, d.pool.max_memory_gib) == (10.71, 19.2)
    # NodePool "spot": limits 64 cpu / 256 GiB, in use 32 cpu / 64 GiB
    assert d.ceiling == {"vcpus": 64.0, "memory_gib": 256.0}
    assert d.could_add == {"vcpus": 32.0, "memory_gib": 192.0}
    assert dict(d.pool.node_selector) == {
        "outerbounds.co/provider": "aws",
        "karpenter.sh/capacity-type": "spot",
    }


def test_gke_cloud_from_provider_id_and_selector_leak_warning(kubeconfig: Path) -> None:
    found = by_name(discover(read_clusters(kubeconfig, ["gke"])))
    od = found["gcp-us-central1"]
    # default-pool-1 (7.91, 27) + gpu-pool-1 (7.91, 28, 1 GPU); default-pool-2 is cordoned.
    # web: apps 0.5+0.25 sidecar = 0.75 cpu, 1.25 GiB; init "migrate" beside the sidecar
    # = 1.25 cpu, 0.75 GiB -> request 1.25 cpu, 1.25 GiB. t-train-gke: 4 cpu, 16000M, 1 GPU.
    mem = 1.25 + 16e9 / 2**30
    assert od.load.requested.vcpus == pytest.approx(5.25)
    assert od.load.requested.memory_gib == pytest.approx(mem)
    assert od.load.free.vcpus == pytest.approx(15.82 - 5.25)  # 10.57
    # 10.57 - 3.164 = 7.406 -> 7.4; (55 - mem) - 11 = 27.8488 -> 27.84
    assert (od.pool.max_vcpus, od.pool.max_memory_gib) == (7.4, 27.84)
    assert od.load.excluded == ("gke-c-default-pool-2: cordoned (unschedulable)",)
    # GKE on-demand nodes carry no capacity label, so a node selector cannot exclude spot
    assert dict(od.pool.node_selector) == {"topology.kubernetes.io/region": "us-central1"}
    assert od.ceiling == {}  # no autoscaler status ConfigMap in this cluster (404)
    assert od.warnings == (
        "gcp:us-central1 on-demand: selector {'topology.kubernetes.io/region': 'us-central1'} "
        "also matches gke-c-spot-pool-1",
    )
    spot = found["gcp-us-central1-spot"]
    assert spot.pool.node_selector["cloud.google.com/gke-spot"] == "true"
    assert (spot.pool.max_vcpus, spot.pool.max_memory_gib) == (9.71, 34.4)  # see docstring math


def test_group_by_node_pool_gives_exact_selectors(kubeconfig: Path) -> None:
    label = "cloud.google.com/gke-nodepool"
    found = by_name(discover(read_clusters(kubeconfig, ["gke"]), group_by=[label]))
    assert list(found) == [
        "gcp-us-central1-default-pool",
        "gcp-us-central1-gpu-pool",
        "gcp-us-central1-spot-pool-spot",
    ]
    assert {n: dict(d.pool.node_selector) for n, d in found.items()} == {
        "gcp-us-central1-default-pool": {label: "default-pool"},
        "gcp-us-central1-gpu-pool": {label: "gpu-pool"},
        "gcp-us-central1-spot-pool-spot": {label: "spot-pool"},
    }
    assert all(d.warnings == () for d in found.values())
    gpu = found["gcp-us-central1-gpu-pool"].pool
    # 1 GPU allocatable, 1 requested: 0 free
    assert gpu.max_gpus == 0 and gpu.instance_types == ("g2-standard-8",)


def test_group_by_label_on_no_node_is_an_error(kubeconfig: Path) -> None:
    snapshots = read_clusters(kubeconfig, ["eks", "gke"])
    with pytest.raises(PoolError) as info:
        discover(snapshots, group_by=["eks.amazonaws.com/nodegrup"])
    assert info.value.one_line() == (
        "--group-by: no node of the clusters read has the label 'eks.amazonaws.com/nodegrup'. "
        "To fix: did you mean 'eks.amazonaws.com/nodegroup'?"
    )
    # a label only some clusters carry is fine: GKE's nodes fall in the "none" group
    found = by_name(discover(snapshots, group_by=["eks.amazonaws.com/nodegroup"]))
    assert "gcp-us-central1-none" in found and "aws-us-east-1-general" in found


def test_aks_tainted_node_and_overcommit(kubeconfig: Path) -> None:
    found = by_name(discover(read_clusters(kubeconfig, ["aks"]), headroom=0.0))
    od = found["azure-eastus"]
    assert od.load.excluded == ("aks-system-0: tainted CriticalAddonsOnly=true:NoSchedule",)
    # userpool-0: 7.82 cpu, 26 GiB; big (7, 24) + static-agent (2, 1) = 9 cpu: free cpu 0
    assert od.load.free == Amount(0.0, 1.0, 0.0)
    assert (od.pool.max_vcpus, od.pool.max_memory_gib) == (0.0, 1.0)
    # legacy-text autoscaler status: aks-userpool-... maxSize 4 (the tainted system pool's
    # group never takes tasks): 4 x (7.82 cpu, 26 GiB); 3 more nodes could be added
    assert od.ceiling == {"vcpus": 31.28, "memory_gib": 104.0, "gpus": 0.0}
    assert od.could_add == {"vcpus": 23.46, "memory_gib": 78.0, "gpus": 0.0}
    spot = found["azure-eastus-spot"]
    # two Metaflow tasks of 1 cpu / 4096M: free 7.82 - 2 = 5.82 cpu, 26 - 2 x 3.8147 GiB
    assert spot.pool.max_vcpus == 5.82
    assert spot.pool.max_memory_gib == 18.37  # 18.3706... floored to 2 decimals
    assert spot.ceiling == {}  # aks-spotpool is not an autoscaled group in the status


def test_rbac_forbidden_pods_falls_back_to_nodes(
    tmp_path: Path, kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    kube_clusters["aks"].forbid = {"pods"}
    kc = kube_api({"aks": kube_clusters["aks"]}, name="kc")
    (snap,) = read_clusters(kc, [])
    assert snap.pods is None
    assert snap.warnings == (
        "aks: not allowed to list pods (RBAC 403): free capacity is allocatable capacity, "
        "running pods not subtracted",
    )
    spot = by_name(discover([snap], headroom=0.5))["azure-eastus-spot"]
    assert not spot.load.pods_counted
    assert (spot.pool.max_vcpus, spot.pool.max_memory_gib) == (3.91, 13.0)  # half of 7.82, 26


def test_expired_credentials(
    tmp_path: Path, kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    kc = kube_api({"eks": kube_clusters["eks"]}, tokens={"eks": "expired"}, name="kc")
    with pytest.raises(PoolError) as info:
        read_clusters(kc, ["eks"])
    assert info.value.one_line().startswith(
        "context eks: credentials rejected (401 Unauthorized) listing nodes: expired or invalid. "
        "To fix: refresh the context's credentials"
    )


def test_unreachable_cluster(tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kc", {"gone": closed_port_url()}, "gone")
    with pytest.raises(PoolError, match="context gone: cluster unreachable while listing nodes"):
        read_clusters(kc, [])


def test_unknown_context(kubeconfig: Path) -> None:
    with pytest.raises(PoolError) as info:
        read_clusters(kubeconfig, ["prod"])
    assert info.value.one_line() == (
        f"{kubeconfig}: unknown context 'prod'. To fix: the kubeconfig's contexts: eks, gke, aks"
    )
    with pytest.raises(PoolError) as info:
        read_clusters(kubeconfig, ["eks", "gek"])
    assert info.value.one_line().endswith("unknown context 'gek'. To fix: did you mean 'gke'?")
    assert list_contexts(kubeconfig) == (list(NAMES), "eks")


def test_kubeconfig_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "kc"
    path.write_text("apiVersion: v1\nclusters: [unclosed\n")
    with pytest.raises(PoolError) as info:
        read_clusters(path, [])
    assert info.value.one_line() == (
        f"{path}:3:1: the kubeconfig is not valid YAML: expected ',' or ']', but got "
        "'<stream end>'. To fix: fix the file, or point --kubeconfig at another one"
    )


def test_missing_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(PoolError) as info:
        read_clusters(tmp_path / "nope", [])
    assert info.value.one_line().startswith(
        f"--kubeconfig: cannot read the kubeconfig: no file {tmp_path / 'nope'}. To fix:"
    )


def test_node_without_region(
    tmp_path: Path, kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    node = kube_clusters["aks"].nodes[2]
    del node["metadata"]["labels"]["topology.kubernetes.io/region"]
    del node["metadata"]["labels"]["topology.kubernetes.io/zone"]
    kc = kube_api({"aks": kube_clusters["aks"]}, name="kc")
    snaps = read_clusters(kc, [])
    with pytest.raises(PoolError) as info:
        discover(snaps)
    assert info.value.one_line() == (
        "context aks: node aks-userpool-0 has no region: no topology.kubernetes.io/region label "
        "and none derivable from its zone or providerID. To fix: label it: kubectl label node "
        "aks-userpool-0 topology.kubernetes.io/region=REGION"
    )


def test_paging_follows_continue(
    tmp_path: Path, kube_clusters: dict[str, FakeCluster], monkeypatch: pytest.MonkeyPatch, kube_api
) -> None:
    monkeypatch.setattr(kube_client, "PAGE_SIZE", 2)
    kc = kube_api({"eks": kube_clusters["eks"]}, name="kc")
    (snap,) = read_clusters(kc, [])
    assert len(snap.nodes) == 5 and len(snap.pods or ()) == 7  # 9 pods, 2 terminal
    node_calls = [r for r in kube_clusters["eks"].requests if r.startswith("/api/v1/nodes")]
    assert node_calls == [
        "/api/v1/nodes?limit=2",
        "/api/v1/nodes?continue=2&limit=2",
        "/api/v1/nodes?continue=4&limit=2",
    ]


def test_a_list_whose_continue_never_ends_is_an_error(
    kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    kube_clusters["eks"].endless = True  # the same continue token on every page
    kc = kube_api({"eks": kube_clusters["eks"]}, name="kc")
    with pytest.raises(PoolError, match=r"list of nodes does not end \(continue token '0'"):
        read_clusters(kc, [])
    assert len(kube_clusters["eks"].requests) == 2  # the first page, then the repeat


def test_a_page_over_the_size_cap_is_an_error(
    kube_clusters: dict[str, FakeCluster], monkeypatch: pytest.MonkeyPatch, kube_api
) -> None:
    monkeypatch.setattr(kube_client, "MAX_PAGE_BYTES", 2048)  # the eks nodes page is larger
    kc = kube_api({"eks": kube_clusters["eks"]}, name="kc")
    with pytest.raises(PoolError) as caught:
        read_clusters(kc, [])
    assert caught.value.one_line().startswith(
        "context eks: the API server sent more than 0 MB for one page of nodes"
    )


def test_same_names_from_two_clusters_get_the_context(
    tmp_path: Path, kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    twins = {"east": kube_clusters["aks"], "east2": FakeCluster(**cluster("aks"))}
    kc = kube_api(twins, name="kc")
    names = [d.pool.name for d in discover(read_clusters(kc, ["east", "east2"]))]
    assert names == [
        "azure-eastus-east",
        "azure-eastus-spot-east",
        "azure-eastus-east2",
        "azure-eastus-spot-east2",
    ]


def test_bad_headroom() -> None:
    with pytest.raises(PoolError, match=r"^--headroom: must be a share in \[0, 1\), got 1.5\. "):
        discover([], headroom=1.5)


def test_karpenter_v1beta1_nodepools(
    tmp_path: Path, kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    kube_clusters["eks"].karpenter_version = "v1beta1"
    kc = kube_api({"eks": kube_clusters["eks"]}, name="kc")
    (snap,) = read_clusters(kc, [])
    assert list(snap.nodepools) == ["spot"]
    assert [r.split("?")[0] for r in kube_clusters["eks"].requests if "karpenter" in r] == [
        "/apis/karpenter.sh/v1/nodepools",  # 404 first
        "/apis/karpenter.sh/v1beta1/nodepools",
    ]


def test_nodepools_forbidden_warns(
    tmp_path: Path, kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    kube_clusters["eks"].forbid = {"nodepools", "configmaps"}
    kc = kube_api({"eks": kube_clusters["eks"]}, name="kc")
    (snap,) = read_clusters(kc, [])
    assert snap.nodepools == {} and snap.autoscaler == {}
    assert snap.warnings == (
        "eks: not allowed to list Karpenter NodePools: no ceilings",
        "eks: not allowed to read kube-system/cluster-autoscaler-status: no autoscaler ceilings",
    )
    assert all(d.ceiling == {} for d in discover([snap]))


def test_node_without_cloud(
    tmp_path: Path, kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    node = kube_clusters["gke"].nodes[0]  # GKE nodes carry no provider label: providerID decides
    node["spec"]["providerID"] = "kind://docker/kind/kind-worker"
    kc = kube_api({"gke": kube_clusters["gke"]}, name="kc")
    snaps = read_clusters(kc, [])
    with pytest.raises(PoolError) as info:
        discover(snaps)
    assert info.value.one_line() == (
        "context gke: node gke-c-default-pool-1 has no cloud: no outerbounds.co/provider label "
        "and providerID 'kind://docker/kind/kind-worker' is not aws/gce/azure. To fix: label "
        "it: kubectl label node gke-c-default-pool-1 outerbounds.co/provider=aws|azure|gcp"
    )


def test_cluster_without_nodes(tmp_path: Path, kube_api) -> None:
    kc = kube_api({"empty": FakeCluster([], [])}, name="kc")
    snaps = read_clusters(kc, [])
    with pytest.raises(PoolError, match="context empty: the cluster has no nodes"):
        discover(snaps)


def test_nodes_forbidden_is_an_error(
    tmp_path: Path, kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    kube_clusters["aks"].forbid = {"nodes"}
    kc = kube_api({"aks": kube_clusters["aks"]}, name="kc")
    with pytest.raises(PoolError) as info:
        read_clusters(kc, [])
    assert info.value.one_line() == (
        "context aks: not allowed to list nodes (RBAC 403 Forbidden). To fix: grant get/list "
        "on nodes (a ClusterRole) to this identity"
    )


def test_kubeconfig_without_current_context(tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kc", {"a": closed_port_url()}, "a")
    kc.write_text(kc.read_text().replace("current-context: a", "current-context: ''"))
    with pytest.raises(PoolError) as info:
        read_clusters(kc, [])
    # the client refuses an empty current-context itself
    assert info.value.location == str(kc)
    assert info.value.headline.startswith("cannot read the kubeconfig: Invalid kube-config file")
    assert (
        info.value.hint
        == "check --kubeconfig and --context (kubectl config get-contexts lists them)"
    )


def daemonset_pod(name: str, node_name: str, requests: dict[str, str]) -> dict:
    """A pod as a DaemonSet's controller makes it: an owner reference with controller=true."""
    item = pod(name, node_name, [container(name, requests)], namespace="kube-system")
    item["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": name, "uid": f"ds-{name}",
         "controller": True, "blockOwnerDeletion": True}
    ]  # fmt: skip
    return item


def test_discover_measures_the_daemonsets_on_each_pool(
    tmp_path: Path, kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    eks = kube_clusters["eks"]
    general, gpu = "ip-10-0-1-10.ec2.internal", "ip-10-0-3-30.ec2.internal"
    for node_name in (general, gpu):
        eks.pods.append(daemonset_pod(f"aws-node-{node_name[:9]}", node_name, {"cpu": "25m"}))
        eks.pods.append(daemonset_pod(f"kube-proxy-{node_name[:9]}", node_name, {"cpu": "100m"}))
    # the GPU node also runs the NVIDIA device plugin: 50m, 100Mi
    eks.pods.append(daemonset_pod("nvidia-device-plugin", gpu, {"cpu": "50m", "memory": "100Mi"}))
    kc = kube_api({"eks": eks}, name="kc")
    found = by_name(discover(read_clusters(kc, [])))
    ds = found["aws-us-east-1"].pool.daemonsets
    # the most any node of the pool carries: the GPU node's 175m, 100Mi, 3 pods
    assert (ds.vcpus, ds.memory_gib, ds.pods) == (pytest.approx(0.175), 100 / 1024, 3)
    assert ds.source == "measured in eks"
    # the spot pool's nodes run none of them here: measured as nothing, not unknown
    spot = found["aws-us-east-1-spot"].pool.daemonsets
    assert (spot.vcpus, spot.memory_gib, spot.pods) == (0.0, 0.0, 0)


def test_daemonsets_are_unknown_when_pods_cannot_be_listed(
    kube_clusters: dict[str, FakeCluster], kube_api
) -> None:
    kube_clusters["aks"].forbid = {"pods"}
    kc = kube_api({"aks": kube_clusters["aks"]}, name="kc")
    assert all(d.pool.daemonsets is None for d in discover(read_clusters(kc, [])))
