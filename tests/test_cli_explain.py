"""`placer explain`: the table and JSON on an example, the chosen pool is the plan's, bad
input exits 2 naming the option or step."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from placer.cli import main
from placer.cli._env import Environment

ROOT = Path(__file__).resolve().parent.parent
GPU = ROOT / "examples" / "gpu_training" / "trainflow.py"


@pytest.fixture(autouse=True)
def snapshot_prices(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "no-cache"))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, width=120))
    return code, out.getvalue(), err.getvalue()


def test_table_explains_why_training_stays_next_to_its_data():
    code, out, err = run("explain", str(GPU), "train")
    assert (code, err) == (0, "")
    assert "train (4 tasks): runs in aws-use1" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if "-use1 " in line[:14]}
    assert rows["aws-use1"][1:] == ["g6.xlarge", "4", "8.00", "6.44", "0.00", "6.44", "chosen"]
    assert "  gcp-usc1: dearer by $14.54/run: egress of 168 GB/run" in out
    assert "  azure-eastus: no instance type fits 1 x L4, " in out  # Azure has no L4
    assert "prepare" not in out  # only the step asked about


def test_json_has_every_step_and_the_plans_pools():
    code, out, _ = run("explain", str(GPU), "--format", "json")
    assert code == 0
    data = json.loads(out)
    _, plan_out, _ = run("plan", str(GPU), "--format", "json")
    plan = json.loads(plan_out)
    assert list(data["steps"]) == list(plan["steps"])
    for name, step in data["steps"].items():
        assert step["pool"] == plan["steps"][name]["pool"]
        assert step["pools"][0]["verdict"]["kind"] == "chosen"
        assert len(step["pools"]) == 3
    assert data["plan"]["per_run"] == plan["totals"]["per_run"]["total"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["trian"], "error: STEP: TrainFlow has no step 'trian'. To fix: did you mean 'train'?"),
        (["--solve-time", "-1"], "error: --solve-time: solve time -1 is not a number of seconds"),
        (["--deadline", "soon"], "error: --deadline: "),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message):
    code, out, err = run("explain", str(GPU), *argv)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_keep_batch_explains_batch_steps_where_the_flow_sends_them(tmp_path):
    flow = tmp_path / "batchflow.py"
    flow.write_text((ROOT / "tests" / "fixtures" / "flows" / "batchflow.py").read_text())
    (tmp_path / "placer.yaml").write_text("steps: {crunch: {duration: 2h}}\n")
    code, out, err = run("explain", str(flow), "crunch", "end", "--keep-batch")
    assert (code, err) == (0, "")
    assert "crunch (1 task): runs in aws-batch" in out
    assert "  aws-use1: an @batch step left on AWS Batch (--keep-batch, " in out
    assert "end (1 task): runs in aws-use1" in out
    assert "  aws-batch: AWS Batch holds only the @batch steps left there" in out
    code, out, _ = run("explain", str(flow), "crunch")  # without: on Kubernetes, like apply
    assert code == 0 and "aws-batch" not in out
    code, out, _ = run("frontier", str(flow), "--keep-batch", "--format", "json")
    assert code == 0 and json.loads(out)["points"][0]["steps"]["crunch"] == "aws-batch"


def test_frontier_never_overwrites_the_flow_it_reads(tmp_path):
    flow = tmp_path / "trainflow.py"
    flow.write_bytes(GPU.read_bytes())
    before = flow.read_bytes()
    code, out, err = run("frontier", str(flow), "--out", str(flow))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {flow}: --out is the same file as {flow}, an input")
    assert flow.read_bytes() == before
