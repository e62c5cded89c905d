"""`placer apply` on hostile or busy repositories: symlinks out of the project, plans that
name files elsewhere, outputs that are inputs, and writers racing each other."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from fixtures.plan.apply_plans import tricky_plan

from placer.apply import ApplyOptions, apply_plan, write_outcome
from placer.cli import main
from placer.cli._env import Environment
from placer.errors import WriteConflict
from placer.plan import read_plan

FIXTURES = Path(__file__).parent / "fixtures" / "apply"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["apply", *argv], Environment(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def _repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A repository (with .git) holding a flow and its plan; and a directory outside it."""
    repo, outside = tmp_path / "repo", tmp_path / "home"
    (repo / ".git").mkdir(parents=True)
    outside.mkdir()
    flow = repo / "flow.py"
    shutil.copy(FIXTURES / "comments.flow", flow)
    plan = repo / "plan.json"
    plan.write_text(tricky_plan(flow.read_bytes()).dumps())
    return flow, plan, outside


def test_a_placement_json_symlink_out_of_the_project_is_never_written_through(tmp_path):
    flow, plan, outside = _repo(tmp_path)
    victim = outside / ".bashrc"
    victim.write_text("export PATH=/usr/bin\n")
    (flow.parent / "placement.json").symlink_to(victim)
    before = flow.read_bytes()
    code, _, err = run(str(plan), "--mode", "config")
    assert code == 2
    assert "placement.json exists and is not a placement file" in err
    assert victim.read_text() == "export PATH=/usr/bin\n"
    assert flow.read_bytes() == before  # all or nothing: the flow is not wired either


def test_a_symlinked_placement_file_that_looks_right_still_stays_in_the_project(tmp_path):
    flow, plan, outside = _repo(tmp_path)
    victim = outside / "settings.json"
    victim.write_text(json.dumps({"flow": "X", "steps": {}}))
    (flow.parent / "placement.json").symlink_to(victim)
    code, _, err = run(str(plan), "--mode", "config")
    assert code == 2
    assert f"refusing to write through a symlink to {victim}, outside the project" in err
    assert json.loads(victim.read_text()) == {"flow": "X", "steps": {}}


def test_a_symlink_inside_the_project_is_written_through(tmp_path):
    flow, plan, _ = _repo(tmp_path)
    real = flow.parent / "conf" / "placement.json"
    real.parent.mkdir()
    real.write_text(json.dumps({"flow": "TrickyFlow", "steps": {}}))
    (flow.parent / "placement.json").symlink_to(real)
    code, _, err = run(str(plan), "--mode", "config")
    assert (code, err) == (0, "")
    assert set(json.loads(real.read_text())["steps"]) == {"start", "middle", "end"}


def test_a_flow_symlink_out_of_the_project_is_not_rewritten(tmp_path):
    flow, plan, outside = _repo(tmp_path)
    elsewhere = outside / "flow.py"
    flow.rename(elsewhere)
    flow.symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    code, _, err = run(str(plan))
    assert code == 2
    assert "outside the plan's project" in err
    assert elsewhere.read_bytes() == before


@pytest.mark.parametrize("recorded", ["../home/flow.py", "ABSOLUTE"])
def test_a_plan_naming_a_flow_outside_its_project_needs_flow(tmp_path, recorded):
    _, plan, outside = _repo(tmp_path)
    target = outside / "flow.py"
    shutil.copy(FIXTURES / "comments.flow", target)
    recorded = str(target) if recorded == "ABSOLUTE" else recorded
    hostile = dataclasses.replace(read_plan(plan), flow_file=recorded)
    plan.write_text(hostile.dumps())
    before = target.read_bytes()
    code, _, err = run(str(plan))
    assert code == 2
    assert err.startswith(f"error: {plan}: flow.file: the plan names the flow file {recorded!r}")
    assert "To fix: pass the flow with --flow PATH" in err
    assert target.read_bytes() == before
    code, _, err = run(str(plan), "--flow", str(target))  # named on the command line: fine
    assert (code, err) == (0, "")
    assert target.read_bytes() != before


def test_an_absolute_flow_path_inside_the_project_is_fine(tmp_path):
    flow, plan, _ = _repo(tmp_path)
    plan.write_text(dataclasses.replace(read_plan(plan), flow_file=str(flow)).dumps())
    assert run(str(plan))[0] == 0


@pytest.mark.parametrize("mode", ["decorators", "selectors"])
def test_out_never_overwrites_an_input(tmp_path, mode):
    flow, plan, _ = _repo(tmp_path)
    before = plan.read_bytes()
    code, _, err = run(str(plan), "--mode", mode, "--out", str(plan))
    assert code == 2
    assert f"error: {plan}: --out is the same file as {plan}, an input of this command" in err
    assert plan.read_bytes() == before
    link = tmp_path / "link.json"  # another name for the same file
    link.symlink_to(plan)
    assert run(str(plan), "--mode", mode, "--out", str(link))[0] == 2
    assert plan.read_bytes() == before


def test_out_may_name_the_flow_itself(tmp_path):
    flow, plan, _ = _repo(tmp_path)
    code, _, err = run(str(plan), "--out", str(flow))
    assert (code, err) == (0, "")
    assert flow.read_bytes() == (FIXTURES / "comments.expected.flow").read_bytes()


def test_a_flow_saved_during_apply_is_not_lost(tmp_path):
    flow, plan, _ = _repo(tmp_path)
    outcome = apply_plan(read_plan(plan), plan, ApplyOptions())
    flow.write_bytes(flow.read_bytes() + b"# saved in an editor meanwhile\n")
    with pytest.raises(WriteConflict, match="changed since placer read it"):
        write_outcome(outcome)
    assert flow.read_bytes().endswith(b"# saved in an editor meanwhile\n")


def test_two_applies_of_different_plans_one_wins_the_other_is_refused(tmp_path):
    flow, plan, _ = _repo(tmp_path)
    first = apply_plan(read_plan(plan), plan, ApplyOptions())
    second = apply_plan(read_plan(plan), plan, ApplyOptions(mode="config"))
    write_outcome(first)
    written = flow.read_bytes()
    with pytest.raises(WriteConflict):
        write_outcome(second)
    assert flow.read_bytes() == written
    assert not (flow.parent / "placement.json").exists()  # all files or none


def test_a_temp_file_left_by_a_killed_apply_is_swept(tmp_path):
    flow, plan, _ = _repo(tmp_path)
    dead = _dead_pid()
    from placer.atomic import _HOST

    leftover = flow.parent / f".flow.py.placer-{_HOST}-{dead}-0badc0de.tmp"
    leftover.write_text("half a flow")
    unrelated = flow.parent / ".flow.py.swp"
    unrelated.write_text("vim's")
    assert run(str(plan))[0] == 0
    assert not leftover.exists()
    assert unrelated.exists()


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(child.stdout)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    return pid


SLOW_APPLY = """
import os, sys, time
real = os.replace
def slow(src, dst):
    print("writing", flush=True)
    time.sleep(30)  # SIGTERM lands here, while the temp file exists
    real(src, dst)
os.replace = slow
from placer.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_during_a_write_leaves_the_flow_and_no_temp_file(tmp_path):
    import signal
    import subprocess
    import sys

    flow, plan, _ = _repo(tmp_path)
    before = flow.read_bytes()
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_APPLY, "apply", str(plan)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "writing\n"
    assert any(p.name.startswith(".flow.py.placer-") for p in flow.parent.iterdir())
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=20)
    assert child.returncode == 128 + signal.SIGTERM
    assert err == "terminated\n"
    assert flow.read_bytes() == before
    assert sorted(p.name for p in flow.parent.iterdir()) == [".git", "flow.py", "plan.json"]
