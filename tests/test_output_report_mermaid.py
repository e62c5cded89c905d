"""The Mermaid DAG: validated structurally, coloured by cloud, edges from plan or flow file."""

from dataclasses import replace
from pathlib import Path

from fixtures.mermaid import parse_mermaid as parse
from fixtures.plan.report_plans import demo_head, plan, step

from placer.output.report._mermaid import CLOUD_STYLES, mermaid
from placer.report import flow_edges

EXAMPLE = Path(__file__).resolve().parents[1] / "examples/crosscloud/crosscloudflow.py"


def test_demo_diagram_structure():
    head = demo_head()
    nodes, edges, classes = parse(mermaid(head, flow_edges(head)))
    assert nodes == {
        "s_start": ("start<br/>aws-use1", "aws"),
        "s_train": ("train<br/>gcp-usc1", "gcp"),
        "s_score": ("score<br/>gcp-usc1", "gcp"),
        "s_new_step": ("new_step<br/>azure-eus", "azure"),
        "s_end": ("end<br/>aws-use1", "aws"),
    }
    assert edges == [
        ("s_start", "s_train"),
        ("s_train", "s_score"),
        ("s_score", "s_new_step"),
        ("s_new_step", "s_end"),
    ]
    assert classes == set(CLOUD_STYLES)


def test_labels_are_escaped_and_unknown_clouds_grey():
    odd = plan("F", {"start": step('onprem-"rack"<1>#2', "1")})
    nodes, _, _ = parse(mermaid(odd, {}))
    label, cls = nodes["s_start"]
    assert label == "start<br/>onprem-#quot;rack#quot;#lt;1#gt;#35;2"
    assert cls == "other"


def test_edges_to_steps_outside_the_plan_are_left_out():
    p = plan("F", {"start": step("aws-use1", "1", nxt=("gone",))})
    _, edges, _ = parse(mermaid(p, flow_edges(p)))
    assert edges == []


def test_edges_come_from_the_flow_file_when_the_plan_has_none(monkeypatch):
    monkeypatch.chdir(EXAMPLE.parents[2])
    steps = {n: step("aws-use1", "1") for n in ("start", "process", "join", "end")}
    p = plan("CrossCloudFlow", steps)
    p = replace(p, flow_file="examples/crosscloud/crosscloudflow.py")
    assert flow_edges(p) == {
        "start": ("process",),
        "process": ("join",),
        "join": ("end",),
        "end": (),
    }
    _, edges, _ = parse(mermaid(p, flow_edges(p)))
    assert ("s_start", "s_process") in edges and len(edges) == 3


def test_no_flow_file_means_no_edges():
    p = plan("Nowhere", {"start": step("aws-use1", "1"), "end": step("aws-use1", "1")})
    assert flow_edges(p) == {}
    nodes, edges, _ = parse(mermaid(p, {}))
    assert len(nodes) == 2 and edges == []


def test_unreadable_flow_file_means_no_edges(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("broken.py").write_text("this is not python(\n")
    p = plan("Broken", {"start": step("aws-use1", "1")})
    p = replace(p, flow_file="broken.py")
    assert flow_edges(p) == {}


def test_diagrams_over_mermaids_limits_are_not_drawn():
    from placer.output import render
    from placer.output.report._mermaid import MAX_EDGES, fits_mermaid

    names = [f"s{i}" for i in range(MAX_EDGES + 2)]  # MAX_EDGES + 1 edges in a chain
    chain = {n: step("aws-use1", "1", nxt=tuple(names[i + 1 : i + 2])) for i, n in enumerate(names)}
    big = plan("Big", chain)
    assert not fits_mermaid(mermaid(big, flow_edges(big)))
    text = render(big, None, "markdown")
    assert "```mermaid" not in text
    assert "_The DAG of Big (502 steps) is too large to draw._" in text
    small = plan("Small", dict(list(chain.items())[: MAX_EDGES + 1]))  # exactly MAX_EDGES edges
    assert fits_mermaid(mermaid(small, flow_edges(small)))


def test_edges_are_not_read_from_a_flow_outside_the_working_directory(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    monkeypatch.chdir(repo)
    steps = {n: step("aws-use1", "1") for n in ("start", "process", "join", "end")}
    p = replace(plan("CrossCloudFlow", steps), flow_file=str(EXAMPLE))  # outside the repo
    assert flow_edges(p) == {}
