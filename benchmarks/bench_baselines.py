"""Benchmark: the `greedy` baseline's repair on large flows whose pool limits bind.

Instances: `bench_plan.random_space(n, 50, cap_scale=s)` for n in 100, 500, 2000 and
s in 24 (moderate limits) and 12 (tight ones); then the tight instances with a deadline at
the fastest makespan, or a budget under the cheapest cost. Side by side in one run, CPU
seconds: the repair as it was in two earlier commits (loaded from git) and
`placer.optimize.baselines.greedy` now; then each of the five speed-ups of
placer/optimize/_repair.py switched off in turn (its source patched in memory).
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_plan import random_space  # noqa: E402

import placer.optimize.baselines as baselines  # noqa: E402
from placer.optimize.baselines import cheapest_compute, greedy  # noqa: E402
from placer.optimize.evaluate import evaluate, longest_path  # noqa: E402
from placer.optimize.space import Space  # noqa: E402

NAIVE_COMMIT = "a2a3c6a"  # every trial move re-measured the two pools it touches
NAIVE_UP_TO = 500  # steps: not run on larger flows
PREVIOUS_COMMIT = "1488e8a"  # the 688-line repair this one replaced
CAP_S = 120.0  # an old repair is stopped after this long
MOVED = {"from placer.pool import Pool": "from placer.config import Pool"}  # imports since


class _TimeUp(Exception):
    pass


def _old_module(commit: str) -> types.ModuleType | None:
    """baselines.py as it was at `commit` (None when git or the commit is not there)."""
    try:
        text = subprocess.run(
            ["git", "show", f"{commit}:placer/optimize/baselines.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for before, now in MOVED.items():
        text = text.replace(before, now)
    module = types.ModuleType(f"baselines_{commit}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(text, f"baselines_{commit}.py", "exec"), module.__dict__)
    return module


def _timed(run: Callable[[], tuple[dict, str]]) -> tuple[float | None, tuple | None]:
    """CPU seconds and result of `run`, or (None, None) once CAP_S of wall time passed."""

    def stop(*_: object) -> None:
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, CAP_S)
    began = time.process_time()
    try:
        result = run()
    except _TimeUp:
        return None, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return time.process_time() - began, result


def _moves(note: str) -> int:
    words = note.split()
    return int(words[2] if note.startswith("repaired") else words[3]) if note else 0


def late(space: Space) -> Space:
    """The space with its deadline just above the fastest possible makespan."""
    fastest = {s: min(o.wall_hours for o in space.options[s]) for s in space.steps}
    bound, _ = longest_path(space.steps, space.edges, fastest)
    return dataclasses.replace(space, deadline_hours=round(bound * 1.001, 3))


def over_budget(space: Space) -> Space:
    """The space with a budget 3% under what the cheapest-compute placement costs."""
    cost = evaluate(space, cheapest_compute(space)).total_usd * space.runs_per_month
    return dataclasses.replace(space, budget_usd_per_month=round(cost * 0.97, 2))


def _old_cell(module: types.ModuleType | None, space: Space, result: tuple) -> str:
    if module is None:
        return "not run"
    seconds, theirs = _timed(lambda: module.greedy(space))
    if seconds is None:
        return f"> {CAP_S:.0f} s (stopped)"
    return f"{seconds:.2f} s" + ("" if theirs == result else " (other plan)")


def _row(n: int, label: str, space: Space, naive, previous) -> str:
    times, result = [], None
    for _ in range(3):
        seconds, result = _timed(lambda: greedy(space))
        times.append(seconds)
    placed, note = result
    feasible = "yes" if evaluate(space, placed).feasible else "no"
    naive_cell = _old_cell(naive if n <= NAIVE_UP_TO else None, space, result)
    previous_cell = _old_cell(previous, space, result)
    return (
        f"| {n} x 50 | {label} | {naive_cell} | {previous_cell} | "
        f"{times[0]:.2f} s / {min(times):.2f} s | {_moves(note)} | {feasible} |"
    )


def run_section() -> str:
    naive, previous = _old_module(NAIVE_COMMIT), _old_module(PREVIOUS_COMMIT)
    head = [
        f"| steps x pools | instance | {NAIVE_COMMIT} | {PREVIOUS_COMMIT} | now: first / best "
        "of 3 | moves | feasible |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = list(head)
    for n in (100, 500, 2000):
        for scale, label in ((24.0, "moderate limits (24)"), (12.0, "tight limits (12)")):
            rows.append(_row(n, label, random_space(n, 50, cap_scale=scale), naive, previous))
    others = list(head)
    for n in (500, 2000):
        tight = random_space(n, 50, cap_scale=12.0)
        others.append(_row(n, "tight, deadline at the fastest", late(tight), naive, previous))
        others.append(_row(n, "tight, over budget", over_budget(tight), naive, previous))
    return "\n".join(rows) + "\n\nWith a deadline or a budget as well:\n\n" + "\n".join(others)


# -- each speed-up of _repair.py switched off -------------------------------------------------


def _replace(text: str, old: str, new: str) -> str:
    if old not in text:
        raise SystemExit(f"bench_baselines: _repair.py changed, update the patch for {old!r}")
    return text.replace(old, new)


def _exhaustive(text: str) -> str:
    """1: every move of every suspect scored exactly, the least key kept."""
    start, end = text.index("    def best_move(self)"), text.index("    def key(self")
    plain = """    def best_move(self):
        now, best = rounded(self.excess), None
        for i, step in enumerate(self.suspects()):
            for j, option in self.moves_of(step):
                key = self.key(option, (i, j), exact=True)
                if key[0] < now and (best is None or key < best[0]):
                    best = (key, option)
        return None if best is None else best[1]

"""
    return text[:start] + plain + text[end:]


SPEEDUPS_OFF = {
    "1 bound first": _exhaustive,
    "2 pools kept": lambda text: _replace(
        text,
        """        if before.pool in self.pools:
            self.pools[before.pool] = self.pools[before.pool].after_leaving(option.step)
        if option.pool in self.pools:
            self.pools[option.pool] = self.pools[option.pool].after_joining(option)""",
        """        self.pools = {
            p: _Pool(self.space, self.order, p, {s: o for s, o in self.chosen.items()
                                                 if o.pool == p})
            for p in self.space.caps
        }""",
    ),
    "3 least flow kept": lambda text: _replace(
        text,
        "self.left[key] = flow = self.flow(resource).without(here.step)",
        "self.left[key] = flow = least_flow(self.space.steps, self.space.edges, "
        "{s: o.load[resource] for s, o in self.members.items() if s != here.step})",
    ),
    "4 known antichains": lambda text: _replace(
        text,
        "after = over(max([peak - here.load[resource], *known]), cap)",
        "after = over(peak - here.load[resource], cap)",
    ),
    "5 flows carried": lambda text: _replace(
        text,
        "return _Pool(self.space, self.order, self.name, members, flows, known)",
        "return _Pool(self.space, self.order, self.name, members, {}, known)",
    ),
}


def _variant(name: str, patch: Callable[[str], str]) -> types.ModuleType:
    text = patch((ROOT / "placer" / "optimize" / "_repair.py").read_text())
    module = types.ModuleType(f"repair_without_{name.split()[0]}")
    sys.modules[module.__name__] = module
    exec(compile(text, module.__name__, "exec"), module.__dict__)
    return module


def speedups_section() -> str:
    tight = random_space(2000, 50, cap_scale=12.0)
    cases = [("tight", tight), ("deadline", late(tight)), ("budget", over_budget(tight))]
    rows = [
        "| switched off | " + " | ".join(label for label, _ in cases) + " |",
        "|---|" + "---|" * len(cases),
    ]
    variants = {"none": None} | {k: _variant(k, p) for k, p in SPEEDUPS_OFF.items()}
    expected = {label: greedy(space) for label, space in cases}
    real = baselines.Repair
    try:
        for name, module in variants.items():
            baselines.Repair = real if module is None else module.Repair
            cells = []
            for label, space in cases:
                seconds, result = _timed(lambda space=space: greedy(space))
                same = "" if result is None or result == expected[label] else " (other plan)"
                cells.append("stopped" if seconds is None else f"{seconds:.2f} s{same}")
            rows.append(f"| {name} | " + " | ".join(cells) + " |")
    finally:
        baselines.Repair = real
    return "\n".join(rows)


def run() -> str:
    """The markdown section for docs/benchmarks.md."""
    return (
        "## greedy baseline\n\n"
        "`greedy` (placer/optimize/baselines.py): each step in its cheapest-compute pool, "
        "then repaired one single-step move at a time while a limit is broken. Instances: "
        "`bench_plan.random_space(n, 50, cap_scale)` (every pool has a vCPU limit, a "
        "deadline 1.25 x the fastest makespan). CPU seconds, side by side in one run: "
        f"*{NAIVE_COMMIT}*, the repair that re-measured the two pools every trial move "
        f"touches and walked the whole DAG (not run above {NAIVE_UP_TO} steps); "
        f"*{PREVIOUS_COMMIT}*, the 688-line repair the present one replaced; *now*, "
        "placer/optimize/_repair.py, first run (cold caches) and best of 3. An old repair "
        f"is stopped after {CAP_S:.0f} s; *(other plan)* marks a placement different from "
        "now's. *moves*: repair moves made; *feasible*: the result meets every limit (a "
        "repair stops when no single move lowers the overshoot).\n\n"
        f"{run_section()}\n\n"
        "Each speed-up of placer/optimize/_repair.py switched off in turn (its source "
        "patched in memory), 2000 x 50, tight limits; then with the deadline at the "
        "fastest makespan; then over budget. CPU seconds:\n\n"
        f"{speedups_section()}"
    )


if __name__ == "__main__":
    print(run())
