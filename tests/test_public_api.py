"""The names `import placer` promises, used the way the module docstring shows."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import placer

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "crosscloud" / "crosscloudflow.py"


@pytest.mark.parametrize("name", placer.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(placer, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        placer.no_such_thing  # noqa: B018


def test_docstring_pipeline_plans_the_example():
    flow = placer.read_flow(EXAMPLE)
    config = placer.load_config(EXAMPLE)
    plan = placer.plan_flow(flow, config, placer.market_from_catalog(placer.load_catalog()))
    assert list(plan.steps) == list(flow.steps)
    assert plan.per_month.total == sum((s.cost.total for s in plan.steps.values()), Decimal(0)) * 30
    assert "CrossCloudFlow" in placer.output.render(plan, fmt="markdown")


def test_import_placer_stays_light():
    heavy = ("placer.flow", "placer.optimize", "pulp", "typer")
    code = f"import sys, placer; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
