"""The notebook runs offline: its code cells are executed in order (no Jupyter kernel)."""

import ast
import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "explore_plan.ipynb"


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


def test_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_notebook_uses_only_the_public_api():
    for source in _code_cells(NOTEBOOK):
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
