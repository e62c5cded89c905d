"""Local stand-ins for the clouds' price APIs, speaking their real wire formats.

Shared by the fetcher, refresh and CLI tests. Each ``serve_*`` registers handlers on a
pytest-httpserver (bound to 127.0.0.1 on a free port) from the JSON fixtures in
``tests/fixtures/pricing/``.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pricing.fetch.aws import on_demand_filters
from pricing.fetch.azure import API_VERSION, retail_filter

FIXTURES = Path(__file__).parent / "fixtures" / "pricing"
RETAIL_PATH = "/api/retail/prices"
AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
SKUS_PATH = f"/subscriptions/{AZURE_SUBSCRIPTION}/providers/Microsoft.Compute/skus"
ARM_SKUS_API_VERSION = "2021-07-01"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


# ---------------------------------------------------------------------------- Azure


def retail_params(service: str, region: str) -> dict[str, str]:
    return {
        "api-version": API_VERSION,
        "currencyCode": "'USD'",
        "$filter": retail_filter(service, region),
    }


def serve_retail(server: HTTPServer, service: str, region: str, pages: list[list[Any]]) -> None:
    """Serve ``pages`` of Retail Prices items, linked by NextPageLink with ``$skip``."""
    params = retail_params(service, region)
    for number, items in enumerate(pages):
        query = {**params, "$skip": str(100 * number)} if number else params
        last = number == len(pages) - 1
        link = None
        if not last:
            next_query = {**params, "$skip": str(100 * (number + 1))}
            link = server.url_for(RETAIL_PATH) + "?" + urllib.parse.urlencode(next_query)
        body = {
            "BillingCurrency": "USD",
            "CustomerEntityId": "Default",
            "CustomerEntityType": "Retail",
            "Items": items,
            "NextPageLink": link,
            "Count": len(items),
        }
        server.expect_request(RETAIL_PATH, query_string=query).respond_with_json(body)


def serve_resource_skus(server: HTTPServer, region: str, pages: list[list[Any]]) -> None:
    """Serve ARM resource SKU pages linked by nextLink, as azure-mgmt-compute reads them."""
    first = {"api-version": ARM_SKUS_API_VERSION, "$filter": f"location eq '{region}'"}
    for number, skus in enumerate(pages):
        query = (
            first
            if number == 0
            else {"api-version": ARM_SKUS_API_VERSION, "$skiptoken": str(number)}
        )
        body: dict[str, Any] = {"value": skus}
        if number < len(pages) - 1:
            next_query = {"api-version": ARM_SKUS_API_VERSION, "$skiptoken": str(number + 1)}
            body["nextLink"] = server.url_for(SKUS_PATH) + "?" + urllib.parse.urlencode(next_query)
        server.expect_request(SKUS_PATH, query_string=query).respond_with_json(body)


def serve_azure(server: HTTPServer, region: str = "eastus", arm: bool = True) -> None:
    data = fixture("azure-eastus.json")
    serve_retail(server, "Virtual Machines", region, data["vm_pages"])
    serve_retail(server, "Bandwidth", region, data["bandwidth_pages"])
    if arm:
        serve_resource_skus(server, region, data["resource_sku_pages"])


# ---------------------------------------------------------------------------- AWS


def price_list_pages(kind: str) -> list[list[dict[str, Any]]]:
    return fixture("aws-price-list-us-east-1.json")[f"{kind}_pages"]


def serve_aws_pricing(server: HTTPServer, region: str = "us-east-1") -> None:
    """The Price List API's JSON protocol (POST /, X-Amz-Target) with NextToken pages."""
    conversations = {
        "AmazonEC2": (on_demand_filters(region), price_list_pages("compute")),
        "AWSDataTransfer": (
            [{"Type": "TERM_MATCH", "Field": "fromRegionCode", "Value": region}],
            price_list_pages("egress"),
        ),
    }

    def handler(request: Request) -> Response:
        body = json.loads(request.get_data())
        filters, pages = conversations[body["ServiceCode"]]
        if body["Filters"] != filters:
            return Response(json.dumps({"__type": "InvalidParameterException"}), status=400)
        number = int(body.get("NextToken", "0"))
        answer: dict[str, Any] = {
            "FormatVersion": "aws_v1",
            "PriceList": [json.dumps(entry) for entry in pages[number]],
        }
        if number + 1 < len(pages):
            answer["NextToken"] = str(number + 1)
        return Response(json.dumps(answer), content_type="application/x-amz-json-1.1")

    server.expect_request(
        "/", method="POST", headers={"X-Amz-Target": "AWSPriceListService.GetProducts"}
    ).respond_with_handler(handler)


# ---------------------------------------------------------------------------- GCP


def serve_gcp(server: HTTPServer, data: dict[str, Any] | None = None) -> None:
    """``GET /v1/services/{id}/skus`` in the REST JSON form, pages linked by nextPageToken."""
    catalog = data or fixture("gcp-skus.json")
    for service, pages in catalog.items():

        def handler(request: Request, pages: list[Any] = pages) -> Response:
            number = int(request.args.get("pageToken") or "0")
            body = {"skus": pages[number], "nextPageToken": ""}
            if number + 1 < len(pages):
                body["nextPageToken"] = str(number + 1)
            return Response(json.dumps(body), content_type="application/json")

        server.expect_request(f"/v1/{service}/skus", method="GET").respond_with_handler(handler)


def without_aws_credentials(monkeypatch: Any, tmp_path: Path) -> None:
    """An environment where boto3's default chain finds no credentials (and no IMDS)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", "http://127.0.0.1:9")  # never reached
