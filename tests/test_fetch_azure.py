"""Azure fetcher against local Retail Prices API and ARM resource SKU servers."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator

import pytest
from fixtures.pricing_servers import (
    AZURE_SUBSCRIPTION,
    RETAIL_PATH,
    SKUS_PATH,
    fixture,
    retail_params,
    serve_azure,
    serve_retail,
)
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pricing.fetch import FetchError, RetryPolicy, Shape
from pricing.fetch.azure import fetch_azure, gpu_model, is_loopback, parse_vm_item

NOW = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
FAST = RetryPolicy(attempts=3, base_delay_s=0, sleep=lambda _s: None)


@pytest.fixture
def azure_env(monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer) -> HTTPServer:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", AZURE_SUBSCRIPTION)
    monkeypatch.setenv("PLACER_AZURE_PRICES_URL", httpserver.url_for(RETAIL_PATH))
    monkeypatch.setenv("PLACER_AZURE_ARM_URL", httpserver.url_for("/").rstrip("/"))
    return httpserver


def test_linux_consumption_prices_with_arm_shapes(azure_env: HTTPServer) -> None:
    serve_azure(azure_env)
    result = fetch_azure(["eastus"], FAST, now=NOW)

    offers = {o.instance_type: o for o in result.offers}
    # E8s_v5 is restricted for the subscription in eastus; F4s_v2 has no ARM shape.
    assert sorted(offers) == ["Standard_D4ps_v5", "Standard_D4s_v5", "Standard_NC4as_T4_v3"]
    d4 = offers["Standard_D4s_v5"]
    # 0.192 is the newest Linux pay-as-you-go meter: the older 0.188, Low Priority 0.0384,
    # Windows 0.376, DevTest 0.15, the reservation and the westeurope row are all skipped.
    assert (d4.usd_per_hour, d4.spot_usd_per_hour) == (0.192, 0.0218)
    assert (d4.vcpus, d4.memory_gib, d4.gpu_count, d4.arch) == (4, 16, 0, "x86_64")
    t4 = offers["Standard_NC4as_T4_v3"]
    assert (t4.usd_per_hour, t4.spot_usd_per_hour) == (0.526, 0.1578)
    assert (t4.gpu_count, t4.gpu_model, t4.accelerator_kind, t4.memory_gib) == (
        1,
        "T4",
        "nvidia",
        28,
    )
    assert offers["Standard_D4ps_v5"].arch == "arm64"
    assert offers["Standard_D4ps_v5"].spot_usd_per_hour is None
    assert all(o.source == "azure-api" and o.region == "eastus" for o in result.offers)
    assert result.malformed_rows == 1  # D8s v5 with a string price
    assert result.unshaped_types == 1  # F4s v2 (E8s v5 is restricted, not unshaped)
    assert result.sources == ("azure:retail-prices-api", "azure:resource-skus")

    internet = [(r.start_gb, r.usd_per_gb) for r in result.egress if r.kind == "internet"]
    assert internet == [(0, 0.0), (100, 0.087), (10340, 0.083), (51300, 0.07), (153700, 0.05)]
    assert [r.usd_per_gb for r in result.egress if r.kind == "within-continent"] == [0.02]
    assert [r.usd_per_gb for r in result.egress if r.kind == "between-continents"] == [0.05]


def test_without_a_subscription_shapes_come_from_known_shapes(
    monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    serve_azure(httpserver, arm=False)
    known = {"Standard_F4s_v2": Shape(4, 8), "Standard_E8s_v5": Shape(8, 64)}
    result = fetch_azure(
        ["eastus"], FAST, prices_url=httpserver.url_for(RETAIL_PATH), known_shapes=known, now=NOW
    )
    offers = {o.instance_type: o for o in result.offers}
    assert sorted(offers) == ["Standard_E8s_v5", "Standard_F4s_v2"]
    assert offers["Standard_F4s_v2"].usd_per_hour == 0.169
    assert offers["Standard_E8s_v5"].memory_gib == 64
    assert result.unshaped_types == 3  # D4s_v5, D4ps_v5, NC4as_T4_v3
    assert result.sources == ("azure:retail-prices-api",)


def test_throttled_page_is_retried_then_succeeds(
    monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    waits: list[float] = []
    query = retail_params("Virtual Machines", "eastus")
    for _ in range(2):
        httpserver.expect_oneshot_request(RETAIL_PATH, query_string=query).respond_with_data(
            "Too Many Requests", status=429
        )
    serve_azure(httpserver, arm=False)
    policy = RetryPolicy(attempts=4, base_delay_s=0.25, sleep=waits.append)
    result = fetch_azure(
        ["eastus"], policy, prices_url=httpserver.url_for(RETAIL_PATH), known_shapes={}, now=NOW
    )
    assert result.retries == 2
    assert waits == [0.25, 0.5]
    assert result.unshaped_types == 5  # every priced type arrived (none shaped)


def test_server_errors_after_retries_fail_the_cloud(
    monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    httpserver.expect_request(RETAIL_PATH).respond_with_data("unavailable", status=503)
    with pytest.raises(FetchError, match="HTTP 503"):
        fetch_azure(["eastus"], FAST, prices_url=httpserver.url_for(RETAIL_PATH))
    assert len(httpserver.log) == 3  # attempts


def test_pagination_is_followed_to_the_last_page(
    monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    pages = fixture("azure-eastus.json")["vm_pages"]
    serve_retail(httpserver, "Virtual Machines", "eastus", [pages[0][:1], [], pages[1][-2:-1]])
    serve_retail(httpserver, "Bandwidth", "eastus", [[]])
    known = {"Standard_D4s_v5": Shape(4, 16), "Standard_F4s_v2": Shape(4, 8)}
    result = fetch_azure(
        ["eastus"], FAST, prices_url=httpserver.url_for(RETAIL_PATH), known_shapes=known
    )
    assert sorted(o.instance_type for o in result.offers) == ["Standard_D4s_v5", "Standard_F4s_v2"]


def test_gpu_models_follow_azure_size_names() -> None:
    assert gpu_model("Standard_NC24ads_A100_v4") == ("A100-80GB", "nvidia")
    assert gpu_model("Standard_ND96asr_v4") == ("A100", "nvidia")
    assert gpu_model("Standard_NC40ads_H100_v5") == ("H100-NVL", "nvidia")
    assert gpu_model("Standard_ND96isr_H100_v5") == ("H100", "nvidia")
    assert gpu_model("Standard_NV36ads_A10_v5") == ("A10", "nvidia")
    assert gpu_model("Standard_ND96isr_MI300X_v5") == ("MI300X", "amd")


def test_only_loopback_arm_endpoints_skip_authentication() -> None:
    assert is_loopback("http://127.0.0.1:8080")
    assert is_loopback("http://localhost:1")
    assert not is_loopback("https://management.azure.com")


def test_arm_failure_falls_back_to_known_shapes_with_a_note(
    azure_env: HTTPServer,
) -> None:
    serve_azure(azure_env, arm=False)
    azure_env.expect_request(SKUS_PATH).respond_with_json(
        {"error": {"code": "AuthorizationFailed", "message": "no access to the subscription"}},
        status=403,
    )
    known = {"Standard_F4s_v2": Shape(4, 8)}
    result = fetch_azure(["eastus"], FAST, known_shapes=known, now=NOW)
    assert [o.instance_type for o in result.offers] == ["Standard_F4s_v2"]
    assert len(result.notes) == 1
    assert result.notes[0].startswith("ARM resource SKUs failed (")
    assert "no access to the subscription" in result.notes[0]
    assert result.sources == ("azure:retail-prices-api",)


def test_a_timed_out_request_is_retried(
    monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)

    def slow(request: Request) -> Response:
        time.sleep(1.5)  # longer than the 1 s timeout below
        return Response("{}", content_type="application/json")

    query = retail_params("Virtual Machines", "eastus")
    httpserver.expect_oneshot_request(RETAIL_PATH, query_string=query).respond_with_handler(slow)
    serve_azure(httpserver, arm=False)
    # the server answers one request at a time: a retry waits for the slow answer to end,
    # so the exact number of retries depends on the machine's speed (at least one)
    policy = RetryPolicy(attempts=5, base_delay_s=0, timeout_s=1.0, sleep=lambda _s: None)
    result = fetch_azure(
        ["eastus"], policy, prices_url=httpserver.url_for(RETAIL_PATH), known_shapes={}
    )
    assert result.retries >= 1
    assert result.unshaped_types == 5  # the retried page and the rest arrived


@pytest.mark.parametrize("price", [float("nan"), float("inf"), -0.1])
def test_a_price_that_is_not_a_finite_non_negative_number_is_a_malformed_row(
    price: float,
) -> None:
    item = {
        "skuName": "D4s v5", "type": "Consumption", "productName": "Virtual Machines Dsv5 Series",
        "armRegionName": "eastus", "unitOfMeasure": "1 Hour", "retailPrice": price,
        "armSkuName": "Standard_D4s_v5",
    }  # fmt: skip
    with pytest.raises(ValueError, match="bad price row"):
        parse_vm_item(item, "eastus")
    assert parse_vm_item({**item, "retailPrice": 0.192}, "eastus")[3] == 0.192


def _retail_page(server: HTTPServer, link: object) -> None:
    params = retail_params("Virtual Machines", "eastus")
    body = {"Items": [], "NextPageLink": link, "Count": 0}
    server.expect_request(RETAIL_PATH, query_string=params).respond_with_json(body)


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("file:///etc/passwd", "NextPageLink 'file:///etc/passwd' leaves"),
        ("http://evil.example/api/retail/prices?$skip=100", "leaves"),
        ("SELF", "links back to an earlier page"),
    ],
)
def test_paging_links_stay_on_the_endpoint(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, link: str, message: str
) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    from pricing.fetch._http import with_query

    url = httpserver.url_for(RETAIL_PATH)
    if link == "SELF":  # the first page, linking to itself
        link = with_query(url, retail_params("Virtual Machines", "eastus"))
    _retail_page(httpserver, link)
    with pytest.raises(FetchError, match=message):
        fetch_azure(["eastus"], FAST, prices_url=url, now=NOW)
    assert len(httpserver.log) == 1  # never followed


def test_a_price_list_that_never_ends_fails_the_cloud(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pricing.fetch import azure

    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    monkeypatch.setattr(azure, "MAX_PAGES", 5)
    url = httpserver.url_for(RETAIL_PATH)

    def endless(request: Request) -> Response:
        skip = int(request.args.get("$skip", "0")) + 100
        body = {"Items": [], "NextPageLink": f"{url}?$skip={skip}", "Count": 0}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(RETAIL_PATH).respond_with_handler(endless)
    with pytest.raises(FetchError, match="price list for eastus has over 5 pages"):
        fetch_azure(["eastus"], FAST, prices_url=url, now=NOW)
    assert len(httpserver.log) == 5


def test_an_endless_answer_is_cut_off_at_the_size_cap(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pricing.fetch import _http

    monkeypatch.setattr(_http, "MAX_BODY_BYTES", 1024 * 1024)

    def forever():
        yield b'{"Items": ['
        while True:
            yield b'{"skuName": "x"},' * 1000

    httpserver.expect_request(RETAIL_PATH).respond_with_response(
        Response(forever(), content_type="application/json")
    )
    with pytest.raises(FetchError, match="sent more than 1 MB in one answer"):
        fetch_azure(["eastus"], FAST, prices_url=httpserver.url_for(RETAIL_PATH), now=NOW)


def test_an_answer_that_trickles_in_stops_at_the_total_time_limit(httpserver: HTTPServer) -> None:
    def trickle():
        yield b'{"Items": ['
        while True:
            time.sleep(0.05)
            yield b" "

    httpserver.expect_request(RETAIL_PATH).respond_with_response(
        Response(trickle(), content_type="application/json")
    )
    policy = RetryPolicy(attempts=3, base_delay_s=0, timeout_s=5, total_s=1, sleep=lambda _s: None)
    # The answer never ends and each read is quick: only the total limit can stop it.
    with pytest.raises(FetchError, match="stopped after 1 s, the refresh's time limit"):
        fetch_azure(["eastus"], policy, prices_url=httpserver.url_for(RETAIL_PATH), now=NOW)


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (500, b'{"error":"boom"}', 'HTTP 500 from localhost:\\d+: {"error":"boom"}'),
        (403, b"\xff\xfe not utf-8 \x80", "HTTP 403 from localhost:\\d+: \ufffd\ufffd not utf-8"),
        (200, b"\xff\xfe not json", "answer is not JSON: '\ufffd\ufffd not json'"),
    ],
)
def test_a_bad_answer_is_quoted_in_the_failure(
    httpserver: HTTPServer, status: int, body: bytes, said: str
) -> None:
    httpserver.expect_request(RETAIL_PATH).respond_with_data(body, status=status)
    with pytest.raises(FetchError, match=said):
        fetch_azure(["eastus"], FAST, prices_url=httpserver.url_for(RETAIL_PATH), now=NOW)


@pytest.fixture
def other_server() -> Iterator[HTTPServer]:
    """A second local server: another origin (port) a hostile link may point at."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.mark.parametrize("target", ["other", "file:///etc/passwd"])
def test_arm_next_links_stay_on_the_arm_endpoint(
    azure_env: HTTPServer, other_server: HTTPServer, target: str
) -> None:
    serve_azure(azure_env, arm=False)
    link = other_server.url_for(SKUS_PATH) + "?$skiptoken=1" if target == "other" else target
    azure_env.expect_request(SKUS_PATH).respond_with_json({"value": [], "nextLink": link})
    other_server.expect_request(SKUS_PATH).respond_with_json({"value": []})
    with pytest.raises(FetchError, match=r"^azure: ARM resource SKUs \(localhost:\d+\): nextLink "):
        fetch_azure(["eastus"], FAST, known_shapes={"Standard_F4s_v2": Shape(4, 8)}, now=NOW)
    assert [r.path for r, _ in azure_env.log if r.path == SKUS_PATH] == [SKUS_PATH]
    assert other_server.log == []  # the bearer token never went there


def test_arm_sku_pages_that_never_end_fail_the_cloud(
    azure_env: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pricing.fetch import azure

    monkeypatch.setattr(azure, "MAX_ARM_PAGES", 3)
    serve_azure(azure_env, arm=False)
    link = azure_env.url_for(SKUS_PATH) + "?$skiptoken=again"
    azure_env.expect_request(SKUS_PATH).respond_with_json({"value": [], "nextLink": link})
    with pytest.raises(FetchError, match="the SKU list of eastus has over 3 pages"):
        fetch_azure(["eastus"], FAST, now=NOW)
    assert len([r for r, _ in azure_env.log if r.path == SKUS_PATH]) == 3
