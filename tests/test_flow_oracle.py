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
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metaflow.graph import FlowGraph
from metaflow.lint import linter

from placer.errors import FlowError
from placer.flow import Flow, read_flow

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


def metaflow_foreach_stack(graph: FlowGraph, name: str) -> tuple[str, ...]:
    """Enclosing foreach steps as Metaflow sees them: foreach split parents not joined here."""
    node = graph[name]
    return tuple(
        p
        for p in node.split_parents
        if graph[p].type == "foreach" and graph[p].matching_join != name
    )


def assert_agrees(flow: Flow, graph: FlowGraph) -> None:
    assert flow.name == graph.name
    assert set(flow.steps) == set(graph.nodes)
    for name, step in flow.steps.items():
        node = graph[name]
        ours = (
            step.type,
            list(step.next),
            step.foreach,
            step.num_parallel,
            step.condition,
            dict(step.switch_cases),
            step.in_foreach,
            step.foreach_stack,
            step.line,
            sorted(d.name for d in step.decorators if d.name != "project"),
        )
        theirs = (
            node.type,
            node.out_funcs,
            node.foreach_param,
            node.num_parallel or None,
            node.condition,
            node.switch_cases,
            node.is_inside_foreach,
            metaflow_foreach_stack(graph, name),
            node.func_lineno,
            sorted(d.name for d in node.decorators),
        )
        assert ours == theirs, name


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


# --- generated flows --------------------------------------------------------------------

# A block is a list of elements; an element is ("linear",), ("parallel",),
# ("split", [block, ...]), ("foreach", block) or ("switch", [block, ...]).
_leaf = st.sampled_from([("linear",), ("linear",), ("parallel",)])


def _compound(children):
    block = st.lists(children, min_size=1, max_size=2)
    return st.one_of(
        st.tuples(st.just("split"), st.lists(block, min_size=2, max_size=3)),
        st.tuples(st.just("foreach"), block),
        st.tuples(st.just("switch"), st.lists(block, min_size=2, max_size=3)),
    )


_element = st.recursive(_leaf, _compound, max_leaves=6)


@dataclass
class _Builder:
    """Turns a block tree into step definitions: name -> (args, tail, decorators)."""

    steps: dict[str, tuple[str, str, list[str]]] = field(default_factory=dict)
    count: int = 0

    def new(self, args: str = "self", deco: list[str] | None = None, name: str | None = None):
        if name is None:
            name, self.count = f"s{self.count}", self.count + 1
        self.steps[name] = (args, "", deco or [])
        return name

    def link(self, src: str, tail: str) -> None:
        args, _, deco = self.steps[src]
        self.steps[src] = (args, tail, deco)

    def block(self, elements, entry_name: str | None = None) -> tuple[str, str]:
        first = last = None
        for i, element in enumerate(elements):
            entry, exit_ = self.element(element, entry_name if i == 0 else None)
            if last is not None:
                self.link(last, f"self.next(self.{entry})")
            first, last = first or entry, exit_
        return first, last

    def element(self, element, name: str | None) -> tuple[str, str]:
        kind = element[0]
        if kind == "linear":
            node = self.new(name=name)
            return node, node
        if kind == "parallel":
            head = self.new(name=name)
            body = self.new(deco=["@parallel"])
            join = self.new(args="self, inputs")
            self.link(head, f"self.next(self.{body}, num_parallel=2)")
            self.link(body, f"self.next(self.{join})")
            return head, join
        head = self.new(name=name)
        if kind == "foreach":
            entry, exit_ = self.block(element[1])
            join = self.new(args="self, inputs")
            self.link(head, f"self.next(self.{entry}, foreach='items')")
            self.link(exit_, f"self.next(self.{join})")
            return head, join
        branches = [self.block(b) for b in element[1]]
        close = self.new(args="self, inputs" if kind == "split" else "self")
        if kind == "split":
            self.link(head, "self.next(" + ", ".join(f"self.{e}" for e, _ in branches) + ")")
        else:
            cases = ", ".join(f"'k{i}': self.{e}" for i, (e, _) in enumerate(branches))
            self.link(head, f"self.next({{{cases}}}, condition='mode')")
        for _, exit_ in branches:
            self.link(exit_, f"self.next(self.{close})")
        return head, close


def render_flow(elements, start_is_entry: bool, order: list[int]) -> str:
    """Flow source for the element list; methods are written in the permuted `order`."""
    b = _Builder()
    if start_is_entry and elements:
        _, last = b.block(elements, entry_name="start")
    else:
        b.new(name="start")
        last = "start"
        if elements:
            entry, last_ = b.block(elements)
            b.link("start", f"self.next(self.{entry})")
            last = last_
    b.new(name="end")
    b.link(last, "self.next(self.end)")
    names = list(b.steps)
    lines = ["from metaflow import FlowSpec, parallel, step", "", "", "class GenFlow(FlowSpec):"]
    for index in sorted(range(len(names)), key=lambda i: order[i % len(order)] if order else i):
        args, tail, decos = b.steps[names[index]]
        lines += [f"    {d}" for d in decos]
        lines += [
            "    @step",
            f"    def {names[index]}({args}):",
            "        self.items = [1, 2]",
            "        self.mode = 'k0'",
        ]
        lines.append(f"        {tail}" if tail else "        pass")
        lines.append("")
    return "\n".join(lines) + "\n"


def _size(element) -> int:
    kind = element[0]
    if kind == "linear":
        return 1
    if kind == "parallel":
        return 3
    if kind == "foreach":
        return 2 + sum(_size(e) for e in element[1])
    return 2 + sum(_size(e) for block in element[1] for e in block)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    elements=st.lists(_element, max_size=3).filter(lambda es: sum(map(_size, es)) <= 22),
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
    elements=st.lists(_element, min_size=1, max_size=3).filter(
        lambda es: sum(map(_size, es)) <= 18
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
