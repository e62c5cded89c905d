"""Benchmark: `placer plan` speed.

1. Random layered DAGs (100, 500, 2000 steps x 50 pools) with capacity limits on every pool
   and a deadline: placer's formulation solved by HiGHS, against a naive formulation
   (every (step, pool) pair a binary, big-M eligibility, one capacity row per pair of
   steps that may overlap) solved by pulp's default CBC, each with a time limit.
2. `placer plan` on examples/crosscloud against `python flow.py show`, side by side.
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from placer.config import Config, Constraints, Defaults, StepUsage  # noqa: E402
from placer.flow import Flow, Placement, Resources, Step  # noqa: E402
from placer.optimize.evaluate import longest_path  # noqa: E402
from placer.optimize.space import Market, Space, build_space  # noqa: E402
from placer.pool import Pool  # noqa: E402
from pricing import Location, Offer  # noqa: E402

REGIONS = {
    "aws": ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1"],
    "azure": ["eastus", "westus2", "westeurope", "northeurope", "southeastasia"],
    "gcp": ["us-central1", "us-east1", "europe-west1", "asia-east1", "us-west1"],
}
CAP_SCALE = 6.0  # vCPU per sqrt(step): sets how tight pool limits are
SHAPES = [(2, 8), (4, 16), (8, 32), (16, 64), (8, 64), (32, 128)]


def _steps(n: int, rng: random.Random) -> tuple[list[Step], dict[str, StepUsage]]:
    layers = max(3, int(math.sqrt(n)))
    names = [f"s{i}" for i in range(n)]
    layer_of = [0] + sorted(rng.randint(1, layers - 2) for _ in range(n - 2)) + [layers - 1]
    by_layer: dict[int, list[str]] = {}
    for name, layer in zip(names, layer_of, strict=True):
        by_layer.setdefault(layer, []).append(name)
    present = sorted(by_layer)
    nexts: dict[str, set[str]] = {name: set() for name in names}
    for prev, cur in zip(present, present[1:], strict=False):
        for child in by_layer[cur]:
            for parent in rng.sample(by_layer[prev], min(len(by_layer[prev]), rng.randint(1, 2))):
                nexts[parent].add(child)
        for parent in by_layer[prev]:
            if not nexts[parent]:
                nexts[parent].add(rng.choice(by_layer[cur]))
    steps, usage = [], {}
    for i, name in enumerate(names):
        cpu, mem = rng.choice([(1, 4096), (2, 8192), (4, 16384), (8, 32768)])
        pod = Resources(cpu=cpu, memory_mb=mem, disk_mb=10240)
        kind = "start" if i == 0 else "end" if i == n - 1 else "linear"
        steps.append(Step(name, kind, tuple(sorted(nexts[name])), i + 1, pod_request=pod))
        usage[name] = StepUsage(
            tasks=rng.choice([1, 1, 1, 4, 16, 32]),
            duration_hours=rng.choice([0.1, 0.25, 0.5, 1.0]),
            input_gb=rng.choice([0.1, 1.0, 10.0]),
            output_gb=rng.choice([0.1, 1.0, 5.0]),
            allowed_clouds=tuple(rng.sample(["aws", "azure", "gcp"], 2)) if i % 3 == 0 else (),
        )
    return steps, usage


def _pools(count: int, n_steps: int, rng: random.Random) -> list[Pool]:
    spots = [(c, r) for c, regions in REGIONS.items() for r in regions]
    pools = []
    for i in range(count):
        cloud, region = spots[i % len(spots)]
        pools.append(
            Pool(
                f"p{i}-{cloud}-{region}",
                cloud,
                region,
                {"pool": str(i)},
                capacity_type="spot" if i % 4 == 3 else "on-demand",
                max_vcpus=round(CAP_SCALE * math.sqrt(n_steps) * rng.choice([1, 2, 4])),
                speed=rng.choice([0.8, 1.0, 1.25]),
            )
        )
    return pools


def _market(rng: random.Random) -> Market:
    table = {}
    for cloud, regions in REGIONS.items():
        for region in regions:
            factor = rng.uniform(0.8, 1.3)
            table[cloud, region] = [
                Offer(cloud, region, f"{cloud}.{v}x{m}", v, m, round(0.045 * v * factor, 4),
                      spot_usd_per_hour=round(0.015 * v * factor, 4))
                for v, m in SHAPES
            ]

    def transfer(gb: float, src: Location, dst: Location, already: float) -> float:
        if src == dst:
            return 0.0
        return gb * (0.02 if src.cloud == dst.cloud else 0.09)

    return Market(lambda c, r: table.get((c, r), []), transfer, lambda loc: "na")


def random_space(n_steps: int, n_pools: int, seed: int = 0) -> Space:
    """A random layered flow with capped pools and a deadline 25% over the fastest run."""
    rng = random.Random(seed)
    steps, usage = _steps(n_steps, rng)
    flow = Flow("Bench", Path("bench.py"), 1, {s.name: s for s in steps}, "0" * 64)
    config = Config(
        pools=tuple(_pools(n_pools, n_steps, rng)),
        steps=usage,
        defaults=Defaults(),
        constraints=Constraints(max_workers=16),
    )
    space = build_space(flow, config, _market(rng))
    fastest = {s: min(o.wall_hours for o in space.options[s]) for s in space.steps}
    bound, _ = longest_path(space.steps, space.edges, fastest)
    return dataclasses.replace(space, deadline_hours=round(bound * 1.25, 3))
