"""Config mode: placement.json and the one-time Config/config_expr rewrite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.plan.apply_plans import AWS, GCP, SPOT_POOL, make_plan, step_plan, tricky_plan

from placer.apply._config_mode import placement_document, placement_result, rewrite_for_config
from placer.errors import ApplyError

FIXTURES = Path(__file__).parent / "fixtures" / "apply"


def _config(source: bytes, right_size: bool = False, plan=None):
    return rewrite_for_config(source, Path("flow.py"), plan or tricky_plan(), right_size, False)


def test_placement_document_holds_full_selectors():
    plan = make_plan(
        "F",
        {
            "start": step_plan(SPOT_POOL, "spot-pool"),
            "end": step_plan(AWS, pool="aws-use1"),
        },
    )
    assert placement_document(plan) == {
        "flow": "F",
        "steps": {
            "start": {"pool": "pool", "node_selector": SPOT_POOL},  # pool label included
            "end": {"pool": "aws-use1", "node_selector": AWS},
        },
    }


def test_right_size_adds_declared_cpu_and_memory_to_the_json():
    plan = make_plan(
        "F",
        {
            "start": step_plan(AWS, declared={"cpu": 0.5, "memory": 512.0, "disk": 0, "gpu": 0}),
            "end": step_plan(AWS),
        },
    )
    steps = placement_document(plan, right_size=True)["steps"]
    assert steps["start"] == {"pool": "pool", "node_selector": AWS, "cpu": 0.5, "memory": 512}
    assert steps["end"] == {"pool": "pool", "node_selector": AWS}  # no @resources
    assert placement_document(plan)["steps"]["start"] == {"pool": "pool", "node_selector": AWS}


def test_placement_result_is_unchanged_when_the_json_is_the_same(tmp_path):
    path = tmp_path / "placement.json"
    first = placement_result(path, tricky_plan())
    assert first.before is None and first.changed
    path.write_bytes(first.after)
    assert not placement_result(path, tricky_plan()).changed
    assert json.loads(first.after)["steps"]["start"]["node_selector"] == GCP


def test_flow_reads_every_step_from_the_config(tmp_path):
    result = _config((FIXTURES / "two_classes.flow").read_bytes())
    text = result.after.decode()
    assert text.startswith("from metaflow import FlowSpec, step, Config, config_expr, kubernetes\n")
    assert (
        '    """The flow the plan is about."""\n\n'
        '    placement = Config("placement", default="placement.json")\n\n'
        '    @kubernetes(node_selector=config_expr("placement.steps.start.node_selector"))\n'
    ) in text
    assert text.count("config_expr(") == 3
    assert "compute_pool" not in text  # the JSON's selector carries the pool label
    other = text[text.index("class OtherFlow") : text.index("class TrickyFlow")]
    assert "placement" not in other
    assert _config(result.after).after == result.after


def test_module_alias_style_and_right_size(tmp_path):
    plan = make_plan(
        "TrickyFlow",
        {
            "start": step_plan(GCP, declared={"cpu": 2, "memory": 1024}),
            "middle": step_plan(SPOT_POOL, "spot-pool"),
            "end": step_plan(AWS),
        },
    )
    result = _config((FIXTURES / "alias_module.flow").read_bytes(), True, plan)
    text = result.after.decode()
    assert '    placement = mf.Config("placement", default="placement.json")\n' in text
    assert (
        "    @mf.kubernetes(\n"
        '        node_selector=mf.config_expr("placement.steps.start.node_selector"),\n'
        '        cpu=mf.config_expr("placement.steps.start.cpu"),\n'
        '        memory=mf.config_expr("placement.steps.start.memory"),\n'
        "    )\n"
    ) in text
    assert text.startswith("import metaflow as mf\n\n\nclass")  # no import added
    assert result.warnings == (
        "--right-size: no @resources on middle, end; their requests are left as they are",
    )
    assert _config(result.after, True, plan).after == result.after
    # applying without --right-size later drops the config-read sizes, keeps cpu=1
    undone = _config(result.after, False, plan).after.decode()
    assert "placement.steps.start.cpu" not in undone
    assert "placement.steps.start.memory" not in undone
    assert "    @mf.kubernetes(\n        cpu=1,\n" in undone


def test_a_placement_attribute_that_is_not_a_config_is_refused():
    source = (
        (FIXTURES / "tabs.flow")
        .read_bytes()
        .replace(
            b"class TrickyFlow(FlowSpec):\n", b"class TrickyFlow(FlowSpec):\n\tplacement = 3\n\n"
        )
    )
    with pytest.raises(ApplyError, match="class attribute 'placement' of TrickyFlow"):
        _config(source)


def test_compute_pool_label_is_added_when_the_plan_leaves_it_out():
    # planners may record compute_pool="warehouse" with an empty node_selector
    plan = make_plan("F", {"load": step_plan({}, "warehouse"), "end": step_plan(AWS)})
    document = placement_document(plan)
    assert document["steps"]["load"]["node_selector"] == {
        "outerbounds.co/compute-pool": "warehouse"
    }


def test_placement_changes_name_each_moved_step(tmp_path):
    path = tmp_path / "placement.json"
    path.write_bytes(placement_result(path, tricky_plan()).after)
    moved = make_plan("TrickyFlow", {**tricky_plan().steps, "end": step_plan(GCP)})
    changes = placement_result(path, moved).changes
    assert [c.describe() for c in changes] == [
        'end: placement.json node_selector {"outerbounds.co/provider": "aws"} -> '
        '{"outerbounds.co/provider": "gcp", "topology.kubernetes.io/region": "us-central1"}'
    ]
    path.write_text("not json")  # e.g. a merge conflict: overwritten only with --force
    forced = placement_result(path, moved, force=True)
    assert [c.step for c in forced.changes] == ["start", "middle", "end"]


def test_a_placement_json_placer_did_not_write_is_never_overwritten(tmp_path):
    path = tmp_path / "placement.json"
    path.write_text("#!/bin/sh\necho mine\n")
    with pytest.raises(ApplyError, match="not a placement file written by `placer apply`"):
        placement_result(path, tricky_plan())
    assert path.read_text() == "#!/bin/sh\necho mine\n"


def test_comment_above_the_first_step_stays_with_it():
    # comments.flow opens the class with "# The first step.", a blank line, then `start`
    text = _config((FIXTURES / "comments.flow").read_bytes()).after.decode()
    assert (
        "class TrickyFlow(FlowSpec):\n"
        '    placement = Config("placement", default="placement.json")\n'
        "\n"
        "    # The first step.\n"
        "\n"
        "    @retry(times=2)  # flaky network\n"
    ) in text
    assert _config(text.encode()).after.decode() == text


def test_placer_reads_the_wired_flow_back_through_placement_json(tmp_path):
    from placer.apply import ApplyOptions, apply_plan, write_outcome
    from placer.flow import read_flow

    flow = tmp_path / "flow.py"
    flow.write_bytes((FIXTURES / "comments.flow").read_bytes())
    plan = make_plan(
        "TrickyFlow",
        {
            "start": step_plan(GCP, declared={"cpu": 1, "memory": 512, "disk": 0, "gpu": 0}),
            "middle": step_plan({}, "spot-pool"),
            "end": step_plan(AWS),
        },
        "flow.py",
        flow.read_bytes(),
    )
    options = ApplyOptions(mode="config", right_size=True)
    write_outcome(apply_plan(plan, tmp_path / "plan.json", options))
    read = read_flow(flow, "TrickyFlow")
    placements = {n: dict(s.placement.node_selector) for n, s in read.steps.items()}
    assert placements == {
        "start": GCP,
        "middle": {"outerbounds.co/compute-pool": "spot-pool"},
        "end": AWS,
    }
    start = read.steps["start"].resources
    assert (start.cpu, start.memory_mb) == (1, 512)  # right-sized: no 4096 MB floor


# --- the flow's own Config wiring, and the file the placement Config reads ---------------

WIRED_FLOW = """\
from metaflow import Config, FlowSpec, config_expr, kubernetes, step


class WiredFlow(FlowSpec):
    cfg = Config("cfg", default="cfg.json")

    @kubernetes(memory=config_expr("cfg.mem"), {selector})
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
"""


# what the wired flow's start step asks: cpu=2 and memory from cfg.json (6000 MB)
_WIRED_REQUEST = {"cpu": 2.0, "memory": 6000.0, "disk": 10240.0, "gpu": 0}


def _wired(tmp_path: Path, selector: str = "cpu=2", declared=None) -> tuple[Path, Path]:
    flow = tmp_path / "flow.py"
    flow.write_text(WIRED_FLOW.format(selector=selector))
    (tmp_path / "cfg.json").write_text('{"mem": 6000, "pool": "team=ml"}')
    plan = make_plan(
        "WiredFlow",
        {
            "start": step_plan(GCP, resources=_WIRED_REQUEST, declared=declared),
            "end": step_plan(AWS),
        },
        "flow.py",
        flow.read_bytes(),
    )
    (tmp_path / "plan.json").write_text(plan.dumps())
    return flow, tmp_path / "plan.json"


def _apply(*argv: str) -> tuple[int, str, str]:
    import io

    from placer.cli import main
    from placer.cli._env import Environment

    out, err = io.StringIO(), io.StringIO()
    code = main(["apply", *argv], Environment(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_config_mode_keeps_the_flows_own_config_read(tmp_path):
    # the issue: memory=config_expr("cfg.mem") was removed and the run got 4096M
    flow, plan = _wired(tmp_path)
    code, _, err = _apply(str(plan), "--mode", "config")
    assert (code, err) == (0, "")
    text = flow.read_text()
    assert (
        "    @kubernetes(\n"
        '        memory=config_expr("cfg.mem"),\n'
        "        cpu=2,\n"
        '        node_selector=config_expr("placement.steps.start.node_selector"),\n'
        "    )\n"
    ) in text
    from placer.flow import read_flow

    assert read_flow(flow).steps["start"].resources.memory_mb == 6000
    assert _apply(str(plan), "--mode", "config", "--check")[0] == 0


def test_config_mode_refuses_to_replace_the_flows_own_wiring(tmp_path):
    flow, plan = _wired(tmp_path, 'node_selector=config_expr("cfg.pool")')
    before = flow.read_bytes()
    code, _, err = _apply(str(plan), "--mode", "config")
    assert code == 2
    assert err == (
        f"error: {flow}:8: step 'start': node_selector=config_expr(\"cfg.pool\") reads the "
        "flow's own Config; config mode would replace that wiring. To fix: use --mode "
        "mutator, which keeps the flow's Config wiring and sets the placement at deploy time\n"
    )
    assert flow.read_bytes() == before and not (tmp_path / "placement.json").exists()


def test_config_mode_right_size_refuses_a_config_wired_size(tmp_path):
    declared = {"cpu": 1, "memory": 512, "disk": 0, "gpu": 0}
    flow, plan = _wired(tmp_path, declared=declared)
    code, _, err = _apply(str(plan), "--mode", "config", "--right-size")
    assert code == 2
    assert "step 'start': memory=config_expr(\"cfg.mem\") reads the flow's own Config" in err


def test_decorators_mode_replaces_config_wiring_with_a_warning_line(tmp_path):
    # docs/apply.md promises a `warning:` line when a computed argument is replaced
    flow, plan = _wired(tmp_path, 'node_selector=config_expr("cfg.pool")')
    code, _, err = _apply(str(plan))
    assert code == 0
    assert err == (
        "warning: step 'start': node_selector=config_expr(\"cfg.pool\") read the flow's own "
        'Config; replaced by {"outerbounds.co/provider": "gcp", '
        '"topology.kubernetes.io/region": "us-central1"} (--mode mutator keeps the Config '
        "wiring)\n"
    )
    assert 'memory=config_expr("cfg.mem")' in flow.read_text()


PLACED_FLOW = """\
from metaflow import Config, FlowSpec, config_expr, kubernetes, step


class PlacedFlow(FlowSpec):
    placement = Config("placement", {default})

    @kubernetes(node_selector=config_expr("placement.steps.start.node_selector"))
    @step
    def start(self):
        self.next(self.end)

    @kubernetes(node_selector=config_expr("placement.steps.end.node_selector"))
    @step
    def end(self):
        pass
"""


def _placed(flow_dir: Path, default: str) -> Path:
    flow_dir.mkdir(parents=True, exist_ok=True)
    flow = flow_dir / "flow.py"
    flow.write_text(PLACED_FLOW.format(default=default))
    plan = make_plan(
        "PlacedFlow", {"start": step_plan(GCP), "end": step_plan(AWS)}, "flow.py", flow.read_bytes()
    )
    (flow_dir / "plan.json").write_text(plan.dumps())
    return flow_dir / "plan.json"


def test_config_mode_writes_the_file_the_placement_config_reads(tmp_path):
    # issue 14 item 8: not ./placement.json when the flow reads ../shared/placement.json
    (tmp_path / ".git").mkdir()
    plan = _placed(tmp_path / "flows", 'default="../shared/placement.json"')
    (tmp_path / "shared").mkdir()
    code, out, err = _apply(str(plan), "--mode", "config")
    assert (code, err) == (0, "")
    written = json.loads((tmp_path / "shared" / "placement.json").read_text())
    assert written["steps"]["end"]["node_selector"] == AWS
    assert not (tmp_path / "flows" / "placement.json").exists()
    assert _apply(str(plan), "--mode", "config", "--check")[0] == 0


def test_config_mode_never_writes_outside_the_project(tmp_path):
    plan = _placed(tmp_path / "repo", 'default="../elsewhere.json"')
    code, _, err = _apply(str(plan), "--mode", "config")
    assert code == 2
    assert err.startswith(
        f"error: {tmp_path / 'repo' / 'flow.py'}:5: the flow's Config 'placement' reads "
        f"{tmp_path / 'repo' / '..' / 'elsewhere.json'}, which resolves outside the flow's "
        f"project ({tmp_path / 'repo'})"
    )
    assert not (tmp_path / "elsewhere.json").exists()


def test_config_mode_needs_a_placement_file_to_write(tmp_path):
    plan = _placed(tmp_path, 'default_value={"steps": {}}')
    code, _, err = _apply(str(plan), "--mode", "config")
    assert code == 2
    assert "the flow's Config 'placement' has no default= file for config mode" in err
    assert "or use --mode mutator" in err


def test_an_argument_from_a_config_spread_is_never_doubled(tmp_path):
    flow = tmp_path / "flow.py"
    flow.write_text(
        WIRED_FLOW.replace(
            '@kubernetes(memory=config_expr("cfg.mem"), {selector})', "@kubernetes(**cfg.k8s)"
        )
    )
    (tmp_path / "cfg.json").write_text('{"k8s": {"memory": 6000, "node_selector": "a=b"}}')
    plan = make_plan(
        "WiredFlow", {"start": step_plan(GCP), "end": step_plan(AWS)}, "flow.py", flow.read_bytes()
    )
    (tmp_path / "plan.json").write_text(plan.dumps())
    before = flow.read_bytes()
    for mode in ("decorators", "config"):
        code, _, err = _apply(str(tmp_path / "plan.json"), "--mode", mode)
        assert code == 2
        assert (
            "step 'start': node_selector comes from **cfg.k8s (the flow's own Config); adding "
            "node_selector= too would make Python refuse the call" in err
        )
    assert flow.read_bytes() == before
    assert _apply(str(tmp_path / "plan.json"), "--mode", "mutator")[0] == 0
