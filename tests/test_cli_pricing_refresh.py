"""`placer pricing refresh` end to end: env vars point every SDK at local servers."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from fixtures.pricing_servers import (
    AZURE_SUBSCRIPTION,
    RETAIL_PATH,
    serve_aws_pricing,
    serve_azure,
    serve_gcp,
)
from pytest_httpserver import HTTPServer

from placer.cli import main
from placer.cli._env import Environment
from placer.cli.pricing_refresh import parse_targets
from placer.errors import ConfigError
from pricing._model import Offer
from pricing._store import offers_path
from pricing.catalog import load_catalog
from pricing.egress import load_egress_rates
from pricing.fetch import FetchResult

REGIONS = ["--region", "us-east-1", "--region", "eastus", "--region", "us-central1"]
FAST = ["--backoff", "0", "--retries", "1"]


@pytest.fixture
def cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, httpserver: HTTPServer, moto_server: str
) -> Path:
    """Every cloud's endpoint on 127.0.0.1 through the documented env vars; AWS and Azure
    served (GCP is up to each test). Returns the cache directory."""
    local = httpserver.url_for("/").rstrip("/")
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", local)
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", moto_server)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", AZURE_SUBSCRIPTION)
    monkeypatch.setenv("PLACER_AZURE_PRICES_URL", httpserver.url_for(RETAIL_PATH))
    monkeypatch.setenv("PLACER_AZURE_ARM_URL", local)
    monkeypatch.setenv("PLACER_GCP_ENDPOINT", local)
    serve_aws_pricing(httpserver)
    serve_azure(httpserver)
    return tmp_path / "cache"


def run(*args: str, width: int = 200) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["pricing", "refresh", *args], Environment(stdout=out, stderr=err, width=width))
    return code, out.getvalue(), err.getvalue()


def test_refreshes_all_three_clouds_and_planning_reads_the_cache(
    cache: Path, httpserver: HTTPServer
) -> None:
    serve_gcp(httpserver)
    code, out, err = run(*REGIONS, *FAST)

    assert code == 0, err
    assert out.count("refreshed") == 3
    assert f"cache: {cache}" in out
    catalog = load_catalog(cache_dir=cache)
    assert {catalog.clouds[c].source for c in ("aws", "azure", "gcp")} == {"cache"}
    prices = {(o.region, o.instance_type): o.usd_per_hour for o in catalog.offers()}
    assert prices[("us-east-1", "m5.xlarge")] == 0.192
    assert prices[("eastus", "Standard_D4s_v5")] == 0.192
    assert prices[("us-central1", "n2-standard-4")] == 0.194236

    egress = load_egress_rates(cache=cache)
    assert {egress.source_by_cloud[c] for c in ("aws", "azure", "gcp")} == {"cache"}
    # read from the cache tables: the fetched AWS tiers (0, 0.09 from 100 GB, 0.085 from
    # 10,240 GB) and us-east-1 -> ap-south-1 pair
    assert egress.rate_usd_per_gb("aws:us-east-1", "gcp:us-central1", 20_000) == 0.085
    assert egress.rate_usd_per_gb("aws:us-east-1", "aws:ap-south-1") == 0.02
    # Azure's fetched Intra Continent meter for eastus, filed under its continent "na"
    assert egress.rate_usd_per_gb("azure:eastus", "azure:westus2") == 0.02


def test_one_cloud_failing_is_reported_and_the_others_still_refresh(
    cache: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_json(
        {"error": {"code": 503, "message": "backend unavailable", "status": "UNAVAILABLE"}},
        status=503,
    )
    code, out, err = run(*REGIONS, *FAST)
    assert code == 0
    assert out.count("refreshed") == 2
    assert "failed" in out and "backend unavailable" in out
    assert "warning: gcp not refreshed, its previous prices stay" in err
    assert "aws fetched" in err and "gcp failed" in err  # the progress bar, on stderr
    assert offers_path("aws", cache).exists() and offers_path("azure", cache).exists()
    assert not offers_path("gcp", cache).exists()


def test_reasons_stay_whole_lines_in_a_narrow_terminal(cache: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_json(
        {"error": {"code": 503, "message": "backend unavailable", "status": "UNAVAILABLE"}},
        status=503,
    )
    code, out, _err = run(*REGIONS, *FAST, width=80)
    assert code == 0
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines[: lines.index(f"cache: {cache}") - 1])
    (reason,) = [line for line in lines if line.startswith("gcp failed: ")]
    assert "503" in reason and "backend unavailable" in reason


def test_strict_turns_a_partial_failure_into_exit_1(cache: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_json(
        {"error": {"code": 503, "message": "backend unavailable", "status": "UNAVAILABLE"}},
        status=503,
    )
    code, _out, err = run(*REGIONS, *FAST, "--strict")
    assert code == 1
    assert "error: pricing refresh failed for gcp" in err
    assert offers_path("aws", cache).exists()  # what did refresh is still written


def test_every_cloud_failing_exits_1_and_writes_nothing(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLACER_AZURE_PRICES_URL", "http://127.0.0.1:9/api/retail/prices")
    code, _out, err = run("--cloud", "azure", "--region", "eastus", *FAST)
    assert code == 1
    assert "cannot reach http://127.0.0.1:9/api/retail/prices" in err
    assert not cache.exists()


def test_options_override_the_env_endpoints(
    cache: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLACER_GCP_ENDPOINT", "http://127.0.0.1:9")  # the option wins
    serve_gcp(httpserver)
    endpoint = httpserver.url_for("/").rstrip("/")
    code, out, err = run("--region", "gcp:us-central1", "--gcp-endpoint", endpoint, *FAST)
    assert code == 0, err
    assert out.count("refreshed") == 1 and "gcp" in out


def test_bad_cloud_and_unrecognised_region_are_bad_input() -> None:
    code, _out, err = run("--cloud", "ibm")
    assert code == 2
    assert err.strip() == "error: --cloud: unknown cloud 'ibm'. To fix: use one of aws, azure, gcp"
    code, _out, err = run("--region", "Mars-1")
    assert code == 2
    assert "cannot tell which cloud region 'Mars-1' belongs to" in err


def test_regions_pick_their_clouds() -> None:
    clouds, regions = parse_targets([], ["us-east-1", "eastus2", "europe-west4", "aws:eu-west-1"])
    assert clouds == ("aws", "azure", "gcp")
    assert regions == {
        "aws": ("us-east-1", "eu-west-1"),
        "azure": ("eastus2",),
        "gcp": ("europe-west4",),
    }
    assert parse_targets([], ["us-gov-west-1"]) == (("aws",), {"aws": ("us-gov-west-1",)})
    assert parse_targets(["gcp", "aws"], ["us-east-1"]) == (("gcp", "aws"), {"aws": ("us-east-1",)})
    assert parse_targets([], []) == (("aws", "azure", "gcp"), {})
    with pytest.raises(ConfigError, match="write CLOUD:REGION"):
        parse_targets([], ["oracle:us-1"])


def test_a_region_of_a_cloud_left_out_is_bad_input() -> None:
    code, out, err = run("--cloud", "gcp", "--region", "us-east-1")
    assert (code, out) == (2, "")
    assert err.strip() == (
        "error: --region: region 'us-east-1' is in aws, which --cloud leaves out. "
        "To fix: add --cloud aws, or drop the region"
    )


def test_json_summary_lists_each_cloud(cache: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_json(
        {"error": {"code": 503, "message": "backend unavailable", "status": "UNAVAILABLE"}},
        status=503,
    )
    code, out, _err = run(*REGIONS, *FAST, "--format", "json")
    assert code == 0
    summary = json.loads(out)
    assert summary["refreshed"] == ["aws", "azure"]
    assert summary["failed"] == ["gcp"]
    assert summary["cache_dir"] == str(cache)
    azure = summary["clouds"][1]
    assert (azure["cloud"], azure["ok"], azure["regions"]) == ("azure", True, ["eastus"])
    assert (azure["offers"], azure["malformed_rows"], azure["unshaped_types"]) == (3, 1, 1)
    gcp = summary["clouds"][2]
    assert gcp["ok"] is False and "backend unavailable" in gcp["reason"]
    assert gcp["retries"] == 1 and gcp["offers"] == 0  # --retries 1: one retry, then gave up


def test_ctrl_c_exits_130_and_leaves_the_cache_as_it_was(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pricing.refresh

    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "offers-aws.json").write_text("old bytes")
    monkeypatch.setenv("PLACER_CACHE_DIR", str(cache))
    fetched = []

    def fetch_then_interrupt(regions: tuple[str, ...], *_args: object) -> FetchResult:
        fetched.append(regions)
        if len(fetched) == 2:  # the second cloud: the first one is fetched, nothing written
            raise KeyboardInterrupt
        return FetchResult("aws", (Offer("aws", "us-east-1", "m5.large", 2, 8, 0.1),), (), ("x",))

    monkeypatch.setattr(
        pricing.refresh, "FETCHERS", {"aws": fetch_then_interrupt, "gcp": fetch_then_interrupt}
    )
    code, out, _err = run("--region", "us-east-1", "--region", "us-central1")
    assert code == 130
    assert out == ""
    assert len(fetched) == 2
    assert sorted(p.name for p in cache.iterdir()) == ["offers-aws.json"]
    assert (cache / "offers-aws.json").read_text() == "old bytes"


@pytest.mark.parametrize(
    ("option", "url", "said"),
    [
        (
            "--gcp-endpoint",
            "http://billing.example.com",
            "refusing to send credentials over plain http to billing.example.com",
        ),
        (
            "--azure-arm-url",
            "http://arm.example.com",
            "refusing to send credentials over plain http to arm.example.com",
        ),
        ("--gcp-endpoint", "file:///etc/passwd", "'file:///etc/passwd' is not an http(s) URL"),
        ("--azure-prices-url", "ftp://x.example", "'ftp://x.example' is not an http(s) URL"),
    ],
)
def test_endpoints_that_would_leak_credentials_are_refused_before_any_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, option: str, url: str, said: str
) -> None:
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run(option, url)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {option}: {said}")
    assert not (tmp_path / "cache").exists()


def test_plain_http_to_an_azure_price_list_without_credentials_is_fine() -> None:
    from placer.errors import ConfigError as Refused
    from pricing.fetch._http import check_endpoint

    assert check_endpoint("http://mirror.example.com/api", "--azure-prices-url",
                          authenticated=False, allow_insecure=False)  # fmt: skip
    assert check_endpoint("http://arm.example.com", "--azure-arm-url",
                          authenticated=True, allow_insecure=True)  # fmt: skip
    with pytest.raises(Refused):
        check_endpoint("http://arm.example.com", "--azure-arm-url",
                       authenticated=True, allow_insecure=False)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--timeout", "nan"], "must be between 0.1 and 600, got nan"),
        (["--timeout", "inf"], "must be between 0.1 and 600, got inf"),
        (["--backoff", "-1"], "must be between 0 and 60, got -1"),
        (["--max-time", "nan"], "must be between 1 and 86400, got nan"),
        (["--retries", "1000000"], "must be between 0 and 20, got 1e+06"),
    ],
)
def test_numbers_out_of_range_are_bad_input(args: list[str], said: str) -> None:
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {args[0]}: {said}")


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (500, b'{"error":"boom"}', r'HTTP 500 from localhost:\d+: \{"error":"boom"\}'),
        (200, b"\xff\xfe\x00 not utf-8", r"answer is not JSON: '\ufffd\ufffd\\u0000 not utf-8'"),
        (200, b'{"skus": [', r"""answer is not JSON: '\{"skus": \['"""),
        (200, b'{"skus": "all"}', r"did not answer with Cloud Billing Catalog JSON"),
        (200, b"[1, 2]", r"the answer is JSON but not an object: '\[1, 2\]'"),
    ],
)
def test_a_bad_gcp_answer_fails_gcp_alone_quoting_it(
    cache: Path, httpserver: HTTPServer, status: int, body: bytes, said: str
) -> None:
    httpserver.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_data(
        body, status=status, content_type="application/json"
    )
    args = ("--cloud", "azure", "--cloud", "gcp", "--region", "eastus", "--region", "us-central1")
    code, out, err = run(*args, *FAST)
    assert code == 0  # a partial refresh: the failed cloud keeps its prices (--strict: 1)
    (reason,) = [line for line in out.splitlines() if line.startswith("gcp failed: ")]
    assert re.search(said, reason), reason
    assert "Traceback" not in err and "unexpected" not in reason
    assert load_catalog(cache_dir=cache).clouds["azure"].source == "cache"  # azure written
    assert not offers_path("gcp", cache).exists()
