"""placer.yaml lookup, parsing and validation (placer.configfile)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from placer.config import Constraints, Defaults, ExternalRead, Link
from placer.configfile import (
    DEFAULT_POOLS,
    catalog_problem,
    check_pools_against_catalog,
    default_config,
    load_config,
    parse_config,
    parse_duration_hours,
    parse_node_selector,
    parse_size_gb,
    unknown_steps,
)
from placer.errors import ConfigError, ExitStatus
from placer.flow import Flow, Step
from placer.pool import Pool
from pricing import Location, Offer

FIXTURES = Path(__file__).parent / "fixtures" / "config"
POOL = "  - {name: a, cloud: aws, region: us-east-1, node_selector: {k: v}}\n"


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert info.value.exit_status == ExitStatus.BAD_INPUT
    return info.value.one_line()


# --- lookup ------------------------------------------------------------------------------


def test_no_file_gives_builtin_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(tmp_path / "flow.py")
    assert config.path is None and config.sha256 is None
    assert config.datastore == Location("aws", "us-east-1")
    assert [(p.name, p.cloud, p.region) for p in config.pools] == [
        ("aws-use1", "aws", "us-east-1"),
        ("azure-eastus", "azure", "eastus"),
        ("gcp-usc1", "gcp", "us-central1"),
    ]
    assert [dict(p.node_selector) for p in config.pools] == [
        {"outerbounds.co/provider": "aws"},
        {"outerbounds.co/provider": "azure"},
        {"outerbounds.co/provider": "gcp"},
    ]
    assert all(p.capacity_type == "on-demand" and p.max_vcpus is None for p in config.pools)
    assert all(p.source == "defaults" for p in config.pools)


def test_file_next_to_flow_wins_over_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flow_dir, cwd = tmp_path / "flows", tmp_path / "cwd"
    flow_dir.mkdir(), cwd.mkdir()
    (flow_dir / "placer.yaml").write_text("runs_per_month: 7\n")
    (cwd / "placer.yaml").write_text("runs_per_month: 9\n")
    monkeypatch.chdir(cwd)
    assert load_config(flow_dir / "f.py").runs_per_month == 7
    assert load_config(tmp_path / "elsewhere" / "f.py").runs_per_month == 9
    assert load_config(None).runs_per_month == 9


def test_config_option_overrides_and_must_exist(tmp_path: Path) -> None:
    (tmp_path / "placer.yaml").write_text("runs_per_month: 7\n")
    other = tmp_path / "other.yaml"
    other.write_text("runs_per_month: 3\n")
    assert load_config(tmp_path / "f.py", other).runs_per_month == 3
    with pytest.raises(ConfigError, match="config file not found: .*missing.yaml"):
        load_config(tmp_path / "f.py", tmp_path / "missing.yaml")


def test_sha256_is_of_the_file_bytes(tmp_path: Path) -> None:
    path = tmp_path / "placer.yaml"
    data = "# café\nruns_per_month: 4\n".encode()
    path.write_bytes(data)
    config = load_config(None, path)
    assert config.sha256 == hashlib.sha256(data).hexdigest()
    assert config.path == path


def test_empty_file_keeps_defaults_but_records_path(tmp_path: Path) -> None:
    path = tmp_path / "placer.yaml"
    path.write_text("# nothing yet\n")
    config = load_config(None, path)
    assert config.path == path
    assert config.pools == DEFAULT_POOLS


# --- the full file -----------------------------------------------------------------------


def test_full_fixture_parses_every_key() -> None:
    config = load_config(None, FIXTURES / "full.yaml")
    assert config.runs_per_month == 20
    # 90m = 1.5 h; 500MB = 0.5 GB
    assert config.defaults == Defaults(12, 1.5, 0.5, 2.0, "dedicated", 0.2)
    first, spot, gcp = config.pools
    assert first.instance_types == ("m7i.*", "c7i.*", "g5.*")
    assert (first.max_vcpus, first.max_memory_gib, first.max_gpus, first.max_nodes) == (
        512,
        2048,
        8,
        20,
    )
    assert first.source == str(FIXTURES / "full.yaml")
    assert dict(spot.node_selector) == {
        "outerbounds.co/provider": "aws",
        "karpenter.sh/capacity-type": "spot",
    }
    assert (spot.capacity_type, spot.speed) == ("spot", 1.25)
    assert gcp.compute_pool == "gcp-central" and dict(gcp.node_selector) == {}
    train = config.usage("train")
    assert train.tasks == 8 and train.duration_hours == 1.5
    assert train.input_gb == 50.0
    assert train.output_gb == pytest.approx(10 * 1.073741824)  # 10 GiB in GB
    assert train.reads == (ExternalRead(Location("aws", "us-east-1"), 2000.0),)  # 2 TB
    assert train.pools == ("gcp-usc1", "aws-use1-spot") and train.exclude_pools == ("aws-use1",)
    assert train.allowed_clouds == ("aws", "gcp")
    assert train.regions == ("us-central1", "us-east-1")
    assert (train.residency, train.gpu_model, train.arch) == ("na", "H100", "x86_64")
    assert config.usage("end").duration_hours == pytest.approx(45 / 3600)
    links = (Link(("aws:us-east-1", "gcp:us-central1"), 2.0), Link(("aws", "azure"), 1.5))
    assert config.constraints == Constraints(32, 2.0, 40.0, {"eu": ("train", "end")}, 5.0, links)


def test_missing_sections_take_defaults() -> None:
    config = parse_config("datastore: gcp:europe-west4\n")
    assert config.datastore == Location("gcp", "europe-west4")
    assert config.pools == DEFAULT_POOLS
    assert config.defaults == Defaults() and config.constraints == Constraints()
    assert config.runs_per_month == 30


# --- units -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("90m", 1.5),
        ("1h30m", 1.5),
        ("2h", 2.0),
        ("45s", 0.0125),
        (3, 3.0),
        (0.5, 0.5),
        ("1d", 24.0),
        ("1.5h", 1.5),
    ],
)
def test_durations(text: object, hours: float) -> None:
    assert parse_duration_hours(text) == pytest.approx(hours)


@pytest.mark.parametrize(
    ("text", "gb"),
    [
        ("500MB", 0.5),
        ("1.5GB", 1.5),
        ("2TB", 2000.0),
        ("10GiB", 10.73741824),
        (7, 7.0),
        ("512 MiB", 0.536870912),
        ("1tb", 1000.0),
    ],
)
def test_sizes(text: object, gb: float) -> None:
    assert parse_size_gb(text) == pytest.approx(gb)


@pytest.mark.parametrize("bad", ["1x", "h", "", "-1h", True])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration_hours(bad)


@pytest.mark.parametrize("bad", ["5 apples", "GB", "1.2.3GB", False])
def test_bad_sizes(bad: object) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size_gb(bad)


def test_node_selector_forms() -> None:
    assert parse_node_selector("a=b, c=d") == {"a": "b", "c": "d"}
    assert parse_node_selector({"gpu": True, "n": 3}) == {"gpu": "true", "n": "3"}
    with pytest.raises(ValueError, match="label=value"):
        parse_node_selector("a=b,c")


# --- errors name file, line and key path -------------------------------------------------


def test_unknown_top_key_suggests_closest() -> None:
    assert error_of("runs_per_month: 3\npool: []\n") == (
        "placer.yaml:2: pool: unknown key. To fix: did you mean 'pools'?"
    )


def test_unknown_nested_key_names_its_path() -> None:
    text = "pools:\n" + POOL + "  - name: b\n    cloud: aws\n    region: r\n    nodeselector: x\n"
    assert error_of(text) == (
        "placer.yaml:6: pools[1].nodeselector: unknown key. To fix: did you mean 'node_selector'?"
    )


def test_bad_capacity_type() -> None:
    text = "pools:\n" + POOL + "  - {name: b, cloud: aws, region: r, compute_pool: x,\n"
    text += "     capacity_type: spto}\n"
    assert error_of(text) == (
        "placer.yaml:4: pools[1].capacity_type: must be one of on-demand, spot, got 'spto'. "
        "To fix: did you mean 'spot'?"
    )


def test_duplicate_pool_names() -> None:
    message = error_of("pools:\n" + POOL + POOL)
    assert message.startswith("placer.yaml:3: pools[1]: duplicate pool name 'a'")


def test_pool_needs_selector_or_compute_pool() -> None:
    message = error_of("pools:\n  - {name: a, cloud: aws, region: us-east-1}\n")
    assert message.startswith("placer.yaml:2: pools[0]: pool 'a' has no node_selector")


def test_unknown_cloud() -> None:
    message = error_of("pools:\n  - {name: a, cloud: ibm, region: r, compute_pool: x}\n")
    assert message.startswith("placer.yaml:2: pools[0].cloud: must be one of aws, azure, gcp")


def test_negative_limit() -> None:
    message = error_of(
        "pools:\n  - {name: a, cloud: aws, region: r, compute_pool: x, max_vcpus: -4}\n"
    )
    assert message == "placer.yaml:2: pools[0].max_vcpus: must be at least 0, got -4"


def test_non_number() -> None:
    assert error_of("runs_per_month: lots\n") == (
        "placer.yaml:1: runs_per_month: expected a number, got 'lots'"
    )


def test_zero_runs_rejected() -> None:
    assert error_of("runs_per_month: 0\n").endswith("must be greater than 0, got 0")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{between: [aws], gbps: 2}",
            "placer.yaml:3: constraints.bandwidth[0].between: between needs two places, got 1",
        ),
        (
            "{between: [aws, ibm], gbps: 2}",
            "placer.yaml:3: constraints.bandwidth[0].between[1]: unknown cloud 'ibm'",
        ),
        (
            "{between: [aws:us-east-1, gcp:mars-1], gbps: 2}",
            "placer.yaml:3: constraints.bandwidth[0].between[1]: unknown gcp region 'mars-1'",
        ),
        (
            "{between: [aws, gcp], gbps: 0}",
            "placer.yaml:3: constraints.bandwidth[0].gbps: must be greater than 0, got 0",
        ),
        (
            "{between: [aws, gcp]}",
            "placer.yaml:3: constraints.bandwidth[0]: a bandwidth entry needs between and gbps",
        ),
        (
            "{between: [aws, gcp], gbs: 2}",
            "placer.yaml:3: constraints.bandwidth[0].gbs: unknown key",
        ),
    ],
)
def test_bad_bandwidth_entries_name_their_line_and_field(entry: str, message: str) -> None:
    assert error_of(f"constraints:\n  bandwidth:\n    - {entry}\n").startswith(message)


def test_yaml_syntax_error_has_line_and_column() -> None:
    message = error_of("pools:\n  - {name: a\nsteps: {}\n")
    # the parser stops at the ':' of "steps:" on line 3, column 6
    assert message.startswith("placer.yaml:3:6: YAML syntax error: expected ',' or '}'")


def test_duplicate_yaml_key() -> None:
    assert error_of("runs_per_month: 1\nruns_per_month: 2\n").startswith(
        "placer.yaml:2: runs_per_month: duplicate key"
    )


def test_step_pool_pin_must_exist() -> None:
    text = "pools:\n" + POOL + "steps:\n  train:\n    pools: [b]\n"
    assert (
        error_of(text)
        == "placer.yaml:5: steps.train.pools[0]: unknown pool 'b'. To fix: pools are a"
    )


def test_bad_residency_continent() -> None:
    message = error_of("steps:\n  train: {residency: europe}\n")
    assert message.startswith("placer.yaml:2: steps.train.residency: must be one of")


def test_constraint_residency_continent_is_a_key() -> None:
    message = error_of("constraints:\n  residency:\n    mars: [a]\n")
    assert message.startswith("placer.yaml:3: constraints.residency.mars: unknown key")


def test_read_location_format() -> None:
    message = error_of("steps:\n  s:\n    reads: [{location: us-east-1, size: 1GB}]\n")
    assert message.startswith("placer.yaml:3: steps.s.reads[0].location: expected CLOUD:REGION")


def test_datastore_and_read_regions_must_be_known() -> None:
    assert error_of("datastore: {cloud: aws, region: xx-east-1}\n") == (
        "placer.yaml:1: datastore.region: unknown aws region 'xx-east-1'. To fix: write a "
        "region of aws such as us-east-1 (`placer pricing info` lists the catalog's regions)"
    )
    assert error_of("datastore: azure:east-us\n").startswith(
        "placer.yaml:1: datastore: unknown azure region 'east-us'. To fix: write a region "
        "of azure such as eastus"
    )
    message = error_of("steps:\n  s:\n    reads: [{location: 'gcp:uscentral1', size: 1GB}]\n")
    assert message.startswith("placer.yaml:3: steps.s.reads[0].location: unknown gcp region")


def test_top_level_must_be_mapping() -> None:
    assert error_of("- a\n- b\n") == "placer.yaml:1: expected a mapping, got a list"


def test_error_names_the_real_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("defaults:\n  packing: tight\n")
    with pytest.raises(ConfigError) as info:
        load_config(None, path)
    assert info.value.location == f"{path}:2"
    assert info.value.headline.startswith("defaults.packing: must be one of shared, dedicated")


# --- helpers for the planner -------------------------------------------------------------


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


def test_unknown_steps() -> None:
    steps = {
        name: Step(name=name, type=kind, next=nxt, line=i)
        for i, (name, kind, nxt) in enumerate(
            [("start", "linear", ("end",)), ("end", "end", ())], start=1
        )
    }
    flow = Flow("F", Path("f.py"), 1, steps, "0" * 64)
    config = parse_config("steps:\n  trian: {}\n  end: {}\n  extra: {}\n")
    assert unknown_steps(config, flow) == ["trian", "extra"]


def test_two_yaml_documents() -> None:
    assert error_of("runs_per_month: 3\n---\nruns_per_month: 4\n") == (
        "placer.yaml:2:1: YAML syntax error: expected a single document in the stream, but "
        "found another document. To fix: fix the YAML at that line and column"
    )


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


def test_key_line_finds_a_key_path_in_the_file(tmp_path):
    from placer.configfile import key_line

    path = tmp_path / "placer.yaml"
    path.write_text("# steps\nsteps:\n  extract: {duration: 10m}\n\n  trasform:\n    tasks: 2\n")
    config = load_config(None, path)
    assert key_line(config, "steps") == f"{path}:2"
    assert key_line(config, "steps", "trasform") == f"{path}:5"
    assert key_line(config, "steps", "trasform", "tasks") == f"{path}:6"
    assert key_line(config, "steps", "missing") is None
    assert key_line(config, "steps", "extract", "duration", "deeper") is None
    assert key_line(default_config(), "steps") is None


def test_gpu_model_must_be_a_known_accelerator_with_a_suggestion() -> None:
    message = error_of(f"pools:\n{POOL}steps:\n  train: {{gpu_model: A1000}}\n")
    assert "steps.train.gpu_model: unknown accelerator model 'A1000'" in message
    assert "did you mean A10 or" in message
    config = parse_config(f"pools:\n{POOL}steps:\n  train: {{gpu_model: A100*}}\n")
    assert config.steps["train"].gpu_model == "A100*"
