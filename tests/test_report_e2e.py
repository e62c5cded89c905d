"""End to end on the example flow: `placer plan` on a base and a head copy, then
`placer report --compare-to`, checked against the two plan files."""

import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from fixtures.mermaid import parse_mermaid as parse

from placer.cli import main
from placer.cli._env import Environment
from placer.money import usd
from placer.output.report import MARKER
from placer.plan import read_plan

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "crosscloud"
FLOW = "crosscloud/crosscloudflow.py"


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Environment(stdout=out, stderr=err, width=100))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """base/ and head/ checkouts of the example (head asks 4 CPUs and 16 GB for `process`),
    each planned from its root as CI does; returns the work directory."""
    work = tmp_path_factory.mktemp("e2e")
    for side in ("base", "head"):
        shutil.copytree(EXAMPLE, work / side / "crosscloud")
    flow = work / "head" / FLOW
    source = flow.read_text()
    assert "@resources(cpu=1, memory=512)" in source
    flow.write_text(
        source.replace("@resources(cpu=1, memory=512)", "@resources(cpu=4, memory=16000)")
    )
    (work / "plans").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        for side in ("base", "head"):
            mp.chdir(work / side)
            code, _, err = _run(["plan", FLOW, "--out", str(work / "plans" / f"{side}.json")])
            assert code == 0, err
    return work


def test_plans_name_the_same_relative_flow_file(planned):
    base, head = (read_plan(planned / "plans" / f"{s}.json") for s in ("base", "head"))
    assert base.flow_file == head.flow_file == FLOW
    assert head.steps["process"].next == ("join",)


def test_json_report_matches_the_plans(planned):
    base, head = (read_plan(planned / "plans" / f"{s}.json") for s in ("base", "head"))
    code, out, err = _run(
        [
            "report",
            str(planned / "plans/head.json"),
            "--compare-to",
            str(planned / "plans/base.json"),
            "-f",
            "json",
        ]
    )
    assert code == 0, err
    data = json.loads(out)
    # totals agree with each plan's own monthly total (both at 1/100 cent)
    assert Decimal(data["total_monthly_cost"]) == head.per_month.total
    assert Decimal(data["past_total_monthly_cost"]) == base.per_month.total
    assert Decimal(data["diff_total_monthly_cost"]) == head.per_month.total - base.per_month.total
    assert Decimal(data["diff_total_monthly_cost"]) > 0  # a bigger pod costs more
    [project] = data["projects"]
    steps = {s["name"]: s for s in project["diff"]["steps"]}
    assert steps["process"]["status"] in ("changed", "moved")
    assert steps["start"]["status"] == "unchanged"


def test_github_report_and_threshold(planned):
    out_file = planned / "comment.md"
    code, _, err = _run(
        [
            "report",
            str(planned / "plans/head.json"),
            "--compare-to",
            str(planned / "plans/base.json"),
            "-f",
            "github",
            "-o",
            str(out_file),
            "--fail-on-increase",
            "0",
        ]
    )
    assert code == 3, err
    assert "is above --fail-on-increase $0.00" in err
    text = out_file.read_text()
    assert text.startswith(MARKER)
    assert "## 💰 Monthly cost will increase by $" in text
    assert "| start | aws-use1 |" in text and "| process |" in text
    diagram = text.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    nodes, edges, _ = parse(diagram)
    assert set(nodes) == {"s_start", "s_process", "s_join", "s_end"}
    assert edges == [("s_start", "s_process"), ("s_process", "s_join"), ("s_join", "s_end")]


def test_plan_format_markdown_uses_the_report(planned, monkeypatch):
    monkeypatch.chdir(planned / "base")
    code, out, err = _run(["plan", FLOW, "--format", "markdown"])
    assert code == 0, err
    plan = read_plan(planned / "plans/base.json")
    assert out.startswith(f"## 💰 Monthly cost: {usd(plan.per_month.total)}\n")
    assert "| process | azure-eastus → " in out  # moved from where the flow sends it


def test_details_carry_the_real_memory_floor_warning(planned):
    # the base flow asks @resources(memory=512) for `process`: Metaflow runs it with 4096 MB
    code, out, err = _run(["report", str(planned / "plans/base.json"), "-f", "markdown"])
    assert code == 0, err
    details = out.split("<details><summary>Details: CrossCloudFlow</summary>", 1)[1]
    details = details.split("</details>", 1)[0]
    process = next(line for line in details.splitlines() if line.startswith("| process |"))
    # a word joiner after '@' keeps GitHub from pinging a user named "resources"
    assert "@\u2060resources(memory=512) runs with memory 4096 MB" in process
