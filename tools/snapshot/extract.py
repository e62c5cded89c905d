"""Extract the facts the snapshot needs from public sources into tools/snapshot/facts/.

Each subcommand reads one public artifact (obtained as pricing/data/SOURCES.md says) and
writes a compact CSV of the rows placer ships: only facts (prices, shapes), for the
snapshot's regions. Each CSV starts with comment lines naming the source and its date.

    python tools/snapshot/extract.py aws-transfer     skyplane/data/aws_transfer_costs.csv
    python tools/snapshot/extract.py aws-karpenter    pkg/providers/pricing/zz_generated.pricing_aws.go
    python tools/snapshot/extract.py aws-libcloud     libcloud/data/pricing.json
    python tools/snapshot/extract.py aws-spot-advisor internal/spot/data/spot-advisor-data.json
    python tools/snapshot/extract.py aws-libcloud-shapes libcloud/compute/constants/ec2_instance_types.py
    python tools/snapshot/extract.py azure-prices     pkg/providers/pricing/zz_generated.pricing.go
    python tools/snapshot/extract.py azure-libcloud   libcloud/data/pricing.json
    python tools/snapshot/extract.py gcp-karpenter    pkg/providers/pricing/initial-prices.json
    python tools/snapshot/extract.py gcp-shapes       tools/machinetypes.csv
    python tools/snapshot/extract.py sc-shapes        <sc-data-dumps>/data/server
"""

from __future__ import annotations

import ast
import csv
import json
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

FACTS = Path(__file__).parent / "facts"

AWS_REGIONS = (
    "us-east-1", "us-east-2", "us-west-2", "ca-central-1", "eu-west-1", "eu-central-1",
    "eu-west-2", "ap-northeast-1", "ap-southeast-1", "ap-south-1", "ap-southeast-2",
)  # fmt: skip
AZURE_REGIONS = (
    "eastus", "eastus2", "westus2", "centralus", "canadacentral", "westeurope",
    "northeurope", "uksouth", "germanywestcentral", "japaneast", "southeastasia",
    "centralindia", "australiaeast",
)  # fmt: skip
GCP_REGIONS = (
    "us-central1", "us-east1", "us-east4", "us-west1", "northamerica-northeast1",
    "europe-west1", "europe-west2", "europe-west3", "europe-west4", "asia-northeast1",
    "asia-southeast1", "asia-south1", "australia-southeast1",
)  # fmt: skip


def _write(name: str, header: str, rows: Iterable[Iterable[object]]) -> int:
    """Write facts/<name>: '#' comment lines, then sorted CSV rows; returns the row count."""
    lines = sorted(",".join(str(v) for v in row) for row in rows)
    comments = "".join(f"# {line}\n" for line in header.strip().splitlines())
    (FACTS / name).write_text(comments + "\n".join(lines) + "\n")
    return len(lines)


def aws_transfer(source: Path) -> int:
    """Per-pair AWS transfer prices for the snapshot's regions (plus internet)."""
    keep = set(AWS_REGIONS)
    rows = [
        (r["src"], r["dst"], r["cost"])
        for r in csv.DictReader(source.open())
        if r["src"] in keep and (r["dst"] in keep or r["dst"] == "internet")
    ]
    header = (
        f"Extracted by tools/snapshot/extract.py aws-transfer from {source.name}\n"
        "(PyPI skyplane 0.3.2, skyplane/data/aws_transfer_costs.csv)\n"
        "src,dst,usd_per_gb (dst 'internet' = first-tier internet egress)"
    )
    return _write("aws_transfer.csv", header, rows)


_GO_STAMP = re.compile(r"generated at ([0-9TZ:-]+)")
_GO_PRICE = re.compile(r'"([A-Za-z0-9_.-]+)":\s*([0-9.]+)')


def aws_karpenter(source: Path) -> int:
    """us-east-1 on-demand Linux prices of every instance type (karpenter-provider-aws)."""
    text = source.read_text()
    stamp = _GO_STAMP.search(text)
    rows = [(t, p) for t, p in _GO_PRICE.findall(text) if float(p) > 0]
    header = (
        f"github.com/aws/karpenter-provider-aws {source.name}, generated at "
        f"{stamp.group(1) if stamp else '?'} for us-east-1 (AWS Price List API, Linux on-demand)\n"
        "instance_type,usd_per_hour"
    )
    return _write("aws_karpenter.csv", header, rows)


def _libcloud_updated(document: dict) -> str:
    return datetime.fromtimestamp(document["updated"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def aws_libcloud(source: Path) -> int:
    """On-demand Linux prices per region from Apache Libcloud's pricing.json (0 = missing)."""
    document = json.loads(source.read_text())
    rows = [
        (itype, region, price)
        for itype, prices in document["compute"]["ec2_linux"].items()
        for region, price in prices.items()
        if region in AWS_REGIONS and price
    ]
    header = (
        "PyPI apache-libcloud 3.9.1, libcloud/data/pricing.json compute.ec2_linux, "
        f"updated {_libcloud_updated(document)}\ninstance_type,region,usd_per_hour"
    )
    return _write("aws_libcloud.csv", header, rows)


def azure_libcloud(source: Path) -> int:
    """Azure Linux pay-as-you-go prices per region from Libcloud's pricing.json."""
    document = json.loads(source.read_text())
    rows = [
        (key, region, price)
        for key, prices in document["compute"]["azure_linux"].items()
        if key.startswith("standard")
        for region, price in prices.items()
        if region in AZURE_REGIONS and price
    ]
    header = (
        "PyPI apache-libcloud 3.9.1, libcloud/data/pricing.json compute.azure_linux, "
        f"updated {_libcloud_updated(document)}\n"
        "key (armSkuName lower-cased without underscores),region,usd_per_hour"
    )
    return _write("azure_libcloud.csv", header, rows)


def aws_spot_advisor(source: Path) -> int:
    """Linux spot savings over on-demand (%) per type and region (AWS Spot Instance Advisor)."""
    advisor = json.loads(source.read_text())["spot_advisor"]
    rows = [
        (itype, region, entry["s"])
        for region in AWS_REGIONS
        for itype, entry in advisor.get(region, {}).get("Linux", {}).items()
    ]
    header = (
        "AWS Spot Instance Advisor data (spot-advisor-data.json) as vendored by "
        "github.com/alexei-led/spotinfo internal/spot/data/ @ 05e93313 (file committed "
        "2025-06-28)\ninstance_type,region,savings_percent_over_on_demand"
    )
    return _write("aws_spot_advisor.csv", header, rows)


def aws_libcloud_shapes(source: Path) -> int:
    """vCPUs, memory and GPU count per type from Libcloud's ec2_instance_types.py."""
    tree = ast.parse(source.read_text())
    table = next(
        ast.literal_eval(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "INSTANCE_TYPES"
    )
    rows = []
    for itype, info in table.items():
        extra = info.get("extra", {})
        gpus = extra.get("gpu", "0")
        rows.append((itype, extra.get("vcpu", ""), info.get("ram", 0) / 1024,
                     gpus if gpus.isdigit() else 0))  # fmt: skip
    header = (
        "PyPI apache-libcloud 3.9.1, libcloud/compute/constants/ec2_instance_types.py "
        "(scraped from the AWS price list)\ninstance_type,vcpus,memory_gib,gpu_count"
    )
    return _write("aws_shapes_libcloud.csv", header, rows)


_AZURE_REGION = re.compile(r'initialOnDemandPrices\["([a-z0-9]+)"\] = map')
_AZURE_PRICE = re.compile(r'^\s*"([^"]+)":\s*([0-9.]+),')


def azure_prices(source: Path) -> int:
    """Linux pay-as-you-go prices of every Standard_ SKU in the snapshot's regions."""
    text = source.read_text()
    stamp = _GO_STAMP.search(text)
    region, rows = None, []
    for line in text.splitlines():
        if match := _AZURE_REGION.search(line):
            region = match.group(1)
        elif (match := _AZURE_PRICE.match(line)) and region in AZURE_REGIONS:
            sku, price = match.groups()
            if sku.startswith("Standard_") and float(price) > 0:
                rows.append((sku, region, price))
    header = (
        f"github.com/Azure/karpenter-provider-azure {source.name}, generated "
        f"{stamp.group(1) if stamp else '?'} (Azure Retail Prices API, Linux pay-as-you-go)\n"
        "sku,region,usd_per_hour"
    )
    return _write("azure.csv", header, rows)


def gcp_karpenter(source: Path) -> int:
    """On-demand and spot prices per machine type and region (karpenter-provider-gcp)."""
    prices = json.loads(source.read_text())["prices"]
    rows = []
    for region in GCP_REGIONS:
        table = prices.get(region, {})
        spot = table.get("spot", {})
        for machine, usd in table.get("on_demand", {}).items():
            if usd > 0:
                rows.append((machine, region, round(usd, 6), round(spot.get(machine) or 0, 6)))
    header = (
        "github.com/cloudpilot-ai/karpenter-provider-gcp pkg/providers/pricing/"
        "initial-prices.json @ 862e6e35 (commit 2026-08-03; Cloud Billing Catalog API)\n"
        "machine_type,region,usd_per_hour,spot_usd_per_hour (0 = no spot price)"
    )
    return _write("gcp_prices.csv", header, rows)


def gcp_shapes(source: Path) -> int:
    """vCPUs, memory (GB = GiB on GCP) and shared-core flag per machine type (Cyclenerd)."""
    rows = [
        (r["NAME"], r["CPUS"], r["MEMORY_GB"], int(r["SHARED_CPU"] == "True"))
        for r in csv.DictReader(source.open(), delimiter=";")
        if not r["DEPRECATED"]
    ]
    header = (
        "github.com/Cyclenerd/google-cloud-pricing-cost-calculator tools/machinetypes.csv "
        "@ dac31281 (commit 2026-08-20; gcloud compute machine-types list)\n"
        "machine_type,vcpus,memory_gib,shared_cpu"
    )
    return _write("gcp_shapes.csv", header, rows)


def sc_shapes(source: Path) -> int:
    """Shapes of AWS, Azure and GCP servers from Spare Cores' data dumps (server/*.json)."""
    rows = []
    for cloud in ("aws", "azure", "gcp"):
        for path in sorted((source / cloud).glob("*.json")):
            server = json.loads(path.read_text())
            if server.get("status") != "ACTIVE":
                continue
            gpu_gib = (server.get("gpu_memory_min") or 0) / 1024
            rows.append((
                cloud, server["api_reference"], server["vcpus"],
                round(server["memory_amount"] / 1024, 3), server.get("gpu_count") or 0,
                (server.get("gpu_model") or "").replace(",", " "), round(gpu_gib, 1),
                (server.get("cpu_architecture") or "").lower().replace("arm64_mac", "arm64"),
                server.get("cpu_allocation") or "",
            ))  # fmt: skip
    header = (
        "github.com/SpareCores/sc-data-dumps data/server/<cloud>/*.json @ e8749bef "
        "(commit 2026-01-31)\n"
        "cloud,instance_type,vcpus,memory_gib,gpu_count,gpu_model,gpu_memory_gib,arch,"
        "cpu_allocation"
    )
    return _write("shapes_sc.csv", header, rows)


COMMANDS = {
    "aws-transfer": aws_transfer,
    "aws-karpenter": aws_karpenter,
    "aws-libcloud": aws_libcloud,
    "aws-spot-advisor": aws_spot_advisor,
    "aws-libcloud-shapes": aws_libcloud_shapes,
    "azure-prices": azure_prices,
    "azure-libcloud": azure_libcloud,
    "gcp-karpenter": gcp_karpenter,
    "gcp-shapes": gcp_shapes,
    "sc-shapes": sc_shapes,
}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    print(f"{COMMANDS[sys.argv[1]](Path(sys.argv[2]))} rows written")
