"""Hardware-aware durations in the plan: a GPU step without gpu_model weighs a fast dear GPU
against a slow cheap one, a deadline or `--objective time` buys the faster one."""

from dataclasses import replace

import pytest
from fixtures.plan.factory import OPTIMIZER_DEFAULTS, config, flow, market, offer, pool, step

from placer.config import StepUsage
from placer.optimize import plan_flow
from placer.optimize.build import INSTANCE_TYPE_LABEL
from placer.optimize.explain import explain_flow


def gpu(name: str, model: str, usd: float):
    return offer("aws", "us-east-1", name, 8, 64, usd, gpu_count=1, gpu_model=model)


# Per task, 2 h on an A100 (the reference): T4 (0.21) 9.524 h x $0.526 = $5.01; L4 (0.27)
# 7.407 h x $0.8048 = $5.96; A100 2 h x $2.00 = $4.00; H100 (1.75) 1.143 h x $4.00 = $4.57.
# The T4 is the cheapest per hour and the dearest but one per run: the A100 wins.
OFFERS = [
    offer("aws", "us-east-1", "cpu.large", 2, 8, 0.10),
    gpu("g.t4", "T4", 0.526),
    gpu("g.l4", "L4", 0.8048),
    gpu("g.a100", "A100", 2.00),
    gpu("g.h100", "H100", 4.00),
]


def fanout():
    return flow(
        step("start", ["train"], type="foreach"),
        step("train", ["join"], gpu=1, foreach_stack=("start",)),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    )


def plan(*, objective="cost", deadline=None, train=None):
    usage = {"train": train or StepUsage(tasks=4, duration_hours=2.0, reference="A100-40GB")}
    defaults = replace(OPTIMIZER_DEFAULTS, reference_gpu=None)
    c = config([pool("aws", "aws", "us-east-1")], usage, defaults=defaults)
    return plan_flow(fanout(), c, market(OFFERS), objective=objective, deadline_hours=deadline)


def test_without_gpu_model_the_cheapest_run_wins_not_the_cheapest_hour():
    result = plan()
    train = result.steps["train"]
    assert train.instance_type == "g.a100"
    assert float(train.cost.compute) == pytest.approx(4 * 4.00)
    assert train.node_selector[INSTANCE_TYPE_LABEL] == "g.a100"  # apply pins what was priced
    assert (
        "a task (compute + egress), cheapest first: A100-40GB $4.00 in 2h00m (aws); "
        "H100 $4.57 in 1h09m (aws); T4 $5.01 in 9h31m (aws); L4 $5.96 in 7h24m (aws)"
    ) in train.reasons


def test_a_deadline_buys_the_faster_gpu():
    # start, join, end take 1 h each: the A100 plan's makespan is 5 h. Under 4.5 h only
    # the H100 (1h09m) fits: 4 x $4.57 = $18.29.
    assert plan().makespan_hours == pytest.approx(5.0)
    train = plan(deadline=4.5).steps["train"]
    assert train.instance_type == "g.h100"
    assert float(train.cost.compute) == pytest.approx(4 * 4.00 * 2 / 1.75)
    assert any("a task takes 1h09m on H100: 2h00m on A100-40GB" in r for r in train.reasons)
    assert (
        "H100 rather than the cheaper A100-40GB: the plan's deadline, capacity or budget "
        "(or --objective time) rules the slower one out"
    ) in train.reasons


def test_the_time_objective_sees_the_faster_gpu():
    result = plan(objective="time")
    assert result.steps["train"].instance_type == "g.h100"
    assert result.makespan_hours == pytest.approx(3 + 2 / 1.75, abs=1e-4)  # kept to 4 places


def test_a_step_speedup_or_duration_overrides_the_table():
    # measured: 50 min on an L4 -> 4 x 5/6 h x $0.8048 = $2.68, the cheapest run now
    usage = StepUsage(tasks=4, duration_hours=2.0, reference="A100-40GB", durations={"L4": 5 / 6})
    assert plan(train=usage).steps["train"].instance_type == "g.l4"
    # an H100 3x an A100 for this step: 2/3 h x $4 = $2.67 a task beats $4.00
    fast = StepUsage(tasks=4, duration_hours=2.0, reference="A100-40GB", speedup={"H100": 3.0})
    assert plan(train=fast).steps["train"].instance_type == "g.h100"


def test_explain_shows_the_hardware_the_plan_chose_and_the_fastest_a_pool_offers():
    # Two pools: aws offers the A100 and the H100 above; west only an A100 at $2.20 and an
    # H100 at $4.40. Under a 4.5 h deadline the plan runs train on aws's H100; explain's
    # row for aws is that type (not the pool's cheapest, the A100), and west's row is its
    # H100, which keeps the deadline: dearer by 4 x 1.143 h x $0.40 = $1.83/run.
    west = [
        offer("aws", "us-west-2", "cpu.large", 2, 8, 0.10),
        offer("aws", "us-west-2", "g.a100", 8, 64, 2.20, gpu_count=1, gpu_model="A100"),
        offer("aws", "us-west-2", "g.h100", 8, 64, 4.40, gpu_count=1, gpu_model="H100"),
    ]
    usage = {"train": StepUsage(tasks=4, duration_hours=2.0, reference="A100-40GB")}
    c = config([pool("aws", "aws", "us-east-1"), pool("west", "aws", "us-west-2")], usage)
    found = explain_flow(fanout(), c, market(OFFERS + west), ["train"], deadline_hours=4.5)
    (train,) = found.steps
    rows = {r.pool: r for r in train.rows}
    assert train.pool == "aws" and rows["aws"].verdict.kind == "chosen"
    assert rows["aws"].instance_type == "g.h100"
    assert rows["aws"].verdict.text == (
        "on H100 (g.h100), faster than its cheaper A100-40GB there: the cheapest hardware "
        "that keeps the plan within its limits"
    )
    assert rows["west"].instance_type == "g.h100"
    assert rows["west"].verdict.kind == "dearer"
    assert rows["west"].verdict.delta_usd == pytest.approx(4 * 2 / 1.75 * 0.40)
