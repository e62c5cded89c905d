"""Benchmark: `placer report` rendering speed and comment size.

Synthetic plans (F flows x S steps, every step moved to another pool and 10% dearer) are
compared with their base plans and rendered in each format; the largest case exceeds GitHub's
comment limit, so `github` also measures truncation. Also: `placer report` end to end as a
subprocess on the largest case, and the interpreter start-up it sits on.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from placer.output.report import render_report  # noqa: E402
from placer.plan import Cost, Plan, SolverStats, StepPlan  # noqa: E402
from placer.report import build_report  # noqa: E402

CASES = [(1, 10), (10, 50), (40, 200)]
POOLS = ["aws-use1", "gcp-usc1", "azure-eus"]


def _step(i: int, shift: int, compute: str, nxt: tuple[str, ...]) -> StepPlan:
    pool = POOLS[(i + shift) % 3]
    return StepPlan(
        pool,
        pool.split("-")[0],
        "r",
        "on-demand",
        {},
        None,
        "m7i.large",
        {},
        4,
        Decimal("2.5"),
        Cost(Decimal(compute), Decimal("0.25")),
        reasons=("cheapest pool with room for the memory floor",),
        next=nxt,
    )


def _plan(flow: int, steps: int, head: bool) -> Plan:
    names = [f"step_{j:04d}" for j in range(steps)]
    plan_steps = {
        n: _step(j, int(head), "1.10" if head else "1.00", tuple(names[j + 1 : j + 2]))
        for j, n in enumerate(names)
    }
    return Plan(
        f"Flow{flow:03d}",
        f"flows/f{flow:03d}.py",
        "0" * 64,
        None,
        None,
        "snapshot",
        "2026-11-01",
        "cost",
        {},
        30,
        plan_steps,
        {},
        SolverStats("HiGHS", "optimal", 0.0, 0.0, 0.0),
    )


def _best_ms(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _case_rows() -> list[str]:
    rows = []
    for flows, steps in CASES:
        heads = [_plan(f, steps, True) for f in range(flows)]
        bases = [_plan(f, steps, False) for f in range(flows)]
        build_ms = _best_ms(lambda h=heads, b=bases: build_report(h, b))
        built = build_report(heads, bases)
        cells = [f"{flows} x {steps}", f"{build_ms:.2f}"]
        for fmt in ("markdown", "github", "json", "table"):
            ms = _best_ms(lambda f=fmt, r=built: render_report(r, f), repeat=3)
            size = len(render_report(built, fmt))
            cells.append(f"{ms:.0f} ms / {size:,}")
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _cli_ms() -> tuple[float, float]:
    flows, steps = CASES[-1]
    with tempfile.TemporaryDirectory() as tmp:
        for side, head in (("head", True), ("base", False)):
            (Path(tmp) / side).mkdir()
            for f in range(flows):
                (Path(tmp) / side / f"f{f}.json").write_text(_plan(f, steps, head).dumps())
        argv = [
            sys.executable,
            "-m",
            "placer",
            "report",
            f"{tmp}/head",
            "--compare-to",
            f"{tmp}/base",
            "-f",
            "github",
            "-o",
            f"{tmp}/c.md",
        ]
        report_ms = _best_ms(lambda: subprocess.run(argv, check=True, capture_output=True), 3)
    bare = [sys.executable, "-c", "pass"]
    return report_ms, _best_ms(lambda: subprocess.run(bare, check=True), 3)


def run() -> str:
    rows = _case_rows()
    report_ms, python_ms = _cli_ms()
    flows, steps = CASES[-1]
    return "\n".join(
        [
            "## Report rendering (`placer report`)",
            "",
            "Best of 3-5 runs; each cell is render time / output characters. Flows x steps, every "
            "step moved and 10% dearer than its base.",
            "",
            "| flows x steps | build (ms) | markdown | github (truncated) | json | table |",
            "|---|--:|--:|--:|--:|--:|",
            *rows,
            "",
            f"`placer report` as a subprocess, {flows} x {steps} (reading {2 * flows} plan files, "
            f"writing the github comment): {report_ms:.0f} ms, of which a bare Python start-up "
            f"is {python_ms:.0f} ms.",
        ]
    )


if __name__ == "__main__":
    print(run())
