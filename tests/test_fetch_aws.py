"""AWS fetcher against the real wire formats: botocore Stubber for `pricing`, moto for EC2."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from fixtures.pricing_servers import serve_aws_pricing
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pricing.fetch import FetchError, RetryPolicy
from pricing.fetch.aws import (
    boto3_client_factory,
    fetch_aws,
    on_demand_filters,
    parse_compute_product,
)

FIXTURES = Path(__file__).parent / "fixtures" / "pricing"
NOW = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
MOTO_SPOT_USD = 0.00001
PRICED_TYPES = ["c5.2xlarge", "g5.xlarge", "m5.xlarge", "m6g.large", "p4d.24xlarge", "trn1.2xlarge"]
SHAPE_FILTERS = [
    {"Name": "instance-type", "Values": PRICED_TYPES}
]  # moto answers every spot price history query with this price


def price_list() -> dict[str, Any]:
    return json.loads((FIXTURES / "aws-price-list-us-east-1.json").read_text())


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_server: str) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", moto_server)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_server


def page(entries: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "FormatVersion": "aws_v1",
        "PriceList": [json.dumps(entry) for entry in entries],
    }
    if token:
        response["NextToken"] = token
    return response


def stub_price_list(stubber: Stubber, region: str = "us-east-1") -> None:
    """Queue both paginated get_products conversations (compute, then egress)."""
    data = price_list()
    compute = {
        "ServiceCode": "AmazonEC2",
        "Filters": on_demand_filters(region),
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    egress = {
        "ServiceCode": "AWSDataTransfer",
        "Filters": [{"Type": "TERM_MATCH", "Field": "fromRegionCode", "Value": region}],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    for params, pages in ((compute, data["compute_pages"]), (egress, data["egress_pages"])):
        stubber.add_response("get_products", page(pages[0], "page-2"), params)
        stubber.add_response(
            "get_products", page(pages[1], None), {**params, "NextToken": "page-2"}
        )


def pricing_client() -> Any:
    return boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


def test_prices_shapes_spot_and_egress_from_stubbed_price_list_and_moto_ec2(aws_env: str) -> None:
    pricing = pricing_client()
    with Stubber(pricing) as stubber:
        stub_price_list(stubber)
        real = boto3_client_factory(RetryPolicy())
        factory = lambda service, region: pricing if service == "pricing" else real(service, region)  # noqa: E731
        result = fetch_aws(["us-east-1"], client_factory=factory, now=NOW)
        stubber.assert_no_pending_responses()  # every page was asked for

    offers = {o.instance_type: o for o in result.offers}
    # Windows, dedicated, capacity-reservation and SQL rows for m5.xlarge are filtered out,
    # so the Linux shared price stays 0.192 (the SQL row would have set 0.5).
    assert sorted(offers) == [
        "c5.2xlarge",
        "g5.xlarge",
        "m5.xlarge",
        "m6g.large",
        "p4d.24xlarge",
        "trn1.2xlarge",
    ]
    m5 = offers["m5.xlarge"]
    assert (m5.usd_per_hour, m5.vcpus, m5.memory_gib, m5.arch) == (0.192, 4, 16, "x86_64")
    assert m5.spot_usd_per_hour == MOTO_SPOT_USD
    p4d = offers["p4d.24xlarge"]
    assert (p4d.usd_per_hour, p4d.vcpus, p4d.memory_gib) == (32.7726, 96, 1152)
    assert (p4d.gpu_count, p4d.gpu_model, p4d.accelerator_kind) == (8, "A100-40GB", "nvidia")
    trn1 = offers["trn1.2xlarge"]
    assert (trn1.gpu_count, trn1.gpu_model, trn1.accelerator_kind) == (1, "trn1", "trainium")
    assert offers["g5.xlarge"].gpu_model == "A10G"
    assert offers["m6g.large"].arch == "arm64"
    assert all(
        o.source == "aws-api" and o.observed_at == "2026-11-27T08:00:00Z" for o in offers.values()
    )
    assert result.malformed_rows == 1  # the c5.4xlarge entry without terms

    internet = [(r.start_gb, r.usd_per_gb) for r in result.egress if r.kind == "internet"]
    assert internet == [(0, 0.0), (100, 0.09), (10240, 0.085), (51200, 0.07), (153600, 0.05)]
    pairs = {r.dest_region: r.usd_per_gb for r in result.egress if r.kind == "inter-region"}
    assert pairs == {"us-west-2": 0.02, "ap-south-1": 0.02}
    # listed at $0.01/GB, charged on both sides: $0.02 per GB moved, as in the snapshot
    assert [r.usd_per_gb for r in result.egress if r.kind == "cross-zone"] == [0.02]
    assert {r.kind for r in result.egress} == {"internet", "inter-region", "cross-zone"}


def instance_type(name: str, vcpus: int, mib: int) -> dict[str, Any]:
    return {
        "InstanceType": name,
        "VCpuInfo": {"DefaultVCpus": vcpus},
        "MemoryInfo": {"SizeInMiB": mib},
        "ProcessorInfo": {"SupportedArchitectures": ["x86_64"]},
    }


def spot(zone: str, usd: str, hour: int, description: str = "Linux/UNIX") -> dict[str, Any]:
    return {
        "AvailabilityZone": zone,
        "InstanceType": "m5.xlarge",
        "ProductDescription": description,
        "SpotPrice": usd,
        "Timestamp": dt.datetime(2026, 11, 27, hour, tzinfo=dt.UTC),
    }


def test_ec2_pagination_and_latest_spot_price_per_zone_lowest_over_zones() -> None:
    pricing, ec2 = (
        pricing_client(),
        boto3.client(
            "ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
        ),
    )
    with Stubber(pricing) as price_stub, Stubber(ec2) as ec2_stub:
        stub_price_list(price_stub)
        ec2_stub.add_response(
            "describe_instance_types",
            {"InstanceTypes": [instance_type("m5.xlarge", 4, 16384)], "NextToken": "t2"},
            {"Filters": SHAPE_FILTERS, "MaxResults": 100},
        )
        ec2_stub.add_response(
            "describe_instance_types",
            {"InstanceTypes": [instance_type("c5.2xlarge", 8, 16384)]},
            {"Filters": SHAPE_FILTERS, "MaxResults": 100, "NextToken": "t2"},
        )
        params = {
            "Filters": SHAPE_FILTERS,
            "ProductDescriptions": ["Linux/UNIX"],
            "StartTime": NOW,
            "MaxResults": 1000,
        }
        ec2_stub.add_response(
            "describe_spot_price_history",
            {
                "SpotPriceHistory": [
                    spot("us-east-1a", "0.0500", 5),  # superseded by the 7:00 price below
                    spot("us-east-1a", "0.0700", 7),
                    spot("us-east-1b", "0.0600", 7),
                    spot("us-east-1b", "0.0100", 7, "Windows"),  # not Linux: ignored
                ],
                "NextToken": "s2",
            },
            params,
        )
        ec2_stub.add_response(
            "describe_spot_price_history",
            {"SpotPriceHistory": [spot("us-east-1c", "0.0650", 6)]},
            {**params, "NextToken": "s2"},
        )
        factory = lambda service, region: pricing if service == "pricing" else ec2  # noqa: E731
        result = fetch_aws(["us-east-1"], client_factory=factory, now=NOW)
        ec2_stub.assert_no_pending_responses()

    offers = {o.instance_type: o for o in result.offers}
    # latest per zone: 1a 0.07, 1b 0.06, 1c 0.065 -> lowest 0.06
    assert offers["m5.xlarge"].spot_usd_per_hour == 0.06
    assert offers["c5.2xlarge"].spot_usd_per_hour is None
    assert offers["c5.2xlarge"].vcpus == 8  # shape from the second describe_instance_types page
    # types EC2 did not describe fall back to the price list's own vcpu/memory attributes
    assert (offers["p4d.24xlarge"].vcpus, offers["p4d.24xlarge"].memory_gib) == (96, 1152)
    assert offers["p4d.24xlarge"].gpu_count == 8


def ec2_client() -> Any:
    return boto3.client(
        "ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


def test_throttling_is_retried_with_exponential_backoff() -> None:
    waits: list[float] = []
    policy = RetryPolicy(attempts=4, base_delay_s=0.5, sleep=waits.append)
    pricing, ec2 = pricing_client(), ec2_client()
    with Stubber(pricing) as stubber, Stubber(ec2) as ec2_stub:
        for _ in range(2):
            stubber.add_client_error("get_products", "ThrottlingException", "Rate exceeded", 400)
        stub_price_list(stubber)
        ec2_stub.add_response("describe_instance_types", {"InstanceTypes": []})
        ec2_stub.add_response("describe_spot_price_history", {"SpotPriceHistory": []})
        factory = lambda service, region: pricing if service == "pricing" else ec2  # noqa: E731
        result = fetch_aws(["us-east-1"], policy, client_factory=factory, now=NOW)
    assert result.retries == 2
    assert waits == [0.5, 1.0]
    assert len(result.offers) == 6


def test_persistent_throttling_and_server_errors_fail_the_cloud() -> None:
    policy = RetryPolicy(attempts=3, base_delay_s=0, sleep=lambda _s: None)
    pricing = pricing_client()
    with Stubber(pricing) as stubber:
        stubber.add_client_error("get_products", "ThrottlingException", "Rate exceeded", 400)
        stubber.add_client_error("get_products", "InternalFailure", "oops", 500)
        stubber.add_client_error("get_products", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(FetchError, match="ThrottlingException: Rate exceeded"):
            fetch_aws(["us-east-1"], policy, client_factory=lambda s, r: pricing, now=NOW)


def test_access_denied_is_not_retried() -> None:
    waits: list[float] = []
    pricing = pricing_client()
    with Stubber(pricing) as stubber:
        stubber.add_client_error("get_products", "AccessDeniedException", "no", 400)
        with pytest.raises(FetchError, match="AccessDeniedException"):
            fetch_aws(
                ["us-east-1"], RetryPolicy(sleep=waits.append), client_factory=lambda s, r: pricing
            )
    assert waits == []


def test_missing_credentials_fail_with_a_clear_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", "http://127.0.0.1:9")  # never reached
    with pytest.raises(FetchError, match="no AWS credentials"):
        fetch_aws(["us-east-1"], RetryPolicy(attempts=1))


def test_a_timed_out_price_list_request_is_retried(
    monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    """A Price List answer slower than --timeout is a botocore ReadTimeoutError: retried."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", httpserver.url_for("/").rstrip("/"))

    def slow(request: Request) -> Response:
        time.sleep(1.0)  # longer than the 0.5 s timeout below
        return Response("{}", content_type="application/x-amz-json-1.1")

    httpserver.expect_oneshot_request("/", method="POST").respond_with_handler(slow)
    serve_aws_pricing(httpserver)
    policy = RetryPolicy(attempts=5, base_delay_s=0, timeout_s=0.5, sleep=lambda _s: None)
    pricing = boto3_client_factory(policy)("pricing", "us-east-1")
    ec2 = ec2_client()
    with Stubber(ec2) as ec2_stub:
        ec2_stub.add_response("describe_instance_types", {"InstanceTypes": []})
        ec2_stub.add_response("describe_spot_price_history", {"SpotPriceHistory": []})
        factory = lambda service, region: pricing if service == "pricing" else ec2  # noqa: E731
        result = fetch_aws(["us-east-1"], policy, client_factory=factory, now=NOW)
    # the local server answers one request at a time, so a retry may time out again while
    # the slow answer finishes: at least one retry, and every price arrived in the end
    assert result.retries >= 1
    assert sorted(o.instance_type for o in result.offers) == PRICED_TYPES


@pytest.mark.parametrize("text", ["NaN", "Infinity"])
def test_a_price_that_is_not_a_finite_number_is_a_malformed_row(text: str) -> None:
    entry = price_list()["compute_pages"][0][0]  # m5.xlarge, Linux, shared
    for term in entry["terms"]["OnDemand"].values():
        for dimension in term["priceDimensions"].values():
            dimension["pricePerUnit"]["USD"] = text
    with pytest.raises(ValueError, match="not a finite number"):
        parse_compute_product(json.dumps(entry), "us-east-1")


@pytest.fixture
def aws_pricing_at(monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer) -> HTTPServer:
    """Credentials for local servers; the Price List API at `httpserver`; EC2 unreachable."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9")  # never reached
    return httpserver


def test_an_endless_price_list_answer_is_cut_off_at_the_size_cap(
    aws_pricing_at: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pricing.fetch import _http

    monkeypatch.setattr(_http, "MAX_BODY_BYTES", 1024 * 1024)

    def forever():
        yield b'{"FormatVersion": "aws_v1", "PriceList": ['
        while True:
            yield b'"{}",' * 10_000

    aws_pricing_at.expect_request("/", method="POST").respond_with_response(
        Response(forever(), content_type="application/x-amz-json-1.1")
    )
    with pytest.raises(
        FetchError, match=r"^aws: .*localhost:\d+ sent more than 1 MB in one answer"
    ):
        fetch_aws(["us-east-1"], RetryPolicy(attempts=1), now=NOW)


def test_a_trickling_price_list_answer_stops_at_the_total_time_limit(
    aws_pricing_at: HTTPServer,
) -> None:
    def trickle():
        yield b'{"FormatVersion": "aws_v1", "PriceList": ['
        while True:
            time.sleep(0.05)  # always within the socket timeout, never ending
            yield b" "

    aws_pricing_at.expect_request("/", method="POST").respond_with_response(
        Response(trickle(), content_type="application/x-amz-json-1.1")
    )
    policy = RetryPolicy(attempts=3, base_delay_s=0, timeout_s=5, total_s=1, sleep=lambda _s: None)
    started = time.monotonic()
    with pytest.raises(FetchError, match="^aws: stopped after 1 s, the refresh's time limit"):
        fetch_aws(["us-east-1"], policy, now=NOW)
    assert time.monotonic() - started < 4


def test_bounded_answers_still_read_every_page(aws_pricing_at: HTTPServer) -> None:
    serve_aws_pricing(aws_pricing_at)
    policy = RetryPolicy(attempts=1)
    pricing = boto3_client_factory(policy, _http_deadline(60))("pricing", "us-east-1")
    ec2 = ec2_client()
    with Stubber(ec2) as ec2_stub:
        ec2_stub.add_response("describe_instance_types", {"InstanceTypes": []})
        ec2_stub.add_response("describe_spot_price_history", {"SpotPriceHistory": []})
        factory = lambda service, region: pricing if service == "pricing" else ec2  # noqa: E731
        result = fetch_aws(["us-east-1"], policy, client_factory=factory, now=NOW)
    assert sorted(o.instance_type for o in result.offers) == PRICED_TYPES
    assert len(aws_pricing_at.log) == 4  # two pages of compute, two of egress, each bounded


def _http_deadline(seconds: float):  # noqa: ANN202
    from pricing.fetch._http import Deadline

    return Deadline.after(seconds)
