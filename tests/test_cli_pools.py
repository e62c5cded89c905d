"""`placer pools list|discover`, `placer init` and `placer status` end to end."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fixtures.kube.clusters import cluster
from fixtures.kube.kubeapi import FakeCluster, closed_port_url, write_kubeconfig

from placer.cli import main
from placer.cli._env import Environment
from placer.config import load_config

FIXTURES = Path(__file__).parent / "fixtures"
FLOW = """\
from metaflow import FlowSpec, kubernetes, resources, step


class FanFlow(FlowSpec):
    @kubernetes
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.work, foreach="items")

    @resources(cpu=2, memory=8192)
    @step
    def work(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    FanFlow()
"""


def run(*argv: str, width: int = 120) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, width=width))
    return code, out.getvalue(), err.getvalue()


# --- pools list ----------------------------------------------------------------------------


def test_pools_list_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("pools", "list")
    assert (code, err) == (0, "")
    assert [line.rstrip() for line in out.splitlines()] == [
        "pools from built-in defaults (no placer.yaml found)",
        "pool          cloud:region     capacity   vcpus  mem GiB  gpus  nodes  source",
        "─" * 79,
        "aws-use1      aws:us-east-1    on-demand      -        -     -      -  defaults",
        "azure-eastus  azure:eastus     on-demand      -        -     -      -  defaults",
        "gcp-usc1      gcp:us-central1  on-demand      -        -     -      -  defaults",
        "",
        "node selectors:",
        "  aws-use1: outerbounds.co/provider=aws",
        "  azure-eastus: outerbounds.co/provider=azure",
        "  gcp-usc1: outerbounds.co/provider=gcp",
    ]


def test_pools_list_json_from_file() -> None:
    path = FIXTURES / "config" / "full.yaml"
    code, out, _ = run("pools", "list", "--config", str(path), "--format", "json")
    assert code == 0
    pools = json.loads(out)
    assert [p["name"] for p in pools] == ["aws-use1", "aws-use1-spot", "gcp-usc1"]
    assert pools[0]["max_vcpus"] == 512 and pools[0]["source"] == str(path)
    assert pools[2]["compute_pool"] == "gcp-central"


def test_pools_list_bad_file_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "placer.yaml"
    path.write_text(
        "pools:\n  - {name: a, cloud: aws, region: r, compute_pool: x,\n"
        "     capacity_type: reserved}\n"
    )
    code, out, err = run("pools", "list", "--config", str(path))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {path}:3: pools[0].capacity_type: must be one of on-demand, spot, got 'reserved'\n"
    )


def test_pools_list_at_80_columns_folds_words_not_letters(tmp_path: Path) -> None:
    path = tmp_path / "placer.yaml"
    pool = (
        "  - {{name: {0}, cloud: aws, region: us-east-1, max_vcpus: 10.44,\n"
        "     node_selector: {{k: {0}}}, discovered: eks}}\n"
    )
    path.write_text("pools:\n" + pool.format("aws-us-east-1") + pool.format("aws-us-east-1-spot"))
    code, out, _ = run("pools", "list", "--config", str(path), width=80)
    assert code == 0 and "…" not in out
    table = [line for line in out.split("node selectors:")[0].splitlines()[1:] if line]
    assert max(map(len, table)) <= 80
    # header, rule, then each pool on two lines (names and sources fold, not letter by letter)
    assert len(table) == 2 + 2 * 2
    assert [line.split()[1:4] for line in table[2::2]] == [
        ["aws:us-east-1", "on-demand", "10.44"]
    ] * 2


def test_missing_flow_is_an_error_not_the_cwd_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "placer.yaml").write_text("runs_per_month: 3\n")
    for command in (["pools", "list"], ["status"]):
        code, out, err = run(*command, "--flow", "typo/flow.py")
        assert (code, out) == (2, "")
        assert err == (
            "error: --flow: flow file not found: typo/flow.py. "
            "To fix: check the path to the flow file\n"
        )


# --- init ----------------------------------------------------------------------------------


def test_init_writes_a_file_that_loads_back(tmp_path: Path) -> None:
    flow = tmp_path / "fanflow.py"
    flow.write_text(FLOW)
    code, out, _ = run("init", str(flow))
    target = tmp_path / "placer.yaml"
    assert code == 0 and out.startswith(f"wrote {target} (")
    config = load_config(flow)
    assert config.path == target
    assert list(config.steps) == ["start", "work", "join", "end"]
    assert config.usage("work").tasks == 10  # inside one foreach: the default width
    assert config.usage("start").tasks is None
    assert [p.name for p in config.pools] == ["aws-use1", "azure-eastus", "gcp-usc1"]
    text = target.read_text()
    assert "  work:  # pod request: 2 cpu, 8192 MB\n" in text
    assert sorted(tmp_path.iterdir()) == sorted([flow, target])  # no temp file left behind


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    flow = tmp_path / "fanflow.py"
    flow.write_text(FLOW)
    target = tmp_path / "placer.yaml"
    target.write_text("runs_per_month: 1\n")
    code, _, err = run("init", str(flow))
    assert code == 2
    assert err == (
        f"error: {target}: the file already exists. To fix: pass --force to overwrite it, "
        "or --out to write elsewhere\n"
    )
    assert target.read_text() == "runs_per_month: 1\n"
    assert run("init", str(flow), "--force")[0] == 0
    assert "steps:" in target.read_text()
    other = tmp_path / "sub" / "p.yaml"
    assert run("init", str(flow), "--out", str(other))[0] == 0
    assert load_config(None, other).usage("work").tasks == 10


def test_init_out_never_overwrites_the_flow(tmp_path: Path) -> None:
    flow = tmp_path / "fanflow.py"
    flow.write_text(FLOW)
    code, _, err = run("init", str(flow), "--out", str(flow), "--force")
    assert code == 2
    assert err.startswith(f"error: {flow}: --out is the same file as {flow}, an input")
    assert flow.read_text() == FLOW


# --- pools discover ------------------------------------------------------------------------


def test_discover_json(kubeconfig: Path) -> None:
    code, out, err = run(
        "pools",
        "discover",
        "--kubeconfig",
        str(kubeconfig),
        "--context",
        "eks",
        "--context",
        "aks",
        "--format",
        "json",
    )
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert list(rows) == [
        "aws-us-east-1",
        "aws-us-east-1-spot",
        "azure-eastus",
        "azure-eastus-spot",
    ]
    spot = rows["aws-us-east-1-spot"]
    # see test_kube_discover: free 13.89 vCPU / 25 GiB, limits 10.71 / 19.2, NodePool 64 vCPU
    assert spot["free"] == {"vcpus": 13.89, "memory_gib": 25.0, "gpus": 0.0}
    assert (spot["max_vcpus"], spot["max_memory_gib"]) == (10.71, 19.2)
    assert spot["ceiling"] == {"vcpus": 64.0, "memory_gib": 256.0}
    assert spot["nodes_usable"] == 1 and spot["nodes_total"] == 2
    assert spot["excluded_nodes"] == ["ip-10-0-2-21.ec2.internal: not Ready"]
    assert rows["azure-eastus"]["context"] == "aks"
    # (warnings about types the embedded catalog does not price depend on the snapshot)
    assert [line for line in err.splitlines() if "pricing catalog" not in line] == [
        "warning: azure:eastus on-demand: selector {'outerbounds.co/provider': 'azure'} also "
        "matches aks-spotpool-0"
    ]


def test_discover_table(kubeconfig: Path) -> None:
    code, out, _ = run("pools", "discover", "--kubeconfig", str(kubeconfig), "--context", "eks")
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.startswith("aws-")]
    # pool, context, capacity, nodes usable/total, free cpu/GiB/gpu, limits, ceiling
    assert rows == [
        ["aws-us-east-1", "eks", "on-demand", "3/3", "14.39/59.44/0", "10.44/44.64/0", "47.39"],
        ["aws-us-east-1-spot", "eks", "spot", "1/2", "13.89/25/0", "10.71/19.2/0", "64"],
    ]


def test_discover_table_at_80_columns_folds_names_never_numbers(
    kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from placer.config import quotas

    def fake(region: str, capacity: str) -> quotas.QuotaHeadroom:
        return quotas.QuotaHeadroom("aws", region, capacity, "L-1216C47A", 1000, 40)

    monkeypatch.setattr(quotas, "FETCHERS", dict.fromkeys(("aws", "azure", "gcp"), fake))
    argv = ["--kubeconfig", str(kubeconfig), "--all-contexts"]
    code, out, _ = run("pools", "discover", *argv, "--quotas", width=80)
    assert code == 0 and "…" not in out
    lines = out.splitlines()
    assert max(map(len, lines[: lines.index("")])) <= 80
    # the GKE spot pool's name folds over two lines; its numbers stay whole
    assert "12.89/46/0" in out and "9.71/34.4/0" in out
    assert "gcp-us-central1-spot" not in out.split("node selectors:")[0]
    code, out, _ = run("status", *argv, width=80)
    assert code == 0 and "…" not in out and "pending" in out


def test_discover_write_merges_into_existing_file(kubeconfig: Path, tmp_path: Path) -> None:
    target = tmp_path / "placer.yaml"
    target.write_text(
        "# my settings\nruns_per_month: 12\npools:\n"
        "  - {name: aws-us-east-1, cloud: aws, region: us-east-1, compute_pool: old}\n"
        "  - {name: onprem-gpu, cloud: gcp, region: us-central1, compute_pool: gpu}\n"
        "steps:\n  train: {duration: 2h}\n"
    )
    code, _, err = run(
        "pools",
        "discover",
        "--kubeconfig",
        str(kubeconfig),
        "--context",
        "eks",
        "--write",
        str(target),
        "--headroom",
        "0",
    )
    assert code == 0 and f"merged 2 pools into {target}" in err
    assert (
        f"warning: kept pool onprem-gpu from {target}: its selector reaches no node of the "
        "clusters read\n"
    ) in err
    config = load_config(None, target)
    assert config.runs_per_month == 12 and config.usage("train").duration_hours == 2.0
    pools = {p.name: p for p in config.pools}
    assert list(pools) == ["onprem-gpu", "aws-us-east-1", "aws-us-east-1-spot"]
    # headroom 0: limits are what is free now, floored to 2 decimals
    assert (pools["aws-us-east-1"].max_vcpus, pools["aws-us-east-1"].max_memory_gib) == (
        14.39,
        59.44,
    )
    assert pools["aws-us-east-1"].compute_pool is None  # replaced by the discovered pool
    assert pools["aws-us-east-1"].source == "discovered:eks"
    assert pools["onprem-gpu"].source == str(target)
    listed = run("pools", "list", "--config", str(target))[1]
    rows = [line.split() for line in listed.splitlines() if line.startswith(("aws", "onprem"))]
    assert [(r[0], r[-1]) for r in rows] == [
        ("onprem-gpu", "file"),
        ("aws-us-east-1", "discovered:eks"),
        ("aws-us-east-1-spot", "discovered:eks"),
    ]
    assert target.read_text().startswith("# my settings\n")
    note = "# eks: free 13.89 vCPU, 25.0 GiB, 0 GPU; autoscaling ceiling 64 vCPU"
    assert note in target.read_text()


def test_discover_write_replaces_init_defaults_it_covers(kubeconfig: Path, tmp_path: Path) -> None:
    flow = tmp_path / "fanflow.py"
    flow.write_text(FLOW)
    assert run("init", str(flow))[0] == 0
    target = tmp_path / "placer.yaml"
    argv = ["pools", "discover", "--kubeconfig", str(kubeconfig), "--context", "eks"]
    code, _, err = run(*argv, "--write", str(target))
    assert code == 0
    # aws-use1 (outerbounds.co/provider=aws) reaches the EKS nodes: discovery supersedes it
    # although the names differ; the azure and gcp defaults reach no EKS node and stay
    config = load_config(flow)
    assert [p.name for p in config.pools] == [
        "azure-eastus",
        "gcp-usc1",
        "aws-us-east-1",
        "aws-us-east-1-spot",
    ]
    assert config.pool("aws-us-east-1").max_vcpus == 10.44
    assert err.count("warning: kept pool") == 2
    assert "steps:" in target.read_text()  # the rest of the init file is untouched


def test_discover_write_does_not_lose_an_edit_made_meanwhile(
    kubeconfig: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from placer.config import write

    target = tmp_path / "placer.yaml"
    target.write_text("runs_per_month: 3\n")
    merge = write.merge_pools

    def slow_merge(*args, **kwargs):  # the user saves the file while discovery merges
        merged = merge(*args, **kwargs)
        target.write_text("runs_per_month: 4\n")
        return merged

    monkeypatch.setattr("placer.config.merge_pools", slow_merge)
    argv = ["pools", "discover", "--kubeconfig", str(kubeconfig), "--context", "eks"]
    code, _, err = run(*argv, "--write", str(target))
    assert code == 2
    assert "the file changed since placer read it" in err
    assert target.read_text() == "runs_per_month: 4\n"


def test_discover_write_nothing_on_failure(tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kc", {"gone": closed_port_url()}, "gone")
    target = tmp_path / "placer.yaml"
    target.write_text("runs_per_month: 3\n")
    code, out, err = run("pools", "discover", "--kubeconfig", str(kc), "--write", str(target))
    assert (code, out) == (2, "")
    assert err.startswith("error: context gone: cluster unreachable while listing nodes")
    assert target.read_text() == "runs_per_month: 3\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kc", "placer.yaml"]


def test_discover_with_quotas(kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from placer.config import quotas

    def fake_aws(region: str, capacity: str) -> quotas.QuotaHeadroom:
        return quotas.QuotaHeadroom("aws", region, capacity, "L-1216C47A", 96, 40)

    monkeypatch.setattr(quotas, "FETCHERS", {"aws": fake_aws})
    code, out, _ = run(
        "pools", "discover", "--kubeconfig", str(kubeconfig), "--quotas", "--format", "json"
    )
    assert code == 0
    first = json.loads(out)[0]
    assert first["quota"]["headroom_vcpus"] == 56.0  # 96 - 40


def test_discover_quota_warnings_once_each(
    kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from placer.config import quotas

    def unavailable(region: str, capacity: str) -> quotas.QuotaHeadroom:
        raise quotas.QuotaUnavailable(f"aws {region}: no credentials")

    monkeypatch.setattr(quotas, "FETCHERS", {"aws": unavailable})
    argv = ["--kubeconfig", str(kubeconfig), "--context", "eks", "--quotas"]
    code, out, err = run("pools", "discover", *argv)
    # two pools (on-demand, spot), two lookups, one message
    assert code == 0 and err.count("warning: quota unavailable: aws us-east-1") == 1
    assert "quota" not in out  # no quota read: no quota column


def test_discover_warns_about_pools_the_catalog_cannot_price(
    kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pricing.catalog
    from pricing import Offer

    class Catalog:
        def regions(self, cloud: str) -> list[str]:
            return ["us-central1"]

        def offers(self, cloud: str, region: str) -> list[Offer]:
            return [
                Offer("gcp", "us-central1", "e2-standard-8", 8, 32, 0.27),
                Offer("gcp", "us-central1", "n2-standard-16", 16, 64, 0.78, 0.19),
            ]

    monkeypatch.setattr(pricing.catalog, "load_catalog", Catalog)
    argv = ["--kubeconfig", str(kubeconfig), "--context", "gke"]
    code, _, err = run("pools", "discover", *argv, "--group-by", "cloud.google.com/gke-nodepool")
    assert code == 0
    # default-pool runs e2-standard-8 and spot-pool n2-standard-16 (sold spot): priced
    assert [line for line in err.splitlines() if "catalog" in line] == [
        "warning: pool gcp-us-central1-gpu-pool: the pricing catalog sells none of its instance "
        "types (g2-standard-8) on-demand in gcp us-central1; `placer plan` cannot price it until "
        "`placer pricing refresh --cloud gcp --region us-central1` does"
    ]


# --- status --------------------------------------------------------------------------------


def test_status_json(kubeconfig: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # built-in default pools
    argv = ["status", "--kubeconfig", str(kubeconfig), "--all-contexts", "--format", "json"]
    code, out, err = run(*argv)
    assert code == 0
    report = json.loads(out)
    pools = {p["pool"]: p for p in report["pools"]}
    aws = pools["aws-use1"]
    # every EKS node has outerbounds.co/provider=aws: 5 nodes, 4 usable (one NotReady)
    # allocatable 19.74 + 15.89 = 35.63 vCPU; requested 5.35 + 2 = 7.35
    assert (aws["nodes_usable"], aws["nodes_total"]) == (4, 5)
    assert aws["allocatable"]["vcpus"] == 35.63 and aws["requested"]["vcpus"] == 7.35
    assert aws["utilisation"]["vcpus"] == round(7.35 / 35.63, 3)
    assert aws["running_tasks"] == [
        {"flow": "CrossCloudFlow", "step": "start", "pods": 1},
        {"flow": "GpuFlow", "step": "train", "pods": 1},
    ]
    assert aws["pending_tasks"] == [{"flow": "CrossCloudFlow", "step": "end", "pods": 1}]
    assert pools["azure-eastus"]["running_tasks"] == [
        {"flow": "CrossCloudFlow", "step": "process", "pods": 2}
    ]
    # GKE nodes carry no outerbounds.co/provider label: gcp-usc1 reaches nothing
    assert pools["gcp-usc1"]["nodes_total"] == 0
    assert report["unpooled"]["nodes_total"] == 4
    assert err == (
        "warning: pool gcp-usc1: selector {'outerbounds.co/provider': 'gcp'} matches no node\n"
    )


def test_status_table(kubeconfig: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("status", "--kubeconfig", str(kubeconfig), "--context", "aks")
    assert code == 0
    lines = [line.rstrip() for line in out.splitlines()]
    # AKS: system node tainted; spot (7.82) + user (7.82) usable = 15.64 vCPU;
    # requested 1 + 1 + 7 + 2 = 11 -> 70%; memory 2 x 3.8147 + 24 + 1 = 32.6 of 52 GiB -> 63%
    assert lines[:6] == [
        "pool          nodes          cpu  cpu%        GiB  mem%  gpu  running  pending",
        "─" * 78,
        "aws-use1        0/0            -     -          -     -    -        0        0",
        "azure-eastus    2/3  11.00/15.64   70%  32.6/52.0   63%    -        2        0",
        "gcp-usc1        0/0            -     -          -     -    -        0        0",
        "",
    ]
    assert "azure-eastus: CrossCloudFlow/process x2 running" in out.splitlines()


def test_status_forbidden_pods_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kube_api
) -> None:
    monkeypatch.chdir(tmp_path)
    fake = FakeCluster(**cluster("aks"), forbid={"pods"})
    kc = kube_api({"aks": fake}, name="kc")
    code, out, err = run("status", "--kubeconfig", str(kc), "--format", "json")
    assert code == 0
    assert "not allowed to list pods (RBAC 403)" in err
    azure = next(p for p in json.loads(out)["pools"] if p["pool"] == "azure-eastus")
    assert azure["pods_counted"] is False and azure["requested"]["vcpus"] == 0


def test_pools_list_region_not_in_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "cache"))  # the packaged snapshot only
    path = tmp_path / "placer.yaml"
    path.write_text("pools:\n  - {name: g, cloud: gcp, region: us-centrall1, compute_pool: x}\n")
    code, _, err = run("pools", "list", "--config", str(path))
    assert code == 2
    assert err == (
        f"error: {path}:2: pools[0].region: 'us-centrall1' (g) is not in the pricing catalog "
        "for gcp. To fix: did you mean 'us-central1'?\n"
    )


def test_all_contexts_excludes_context(kubeconfig: Path) -> None:
    code, _, err = run(
        "status", "--kubeconfig", str(kubeconfig), "--all-contexts", "--context", "eks"
    )
    assert code == 2
    assert err == (
        "error: --all-contexts: --all-contexts and --context exclude each other. "
        "To fix: pass one of them\n"
    )


def test_status_watch_json_lines(
    kubeconfig: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["status", "--kubeconfig", str(kubeconfig), "--context", "aks", "--format", "json"]
    code, out, _ = run(*argv, "--watch", "0.01", "--refreshes", "3")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3  # one compact JSON document per refresh
    assert all(json.loads(line)["pools"][1]["pool"] == "azure-eastus" for line in lines)


def test_status_watch_must_be_positive(kubeconfig: Path) -> None:
    code, _, err = run("status", "--kubeconfig", str(kubeconfig), "--watch", "0")
    assert code == 2
    assert err == (
        "error: --watch: must be greater than 0 and at most 86,400 seconds, got 0. "
        "To fix: give seconds, e.g. 5\n"
    )
    code, _, err = run("status", "--kubeconfig", str(kubeconfig), "--watch", "nan")
    assert (code, err) == (
        2,
        "error: --watch: must be a finite number, got nan. To fix: give seconds, e.g. 5\n",
    )
