"""Egress rates: continents, routes, tier boundaries summed by hand, and table loading."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from placer.errors import PricingError
from pricing import CONTINENTS, Location, continent, load_catalog
from pricing._store import EgressTable, Tier, save_egress
from pricing.egress import EgressRates, load_egress_rates, tier_rate, tiered_cost

# AWS's published internet egress tiers for US regions (GB; 1 TB = 1024 GB as in the price
# list): first 100 GB free, $0.09 to 10 TB, $0.085 next 40 TB, $0.07 next 100 TB, $0.05 on.
AWS_US = (Tier(0, 0.0), Tier(100, 0.09), Tier(10240, 0.085), Tier(51200, 0.07), Tier(153600, 0.05))


def _aws_table(captured_at="2026-11-20T00:00:00Z", internet=None) -> EgressTable:
    return EgressTable(
        cloud="aws",
        captured_at=captured_at,
        sources=("test",),
        internet_tiers=internet or {"*": AWS_US, "ap-south-1": (Tier(0, 0.0), Tier(100, 0.1093))},
        within_continent_usd_per_gb={"*": 0.02, "apac": 0.09},
        between_continents_usd_per_gb={"*": 0.02, "apac": 0.086},
        cross_zone_usd_per_gb=0.02,
        region_pairs_usd_per_gb={("us-east-1", "us-east-2"): 0.01},
    )


def _gcp_table() -> EgressTable:
    return EgressTable(
        cloud="gcp",
        captured_at="2026-11-20T00:00:00Z",
        sources=(),
        internet_tiers={"*": (Tier(0, 0.12),)},
        within_continent_usd_per_gb={"*": 0.08, "na": 0.01},
        between_continents_usd_per_gb={"*": 0.08},
    )


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch, tmp_path):
    """Never read the developer's own refresh cache."""
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "no-cache"))


RATES = EgressRates({"aws": _aws_table(), "gcp": _gcp_table()}, {"aws": "snapshot"})

# ------------------------------------------------------------------------ continents


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        ("aws:us-east-1", "na"), ("aws:ca-central-1", "na"), ("aws:eu-west-2", "eu"),
        ("aws:ap-south-1", "apac"), ("aws:sa-east-1", "sa"), ("aws:me-south-1", "me"),
        ("aws:af-south-1", "af"), ("gcp:us-central1", "na"),
        ("gcp:northamerica-northeast1", "na"), ("gcp:europe-west4", "eu"),
        ("gcp:asia-south1", "apac"), ("gcp:australia-southeast1", "apac"),
        ("gcp:southamerica-east1", "sa"), ("gcp:me-west1", "me"), ("gcp:africa-south1", "af"),
        ("azure:eastus", "na"), ("azure:canadacentral", "na"), ("azure:westeurope", "eu"),
        ("azure:uksouth", "eu"), ("azure:japaneast", "apac"), ("azure:centralindia", "apac"),
        ("azure:brazilsouth", "sa"), ("azure:uaenorth", "me"), ("azure:southafricanorth", "af"),
    ],
)  # fmt: skip
def test_continent(loc, expected):
    assert continent(loc) == expected
    assert continent(Location.parse(loc)) == expected


def test_continent_codes():
    assert CONTINENTS == ("na", "eu", "apac", "sa", "me", "af")


def test_every_catalog_region_has_a_continent():
    catalog = load_catalog(cache_dir=None)
    for cloud in catalog.clouds:
        for region in catalog.regions(cloud):
            assert continent(Location(cloud, region)) in CONTINENTS


def test_unknown_region_is_a_pricing_error():
    with pytest.raises(PricingError, match="unknown region 'atlantis' for azure"):
        continent("azure:atlantis")
    with pytest.raises(PricingError, match="CLOUD:REGION"):
        continent("us-east-1")


# ------------------------------------------------------------------------------ tiers


@pytest.mark.parametrize(
    ("monthly_gb", "rate"),
    [
        (0, 0.0), (99.9, 0.0), (100, 0.09), (10239.9, 0.09), (10240, 0.085),
        (51199.9, 0.085), (51200, 0.07), (153599.9, 0.07), (153600, 0.05), (10**7, 0.05),
    ],
)  # fmt: skip
def test_marginal_rate_at_tier_boundaries(monthly_gb, rate):
    assert tier_rate(AWS_US, monthly_gb) == rate
    assert RATES.rate_usd_per_gb("aws:us-east-1", "gcp:us-central1", monthly_gb) == rate


@pytest.mark.parametrize(
    ("gb", "cost"),
    [
        (100, 0.0),  # the free 100 GB
        (10240, (10240 - 100) * 0.09),  # 912.60 to the end of the first 10 TB
        (51200, 912.6 + 40960 * 0.085),  # + 3481.60 for the next 40 TB = 4394.20
        (153600, 4394.2 + 102400 * 0.07),  # + 7168 for the next 100 TB = 11562.20
        (200000, 11562.2 + 46400 * 0.05),  # + 2320 beyond 150 TB = 13882.20
    ],
)
def test_tiers_summed_from_zero(gb, cost):
    assert tiered_cost(AWS_US, gb) == pytest.approx(cost)
    assert RATES.transfer_cost_usd(gb, "aws:us-east-1", "internet:anywhere") == pytest.approx(cost)


def test_tiers_summed_after_volume_already_moved():
    # 500 GB after 10,000 GB: 240 GB at $0.09 then 260 GB at $0.085 = 21.60 + 22.10
    assert RATES.transfer_cost_usd(500, "aws:us-east-1", "azure:eastus", 10000) == pytest.approx(
        43.7
    )
    # entirely inside one tier: 1000 GB at $0.07 after 60,000 GB
    assert tiered_cost(AWS_US, 1000, 60000) == pytest.approx(70.0)


@given(
    st.floats(min_value=0, max_value=3e5, allow_nan=False),
    st.floats(min_value=0, max_value=3e5, allow_nan=False),
)
def test_splitting_a_transfer_does_not_change_its_cost(first, second):
    whole = tiered_cost(AWS_US, first + second)
    parts = tiered_cost(AWS_US, first) + tiered_cost(AWS_US, second, first)
    assert parts == pytest.approx(whole, rel=1e-9, abs=1e-6)


# ----------------------------------------------------------------------------- routes


def test_same_region_is_free_unless_across_zones():
    assert RATES.rate_usd_per_gb("aws:us-east-1", "aws:us-east-1") == 0.0
    assert RATES.rate_usd_per_gb("aws:us-east-1", "aws:us-east-1", cross_zone=True) == 0.02
    assert RATES.transfer_cost_usd(50, "aws:us-east-1", "aws:us-east-1", cross_zone=True) == 1.0


def test_ingress_is_free():
    assert RATES.rate_usd_per_gb("internet:home", "aws:us-east-1") == 0.0
    assert RATES.transfer_cost_usd(10**6, "onprem:dc1", "gcp:us-central1") == 0.0


def test_region_pair_wins_over_continent_rate():
    assert RATES.rate_usd_per_gb("aws:us-east-1", "aws:us-east-2") == 0.01
    assert RATES.rate_usd_per_gb("aws:us-east-2", "aws:us-east-1") == 0.02  # no reverse pair


def test_within_and_between_continents_by_source():
    assert RATES.rate_usd_per_gb("aws:us-west-2", "aws:ca-central-1") == 0.02
    assert RATES.rate_usd_per_gb("aws:ap-south-1", "aws:ap-northeast-1") == 0.09
    assert RATES.rate_usd_per_gb("aws:ap-south-1", "aws:eu-west-1") == 0.086
    assert RATES.rate_usd_per_gb("aws:eu-west-1", "aws:ap-south-1") == 0.02
    assert RATES.rate_usd_per_gb("gcp:us-central1", "gcp:us-east4") == 0.01
    assert RATES.rate_usd_per_gb("gcp:europe-west1", "gcp:europe-west4") == 0.08


def test_between_clouds_is_the_source_internet_rate_per_region():
    # ap-south-1 has its own internet tiers: $0.1093 after the free 100 GB
    assert RATES.rate_usd_per_gb("aws:ap-south-1", "gcp:asia-south1", 5000) == 0.1093
    assert RATES.rate_usd_per_gb("gcp:us-central1", "aws:us-east-1") == 0.12


def test_negative_volume_is_refused():
    with pytest.raises(ValueError, match=">= 0"):
        RATES.transfer_cost_usd(-1, "aws:us-east-1", "gcp:us-east1")


def test_missing_cloud_table_is_a_pricing_error():
    with pytest.raises(PricingError, match="no egress table for azure"):
        RATES.rate_usd_per_gb("azure:eastus", "aws:us-east-1")


# --------------------------------------------------------------------- shipped tables


def test_shipped_aws_table_has_the_published_us_tiers():
    rates = load_egress_rates(cache=None)
    # first 100 GB free, then 9,140 GB at $0.09: 10,240 GB cost $912.60 from us-east-1
    assert rates.transfer_cost_usd(10240, "aws:us-east-1", "gcp:us-central1") == pytest.approx(
        912.6
    )
    assert rates.rate_usd_per_gb("aws:eu-west-1", "azure:westeurope", 60000) == 0.07
    assert rates.rate_usd_per_gb("aws:us-east-1", "aws:us-east-2") == 0.01


def test_shipped_gcp_table_is_per_gib_converted_to_gb():
    rates = load_egress_rates(cache=None)
    # $0.12 per GiB is $0.12 / 1.073741824 per GB
    expected = 0.12 / 1.073741824
    assert rates.rate_usd_per_gb("gcp:us-central1", "aws:us-east-1") == pytest.approx(expected)


# Azure's tiers follow the free 100 GB ("first 100 GB free, next 10 TB ..."), so they
# start at 100, 10,340, 51,300 and 153,700 GB (the Retail Prices API's tierMinimumUnits).
@pytest.mark.parametrize(
    ("gb", "cost"),
    [
        (100, 0.0),  # the free 100 GB
        (10240, 10140 * 0.087),  # still inside the first paid tier: 882.18
        (10340, 10240 * 0.087),  # the whole next 10 TB: 890.88
        (51300, 890.88 + 40960 * 0.083),  # + 3399.68 = 4290.56 after the next 40 TB
        (153700, 4290.56 + 102400 * 0.07),  # + 7168 = 11458.56 after the next 100 TB
        (160000, 11458.56 + 6300 * 0.05),  # + 315 beyond = 11773.56
    ],
)
def test_shipped_azure_internet_tiers_summed_at_the_boundaries(gb, cost):
    rates = load_egress_rates(cache=None)
    assert rates.transfer_cost_usd(gb, "azure:eastus", "aws:us-east-1") == pytest.approx(cost)


@pytest.mark.parametrize(
    ("monthly_gb", "rate"),
    [
        (99.9, 0.0), (100, 0.087), (10240, 0.087), (10339.9, 0.087), (10340, 0.083),
        (51299.9, 0.083), (51300, 0.07), (153699.9, 0.07), (153700, 0.05),
    ],
)  # fmt: skip
def test_shipped_azure_marginal_rate_at_the_boundaries(monthly_gb, rate):
    rates = load_egress_rates(cache=None)
    assert rates.rate_usd_per_gb("azure:westeurope", "gcp:europe-west4", monthly_gb) == rate


def test_shipped_azure_asia_pacific_tiers():
    rates = load_egress_rates(cache=None)
    # 10,240 GB at $0.12 + 40,960 at $0.085 + 102,400 at $0.082 = 1228.80 + 3481.60 + 8396.80
    cost = rates.transfer_cost_usd(153700, "azure:japaneast", "internet:anywhere")
    assert cost == pytest.approx(13107.2)


def test_shipped_gcp_tiers_summed_at_1_and_10_tib():
    rates = load_egress_rates(cache=None)
    tib_gb = 1024 * 1.073741824  # 1 TiB in decimal GB
    # 1 TiB at $0.12/GiB = 122.88; the next 9 TiB at $0.11/GiB = 1013.76; then $0.08/GiB
    assert rates.transfer_cost_usd(tib_gb, "gcp:us-central1", "aws:us-east-1") == pytest.approx(
        122.88
    )
    ten = rates.transfer_cost_usd(10 * tib_gb, "gcp:us-central1", "aws:us-east-1")
    assert ten == pytest.approx(1136.64)
    eleven = rates.transfer_cost_usd(11 * tib_gb, "gcp:us-central1", "aws:us-east-1")
    assert eleven == pytest.approx(1136.64 + 81.92)
    at_ten = rates.rate_usd_per_gb("gcp:us-central1", "aws:us-east-1", 10 * tib_gb)
    assert at_ten == pytest.approx(0.08 / 1.073741824)
    just_below = rates.rate_usd_per_gb("gcp:us-central1", "aws:us-east-1", 10 * tib_gb - 1)
    assert just_below == pytest.approx(0.11 / 1.073741824)


def test_shipped_azure_cross_zone_is_free_and_within_europe_is_two_cents():
    rates = load_egress_rates(cache=None)
    assert rates.rate_usd_per_gb("azure:westeurope", "azure:westeurope", cross_zone=True) == 0.0
    assert rates.rate_usd_per_gb("azure:westeurope", "azure:northeurope") == 0.02


# -------------------------------------------------------------------------- loading


def test_fresher_cache_table_wins(tmp_path):
    cheap = {"*": (Tier(0, 0.001),)}
    save_egress(tmp_path / "egress-aws.json", _aws_table("2099-01-01T00:00:00Z", cheap))
    rates = load_egress_rates(cache=tmp_path)
    assert rates.source_by_cloud == {"aws": "cache", "azure": "snapshot", "gcp": "snapshot"}
    assert rates.rate_usd_per_gb("aws:us-east-1", "gcp:us-east1") == 0.001


def test_older_cache_table_loses(tmp_path):
    save_egress(tmp_path / "egress-aws.json", _aws_table("2000-01-01T00:00:00Z"))
    assert load_egress_rates(cache=tmp_path).source_by_cloud["aws"] == "snapshot"


def test_corrupt_cache_table_is_a_warning(tmp_path):
    path = tmp_path / "egress-gcp.json"
    path.write_text(json.dumps({"format_version": 1}))
    rates = load_egress_rates(cache=tmp_path)
    assert rates.source_by_cloud["gcp"] == "snapshot"
    (warning,) = rates.warnings
    assert str(path) in warning and "corrupt pricing file" in warning
