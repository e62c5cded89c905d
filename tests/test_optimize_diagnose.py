"""Infeasibility in one line that names the steps and the constraint (placer.optimize.diagnose)."""

from dataclasses import replace

import pytest
from fixtures.plan.factory import config, flow, market, offer, pool, step

from placer.config import StepUsage
from placer.errors import ConfigError, PlanError
from placer.optimize import plan_flow
from placer.optimize.diagnose import hours_text

OFFERS = [
    offer("aws", "us-east-1", "m.large", 2, 8, 0.10),
    offer(
        "aws",
        "us-east-1",
        "g.l4",
        4,
        16,
        0.80,
        gpu_count=1,
        gpu_model="L4",
        accelerator_kind="nvidia",
    ),
    offer("gcp", "us-central1", "n.std", 2, 8, 0.06),
]
AWS, GCP = pool("aws", "aws", "us-east-1"), pool("gcp", "gcp", "us-central1")


def chain(**train):
    return flow(
        step("start", ["train"], type="start"),
        step("train", ["end"], line=12, **train),
        step("end", [], type="end"),
    )


def test_hours_text():
    assert [hours_text(h) for h in (1 + 40 / 60, 2, 0.75, 10 / 3600)] == [
        "1h40m",
        "2h",
        "45m",
        "10s",
    ]


def test_missing_gpu_model_names_the_step_and_the_model():
    c = config([AWS, GCP], {"train": StepUsage(gpu_model="H100")})
    with pytest.raises(PlanError) as err:
        plan_flow(chain(gpu=8), c, market(OFFERS))
    assert str(err.value) == (
        "test_flow.py:12: train needs 8 x H100, 1 vCPU, 3.81 GiB; no pool offers H100. To fix: "
        "add a pool that offers it to placer.yaml, or change the step's resources"
    )


def test_pins_and_residency_are_listed_per_pool():
    c = config([AWS, GCP], {"train": StepUsage(pools=("gcp",), residency="eu")})
    with pytest.raises(
        PlanError,
        match=r"^test_flow.py:12: train can run in no pool \(aws: not "
        r"in steps.train.pools; gcp: residency eu: gcp is in na\)",
    ):
        plan_flow(chain(), c, market(OFFERS))


def test_deadline_below_the_fastest_critical_path():
    c = config([AWS, GCP], {"train": StepUsage(duration_hours=1 + 40 / 60)})
    with pytest.raises(PlanError) as err:
        plan_flow(chain(), c, market(OFFERS), deadline_hours=1.0, origin={"deadline": "--deadline"})
    # start 1h + train 1h40m + end 1h = 3h40m, the same in either pool.
    assert str(err.value).startswith(
        "--deadline: deadline 1h < fastest possible 3h40m (critical path start -> train -> end)"
    )


def test_budget_below_the_cheapest_month():
    with pytest.raises(PlanError, match=r"budget \$1.00/month < cheapest possible \$2.70/month"):
        plan_flow(chain(), config([AWS, GCP]), market(OFFERS), budget_usd_per_month=1.0)


def test_capacity_that_no_placement_meets():
    f = flow(
        step("start", ["a", "b"], type="split"),
        step("a", ["join"]),
        step("b", ["join"]),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    )
    c = config([replace(AWS, max_vcpus=1), replace(GCP, max_vcpus=0.5)])
    # a and b may overlap: 2 vCPU at once, but aws holds 1 and gcp none.
    with pytest.raises(
        PlanError,
        match=r"^pools: no placement fits the pool limits .*: a, b can "
        r"need 2 vcpu at once in aws \(limit 1\)",
    ):
        plan_flow(f, c, market(OFFERS))


def test_unknown_step_or_pool_in_config_suggests_the_closest_name():
    with pytest.raises(ConfigError, match="TestFlow has no step 'trian'.*did you mean 'train'"):
        plan_flow(chain(), config([AWS], {"trian": StepUsage()}), market(OFFERS))
    with pytest.raises(ConfigError, match=r"steps.train.pools: no pool named 'gpc'.*'gcp'"):
        plan_flow(chain(), config([AWS, GCP], {"train": StepUsage(pools=("gpc",))}), market(OFFERS))
