"""Start-up time of the CLI: `placer --help` and `placer graph` against `python -c pass`.

Every round runs each command once, one after the other, so machine noise hits them
alike; the figures are medians over the rounds. The import breakdown comes from
`python -X importtime` and names what dominates each command's start-up.
"""

from __future__ import annotations

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


def _time_once(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def measure(rounds: int = ROUNDS) -> dict[str, float]:
    """Median wall time in seconds per command, measured in interleaved rounds."""
    commands = _commands()
    for argv in commands.values():  # warm the file cache and .pyc files
        _time_once(argv)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, argv in commands.items():
            samples[name].append(_time_once(argv))
    return {name: statistics.median(values) for name, values in samples.items()}


def top_imports(args: list[str], count: int = 8) -> list[tuple[str, float]]:
    """The slowest top-level imports (cumulative ms) of `python -X importtime -m placer ARGS`."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "placer", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (
            part.strip() for part in line.removeprefix("import time:").split("|")
        )
        if cumulative.isdigit() and not name.startswith(" ") and "|" in line:
            indent = len(line.rsplit("|", 1)[1]) - len(line.rsplit("|", 1)[1].lstrip())
            if indent <= 1:
                rows.append((name, int(cumulative) / 1000.0))
    return sorted(rows, key=lambda r: -r[1])[:count]


def run() -> str:
    """The markdown section for docs/benchmarks.md."""
    medians = measure()
    base = medians["python -c pass"]
    lines = [
        "## CLI start-up",
        "",
        f"Median wall time over {ROUNDS} interleaved rounds; overhead = time - `python -c pass`.",
        f"Goal: `placer --help` within {GOAL_S:.2f} s.",
        "",
        "| command | median (s) | overhead (s) | x python |",
        "|---|---:|---:|---:|",
    ]
    for name, value in medians.items():
        lines.append(f"| `{name}` | {value:.3f} | {value - base:+.3f} | {value / base:.1f} |")
    verdict = "meets" if medians["placer --help"] <= GOAL_S else "misses"
    lines += ["", f"`placer --help` {verdict} the goal ({medians['placer --help']:.3f} s)."]
    for label, args in (("placer --help", ["--help"]), ("placer graph", ["graph", str(EXAMPLE)])):
        lines += [
            "",
            f"Slowest top-level imports of `{label}` (cumulative ms, `-X importtime`):",
            "",
        ]
        lines += [f"- `{name}`: {ms:.1f}" for name, ms in top_imports(args)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
