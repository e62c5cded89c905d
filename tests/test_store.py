"""The on-disk tables: offers and egress round trips, atomic writes, corruption, cache dir."""

import gzip
import json
import os
import zlib
from pathlib import Path

import pytest

from placer.errors import PricingError
from pricing._model import Offer
from pricing._store import (
    GB_PER_GIB,
    OFFER_COLUMNS,
    EgressTable,
    Tier,
    cache_dir,
    egress_path,
    load_egress,
    load_table,
    offers_path,
    parse_time,
    read_rows,
    save_egress,
    save_table,
)

WHEN = "2026-11-20T06:00:00Z"
OFFERS = (
    Offer("aws", "us-east-1", "m7i.large", 2, 8, 0.1008, 0.04),
    Offer("aws", "eu-west-1", "p5.48xlarge", 192, 2048, 55.04, None, 8, "H100", "nvidia"),
    Offer("aws", "us-east-1", "c7g.large", 2, 4, 0.0725, 0.0529, arch="arm64"),
)


def _write(path: Path, document) -> Path:
    path.write_text(json.dumps(document))
    return path


def _document(**changes):
    document = {
        "format_version": 1,
        "cloud": "aws",
        "captured_at": WHEN,
        "sources": ["test"],
        "columns": ["region", "instance_type", "vcpus", "memory_gib", "usd_per_hour"],
        "rows": [["us-east-1", "m7i.large", 2, 8, 0.1008]],
    }
    document.update(changes)
    return document


# ---------------------------------------------------------------------------- offers


@pytest.mark.parametrize("name", ["offers-aws.json", "offers-aws.json.gz"])
def test_offers_round_trip(tmp_path, name):
    path = save_table(tmp_path / name, "aws", WHEN, ["a", "b"], OFFERS)
    table = load_table(path)
    assert table.offers == tuple(sorted(OFFERS, key=lambda o: o.region))  # stored per region
    assert (table.cloud, table.captured_at, table.sources) == ("aws", WHEN, ("a", "b"))
    assert table.path == path


def test_saved_file_is_compact_rows_per_region_under_a_column_header(tmp_path):
    path = save_table(tmp_path / "t.json", "aws", WHEN, ["src"], OFFERS[:1])
    document = json.loads(path.read_text())
    assert document["format_version"] == 2
    assert document["columns"] == [c for c in OFFER_COLUMNS if c != "cloud"]
    block = document["regions"]["us-east-1"]
    assert block["count"] == 1 and block["undated"] is False  # no observed_at: captured_at
    assert json.loads(block["rows"])[0][:4] == ["us-east-1", "m7i.large", 2, 8]


def test_a_region_is_parsed_only_when_used_and_checked_then(tmp_path):
    path = save_table(tmp_path / "t.json", "aws", WHEN, [], OFFERS)
    document = json.loads(path.read_text())
    document["regions"]["us-east-1"]["rows"] = "[[1]]"  # bad rows, checksum kept in step
    document["regions"]["us-east-1"]["crc32"] = zlib.crc32(b"[[1]]")
    rows = read_rows(_write(path, document))
    assert rows.count == len(OFFERS)  # counted from the header: nothing parsed yet
    with pytest.raises(PricingError, match="does not have 2 rows|does not have"):
        rows.region_rows("us-east-1")


def test_a_region_whose_checksum_fails_is_corrupt_when_used(tmp_path):
    path = save_table(tmp_path / "t.json", "aws", WHEN, [], OFFERS)
    document = json.loads(path.read_text())
    document["regions"]["us-east-1"]["rows"] = document["regions"]["us-east-1"]["rows"][:-2]
    rows = read_rows(_write(path, document))
    with pytest.raises(PricingError, match="checksum"):
        rows.region_rows("us-east-1")


def test_gzipped_file_is_gzip(tmp_path):
    path = save_table(tmp_path / "t.json.gz", "aws", WHEN, [], OFFERS)
    assert json.loads(gzip.decompress(path.read_bytes()))["cloud"] == "aws"


def test_missing_optional_columns_take_defaults(tmp_path):
    table = load_table(_write(tmp_path / "t.json", _document()))
    (offer,) = table.offers
    assert offer == Offer("aws", "us-east-1", "m7i.large", 2, 8, 0.1008, observed_at=WHEN)
    assert offer.source == "snapshot"


def test_offer_from_another_cloud_is_refused(tmp_path):
    with pytest.raises(ValueError, match="gcp"):
        save_table(tmp_path / "t.json", "aws", WHEN, [], [Offer("gcp", "us-east1", "x", 1, 1, 1)])


def test_write_leaves_no_temp_file_and_replaces(tmp_path):
    path = tmp_path / "offers-aws.json"
    save_table(path, "aws", WHEN, [], OFFERS)
    save_table(path, "aws", WHEN, [], OFFERS[:1])
    assert [p.name for p in tmp_path.iterdir()] == ["offers-aws.json"]
    assert len(load_table(path).offers) == 1


def test_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = save_table(tmp_path / "offers-aws.json", "aws", WHEN, [], OFFERS)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_table(path, "aws", WHEN, [], OFFERS[:1])
    assert set(load_table(path).offers) == set(OFFERS)
    assert [p.name for p in tmp_path.iterdir()] == ["offers-aws.json"]


def test_written_file_is_readable_by_others(tmp_path):
    path = save_table(tmp_path / "t.json", "aws", WHEN, [], OFFERS)
    assert path.stat().st_mode & 0o777 == 0o644


CORRUPT = {
    "not readable JSON": None,
    "format_version 3": _document(format_version=3),
    "cloud 'ibm'": _document(cloud="ibm"),
    "captured_at": _document(captured_at="yesterday"),
    "sources": _document(sources="x"),
    "does not have 5 values": _document(rows=[["us-east-1", "m7i.large", 2, 8]]),
    "'usd_per_hour' = -1": _document(rows=[["us-east-1", "m7i.large", 2, 8, -1]]),
    "'vcpus' = '2'": _document(rows=[["us-east-1", "m7i.large", "2", 8, 0.1]]),
    "'usd_per_hour' = nan": _document(rows=[["us-east-1", "m7i.large", 2, 8, float("nan")]]),
    "'memory_gib' = inf": _document(rows=[["us-east-1", "m7i.large", 2, float("inf"), 0.1]]),
    "missing ['usd_per_hour']": _document(
        columns=["region", "instance_type", "vcpus", "memory_gib"]
    ),
    "unknown ['price']": _document(
        columns=["region", "instance_type", "vcpus", "memory_gib", "usd_per_hour", "price"],
        rows=[["us-east-1", "m7i.large", 2, 8, 0.1, 1]],
    ),
    "cloud is not 'aws'": _document(
        columns=["cloud", "region", "instance_type", "vcpus", "memory_gib", "usd_per_hour"],
        rows=[["gcp", "us-east1", "n2", 2, 8, 0.1]],
    ),
    "top level": [1, 2],
}


@pytest.mark.parametrize("why", CORRUPT)
def test_corrupt_file_names_the_file_and_the_fix(tmp_path, why):
    path = tmp_path / "offers-aws.json"
    document = CORRUPT[why]
    path.write_text("{not json" if document is None else json.dumps(document))
    with pytest.raises(PricingError) as caught:
        load_table(path)
    message = caught.value.one_line()
    assert message.startswith(f"{path}: corrupt pricing file")
    assert why in message
    assert "placer pricing refresh" in message


def test_truncated_gzip_is_corrupt(tmp_path):
    path = save_table(tmp_path / "t.json.gz", "aws", WHEN, [], OFFERS)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(PricingError, match="not readable JSON"):
        load_table(path)


def test_missing_file_says_so(tmp_path):
    with pytest.raises(PricingError, match="not found"):
        load_table(tmp_path / "nope.json")


# ---------------------------------------------------------------------------- egress

EGRESS = EgressTable(
    cloud="aws",
    captured_at=WHEN,
    sources=("test",),
    internet_tiers={"*": (Tier(0, 0.0), Tier(100, 0.09)), "apac": (Tier(0, 0.12),)},
    within_continent_usd_per_gb={"*": 0.02},
    between_continents_usd_per_gb={"*": 0.02, "apac": 0.09},
    cross_zone_usd_per_gb=0.02,
    region_pairs_usd_per_gb={("us-east-1", "us-east-2"): 0.01},
)


def test_egress_round_trip_in_gb(tmp_path):
    loaded = load_egress(save_egress(tmp_path / "egress-aws.json.gz", EGRESS))
    assert loaded.internet_tiers == EGRESS.internet_tiers
    assert loaded.region_pairs_usd_per_gb == {("us-east-1", "us-east-2"): 0.01}
    assert loaded.cross_zone_usd_per_gb == 0.02
    assert loaded.between_continents_usd_per_gb == {"*": 0.02, "apac": 0.09}


def test_egress_in_gib_is_converted_to_gb(tmp_path):
    path = _write(
        tmp_path / "egress-gcp.json",
        {
            "format_version": 1, "kind": "egress", "cloud": "gcp", "captured_at": WHEN,
            "sources": [], "unit": "GiB",
            "internet": {"*": [[0, 0.12], [1024, 0.11]]},
            "within_continent": {"*": 0.02}, "between_continents": {"*": 0.08},
            "cross_zone": 0.01,
        },
    )  # fmt: skip
    table = load_egress(path)
    first, second = table.internet_tiers["*"]
    # 1 GiB = 1.073741824 GB, so $0.12/GiB = $0.111758.../GB and 1024 GiB = 1099.51 GB
    assert first.usd_per_gb == pytest.approx(0.12 / 1.073741824)
    assert second.start_gb == pytest.approx(1099.511627776)
    assert table.cross_zone_usd_per_gb == pytest.approx(0.01 / 1.073741824)
    assert GB_PER_GIB == 2**30 / 10**9


def _egress_document(**changes):
    document = {
        "format_version": 1, "kind": "egress", "cloud": "aws", "captured_at": WHEN,
        "sources": [], "unit": "GB", "internet": {"*": [[0, 0.09]]},
        "within_continent": {"*": 0.02}, "between_continents": {"*": 0.02}, "cross_zone": 0.0,
    }  # fmt: skip
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"kind": "offers"}, "'kind' must be"),
        ({"unit": "MB"}, "unit 'MB'"),
        ({"internet": {"us-east-1": [[0, 0.09]]}}, '"*" entry'),
        ({"internet": {"*": [[10, 0.09]]}}, "must start at 0"),
        ({"internet": {"*": [[0, 0.09], [0, 0.08]]}}, "must start at 0 and rise"),
        ({"within_continent": {"*": -0.02}}, "not a finite non-negative number"),
        ({"internet": {"*": [[0, float("nan")]]}}, "price nan is not a finite"),
        ({"cross_zone": float("inf")}, "price inf is not a finite"),
        ({"between_continents": {"na": 0.02}}, '"*" entry'),
        ({"region_pairs": [["a", "b"]]}, "bad egress table"),
    ],
)
def test_corrupt_egress_file(tmp_path, changes, why):
    path = _write(tmp_path / "egress-aws.json", _egress_document(**changes))
    with pytest.raises(PricingError) as caught:
        load_egress(path)
    assert str(path) in caught.value.one_line()
    assert why in caught.value.one_line()


# ------------------------------------------------------------------------- locations


def test_cache_dir_prefers_placer_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "explicit"


def test_cache_dir_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("PLACER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "placer"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "placer"


def test_cache_file_names(tmp_path):
    assert offers_path("gcp", tmp_path) == tmp_path / "offers-gcp.json"
    assert egress_path("azure", tmp_path) == tmp_path / "egress-azure.json"


def test_parse_time_accepts_z_offsets_and_dates():
    assert parse_time("2026-11-20T06:00:00Z") == parse_time("2026-11-20T07:00:00+01:00")
    assert parse_time("2026-11-20").isoformat() == "2026-11-20T00:00:00+00:00"
