"""Golden-file tests of the decorators-mode rewrite on tricky sources."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fixtures.plan.apply_plans import AWS, GCP, SPOT_POOL, make_plan, step_plan, tricky_plan

from placer.apply._rewrite import decorators_edit, rewrite
from placer.errors import ApplyError
from placer.flow import Flow, read_flow

FIXTURES = Path(__file__).parent / "fixtures" / "apply"
CASES = [
    "comments",
    "multiline",
    "selectors",
    "alias_module",
    "alias_name",
    "batch",
    "two_classes",
    "tabs",
    "shadowed",
]
PLANNED = {"start": GCP, "middle": SPOT_POOL, "end": AWS}


def _rewrite(source: bytes, right_size: bool = False, fix_order: bool = False, plan=None):
    plan = plan or tricky_plan()
    return rewrite(source, Path("flow.py"), plan, decorators_edit(plan, right_size, fix_order))


def _shape(flow: Flow) -> dict[str, tuple]:
    """The graph `placer graph` shows, minus placement (what apply may change)."""
    return {
        s.name: (
            s.type,
            s.next,
            s.foreach,
            s.num_parallel,
            s.foreach_stack,
            s.pod_request,
            s.declared,
        )
        for s in flow.steps.values()
    }


@pytest.mark.parametrize("case", CASES)
def test_rewrite_matches_golden_file(case):
    source = (FIXTURES / f"{case}.flow").read_bytes()
    expected = (FIXTURES / f"{case}.expected.flow").read_bytes()
    assert _rewrite(source).after == expected


@pytest.mark.parametrize("case", CASES)
def test_rewrite_is_idempotent_and_parses(case):
    once = _rewrite((FIXTURES / f"{case}.flow").read_bytes())
    twice = _rewrite(once.after)
    assert twice.after == once.after
    assert twice.changes == ()
    ast.parse(once.after)


@pytest.mark.parametrize("case", CASES)
def test_rewritten_graph_equals_original_apart_from_placement(case, tmp_path):
    before_path = FIXTURES / f"{case}.flow"
    after_path = tmp_path / f"{case}.flow"
    after_path.write_bytes(_rewrite(before_path.read_bytes()).after)
    before, after = read_flow(before_path, "TrickyFlow"), read_flow(after_path, "TrickyFlow")
    assert _shape(after) == _shape(before)
    assert {n: dict(s.placement.node_selector) for n, s in after.steps.items()} == PLANNED
    assert after.steps["middle"].placement.compute_pool == "spot-pool"


def test_other_classes_and_nested_functions_are_untouched():
    result = _rewrite((FIXTURES / "two_classes.flow").read_bytes())
    text = result.after.decode()
    other = text[text.index("class OtherFlow") : text.index("class TrickyFlow")]
    assert "kubernetes" not in other
    assert "        def helper():\n" in text  # the nested def got no decorator
    assert text.count("@kubernetes(") == 3


def test_crlf_line_endings_are_kept():
    source = (FIXTURES / "comments.flow").read_bytes().replace(b"\n", b"\r\n")
    expected = (FIXTURES / "comments.expected.flow").read_bytes().replace(b"\n", b"\r\n")
    after = _rewrite(source).after
    assert after == expected
    assert b"\n" not in after.replace(b"\r\n", b"")


def test_tabs_are_kept_for_new_decorators():
    after = _rewrite((FIXTURES / "tabs.flow").read_bytes()).after.decode()
    assert '\n\t@kubernetes(node_selector={"outerbounds.co/provider": "aws"})\n\t@step\n' in after
    assert "    " not in after


def _seed_plan():
    return make_plan("CrossCloudFlow", {n: step_plan(AWS) for n in SEED_STEPS})


SEED_STEPS = ("start", "process", "join", "end")


def test_step_not_innermost_is_refused_with_its_line():
    source = Path("/work/shared/seed/crosscloudflow.py").read_bytes()
    plan = _seed_plan()
    with pytest.raises(ApplyError) as info:
        _rewrite(source, plan=plan)
    assert info.value.location == "flow.py:6"  # the seed's `@step` above `@kubernetes`
    assert "start" in info.value.headline
    assert "--fix-order" in (info.value.hint or "")


def test_fix_order_moves_step_innermost_and_keeps_the_rest():
    source = Path("/work/shared/seed/crosscloudflow.py").read_bytes()
    plan = _seed_plan()
    after = _rewrite(source, fix_order=True, plan=plan).after.decode()
    start = after[after.index("class CrossCloudFlow") : after.index("def start")]
    # the seed mostly uses single quotes, so new literals do too
    assert start.endswith(
        "    @kubernetes(node_selector={'outerbounds.co/provider': 'aws'})\n    @step\n    "
    )
    # `process` had a string selector: it stays a string, in its quotes
    process = '@kubernetes(node_selector="outerbounds.co/provider=aws")\n    @step\n    def process'
    assert process in after
    assert "@resources(cpu=1,memory=512)" in after


def test_right_size_sets_cpu_and_memory_from_resources():
    source = (FIXTURES / "alias_module.flow").read_bytes()
    plan = make_plan(
        "TrickyFlow",
        {
            "start": step_plan(GCP, declared={"cpu": 2.0, "memory": 1024.0, "disk": 0, "gpu": 0}),
            "middle": step_plan(SPOT_POOL, compute_pool="spot-pool"),
            "end": step_plan(AWS, declared={"cpu": 0.5, "memory": 256.0, "disk": 0, "gpu": 0}),
        },
    )
    result = _rewrite(source, right_size=True, plan=plan)
    text = result.after.decode()
    # too long for one line (88), so wrapped as black would
    assert (
        "    @mf.kubernetes(\n"
        "        node_selector={\n"
        '            "outerbounds.co/provider": "gcp",\n'
        '            "topology.kubernetes.io/region": "us-central1",\n'
        "        },\n"
        "        cpu=2,\n"
        "        memory=1024,\n"
        "    )\n"
        "    @mf.step\n"
        "    def start"
    ) in text
    assert (
        "    @mf.kubernetes(\n"
        '        node_selector={"outerbounds.co/provider": "aws"},\n'
        "        cpu=0.5,\n"
        "        memory=256,\n"
        "    )\n"
    ) in text
    note = "--right-size: no @resources on middle; their requests are left as they are"
    assert result.warnings == (note,)


def test_right_size_keeps_string_form_of_existing_values():
    source = b"""from metaflow import FlowSpec, kubernetes, resources, step


class TrickyFlow(FlowSpec):
    @resources(memory=512)
    @kubernetes(memory="8192", node_selector="outerbounds.co/provider=aws")
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
"""
    plan = make_plan(
        "TrickyFlow",
        {
            "start": step_plan(AWS, declared={"cpu": 1.0, "memory": 512.0, "disk": 0, "gpu": 0}),
            "end": step_plan(AWS),
        },
    )
    text = _rewrite(source, right_size=True, plan=plan).after.decode()
    assert '@kubernetes(memory="512", node_selector="outerbounds.co/provider=aws", cpu=1)' in text


def test_empty_plan_selector_removes_placement_arguments():
    source = (FIXTURES / "selectors.flow").read_bytes()
    plan = make_plan("TrickyFlow", {n: step_plan({}) for n in ("start", "middle", "end")})
    result = _rewrite(source, plan=plan)
    text = result.after.decode()
    assert text.count("@kubernetes()\n") == 2  # arguments removed, the call kept
    assert text.count("@kubernetes\n") == 1  # the bare decorator is left as it was
    assert "node_selector" not in text


def test_missing_flow_class_and_missing_step_are_errors():
    source = (FIXTURES / "tabs.flow").read_bytes()
    with pytest.raises(ApplyError, match="flow class 'Nope' not found .classes here: TrickyFlow"):
        _rewrite(source, plan=make_plan("Nope", {"start": step_plan(AWS)}))
    plan = make_plan("TrickyFlow", {"start": step_plan(AWS), "train": step_plan(AWS)})
    with pytest.raises(ApplyError, match="planned step.s. train not found in TrickyFlow"):
        _rewrite(source, plan=plan)


def test_step_outside_the_plan_is_left_alone_with_a_warning():
    source = (FIXTURES / "tabs.flow").read_bytes()
    plan = make_plan("TrickyFlow", {"start": step_plan(AWS), "end": step_plan(AWS)})
    result = _rewrite(source, plan=plan)
    assert result.warnings == ("step 'middle' is not in the plan; left as it is",)
    assert result.after.decode().count("@kubernetes(") == 2


def test_batch_and_kubernetes_together_is_an_error():
    source = b"""from metaflow import FlowSpec, batch, kubernetes, step


class TrickyFlow(FlowSpec):
    @batch
    @kubernetes
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
"""
    plan = make_plan("TrickyFlow", {"start": step_plan(AWS), "end": step_plan(AWS)})
    with pytest.raises(ApplyError, match="both @batch and @kubernetes") as info:
        _rewrite(source, plan=plan)
    assert info.value.location == "flow.py:7"


def test_syntax_error_names_the_line():
    with pytest.raises(ApplyError, match="not valid Python") as info:
        _rewrite(b"from metaflow import step\n\nclass A(:\n    pass\n")
    assert info.value.location == "flow.py:3"


def test_computed_selector_is_replaced_with_a_warning():
    source = (FIXTURES / "tabs.flow").read_bytes()
    end = b"\t@step\n\tdef end"
    source = source.replace(end, b"\t@k8s(node_selector=SELECTOR)\n" + end)
    source = source.replace(b"FlowSpec, step", b"FlowSpec, step, kubernetes as k8s")
    result = _rewrite(source)
    assert b'\t@k8s(node_selector={"outerbounds.co/provider": "aws"})\n\t@step\n\tdef end' in (
        result.after
    )
    assert result.warnings == (
        "step 'end': node_selector=SELECTOR was computed; replaced by "
        '{"outerbounds.co/provider": "aws"}',
    )


def test_bom_and_declared_encoding_are_kept():
    tabs = (FIXTURES / "tabs.flow").read_bytes()
    expected = (FIXTURES / "tabs.expected.flow").read_bytes()
    assert _rewrite(b"\xef\xbb\xbf" + tabs).after == b"\xef\xbb\xbf" + expected
    latin = b"# -*- coding: latin-1 -*-\n" + tabs.replace(b"\t\tpass", b'\t\tx = "\xe9"')
    after = _rewrite(latin).after
    assert after.endswith(b'\t\tx = "\xe9"\n')  # still latin-1, not re-encoded to UTF-8
    header = b"# -*- coding: latin-1 -*-\nfrom metaflow import FlowSpec, step, kubernetes\n"
    assert after.startswith(header)


def test_fix_order_only_fixes_every_class_and_nothing_else():
    from placer.apply._rewrite import fix_order_only

    source = (FIXTURES / "two_classes.flow").read_bytes()
    source = source.replace(
        b"    @step\n    def end(self):\n        pass\n\n\nclass",
        b"    @step\n    @retry\n    def end(self):\n        pass\n\n\nclass",
    )
    source = source.replace(b"    @step\n    def middle", b"    @step\n    @retry\n    def middle")
    result = fix_order_only(source, Path("flow.py"))
    assert [c.describe() for c in result.changes] == [
        "end: @step outer -> innermost",
        "middle: @step outer -> innermost",
    ]
    assert result.after.count(b"    @retry\n    @step\n    def ") == 2
    assert result.after == source.replace(b"@step\n    @retry", b"@retry\n    @step")
    assert not fix_order_only(result.after, Path("flow.py")).changed


def test_double_star_arguments_get_a_warning():
    source = (FIXTURES / "tabs.flow").read_bytes()
    source = source.replace(b"\t@step\n\tdef end", b"\t@k8s(**COMMON)\n\t@step\n\tdef end")
    source = source.replace(b"FlowSpec, step", b"FlowSpec, step, kubernetes as k8s")
    result = _rewrite(source)
    assert b'\t@k8s(**COMMON, node_selector={"outerbounds.co/provider": "aws"})\n' in result.after
    assert result.warnings == (
        "step 'end': @kubernetes(**...) must not also set what placer set (node_selector), "
        "or Python refuses the call",
    )


def test_diff_of_a_latin1_flow_shows_its_characters():
    tabs = (FIXTURES / "tabs.flow").read_bytes()
    latin = b"# -*- coding: latin-1 -*-\n" + tabs.replace(b"\t\tpass", b'\t\tx = "\xe9"')
    diff = _rewrite(latin).diff("flow.py")
    assert diff.startswith("--- a/flow.py\n+++ b/flow.py\n")
    assert '\t\tx = "\u00e9"\n' in diff


def test_steps_inherited_from_a_base_class_are_named_with_the_fix():
    source = b"""from metaflow import FlowSpec, step


class Base(FlowSpec):
    @step
    def start(self):
        self.next(self.end)


class Child(Base):
    @step
    def end(self):
        pass


class Unrelated(FlowSpec):
    @step
    def middle(self):
        pass
"""
    plan = make_plan("Child", {n: step_plan(AWS) for n in ("start", "end")})
    with pytest.raises(ApplyError) as info:
        _rewrite(source, plan=plan)
    assert info.value.one_line() == (
        "flow.py: planned step(s) start (from Base) are inherited; this mode edits only "
        "Child's own steps in flow.py. To fix: use --mode mutator, which places inherited "
        "steps at deploy time without editing them (or override them in Child)"
    )
    # a same-named method of a class Child does not inherit from is no excuse
    plan = make_plan("Child", {n: step_plan(AWS) for n in ("middle", "end")})
    with pytest.raises(ApplyError, match="planned step.s. middle not found in Child"):
        _rewrite(source, plan=plan)


def test_undecodable_bytes_and_unknown_encodings_name_the_line():
    tabs = (FIXTURES / "tabs.flow").read_bytes()
    latin_in_utf8 = tabs.replace(b"\t\tpass", b'\t\tx = "\xe9"')  # no coding: line
    with pytest.raises(ApplyError) as info:
        _rewrite(latin_in_utf8)
    assert info.value.one_line() == (
        "flow.py:15: not valid utf-8 text. To fix: save the flow file in the encoding it "
        "declares (UTF-8 by default)"
    )
    with pytest.raises(ApplyError) as info:
        _rewrite(b"#!/usr/bin/env python\n# -*- coding: nonsense -*-\n" + tabs)
    assert info.value.one_line() == (
        "flow.py:2: cannot read the file: unknown encoding: nonsense. To fix: fix the "
        "`# -*- coding: ... -*-` line, or remove it to use UTF-8"
    )
