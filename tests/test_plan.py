import json
from decimal import Decimal

import pytest

from placer.errors import PlanError
from placer.plan import Baseline, Cost, Plan, SolverStats, StepPlan, money, read_plan


def _step(pool: str, compute: str, egress: str) -> StepPlan:
    return StepPlan(
        pool=pool,
        cloud=pool.split("-")[0],
        region="us-east-1",
        capacity_type="on-demand",
        node_selector={"outerbounds.co/provider": pool.split("-")[0]},
        compute_pool=None,
        instance_type="m7i.large",
        resources={"cpu": 1.0, "memory": 4096.0, "disk": 10240.0, "gpu": 0},
        tasks=10,
        hours=Decimal("10.0"),
        cost=Cost(Decimal(compute), Decimal(egress)),
        reasons=("cheapest fitting",),
    )


def _plan() -> Plan:
    return Plan(
        flow="CrossCloudFlow",
        flow_file="flow.py",
        flow_sha256="ab" * 32,
        config_file=None,
        config_sha256=None,
        pricing_source="snapshot",
        pricing_captured_at="2026-11-01",
        objective="cost",
        constraints={"max_workers": 16},
        runs_per_month=30,
        steps={
            "start": _step("aws-use1", "0.1000", "0.0000"),
            "end": _step("aws-use1", "0.0500", "0.0200"),
        },
        baselines={
            "as_written": Baseline(
                "as_written",
                True,
                {"start": "aws-use1", "end": "azure-eastus"},
                Cost(Decimal("0.2"), Decimal("0.1")),
                Cost(Decimal("6.0"), Decimal("3.0")),
            )
        },
        solver=SolverStats("HiGHS", "optimal", 0.17, 0.0, 0.01, 4, 2),
    )


def test_totals_and_savings_are_exact_decimals():
    plan = _plan()
    assert plan.per_run == Cost(Decimal("0.1500"), Decimal("0.0200"))
    # 30 runs: compute 0.15 x 30 = 4.50, egress 0.02 x 30 = 0.60, total 5.10
    assert plan.per_month.total == Decimal("5.1000")
    assert plan.savings("as_written") == Decimal("9.0") - Decimal("5.1000")
    assert plan.savings("greedy") is None


def test_json_round_trip_and_money_as_strings(tmp_path):
    plan = _plan()
    data = plan.as_json()
    assert data["totals"]["per_month"] == {
        "compute": "4.5000",
        "egress": "0.6000",
        "total": "5.1000",
    }
    assert data["savings"]["as_written"] == {"per_month": "3.9000", "percent": "43.3"}
    assert list(data)[:3] == ["format_version", "currency", "flow"]
    path = tmp_path / "plan.json"
    path.write_text(plan.dumps())
    again = read_plan(path)
    assert again.as_json() == data


def test_money_rounds_half_up_to_hundredth_cent():
    # placer.money's one rule: half-up, as the displayed cents (half-even gave 0.0000, 0.0002)
    assert money(0.00005) == Decimal("0.0001")
    assert money("0.00025") == Decimal("0.0003")
    assert money(1.23456) == Decimal("1.2346")
    assert money(-0.00005) == Decimal("-0.0001")  # half away from zero


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{not json", "not a valid plan file"),
        (json.dumps({"format_version": "9.0"}), "unsupported plan format_version"),
        (json.dumps({"format_version": "1.0", "flow": {}}), "plan.json: config: missing"),
    ],
)
def test_bad_plan_files_give_one_line_errors(tmp_path, content, fragment):
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(PlanError) as info:
        read_plan(path)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_plan_file(tmp_path):
    with pytest.raises(PlanError, match="plan file not found"):
        read_plan(tmp_path / "nope.json")
