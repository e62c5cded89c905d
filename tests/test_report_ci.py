"""The example GitHub Actions workflow: its YAML, the placer commands it runs, and its shell
steps executed offline in a scratch git repository (with a stub planner, so this checks the
workflow's own logic: changed-flow detection, the base worktree, report and thresholds)."""

import io
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from placer.cli import main
from placer.cli._env import Environment
from placer.output.report import MARKER

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "examples" / "ci" / "placer-cost.yml"
_COMMAND = re.compile(r"\bplacer (plan|report|apply|graph|pricing|pools|status|init)\b([^\n;|)]*)")
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]+)")


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict]:
    return _workflow()["jobs"]["cost"]["steps"]


def _step(prefix: str) -> dict:
    return next(s for s in _steps() if s.get("name", "").startswith(prefix))


def test_workflow_structure():
    wf = _workflow()
    assert wf[True]["pull_request"]["paths"]  # PyYAML reads the key `on` as True
    assert wf["permissions"] == {}  # least privilege: only the job asks, for what it uses
    job = wf["jobs"]["cost"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert job["runs-on"] == "ubuntu-latest"
    for step in job["steps"]:
        assert ("run" in step) != ("uses" in step), step
    checkout = _steps()[0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0  # the base commit must be reachable
    assert checkout["with"]["persist-credentials"] is False  # no token left in .git for PR code


def test_every_action_is_pinned_to_a_commit_with_its_version_named():
    lines = [line for line in WORKFLOW.read_text().splitlines() if "uses:" in line]
    assert len(lines) == sum("uses" in s for s in _steps()) == 4
    for line in lines:
        assert re.search(r"uses: actions/[a-z-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


def test_workflow_needs_no_cloud_credentials():
    text = WORKFLOW.read_text()
    assert "secrets." not in text
    for name in ("AWS_", "AZURE_", "GOOGLE_", "GCP_"):
        assert name not in text
    assert "PLACER_CACHE_DIR" in text  # an empty cache: the embedded snapshot is used


def _placer_calls() -> list[tuple[str, set[str]]]:
    calls = []
    for step in _steps():
        for cmd, rest in _COMMAND.findall(step.get("run", "")):
            calls.append((cmd, set(_OPTION.findall(rest))))
    # threshold options are collected in a bash array for `placer report`
    report_run = _step("Report the cost change")["run"]
    calls.append(("report", set(re.findall(r"args\+=\((--[a-z-]+)", report_run))))
    return calls


def test_workflow_runs_plan_report_and_apply_check():
    calls = _placer_calls()
    assert {c for c, _ in calls} == {"plan", "report", "apply"}
    assert ("apply", {"--check"}) in calls
    options = set().union(*(o for c, o in calls if c == "report"))
    assert {
        "--compare-to",
        "--format",
        "--out",
        "--fail-on-increase",
        "--warn-on-increase",
        "--fail-above",
    } <= options


@pytest.mark.parametrize("command", ["plan", "report", "apply"])
def test_every_command_and_option_the_workflow_uses_exists(command, capsys):
    err = io.StringIO()
    code = main([command, "--help"], Environment(stdout=io.StringIO(), stderr=err, width=200))
    assert code == 0, err.getvalue() + capsys.readouterr().err
    help_text = capsys.readouterr().out  # click prints help itself
    used = set().union(*(o for c, o in _placer_calls() if c == command))
    assert used, command
    for option in used:
        assert option in help_text, f"placer {command} has no {option}"


def test_comment_step_finds_the_marker():
    script = _step("Post or update")["with"]["script"]
    assert f"const marker = '{MARKER}';" in script
    assert "updateComment" in script and "createComment" in script
    assert "readFileSync('.placer/comment.md'" in script


# A stub `placer plan`: every step in aws-use1 at $1.00 a run, 30 runs a month. Everything
# else goes to the real placer.
_STUB = textwrap.dedent(
    """\
    import sys
    from decimal import Decimal
    from pathlib import Path

    from placer.cli import main
    from placer.flow import read_flow
    from placer.plan import Cost, Plan, SolverStats, StepPlan

    args = sys.argv[1:]
    if args[:1] != ["plan"]:
        sys.exit(main(args))
    flow_path, out = Path(args[1]), Path(args[args.index("--out") + 1])
    flow = read_flow(flow_path)
    steps = {
        name: StepPlan("aws-use1", "aws", "us-east-1", "on-demand", {}, None, "m7i.large", {},
                       1, Decimal(1), Cost(Decimal("1.00")), next=tuple(s.next))
        for name, s in flow.steps.items()
    }
    plan = Plan(flow.name, str(flow_path), flow.sha256, None, None, "snapshot", "2026-11-01",
                "cost", {}, 30, steps, {}, SolverStats("HiGHS", "optimal", 0.0, 0.0, 0.0))
    out.write_text(plan.dumps())
    """
)


def _flow(name: str, steps: list[str]) -> str:
    chain = ["start", *steps, "end"]
    body = [f"from metaflow import FlowSpec, step\n\n\nclass {name}(FlowSpec):"]
    for here, nxt in zip(chain, [*chain[1:], None], strict=True):
        call = f"self.next(self.{nxt})" if nxt else "pass"
        body.append(f"    @step\n    def {here}(self):\n        {call}\n")
    return "\n".join(body) + "\n"


def _git(repo: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(cmd, cwd=repo, check=True, capture_output=True, text=True).stdout


def _scratch_repo(repo: Path) -> str:
    """Base: flows/a.py (start, end) and flows/gone.py. Head: a.py gains a step, new.py is
    added, gone.py deleted; util.py and helpers.py (not flows, though helpers.py imports
    FlowSpec) added. Returns the base commit."""
    (repo / "flows").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "flows/a.py").write_text(_flow("AFlow", []))
    (repo / "flows/gone.py").write_text(_flow("GoneFlow", ["middle"]))
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD").strip()
    (repo / "flows/a.py").write_text(_flow("AFlow", ["train"]))
    (repo / "flows/new.py").write_text(_flow("NewFlow", []))
    (repo / "flows/util.py").write_text("X = 1\n")
    (repo / "flows/helpers.py").write_text("from metaflow import FlowSpec  # for type hints\n")
    (repo / "flows/gone.py").unlink()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "head")
    return base


def _run_step(name: str, repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    script = _step(name)["run"]
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True
    )


PLAN_STEPS = (
    "Find the changed flows",
    "Plan the flows on the head commit",
    "Plan the flows on the base commit",
    "Report the cost change",
)


def _run_plan_steps(repo: Path, env: dict[str, str]) -> None:
    """Run the workflow's planning steps in order; each must succeed."""
    for name in PLAN_STEPS:
        done = _run_step(name, repo, env)
        assert done.returncode == 0, f"{name}: {done.stderr}"


def test_workflow_steps_run_offline(tmp_path):
    repo, runner, bin_dir = tmp_path / "repo", tmp_path / "runner", tmp_path / "bin"
    runner.mkdir()
    bin_dir.mkdir()
    base = _scratch_repo(repo)
    (bin_dir / "stub.py").write_text(_STUB)
    (bin_dir / "placer").write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{bin_dir}/stub.py" "$@"\n'
    )
    (bin_dir / "placer").chmod(0o755)
    outputs = tmp_path / "github_output"
    env = {
        **os.environ,
        **{k: str(v) for k, v in _workflow()["env"].items()},
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "BASE_SHA": base,
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_ENV": str(tmp_path / "github_env"),
        "GITHUB_WORKSPACE": str(repo),
        "RUNNER_TEMP": str(runner),
        "PLACER_CACHE_DIR": str(runner / "empty-cache"),
    }
    fake = repo / ".placer" / "head" / "fake.json"  # a pull request's own .placer/ ...
    fake.parent.mkdir(parents=True)
    fake.write_text('{"flow": "a plan the report would show"}')
    _run_plan_steps(repo, env)
    placer_dir = repo / ".placer"
    assert not fake.exists()  # ... is gone before placer writes there
    assert (placer_dir / "flows.txt").read_text().split() == [
        "flows/a.py",
        "flows/gone.py",
        "flows/new.py",
    ]
    assert sorted(p.name for p in (placer_dir / "head").iterdir()) == [
        "flows_a.py.json",
        "flows_new.py.json",
    ]
    assert sorted(p.name for p in (placer_dir / "base").iterdir()) == [
        "flows_a.py.json",
        "flows_gone.py.json",
    ]
    assert not (runner / "base").exists()  # the worktree was removed
    # AFlow 2 -> 3 steps (+$30), GoneFlow -$90 (3 steps), NewFlow +$60: 150 -> 150, no change
    comment = (placer_dir / "comment.md").read_text()
    assert comment.startswith(MARKER)
    assert "## 💰 Monthly cost: no change ($150.00)" in comment
    assert "| AFlow | $60.00 | $90.00 | +$30.00 (+50%) |" in comment
    assert "| GoneFlow (removed) | $90.00 | $0.00 | -$90.00 (-100%) |" in comment
    assert "status=0" in outputs.read_text()
    assert (placer_dir / "report.json").is_file()
    summary = tmp_path / "step_summary.md"
    shown = _run_step(
        "Show the report in the job summary", repo, {**env, "GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert shown.returncode == 0, shown.stderr
    assert summary.read_text() == comment


def test_fork_pull_requests_skip_the_comment_but_keep_the_summary():
    # a fork's token is read-only: commenting would fail the job
    post, summary = _step("Post or update"), _step("Show the report in the job summary")
    fork_guard = "github.event.pull_request.head.repo.full_name == github.repository"
    assert fork_guard in post["if"]
    assert "github.event" not in summary["if"]
    names = [s.get("name", "") for s in _steps()]
    assert names.index(summary["name"]) < names.index(post["name"])


def test_workflow_report_step_keeps_going_on_a_tripped_threshold(tmp_path):
    repo, runner = tmp_path / "repo", tmp_path / "runner"
    base = _scratch_repo(repo)
    head_dir, base_dir = repo / ".placer/head", repo / ".placer/base"
    head_dir.mkdir(parents=True)
    base_dir.mkdir()
    from fixtures.plan.report_plans import bases, heads

    for p in bases():  # swapped: +$263.20 (+19%)
        (head_dir / f"{p.flow}.json").write_text(p.dumps())
    for p in heads():
        (base_dir / f"{p.flow}.json").write_text(p.dumps())
    outputs = tmp_path / "github_output"
    env = {
        **os.environ,
        **{k: str(v) for k, v in _workflow()["env"].items()},
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(outputs),
        "RUNNER_TEMP": str(runner),
        "BASE_SHA": base,
    }
    done = _run_step("Report the cost change", repo, env)
    assert done.returncode == 0, done.stderr  # the comment must still be posted
    assert "status=3" in outputs.read_text()
    comment = (repo / ".placer/comment.md").read_text()
    assert "❌ **Failed:** monthly cost change +$263.20 (+19%) is above --fail-on-increase 10%" in (
        comment
    )
    assert "⚠️ **Warning:**" in comment
    assert "error: monthly cost change +$263.20 (+19%) is above --fail-on-increase 10%" in (
        done.stderr
    )


def test_workflow_with_the_real_planner_and_apply_gate(tmp_path):
    """The example flow; the PR gives `process` 4 CPUs and 16 GB. Real `placer plan`, report,
    and the `placer apply --check` gate before and after `placer apply`."""
    from placer.plan import read_plan

    repo, runner = tmp_path / "repo", tmp_path / "runner"
    runner.mkdir()
    shutil.copytree(ROOT / "examples" / "crosscloud", repo / "crosscloud")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD").strip()
    flow = repo / "crosscloud" / "crosscloudflow.py"
    flow.write_text(
        flow.read_text().replace("@resources(cpu=1, memory=512)", "@resources(cpu=4, memory=16000)")
    )
    _git(repo, "commit", "-q", "-am", "head")
    outputs = tmp_path / "github_output"
    env = {
        **os.environ,
        **{k: str(v) for k, v in _workflow()["env"].items()},
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "BASE_SHA": base,
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_WORKSPACE": str(repo),
        "RUNNER_TEMP": str(runner),
        "PLACER_CACHE_DIR": str(runner / "empty-cache"),
    }
    _run_plan_steps(repo, env)
    plans = repo / ".placer"
    head_plan = read_plan(plans / "head" / "crosscloud_crosscloudflow.py.json")
    base_plan = read_plan(plans / "base" / "crosscloud_crosscloudflow.py.json")
    pct = (head_plan.per_month.total / base_plan.per_month.total - 1) * 100
    assert pct > 0
    assert f"status={3 if pct > 10 else 0}" in outputs.read_text()  # PLACER_FAIL_ON_INCREASE 10%
    assert "## 💰 Monthly cost will increase by $" in (plans / "comment.md").read_text()
    gate = _run_step("Gate", repo, env)
    assert gate.returncode == 1  # the flow's decorators do not follow its plan yet
    assert "::error::run 'placer apply' for .placer/head/crosscloud_crosscloudflow.py.json" in (
        gate.stdout
    )
    applied = subprocess.run(
        ["placer", "apply", ".placer/head/crosscloud_crosscloudflow.py.json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert applied.returncode == 0, applied.stderr
    replanned = _run_step("Plan the flows on the head commit", repo, env)
    assert replanned.returncode == 0, replanned.stderr
    gate = _run_step("Gate", repo, env)
    assert gate.returncode == 0, gate.stdout + gate.stderr


def _install(tmp_path: Path, package: str, placer_has_report: bool) -> subprocess.CompletedProcess:
    """Run the install step with stub `python` (records pip's arguments) and `placer`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/pip_args"\n')
    (bin_dir / "placer").write_text(f"#!/bin/sh\nexit {0 if placer_has_report else 2}\n")
    for stub in ("python", "placer"):
        (bin_dir / stub).chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PLACER_PACKAGE": package}
    return _run_step("Install placer", tmp_path, env)


def test_install_refuses_the_placeholder_until_it_is_set(tmp_path):
    # `pip install placer` would install an unrelated PyPI project of that name
    placeholder = _workflow()["env"]["PLACER_PACKAGE"]
    assert placeholder.startswith("git+https://github.com/YOUR-ORG/placer@")
    done = _install(tmp_path, placeholder, placer_has_report=True)
    assert done.returncode == 2
    assert "::error::set PLACER_PACKAGE in this workflow" in done.stdout
    assert not (tmp_path / "pip_args").exists()  # pip never ran


def test_install_uses_the_package_and_checks_it_is_placer(tmp_path):
    done = _install(tmp_path, "git+https://example.com/acme/placer@v0.1.0", True)
    assert done.returncode == 0, done.stdout + done.stderr
    pip_args = (tmp_path / "pip_args").read_text().split()
    assert pip_args == [
        "-m",
        "pip",
        "install",
        "--quiet",
        "git+https://example.com/acme/placer@v0.1.0",
    ]


def test_install_stops_when_the_package_is_not_placer(tmp_path):
    done = _install(tmp_path, "placer", placer_has_report=False)
    assert done.returncode == 2
    assert "did not install placer with its report command" in done.stdout
