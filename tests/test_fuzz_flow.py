"""Flows fuzzed: a damaged flow file is read (and planned) or refused with a one-line error
naming its file and line (exit 2), never a crash (exit 1). Nothing in it is executed."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

from fixtures.fuzz import FUZZ, damaged_text
from hypothesis import given
from hypothesis import strategies as st

from placer.cli import main
from placer.cli._env import Environment

ROOT = Path(__file__).resolve().parents[1]
FLOWS = [
    (ROOT / "examples" / name).read_text()
    for name in ("crosscloud/crosscloudflow.py", "etl/etlflow.py", "branching/branchflow.py")
]
LITERALS = ("float('nan')", "'nan'", "1e999", "10**40", "-1", "0", "None", "True", "[1]",
            "{}", "'x'", "'a,b=c'", "\"k y=v\"", "'1e400'", "2**64", "1.5", "()")  # fmt: skip
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


@st.composite
def damaged_flow(draw: st.DrawFn) -> str:
    source = draw(st.sampled_from(FLOWS))
    if draw(st.booleans()):
        return draw(damaged_text(source))
    numbers = list(_NUMBER.finditer(source))
    match = draw(st.sampled_from(numbers))
    literal = draw(st.sampled_from(LITERALS))
    return source[: match.start()] + literal + source[match.end() :]


def _run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, width=100))
    return code, err.getvalue()


@FUZZ
@given(damaged_flow())
def test_a_damaged_flow_is_read_or_refused_never_a_crash(source: str) -> None:
    with tempfile.TemporaryDirectory() as name:
        flow = Path(name) / "flow.py"
        flow.write_text(source)
        code, err = _run("graph", str(flow))
        assert code in (0, 2) and "error: unexpected" not in err, err
        if code == 2:
            assert err.startswith(f"error: {flow}") and err.count("\n") == 1, err
            return
        code, err = _run("plan", str(flow), "--time-limit", "5", "--format", "json")
        assert code in (0, 2) and "error: unexpected" not in err, err
