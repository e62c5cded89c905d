"""GCP fetcher against a local Cloud Billing Catalog REST server (pytest-httpserver)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from fixtures.pricing_servers import serve_gcp
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pricing.fetch import FetchError, RetryPolicy
from pricing.fetch._gcp_shapes import machines
from pricing.fetch.gcp import classify, fetch_gcp

NOW = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
FAST = RetryPolicy(attempts=3, base_delay_s=0, sleep=lambda _s: None)
GIB = 1.073741824  # GB per GiB


def endpoint(server: HTTPServer) -> str:
    return server.url_for("/").rstrip("/")


def test_machine_prices_are_core_plus_ram_plus_accelerators(httpserver: HTTPServer) -> None:
    serve_gcp(httpserver)
    result = fetch_gcp(
        ["us-central1", "europe-west4"], FAST, endpoint=endpoint(httpserver), now=NOW
    )
    offers = {(o.region, o.instance_type): o for o in result.offers}

    n2 = offers[("us-central1", "n2-standard-4")]
    assert n2.usd_per_hour == 0.194236  # 4 x 0.031611 + 16 x 0.004237
    assert n2.spot_usd_per_hour == 0.047  # 4 x 0.00765 + 16 x 0.001025
    # page 2 (nextPageToken) holds europe-west4's rates
    eu = offers[("europe-west4", "n2-standard-4")]
    assert eu.usd_per_hour == 0.213848  # 4 x 0.034806 + 16 x 0.004664
    assert eu.spot_usd_per_hour is None
    g2 = offers[("us-central1", "g2-standard-4")]
    assert g2.usd_per_hour == 0.70683  # 4 x 0.02491 + 16 x 0.002919 + 1 x 0.560486
    assert (g2.gpu_count, g2.gpu_model, g2.accelerator_kind) == (1, "L4", "nvidia")
    tpu = offers[("us-central1", "ct5lp-hightpu-4t")]
    assert (tpu.usd_per_hour, tpu.spot_usd_per_hour) == (4.8, 1.68)  # 4 chips x 1.2 / 0.42
    assert (tpu.gpu_model, tpu.accelerator_kind) == ("tpu-v5e", "tpu")

    n2_sizes = sum(1 for m in machines() if m.family == "n2")
    families = {name.split("-")[0] for (_region, name) in offers}
    assert families == {"n2", "g2", "ct5lp"}  # n2d's only SKU is malformed; no c3/e2 SKUs
    assert sum(1 for region, name in offers if name.startswith("n2-")) == 2 * n2_sizes
    assert result.malformed_rows == 1
    assert all(o.source == "gcp-api" for o in result.offers)


def test_egress_tiers_exclude_china_and_australia_and_convert_gib_to_gb(
    httpserver: HTTPServer,
) -> None:
    serve_gcp(httpserver)
    result = fetch_gcp(["us-central1"], FAST, endpoint=endpoint(httpserver), now=NOW)
    internet = [(r.start_gb, r.usd_per_gb) for r in result.egress if r.kind == "internet"]
    assert internet == [
        (0, pytest.approx(0.12 / GIB)),
        (pytest.approx(1024 * GIB), pytest.approx(0.11 / GIB)),
        (pytest.approx(10240 * GIB), pytest.approx(0.08 / GIB)),
    ]
    by_kind = {r.kind: r.usd_per_gb for r in result.egress if r.kind != "internet"}
    assert by_kind == {
        "within-continent": pytest.approx(0.01 / GIB),
        "between-continents": pytest.approx(0.05 / GIB),  # the dearest destination
        "cross-zone": pytest.approx(0.01 / GIB),
    }


def test_throttling_is_retried_then_succeeds(httpserver: HTTPServer) -> None:
    waits: list[float] = []
    for _ in range(2):
        httpserver.expect_oneshot_request("/v1/services/6F81-5844-456A/skus").respond_with_json(
            {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}},
            status=429,
        )
    serve_gcp(httpserver)
    policy = RetryPolicy(attempts=4, base_delay_s=1, sleep=waits.append)
    result = fetch_gcp(["us-central1"], policy, endpoint=endpoint(httpserver), now=NOW)
    assert result.retries == 2
    assert waits == [1, 2]
    assert any(o.instance_type == "n2-standard-4" for o in result.offers)


def test_server_errors_after_retries_fail_the_cloud(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_json(
        {"error": {"code": 503, "message": "backend unavailable", "status": "UNAVAILABLE"}},
        status=503,
    )
    with pytest.raises(FetchError, match="backend unavailable"):
        fetch_gcp(["us-central1"], FAST, endpoint=endpoint(httpserver))
    assert len(httpserver.log) == 3


def test_sku_descriptions_are_classified() -> None:
    assert classify("N2D AMD Instance Core running in Americas", "CPU") == ("core", "n2d")
    assert classify("M3 Memory-optimized Instance Ram running in Americas", "RAM") == ("ram", "m3")
    assert classify("Spot Preemptible C3 Instance Core running in Belgium", "CPU") == ("core", "c3")
    assert classify("N2 Sole Tenancy Instance Core running in Americas", "CPU") is None
    assert classify("Nvidia H100 80GB GPU running in Americas", "GPU") == ("gpu", "H100")
    assert classify("Nvidia Tesla A100 80GB GPU running in Americas", "GPU") == ("gpu", "A100-80GB")
    assert classify("Nvidia Tesla A100 GPU running in Americas", "GPU") == ("gpu", "A100")


def test_missing_credentials_fail_with_a_clear_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from google.auth.compute_engine import _metadata

    monkeypatch.setattr(_metadata, "_NO_GCE_CHECK", True)  # never probe a metadata server
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("PLACER_GCP_ENDPOINT", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    with pytest.raises(FetchError, match="no usable GCP credentials"):
        fetch_gcp(["us-central1"], FAST)


def test_requests_that_keep_timing_out_fail_the_cloud(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.6)  # longer than the 0.3 s timeout below
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_handler(slow)
    policy = RetryPolicy(attempts=2, base_delay_s=0, timeout_s=0.3, sleep=lambda _s: None)
    with pytest.raises(FetchError, match=r"localhost:\d+ did not answer within 0.3 s") as caught:
        fetch_gcp(["us-central1"], policy, endpoint=endpoint(httpserver))
    assert caught.value.retries == 1


def test_an_answer_that_is_not_the_catalog_fails_the_cloud(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_data(
        "<html>proxy login</html>", content_type="text/html"
    )
    with pytest.raises(FetchError, match="did not answer with Cloud Billing Catalog JSON"):
        fetch_gcp(["us-central1"], FAST, endpoint=endpoint(httpserver))


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (500, b'{"error":"boom"}', r'HTTP 500 from localhost:\d+: {"error":"boom"}'),
        (200, b"\xff\xfe\x00garbage", "answer is not JSON: '\ufffd\ufffd\\\\u0000garbage'"),
        (200, b'{"skus": "not a list"}', "did not answer with Cloud Billing Catalog JSON"),
    ],
)
def test_a_bad_answer_fails_the_cloud_quoting_it(
    httpserver: HTTPServer, status: int, body: bytes, said: str
) -> None:
    httpserver.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_data(
        body, status=status
    )
    with pytest.raises(FetchError, match=said):
        fetch_gcp(["us-central1"], FAST, endpoint=endpoint(httpserver))


def test_credentials_never_go_over_plain_http_to_another_host(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import google.auth

    from placer.errors import ConfigError
    from pricing.fetch import _http

    class Credentials:
        token = "secret-token"

        def refresh(self, request: object) -> None:
            pass

    monkeypatch.setattr(google.auth, "default", lambda scopes: (Credentials(), "project"))
    monkeypatch.setattr(_http, "is_loopback", lambda url: False)  # the server stands in for a host
    with pytest.raises(ConfigError, match="refusing to send credentials over plain http"):
        fetch_gcp(["us-central1"], FAST, endpoint=endpoint(httpserver))
    assert httpserver.log == []
    serve_gcp(httpserver)
    fetch_gcp(["us-central1"], FAST, endpoint=endpoint(httpserver), allow_insecure=True)
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer secret-token"
    with pytest.raises(ConfigError, match="is not an http"):
        fetch_gcp(["us-central1"], FAST, endpoint="file:///etc/passwd")
