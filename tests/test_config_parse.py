"""placer.yaml text to a Config, errors naming file:line and key path, and the field lines
the Config keeps for errors found later (placer.config.parse, Config.locate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from placer.config import (
    DEFAULT_POOLS,
    Constraints,
    Defaults,
    ExternalRead,
    Link,
    default_config,
    load_config,
    parse_config,
)
from placer.errors import ConfigError, ExitStatus
from pricing import Location

FIXTURES = Path(__file__).parent / "fixtures" / "config"
POOL = "  - {name: a, cloud: aws, region: us-east-1, node_selector: {k: v}}\n"


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert info.value.exit_status == ExitStatus.BAD_INPUT
    return info.value.one_line()


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
    assert message == ("placer.yaml:2: pools[0].max_vcpus: must be from 0 to 1,000,000,000, got -4")


def test_non_number() -> None:
    assert error_of("runs_per_month: lots\n") == (
        "placer.yaml:1: runs_per_month: expected a number, got 'lots'"
    )


def test_zero_runs_rejected() -> None:
    assert error_of("runs_per_month: 0\n").endswith(
        "must be greater than 0 and at most 1,000,000, got 0"
    )


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
            "placer.yaml:3: constraints.bandwidth[0].gbps: must be greater than 0 and at most "
            "1,000,000 Gbps, got 0",
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


def test_two_yaml_documents() -> None:
    assert error_of("runs_per_month: 3\n---\nruns_per_month: 4\n") == (
        "placer.yaml:2:1: YAML syntax error: expected a single document in the stream, but "
        "found another document. To fix: fix the YAML at that line and column"
    )


def test_config_locates_its_fields_from_the_lines_recorded_at_load(tmp_path: Path) -> None:
    path = tmp_path / "placer.yaml"
    path.write_text("# steps\nsteps:\n  extract: {duration: 10m}\n\n  trasform:\n    tasks: 2\n")
    config = load_config(None, path)
    path.unlink()  # locating reads nothing: the lines were kept when the file was loaded
    assert config.where("steps") == f"{path}:2"
    assert config.where("steps.trasform") == f"{path}:5"
    assert config.where("steps.trasform.tasks") == f"{path}:6"
    assert config.where("steps.missing") is None
    assert config.where("steps.extract.duration.deeper") is None
    assert config.locate("steps.trasform") == f"{path}:5: steps.trasform"
    assert config.locate("constraints.budget") == f"{path}: constraints.budget"
    assert default_config().where("steps") is None
    assert default_config().locate("constraints.deadline") == "constraints.deadline"


def test_list_items_are_located_by_index(tmp_path: Path) -> None:
    path = tmp_path / "placer.yaml"
    path.write_text(
        "pools:\n" + POOL + "  - name: b\n    cloud: aws\n    region: us-east-1\n"
        "    compute_pool: b\n"
    )
    config = load_config(None, path)
    assert (config.where("pools[0]"), config.where("pools[1]")) == (f"{path}:2", f"{path}:3")
    assert config.where("pools[1].compute_pool") == f"{path}:6"


def test_an_aliased_node_is_located_once(tmp_path: Path) -> None:
    path = tmp_path / "placer.yaml"
    path.write_text("steps:\n  a: &same {tasks: 2}\n  b: *same\n")
    config = load_config(None, path)
    assert config.usage("b").tasks == 2
    assert config.where("steps.b") == f"{path}:3"
    assert config.where("steps.a.tasks") == f"{path}:2"
    assert config.where("steps.b.tasks") is None  # the shared node's first path wins


def test_gpu_model_must_be_a_known_accelerator_with_a_suggestion() -> None:
    message = error_of(f"pools:\n{POOL}steps:\n  train: {{gpu_model: A1000}}\n")
    assert "steps.train.gpu_model: unknown accelerator model 'A1000'" in message
    assert "did you mean A10 or" in message
    config = parse_config(f"pools:\n{POOL}steps:\n  train: {{gpu_model: A100*}}\n")
    assert config.steps["train"].gpu_model == "A100*"


def test_node_overhead_keys_of_a_pool() -> None:
    config = parse_config(
        "pools:\n"
        "  - {name: a, cloud: aws, region: us-east-1, node_selector: {k: v}, max_pods: 110,\n"
        "     daemonsets: {cpu: 250m, memory: 300Mi, pods: 4}}\n"
        "  - {name: b, cloud: gcp, region: us-central1, node_selector: {k: w},\n"
        "     daemonsets: {cpu: 0.5, memory: 1Gi, measured: prod}}\n"
    )
    a, b = config.pools
    assert a.max_pods == 110
    assert (a.daemonsets.vcpus, a.daemonsets.memory_gib, a.daemonsets.pods) == (0.25, 300 / 1024, 4)
    assert a.daemonsets.source == "set in placer.yaml"
    assert (b.daemonsets.vcpus, b.daemonsets.memory_gib, b.daemonsets.pods) == (0.5, 1.0, 0)
    assert b.daemonsets.source == "measured in prod"
    assert b.max_pods is None and config.pools[0] != DEFAULT_POOLS[0]


@pytest.mark.parametrize(
    ("daemonsets", "message"),
    [
        ("{cpu: 250m}", "daemonsets needs cpu and memory"),
        ("{cpu: 250m, memory: 300}", "memory needs a unit"),
        ("{cpu: lots, memory: 1Gi}", "not a Kubernetes quantity: 'lots'"),
        ("{cpu: 1, memory: 1Gi, pods: -1}", "pools[0].daemonsets.pods"),
    ],
)
def test_bad_daemonsets_name_the_field(daemonsets: str, message: str) -> None:
    text = "pools:\n  - {name: a, cloud: aws, region: us-east-1, node_selector: {k: v},\n"
    assert message in error_of(text + f"     daemonsets: {daemonsets}}}\n")


def test_packing_and_burstable_defaults() -> None:
    config = parse_config("defaults: {packing: cluster, burstable_max_duration: 30m}\n")
    assert (config.defaults.packing, config.defaults.burstable_max_hours) == ("cluster", 0.5)
    assert Defaults().burstable_max_hours == 0.25


def test_hardware_keys_resolve_accelerator_names() -> None:
    config = parse_config(
        "defaults: {reference_gpu: a100 80gb, reference_cpu: n2}\n"
        "steps:\n"
        "  train: {reference: A100, speedup: {h100: 2.5}, durations: {nvidia-l4: 7h}}\n"
        "  etl: {reference: m7i.large}\n"
        "  load: {reference: any}\n"
    )
    assert (config.defaults.reference_gpu, config.defaults.reference_cpu) == ("A100-80GB", "n2")
    train = config.usage("train")
    assert (train.reference, dict(train.speedup), dict(train.durations)) == (
        "A100-40GB",
        {"H100": 2.5},
        {"L4": 7.0},
    )
    assert config.usage("etl").reference == "m7i.large"
    assert config.usage("load").reference == "any"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("steps: {t: {reference: quantum}}", "steps.t.reference: unknown hardware 'quantum'"),
        ("steps: {t: {speedup: {H1000: 2}}}", "unknown accelerator model 'H1000'"),
        ("steps: {t: {speedup: {H100: 0}}}", "steps.t.speedup.H100"),
        ("steps: {t: {durations: {L4: soon}}}", "steps.t.durations.L4"),
        ("defaults: {reference_cpu: z80}", "defaults.reference_cpu: unknown CPU family 'z80'"),
        ("defaults: {reference_gpu: m6i}", "defaults.reference_gpu: unknown accelerator"),
    ],
)
def test_bad_hardware_keys_name_the_field(text: str, message: str) -> None:
    assert message in error_of(text + "\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "defaults: {duration: .nan}\n",
            "placer.yaml:1: defaults.duration: must be a finite number, got nan",
        ),
        (
            "runs_per_month: .nan\n",
            "placer.yaml:1: runs_per_month: must be a finite number, got nan",
        ),
        (
            "runs_per_month: .inf\n",
            "placer.yaml:1: runs_per_month: must be a finite number, got inf",
        ),
        (
            "runs_per_month: 1.0e+300\n",
            "placer.yaml:1: runs_per_month: must be greater than 0 and at most 1,000,000, "
            "got 1e+300",
        ),
        (
            "steps:\n  x: {input: 100000000000000000000000000000000000000}\n",
            "placer.yaml:2: steps.x.input: must be from 0 to 1,000,000,000 GB, got 1e+38",
        ),
        (
            "steps:\n  x: {output: .inf}\n",
            "placer.yaml:2: steps.x.output: must be a finite number, got inf",
        ),
        (
            "steps:\n  x: {tasks: " + "9" * 38 + "}\n",
            "placer.yaml:2: steps.x.tasks: must be from 1 to 1,000,000, got a 38-digit number",
        ),
        ("steps:\n  x: {duration: " + "9" * 400 + "}\n", "placer.yaml:2: steps.x.duration: 9999"),
        (
            "constraints: {budget: -.inf}\n",
            "placer.yaml:1: constraints.budget: must be a finite number, got -inf",
        ),
        (
            "defaults: {spot_overhead: 1000000000}\n",
            "placer.yaml:1: defaults.spot_overhead: must be from 0 to 100, got 1,000,000,000",
        ),
    ],
)
def test_numbers_are_finite_and_in_their_documented_range(text: str, expected: str) -> None:
    assert error_of(text).startswith(expected)


def test_a_non_finite_number_is_told_its_range() -> None:
    assert error_of("runs_per_month: .nan\n") == (
        "placer.yaml:1: runs_per_month: must be a finite number, got nan. "
        "To fix: set it to a value greater than 0 and at most 1,000,000"
    )


@pytest.mark.parametrize(
    ("text", "line", "said"),
    [
        ("runs_per_month: !foo 3\n", 1, "the YAML tag '!foo' is not allowed"),
        (
            "steps:\n  x: !!python/object/apply:os.system [echo hi]\n",
            2,
            "the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
        ),
        (
            "defaults:\n  duration: !!float abc\n",
            2,
            "defaults.duration: cannot read the value tagged 'tag:yaml.org,2002:float'",
        ),
        ("pools:\n  - !!binary abc\n", 2, "the YAML tag 'tag:yaml.org,2002:binary' is not allowed"),
        ("? !x k\n: 1\n", 1, "the YAML tag '!x' is not allowed"),
    ],
)
def test_yaml_tags_are_bad_input_at_their_line(text: str, line: int, said: str) -> None:
    message = error_of(text)
    assert message.startswith(f"placer.yaml:{line}: ")
    assert said in message
    assert message.endswith("To fix: remove the tag (placer.yaml holds plain values: text, "
                            "numbers, lists, maps)")  # fmt: skip


def test_spot_interruption_and_the_issue_12_switches() -> None:
    config = parse_config(
        "defaults:\n"
        "  spot_interruption: {aws: 5%, gcp: 0.15}\n"
        "  spot_unretried_max_duration: 30m\n"
        "constraints: {keep_batch: true, residency_data: allow}\n"
    )
    # a cloud not named keeps its default (10%)
    assert dict(config.defaults.spot_interruption) == {"aws": 0.05, "azure": 0.10, "gcp": 0.15}
    assert config.defaults.spot_unretried_max_hours == 0.5
    assert (config.constraints.keep_batch, config.constraints.residency_data) == (True, "allow")
    assert parse_config("runs_per_month: 1\n").constraints.residency_data == "forbid"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "defaults: {spot_interruption: {aws: 100%}}",
            "defaults.spot_interruption.aws: expected a share such as 10% or 0.1, got '100%'",
        ),
        ("defaults: {spot_interruption: {aws: .nan}}", "defaults.spot_interruption.aws"),
        ("defaults: {spot_interruption: {ibm: 5%}}", "defaults.spot_interruption"),
        ("constraints: {keep_batch: yes please}", "constraints.keep_batch: expected true or false"),
        ("constraints: {residency_data: maybe}", "constraints.residency_data"),
    ],
)
def test_bad_spot_and_residency_keys_name_the_field(text: str, message: str) -> None:
    assert message in error_of(text + "\n")


@pytest.mark.parametrize(
    ("selector", "said"),
    [
        # issue 14 item 7: Metaflow would read this value as two labels
        ("{team: 'a,outerbounds.co/provider=gcp'}", "label value 'a,outerbounds.co/provider=gcp'"),
        ("{'my team': a}", "label key 'my team' is not a valid label name"),
        ("'team=a b'", "label value 'a b' is not a valid label value"),
        ("{'Bad_Prefix/x': a}", "label key 'Bad_Prefix/x' has an invalid prefix 'Bad_Prefix'"),
        ("{x: " + "v" * 64 + "}", "is not a valid label value"),
    ],
)
def test_node_selector_labels_follow_kubernetes_syntax(selector: str, said: str) -> None:
    message = error_of(
        "pools:\n  - {name: p, cloud: gcp, region: us-central1,\n"
        f"     node_selector: {selector}}}\n"
    )
    assert message.startswith("placer.yaml:3: pools[0].node_selector: ") and said in message
    assert "To fix: Kubernetes labels are [prefix/]name=value" in message
