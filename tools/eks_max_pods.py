"""Regenerate placer/kube/data/eks-max-pods.json from the Amazon EKS AMI's instance table.

The EKS AMI (nodeadm) sets kubelet's maxPods to the VPC CNI's IP limit,
``ENIs x (IPv4 addresses per ENI - 1) + 2`` (nodeadm/internal/kubelet/eni_max_pods.go,
``calculateStandardMaxPods``), from the ENI counts it embeds in
nodeadm/internal/kubelet/instance-info.jsonl. The kube-reserved memory it sets is
``11 x maxPods + 255`` MiB, so placer needs the same maxPods per instance type.

Usage: python tools/eks_max_pods.py PATH/TO/amazon-eks-ami [COMMIT DATE]
(a checkout of github.com/awslabs/amazon-eks-ami; COMMIT and DATE name the commit read).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "placer" / "kube" / "data" / "eks-max-pods.json"
TABLE = "nodeadm/internal/kubelet/instance-info.jsonl"


def max_pods(line: str) -> tuple[str, int]:
    row = json.loads(line)
    return row["instanceType"], row["defaultMaxENIs"] * (row["ipv4AddressesPerInterface"] - 1) + 2


def main(checkout: str, commit: str = "", date: str = "") -> None:
    lines = (Path(checkout) / TABLE).read_text().splitlines()
    table = dict(sorted(max_pods(line) for line in lines if line.strip()))
    data = {
        "source": f"github.com/awslabs/amazon-eks-ami {TABLE}",
        "commit": commit,
        "date": date,
        "formula": "ENIs x (IPv4 addresses per ENI - 1) + 2",
        "max_pods": table,
    }
    OUT.write_text(json.dumps(data, indent=0, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({len(table)} instance types)")


if __name__ == "__main__":
    main(*sys.argv[1:])
