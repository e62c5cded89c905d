"""`placer report`: formats, files and directories, --out, thresholds and exit codes."""

import io
import json
from pathlib import Path

import pytest
from fixtures.plan.report_plans import bases, heads

from placer.cli import main
from placer.cli._env import Environment

GOLDEN = Path(__file__).parent / "fixtures" / "report"


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Environment(stdout=out, stderr=err, width=100))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def plans(tmp_path):
    """head/ and base/ directories of plan files for the factory scenario."""
    for side, items in (("head", heads()), ("base", bases())):
        (tmp_path / side).mkdir()
        for p in items:
            (tmp_path / side / f"{p.flow}.json").write_text(p.dumps())
    return tmp_path


def test_github_report_to_file_matches_golden(plans):
    out = plans / "comment.md"
    code, stdout, err = _run(
        [
            "report",
            str(plans / "head"),
            "--compare-to",
            str(plans / "base"),
            "--format",
            "github",
            "--out",
            str(out),
        ]
    )
    assert code == 0, err
    assert stdout == ""
    assert out.read_text() == (GOLDEN / "compare.github.md").read_text()
    assert f"wrote {out}" in err
    assert [p.name for p in plans.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_files_and_repeated_compare_to(plans):
    code, stdout, _ = _run(
        [
            "report",
            str(plans / "head/DemoFlow.json"),
            str(plans / "head/EtlFlow.json"),
            "--compare-to",
            str(plans / "base/DemoFlow.json"),
            "--compare-to",
            str(plans / "base/OldFlow.json"),
            "-f",
            "json",
        ]
    )
    assert code == 0
    assert stdout == (GOLDEN / "compare.json").read_text()


def test_table_is_the_default(plans):
    code, stdout, _ = _run(["report", str(plans / "head")])
    assert code == 0
    assert stdout.splitlines()[0] == "💰 Monthly cost: $1,369.80"
    assert "│ train" in stdout


def test_markdown_to_stdout_has_no_marker(plans):
    code, stdout, _ = _run(["report", str(plans / "head"), "-f", "markdown"])
    assert code == 0
    assert stdout.startswith("## 💰 Monthly cost: $1,369.80\n")


def test_fail_threshold_writes_the_report_then_exits_3(plans):
    out = plans / "r.json"
    # head and base swapped: +$263.20 (+19%), new total $1,633.00
    code, _, err = _run(
        [
            "report",
            str(plans / "base"),
            "--compare-to",
            str(plans / "head"),
            "-f",
            "json",
            "-o",
            str(out),
            "--fail-on-increase",
            "10%",
            "--fail-on-increase",
            "300",
            "--fail-above",
            "1000",
        ]
    )
    assert code == 3
    data = json.loads(out.read_text())
    assert [t["status"] for t in data["thresholds"]] == ["fail", "ok", "fail"]
    [line] = err.strip().splitlines()[-1:]
    assert line.startswith(
        "error: monthly cost change +$263.20 (+19%) is above "
        "--fail-on-increase 10%; monthly cost $1,633.00 is above --fail-above"
    )


def test_warn_threshold_flags_but_passes(plans):
    code, stdout, err = _run(
        [
            "report",
            str(plans / "base"),
            "--compare-to",
            str(plans / "head"),
            "-f",
            "github",
            "--warn-on-increase",
            "5%",
        ]
    )
    assert code == 0
    assert (
        "⚠️ **Warning:** monthly cost change +$263.20 (+19%) is above --warn-on-increase 5%"
    ) in stdout
    assert "warning: monthly cost change +$263.20 (+19%)" in err


def test_threshold_within_limit_exits_0(plans):
    code, stdout, _ = _run(
        [
            "report",
            str(plans / "head"),
            "--compare-to",
            str(plans / "base"),
            "-f",
            "markdown",
            "--fail-on-increase",
            "0",
        ]
    )
    assert code == 0
    assert (
        "✅ **OK:** monthly cost change -$263.20 (-16%) is within --fail-on-increase $0.00"
        in stdout
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--fail-on-increase", "lots"],
            "error: --fail-on-increase: bad threshold 'lots'. To fix:",
        ),
        (["--fail-above", "5%"], "error: --fail-above: bad threshold '5%'"),
        (["--warn-on-increase", "5%"], "error: --warn-on-increase: --warn-on-increase needs plans"),
        (["-f", "html"], "error: --format: unknown format 'html'. To fix: use one of table,"),
    ],
)
def test_bad_input_exits_2_with_one_line(plans, extra, message):
    out = plans / "keep.md"
    out.write_text("previous\n")
    code, _, err = _run(["report", str(plans / "head"), "-o", str(out), *extra])
    assert code == 2
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1
    assert out.read_text() == "previous\n"  # nothing half-written


def test_missing_and_broken_plan_files(plans):
    code, _, err = _run(["report", str(plans / "nope.json")])
    assert code == 2 and "nope.json: plan file not found" in err
    (plans / "bad.json").write_text("{not json")
    code, _, err = _run(["report", str(plans / "bad.json")])
    assert code == 2 and "bad.json: not a valid plan file" in err


def test_empty_directories_mean_no_plans(tmp_path):
    code, _, err = _run(["report", str(tmp_path), "--compare-to", str(tmp_path)])
    assert code == 2
    assert f"no plan files (*.json) in {tmp_path}, {tmp_path}. To fix:" in err


def test_empty_directory_error_names_it(tmp_path):
    (tmp_path / "head").mkdir()
    code, _, err = _run(["report", str(tmp_path / "head")])
    assert code == 2
    assert err == (
        f"error: no plan files (*.json) in {tmp_path / 'head'}. To fix: write plans with "
        "`placer plan FLOW --out DIR/FLOW.json` and pass them\n"
    )


def test_every_flow_removed_is_a_report(plans):
    (plans / "none").mkdir()
    code, stdout, _ = _run(["report", str(plans / "none"), "--compare-to", str(plans / "base")])
    assert code == 0
    # base total: DemoFlow $1,611.00 + OldFlow $22.00
    assert stdout.splitlines()[0] == "💰 Monthly cost will decrease by $1,633.00 (-100%)"


def test_a_plan_named_twice_is_read_once(plans):
    demo = plans / "head" / "DemoFlow.json"
    code, stdout, err = _run(["report", str(plans / "head"), str(demo), "-f", "json"])
    assert code == 0, err
    assert [p["name"] for p in json.loads(stdout)["projects"]] == ["DemoFlow", "EtlFlow"]


def test_two_plans_of_one_flow_name_both_files(plans):
    copy = plans / "copy.json"
    copy.write_text((plans / "head" / "DemoFlow.json").read_text())
    code, _, err = _run(["report", str(plans / "head"), str(copy)])
    assert code == 2
    assert err.startswith(
        f"error: {copy}: two plans for flow DemoFlow on one side "
        f"({plans / 'head' / 'DemoFlow.json'} and {copy}). To fix:"
    )


def test_plans_in_another_currency_name_the_file(plans):
    data = json.loads((plans / "base" / "DemoFlow.json").read_text())
    data["currency"] = "EUR"
    eur = plans / "eur.json"
    eur.write_text(json.dumps(data))
    code, _, err = _run(["report", str(plans / "head"), "--compare-to", str(eur)])
    assert code == 2
    assert err.startswith(
        f"error: {eur}: plan in EUR, but {plans / 'head' / 'DemoFlow.json'} is in USD. To fix:"
    )


@pytest.mark.parametrize("target", ["dir", "under-a-file"])
def test_unwritable_out_exits_2_with_one_line(plans, target):
    blocker = plans / "blocker.txt"
    blocker.write_text("a file, not a directory\n")
    out = plans if target == "dir" else blocker / "report.md"
    code, stdout, err = _run(["report", str(plans / "head"), "-f", "markdown", "-o", str(out)])
    assert code == 2
    assert stdout == ""
    assert len(err.strip().splitlines()) == 1
    expected = "--out is a directory" if target == "dir" else "cannot write the report"
    assert err.startswith(f"error: {out}: {expected}")
    assert blocker.read_text() == "a file, not a directory\n"


def _damaged(plans, name: str, change) -> Path:
    data = json.loads((plans / "head" / "DemoFlow.json").read_text())
    change(data)
    path = plans / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("empty", lambda d: d.clear(), "{path}: format_version: missing. To fix:"),
        (
            "runs",
            lambda d: d.update(runs_per_month="x"),
            "{path}: runs_per_month: expected a number, got 'x'. To fix: re-run",
        ),
        (
            "negative",
            lambda d: d.update(runs_per_month=-3),
            "{path}: runs_per_month: must be from 0 to 1,000,000, got -3. To fix: re-run",
        ),
        (
            "money",
            lambda d: d["steps"]["start"].update(compute_cost="abc"),
            "{path}: steps.start.compute_cost: expected a decimal number, got 'abc'. To fix:",
        ),
        (
            "nan",
            lambda d: d["steps"]["start"].update(hours="NaN"),
            "{path}: steps.start.hours: must be a finite number, got NaN. To fix:",
        ),
        (
            "label",
            lambda d: d["steps"]["start"].update(node_selector={"team": "a,x=gcp"}),
            "{path}: steps.start.node_selector: label value 'a,x=gcp' is not a valid label value;",
        ),
    ],
)
def test_damaged_plan_fields_exit_2_naming_the_file(plans, name, change, message):
    path = _damaged(plans, name, change)
    code, _, err = _run(["report", str(path)])
    assert code == 2
    assert err.startswith("error: " + message.format(path=path))
    assert len(err.strip().splitlines()) == 1


def test_a_plan_that_is_not_an_object_exits_2(plans):
    path = plans / "list.json"
    path.write_text("[]\n")
    code, _, err = _run(["report", str(path)])
    assert code == 2
    assert (
        err == f"error: {path}: not a plan file (not a JSON object). To fix: re-run `placer plan`\n"
    )


def test_help_says_several_plans_are_taken(capsys):
    code, _, _ = _run(["report", "--help"])
    assert code == 0
    help_text = capsys.readouterr().out  # click prints help itself
    assert "PLAN..." in help_text.splitlines()[0]
    assert "repeatable" in help_text


def test_out_never_overwrites_one_of_the_plans(plans):
    head = plans / "head" / "DemoFlow.json"
    before = head.read_bytes()
    code, stdout, err = _run(["report", str(plans / "head"), "-f", "markdown", "-o", str(head)])
    assert (code, stdout) == (2, "")
    assert err.startswith(f"error: {head}: --out is the same file as {head}, an input")
    assert head.read_bytes() == before
