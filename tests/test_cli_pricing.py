"""`placer pricing info|show` against a cache of hand-made offers (fresher than the snapshot)."""

import io
import json
from datetime import UTC, datetime

import pytest

from placer.cli import main
from placer.cli import pricing as pricing_cli
from placer.cli._env import Environment
from pricing import Offer
from pricing._store import save_table

CAPTURED = "2099-01-01T00:00:00Z"
OFFERS = {
    "aws": [
        Offer("aws", "us-east-1", "m7i.large", 2, 8, 0.1008, 0.0443),
        Offer("aws", "us-east-1", "g4dn.xlarge", 4, 16, 0.526, 0.2039, 1, "T4", "nvidia"),
        Offer("aws", "eu-west-1", "r7i.xlarge", 4, 32, 0.2961, 0.1478),
        Offer("aws", "us-east-1", "p5.48xlarge", 192, 2048, 55.04, None, 8, "H100", "nvidia"),
        Offer("aws", "us-east-1", "p4de.24xlarge", 96, 1152, 40.97, None, 8, "A100-80GB", "nvidia"),
        Offer("aws", "us-east-1", "g5.xlarge", 4, 16, 1.006, 0.4, 1, "A10G", "nvidia"),
    ],
    "gcp": [
        Offer("gcp", "us-central1", "n2-standard-2", 2, 8, 0.09712, 0.03175),
        Offer("gcp", "us-central1", "g2-standard-4", 4, 16, 0.70683, 0.37029, 1, "L4", "nvidia"),
    ],
    "azure": [
        Offer("azure", "eastus", "Standard_D4s_v5", 4, 16, 0.192, None),
    ],
}


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    for cloud, offers in OFFERS.items():
        save_table(tmp_path / f"offers-{cloud}.json", cloud, CAPTURED, [f"{cloud} test"], offers)
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(pricing_cli, "now", lambda: datetime(2099, 1, 3, tzinfo=UTC))
    return tmp_path


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(["pricing", *argv], Environment(stdout=out, stderr=err, width=100))
    return code, out.getvalue(), err.getvalue()


def _show_json(*argv):
    code, out, err = _run("show", "--format", "json", *argv)
    assert code == 0, err
    return [(o["cloud"], o["region"], o["instance_type"]) for o in json.loads(out)]


# ------------------------------------------------------------------------------- info


def test_info_json(cache):
    code, out, err = _run("info", "--format", "json")
    assert (code, err) == (0, "")
    info = json.loads(out)
    assert info["source"] == "cache"
    assert info["captured_at"] == CAPTURED
    assert info["stale"] is False
    aws = info["clouds"]["aws"]
    assert aws["offers"] == 6
    assert aws["regions"] == {"eu-west-1": 1, "us-east-1": 5}
    assert aws["age_days"] == 2.0
    assert aws["sources"] == ["aws test"]
    assert aws["path"] == str(cache / "offers-aws.json")


def test_info_table(cache):
    code, out, _ = _run("info")
    assert code == 0
    lines = out.splitlines()
    assert any(line.split()[:6] == ["aws", "cache", CAPTURED, "2", "days", "6"] for line in lines)
    assert any(line.split() == ["gcp", "us-central1", "2", "2", "1"] for line in lines)
    assert "  - azure test" in lines


def test_info_warns_when_prices_are_older_than_a_week(cache, monkeypatch):
    monkeypatch.setattr(pricing_cli, "now", lambda: datetime(2099, 1, 9, tzinfo=UTC))
    code, out, err = _run("info", "--format", "json")
    assert code == 0
    assert json.loads(out)["stale"] is True
    assert "warning: aws prices are 8 days old (captured 2099-01-01T00:00:00Z)" in err
    assert "placer pricing refresh --cloud gcp" in err


def test_info_warns_about_old_rows_a_partial_refresh_kept(cache):
    old = Offer("aws", "eu-west-1", "r7i.xlarge", 4, 32, 0.2961, observed_at="2098-12-01",
                observed_earliest="2098-12-01")  # fmt: skip
    save_table(cache / "offers-aws.json", "aws", CAPTURED, ["aws test"], [*OFFERS["aws"], old])
    code, out, err = _run("info", "--format", "json")
    assert code == 0
    aws = json.loads(out)["clouds"]["aws"]
    assert (aws["captured_at"], aws["oldest_observed_at"]) == (CAPTURED, "2098-12-01")
    assert (aws["stale"], aws["age_days"]) == (True, 33.0)  # 2098-12-01 to 2099-01-03
    assert (
        "warning: aws prices are 33 days old (oldest rows observed 2098-12-01, "
        "table captured 2099-01-01T00:00:00Z); run `placer pricing refresh --cloud aws`"
    ) in err
    assert json.loads(out)["clouds"]["gcp"]["oldest_observed_at"] is None


def test_info_says_age_unknown_when_a_price_has_no_lower_date_bound(cache):
    undated = Offer("aws", "eu-west-1", "x.large", 4, 32, 0.3, observed_at="2098-12-01")
    save_table(cache / "offers-aws.json", "aws", CAPTURED, ["aws test"], [undated])
    code, out, err = _run("info", "--format", "json")
    aws = json.loads(out)["clouds"]["aws"]
    assert (aws["age_known"], aws["age"]) == (False, "age unknown, at least 33 days")
    assert "warning: aws prices are of unknown age, at least 33 days old" in err
    _, table, _ = _run("info")
    assert "age unknown, at least 33 days" in table


def test_info_reports_a_corrupt_cache_and_uses_the_snapshot(cache):
    (cache / "offers-gcp.json").write_text("{")
    code, out, err = _run("info", "--format", "json")
    assert code == 0
    assert json.loads(out)["clouds"]["gcp"]["source"] == "snapshot"
    assert f"warning: ignoring {cache / 'offers-gcp.json'}: corrupt pricing file" in err


# ------------------------------------------------------------------------------- show


def test_show_cheapest_first(cache):
    assert _show_json("--limit", "3") == [
        ("gcp", "us-central1", "n2-standard-2"),
        ("aws", "us-east-1", "m7i.large"),
        ("azure", "eastus", "Standard_D4s_v5"),
    ]


def test_show_filters(cache):
    assert _show_json("--cloud", "AWS", "--region", "us-east-1", "--min-cpu", "4") == [
        ("aws", "us-east-1", "g4dn.xlarge"),
        ("aws", "us-east-1", "g5.xlarge"),
        ("aws", "us-east-1", "p4de.24xlarge"),
        ("aws", "us-east-1", "p5.48xlarge"),
    ]
    assert _show_json("--gpu", "l4") == [("gcp", "us-central1", "g2-standard-4")]
    assert _show_json("--min-memory", "30", "--limit", "1") == [("aws", "eu-west-1", "r7i.xlarge")]


def test_show_spot_prices_by_spot_and_drops_offers_without(cache):
    assert _show_json("--spot", "--limit", "4") == [
        ("gcp", "us-central1", "n2-standard-2"),
        ("aws", "us-east-1", "m7i.large"),
        ("aws", "eu-west-1", "r7i.xlarge"),
        ("aws", "us-east-1", "g4dn.xlarge"),
    ]


def test_show_sort_by_memory(cache):
    got = _show_json("--sort", "memory", "--cloud", "aws")
    assert [name for _, _, name in got] == [
        "m7i.large", "g4dn.xlarge", "g5.xlarge", "r7i.xlarge", "p4de.24xlarge", "p5.48xlarge"
    ]  # fmt: skip


def test_show_table_has_full_names_both_prices_and_price_per_gpu(cache):
    code, out, _ = _run("show", "--cloud", "aws", "--gpu", "H100")
    assert code == 0
    assert "$/GPU-h" in out
    row = [line for line in out.splitlines() if "p5.48xlarge" in line][0].split()
    assert row == ["aws", "us-east-1", "p5.48xlarge", "192", "2048", "8x", "H100", "x86_64", "-",
                   "55.0400", "6.8800"]  # fmt: skip


def test_gpu_model_is_exact_a10_never_a100(cache):
    assert _show_json("--gpu", "A10") == []  # only A10G and A100s in the cache
    assert _show_json("--gpu", "a10g") == [("aws", "us-east-1", "g5.xlarge")]
    assert _show_json("--gpu", "A100") == []  # A100 is the 40 GB model
    assert _show_json("--gpu", "A100-80GB") == [("aws", "us-east-1", "p4de.24xlarge")]
    assert _show_json("--gpu", "A100*") == [("aws", "us-east-1", "p4de.24xlarge")]
    assert _show_json("--gpu", "nvidia-h100-80gb") == [("aws", "us-east-1", "p5.48xlarge")]


def test_sort_by_gpu_price_ranks_per_accelerator_and_drops_cpu_only(cache):
    got = _show_json("--sort", "gpu-price")
    assert [name for _, _, name in got] == [
        "g4dn.xlarge",
        "g2-standard-4",
        "g5.xlarge",
        "p4de.24xlarge",
        "p5.48xlarge",
    ]  # 0.526, 0.70683, 1.006, 5.12, 6.88 per accelerator-hour
    _, out, _ = _run("show", "--format", "json", "--sort", "gpu-price", "--limit", "1")
    assert json.loads(out)[0]["usd_per_accelerator_hour"] == 0.526


def test_show_nothing_matches(cache):
    code, out, _ = _run("show", "--min-cpu", "1000")
    assert code == 0
    assert out.startswith("no offers match")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--cloud", "aw"], "--cloud: unknown cloud 'aw'. To fix: Did you mean 'aws'?"),
        (["--region", "us-est-1"], "--region: unknown region 'us-est-1'. To fix: Did you mean"),
        (["--cloud", "gcp", "--region", "us-east-1"], "unknown region 'us-east-1'"),
        (["--gpu", "H10"], "--gpu: unknown accelerator model 'H10'. To fix: Did you mean 'H100'"),
        (["--gpu", "A1000"], "unknown accelerator model 'A1000'. To fix: Did you mean 'A10'"),
    ],
)
def test_bad_values_are_exit_2_with_a_suggestion(cache, argv, expected):
    code, out, err = _run("show", *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and expected in err
    assert len(err.strip().splitlines()) == 1


def test_region_suggestion_lists_the_known_regions(cache):
    _, _, err = _run("show", "--cloud", "gcp", "--region", "us-centrl1")
    assert "Did you mean 'us-central1'? Choose one of: us-central1" in err


def test_negative_minimum_is_a_usage_error(cache):
    code, _, _ = _run("show", "--min-cpu", "-1")
    assert code == 2


def test_pricing_group_lists_its_commands(capsys):
    code, _, _ = _run("--help")  # click prints help to the process's stdout
    commands = capsys.readouterr().out.split("Commands:")[1].split()
    assert code == 0
    assert "info" in commands and "show" in commands
