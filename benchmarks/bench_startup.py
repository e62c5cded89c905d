"""Start-up time of the CLI: `placer --help` and `placer graph` against `python -c pass`.

Every round runs each command once, one after the other, so machine noise hits them
alike; the figures are medians over the rounds, plus the fastest wall time, which is what
a command costs when it does not share the 2 cores with other work (the load average at
the start is printed with them). The import breakdown comes from `python -X importtime`
and names what dominates each command's start-up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 15
GOAL_S = 0.15
EXAMPLE = ROOT / "examples" / "crosscloud" / "crosscloudflow.py"


def _placer() -> list[str]:
    script = Path(sys.executable).parent / "placer"
    return [str(script)] if script.exists() else [sys.executable, "-m", "placer"]


def _commands() -> dict[str, list[str]]:
    placer = _placer()
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "placer --help": [*placer, "--help"],
        "placer --version": [*placer, "--version"],
        "placer graph (table)": [*placer, "graph", str(EXAMPLE)],
        "placer graph --format json": [*placer, "graph", str(EXAMPLE), "--format", "json"],
    }


def _time_once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run; CPU is steadier on a busy machine."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(rounds: int = ROUNDS) -> dict[str, tuple[float, float, float]]:
    """Median wall, median CPU and fastest wall seconds per command, in interleaved rounds."""
    commands = _commands()
    for argv in commands.values():  # warm the file cache and .pyc files
        _time_once(argv)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, argv in commands.items():
            samples[name].append(_time_once(argv))
    return {
        name: (
            statistics.median(w for w, _ in values),
            statistics.median(c for _, c in values),
            min(w for w, _ in values),
        )
        for name, values in samples.items()
    }


def import_costs(args: list[str]) -> list[tuple[str, float]]:
    """Cumulative ms of the imports under `placer.cli` (and typer/rich/pydantic anywhere)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "placer", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    rows: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        name = name.strip()
        wanted = name.startswith("placer.") or name in ("typer", "rich.console", "pydantic")
        if wanted and cumulative.strip().isdigit():
            rows[name] = max(rows.get(name, 0.0), int(cumulative) / 1000.0)
    return sorted(rows.items(), key=lambda r: -r[1])[:10]


def run() -> str:
    """The markdown section for docs/benchmarks.md."""
    load = os.getloadavg()[0]
    medians = measure()
    base_wall, base_cpu, base_best = medians["python -c pass"]
    help_wall, help_cpu, help_best = medians["placer --help"]
    lines = [
        "## CLI start-up",
        "",
        f"Medians over {ROUNDS} interleaved rounds (each round runs every command once), and "
        "the fastest wall time. CPU is user + system time of the process, steadier than wall "
        "time when the machine is busy; the fastest run comes closest to the cost without "
        "contention. "
        f"Load average (1 min) at the start: {load:.2f} on {os.cpu_count()} cores.",
        f"Goal: `placer --help` within {GOAL_S:.2f} s.",
        "",
        "| command | wall (s) | wall - python (s) | fastest wall (s) | CPU (s) "
        "| CPU - python (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (wall, cpu, best) in medians.items():
        lines.append(
            f"| `{name}` | {wall:.3f} | {wall - base_wall:+.3f} | {best:.3f} | {cpu:.3f} "
            f"| {cpu - base_cpu:+.3f} |"
        )
    lines += ["", _verdict(help_wall, help_best, help_cpu)]
    for label, args in (("placer --help", ["--help"]), ("placer graph", ["graph", str(EXAMPLE)])):
        lines += ["", f"Largest imports of `{label}` (cumulative ms, one `-X importtime` run):", ""]
        lines += [f"- `{name}`: {ms:.1f}" for name, ms in import_costs(args)]
    return "\n".join(lines)


def _verdict(median_s: float, fastest_s: float, cpu_s: float) -> str:
    def word(seconds: float) -> str:
        return "meets" if seconds <= GOAL_S else "misses"

    return (
        f"`placer --help` {word(median_s)} the goal by median wall time ({median_s:.3f} s) "
        f"and {word(fastest_s)} it by its fastest run ({fastest_s:.3f} s); by CPU time, "
        f"which other load on the machine does not inflate, it {word(cpu_s)} it "
        f"({cpu_s:.3f} s)."
    )


if __name__ == "__main__":
    print(run())
