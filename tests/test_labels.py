"""Kubernetes label syntax (placer.labels) and where placer enforces it: placer.yaml
(exit 2 at file:line, naming the field), plan files and discovered pools."""

from __future__ import annotations

from pathlib import Path

import pytest

from placer.config import parse_config
from placer.errors import ConfigError, ExitStatus, PoolError
from placer.labels import key_problem, selector_problem, value_problem

PREFIX_253 = ".".join(["a" * 63] * 3 + ["b" * 61])  # 253 characters


@pytest.mark.parametrize(
    "key",
    [
        "team",
        "outerbounds.co/provider",
        "topology.kubernetes.io/region",
        "a",
        "A_b-c.d9",
        "x" * 63,
        f"{PREFIX_253}/name",
    ],
)
def test_valid_keys(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize(
    "key",
    [
        "",
        "my team",
        "team,x",
        "team=x",
        "-team",
        "team-",
        "x" * 64,
        "/name",
        "Upper.Case/name",  # the prefix is a DNS subdomain: lower case
        "a..b/name",
        f"{PREFIX_253}c/name",  # a 254-character prefix
        "a/b/c",
        "team\n",
        7,
    ],
)
def test_invalid_keys(key: object) -> None:
    assert key_problem(key) is not None


@pytest.mark.parametrize("value", ["", "gcp", "a-b_c.d", "Z9", "v" * 63])
def test_valid_values(value: str) -> None:
    assert value_problem(value) is None


@pytest.mark.parametrize(
    "value",
    ["a,outerbounds.co/provider=gcp", "a b", "a=b", "-a", "a.", "v" * 64, "é", 3, None],
)
def test_invalid_values(value: object) -> None:
    assert value_problem(value) is not None


def test_selector_problem_names_the_first_bad_label() -> None:
    assert selector_problem({"outerbounds.co/provider": "aws"}) is None
    assert selector_problem({"ok": "x", "team": "a,outerbounds.co/provider=gcp"}) == (
        "label value 'a,outerbounds.co/provider=gcp' is not a valid label value"
    )


def _config_error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "placer.yaml")
    assert info.value.exit_status == ExitStatus.BAD_INPUT
    return info.value.one_line()


POOL = "pools:\n  - name: a\n    cloud: aws\n    region: us-east-1\n"


def test_placer_yaml_refuses_a_value_metaflow_would_read_as_two_labels() -> None:
    text = POOL + '    node_selector: {team: "a,outerbounds.co/provider=gcp"}\n'
    assert _config_error(text).startswith(
        "placer.yaml:5: pools[0].node_selector: label value 'a,outerbounds.co/provider=gcp' "
        "is not a valid label value. To fix: Kubernetes labels are [prefix/]name=value"
    )


def test_placer_yaml_refuses_a_key_with_a_space() -> None:
    text = POOL + "    node_selector:\n      my team: ml\n"
    assert _config_error(text).startswith(
        "placer.yaml:6: pools[0].node_selector: label key 'my team' is not a valid label name"
    )


def test_placer_yaml_refuses_a_compute_pool_that_is_not_a_label_value() -> None:
    text = POOL + "    compute_pool: gpu pool\n"
    assert _config_error(text).startswith(
        "placer.yaml:5: pools[0].compute_pool: compute_pool: label value 'gpu pool'"
    )


def test_discovery_refuses_a_pool_whose_labels_apply_could_not_write(
    kube_api,
    kube_clusters,  # noqa: ANN001
) -> None:
    from placer.kube import discover, read_clusters

    eks = kube_clusters["eks"]
    for node in eks.nodes:
        node["metadata"]["labels"]["team"] = "a,outerbounds.co/provider=gcp"
    kc: Path = kube_api({"eks": eks}, name="kc")
    snapshots = read_clusters(kc, [])
    with pytest.raises(PoolError) as info:
        discover(snapshots, group_by=["team"])
    assert info.value.exit_status == ExitStatus.BAD_INPUT
    assert "carry a label placer cannot use: label value 'a,outerbounds.co/provider=gcp'" in (
        info.value.one_line()
    )
    assert discover(snapshots)  # without --group-by team the pools are fine


def test_discovery_refuses_a_group_by_key_that_is_not_a_label(
    kube_api,
    kube_clusters,  # noqa: ANN001
) -> None:
    from placer.kube import discover, read_clusters

    snapshots = read_clusters(kube_api({"eks": kube_clusters["eks"]}, name="kc"), [])
    with pytest.raises(PoolError, match="label key 'my team' is not a valid label name"):
        discover(snapshots, group_by=["my team"])
