"""Plan objects for the apply tests, built directly (no optimizer involved)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from placer.plan import Cost, Plan, SolverStats, StepPlan

GCP = {"outerbounds.co/provider": "gcp", "topology.kubernetes.io/region": "us-central1"}
SPOT_POOL = {"team": "ml", "outerbounds.co/compute-pool": "spot-pool"}
AWS = {"outerbounds.co/provider": "aws"}


def step_plan(
    selector: Mapping[str, str],
    compute_pool: str | None = None,
    resources: Mapping[str, Any] | None = None,
    declared: Mapping[str, Any] | None = None,
    pool: str = "pool",
) -> StepPlan:
    """One step's plan; only the fields apply reads matter here."""
    return StepPlan(
        pool=pool,
        cloud="aws",
        region="us-east-1",
        capacity_type="on-demand",
        node_selector=dict(selector),
        compute_pool=compute_pool,
        instance_type="m7i.large",
        resources=dict(resources or {"cpu": 1.0, "memory": 4096.0, "disk": 10240.0, "gpu": 0}),
        declared=dict(declared) if declared is not None else None,
        tasks=1,
        hours=Decimal("1"),
        cost=Cost(Decimal("0.1"), Decimal("0")),
    )


def make_plan(
    flow: str,
    steps: Mapping[str, StepPlan],
    flow_file: Path | str = "flow.py",
    flow_bytes: bytes = b"",
    config_file: str | None = None,
    config_bytes: bytes | None = None,
) -> Plan:
    """A plan for `flow` whose recorded sha256 is that of `flow_bytes` (and the config's)."""
    return Plan(
        flow=flow,
        flow_file=str(flow_file),
        flow_sha256=hashlib.sha256(flow_bytes).hexdigest(),
        config_file=config_file,
        config_sha256=hashlib.sha256(config_bytes).hexdigest() if config_bytes else None,
        pricing_source="snapshot",
        pricing_captured_at="2026-11-01",
        objective="cost",
        constraints={},
        runs_per_month=30,
        steps=dict(steps),
        baselines={},
        solver=SolverStats("HiGHS", "optimal", 0.1, 0.0, 0.01),
    )


def tricky_plan(flow_bytes: bytes = b"") -> Plan:
    """The plan of every golden case: start on GCP, middle on a compute pool, end on AWS."""
    return make_plan(
        "TrickyFlow",
        {
            "start": step_plan(GCP),
            "middle": step_plan(SPOT_POOL, compute_pool="spot-pool"),
            "end": step_plan(AWS),
        },
        flow_bytes=flow_bytes,
    )
