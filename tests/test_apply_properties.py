"""Property tests: any plan's selectors land exactly in the flow, and a re-apply is a no-op."""

from __future__ import annotations

from pathlib import Path

from fixtures.plan.apply_plans import make_plan, step_plan
from hypothesis import given, settings
from hypothesis import strategies as st

from placer.apply._config_mode import rewrite_for_config
from placer.apply._rewrite import decorators_edit, full_selector, rewrite
from placer.flow import read_flow

FIXTURES = Path(__file__).parent / "fixtures" / "apply"
SOURCES = {name: (FIXTURES / f"{name}.flow").read_bytes() for name in ("selectors", "multiline")}

_word = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_key = st.builds(lambda a, b: f"{a}.io/{b}", _word, _word) | _word
_selector = st.dictionaries(_key, _word, max_size=3)
_pool = st.none() | _word
_step = st.builds(lambda sel, pool: step_plan(sel, pool), _selector, _pool)


@settings(max_examples=40, deadline=None)
@given(
    source=st.sampled_from(sorted(SOURCES)),
    steps=st.fixed_dictionaries({"start": _step, "middle": _step, "end": _step}),
)
def test_any_plan_lands_in_the_flow_and_reapplies_as_a_no_op(tmp_path_factory, source, steps):
    plan = make_plan("TrickyFlow", steps)
    edit = decorators_edit(plan, False, False)
    once = rewrite(SOURCES[source], Path("flow.py"), plan, edit)
    assert rewrite(once.after, Path("flow.py"), plan, edit).after == once.after
    flow = tmp_path_factory.mktemp("prop") / "flow.py"
    flow.write_bytes(once.after)
    read = read_flow(flow, "TrickyFlow")
    for name, step in steps.items():
        assert dict(read.steps[name].placement.node_selector) == full_selector(step), name
        assert read.steps[name].placement.compute_pool == step.compute_pool, name


@settings(max_examples=20, deadline=None)
@given(steps=st.fixed_dictionaries({"start": _step, "middle": _step, "end": _step}))
def test_config_mode_flow_does_not_depend_on_the_plan_selectors(steps):
    """Only placement.json carries the selectors: any plan wires the flow the same way."""
    plan = make_plan("TrickyFlow", steps)
    other = make_plan("TrickyFlow", {n: step_plan({"a": "b"}) for n in steps})
    source = SOURCES["multiline"]
    first = rewrite_for_config(source, Path("flow.py"), plan, False, False).after
    assert first == rewrite_for_config(source, Path("flow.py"), other, False, False).after
