"""Extract the facts the snapshot needs from public sources into tools/snapshot/facts/.

Each subcommand reads one public artifact (downloaded by hand, see pricing/data/SOURCES.md)
and writes a small CSV of the rows placer ships. Only facts (prices, shapes) are taken.

    python tools/snapshot/extract.py aws-transfer  skyplane/data/aws_transfer_costs.csv
    python tools/snapshot/extract.py azure-prices  pkg/providers/pricing/zz_generated.pricing.go
    python tools/snapshot/extract.py azure-shapes  sc_data/data/sc-data-priceless.db
"""

from __future__ import annotations

import csv
import re
import sqlite3
import sys
from pathlib import Path

FACTS = Path(__file__).parent / "facts"

AWS_REGIONS = (
    "us-east-1", "us-east-2", "us-west-2", "ca-central-1", "eu-west-1",
    "eu-central-1", "eu-west-2", "ap-northeast-1", "ap-southeast-1", "ap-south-1",
)  # fmt: skip
AZURE_REGIONS = (
    "eastus", "eastus2", "westus2", "centralus", "canadacentral", "westeurope",
    "northeurope", "uksouth", "germanywestcentral", "japaneast", "southeastasia",
    "centralindia", "australiaeast",
)  # fmt: skip
AZURE_SKUS = (
    "Standard_D2s_v5", "Standard_D4s_v5", "Standard_D8s_v5", "Standard_D16s_v5",
    "Standard_D32s_v5", "Standard_D4ps_v5", "Standard_D16ps_v5", "Standard_F4s_v2",
    "Standard_F8s_v2", "Standard_F16s_v2", "Standard_E4s_v5", "Standard_E8s_v5",
    "Standard_E16s_v5", "Standard_E32s_v5", "Standard_NC4as_T4_v3",
    "Standard_NC16as_T4_v3", "Standard_NV36ads_A10_v5", "Standard_NC24ads_A100_v4",
    "Standard_NC40ads_H100_v5", "Standard_ND96asr_v4", "Standard_ND96isr_H100_v5",
)  # fmt: skip


def aws_transfer(source: Path) -> int:
    """Per-pair AWS transfer prices for the snapshot's regions (plus internet)."""
    keep = set(AWS_REGIONS)
    rows = [
        row
        for row in csv.DictReader(source.open())
        if row["src"] in keep and (row["dst"] in keep or row["dst"] == "internet")
    ]
    header = (
        f"# Extracted by tools/snapshot/extract.py aws-transfer from {source.name}\n"
        "# (PyPI skyplane 0.3.2, skyplane/data/aws_transfer_costs.csv)\n"
        "# src,dst,usd_per_gb (dst 'internet' = first-tier internet egress)\n"
    )
    lines = [f"{r['src']},{r['dst']},{r['cost']}" for r in rows]
    (FACTS / "aws_transfer.csv").write_text(header + "\n".join(lines) + "\n")
    return len(lines)


_REGION = re.compile(r'initialOnDemandPrices\["([a-z0-9]+)"\] = map')
_PRICE = re.compile(r'^\s*"([^"]+)":\s*([0-9.]+),')
_STAMP = re.compile(r'InitialPriceUpdate.*"([0-9TZ:-]+)"')


def azure_prices(source: Path) -> int:
    """On-demand Linux list prices for the snapshot's SKUs and regions."""
    text = source.read_text()
    stamp = _STAMP.search(text)
    region, rows = None, []
    for line in text.splitlines():
        if match := _REGION.search(line):
            region = match.group(1)
        elif (match := _PRICE.match(line)) and region in AZURE_REGIONS:
            if match.group(1) in AZURE_SKUS:
                rows.append(f"{match.group(1)},{region},{match.group(2)}")
    header = (
        f"# Extracted by tools/snapshot/extract.py azure-prices from {source.name}\n"
        f"# (Azure/karpenter-provider-azure, generated {stamp.group(1) if stamp else '?'};\n"
        "# Azure Retail Prices API, Linux pay-as-you-go)\n# sku,region,usd_per_hour\n"
    )
    (FACTS / "azure.csv").write_text(header + "\n".join(rows) + "\n")
    return len(rows)


def azure_shapes(source: Path) -> int:
    """vCPUs, memory and GPU count of the snapshot's Azure SKUs from Spare Cores data."""
    query = (
        "select api_reference, vcpus, memory_amount, gpu_count, cpu_architecture "
        "from server where vendor_id = 'azure' and api_reference = ?"
    )
    rows = []
    with sqlite3.connect(source) as db:
        for sku in AZURE_SKUS:
            for name, vcpus, memory_mib, gpus, arch in db.execute(query, (sku,)):
                gib = memory_mib / 1024
                rows.append(f"{name},{vcpus},{gib:g},{gpus},{arch.lower()}")
    header = (
        f"# Extracted by tools/snapshot/extract.py azure-shapes from {source.name}\n"
        "# (PyPI sparecores-data 0.3.4, table server)\n# sku,vcpus,memory_gib,gpu_count,arch\n"
    )
    (FACTS / "azure_shapes.csv").write_text(header + "\n".join(rows) + "\n")
    return len(rows)


COMMANDS = {
    "aws-transfer": aws_transfer,
    "azure-prices": azure_prices,
    "azure-shapes": azure_shapes,
}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    print(f"{COMMANDS[sys.argv[1]](Path(sys.argv[2]))} rows written")
