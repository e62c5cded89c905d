"""Live refresh: how long placer's own work takes at the size of the real catalogs.

Real refreshes are dominated by the providers' latency; this measures what is ours, with
the APIs served from 127.0.0.1: the GCP catalog at its real size (~30,000 Compute Engine
SKUs in pages of 5,000, parsed by google-cloud-billing's REST transport), Azure Retail
Prices pages of 100 items (one HTTP round trip each), and parsing AWS Price List rows.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_httpserver import HTTPServer  # noqa: E402
from werkzeug import Request, Response  # noqa: E402

from pricing.fetch import RetryPolicy  # noqa: E402
from pricing.fetch.aws import parse_compute_product  # noqa: E402
from pricing.fetch.azure import fetch_azure  # noqa: E402
from pricing.fetch.gcp import fetch_gcp  # noqa: E402

REPEATS = 3
GCP_REGIONS = [f"region-{i}{n}" for i in ("us", "eu", "asia") for n in range(1, 14)]  # 39
FAMILIES = {"N2": "n2", "N2D AMD": "n2d", "C3": "c3", "E2": "e2", "G2": "g2"}
GCP_SKUS = 30_000
AZURE_ITEMS = 4_000


def _median_s(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _gcp_sku(
    number: int, description: str, group: str, usage: str, regions: list[str], unit: str, usd: float
) -> dict[str, Any]:  # noqa: E501
    return {
        "name": f"services/6F81-5844-456A/skus/{number:012X}",
        "skuId": f"{number:012X}",
        "description": description,
        "category": {"serviceDisplayName": "Compute Engine", "resourceFamily": "Compute",
                     "resourceGroup": group, "usageType": usage},
        "serviceRegions": regions,
        "pricingInfo": [{"pricingExpression": {"usageUnit": unit, "tieredRates": [
            {"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0",
                                                  "nanos": int(usd * 1e9)}}]}}],
    }  # fmt: skip


def _gcp_catalog() -> list[dict[str, Any]]:
    skus = []
    for region in GCP_REGIONS:
        for label in FAMILIES:
            for usage, prefix in (("OnDemand", ""), ("Preemptible", "Spot Preemptible ")):
                for resource, unit, usd in (("Core", "h", 0.03), ("Ram", "GiBy.h", 0.004)):
                    desc = f"{prefix}{label} Instance {resource} running in {region}"
                    skus.append(
                        _gcp_sku(len(skus), desc, resource.upper(), usage, [region], unit, usd)
                    )  # noqa: E501
    while len(skus) < GCP_SKUS:  # disks, images, licences: read and ignored
        skus.append(
            _gcp_sku(
                len(skus),
                "SSD backed PD Capacity",
                "SSD",
                "OnDemand",
                GCP_REGIONS[:1],
                "GiBy.mo",
                0.17,
            )
        )  # noqa: E501
    return skus


def _serve_gcp(server: HTTPServer, skus: list[dict[str, Any]], page: int = 5000) -> None:
    bodies = [
        json.dumps(
            {
                "skus": skus[i : i + page],
                "nextPageToken": str(i + page) if i + page < len(skus) else "",
            }
        )
        for i in range(0, len(skus), page)
    ]  # noqa: E501

    def handler(request: Request) -> Response:
        start = int(request.args.get("pageToken") or "0")
        return Response(bodies[start // page], content_type="application/json")

    server.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_handler(handler)
    server.expect_request("/v1/services/E000-3F24-B8AA/skus").respond_with_json({"skus": []})


def _serve_azure(server: HTTPServer, items: int, page: int = 100) -> None:
    item = {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 0.192,
            "armRegionName": "eastus", "effectiveStartDate": "2024-05-01T00:00:00Z",
            "meterName": "D4s v5", "productName": "Virtual Machines Dsv5 Series",
            "skuName": "D4s v5", "serviceName": "Virtual Machines", "unitOfMeasure": "1 Hour",
            "type": "Consumption", "armSkuName": "Standard_D4s_v5"}  # fmt: skip
    url = server.url_for("/prices")

    def handler(request: Request) -> Response:
        skip = int(request.args.get("$skip") or "0")
        rows = [
            {**item, "armSkuName": f"Standard_X{skip + i}"} for i in range(min(page, items - skip))
        ]  # noqa: E501
        link = f"{url}?$skip={skip + page}" if skip + page < items else None
        if "Bandwidth" in request.args.get("$filter", ""):
            rows, link = [], None
        return Response(
            json.dumps({"Items": rows, "NextPageLink": link}), content_type="application/json"
        )  # noqa: E501

    server.expect_request("/prices").respond_with_handler(handler)


def _aws_rows(count: int) -> list[str]:
    fixture = ROOT / "tests" / "fixtures" / "pricing" / "aws-price-list-us-east-1.json"
    entry = json.loads(fixture.read_text())["compute_pages"][0][0]
    return [json.dumps(entry) for _ in range(count)]


def run() -> str:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request log lines
    policy = RetryPolicy(attempts=1)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        skus = _gcp_catalog()
        _serve_gcp(server, skus)
        endpoint = server.url_for("/").rstrip("/")
        gcp_s = _median_s(lambda: fetch_gcp(GCP_REGIONS, policy, endpoint=endpoint))
        offers = len(fetch_gcp(GCP_REGIONS, policy, endpoint=endpoint).offers)
        server.clear()
        _serve_azure(server, AZURE_ITEMS)
        url = server.url_for("/prices")
        azure_s = _median_s(
            lambda: fetch_azure(["eastus"], policy, prices_url=url, known_shapes={})
        )  # noqa: E501
    finally:
        server.stop()
    rows = _aws_rows(10_000)
    aws_s = _median_s(lambda: [parse_compute_product(r, "us-east-1") for r in rows])
    pages = AZURE_ITEMS // 100
    return "\n".join(
        [
            "## Live pricing refresh (local endpoints)",
            "",
            "| work | size | time | rate |",
            "|---|---|---|---|",
            f"| GCP catalog fetch + pricing ({len(GCP_REGIONS)} regions) | {len(skus):,} SKUs, "
            f"6 pages -> {offers:,} offers | {gcp_s:.2f} s | {len(skus) / gcp_s:,.0f} SKUs/s |",
            f"| Azure Retail Prices pages | {AZURE_ITEMS:,} items, {pages} pages | "
            f"{azure_s:.2f} s | {azure_s / pages * 1000:.1f} ms/page |",
            f"| AWS Price List row parsing | 10,000 rows | {aws_s:.2f} s | "
            f"{10_000 / aws_s:,.0f} rows/s |",
            "",
            "Against the real APIs, latency dominates: Azure's ~100-item pages cost one round "
            "trip each (tens of pages per region), GCP's 5,000-SKU pages a few seconds each.",
        ]
    )


if __name__ == "__main__":
    print(run())
