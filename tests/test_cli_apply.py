"""`placer apply` through the CLI: files written, exit codes, messages."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
import yaml
from fixtures.plan.apply_plans import AWS, GCP, SPOT_POOL, make_plan, step_plan, tricky_plan

from placer.cli import main
from placer.cli._env import Environment

FIXTURES = Path(__file__).parent / "fixtures" / "apply"
SEED = Path("/work/shared/seed/crosscloudflow.py")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["apply", *argv], Environment(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def _setup(tmp_path: Path, case: str = "comments") -> tuple[Path, Path]:
    """A flow (mode 0o750) and its plan (flow.file relative to the plan) in tmp_path."""
    flow = tmp_path / "flow.py"
    shutil.copy(FIXTURES / f"{case}.flow", flow)
    flow.chmod(0o750)
    plan = tmp_path / "plan.json"
    plan.write_text(tricky_plan(flow.read_bytes()).dumps())
    return flow, plan


def test_apply_rewrites_the_flow_keeping_its_mode(tmp_path):
    flow, plan = _setup(tmp_path)
    code, out, err = run(str(plan))
    assert (code, err) == (0, "")
    assert flow.read_bytes() == (FIXTURES / "comments.expected.flow").read_bytes()
    assert stat.S_IMODE(flow.stat().st_mode) == 0o750
    assert f"wrote {flow}" in out
    assert "  middle: @kubernetes added" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.py", "plan.json"]  # no temp left


def test_second_apply_of_the_same_plan_changes_nothing(tmp_path):
    flow, plan = _setup(tmp_path)
    assert run(str(plan))[0] == 0
    applied = flow.read_bytes()
    os.utime(flow, (1_000_000, 1_000_000))
    code, out, _ = run(str(plan))
    assert code == 0
    assert flow.read_bytes() == applied
    assert flow.stat().st_mtime == 1_000_000  # not even rewritten with the same bytes
    assert "nothing to change" in out and "already matches the plan" in out


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path):
    flow, plan = _setup(tmp_path)
    original = flow.read_bytes()
    code, out, _ = run(str(plan), "--diff")
    assert code == 0
    assert flow.read_bytes() == original
    assert out.startswith(f"--- a/{flow}\n+++ b/{flow}\n")
    assert '+    @kubernetes(node_selector={"outerbounds.co/provider": "aws"})\n' in out
    old = (
        '-    @kubernetes(image="python:3.11", node_selector={"outerbounds.co/provider": "azure"})'
    )
    assert old in out


def test_check_exit_codes(tmp_path):
    flow, plan = _setup(tmp_path)
    code, out, _ = run(str(plan), "--check")
    assert code == 2
    assert "does not match the plan" in out and "end: @kubernetes added" in out
    assert flow.read_bytes() == (FIXTURES / "comments.flow").read_bytes()
    assert run(str(plan))[0] == 0
    code, out, _ = run(str(plan), "--check")
    assert (code, out) == (0, "TrickyFlow: matches the plan\n")
    code, _, err = run(str(tmp_path / "missing.json"), "--check")
    assert code == 1 and err.startswith("error: ") and "plan file not found" in err


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_comment_edit_keeps_the_plan_and_a_resources_edit_makes_it_stale(tmp_path):
    flow, plan = _setup(tmp_path)
    flow.write_text(flow.read_text().replace("# The first step.", "# edited"))
    code, out, _ = run(str(plan), "--check")  # not applied yet: a mismatch, not staleness
    assert code == 2 and "does not match the plan" in out
    assert run(str(plan))[0] == 0
    assert run(str(plan), "--check")[:2] == (0, "TrickyFlow: matches the plan\n")
    flow.write_text(flow.read_text().replace("# where it runs:", "# reformatted, recommented"))
    assert run(str(plan), "--check")[0] == 0
    flow.write_text(flow.read_text().replace("memory=512", "memory=8192"))
    code, out, err = run(str(plan), "--check")
    assert (code, out) == (2, "")
    assert err == (
        f"error: {flow}:{_line_of(flow, 'def start')}: the flow changed since the plan was "
        "made: step 'start': its pod request changed: memory 4096 MB -> 8192 MB. To fix: "
        "re-run `placer plan` on the current files, or pass --force to apply this plan "
        "anyway\n"
    )


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("@resources(cpu=1, memory=512)", "@resources(cpu=1, memory=512, gpu=1)",
         "step 'start': its pod request changed: gpu 0 -> 1"),
        ("@resources(cpu=1, memory=512)", "@resources(cpu=3, memory=512)",
         "step 'start': its pod request changed: cpu 1 -> 3"),
        ("@resources(cpu=1, memory=512)", "@resources(cpu=1, memory=1024)",
         "step 'start': its @resources changed: memory 512 MB -> 1024 MB"),
        ("def middle(self):\n        self.next(self.end)",
         "def middle(self):\n        self.next(self.extra)\n\n    @step\n    def extra(self):"
         "\n        self.next(self.end)",
         "step 'middle': its next steps changed: end -> extra"),
        ("class TrickyFlow(FlowSpec):", "class OtherFlow(FlowSpec):",
         "the plan is for TrickyFlow, but this file defines OtherFlow"),
    ],
)  # fmt: skip
def test_check_names_the_first_priced_change(tmp_path, old, new, said):
    flow, plan = _setup(tmp_path)
    assert run(str(plan))[0] == 0
    text = flow.read_text()
    assert old in text
    flow.write_text(text.replace(old, new))
    code, out, err = run(str(plan), "--check")
    assert (code, out) == (2, "")
    assert said in err and err.count("\n") == 1


def test_stale_plan_is_refused_unless_forced(tmp_path):
    flow, plan = _setup(tmp_path)
    edited = flow.read_text().replace("memory=512", "memory=512, disk=20000").encode()
    flow.write_bytes(edited)
    code, _, err = run(str(plan))
    assert code == 2
    assert err.startswith(
        f"error: {flow}:{_line_of(flow, 'def start')}: the flow changed since the plan was "
        "made: step 'start': its pod request changed: disk 10240 MB -> 20000 MB."
    )
    assert "re-run `placer plan`" in err and "--force" in err
    assert flow.read_bytes() == edited
    code, out, _ = run(str(plan), "--force")
    assert code == 0 and f"wrote {flow}" in out
    assert b"disk=20000" in flow.read_bytes()
    assert b'@kubernetes(node_selector={"outerbounds.co/provider": "aws"})' in flow.read_bytes()


def test_changed_config_is_refused(tmp_path):
    flow = tmp_path / "flow.py"
    shutil.copy(FIXTURES / "tabs.flow", flow)
    config = tmp_path / "placer.yaml"
    config.write_text("runs_per_month: 30\n")
    plan_obj = make_plan(
        "TrickyFlow",
        tricky_plan().steps,
        "flow.py",
        flow.read_bytes(),
        config_file="placer.yaml",
        config_bytes=b"runs_per_month: 30\n",
    )
    plan = tmp_path / "plan.json"
    plan.write_text(plan_obj.dumps())
    config.write_text("runs_per_month: 60\n")
    code, _, err = run(str(plan))
    assert code == 2
    assert f"{config}: config file changed since the plan was made" in err
    config.write_text("runs_per_month: 30\n")
    assert run(str(plan))[0] == 0


def test_seed_is_refused_without_fix_order(tmp_path):
    flow = tmp_path / "crosscloudflow.py"
    shutil.copy(SEED, flow)
    steps = {n: step_plan(AWS) for n in ("start", "process", "join", "end")}
    plan = tmp_path / "plan.json"
    plan.write_text(make_plan("CrossCloudFlow", steps, flow.name, flow.read_bytes()).dumps())
    code, _, err = run(str(plan))
    assert code == 2
    assert err == (
        f"error: {flow}:6: @step is not the innermost decorator of step 'start' (Metaflow "
        "refuses this order). To fix: move @step directly above `def start`, or re-run "
        "with --fix-order\n"
    )
    code, out, _ = run(str(plan), "--fix-order")
    assert code == 0 and "start: @step outer -> innermost" in out


def test_out_writes_elsewhere_and_flow_option_overrides_the_plan(tmp_path):
    flow, plan = _setup(tmp_path, "tabs")
    moved = tmp_path / "sub" / "renamed.py"
    moved.parent.mkdir()
    flow.rename(moved)
    target = tmp_path / "out.py"
    code, out, err = run(str(plan), "--flow", str(moved), "--out", str(target))
    assert code == 0, err
    assert moved.read_bytes() == (FIXTURES / "tabs.flow").read_bytes()
    assert target.read_bytes() == (FIXTURES / "tabs.expected.flow").read_bytes()


def test_missing_flow_names_the_path_and_the_fix(tmp_path):
    _, plan = _setup(tmp_path)
    code, _, err = run(str(plan), "--flow", str(tmp_path / "nope.py"))
    assert code == 2
    missing = tmp_path / "nope.py"
    assert err == f"error: {missing}: flow file not found. To fix: pass the flow with --flow PATH\n"


def test_selectors_mode_prints_json_and_the_with_option(tmp_path):
    steps = {"start": step_plan(AWS), "end": step_plan(AWS)}
    plan = tmp_path / "plan.json"
    plan.write_text(make_plan("OneFlow", steps).dumps())
    code, out, err = run(str(plan), "--mode", "selectors")
    assert code == 0
    assert json.loads(out)["steps"]["end"] == {
        "pool": "pool",
        "node_selector": AWS,
        "compute_pool": None,
    }
    assert err == (
        "all steps share one selector; equivalent option: "
        '--with \'kubernetes:node_selector={"outerbounds.co/provider":"aws"}\'\n'
    )


def test_selectors_mode_writes_yaml_and_checks_it(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(tricky_plan().dumps())
    target = tmp_path / "selectors.yaml"
    code, out, err = run(str(plan), "--mode", "selectors", "--out", str(target), "--format", "yaml")
    assert (code, err) == (0, "")
    document = yaml.safe_load(target.read_text())
    assert document["steps"]["middle"]["node_selector"] == SPOT_POOL
    assert document["steps"]["middle"]["compute_pool"] == "spot-pool"
    assert document["steps"]["start"]["node_selector"] == GCP
    args = ("--mode", "selectors", "--out", str(target), "--format", "yaml", "--check")
    assert run(str(plan), *args)[0] == 0
    assert run(str(plan), "--mode", "selectors", "--out", str(target), "--check")[0] == 2  # json


def test_config_mode_rewrites_the_flow_once_then_only_the_json(tmp_path):
    flow, plan = _setup(tmp_path, "tabs")
    code, out, err = run(str(plan), "--mode", "config")
    assert code == 0, err
    rewritten = flow.read_bytes()
    assert b'\tplacement = Config("placement", default="placement.json")\n' in rewritten
    placement = json.loads((tmp_path / "placement.json").read_text())
    assert placement["steps"]["middle"]["node_selector"] == SPOT_POOL
    # a new plan, made from the rewritten flow, moves every step to AWS
    steps = {n: step_plan(AWS) for n in ("start", "middle", "end")}
    plan.write_text(make_plan("TrickyFlow", steps, "flow.py", rewritten).dumps())
    code, out, _ = run(str(plan), "--mode", "config")
    assert code == 0
    assert flow.read_bytes() == rewritten
    assert out.strip().endswith(f"wrote {tmp_path / 'placement.json'}")
    placement = json.loads((tmp_path / "placement.json").read_text())
    providers = {s["node_selector"]["outerbounds.co/provider"] for s in placement["steps"].values()}
    assert providers == {"aws"}


def _main(*argv: str) -> int:
    return main(list(argv), Environment(stdout=io.StringIO(), stderr=io.StringIO()))


def test_placer_plan_then_apply_then_check(tmp_path):
    """The real `placer plan` output drives apply; the result re-plans to the same places."""
    from placer.flow import read_flow

    example = Path(__file__).parent.parent / "examples" / "etl"
    shutil.copy(example / "etlflow.py", tmp_path / "etlflow.py")
    shutil.copy(example / "placer.yaml", tmp_path / "placer.yaml")
    flow, plan = tmp_path / "etlflow.py", tmp_path / "plan.json"
    before = read_flow(flow)
    assert _main("plan", str(flow), "--out", str(plan)) == 0
    assert run(str(plan), "--check")[0] == 2
    assert run(str(plan))[0] == 0
    assert run(str(plan), "--check")[0] == 0
    after = read_flow(flow)
    planned = json.loads(plan.read_text())["steps"]
    for name, step in after.steps.items():
        old = before.steps[name]
        assert (step.type, step.next, step.pod_request) == (old.type, old.next, old.pod_request)
        expected = dict(planned[name]["node_selector"])
        if planned[name]["compute_pool"]:
            expected["outerbounds.co/compute-pool"] = planned[name]["compute_pool"]
        assert dict(step.placement.node_selector) == expected, name
    # planning the applied flow again lands every step where it already is
    replan = tmp_path / "replan.json"
    assert _main("plan", str(flow), "--out", str(replan)) == 0
    assert run(str(replan), "--check") == (0, "EtlFlow: matches the plan\n", "")


def test_unwritable_out_is_a_clear_error(tmp_path):
    _, plan = _setup(tmp_path)
    target = tmp_path / "no" / "such" / "dir" / "out.py"
    code, out, err = run(str(plan), "--out", str(target))
    assert code == 2
    assert err.startswith(f"error: {target}: cannot write: No such file or directory.")
    assert out == ""  # no change lines that would read as if something was written
    assert not target.parent.exists()


def test_fix_order_on_a_flow_file_needs_no_plan(tmp_path):
    """placer's reader refuses the seed, so no plan can exist yet: fix the order first."""
    flow = tmp_path / "crosscloudflow.py"
    shutil.copy(SEED, flow)
    code, _, err = run(str(flow))
    assert code == 2 and "expected a plan file, got a flow file" in err
    assert run(str(flow), "--fix-order", "--check")[0] == 2
    code, out, _ = run(str(flow), "--fix-order")
    assert code == 0
    assert out == f"  start: @step outer -> innermost\nwrote {flow}\n"
    expected = SEED.read_text().replace(
        "    @step\n    @kubernetes\n    def start", "    @kubernetes\n    @step\n    def start"
    )
    assert flow.read_text() == expected
    assert run(str(flow), "--fix-order", "--check") == (0, "@step order is fine\n", "")
    assert _main("plan", str(flow), "--out", str(tmp_path / "plan.json")) == 0


def test_selectors_mode_names_steps_that_with_cannot_reach(tmp_path):
    flow, _ = _setup(tmp_path, "selectors")  # every step has a static @kubernetes
    steps = {n: step_plan(AWS) for n in ("start", "middle", "end")}
    plan = tmp_path / "plan.json"
    plan.write_text(make_plan("TrickyFlow", steps, "flow.py", flow.read_bytes()).dumps())
    code, _, err = run(str(plan), "--mode", "selectors")
    assert code == 0
    assert err.splitlines()[1] == (
        "--with does not reach steps with a static @kubernetes: start, middle, end "
        "(--mode mutator places every step at deploy time)"
    )


def test_wrapping_follows_the_project_line_length(tmp_path):
    flow, plan = _setup(tmp_path, "tabs")
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 120\n")
    assert run(str(plan))[0] == 0
    # 1 tab + 108 characters: one line under 120, wrapped under the default 88
    line = (
        '\t@kubernetes(node_selector={"outerbounds.co/provider": "gcp", '
        '"topology.kubernetes.io/region": "us-central1"})\n'
    )
    assert line in flow.read_text()


def test_config_mode_diff_shows_the_new_json_and_writes_nothing(tmp_path):
    flow, plan = _setup(tmp_path, "tabs")
    original = flow.read_bytes()
    code, out, _ = run(str(plan), "--mode", "config", "--diff")
    assert code == 0
    assert out.startswith(f"--- /dev/null\n+++ b/{tmp_path / 'placement.json'}\n")
    assert f"--- a/{flow}\n+++ b/{flow}\n" in out
    assert '+\tplacement = Config("placement", default="placement.json")\n' in out
    assert flow.read_bytes() == original
    assert not (tmp_path / "placement.json").exists()


EXAMPLES = {
    "crosscloud/crosscloudflow.py": "CrossCloudFlow",
    "gpu_training/trainflow.py": "TrainFlow",
    "etl/etlflow.py": "EtlFlow",
    "branching/branchflow.py": "BranchFlow",
}
GRAPH_KEYS = (
    "type",
    "next",
    "foreach",
    "in_foreach",
    "foreach_stack",
    "num_parallel",
    "condition",
    "cases",
    "pod_request",
    "declared",
)


def _graph(flow: Path) -> dict:
    out, err = io.StringIO(), io.StringIO()
    code = main(["graph", str(flow), "--format", "json"], Environment(stdout=out, stderr=err))
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_placer_graph_of_the_applied_example_equals_the_original_apart_from_placement(
    example, tmp_path
):
    flow = tmp_path / Path(example).name
    shutil.copy(Path(__file__).parent.parent / "examples" / example, flow)
    before = _graph(flow)
    pools = [(GCP, None), ({}, "big-pool"), (AWS, None)]  # rotate: GCP, a compute pool, AWS
    steps = {n: step_plan(*pools[i % 3]) for i, n in enumerate(before["steps"])}
    plan = tmp_path / "plan.json"
    plan.write_text(make_plan(EXAMPLES[example], steps, flow.name, flow.read_bytes()).dumps())
    assert run(str(plan))[0] == 0
    after = _graph(flow)
    assert list(after["steps"]) == list(before["steps"])
    for name, step in after["steps"].items():
        shape = {k: step[k] for k in GRAPH_KEYS}
        assert shape == {k: before["steps"][name][k] for k in GRAPH_KEYS}, name
        selector, pool = pools[list(after["steps"]).index(name) % 3]
        expected = {**selector, **({"outerbounds.co/compute-pool": pool} if pool else {})}
        assert (step["node_selector"], step["compute_pool"]) == (expected, pool), name


def test_out_that_is_a_directory_is_a_clear_error(tmp_path):
    flow, plan = _setup(tmp_path)
    target = tmp_path / "outdir"
    target.mkdir()
    for mode in ("decorators", "config", "selectors"):
        code, out, err = run(str(plan), "--mode", mode, "--out", str(target))
        assert (code, out) == (2, ""), mode
        assert err == (
            f"error: {target}: --out is a directory. To fix: give a file path, e.g. {target}/FILE\n"
        )
    assert list(target.iterdir()) == []
    assert flow.read_bytes() == (FIXTURES / "comments.flow").read_bytes()


def test_unreadable_flow_is_a_clear_error(tmp_path, monkeypatch):
    flow, plan = _setup(tmp_path)
    real = os.open

    def open_(path, *args, **kwargs):
        if Path(path) == flow:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)  # the tests run as root, so chmod would not do
    code, out, err = run(str(plan))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {flow}: cannot read the flow file (permission denied). To fix: make it readable\n"
    )
