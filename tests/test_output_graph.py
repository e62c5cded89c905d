"""`placer graph` as a table with placement lines, and as JSON (placer.output.graph)."""

import json
from pathlib import Path

import pytest

from placer.flow import read_flow
from placer.output.graph import graph_json, graph_table, placement_lines
from placer.output.table import to_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.mark.parametrize("path", ["crosscloud/crosscloudflow.py", "branching/branchflow.py"])
def test_graph_table_of_the_examples(path, golden, monkeypatch):
    monkeypatch.chdir(ROOT)  # the title names the file as given
    flow = read_flow(Path("examples") / path)
    lines = placement_lines(flow)
    parts = [graph_table(flow), *(["placement:\n" + "\n".join(lines)] if lines else [])]
    golden(f"output/graph.{flow.name}.table.txt", to_text(parts))


def test_graph_json_is_the_flows_json_form():
    flow = read_flow(EXAMPLES / "crosscloud/crosscloudflow.py")
    data = json.loads(graph_json(flow))
    assert data["flow"] == "CrossCloudFlow" and list(data["steps"]) == list(flow.steps)
