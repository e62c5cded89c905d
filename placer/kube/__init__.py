"""Pools and live capacity from Kubernetes: reading clusters, capacity math, discovery, status.

`client` is the only module that talks to a cluster (and imports the `kubernetes`
package, inside its functions); the rest are pure functions over its snapshots.
"""

from placer.kube.capacity import Amount, pod_request
from placer.kube.client import ClusterSnapshot, NodePoolLimit, list_contexts, read_clusters
from placer.kube.discover import DiscoveredPool, discover, selector_for
from placer.kube.load import Load, load_of
from placer.kube.objects import Node, Pod, node_from_json, pod_from_json
from placer.kube.quantity import cpu_cores, memory_gib, parse_quantity
from placer.kube.status import ClusterStatus, PoolStatus, cluster_status

__all__ = [
    "Amount",
    "ClusterSnapshot",
    "ClusterStatus",
    "DiscoveredPool",
    "Load",
    "Node",
    "NodePoolLimit",
    "Pod",
    "PoolStatus",
    "cluster_status",
    "cpu_cores",
    "discover",
    "list_contexts",
    "load_of",
    "memory_gib",
    "node_from_json",
    "parse_quantity",
    "pod_from_json",
    "pod_request",
    "read_clusters",
    "selector_for",
]
