"""plan.json fuzzed: a damaged or hostile plan is reported, applied or refused with a
one-line error (exit 2), never a crash (exit 1); nothing is written on failure."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.fuzz import FUZZ, damaged_text, json_text, mutated
from hypothesis import given
from hypothesis import strategies as st

from placer.cli import main
from placer.cli._env import Environment

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "crosscloud"


def _run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, width=100))
    return code, err.getvalue()


@pytest.fixture(scope="module")
def plan_text(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real plan of the cross-cloud example (made once for the module)."""
    directory = tmp_path_factory.mktemp("fuzz-plan")
    shutil.copy(EXAMPLE / "crosscloudflow.py", directory / "flow.py")
    shutil.copy(EXAMPLE / "placer.yaml", directory / "placer.yaml")
    code, err = _run("plan", str(directory / "flow.py"), "--out", str(directory / "plan.json"))
    assert code == 0, err
    plan = json.loads((directory / "plan.json").read_text())
    plan["flow"]["file"], plan["config"]["file"] = "flow.py", "placer.yaml"  # beside the plan
    yield json.dumps(plan, indent=2)


def _texts(seed: str) -> st.SearchStrategy[str]:
    return mutated(json.loads(seed), mutations=4).map(json_text) | damaged_text(seed)


@FUZZ
@given(data=st.data())
def test_a_fuzzed_plan_is_reported_applied_or_refused_never_a_crash(
    plan_text: str, data: st.DataObject
) -> None:
    text = data.draw(_texts(plan_text))
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        flow = directory / "flow.py"
        shutil.copy(EXAMPLE / "crosscloudflow.py", flow)
        shutil.copy(EXAMPLE / "placer.yaml", directory / "placer.yaml")
        plan = directory / "plan.json"
        plan.write_text(text)
        before = flow.read_bytes()
        for fmt in ("github", "json", "table"):
            code, err = _run("report", str(plan), "--format", fmt)
            assert code in (0, 2) and "error: unexpected" not in err, err
        code, err = _run("apply", str(plan), "--check")  # errors are 1 under --check, by design
        assert code in (0, 1, 2) and "error: unexpected" not in err, err
        out = directory / "selectors.json"
        code, err = _run("apply", str(plan), "--mode", "selectors", "--out", str(out))
        assert code in (0, 2) and "error: unexpected" not in err, err
        assert out.exists() == (code == 0)
        code, err = _run("apply", str(plan))
        assert code in (0, 2) and "error: unexpected" not in err, err
        if code != 0:
            assert flow.read_bytes() == before  # nothing half-written
        leftovers = [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]
        assert leftovers == []
