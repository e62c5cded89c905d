"""Benchmark: `placer plan` before and after issue 12's hardware-aware cost model, side by side.

OLD_COMMIT is main just before hardware-aware durations landed (placer/hardware.py, a
step's other hardware as extra options per pool, spot restarts priced, residency of data,
the plan's warnings); its placer/ and pricing/ are taken out with `git archive` into a
temporary folder. Every measurement is a fresh `python -m placer plan ... --format json`
process, before and now alternately (the order flips every repetition), REPS times; the
table gives medians, the command's own CPU seconds and peak memory (a wrapper process whose
only child it is). Each tree prices with its own cost model, so the plans differ: the
options each tree priced and the cost per run are shown next to the times.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _old_tree import ROOT, alternate, median, old_tree, tree_env  # noqa: E402

OLD_COMMIT = "24c83a6"  # main just before issue 12's hardware-aware durations landed
REPS = 5

# Runs a command; prints its CPU seconds and peak memory (KB) to stderr.
_WRAP = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(u.ru_utime + u.ru_stime, u.ru_maxrss, file=sys.stderr); sys.exit(done.returncode)"
)


def _measure(tree: Path, cwd: Path, argv: list[str]) -> dict:
    began = time.perf_counter()
    command = [sys.executable, "-c", _WRAP, sys.executable, "-m", "placer", "plan", *argv]
    done = subprocess.run(
        command, cwd=cwd, env=tree_env(tree), capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - began
    cpu, peak = done.stderr.strip().splitlines()[-1].split()
    plan = json.loads(done.stdout)
    return {
        "wall": wall,
        "cpu": float(cpu),
        "peak": int(peak) / 1024,
        "options": plan["solver"]["variables"],
        "solver": plan["solver"]["solver"],
        "cost": float(plan["totals"]["per_run"]["total"]),
    }


def _alternate(old: Path, cwd: Path, argv: list[str]) -> tuple[list[dict], list[dict]]:
    return alternate(lambda is_old: _measure(old if is_old else ROOT, cwd, argv), REPS)


def _cases(folder: Path) -> list[tuple[str, Path, list[str]]]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_plan_large import write_flow

    large = folder / "large"
    large.mkdir()
    write_flow(large)
    cases = [("2011-step flow (plan_large), `--gap 1%`", large, ["bigflow.py", "--gap", "1%"])]
    for name, flow in (("crosscloud", "crosscloudflow.py"), ("gpu_training", "trainflow.py")):
        shutil.copytree(ROOT / "examples" / name, folder / name)
        cases.append((f"examples/{name}", folder / name, [flow]))
    return cases


def run() -> str:
    """The markdown section for docs/benchmarks.md."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        old = old_tree(OLD_COMMIT, folder / "old", "bench_hardware")
        for label, cwd, argv in _cases(folder):
            before, now = _alternate(old, cwd, [*argv, "--format", "json"])
            b, n = before[0], now[0]
            wall_b, wall_n = median(before, "wall"), median(now, "wall")
            cpu_b, cpu_n = median(before, "cpu"), median(now, "cpu")
            rows.append(
                f"| {label} | {wall_b:.2f} s / {wall_n:.2f} s, {wall_n / wall_b:.2f} | "
                f"{cpu_b:.2f} s / {cpu_n:.2f} s, {cpu_n / cpu_b:.2f} | "
                f"{max(r['peak'] for r in before):.0f} / {max(r['peak'] for r in now):.0f} MB | "
                f"{b['options']} / {n['options']} | {b['solver']} / {n['solver']} | "
                f"{b['cost']:.2f} / {n['cost']:.2f} |"
            )
    return (
        "## Before and after issue 12's hardware-aware cost model\n\n"
        f"placer at {OLD_COMMIT} (main just before hardware-aware durations landed) against "
        "this checkout, side by side: each figure a fresh `python -m placer plan ... --format "
        f"json` process, before and now alternately, medians of {REPS}. *CPU* is the "
        "command's own (user + system); *options* the (step, pool or pool:type) options "
        "priced (the solver's `variables`: now a pool may offer a step faster hardware too); "
        "each tree plans with its own cost model, so costs differ (now: durations scaled to "
        "each CPU generation and accelerator).\n\n"
        "| `placer plan` | wall: before / now, ratio | CPU: before / now, ratio | peak memory "
        "| options | solver | cost per run (USD) |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows)
    )
