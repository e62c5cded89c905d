"""Pools: placer.yaml parsing, and discovery/status over large synthetic clusters, both
pure (JSON already in memory) and end to end through the official client and a local
Kubernetes API server (tests/fixtures/kube/kubeapi.py) with paging."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.kube.clusters import container, node, pod  # noqa: E402
from fixtures.kube.kubeapi import FakeCluster, serve_all  # noqa: E402

from placer.config import default_config, parse_config  # noqa: E402
from placer.kube import (  # noqa: E402
    ClusterSnapshot,
    cluster_status,
    discover,
    node_from_json,
    pod_from_json,
    read_clusters,
)


def _cluster(nodes: int, pods_per_node: int) -> FakeCluster:
    items, pods = [], []
    for i in range(nodes):
        spot = i % 3 == 0
        labels = {
            "outerbounds.co/provider": "aws",
            "topology.kubernetes.io/region": "us-east-1",
            "node.kubernetes.io/instance-type": "c7i.4xlarge" if spot else "m7i.2xlarge",
            "karpenter.sh/capacity-type": "spot" if spot else "on-demand",
            "karpenter.sh/nodepool": "spot" if spot else "default",
        }
        name = f"ip-10-{i // 250}-{i % 250}.ec2.internal"
        items.append(node(name, labels, "15890m", "30408704Ki", ready=i % 50 != 0))
        for j in range(pods_per_node):
            pods.append(
                pod(
                    f"p-{i}-{j}",
                    name,
                    [container("c", {"cpu": "250m", "memory": "512Mi"})],
                    metaflow=("BigFlow", f"step{j % 4}") if j % 2 else None,
                )
            )
    return FakeCluster(items, pods, None)


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _config_row() -> str:
    text = (ROOT / "tests" / "fixtures" / "config" / "full.yaml").read_text()
    seconds = _best(lambda: [parse_config(text) for _ in range(200)]) / 200
    return f"| parse tests/fixtures/config/full.yaml (49 lines) | {seconds * 1e3:.2f} ms |"


def _pure_rows(nodes: int, per_node: int) -> list[str]:
    fake = _cluster(nodes, per_node)
    parse = _best(
        lambda: ([node_from_json(n) for n in fake.nodes], [pod_from_json(p) for p in fake.pods])
    )
    snap = ClusterSnapshot(
        "bench", tuple(map(node_from_json, fake.nodes)), tuple(map(pod_from_json, fake.pods))
    )
    disc = _best(lambda: discover([snap]))
    stat = _best(lambda: cluster_status(default_config().pools, [snap]))
    size = f"{nodes} nodes, {nodes * per_node} pods"
    return [
        f"| parse Node/Pod JSON ({size}) | {parse * 1e3:.0f} ms |",
        f"| discover pools ({size}) | {disc * 1e3:.0f} ms |",
        f"| status of 3 pools ({size}) | {stat * 1e3:.0f} ms |",
    ]


def _end_to_end_row(nodes: int, per_node: int) -> str:
    fake = _cluster(nodes, per_node)
    with tempfile.TemporaryDirectory() as tmp, serve_all(Path(tmp) / "kc", {"big": fake}) as kc:
        seconds = _best(lambda: discover(read_clusters(kc, [])), repeat=2)
    pages = sum(1 for r in fake.requests if r.startswith("/api/v1/pods")) // 2
    return (
        f"| read + discover through the client and a local API server ({nodes} nodes, "
        f"{nodes * per_node} pods, {pages} pod pages of 500) | {seconds:.2f} s |"
    )


def run() -> str:
    rows = [_config_row(), *_pure_rows(1000, 10), *_pure_rows(5000, 10), _end_to_end_row(1000, 10)]
    return "\n".join(
        [
            "## Pools: placer.yaml, discovery and status",
            "",
            "Best of 3 (end to end: best of 2). Discovery and status are pure functions over a",
            "snapshot; reading goes through `kubernetes.client` with `_preload_content=False` and",
            "`limit`/`continue` paging. A third of the nodes are spot, 1 in 50 NotReady.",
            "",
            "| what | time |",
            "|---|---:|",
            *rows,
        ]
    )
