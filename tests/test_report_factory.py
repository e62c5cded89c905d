"""Plans for the report tests, built directly as Plan objects, and their scenario.

Runs are 30 a month unless stated. Monthly cost per step = per-run cost x runs.

DemoFlow, base -> head (30 runs):
  start     aws-use1                 0.10/run ->    3.00 both sides      change  $0.00 (0%)
  train     aws-use1 -> gcp-usc1     50.00    -> 1,500.00; 41.00+1.00 -> 1,260.00  -$240.00 (-16%)
  score     gcp-usc1                 2.00+0.50 -> 75.00; 2.40+0.50 -> 87.00      +$12.00 (+16%)
  old_step  aws-use1 (removed)       1.00     ->   30.00                        -$30.00
  new_step  azure-eus (new)          0.20     ->    6.00                        +$6.00
  end       aws-use1                 0.10     ->    3.00                        $0.00 (0%)
  base 1,611.00 -> head 1,359.00 (compute 1,314.00, egress 45.00): -$252.00 (-16%)
EtlFlow (new, 720 runs): start 0.0125 -> 9.00, end 0.0025 -> 1.80; total 10.80
OldFlow (removed, 4 runs): start 5.00 -> 20.00, end 0.50 -> 2.00; total 22.00
All flows: 1,633.00 -> 1,369.80, -$263.20 (-16.12%, shown -16%).
"""

from __future__ import annotations

from decimal import Decimal

from placer.plan import Baseline, Cost, Plan, SolverStats, StepPlan

_REGIONS = {"aws": "us-east-1", "azure": "eastus", "gcp": "us-central1"}


def step(
    pool: str,
    compute: str,
    egress: str = "0",
    nxt: tuple[str, ...] = (),
    tasks: int = 1,
    hours: str = "1",
    reasons: tuple[str, ...] = ("cheapest pool that fits",),
    warnings: tuple[str, ...] = (),
) -> StepPlan:
    """A step in `pool` (its cloud is the pool's prefix) costing `compute`+`egress` per run."""
    cloud = pool.split("-")[0]
    return StepPlan(
        pool=pool,
        cloud=cloud,
        region=_REGIONS.get(cloud, "somewhere"),
        capacity_type="on-demand",
        node_selector={"outerbounds.co/provider": cloud},
        compute_pool=None,
        instance_type={"aws": "m7i.large", "gcp": "n2-standard-2"}.get(cloud, "D2s_v5"),
        resources={"cpu": 1.0, "memory": 4096.0, "disk": 10240.0, "gpu": 0},
        tasks=tasks,
        hours=Decimal(hours),
        cost=Cost(Decimal(compute), Decimal(egress)),
        reasons=reasons,
        warnings=warnings,
        next=nxt,
    )


def plan(
    name: str,
    steps: dict[str, StepPlan],
    runs: float = 30,
    as_written: tuple[dict[str, str], str, str] | None = None,
    warnings: tuple[str, ...] = (),
) -> Plan:
    """A plan for flow `name`; `as_written` = (assignment, monthly compute, monthly egress)."""
    baselines = {}
    if as_written is not None:
        assignment, compute, egress = as_written
        month = Cost(Decimal(compute), Decimal(egress))
        per_run = month.scaled(Decimal(1) / Decimal(str(runs)))
        baselines["as_written"] = Baseline("as_written", True, assignment, per_run, month)
    return Plan(
        flow=name,
        flow_file=f"flows/{name.lower()}.py",
        flow_sha256="ab" * 32,
        config_file=None,
        config_sha256=None,
        pricing_source="snapshot",
        pricing_captured_at="2026-11-01",
        objective="cost",
        constraints={},
        runs_per_month=runs,
        steps=steps,
        baselines=baselines,
        solver=SolverStats("HiGHS", "optimal", 1.0, 0.0, 0.01, 10, 5),
        warnings=warnings,
    )


def demo_base() -> Plan:
    return plan(
        "DemoFlow",
        {
            "start": step("aws-use1", "0.10", nxt=("train",)),
            "train": step("aws-use1", "50.00", nxt=("score",), tasks=4, hours="8"),
            "score": step("gcp-usc1", "2.00", "0.50", nxt=("old_step",)),
            "old_step": step("aws-use1", "1.00", nxt=("end",)),
            "end": step("aws-use1", "0.10"),
        },
    )


def demo_head() -> Plan:
    written = {
        "start": "aws-use1",
        "train": "aws-use1",
        "score": "aws-use1",
        "new_step": "aws-use1",
        "end": "aws-use1",
    }
    return plan(
        "DemoFlow",
        {
            "start": step("aws-use1", "0.10", nxt=("train",)),
            "train": step(
                "gcp-usc1",
                "41.00",
                "1.00",
                nxt=("score",),
                tasks=4,
                hours="6.5",
                reasons=("gcp-usc1 is 18% cheaper for 4 GPUs",),
                warnings=("memory raised to the 8 GiB floor of n2-standard-2",),
            ),
            "score": step("gcp-usc1", "2.40", "0.50", nxt=("new_step",)),
            "new_step": step("azure-eus", "0.20", nxt=("end",)),
            "end": step("aws-use1", "0.10"),
        },
        as_written=(written, "1400.00", "100.00"),
        warnings=("train: spot capacity not considered (objective=cost, on-demand only)",),
    )


def etl_head() -> Plan:
    return plan(
        "EtlFlow",
        {"start": step("aws-use1", "0.0125"), "end": step("aws-use1", "0.0025")},
        runs=720,
    )


def old_base() -> Plan:
    return plan(
        "OldFlow", {"start": step("azure-eus", "5.00"), "end": step("azure-eus", "0.50")}, runs=4
    )


def heads() -> list[Plan]:
    return [demo_head(), etl_head()]


def bases() -> list[Plan]:
    return [demo_base(), old_base()]


def test_factory_plans_round_trip_through_plan_json_with_edges():
    head = demo_head()
    again = Plan.from_json(head.as_json())
    assert again == head
    assert again.steps["train"].next == ("score",)
    assert "next" not in again.steps["end"].as_json()  # written only when known
    # as_written per month was given directly; per run is it divided by 30 runs
    assert head.baselines["as_written"].per_run.compute == Decimal("46.6667")


def test_factory_monthly_totals_match_the_scenario():
    assert demo_base().per_month.total == Decimal("1611.00")
    assert demo_head().per_month == Cost(Decimal("1314.00"), Decimal("45.00"))
    assert etl_head().per_month.total == Decimal("10.80")
    assert old_base().per_month.total == Decimal("22.00")
