"""The catalog: the embedded snapshot's coverage, cache vs snapshot choice, queries."""

import dataclasses
import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pricing import CLOUDS, Location, Offer, continent, load_catalog
from pricing._store import load_egress, save_table
from pricing.catalog import OfferQuery

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch, tmp_path):
    """Never read the developer's own refresh cache."""
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "no-cache"))


@pytest.fixture(scope="module")
def snapshot():
    return load_catalog(cache_dir="/nonexistent-placer-cache")


# --------------------------------------------------------------------- the snapshot


def test_snapshot_is_the_source_with_no_cache(snapshot):
    assert snapshot.source == "snapshot"
    assert snapshot.warnings == ()
    assert set(snapshot.clouds) == set(CLOUDS)


@pytest.mark.parametrize("cloud", CLOUDS)
def test_each_cloud_has_8_regions_on_three_continents(snapshot, cloud):
    regions = snapshot.regions(cloud)
    assert len(regions) >= 8
    continents = {continent(Location(cloud, r)) for r in regions}
    assert {"na", "eu", "apac"} <= continents


@pytest.mark.parametrize(
    ("cloud", "models"),
    [
        ("aws", {"T4", "A10G", "L4", "A100-40GB", "H100", "trn1"}),
        ("gcp", {"T4", "L4", "A100-40GB", "H100", "tpu-v5e"}),
        ("azure", {"T4", "A10", "A100-40GB", "A100-80GB", "H100", "H100-NVL"}),
    ],
)
def test_accelerators_per_cloud(snapshot, cloud, models):
    assert models <= {o.gpu_model for o in snapshot.offers(cloud)}


def test_accelerator_kinds(snapshot):
    kinds = {o.gpu_model: o.accelerator_kind for o in snapshot.offers() if o.gpu_model}
    assert kinds["trn1"] == "trainium"
    assert kinds["tpu-v5e"] == "tpu"
    assert kinds["H100"] == "nvidia"


def test_general_compute_and_memory_families_in_several_sizes(snapshot):
    types = {o.instance_type for o in snapshot.offers()}
    for family in ("m7i.", "c7i.", "r7i.", "n2-standard-", "n2-highmem-", "c2-standard-",
                   "Standard_D", "Standard_F", "Standard_E"):  # fmt: skip
        sizes = {t for t in types if t.startswith(family)}
        assert len(sizes) >= 3, family


def test_one_row_per_cloud_region_and_instance_type(snapshot):
    keys = [(o.cloud, o.region, o.instance_type) for o in snapshot.offers()]
    assert len(keys) == len(set(keys))
    assert all(o.source == "snapshot" and o.observed_at for o in snapshot.offers())


def test_spot_prices_where_the_cloud_sells_spot(snapshot):
    for cloud in ("aws", "gcp"):
        offers = snapshot.offers(cloud)
        with_spot = [o for o in offers if o.spot_usd_per_hour is not None]
        assert len(with_spot) >= 0.9 * len(offers)
        assert all(o.spot_usd_per_hour <= o.usd_per_hour for o in with_spot)


def test_real_list_prices_spot_checked(snapshot):
    def price(cloud, region, itype):
        (offer,) = [o for o in snapshot.offers(cloud, region) if o.instance_type == itype]
        return offer

    # values as published in the sources named in pricing/data/SOURCES.md
    assert price("aws", "us-east-1", "m7i.large").usd_per_hour == 0.1008
    assert price("aws", "us-east-1", "p5.48xlarge").gpu_count == 8
    assert price("azure", "eastus", "Standard_D4s_v5").usd_per_hour == 0.192
    assert price("gcp", "us-central1", "n2-standard-2").usd_per_hour == 0.097118
    assert price("gcp", "us-central1", "g2-standard-4").usd_per_hour == pytest.approx(0.706832)
    # the common types, priced offline (Azure spot: see SOURCES.md)
    for itype in ("m5.xlarge", "m5.2xlarge", "c5.xlarge", "r5.xlarge", "m6i.xlarge",
                  "m6g.xlarge", "g5.xlarge", "p3.2xlarge", "t3.medium"):  # fmt: skip
        assert price("aws", "us-east-1", itype).spot_usd_per_hour is not None
    for itype in ("e2-standard-4", "n2d-standard-8", "c3-standard-8", "a2-ultragpu-1g"):
        assert price("gcp", "us-central1", itype).spot_usd_per_hour is not None
    assert price("azure", "eastus", "Standard_D4s_v3").usd_per_hour == 0.192
    assert price("gcp", "us-central1", "a2-ultragpu-1g").gpu_model == "A100-80GB"
    assert price("azure", "eastus", "Standard_NC40ads_H100_v5").gpu_model == "H100-NVL"
    assert price("aws", "us-east-1", "t3.medium").burstable
    assert price("gcp", "us-central1", "e2-medium").burstable


def test_sources_are_named_with_their_dates(snapshot):
    for cloud in ("aws", "gcp"):
        sources = snapshot.clouds[cloud].sources
        assert any("skypilot-catalog" in s and "commit date unknown" in s for s in sources)
        assert snapshot.clouds[cloud].date_unknown  # some rows' true date is unknown
    assert any("generated 2026-06-18" in s for s in snapshot.clouds["azure"].sources)
    assert snapshot.clouds["azure"].date_unknown  # its spot prices: SkyPilot, date unknown
    eastus = {o.instance_type: o for o in snapshot.offers("azure", "eastus")}
    d4 = eastus["Standard_D4s_v3"]  # on-demand dated exactly, spot on or before the reading
    assert (d4.usd_per_hour, d4.spot_usd_per_hour) == (0.192, 0.02112)
    assert (d4.observed_earliest, d4.observed_at) == ("", "2026-11-27")
    d4v5 = eastus["Standard_D2s_v5"]  # no spot: today's on-demand and its date only
    assert d4v5.observed_earliest == d4v5.observed_at == "2026-06-18"
    assert eastus["Standard_NV6ads_A10_v5"].gpu_count == pytest.approx(1 / 6, abs=1e-3)
    assert eastus["Standard_NC80adis_H100_v5"].gpu_model == "H100-NVL"
    assert snapshot.clouds["aws"].as_of == "2025-03-02"  # Libcloud's rows are the oldest


def test_captured_at_is_the_oldest_table(snapshot):
    oldest = min(snapshot.clouds.values(), key=lambda p: p.captured_at).captured_at
    assert snapshot.captured_at == oldest


def test_offers_index_agrees_with_a_scan(snapshot):
    everything = snapshot.offers()
    assert len(everything) == sum(p.offer_count for p in snapshot.clouds.values())
    for cloud in CLOUDS:
        for region in snapshot.regions(cloud):
            scanned = [o for o in everything if (o.cloud, o.region) == (cloud, region)]
            assert list(snapshot.offers(cloud, region)) == scanned
    assert snapshot.offers("aws", "atlantis-1") == ()


def test_region_without_cloud_is_refused(snapshot):
    with pytest.raises(ValueError, match="region needs a cloud"):
        snapshot.offers(region="us-east-1")


def test_loading_imports_no_pandas_or_cloud_sdk():
    code = (
        "import sys; from pricing import load_catalog, rate_usd_per_gb; load_catalog();"
        "rate_usd_per_gb('aws:us-east-1', 'gcp:us-east1');"
        "bad = ('pandas', 'boto3', 'botocore', 'google', 'azure', 'numpy', 'pulp', 'rich');"
        "print([m for m in sys.modules if m.split('.')[0] in bad])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------- cache vs snapshot


def _cache(tmp_path, cloud, captured_at, offers):
    save_table(tmp_path / f"offers-{cloud}.json", cloud, captured_at, ["refresh"], offers)


AWS_OFFER = Offer("aws", "us-east-1", "m7i.large", 2, 8, 0.5, None, source="live")


def test_fresher_cache_wins_for_its_cloud_only(tmp_path):
    _cache(tmp_path, "aws", "2099-01-01T00:00:00Z", [AWS_OFFER])
    catalog = load_catalog(tmp_path)
    assert catalog.clouds["aws"].source == "cache"
    assert catalog.clouds["gcp"].source == "snapshot"
    assert catalog.source == "mixed"
    assert catalog.offers("aws") == (AWS_OFFER,)
    assert catalog.sources_by_cloud["aws"] == ("refresh",)


def test_all_clouds_cached_is_source_cache(tmp_path):
    for cloud in CLOUDS:
        offer = Offer(cloud, "r1", "t", 1, 1, 1.0)
        _cache(tmp_path, cloud, "2099-01-01T00:00:00+00:00", [offer])
    assert load_catalog(tmp_path).source == "cache"


def test_older_cache_loses_to_the_snapshot(tmp_path):
    _cache(tmp_path, "aws", "2001-01-01T00:00:00Z", [AWS_OFFER])
    catalog = load_catalog(tmp_path)
    assert catalog.source == "snapshot"
    assert AWS_OFFER not in catalog.offers("aws")


def test_corrupt_cache_warns_naming_the_file_and_falls_back(tmp_path):
    path = tmp_path / "offers-azure.json"
    path.write_text(json.dumps({"format_version": 1, "cloud": "azure"}))
    catalog = load_catalog(tmp_path)
    assert catalog.clouds["azure"].source == "snapshot"
    assert len(catalog.offers("azure")) > 100
    (warning,) = catalog.warnings
    assert warning.startswith(f"ignoring {path}: corrupt pricing file")


def test_stale_clouds_past_seven_days(tmp_path):
    _cache(tmp_path, "aws", "2099-01-01T00:00:00Z", [AWS_OFFER])
    catalog = load_catalog(tmp_path, clouds=["aws"])
    assert catalog.stale_clouds(datetime(2099, 1, 8, tzinfo=UTC)) == ()
    assert catalog.stale_clouds(datetime(2099, 1, 8, 0, 1, tzinfo=UTC)) == ("aws",)
    assert catalog.age_days(datetime(2099, 1, 3, 12, tzinfo=UTC)) == 2.5


def test_rows_a_partial_refresh_kept_make_the_cloud_stale(tmp_path):
    fresh = dataclasses.replace(AWS_OFFER, observed_at="2099-01-09T00:00:00Z")
    kept = dataclasses.replace(AWS_OFFER, region="eu-west-1", observed_at="2099-01-01")
    _cache(tmp_path, "aws", "2099-01-09T00:00:00Z", [fresh, kept])
    catalog = load_catalog(tmp_path, clouds=["aws"])
    prices = catalog.clouds["aws"]
    assert (prices.oldest_observed_at, prices.as_of) == ("2099-01-01", "2099-01-01")
    # the table is one day old, but its eu-west-1 row is 9 days old
    assert catalog.stale_clouds(datetime(2099, 1, 10, tzinfo=UTC)) == ("aws",)
    # rows observed on the capture day (or with no date) are not older
    _cache(tmp_path, "aws", "2099-01-09T05:00:00Z", [fresh, AWS_OFFER])
    same_day = load_catalog(tmp_path, clouds=["aws"]).clouds["aws"]
    assert (same_day.oldest_observed_at, same_day.as_of) == ("", "2099-01-09T05:00:00Z")


# ---------------------------------------------------------------------------- queries

OFFERS = [
    Offer("aws", "us-east-1", "small", 2, 8, 0.10, 0.04),
    Offer("aws", "us-east-1", "big", 16, 64, 0.80, None),
    Offer("aws", "eu-west-1", "gpu", 8, 32, 1.20, 0.30, 1, "T4", "nvidia"),
    Offer("aws", "eu-west-1", "mem", 4, 64, 0.30, 0.12),
]


@pytest.fixture()
def small(tmp_path):
    _cache(tmp_path, "aws", "2099-01-01T00:00:00Z", OFFERS)
    return load_catalog(tmp_path, clouds=["aws"])


def _names(offers):
    return [o.instance_type for o in offers]


def test_find_sorts_by_price(small):
    assert _names(small.find(OfferQuery())) == ["small", "mem", "big", "gpu"]


def test_find_filters_cpu_memory_and_region(small):
    assert _names(small.find(OfferQuery(min_vcpus=4, min_memory_gib=40))) == ["mem", "big"]
    assert _names(small.find(OfferQuery(cloud="aws", region="eu-west-1"))) == ["mem", "gpu"]
    assert _names(small.find(OfferQuery(region="us-east-1"))) == ["small", "big"]


def test_find_by_gpu_is_case_insensitive(small):
    assert _names(small.find(OfferQuery(gpu_model="t4"))) == ["gpu"]
    assert small.gpu_models() == ("T4",)


def test_find_spot_drops_offers_without_spot_and_sorts_by_spot(small):
    assert _names(small.find(OfferQuery(capacity_type="spot"))) == ["small", "mem", "gpu"]


def test_find_sort_by_cpu_then_memory(small):
    assert _names(small.find(OfferQuery(sort="cpu"))) == ["small", "mem", "gpu", "big"]
    # memory 8 < 32 < 64 = 64; the 64 GiB tie goes to the cheaper "mem"
    assert _names(small.find(OfferQuery(sort="memory"))) == ["small", "gpu", "mem", "big"]


def test_shipped_snapshot_is_what_the_build_script_makes_from_the_facts(tmp_path, snapshot):
    script = ROOT / "tools" / "snapshot" / "build.py"
    spec = importlib.util.spec_from_file_location("snapshot_build", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules["snapshot_build"] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        module.build(out=tmp_path)
    finally:
        del sys.modules["snapshot_build"]
    rebuilt = load_catalog(cache_dir=tmp_path / "none", snapshot_dir=tmp_path)
    for cloud in CLOUDS:
        assert rebuilt.offers(cloud) == snapshot.offers(cloud)
        name = f"egress-{cloud}.json.gz"
        shipped = load_egress(ROOT / "pricing" / "data" / name)
        assert load_egress(tmp_path / name) == dataclasses.replace(shipped, path=tmp_path / name)
