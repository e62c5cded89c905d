"""Metaflow is the oracle: placer's static reader must agree with `metaflow.graph.FlowGraph`.

Each flow file is imported here (tests may run flow code; placer never does) so that
Metaflow builds its own graph from the class. Compared per step: node type, next steps,
foreach attribute, num_parallel, switch condition and cases, in-foreach, the enclosing
foreach steps, the line, and the decorator names. Generated flows stay under 25 steps
because Metaflow's builder walks every path.
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import pytest
from fixtures.flow_oracle import ELEMENTS, assert_agrees, element_size, render_flow
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metaflow.graph import FlowGraph
from metaflow.lint import linter

from placer.errors import FlowError
from placer.flow import read_flow

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = sorted(
    (Path(importlib.util.find_spec("metaflow").origin).parent / "tutorials").glob("*/*.py")
)
EXAMPLES = sorted((ROOT / "examples").glob("*/*.py"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "flows").glob("**/*.py"))
_counter = itertools.count()


def metaflow_graph(path: Path, class_name: str) -> FlowGraph:
    """Import the flow file under a fresh module name and let Metaflow build its graph."""
    spec = importlib.util.spec_from_file_location(f"_oracle_flow_{next(_counter)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return FlowGraph(getattr(module, class_name))


@pytest.mark.parametrize(
    "path", TUTORIALS + EXAMPLES + FIXTURES, ids=lambda p: p.parent.name + "/" + p.name
)
def test_agrees_with_metaflow_on_shipped_flows(path):
    flow = read_flow(path)
    graph = metaflow_graph(path, flow.name)
    linter.run_checks(graph)  # the flow is valid for Metaflow too
    assert_agrees(flow, graph)


def test_every_tutorial_is_covered():
    # the wheel ships six tutorial flows; a rename upstream must not silently skip them
    assert len(TUTORIALS) == 6


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    elements=st.lists(ELEMENTS, max_size=3).filter(lambda es: sum(map(element_size, es)) <= 22),
    start_is_entry=st.booleans(),
    order=st.permutations(list(range(8))),
)
def test_agrees_with_metaflow_on_generated_flows(tmp_path_factory, elements, start_is_entry, order):
    path = tmp_path_factory.mktemp("gen") / "genflow.py"
    path.write_text(render_flow(elements, start_is_entry, order))
    graph = metaflow_graph(path, "GenFlow")
    linter.run_checks(graph)  # the generator only writes valid flows
    assert_agrees(read_flow(path), graph)


def _metaflow_accepts(path: Path) -> bool:
    try:
        linter.run_checks(metaflow_graph(path, "GenFlow"))
    except Exception:  # any lint or graph failure means Metaflow refuses the flow
        return False
    return True


def _placer_accepts(path: Path) -> bool:
    try:
        read_flow(path)
    except FlowError:
        return False
    return True


def mutate(source: str, kind: str, pick: int, target: int) -> str:
    """Break (or not) a valid flow: rewire one edge, add a second target, toggle `inputs`."""
    lines = source.splitlines()
    names = sorted({line.split("def ")[1].split("(")[0] for line in lines if "def " in line})
    other = names[target % len(names)]
    if kind == "inputs":
        defs = [i for i, line in enumerate(lines) if "def " in line]
        at = defs[pick % len(defs)]
        if "inputs" in lines[at]:
            lines[at] = lines[at].replace(", inputs", "")
        else:
            lines[at] = lines[at].replace("(self)", "(self, inputs)")
        return "\n".join(lines) + "\n"
    tails = [i for i, line in enumerate(lines) if "self.next(self." in line and "{" not in line]
    at = tails[pick % len(tails)]
    old = lines[at].split("self.next(self.")[1].split(")")[0].split(",")[0]
    new = f"self.{other}" if kind == "rewire" else f"self.{old}, self.{other}"
    lines[at] = lines[at].replace(f"self.{old}", new, 1)
    return "\n".join(lines) + "\n"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    elements=st.lists(ELEMENTS, min_size=1, max_size=3).filter(
        lambda es: sum(map(element_size, es)) <= 18
    ),
    kind=st.sampled_from(["rewire", "second-target", "inputs"]),
    pick=st.integers(min_value=0, max_value=10_000),
    target=st.integers(min_value=0, max_value=10_000),
)
def test_agrees_with_metaflow_on_mutated_flows(tmp_path_factory, elements, kind, pick, target):
    """Both accept or both refuse a mutated flow (most mutations break it)."""
    source = mutate(render_flow(elements, False, []), kind, pick, target)
    path = tmp_path_factory.mktemp("mutated") / "genflow.py"
    path.write_text(source)
    assert _placer_accepts(path) == _metaflow_accepts(path), source
