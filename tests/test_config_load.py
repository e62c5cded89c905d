"""Finding and reading placer.yaml (placer.config.load)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from placer.config import DEFAULT_POOLS, load_config
from placer.errors import ConfigError
from pricing import Location


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


def test_error_names_the_real_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("defaults:\n  packing: tight\n")
    with pytest.raises(ConfigError) as info:
        load_config(None, path)
    assert info.value.location == f"{path}:2"
    assert info.value.headline.startswith(
        "defaults.packing: must be one of shared, cluster, dedicated"
    )
