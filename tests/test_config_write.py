"""Writing placer.yaml: the init template and merging discovered pools (placer.config.write)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from placer.config import Pool, init_text, merge_pools, parse_config, pool_yaml
from placer.config.pool import DaemonSets
from placer.errors import ConfigError
from placer.flow import Flow, Resources, Step

FOUND = Pool(
    "aws-us-east-1",
    "aws",
    "us-east-1",
    {"outerbounds.co/provider": "aws"},
    capacity_type="spot",
    instance_types=("c7i.4xlarge",),
    max_vcpus=10.71,
    max_memory_gib=19.2,
    max_gpus=0.0,
    source="discovered:eks",
)


def test_pool_yaml_round_trips() -> None:
    text = "pools:\n" + pool_yaml(FOUND, "free now: 13.89 vCPU")
    assert text.splitlines()[1] == "  - name: aws-us-east-1  # free now: 13.89 vCPU"
    (pool,) = parse_config(text).pools
    assert (pool.name, pool.capacity_type) == ("aws-us-east-1", "spot")
    assert pool.instance_types == ("c7i.4xlarge",)
    assert dict(pool.node_selector) == {"outerbounds.co/provider": "aws"}
    assert (pool.max_vcpus, pool.max_memory_gib, pool.max_gpus) == (10.71, 19.2, 0.0)
    assert pool.source == "discovered:eks"  # from the `discovered: eks` key


def test_measured_daemonsets_round_trip_in_kubernetes_units() -> None:
    measured = DaemonSets(0.155, 0.3, 3, "measured in eks")
    text = "pools:\n" + pool_yaml(replace(FOUND, daemonsets=measured, max_pods=58))
    assert "    daemonsets: {cpu: 155m, memory: 307Mi, pods: 3, measured: eks}" in text
    (pool,) = parse_config(text).pools
    assert pool.daemonsets == DaemonSets(0.155, 307 / 1024, 3, "measured in eks")
    assert pool.max_pods == 58


def test_merge_replaces_same_name_keeps_others_and_comments() -> None:
    text = (
        "# team settings\n"
        "runs_per_month: 12\n"
        "pools:\n"
        "- name: aws-us-east-1\n"
        "  cloud: aws\n"
        "  region: us-east-1\n"
        "  compute_pool: old\n"
        "- {name: onprem, cloud: gcp, region: us-central1, compute_pool: gpu}\n"
        "\n"
        "# per-step usage\n"
        "steps: {train: {duration: 2h, pools: [onprem]}}\n"
    )
    result = merge_pools(text, [(FOUND, None)], "placer.yaml")
    merged = result.text
    assert (result.kept, result.replaced) == (("onprem",), ("aws-us-east-1",))
    config = parse_config(merged)
    assert [p.name for p in config.pools] == ["onprem", "aws-us-east-1"]
    assert config.pool("aws-us-east-1").compute_pool is None
    assert merged.startswith("# team settings\nruns_per_month: 12\npools:\n")
    assert merged.endswith("\n# per-step usage\nsteps: {train: {duration: 2h, pools: [onprem]}}\n")


def test_merge_appends_when_file_has_no_pools() -> None:
    merged = merge_pools("runs_per_month: 3", [(FOUND, None)], "placer.yaml").text
    assert merged.startswith("runs_per_month: 3\npools:\n  - name: aws-us-east-1\n")
    assert [p.name for p in parse_config(merged).pools] == ["aws-us-east-1"]


def test_merge_into_empty_file() -> None:
    assert [p.name for p in parse_config(merge_pools("", [(FOUND, None)], "x").text).pools] == [
        "aws-us-east-1"
    ]


def test_merge_drops_pools_discovery_supersedes() -> None:
    text = (
        "pools:\n"
        "  - {name: aws-use1, cloud: aws, region: us-east-1, node_selector: {provider: aws}}\n"
        "  - {name: gcp-usc1, cloud: gcp, region: us-central1, node_selector: {provider: gcp}}\n"
    )
    result = merge_pools(
        text, [(FOUND, None)], "placer.yaml", lambda pool: pool.node_selector == {"provider": "aws"}
    )
    assert (result.kept, result.replaced) == (("gcp-usc1",), ("aws-use1",))
    assert [p.name for p in parse_config(result.text).pools] == ["gcp-usc1", "aws-us-east-1"]


def test_merge_refuses_a_result_that_does_not_validate() -> None:
    # a step pinned to a default pool the written pools list would no longer have
    text = "steps:\n  train: {pools: [aws-use1]}\n"
    with pytest.raises(ConfigError, match=r"steps.train.pools\[0\]: unknown pool 'aws-use1'"):
        merge_pools(text, [(FOUND, None)], "placer.yaml")


def _step(name: str, kind: str, nxt: tuple[str, ...], stack: tuple[str, ...] = ()) -> Step:
    res = Resources(cpu=2, memory_mb=8192, disk_mb=10240, gpu=1 if name == "train" else 0)
    return Step(name, kind, nxt, 1, foreach_stack=stack, pod_request=res)  # type: ignore[arg-type]


def test_init_text_for_nested_foreach() -> None:
    steps = [
        _step("start", "foreach", ("outer",)),
        _step("outer", "foreach", ("train",), ("start",)),
        _step("train", "linear", ("inner_join",), ("start", "outer")),
        _step("inner_join", "join", ("outer_join",), ("start",)),
        _step("outer_join", "join", ("end",)),
        _step("end", "end", ()),
    ]
    flow = Flow("Nested", Path("nested.py"), 1, {s.name: s for s in steps}, "0" * 64)
    text = init_text(flow)
    config = parse_config(text)
    # the default foreach width 10 per level: 10 tasks inside one foreach, 100 inside two
    assert {n: config.usage(n).tasks for n in config.steps} == {
        "start": None,
        "outer": 10,
        "train": 100,
        "inner_join": 10,
        "outer_join": None,
        "end": None,
    }
    assert "  train:  # pod request: 2 cpu, 8192 MB, 1 gpu\n" in text
    assert "    tasks: 100  # tasks per run (in the foreach of start and outer)\n" in text
