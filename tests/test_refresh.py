"""Refresh orchestration: per-cloud isolation, atomic per-cloud writes, merges, interrupts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from fixtures.pricing_servers import RETAIL_PATH, serve_azure, serve_gcp, without_aws_credentials
from pytest_httpserver import HTTPServer

from placer.errors import PricingError
from pricing._model import Offer
from pricing._store import (
    EgressTable,
    Tier,
    egress_path,
    load_egress,
    load_table,
    offers_path,
    save_egress,
    save_table,
)
from pricing.fetch import EgressRate, FetchResult, RetryPolicy
from pricing.fetch._egress import merge_egress
from pricing.refresh import RefreshOptions, refresh

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
OLD = "2026-11-01T00:00:00Z"
FAST = RetryPolicy(attempts=2, base_delay_s=0, sleep=lambda _s: None)
REGIONS = {"aws": ("us-east-1",), "azure": ("eastus",), "gcp": ("us-central1",)}


def offer(cloud: str, region: str, name: str, usd: float, **shape: object) -> Offer:
    fields = {"vcpus": 4.0, "memory_gib": 16.0, **shape}
    return Offer(cloud, region, name, usd_per_hour=usd, observed_at=OLD, **fields)  # type: ignore[arg-type]


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """(cache, snapshot) directories holding small old tables."""
    cache, snapshot = tmp_path / "cache", tmp_path / "snapshot"
    save_table(
        offers_path("aws", cache),
        "aws",
        OLD,
        ["old"],
        [offer("aws", "us-east-1", "m5.xlarge", 0.18)],
    )
    save_table(
        offers_path("azure", cache),
        "azure",
        OLD,
        ["old"],
        [
            offer("azure", "eastus", "Standard_D4s_v5", 0.19),
            offer("azure", "westeurope", "Standard_D4s_v5", 0.21),
        ],
    )
    save_table(
        offers_path("gcp", cache),
        "gcp",
        OLD,
        ["old"],
        [offer("gcp", "us-central1", "n2-standard-4", 0.19)],
    )
    t4 = offer(
        "azure", "westus2", "Standard_NC4as_T4_v3", 0.526, memory_gib=28.0, gpu_count=1.0,
        gpu_model="T4", accelerator_kind="nvidia",
    )  # fmt: skip
    save_table(snapshot / "offers-azure.json.gz", "azure", OLD, ["snapshot"], [t4])
    internet = {"*": (Tier(0, 0.0), Tier(100, 0.087)), "apac": (Tier(0, 0.0), Tier(100, 0.12))}
    table = EgressTable("azure", OLD, ("snapshot",), internet, {"*": 0.08}, {"*": 0.08})
    save_egress(snapshot / "egress-azure.json.gz", table)
    return cache, snapshot


def options(server: HTTPServer, cache: Path, snapshot: Path, **changes: object) -> RefreshOptions:
    base = RefreshOptions(
        regions=REGIONS,
        policy=FAST,
        azure_prices_url=server.url_for(RETAIL_PATH),
        gcp_endpoint=server.url_for("/").rstrip("/"),
        directory=cache,
        snapshot_dir=snapshot,
    )
    return dataclasses.replace(base, **changes)


def snapshot_of(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def clouds_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, httpserver: HTTPServer
) -> HTTPServer:
    """AWS without credentials (fails), Azure and GCP served locally (succeed)."""
    without_aws_credentials(monkeypatch, tmp_path)
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    serve_azure(httpserver, arm=False)
    serve_gcp(httpserver)
    return httpserver


def test_a_failing_cloud_keeps_its_cache_while_the_others_update(
    clouds_env: HTTPServer, dirs: tuple[Path, Path]
) -> None:
    cache, snapshot = dirs
    aws_before = offers_path("aws", cache).read_bytes()
    report = refresh(options(clouds_env, cache, snapshot), now=NOW)

    assert report.refreshed == ("azure", "gcp")
    assert report.failed == ("aws",)
    aws = report.outcomes[0]
    assert "no AWS credentials" in aws.reason
    assert offers_path("aws", cache).read_bytes() == aws_before
    assert not egress_path("aws", cache).exists()

    azure = load_table(offers_path("azure", cache))
    assert azure.captured_at == "2026-11-27T09:30:00Z"
    prices = {
        (o.region, o.instance_type): (o.usd_per_hour, o.spot_usd_per_hour) for o in azure.offers
    }
    # eastus replaced by the fetched prices, westeurope kept from the old cache, the T4
    # size shaped from the snapshot; sizes with no known shape are skipped and counted.
    assert prices == {
        ("eastus", "Standard_D4s_v5"): (0.192, 0.0218),
        ("eastus", "Standard_NC4as_T4_v3"): (0.526, 0.1578),
        ("westeurope", "Standard_D4s_v5"): (0.21, None),
    }
    outcome = report.outcomes[1]
    assert (outcome.malformed_rows, outcome.unshaped_types, outcome.offers) == (1, 3, 2)

    gcp = {
        (o.region, o.instance_type): o.usd_per_hour
        for o in load_table(offers_path("gcp", cache)).offers
    }
    assert gcp[("us-central1", "n2-standard-4")] == 0.194236

    egress = load_egress(egress_path("azure", cache))
    assert [(t.start_gb, t.usd_per_gb) for t in egress.internet_tiers["eastus"]] == [
        (0, 0.0), (100, 0.087), (10340, 0.083), (51300, 0.07), (153700, 0.05),
    ]  # fmt: skip
    assert egress.internet_tiers["apac"][1].usd_per_gb == 0.12  # kept from the snapshot table
    assert egress.within_continent_usd_per_gb == {"*": 0.08, "na": 0.02}
    assert egress.between_continents_usd_per_gb == {"*": 0.08, "na": 0.05}


def test_an_interrupted_refresh_leaves_the_cache_as_it_was(
    clouds_env: HTTPServer, dirs: tuple[Path, Path]
) -> None:
    cache, snapshot = dirs
    before = snapshot_of(cache)

    def interrupt_at_gcp(cloud: str, done: int, total: int, label: str) -> None:
        if cloud == "gcp":  # Azure has been fetched by now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        refresh(options(clouds_env, cache, snapshot), progress=interrupt_at_gcp, now=NOW)
    assert snapshot_of(cache) == before  # same files (no temp files), same bytes


def test_first_refresh_keeps_the_snapshot_regions_it_did_not_fetch(
    clouds_env: HTTPServer, dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    _cache, snapshot = dirs
    empty = tmp_path / "fresh-cache"
    report = refresh(options(clouds_env, empty, snapshot, clouds=("azure",)), now=NOW)
    assert report.refreshed == ("azure",)
    regions = sorted({o.region for o in load_table(offers_path("azure", empty)).offers})
    assert regions == ["eastus", "westus2"]


def test_a_cloud_returning_no_prices_counts_as_failed(
    dirs: tuple[Path, Path], httpserver: HTTPServer
) -> None:
    cache, snapshot = dirs
    before = offers_path("gcp", cache).read_bytes()
    empty = lambda regions, opts, progress, shapes: FetchResult("gcp", (), (), ("x",))  # noqa: E731
    report = refresh(
        options(httpserver, cache, snapshot, clouds=("gcp",)), now=NOW, fetchers={"gcp": empty}
    )
    assert report.failed == ("gcp",)
    assert "no prices" in report.outcomes[0].reason
    assert offers_path("gcp", cache).read_bytes() == before


def test_no_fetched_egress_keeps_the_previous_table_and_its_date(
    dirs: tuple[Path, Path], httpserver: HTTPServer
) -> None:
    cache, snapshot = dirs
    fetched = FetchResult("azure", (offer("azure", "eastus", "Standard_D4s_v5", 0.2),), (), ("x",))
    report = refresh(
        options(httpserver, cache, snapshot, clouds=("azure",)),
        now=NOW,
        fetchers={"azure": lambda *args: fetched},
    )
    assert report.refreshed == ("azure",)
    assert load_table(offers_path("azure", cache)).captured_at == "2026-11-27T09:30:00Z"
    # no egress rate was fetched: the snapshot's table (dated OLD) stays the one in use
    assert not egress_path("azure", cache).exists()
    previous = load_egress(snapshot / "egress-azure.json.gz")
    assert merge_egress("azure", previous, [], lambda region: None, "now", ["api"]) is None


def test_a_corrupt_cache_file_is_replaced_by_a_successful_refresh(
    clouds_env: HTTPServer, dirs: tuple[Path, Path]
) -> None:
    cache, snapshot = dirs
    offers_path("gcp", cache).write_text("{not json")
    report = refresh(options(clouds_env, cache, snapshot, clouds=("gcp",)), now=NOW)
    assert report.refreshed == ("gcp",)
    assert load_table(offers_path("gcp", cache)).captured_at == "2026-11-27T09:30:00Z"


def test_egress_from_scratch_gets_dearest_fallbacks() -> None:
    rates = [
        EgressRate("aws", "us-east-1", "internet", 0.0, 0),
        EgressRate("aws", "us-east-1", "internet", 0.09, 100),
        EgressRate("aws", "ap-south-1", "internet", 0.1093, 0),
        EgressRate("aws", "us-east-1", "inter-region", 0.02, 0, "us-west-2"),
        EgressRate("aws", "ap-south-1", "inter-region", 0.086, 0, "us-east-1"),
        EgressRate("aws", "us-east-1", "cross-zone", 0.01, 0),
    ]
    table = merge_egress("aws", None, rates, lambda region: None, NOW.isoformat(), ["api"])
    assert table is not None
    assert table.internet_tiers["*"] == (Tier(0, 0.1093),)  # the dearest schedule
    assert table.region_pairs_usd_per_gb == {
        ("us-east-1", "us-west-2"): 0.02,
        ("ap-south-1", "us-east-1"): 0.086,
    }
    assert table.within_continent_usd_per_gb == {"*": 0.086}
    assert table.cross_zone_usd_per_gb == 0.01
    assert merge_egress("aws", None, [], lambda region: None, "t", []) is None


def test_an_unwritable_cache_is_a_clear_error(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    _cache, snapshot = dirs
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    fetched = FetchResult("gcp", (offer("gcp", "us-central1", "n2-standard-4", 0.2),), (), ("x",))
    opts = RefreshOptions(
        clouds=("gcp",), regions=REGIONS, directory=not_a_dir, snapshot_dir=snapshot
    )
    with pytest.raises(PricingError, match="cannot write the pricing cache") as caught:
        refresh(opts, now=NOW, fetchers={"gcp": lambda *args: fetched})
    assert caught.value.location == str(not_a_dir)
    assert not_a_dir.read_text() == "x"


def _azure_fetcher(region: str, usd: float):
    """A fetcher returning one Azure offer in `region` (no network)."""

    def fetch(regions, opts, progress, shapes):  # noqa: ANN001
        return FetchResult("azure", (offer("azure", region, "Standard_D4s_v5", usd),), (), ("x",))

    return fetch


def test_a_cloud_sdk_crashing_on_an_answer_fails_that_cloud_alone(
    dirs: tuple[Path, Path], httpserver: HTTPServer
) -> None:
    cache, snapshot = dirs
    gcp_before = offers_path("gcp", cache).read_bytes()

    def crashing(*args: object) -> FetchResult:
        raise AttributeError("'str' object has no attribute 'get'")  # api_core on {"error":"x"}

    report = refresh(
        options(httpserver, cache, snapshot, clouds=("azure", "gcp")),
        now=NOW,
        fetchers={"azure": _azure_fetcher("eastus", 0.2), "gcp": crashing},
    )
    assert (report.refreshed, report.failed) == (("azure",), ("gcp",))
    assert report.outcomes[1].reason == (
        "unexpected AttributeError while reading the answer: 'str' object has no attribute 'get'"
    )
    assert offers_path("gcp", cache).read_bytes() == gcp_before
    assert {o.region for o in load_table(offers_path("azure", cache)).offers} == {
        "eastus",
        "westeurope",
    }


def test_a_gcp_500_does_not_lose_the_azure_prices_fetched_before_it(
    dirs: tuple[Path, Path], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, snapshot = dirs
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    serve_azure(httpserver, arm=False)
    httpserver.expect_request("/v1/services/6F81-5844-456A/skus").respond_with_data(
        '{"error":"boom"}', status=500
    )
    report = refresh(options(httpserver, cache, snapshot, clouds=("azure", "gcp")), now=NOW)
    assert (report.refreshed, report.failed) == (("azure",), ("gcp",))
    assert re.fullmatch(
        r'Cloud Billing Catalog: HTTP 500 from localhost:\d+: \{"error":"boom"\}',
        report.outcomes[1].reason,
    )
    assert load_table(offers_path("azure", cache)).captured_at == "2026-11-27T09:30:00Z"


def test_a_refresh_killed_between_files_leaves_every_table_as_it_was(
    dirs: tuple[Path, Path], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pricing import refresh as refresh_module
    from pricing._generations import generations

    cache, snapshot = dirs
    refresh(  # a first refresh: the cache is now a generation behind `current`
        options(httpserver, cache, snapshot, clouds=("azure",)),
        now=NOW,
        fetchers={"azure": _azure_fetcher("eastus", 0.2)},
    )
    before = tables(cache)
    real = refresh_module.save_table
    written: list[str] = []

    def killed_after_one(path, *args, **kwargs):  # noqa: ANN001
        if written:
            raise KeyboardInterrupt  # SIGTERM, Ctrl-C: between one cloud's file and the next
        written.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(refresh_module, "save_table", killed_after_one)
    gcp = FetchResult("gcp", (offer("gcp", "us-central1", "n2-standard-4", 0.3),), (), ("x",))
    with pytest.raises(KeyboardInterrupt):
        refresh(
            options(httpserver, cache, snapshot, clouds=("azure", "gcp")),
            now=NOW,
            fetchers={"azure": _azure_fetcher("eastus", 0.25), "gcp": lambda *args: gcp},
        )
    assert written  # one cloud's table was written before the kill...
    assert tables(cache) == before  # ...and none of it is in use
    assert len(generations(cache)) == 1  # the half-written generation is gone


def test_concurrent_refreshes_of_two_regions_both_land(
    dirs: tuple[Path, Path], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from pricing import refresh as refresh_module

    cache, snapshot = dirs
    real = refresh_module.save_table
    both_merged = threading.Barrier(2)

    def save_after_both_merged(*args, **kwargs):  # noqa: ANN001
        try:  # without a lock both refreshes get here having read the same old table
            both_merged.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass  # with the lock only one is here at a time
        return real(*args, **kwargs)

    monkeypatch.setattr(refresh_module, "save_table", save_after_both_merged)
    runs = [
        threading.Thread(
            target=refresh,
            args=(
                options(
                    httpserver, cache, snapshot, clouds=("azure",), regions={"azure": (region,)}
                ),
            ),
            kwargs={"now": NOW, "fetchers": {"azure": _azure_fetcher(region, usd)}},
        )
        for region, usd in (("eastus", 0.2), ("westus2", 0.3))
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=30)
    prices = {o.region: o.usd_per_hour for o in load_table(offers_path("azure", cache)).offers}
    assert prices == {"eastus": 0.2, "westus2": 0.3, "westeurope": 0.21}


def tables(cache: Path) -> dict[str, bytes]:
    """The bytes of every table in use (through `current`)."""
    return {p.name: p.read_bytes() for p in sorted(offers_path("aws", cache).parent.iterdir())}


_KILLED_REFRESH = """
import sys, time
from pathlib import Path
from pricing import refresh as module
from pricing._model import Offer
from pricing.fetch import FetchResult
from pricing.refresh import RefreshOptions, refresh

real = module.save_table
def save_then_hang(path, *args, **kwargs):
    real(path, *args, **kwargs)
    print("wrote", path, flush=True)
    time.sleep(60)  # killed here, between one cloud's table and the next

def fetcher(cloud, region, name):
    row = Offer(cloud, region, name, vcpus=4.0, memory_gib=16.0, usd_per_hour=9.0)
    return lambda *args: FetchResult(cloud, (row,), (), ("killed",))

module.save_table = save_then_hang
refresh(
    RefreshOptions(
        clouds=("azure", "gcp"),
        regions={"azure": ("eastus",), "gcp": ("us-central1",)},
        directory=Path(sys.argv[1]),
        snapshot_dir=Path(sys.argv[2]),
    ),
    fetchers={
        "azure": fetcher("azure", "eastus", "Standard_D4s_v5"),
        "gcp": fetcher("gcp", "us-central1", "n2-standard-4"),
    },
)
"""


def test_a_refresh_killed_9_between_files_leaves_the_cache_and_is_swept_next_time(
    dirs: tuple[Path, Path], httpserver: HTTPServer
) -> None:
    import signal
    import subprocess
    import sys

    from pricing._generations import generations

    cache, snapshot = dirs
    refresh(  # the cache is a generation behind `current`
        options(httpserver, cache, snapshot, clouds=("azure",)),
        now=NOW,
        fetchers={"azure": _azure_fetcher("eastus", 0.2)},
    )
    before = tables(cache)
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_REFRESH, str(cache), str(snapshot)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().startswith("wrote ")  # azure's table is on disk...
    finally:
        child.send_signal(signal.SIGKILL)  # ...and no cleanup code runs
        child.wait(timeout=30)
    assert tables(cache) == before  # every table in use is the previous refresh's
    assert len(generations(cache)) == 2  # the killed refresh's half generation is left
    refresh(
        options(httpserver, cache, snapshot, clouds=("gcp",)),
        now=NOW,
        fetchers={
            "gcp": lambda *args: FetchResult(
                "gcp", (offer("gcp", "us-central1", "n2-standard-4", 0.3),), (), ("x",)
            )
        },
    )
    assert len(generations(cache)) == 2  # the new one and the one before: the orphan swept
    assert {o.usd_per_hour for o in load_table(offers_path("azure", cache)).offers} == {0.2, 0.21}
    assert [o.usd_per_hour for o in load_table(offers_path("gcp", cache)).offers] == [0.3]


def test_a_reader_sees_one_refresh_even_if_another_switches_while_it_reads(
    dirs: tuple[Path, Path], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pricing import catalog

    cache, snapshot = dirs
    refresh(
        options(httpserver, cache, snapshot, clouds=("azure", "gcp")),
        now=NOW,
        fetchers={
            "azure": _azure_fetcher("eastus", 0.2),
            "gcp": lambda *args: FetchResult(
                "gcp", (offer("gcp", "us-central1", "n2-standard-4", 0.3),), (), ("x",)
            ),
        },
    )
    gcp_old = offer("gcp", "us-central1", "n2-standard-4", 0.1)
    save_table(snapshot / "offers-gcp.json.gz", "gcp", OLD, ["snapshot"], [gcp_old])
    real, read = catalog.read_rows, []

    def read_then_a_refresh_switches(path):  # noqa: ANN001
        read.append(path)
        if len(read) == 3:  # azure's tables read, gcp's snapshot too: a switch now
            later = NOW.replace(hour=11)
            refresh(
                options(httpserver, cache, snapshot, clouds=("azure", "gcp")),
                now=later,
                fetchers={
                    "azure": _azure_fetcher("eastus", 0.5),
                    "gcp": lambda *args: FetchResult(
                        "gcp", (offer("gcp", "us-central1", "n2-standard-4", 0.6),), (), ("x",)
                    ),
                },
            )
        return real(path)

    monkeypatch.setattr(catalog, "read_rows", read_then_a_refresh_switches)
    loaded = catalog.load_catalog(cache, snapshot, clouds=("azure", "gcp"))
    assert {c.captured_at for c in loaded.clouds.values()} == {"2026-11-27T09:30:00Z"}
    assert offers_path("gcp", cache).parent != loaded.clouds["gcp"].path.parent  # it switched
