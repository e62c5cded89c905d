"""Checking pools against a pricing catalog (placer.config.catalog)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from placer.config import (
    Pool,
    catalog_problem,
    check_pools_against_catalog,
    default_config,
    load_config,
    parse_config,
)
from placer.errors import ConfigError
from pricing import Offer

POOL = "  - {name: a, cloud: aws, region: us-east-1, node_selector: {k: v}}\n"


class FakeCatalog:
    """Regions per cloud; every region sells m7i.large on demand unless `offers` says."""

    def __init__(
        self,
        regions: dict[str, list[str]],
        offers: dict[tuple[str, str], list[Offer]] | None = None,
    ) -> None:
        self._regions, self._offers = regions, offers or {}

    def regions(self, cloud: str) -> list[str]:
        return self._regions.get(cloud, [])

    def offers(self, cloud: str | None = None, region: str | None = None) -> list[Offer]:
        default = [Offer(cloud or "", region or "", "m7i.large", 2, 8, 0.1)]
        return self._offers.get((cloud or "", region or ""), default)


def test_check_pools_against_catalog(tmp_path: Path) -> None:
    path = tmp_path / "placer.yaml"
    path.write_text(
        "pools:\n" + POOL + "  - {name: g, cloud: gcp, region: us-centrl1,\n     compute_pool: x}\n"
    )
    config = load_config(None, path)
    catalog = FakeCatalog({"aws": ["us-east-1"], "gcp": ["us-central1", "europe-west4"]})
    with pytest.raises(ConfigError) as info:
        check_pools_against_catalog(config, catalog)
    assert info.value.location == f"{path}:3"
    assert "pools[1].region: 'us-centrl1' (g) is not in the pricing catalog" in info.value.headline
    assert info.value.hint == "did you mean 'us-central1'?"
    check_pools_against_catalog(parse_config("pools:\n" + POOL), catalog)  # passes


def test_check_defaults_against_empty_catalog_cloud() -> None:
    catalog = FakeCatalog({"aws": ["us-east-1"], "azure": ["eastus"]})
    with pytest.raises(ConfigError) as info:
        check_pools_against_catalog(default_config(), catalog)
    assert info.value.location == "defaults"
    assert "no gcp prices" in (info.value.hint or "")


def test_discovered_pool_keeps_its_line_for_catalog_errors(tmp_path: Path) -> None:
    path = tmp_path / "placer.yaml"
    path.write_text(
        "pools:\n" + POOL + "  - {name: d, cloud: aws, region: us-east-9,\n"
        "     node_selector: {k: d}, discovered: eks}\n"
    )
    config = load_config(None, path)
    assert [p.source for p in config.pools] == [str(path), "discovered:eks"]
    with pytest.raises(ConfigError) as info:
        check_pools_against_catalog(config, FakeCatalog({"aws": ["us-east-1"]}))
    assert info.value.location == f"{path}:3"


def test_instance_type_globs_must_match_a_priced_type(tmp_path: Path) -> None:
    path = tmp_path / "placer.yaml"
    path.write_text(
        "pools:\n" + POOL + "  - {name: b, cloud: aws, region: us-east-1, compute_pool: b,\n"
        '     instance_types: ["m7g.*", "zz.*"]}\n'
    )
    sold = [
        Offer("aws", "us-east-1", "m7i.large", 2, 8, 0.1),
        Offer("aws", "us-east-1", "c7i.large", 2, 4, 0.09),
        Offer("aws", "us-east-1", "m7g.large", 2, 8, None, 0.03),  # spot only
    ]
    catalog = FakeCatalog({"aws": ["us-east-1"]}, {("aws", "us-east-1"): sold})
    with pytest.raises(ConfigError) as info:
        check_pools_against_catalog(load_config(None, path), catalog)
    assert info.value.location == f"{path}:3"
    assert info.value.headline == (
        "pools[1].instance_types: ['m7g.*', 'zz.*'] match no aws us-east-1 instance type "
        "sold on-demand in the pricing catalog (b)"
    )
    assert (info.value.hint or "").startswith("use globs such as 'c7i.*' (`placer pricing show")
    spot = path.read_text().replace("compute_pool: b,", "compute_pool: b, capacity_type: spot,")
    path.write_text(spot)
    check_pools_against_catalog(load_config(None, path), catalog)  # m7g.large is sold spot
    # a discovered pool names the types its nodes run: unpriced ones are not an error
    found = path.read_text().replace("compute_pool: b,", "compute_pool: b, discovered: eks,")
    path.write_text(found.replace("capacity_type: spot,", ""))
    check_pools_against_catalog(load_config(None, path), catalog)


def test_catalog_problem() -> None:
    sold = [Offer("gcp", "us-central1", "n2-standard-16", 16, 64, 0.8, 0.2)]
    catalog = FakeCatalog({"gcp": ["us-central1"]}, {("gcp", "us-central1"): sold})
    pool = Pool("p", "gcp", "us-central1", {"k": "v"}, instance_types=("e2-standard-8",))
    assert catalog_problem(pool, catalog) == (
        "the pricing catalog sells none of its instance types (e2-standard-8) on-demand in "
        "gcp us-central1"
    )
    assert catalog_problem(replace(pool, instance_types=("n2-*",)), catalog) is None
    assert catalog_problem(replace(pool, region="us-east7"), catalog) == (
        "gcp region us-east7 is not in the pricing catalog"
    )


def test_spot_pool_where_nothing_is_sold_spot() -> None:
    config = parse_config("pools:\n" + POOL.replace("}}", "}, capacity_type: spot}"))
    with pytest.raises(ConfigError) as info:
        check_pools_against_catalog(config, FakeCatalog({"aws": ["us-east-1"]}))
    assert info.value.headline.startswith(
        "pools[0].capacity_type: no aws us-east-1 instance type is sold spot"
    )
