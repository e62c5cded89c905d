"""`placer plan`: output formats, the plan file, errors and exit codes, lazy imports."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from placer.cli import main
from placer.cli import plan as plan_cli
from placer.cli._env import Environment
from placer.plan import read_plan

ROOT = Path(__file__).resolve().parent.parent
CROSSCLOUD = ROOT / "examples" / "crosscloud" / "crosscloudflow.py"
ETL = ROOT / "examples" / "etl" / "etlflow.py"
FIXTURES = Path(__file__).parent / "fixtures" / "plan"


@pytest.fixture(autouse=True)
def snapshot_prices(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "no-cache"))
    monkeypatch.setattr(plan_cli, "now", lambda: datetime(2026, 12, 3, tzinfo=UTC))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, width=100))
    return code, out.getvalue(), err.getvalue()


def test_table_shows_steps_totals_savings_solver_pricing_and_the_floor_warning():
    code, out, err = run("plan", str(CROSSCLOUD))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    row = next(line.split() for line in lines if line.strip().startswith("process"))
    # 8 shards of 45 min on m6i (defaults.reference_cpu): 27 min on m8a.xlarge (AMD Turin, a
    # core per vCPU, 1.65x). m8a.xlarge ($0.24344/h) holds 3 of the 1 vCPU / 4096M pods on
    # its 3.795 allocatable vCPU, so 3 nodes for 8 pods: 3/8 x 0.24344 = $0.09129/h per pod,
    # 8 x 0.75 / 1.65 = 3.6364 task-hours, $0.3320 per run.
    assert row == ["process", "aws-use1", "m8a.xlarge", "8", "3.64", "0.33", "0.00", "0.33"]
    assert "vs as_written: $75.44/month -> saves $64.37/month (85%)" in out
    assert any(line.startswith("solver: none needed, optimal: the cheapest pool") for line in lines)
    # the age of the prices of the offers the plan uses: karpenter-provider-aws (2026-07-20)
    assert "pricing: aws snapshot 136 days" in out
    assert "warning: aws prices are 136 days old (oldest rows observed 2026-07-20" in out.replace(
        "\n", " "
    )
    assert "To fix: @kubernetes(memory=512) or `placer apply --right-size`" in out.replace(
        "\n", " "
    )


def test_table_matches_the_stored_rendering(monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = run("plan", "examples/crosscloud/crosscloudflow.py")
    assert code == 0
    table = out.split("per month = ")[0]  # the solver line below it carries timings
    assert table == (FIXTURES / "crosscloud_table.txt").read_text()


def test_json_and_out_file_hold_the_same_plan(tmp_path):
    target = tmp_path / "plan.json"
    code, out, _ = run("plan", str(CROSSCLOUD), "--format", "json", "--out", str(target))
    assert code == 0
    assert json.loads(out) == json.loads(target.read_text())
    data = json.loads(out)
    assert list(data)[:4] == ["format_version", "currency", "flow", "config"]
    assert data["steps"]["process"]["pool"] == "aws-use1"
    assert data["baselines"]["as_written"]["steps"]["process"] == "azure-eastus"
    # per run: process $0.3320 + start/join/end 10 min on m6i = 6 min on a whole m8a.large
    # ($0.12172/h) = $0.0123 each (rounded per step) = $0.3689; x 30 runs = $11.0670.
    assert data["totals"]["per_month"]["total"] == "11.0670"
    plan = read_plan(target)
    assert plan.config_file == str(CROSSCLOUD.parent / "placer.yaml")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temp file left behind


def test_out_into_a_missing_directory_is_bad_input(tmp_path):
    code, out, err = run("plan", str(CROSSCLOUD), "--out", str(tmp_path / "nope" / "plan.json"))
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "directory does not exist" in err


def test_impossible_deadline_exits_2_naming_the_critical_path():
    code, out, err = run("plan", str(CROSSCLOUD), "--deadline", "30m")
    assert code == 2
    # start 10m + process 45m + join 10m + end 10m = 1h15m on m6i (defaults.reference_cpu):
    # 45m on the fastest CPU of any pool (AMD Turin, 1.65x).
    assert err == (
        "error: --deadline: deadline 30m < fastest possible 45m (critical path start -> "
        "process -> join -> end). To fix: raise the deadline, add faster pools (speed) or "
        "shorten the steps\n"
    )


def test_unreadable_deadline_and_budget_are_bad_input():
    code, _, err = run("plan", str(CROSSCLOUD), "--deadline", "soon")
    assert code == 2 and err.startswith("error: --deadline: expected a duration")
    code, _, err = run("plan", str(CROSSCLOUD), "--budget", "-5")
    assert code == 2 and err.startswith("error: --budget: must be greater than 0 and at most")
    for bad in ("nan", "inf", "-inf"):
        code, _, err = run("plan", str(CROSSCLOUD), "--budget", bad)
        assert (code, err) == (
            2,
            f"error: --budget: must be a finite number, got {bad}. "
            "To fix: give USD per month, e.g. 40\n",
        )


def test_explicit_solvers_report_themselves():
    code, out, _ = run("plan", str(CROSSCLOUD), "--solver", "highs")
    assert code == 0
    assert any(line.startswith("solver: HiGHS, optimal, gap 0.00%") for line in out.splitlines())


def test_cbc_and_time_objective():
    code, out, _ = run("plan", str(CROSSCLOUD), "--solver", "cbc", "--objective", "time")
    assert code == 0
    assert any(line.startswith("solver: CBC, optimal") for line in out.splitlines())
    assert "makespan: 45m" in out


def test_markdown_goes_through_the_report_renderer():
    code, out, _ = run("plan", str(CROSSCLOUD), "--format", "markdown")
    assert code == 0
    assert out.startswith("## ")
    assert "CrossCloudFlow" in out and "azure-eastus → aws-use1" in out


def test_debug_writes_the_model_as_lp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run("--debug", "plan", str(CROSSCLOUD), "--format", "json")
    assert code == 0
    assert err == "wrote the model to crosscloudflow.lp\n"
    text = (tmp_path / "crosscloudflow.lp").read_text()
    assert "one_process_" in text and "assign_process,aws_use1_" in text


def test_plan_imports_no_cloud_sdk_or_pandas(tmp_path):
    code = (
        "import sys\n"
        "from placer.cli import main\n"
        f"rc = main(['plan', {str(CROSSCLOUD)!r}, '--format', 'json', '--out', "
        f"{str(tmp_path / 'p.json')!r}])\n"
        "roots = {m.split('.')[0] for m in sys.modules}\n"
        "heavy = {'boto3', 'botocore', 'azure', 'google', 'pandas', 'kubernetes'} & roots\n"
        "print(rc, sorted(heavy), file=sys.stderr)\n"
    )
    env = {**os.environ, "PLACER_CACHE_DIR": str(tmp_path / "no-cache")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.stderr.strip().splitlines()[-1] == "0 []"
    assert json.loads(done.stdout)["flow"]["name"] == "CrossCloudFlow"


def test_a_corrupt_price_cache_is_said_and_the_snapshot_used(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "offers-aws.json").write_text("{not json")
    monkeypatch.setenv("PLACER_CACHE_DIR", str(cache))
    code, out, err = run("plan", str(CROSSCLOUD))
    assert code == 0
    assert err.startswith("warning: ignoring ") and "offers-aws.json" in err
    assert "pricing: aws snapshot" in out


def _table_rows(width: int) -> tuple[str, list[list[str]]]:
    out = io.StringIO()
    code = main(["plan", str(ETL)], Environment(stdout=out, stderr=io.StringIO(), width=width))
    assert code == 0
    text = out.getvalue().split("per month = ")[0]
    tails = [line.split()[-3:] for line in text.splitlines()]  # compute, egress, total
    figures = [t for t in tails if len(t) == 3 and all(re.fullmatch(r"[\d,.]+", x) for x in t)]
    return text, figures


def test_narrow_terminal_folds_names_and_keeps_every_figure():
    # The ETL plan needs 80 columns; at 72 names fold onto second lines, figures stay whole.
    wide_text, wide = _table_rows(100)
    narrow_text, narrow = _table_rows(72)
    assert "…" not in narrow_text
    assert max(len(line) for line in narrow_text.splitlines()) <= 72
    assert len(narrow_text.splitlines()) > len(wide_text.splitlines())
    assert narrow == wide and len(wide) == 7  # 5 steps, per run, per month


CAPPED_FLOW = """
from metaflow import FlowSpec, kubernetes, step


class CapFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.b)

    @kubernetes(cpu=2, memory=8192)
    @step
    def a(self):
        self.next(self.join)

    @kubernetes(cpu=2, memory=8192)
    @step
    def b(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
"""
CAPPED_CONFIG = """
datastore: {cloud: gcp, region: us-central1}
pools:
  - {name: gcp, cloud: gcp, region: us-central1, max_vcpus: 3,
     node_selector: {outerbounds.co/provider: gcp}}
  - {name: aws, cloud: aws, region: us-east-1, node_selector: {outerbounds.co/provider: aws}}
"""


def test_gap_decides_whether_the_rounded_plan_is_enough(tmp_path):
    # a and b (2 vCPU each) can run at once and gcp holds 3 vCPU: the LP keeps one and a half
    # branches in gcp, so the rounded plan (one branch in aws) is above the LP bound. With the
    # default 0.01% HiGHS proves it optimal; with 50% the rounded plan is the answer.
    flow = tmp_path / "capflow.py"
    flow.write_text(CAPPED_FLOW)
    (tmp_path / "placer.yaml").write_text(CAPPED_CONFIG)
    code, exact, _ = run("plan", str(flow), "--format", "json")
    assert code == 0
    code, loose, _ = run("plan", str(flow), "--format", "json", "--gap", "50%")
    assert code == 0
    exact, loose = json.loads(exact), json.loads(loose)
    assert exact["solver"]["solver"] == "HiGHS" and exact["solver"]["gap"] <= 1e-4
    assert loose["solver"]["solver"] == "HiGHS LP + rounding"
    assert 0 < loose["solver"]["gap"] <= 0.5
    assert loose["totals"] == exact["totals"]  # rounding found the optimum, unproven
    assert sorted(s["pool"] for n, s in exact["steps"].items() if n in "ab") == ["aws", "gcp"]


@pytest.mark.parametrize(
    ("text", "value"), [("1%", 0.01), ("0.005", 0.005), ("0", 0.0), (" 0.01% ", 0.0001)]
)
def test_parse_gap(text, value):
    from placer.cli.plan import parse_gap

    assert parse_gap(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["2x", "100%", "-0.1", "1.5", ""])
def test_a_bad_gap_is_bad_input(text):
    code, _, err = run("plan", str(CROSSCLOUD), "--gap", text)
    assert code == 2
    assert err.startswith("error: --gap: gap") and "write it like 1% or 0.01" in err


def test_a_step_placer_yaml_names_but_the_flow_lacks_is_reported_at_its_line(tmp_path):
    flow = tmp_path / "etlflow.py"
    flow.write_text(ETL.read_text())
    (tmp_path / "placer.yaml").write_text(
        "datastore: {cloud: aws, region: us-east-1}\nsteps:\n  extract:\n    duration: 10m\n"
        "  trasform:\n    duration: 1h\n"
    )
    code, _, err = run("plan", str(flow))
    assert code == 2
    assert err == (
        f"error: {tmp_path / 'placer.yaml'}:5: steps.trasform: EtlFlow has no step "
        "'trasform'. To fix: did you mean 'transform'?\n"
    )


def test_an_impossible_deadline_from_placer_yaml_is_located_at_its_line(tmp_path):
    flow = tmp_path / "etlflow.py"
    flow.write_text(ETL.read_text())
    config = tmp_path / "placer.yaml"
    config.write_text("datastore: {cloud: aws, region: us-east-1}\nconstraints:\n  deadline: 1m\n")
    code, _, err = run("plan", str(flow))
    assert code == 2
    assert err.startswith(f"error: {config}:3: constraints.deadline: deadline 1m < fastest")


BATCH_FLOW = (ROOT / "tests" / "fixtures" / "flows" / "batchflow.py").read_text()


def test_keep_batch_leaves_batch_steps_where_the_flow_sends_them(tmp_path):
    flow_path = tmp_path / "batchflow.py"
    flow_path.write_text(BATCH_FLOW)
    (tmp_path / "placer.yaml").write_text("steps: {crunch: {duration: 2h}}\n")
    code, out, _ = run("plan", str(flow_path), "--format", "json")
    moved = json.loads(out)
    assert code == 0 and moved["steps"]["crunch"]["pool"] != "aws-batch"
    assert any(w.startswith("crunch: @batch, which `placer apply`") for w in moved["warnings"])
    plan_file = tmp_path / "plan.json"
    code, out, _ = run("plan", str(flow_path), "--keep-batch", "--out", str(plan_file))
    kept = json.loads(plan_file.read_text())["steps"]["crunch"]
    assert (code, kept["pool"], kept["backend"], kept["region"]) == (
        0,
        "aws-batch",
        "batch",
        "us-east-1",
    )
    code, _, err = run("apply", str(plan_file), "--flow", str(flow_path))
    assert code == 0, err
    text = flow_path.read_text()
    assert '@batch(cpu=2, memory=8000, queue="prod")' in text  # untouched
    assert text.count("@kubernetes") == 2


def test_tasks_on_a_linear_step_is_bad_input(tmp_path):
    flow_path = tmp_path / "batchflow.py"
    flow_path.write_text(BATCH_FLOW)
    (tmp_path / "placer.yaml").write_text("steps:\n  crunch:\n    tasks: 4\n")
    code, out, err = run("plan", str(flow_path))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {tmp_path / 'placer.yaml'}:3: steps.crunch.tasks: steps.crunch.tasks is 4, but "
        "crunch is not inside a foreach: Metaflow runs it once per run. To fix: remove "
        "steps.crunch.tasks (set tasks on the first step of a foreach body)\n"
    )


@pytest.mark.parametrize("victim", ["flow", "config"])
def test_out_never_overwrites_the_flow_or_its_config(tmp_path, victim):
    flow, config = tmp_path / "flow.py", tmp_path / "placer.yaml"
    flow.write_bytes(CROSSCLOUD.read_bytes())
    config.write_bytes((CROSSCLOUD.parent / "placer.yaml").read_bytes())
    target = flow if victim == "flow" else config
    before = target.read_bytes()
    code, out, err = run("plan", str(flow), "--out", str(target))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {target}: --out is the same file as {target}, an input")
    assert target.read_bytes() == before


def test_out_through_a_committed_symlink_out_of_the_repository_writes_nothing(tmp_path):
    # the CI workflow writes .placer/head/<flow>.json in a checkout the pull request controls
    victim = tmp_path / "bashrc"
    victim.write_text("export PATH\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "flow.py").write_bytes(CROSSCLOUD.read_bytes())
    (repo / "plan.json").symlink_to(victim)
    code, out, err = run("plan", str(repo / "flow.py"), "--out", str(repo / "plan.json"))
    assert (code, out) == (2, "")
    assert err.startswith(
        f"error: {repo / 'plan.json'}: --out resolves to {victim} through a symlink, outside "
        f"the project ({repo}); placer does not write through it. To fix: "
    )
    assert victim.read_text() == "export PATH\n"


def test_out_that_is_a_directory_is_bad_input_and_writes_nothing(tmp_path):
    code, out, err = run("plan", str(CROSSCLOUD), "--out", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {tmp_path}: --out is a directory. To fix: give a file path, e.g. {tmp_path}/FILE\n"
    )
    assert list(tmp_path.iterdir()) == []


PROJECT = ROOT / "tests" / "fixtures" / "projects" / "inherit"


def test_a_flow_project_plans_with_its_modules_configs_and_read_options(tmp_path):
    import shutil

    shutil.copytree(PROJECT, tmp_path / "proj")
    flow = tmp_path / "proj" / "flow.py"
    (tmp_path / "prod.json").write_text(
        '{"pool": "a=b", "train": {"cpu": 3, "memory": 9000}, "gather": {"cpu": 2}}'
    )
    out = tmp_path / "plan.json"
    config = ("--flow-config", "config", str(tmp_path / "prod.json"))
    code, _, err = run("plan", str(flow), "--out", str(out), "--format", "json", *config)
    assert (code, err) == (0, "")
    plan = read_plan(out)
    assert plan.steps["train"].resources["cpu"] == 3  # the --flow-config file, not config.json
    assert plan.steps["prepare"].resources["memory"] == 8192  # PREP_CPU * 4096 in settings.py
    assert plan.flow_config_files == {"config": str(tmp_path / "prod.json")}
    assert set(plan.flow_sources) == {
        "flow.py",
        "common/__init__.py",
        "common/pipeline.py",
        "common/decos.py",
        "common/settings.py",
        "../prod.json",
    }
    # apply re-reads the flow the same way: the mutator mode places every step
    code, _, err = run("apply", str(out), "--mode", "mutator")
    assert code == 0, err
    assert json.loads((flow.parent / "placement.json").read_text())["steps"].keys() == set(
        plan.steps
    )


def test_placer_yaml_flow_configs_give_a_config_placer_cannot_parse(tmp_path):
    flow = tmp_path / "flow.py"
    flow.write_text(
        "from metaflow import Config, FlowSpec, kubernetes, step\n\n\n"
        "def parse(text):\n    return {'cpu': int(text)}\n\n\n"
        "class F(FlowSpec):\n"
        "    cfg = Config('cfg', default='cfg.txt', parser=parse)\n\n"
        "    @kubernetes(cpu=cfg.cpu)\n    @step\n    def start(self):\n"
        "        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    (tmp_path / "cfg.txt").write_text("6")
    placer_yaml = tmp_path / "placer.yaml"
    placer_yaml.write_text("flow_configs:\n  cfg: {cpu: 6}\n")
    code, out, err = run("plan", str(flow), "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["steps"]["start"]["resources"]["cpu"] == 6
    placer_yaml.write_text("flow_configs:\n  cfgs: {cpu: 6}\n")
    code, _, err = run("plan", str(flow))
    assert code == 2
    assert err == (
        f"error: {placer_yaml}:2: flow_configs.cfgs: the flow has no Config named 'cfgs' (its "
        "Configs: cfg). To fix: name a Config the flow declares, or remove the entry\n"
    )


GPU_EXAMPLE = ROOT / "examples" / "gpu_training"
EU_POOLS = """
pools:
  - {name: aws-use1, cloud: aws, region: us-east-1, node_selector: {c: use1}}
  - {name: aws-euw1, cloud: aws, region: eu-west-1, node_selector: {c: euw1}}
constraints:
  residency: {eu: [evaluate]}
"""


def test_eu_residency_with_a_us_datastore_is_refused_naming_step_datastore_boundary(tmp_path):
    flow = tmp_path / "trainflow.py"
    flow.write_text((GPU_EXAMPLE / "trainflow.py").read_text())
    base = (GPU_EXAMPLE / "placer.yaml").read_text()
    (tmp_path / "placer.yaml").write_text(base + EU_POOLS)
    code, out, err = run("plan", str(flow), "--out", str(tmp_path / "plan.json"))
    assert (code, out) == (2, "")
    # 8 GB in (the four checkpoints) + 100 MB out (defaults.output), one task a run
    config = tmp_path / "placer.yaml"
    assert err == (
        f"error: {config}:28: constraints.residency: evaluate must keep its data in eu, but "
        "its inputs and outputs (the datastore) are in aws:us-east-1 (na): 8.1 GB a run would "
        "cross the eu boundary. To fix: put the datastore in eu (datastore: in placer.yaml, and "
        "the flow's datastore root), or set constraints.residency_data: allow to let the data "
        "move (the plan then lists it)\n"
    )
    assert not (tmp_path / "plan.json").exists()
    # with the datastore in the EU the same residency plans evaluate there
    eu_store = base.replace("datastore: {cloud: aws, region: us-east-1}", "")
    eu_store = "datastore: {cloud: aws, region: eu-west-1}\n" + eu_store + EU_POOLS
    (tmp_path / "placer.yaml").write_text(eu_store)
    code, out, err = run("plan", str(flow), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["steps"]["evaluate"]["pool"] == "aws-euw1"
