"""Benchmark: `placer plan` end to end on a generated 2000-step flow with 50 capped pools.

The flow is a real Metaflow file (5 stages, each a split into 40 branches of 10 steps and a
join; `@kubernetes` sizes 1-8 vCPU) and the pools come from a real placer.yaml (50 pools over
13 regions of 3 clouds, every 4th spot outside Azure, each with a `max_vcpus` of 200-800),
priced from the embedded snapshot. Everything `placer plan` does is timed: reading the flow,
pricing 100,000 options, the solve, both baselines and writing the plan as JSON.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES, BRANCHES, DEPTH = 5, 40, 10
REGIONS = {
    "aws": ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1"],
    "azure": ["eastus", "westus2", "westeurope", "northeurope"],
    "gcp": ["us-central1", "us-east1", "europe-west1", "us-west1"],
}


def _step(name: str, nxt: str, *, join: bool = False, size: tuple[int, int] | None = None) -> str:
    deco = f"    @kubernetes(cpu={size[0]}, memory={size[1]})\n" if size else ""
    inputs = ", inputs" if join else ""
    return f"{deco}    @step\n    def {name}(self{inputs}):\n        self.next({nxt})\n"


def write_flow(folder: Path, seed: int = 0) -> int:
    """Write bigflow.py and placer.yaml into `folder`; the number of steps."""
    rng = random.Random(seed)
    sizes = [(1, 4096), (2, 8192), (4, 16384), (8, 32768)]
    body, head, count = [], "start", 0
    for stage in range(STAGES):
        if stage:  # a join cannot also split: the join leads to a step that fans out
            body.append(_step(head, f"self.fan{stage}", join=True))
            head, count = f"fan{stage}", count + 1
        branches = [f"s{stage}b{b}d0" for b in range(BRANCHES)]
        body.append(_step(head, ", ".join(f"self.{b}" for b in branches)))
        count += 1
        for b in range(BRANCHES):
            for d in range(DEPTH):
                nxt = f"self.s{stage}b{b}d{d + 1}" if d + 1 < DEPTH else f"self.join{stage}"
                body.append(_step(f"s{stage}b{b}d{d}", nxt, size=rng.choice(sizes)))
                count += 1
        head = f"join{stage}"
    body.append(_step(head, "self.end", join=True))
    body.append("    @step\n    def end(self):\n        pass\n")
    count += 2
    header = "from metaflow import FlowSpec, kubernetes, step\n\n\nclass BigFlow(FlowSpec):\n"
    footer = '\n\nif __name__ == "__main__":\n    BigFlow()\n'
    (folder / "bigflow.py").write_text(header + "\n".join(body) + footer)
    spots = [(c, r) for c, regions in REGIONS.items() for r in regions]
    pools = []
    for i in range(50):
        cloud, region = spots[i % len(spots)]
        kind = "spot" if i % 4 == 3 and cloud != "azure" else "on-demand"
        pools.append(
            f"  - {{name: p{i}, cloud: {cloud}, region: {region}, capacity_type: {kind}, "
            f"max_vcpus: {rng.choice([200, 400, 800])}, node_selector: {{pool: p{i}}}}}"
        )
    steps = [
        f"  s{s}b{b}d{d}: {{duration: {rng.choice(['10m', '30m', '1h'])}, "
        f"input: {rng.choice(['100MB', '1GB', '5GB'])}}}"
        for s in range(STAGES)
        for b in range(BRANCHES)
        for d in range(DEPTH)
        if rng.random() < 0.3
    ]
    (folder / "placer.yaml").write_text(
        "datastore: {cloud: aws, region: us-east-1}\n"
        "defaults: {duration: 20m, input: 500MB, output: 200MB}\n"
        "pools:\n" + "\n".join(pools) + "\nsteps:\n" + "\n".join(steps) + "\n"
    )
    return count


# Runs a command and prints its peak memory (KB) to stderr: a fresh process whose only child
# is the command (RUSAGE_CHILDREN of this benchmark also counts other benchmarks' children).
_PEAK = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(done.returncode)"
)


def _run(argv: list[str], cwd: Path) -> tuple[float, str, float]:
    """Wall seconds, stdout and peak memory (MB) of one command."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *argv], cwd=cwd, capture_output=True, text=True, check=True
    )
    peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
    return time.perf_counter() - began, done.stdout, peak_mb


def run(runs: int = 3) -> str:
    import json

    placer = str(Path(sys.executable).with_name("placer"))
    rows = [
        "| `placer plan bigflow.py` | median wall | min | solver | status | gap | solver time |",
        "|---|---|---|---|---|---|---|",
    ]
    peaks: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        count = write_flow(folder)
        for label, extra in (("`--gap 1%`", ["--gap", "1%"]), ("default (`--gap 0.01%`)", [])):
            argv = [placer, "plan", "bigflow.py", "--format", "json", *extra]
            times, plan = [], {}
            for _ in range(runs):
                seconds, out, peak_mb = _run(argv, folder)
                times.append(seconds)
                peaks.append(peak_mb)
                plan = json.loads(out)
            s = plan["solver"]
            rows.append(
                f"| {label} | {statistics.median(times):.2f} s | {min(times):.2f} s | "
                f"{s['solver']} | {s['status']} | {s['gap']:.3%} | {s['seconds']:.2f} s |"
            )
    return (
        "## placer plan, end to end on a 2000-step flow\n\n"
        f"A generated flow of {count} steps (5 stages of 40 parallel branches of 10 steps, "
        "`@kubernetes` sizes 1-8 vCPU) and a placer.yaml with 50 pools over 13 regions of 3 "
        "clouds, each with a `max_vcpus` limit of 200-800; prices from the embedded snapshot. "
        "The wall time is the whole command: reading the flow, pricing every (step, pool) "
        "option, the solve, both baselines and the JSON plan "
        f"({runs} runs each).\n\n" + "\n".join(rows) + "\n\n"
        f"Peak memory of one `placer plan` run: {max(peaks):.0f} MB. *direct*: the cheapest "
        "pool of every step already meets every limit, so no model is built. The same "
        "command before and after issue 13's rewrites, side by side: \"Before and after the "
        'rewrites of issue 13".'
    )


if __name__ == "__main__":
    print(run())
