"""Quota headroom: AWS (Service Quotas via Stubber, EC2 via moto), Azure ARM usages and
GCP region quotas (local HTTP servers in the providers' JSON)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from pytest_httpserver import HTTPServer

from placer.config import Pool
from placer.config.quotas import (
    QuotaHeadroom,
    QuotaUnavailable,
    aws_headroom,
    azure_headroom,
    gcp_headroom,
    quota_headroom,
)

KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
def ec2(moto_server: str, request: pytest.FixtureRequest) -> object:
    # a region of its own per test: moto keeps state per region
    region = {"test_aws_on_demand": "eu-west-1", "test_aws_spot": "eu-west-2"}.get(
        request.node.name, "eu-west-3"
    )
    client = boto3.client("ec2", region_name=region, endpoint_url=moto_server, **KEYS)
    run = client.run_instances
    run(ImageId="ami-12c6146b", MinCount=2, MaxCount=2, InstanceType="m5.xlarge")  # 2 x 4 vCPU
    run(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="p3.2xlarge")  # not standard
    run(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="c5.2xlarge",
        InstanceMarketOptions={"MarketType": "spot"},
    )  # 8 vCPU spot
    stopped = run(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="r5.4xlarge")
    client.stop_instances(InstanceIds=[stopped["Instances"][0]["InstanceId"]])
    return client


def stubbed_quotas(region: str, code: str, value: float) -> tuple[object, Stubber]:
    client = boto3.client("service-quotas", region_name=region, **KEYS)
    stub = Stubber(client)
    response = {
        "Quota": {
            "ServiceCode": "ec2",
            "QuotaCode": code,
            "QuotaName": "vCPUs",
            "Value": value,
            "Unit": "None",
            "Adjustable": True,
            "GlobalQuota": False,
        }
    }
    stub.add_response("get_service_quota", response, {"ServiceCode": "ec2", "QuotaCode": code})
    stub.activate()
    return client, stub


def test_aws_on_demand(ec2: object) -> None:
    quotas, stub = stubbed_quotas("eu-west-1", "L-1216C47A", 64.0)
    result = aws_headroom("eu-west-1", "on-demand", quotas=quotas, ec2=ec2)
    stub.assert_no_pending_responses()
    # running standard on-demand: 2 x m5.xlarge (4 vCPUs) = 8; p3 is not a standard
    # family, the r5 is stopped, the c5 is spot -> headroom 64 - 8 = 56
    assert (result.quota, result.limit_vcpus, result.used_vcpus) == ("L-1216C47A", 64.0, 8.0)
    assert result.headroom_vcpus == 56.0


def test_aws_spot(ec2: object) -> None:
    quotas, _ = stubbed_quotas("eu-west-2", "L-34B43A08", 5.0)
    result = aws_headroom("eu-west-2", "spot", quotas=quotas, ec2=ec2)
    # one c5.2xlarge spot = 8 vCPUs, over the 5 vCPU quota: headroom clamps at 0
    assert (result.used_vcpus, result.headroom_vcpus) == (8.0, 0.0)


def test_aws_quota_missing_in_moto_is_unavailable(
    moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto's Service Quotas knows only VPC quotas: the real error path for EC2 codes
    monkeypatch.setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(QuotaUnavailable, match="aws us-east-1 L-1216C47A: .*NoSuchResource"):
        aws_headroom("us-east-1", "on-demand")


USAGES = {
    "value": [
        {
            "unit": "Count",
            "currentValue": 12,
            "limit": 100,
            "name": {"value": "cores", "localizedValue": "Total Regional vCPUs"},
        },
        {
            "unit": "Count",
            "currentValue": 4,
            "limit": 20,
            "name": {"value": "lowPriorityCores", "localizedValue": "Total Regional Spot vCPUs"},
        },
        {
            "unit": "Count",
            "currentValue": 8,
            "limit": 50,
            "name": {"value": "standardDSv5Family", "localizedValue": "Standard DSv5 Family vCPUs"},
        },
        {
            "unit": "Count",
            "currentValue": 0,
            "limit": 0,
            "name": {"value": "standardNCASv3_T4Family", "localizedValue": "NCASv3_T4 vCPUs"},
        },
        {
            "unit": "Count",
            "currentValue": 3,
            "limit": 2500,
            "name": {"value": "availabilitySets", "localizedValue": "Availability Sets"},
        },
    ]
}


@pytest.fixture
def arm(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "sub-1")
    monkeypatch.setenv("PLACER_AZURE_ARM_URL", httpserver.url_for("/").rstrip("/"))
    path = "/subscriptions/sub-1/providers/Microsoft.Compute/locations/eastus/usages"
    httpserver.expect_request(path, method="GET").respond_with_json(USAGES)
    return httpserver


def test_azure_cores_and_families(arm: HTTPServer) -> None:
    result = azure_headroom("eastus", "on-demand")
    assert (result.quota, result.limit_vcpus, result.used_vcpus) == ("cores", 100.0, 12.0)
    assert result.headroom_vcpus == 88.0
    # families with a quota (limit > 0) are kept; availability sets are not a family
    assert dict(result.others) == {"standardDSv5Family": (50.0, 8.0)}
    assert "api-version" in arm.log[0][0].args


def test_azure_spot(arm: HTTPServer) -> None:
    result = azure_headroom("eastus", "spot")
    assert (result.quota, result.headroom_vcpus) == ("lowPriorityCores", 16.0)


def test_azure_without_subscription(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    with pytest.raises(QuotaUnavailable, match="AZURE_SUBSCRIPTION_ID is not set"):
        azure_headroom("eastus", "on-demand")


def test_azure_http_error(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "sub-1")
    monkeypatch.setenv("PLACER_AZURE_ARM_URL", httpserver.url_for("/").rstrip("/"))
    body = {"error": {"code": "AuthorizationFailed", "message": "no read on usages"}}
    httpserver.expect_request(
        "/subscriptions/sub-1/providers/Microsoft.Compute/locations/westus/usages"
    ).respond_with_json(body, status=403)
    with pytest.raises(QuotaUnavailable, match="azure westus usage: HttpResponseError"):
        azure_headroom("westus", "on-demand")


REGION = {
    "kind": "compute#region",
    "name": "us-central1",
    "status": "UP",
    "quotas": [
        {"metric": "CPUS", "limit": 24.0, "usage": 10.0},
        {"metric": "PREEMPTIBLE_CPUS", "limit": 0.0, "usage": 0.0},
        {"metric": "N2_CPUS", "limit": 24.0, "usage": 8.0},
        {"metric": "NVIDIA_L4_GPUS", "limit": 2.0, "usage": 1.0},
        {"metric": "DISKS_TOTAL_GB", "limit": 4096.0, "usage": 100.0},
    ],
}


@pytest.fixture
def compute(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setenv("PLACER_GCP_COMPUTE_URL", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj-1")
    path = "/compute/v1/projects/proj-1/regions/us-central1"
    httpserver.expect_request(path).respond_with_json(REGION)
    return httpserver


def test_gcp_cpus_and_gpus(compute: HTTPServer) -> None:
    result = gcp_headroom("us-central1", "on-demand")
    assert (result.quota, result.headroom_vcpus) == ("CPUS", 14.0)  # 24 - 10
    assert dict(result.others) == {
        "PREEMPTIBLE_CPUS": (0.0, 0.0),
        "N2_CPUS": (24.0, 8.0),
        "NVIDIA_L4_GPUS": (2.0, 1.0),
    }


def test_gcp_spot_without_preemptible_quota_uses_cpus(compute: HTTPServer) -> None:
    assert gcp_headroom("us-central1", "spot").quota == "CPUS"


def test_gcp_unknown_region_is_unavailable(compute: HTTPServer) -> None:
    with pytest.raises(QuotaUnavailable, match="gcp europe-west4 quotas: HTTP Error 500"):
        gcp_headroom("europe-west4", "on-demand")


@pytest.mark.parametrize("variable", ["PLACER_GCP_COMPUTE_URL", "PLACER_AZURE_ARM_URL"])
def test_credentials_never_go_to_a_plain_http_endpoint(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "http://quotas.example.com")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj-1")
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "sub-1")
    lookup = gcp_headroom if variable.startswith("PLACER_GCP") else azure_headroom
    with pytest.raises(QuotaUnavailable, match="refusing to send credentials over plain http"):
        lookup("us-central1", "on-demand")


def test_quota_headroom_looks_up_each_region_once() -> None:
    calls: list[tuple[str, str]] = []

    def fake_aws(region: str, capacity: str) -> QuotaHeadroom:
        calls.append((region, capacity))
        return QuotaHeadroom("aws", region, capacity, "L-1216C47A", 32, 4)

    def broken(region: str, capacity: str) -> QuotaHeadroom:
        raise QuotaUnavailable(f"azure {region}: AZURE_SUBSCRIPTION_ID is not set")

    pools = [
        Pool("a", "aws", "us-east-1", {"k": "a"}),
        Pool("b", "aws", "us-east-1", {"k": "b"}),
        Pool("c", "azure", "eastus", {"k": "c"}),
    ]
    warnings: list[str] = []
    found = quota_headroom(pools, warnings, {"aws": fake_aws, "azure": broken})
    assert calls == [("us-east-1", "on-demand")]
    assert sorted(found) == ["a", "b"] and found["a"].headroom_vcpus == 28
    assert warnings == ["quota unavailable: azure eastus: AZURE_SUBSCRIPTION_ID is not set"]
