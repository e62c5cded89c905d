"""The notebooks run offline: executed by a real Jupyter kernel (nbclient), committed
without outputs, calling only placer's public API; explore_plan's cells also run in this
process so their values can be checked."""

import ast
import base64
import json
import re
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "explore_plan.ipynb"
WALKTHROUGH = NOTEBOOKS / "walkthrough.ipynb"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))


def _code_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _run(cells: list[str]) -> dict:
    """Exec each cell like a kernel would (a last expression is evaluated) in one namespace."""
    namespace: dict = {"__name__": "__main__"}
    for source in cells:
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), namespace)  # noqa: S102 - our own notebook
        if last is not None:
            namespace["_"] = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
    return namespace


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_notebook_uses_only_the_public_api(path):
    for source in _code_cells(path):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                assert not any("._" in n or n.startswith("_") for n in names), names


def test_notebook_cells_run_offline(monkeypatch, capsys):
    monkeypatch.chdir(NOTEBOOKS)
    ns = _run(_code_cells(NOTEBOOK))
    printed = capsys.readouterr().out
    assert ns["plan"].flow == "DemoFlow"
    assert "monthly cost: $1,359.00" in printed
    assert "## 💰 Monthly cost: $1,359.00" in printed
    costs = ns["costs"]
    assert list(costs.index) == ["start", "train", "score", "new_step", "end"]
    assert costs.loc["train", "total_usd_per_month"] == pytest.approx(1260.0)
    by_cloud = ns["_"]  # the last cell's value: the per-cloud sums (aws 6, gcp 1347, azure 6)
    assert by_cloud["total_usd_per_month"].to_dict() == pytest.approx(
        {"aws": 6.0, "azure": 6.0, "gcp": 1347.0}
    )
    assert "💰 Monthly cost will decrease by $252.00 (-16%)" in printed  # against the base


def _execute(path: Path) -> list[str]:
    """Run the notebook in a real Jupyter kernel from its folder; each code cell's outputs
    as text (streams, text/plain, text/markdown; images as "<image/png N bytes>")."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return [_text(cell) for cell in nb.cells if cell.cell_type == "code"]


def _text(cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            data = output.data
            if "image/png" in data:
                parts.append(f"<image/png {len(base64.b64decode(data['image/png']))} bytes>")
            parts.append(data.get("text/markdown") or data.get("text/plain", ""))
    return "\n".join(parts)


@pytest.fixture
def snapshot_prices(tmp_path, monkeypatch):
    """Embedded prices, and a "python3" kernel that is this interpreter (a kernelspec of
    that name elsewhere on the machine, say in the user's folder, would come first)."""
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "no-cache"))  # the kernel inherits it
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))


def test_walkthrough_runs_in_a_kernel_and_shows_each_step(snapshot_prices):
    setup, plan, dag, why, why_table, frontier, costs, capacity, spot, report = _execute(
        WALKTHROUGH
    )
    assert setup.startswith("TrainFlow: 5 steps, 3 pools, prices from the snapshot")
    assert "train " in plan and "g6.xlarge" in plan and "per month" in plan
    for picture in (dag, frontier, costs):
        size = int(re.search(r"<image/png (\d+) bytes>", picture).group(1))
        assert size > 10_000
    assert "train (4 tasks): runs in aws-use1" in why
    assert "gcp-usc1: dearer by $" in why and "egress of 168 GB/run" in why
    assert "chosen" in why_table and "egress" in why_table
    speeds = re.findall(r"^\s*([\d.]+) h\s+\$\s*([\d.]+)/run", frontier, re.M)
    assert len(speeds) >= 2
    hours = [float(h) for h, _ in speeds]
    usd = [float(c) for _, c in speeds]
    assert hours == sorted(hours) and usd == sorted(usd, reverse=True)  # faster costs more
    rows = dict(re.findall(r"^(\d)\s+(\S+)", capacity, re.M))
    assert rows["4"] == "aws-use1" and rows["3"] != "aws-use1"  # 4 tasks need 4 GPUs at once
    assert "x1.5" in spot and "x1 " in spot
    assert report.startswith("## 💰 Monthly cost will")


def test_explore_plan_runs_in_a_kernel(snapshot_prices):
    outputs = _execute(NOTEBOOK)
    assert "monthly cost: $1,359.00" in outputs[1]
    assert "## 💰 Monthly cost: $1,359.00" in outputs[2]
