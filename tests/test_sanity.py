"""The sanity rules (pricing.sanity) hold on the shipped snapshot, and they catch bad rows."""

import dataclasses

import pytest

from pricing import Offer, load_catalog
from pricing.sanity import violations


@pytest.fixture(scope="module")
def shipped():
    return load_catalog(cache_dir="/nonexistent-placer-cache").offers()


def test_the_shipped_snapshot_breaks_no_rule(shipped):
    assert len(shipped) > 20_000
    assert [(v.offer.cloud, v.offer.region, v.offer.instance_type, v.rule, v.detail)
            for v in violations(shipped)] == []  # fmt: skip


def _region(cloud, region, itype, usd, **extra):
    return Offer(cloud, region, itype, 8, 32, usd, **extra)


def test_each_rule_catches_its_kind_of_row():
    base = [_region("gcp", r, "n2-standard-8", 0.39) for r in ("us-east1", "us-west1")]
    wrong = [
        _region("gcp", "us-central1", "n2-standard-8", 0.39, spot_usd_per_hour=0.5),
        _region("gcp", "us-east4", "n2-standard-8", 0.1),  # 0.26x its continent's median
        dataclasses.replace(
            _region("gcp", "us-east1", "a2-highgpu-1g", 0.2), gpu_count=1, gpu_model="A100-40GB"
        ),  # an A100 machine cheaper than a CPU-only machine of its size
    ]
    rules = sorted(v.rule for v in violations([*base, *wrong]))
    assert rules == ["gpu-cheaper-than-host", "off-continent-median", "spot-above-on-demand"]


def test_the_gcp_gpu_rows_one_upstream_catalog_gets_wrong_are_right_here(shipped):
    a3 = {o.region: o.usd_per_hour for o in shipped if o.instance_type == "a3-highgpu-8g"}
    assert a3["us-central1"] == pytest.approx(88.49, rel=0.01)  # SkyPilot's catalog: 43.07
    assert a3["us-central1"] / a3["us-east4"] > 0.9
