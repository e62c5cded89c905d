"""Benchmark: placer now against placer before issue 13's rewrites, side by side in one run.

OLD_COMMIT is the last commit of main before the greedy baseline (194fb84) and the optimizer
(e91cdda) were rewritten; its placer/ and pricing/ are taken out with `git archive` into a
temporary folder. Every measurement runs in a fresh process, before and now alternately (the
order flips every repetition), REPS times; the tables give medians and now / before.

1. plan: the instances of bench_plan's scaling table, built once by today's code and pickled,
   so both trees solve the very same Space: `build_problem` then `solve_with_cuts(problem,
   "highs", 30 s, gap=1%)` (the calls bench_plan times); wall and CPU seconds.
2. baselines: `greedy` on bench_baselines' instances, same pickles; CPU seconds.
3. plan_large: `python -m placer plan bigflow.py --format json` on bench_plan_large's flow,
   the whole command (wall seconds, peak memory); each tree prices with its own cost model.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _old_tree import ROOT, alternate, median, old_tree, tree_env  # noqa: E402

OLD_COMMIT = "a8f7fa3"  # main just before the greedy (194fb84) and optimizer (e91cdda) rewrites
REPS = 5
PLAN = [(n, s) for s in (96.0, 24.0, 12.0) for n in (100, 500, 2000)]
GREEDY = [(n, s, "") for n in (100, 500, 2000) for s in (24.0, 12.0)] + [
    (n, 12.0, v) for n in (500, 2000) for v in ("late", "budget")
]
LARGE = [("`--gap 1%`", ["--gap", "1%"]), ("default (`--gap 0.01%`)", [])]
LABEL = {
    96.0: "loose",
    24.0: "moderate",
    12.0: "tight",
    "late": "tight, deadline at the fastest",
    "budget": "tight, over budget",
}

# Builds the instances with today's code (ROOT first on sys.path) and pickles them.
_MAKE = """
import pickle, sys
sys.path[:0] = [sys.argv[1] + "/benchmarks"]
import bench_baselines, bench_plan
n, scale, variant = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
space = bench_plan.random_space(n, 50, cap_scale=scale)
space = {"late": bench_baselines.late, "budget": bench_baselines.over_budget}.get(
    variant, lambda s: s)(space)
pickle.dump(space, open(sys.argv[5], "wb"))
"""

# Solves (plan) or repairs (greedy) one pickled instance with the tree on PYTHONPATH. A class
# the old tree lacks (data added since, such as placer.hardware's) loads as plain attributes.
_WORKER = """
import hashlib, json, pickle, sys, time
from placer.optimize.evaluate import evaluate
class Data:
    def __init__(self, *args, **kwargs):
        self.args = args
    def __setstate__(self, state):
        self.__dict__.update(state[1] or {} if isinstance(state, tuple) else state)
class Loader(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (Data,), {})
space = Loader(open(sys.argv[2], "rb")).load()
began, cpu = time.perf_counter(), time.process_time()
if sys.argv[1] == "plan":
    from placer.optimize.problem import build_problem
    from placer.optimize.solve import solve_with_cuts
    solution = solve_with_cuts(build_problem(space), "highs", 30.0, gap=0.01)
    placed, how = solution.assignment, [solution.stats.solver, solution.stats.status,
                                         solution.stats.gap]
else:
    from placer.optimize.baselines import greedy
    placed, note = greedy(space)
    how = [note]
wall, cpu = time.perf_counter() - began, time.process_time() - cpu
result = evaluate(space, placed) if placed else None
print(json.dumps({
    "wall": wall, "cpu": cpu, "how": how,
    "cost": result.total_usd if result else None,
    "feasible": bool(result and result.feasible),
    "placement": hashlib.sha256(json.dumps(sorted((placed or {}).items())).encode())
    .hexdigest()[:12],
}))
"""


def _python(tree: Path, argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *argv],
        cwd=cwd,
        env=tree_env(tree),
        capture_output=True,
        text=True,
        check=True,
    )


def _same(before: list[dict], now: list[dict], key: str) -> str:
    olds, news = {r[key] for r in before}, {r[key] for r in now}
    return "same" if olds == news and len(olds) == 1 else "differ"


def _instances(folder: Path) -> dict:
    files = {}
    for n, scale, variant in {(n, s, "") for n, s in PLAN} | set(GREEDY):
        path = folder / f"space-{n}-{scale}-{variant or 'plain'}.pickle"
        _python(ROOT, ["-c", _MAKE, str(ROOT), str(n), str(scale), variant, str(path)])
        files[n, scale, variant] = path
    return files


def _solver_rows(task: str, cases: list, files: dict, old: Path) -> list[str]:
    rows = []
    key = "wall" if task == "plan" else "cpu"
    for case in cases:
        n, scale, variant = case if len(case) == 3 else (*case, "")
        path = str(files[n, scale, variant])

        def measure(before: bool, path: str = path) -> dict:
            done = _python(old if before else ROOT, ["-c", _WORKER, task, str(path)])
            return json.loads(done.stdout.strip().splitlines()[-1])

        before, now = alternate(measure, REPS)
        b, w = median(before, key), median(now, key)
        how_b, how_n = before[0]["how"], now[0]["how"]
        how = _how(how_n) if how_b == how_n else f"{_how(how_b)} / {_how(how_n)}"
        cost = now[0]["cost"]
        times = f"{b:.2f} s | {w:.2f} s | {w / b:.2f}"
        if task == "plan":  # HiGHS may use a second thread: CPU seconds too
            cb, cn = median(before, "cpu"), median(now, "cpu")
            times += f" | {cb:.2f} s / {cn:.2f} s, {cn / cb:.2f}"
        rows.append(
            f"| {n} x 50 | {LABEL[variant or scale]} | {times} | "
            f"{how} | {'-' if cost is None else f'{cost:.2f}'} | "
            f"{_same(before, now, 'cost')}, {_same(before, now, 'placement')} |"
        )
    return rows


def summary(rows: list[str]) -> str:
    """What a table's rows say: how many gave the same placement, the range of now / before."""
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    cost = sum(c[-1].startswith("same,") for c in cells)
    placed = sum(c[-1].endswith(", same") for c in cells)
    said = (
        f"Of {len(cells)} instances, the same cost on {cost} and the very same placement on "
        f"{placed} (HiGHS may pick another placement of equal cost); now / before: "
    )
    ranges = [("", [float(c[4]) for c in cells])]
    if cells and cells[0][5].endswith(tuple("0123456789")):  # the plan table's CPU column
        ranges = [("wall ", ranges[0][1]), ("CPU ", [float(c[5].split(", ")[1]) for c in cells])]
    return (
        said
        + "; ".join(
            f"{what}{min(r):.2f} to {max(r):.2f} (median {statistics.median(r):.2f})"
            for what, r in ranges
        )
        + "."
    )


def _how(how: list) -> str:
    if len(how) == 1:  # greedy's note
        moves = re.search(r"(\d+) move", how[0])
        failed = ", failed" if "failed" in how[0] else ""
        return f"{moves.group(1) if moves else 0} moves{failed}"
    solver, status, gap = how
    return f"{solver}, {status}, {'-' if gap is None else f'{gap:.2%}'}"


def _large_rows(old: Path, folder: Path) -> list[str]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_plan_large import _PEAK, write_flow

    flow = folder / "large"
    flow.mkdir()
    write_flow(flow)
    rows = []
    for label, extra in LARGE:

        def measure(before: bool, extra: list[str] = extra) -> dict:
            began = time.perf_counter()
            argv = ["-c", _PEAK, sys.executable, "-m", "placer", "plan", "bigflow.py"]
            done = _python(old if before else ROOT, [*argv, "--format", "json", *extra], flow)
            plan, s = json.loads(done.stdout), json.loads(done.stdout)["solver"]
            return {
                "wall": time.perf_counter() - began,
                "peak": int(done.stderr.strip().splitlines()[-1]) / 1024,
                "how": f"{s['solver']}, {s['status']}, {s['gap']:.3%}, {s['seconds']:.2f} s",
                "cost": float(plan["totals"]["per_run"]["total"]),
            }

        before, now = alternate(measure, REPS)
        b, w = median(before, "wall"), median(now, "wall")
        rows.append(
            f"| {label} | {b:.2f} s | {w:.2f} s | {w / b:.2f} | {before[0]['how']} | "
            f"{now[0]['how']} | {before[0]['cost']:.2f} / {now[0]['cost']:.2f} | "
            f"{max(r['peak'] for r in before):.0f} / {max(r['peak'] for r in now):.0f} MB |"
        )
    return rows


def _head() -> str:
    """This checkout's commit, with "+ changes" when its tracked files differ from it."""

    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True).stdout

    dirty = git("status", "--porcelain", "--untracked-files=no").strip()
    return git("rev-parse", "--short", "HEAD").strip() + (" + changes" if dirty else "")


def run() -> str:
    """The markdown section for docs/benchmarks.md."""
    now = _head()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        old = old_tree(OLD_COMMIT, folder / "old", "bench_rewrite")
        files = _instances(folder)
        plan = _solver_rows("plan", PLAN, files, old)
        greedy = _solver_rows("greedy", GREEDY, files, old)
        large = _large_rows(old, folder)
    head = (
        "| steps x pools | instance | before | now | now / before | how | cost | "
        "cost, placement |\n|---|---|---|---|---|---|---|---|\n"
    )
    plan_head = head.replace("now / before |", "now / before | CPU: before / now, ratio |")
    plan_head = plan_head.replace("|---|\n", "|---|---|\n")
    return (
        "## Before and after the rewrites of issue 13\n\n"
        f"placer at commit {OLD_COMMIT} (main just before the greedy baseline and the "
        "optimizer were rewritten: pulp's model handed to HiGHS, the 688-line repair) against "
        f"this checkout ({now}), side by side in one run: every figure is a fresh process, "
        f"before and now alternately, the order flipped every repetition; medians of {REPS}. "
        "*cost, placement*: whether both trees gave the same cost and the very same placement.\n\n"
        '**plan**: the instances of the scaling table in "placer plan" (random layered DAGs, '
        "a vCPU limit on every pool, a deadline), built once by today's cost model and "
        "pickled, so both trees solve the same Space: `build_problem` then `solve_with_cuts("
        'problem, "highs", 30 s, gap=1%)`. Wall seconds, then the process\'s CPU seconds '
        "(HiGHS may run a second thread); cost in USD per run.\n\n"
        + plan_head
        + "\n".join(plan)
        + f"\n\n{summary(plan)}"
        + '\n\n**baselines**: `greedy` on the instances of "greedy baseline", same pickles. '
        "CPU seconds; *how*: repair moves made, *failed* when no single move could meet "
        "every limit.\n\n"
        + head
        + "\n".join(greedy)
        + f"\n\n{summary(greedy)}"
        + "\n\n**plan_large**: `python -m placer plan bigflow.py --format json` on the "
        '2011-step flow of "placer plan, end to end", the whole command, wall seconds. '
        "Each tree prices with its own cost model here (today's adds node allocatable and "
        "DaemonSets), so the instances differ: the solver's own seconds are in *how*; costs "
        "are USD per run and peak memory the largest of the runs, before / now.\n\n"
        "| `placer plan bigflow.py` | before | now | now / before | before: how | now: how | "
        "cost | peak memory |\n|---|---|---|---|---|---|---|---|\n" + "\n".join(large)
    )


if __name__ == "__main__":
    print(run())
