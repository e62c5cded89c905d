"""`placer explain`'s verdicts (placer.optimize.explain): the chosen pool is the plan's, and
every stated reason is true, checked against brute force with the step pinned to the pool."""

from dataclasses import replace
from pathlib import Path

import pytest
from fixtures.plan.factory import DATASTORE, branches, config, flow, market, offer, pool, step
from fixtures.plan.instances import brute_force, instances, rich_instance, rich_instances
from hypothesis import HealthCheck, example, given, settings

import placer
from placer.config import Constraints, Defaults, StepUsage
from placer.errors import ConfigError
from placer.optimize.evaluate import evaluate
from placer.optimize.explain import explain_flow, explain_space
from placer.optimize.solve import optimize
from placer.optimize.space import Space, build_space
from placer.optimize.verdict import TIE_USD

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
INELIGIBLE = {"pinned", "excluded", "cloud", "region", "residency", "no_fit", "over_capacity"}
# The evaluator (brute force's judge) accepts a limit broken by up to 1e-6 (hours, vCPUs,
# USD), the solver does not: a placement that close to a deadline can be "feasible" here and
# a few millionths of a dollar cheaper than any plan the solver may return.
TOL = 2e-5
FAMILIES = {"capacity": "capacity", "deadline": "deadline", "budget": "budget"}


def _resolve(space: Space, left=None):
    solution = optimize(space, "cost", None, None, gap=1e-9)
    return solution.assignment, solution.stats.status


def _family(violation: str) -> str:
    return violation.split(":")[0]


def check_every_verdict(space: Space, resolve_seconds: float | None = None) -> int:
    """Solve, explain every step and hold every verdict against brute force; the number of
    verdicts checked (0 when the instance has no plan). With `resolve_seconds` 0 no
    verdict is re-solved: bounds alone must be true."""
    plan = optimize(space, "cost", None, None, gap=1e-9)
    if plan.assignment is None:
        return 0
    cost = evaluate(space, plan.assignment).total_usd
    every = list(brute_force(space))
    found, _ = explain_space(space, plan.assignment, _resolve, resolve_seconds=resolve_seconds)
    checked = 0
    for explained in found:
        s = explained.step
        assert explained.pool == plan.assignment[s]
        assert [r.pool for r in explained.rows if r.verdict.kind == "chosen"] == [explained.pool]
        assert sorted(r.pool for r in explained.rows) == sorted(space.pools)
        for row in explained.rows:
            verdict = row.verdict
            if verdict.kind == "chosen":
                continue
            checked += 1
            if verdict.kind in INELIGIBLE:
                assert space.option(s, row.pool) is None, (s, row.pool, verdict)
                continue
            pinned = [o for p, o in every if p[s] == row.pool]
            feasible = [o.total_usd for o in pinned if o.feasible]
            alone = evaluate(space, {**plan.assignment, s: row.pool})
            if verdict.kind in FAMILIES or verdict.kind == "infeasible":
                check_infeasible(verdict, pinned, feasible)
                continue
            if resolve_seconds is None:  # with time to re-solve, every difference is exact
                assert verdict.delta_usd is not None, verdict
            if verdict.kind == "coupled" and verdict.delta_usd is None:
                # Bounds only: moving it alone breaks a limit, and a plan with it there,
                # if there is one, costs at least the lower bound more.
                assert not alone.feasible
                if feasible:
                    assert min(feasible) - cost >= verdict.low_usd - TOL
                continue
            assert feasible, (s, row.pool, verdict)
            delta = min(feasible) - cost
            if verdict.low_usd is not None:
                assert delta >= verdict.low_usd - TOL, (s, row.pool, verdict, delta)
            if verdict.high_usd is not None:
                assert delta <= verdict.high_usd + TOL, (s, row.pool, verdict, delta)
            if verdict.delta_usd is None:  # bounds only: moving it alone costs the upper one
                assert alone.feasible
                assert alone.total_usd - cost == pytest.approx(verdict.high_usd, abs=1e-9)
                continue
            if verdict.kind in ("dearer", "egress", "coupled"):
                assert verdict.delta_usd > TIE_USD
            if verdict.kind == "tie":
                assert abs(verdict.delta_usd) <= TIE_USD
            if verdict.kind == "coupled":  # others had to move: moving it alone is worse
                assert not alone.feasible or alone.total_usd > min(feasible) + 1e-9
                assert verdict.steps and s not in verdict.steps
    return checked


def check_infeasible(verdict, pinned, feasible) -> None:
    """No plan puts the step there, and the stated family of limits is the cause: every
    placement breaks it, or relaxing it alone leaves a placement that breaks nothing else."""
    assert not feasible, verdict
    if verdict.kind == "infeasible":
        return
    family = FAMILIES[verdict.kind]
    always = all(family in {_family(v) for v in o.violations} for o in pinned)
    alone = any({_family(v) for v in o.violations} == {family} for o in pinned)
    assert always or alone, verdict


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_verdict_is_true_on_random_instances(space):
    check_every_verdict(space)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rich_instances())
def test_every_verdict_is_true_with_every_kind_of_limit(space):
    check_every_verdict(space)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rich_instances())
@example(rich_instance(117800))  # a tie settled by bounds was once called "dearer"
def test_bounds_alone_are_true_when_there_is_no_time_to_re_solve(space):
    check_every_verdict(space, resolve_seconds=0)


OFFERS = [
    offer("aws", "us-east-1", "m.large", 2, 8, 0.10),
    offer("gcp", "us-central1", "n.std", 2, 8, 0.06),
]
AWS, GCP = pool("aws", "aws", "us-east-1"), pool("gcp", "gcp", "us-central1")


def _explain(space, steps=None):
    plan = optimize(space, "cost", None, None, gap=1e-9)
    found, solves = explain_space(space, plan.assignment, _resolve, steps, datastore=DATASTORE)
    return {e.step: {r.pool: r.verdict for r in e.rows} for e in found}, solves


def test_a_full_pool_names_the_steps_that_share_it():
    # Three 1-vCPU branches may run at once; gcp (cheaper) holds two. One branch pays aws.
    three = branches("a", "b", "c")
    space = build_space(three, config([AWS, replace(GCP, max_vcpus=2)]), market(OFFERS))
    verdicts, solves = _explain(space, ["a", "b", "c"])
    in_aws = [s for s in "abc" if verdicts[s]["aws"].kind == "chosen"]
    assert len(in_aws) == 1
    lost = verdicts[in_aws[0]]["gcp"]
    # With it in gcp, another branch must go to aws instead: the same cost (a tie).
    assert lost.kind == "tie" and lost.solved and len(lost.steps) == 1
    assert solves >= 1


def test_no_limit_means_no_re_solve_and_exact_price_differences():
    space = build_space(branches("a", "b"), config([AWS, GCP]), market(OFFERS))
    verdicts, solves = _explain(space)
    assert solves == 0
    # 1 vCPU, 4 GiB pays half a 2-vCPU node for the default hour: aws 0.05, gcp 0.03.
    assert verdicts["a"]["aws"].kind == "dearer"
    assert verdicts["a"]["aws"].delta_usd == pytest.approx(0.02)
    assert verdicts["a"]["aws"].text.startswith("dearer by $0.02/run: compute $0.05")


def test_a_slow_pool_misses_the_deadline_on_the_critical_path():
    slow = replace(GCP, speed=0.5)  # gcp takes 2 h per task
    c = config([AWS, slow], constraints=Constraints(deadline_hours=4.5))
    space = build_space(branches("a", "b"), c, market(OFFERS))
    verdicts, _ = _explain(space)
    # start, a, join, end at 1 h each in aws = 4 h; one step in gcp makes it 5 h > 4.5 h.
    lost = verdicts["a"]["gcp"]
    assert lost.kind == "deadline"
    assert "start -> a -> join -> end" in lost.text and "5h" in lost.text
    assert lost.steps == ("start", "join", "end")


def test_egress_is_named_with_its_volume():
    usage = {"a": StepUsage(input_gb=50)}
    c = config([AWS, GCP], usage, defaults=Defaults(input_gb=0, output_gb=0))
    space = build_space(branches("a", "b"), c, market(OFFERS))
    verdicts, _ = _explain(space)
    lost = verdicts["a"]["gcp"]
    gcp, aws = space.option("a", "gcp"), space.option("a", "aws")
    # 50 GB from S3 to gcp at $0.09 = $4.50 of egress, more than gcp saves on compute.
    assert gcp.egress_usd == pytest.approx(4.50) and gcp.compute_usd < aws.compute_usd
    assert lost.kind == "egress"
    assert lost.delta_usd == pytest.approx(gcp.total_usd - aws.total_usd)
    assert "egress of 50 GB/run to and from its data costs $4.50" in lost.text


def test_pins_and_missing_types_are_named():
    gpu = [*OFFERS, offer("aws", "us-east-1", "g.l4", 4, 16, 0.8, gpu_count=1, gpu_model="L4")]
    two = flow(
        step("start", ["train"], type="start"),
        step("train", ["end"], gpu=1),
        step("end", [], type="end"),
    )
    c = config([AWS, GCP], {"start": StepUsage(pools=("aws",))})
    space = build_space(two, c, market(gpu))
    verdicts, _ = _explain(space)
    assert verdicts["start"]["gcp"].kind == "pinned"
    assert verdicts["start"]["gcp"].text == "pinned elsewhere (not in steps.start.pools)"
    assert verdicts["train"]["gcp"].kind == "no_fit"
    assert verdicts["train"]["gcp"].text == "no instance type fits 1 x NVIDIA GPU, 1 vCPU, 3.81 GiB"


@pytest.mark.parametrize(
    "example",
    [
        "gpu_training/trainflow.py",
        "crosscloud/crosscloudflow.py",
        "etl/etlflow.py",
        "branching/branchflow.py",
    ],
)
def test_the_chosen_pool_is_the_plans_on_every_example(example):
    path = EXAMPLES / example
    flow_, config_ = placer.read_flow(path), placer.load_config(path)
    market_ = placer.market_from_catalog(placer.load_catalog())
    plan = placer.plan_flow(flow_, config_, market_)
    explained = explain_flow(flow_, config_, market_)
    assert [e.step for e in explained.steps] == list(plan.steps)
    for e in explained.steps:
        assert e.pool == plan.steps[e.step].pool
        assert e.rows[0].pool == e.pool and e.rows[0].verdict.kind == "chosen"
        assert e.rows[0].instance_type == plan.steps[e.step].instance_type
        assert len(e.rows) == len(config_.pools)


def test_gpu_example_explains_why_training_stays_on_aws():
    path = EXAMPLES / "gpu_training/trainflow.py"
    flow_, config_ = placer.read_flow(path), placer.load_config(path)
    market_ = placer.market_from_catalog(placer.load_catalog())
    (train,) = explain_flow(flow_, config_, market_, ["train"]).steps
    rows = {r.pool: r for r in train.rows}
    gcp = rows["gcp-usc1"]
    # 4 tasks x 42 GB (40 GB in, 2 GB out) cross clouds; GCP's L4 computes cheaper.
    assert gcp.egress_gb == pytest.approx(168)
    assert gcp.verdict.kind == "egress"
    assert gcp.compute_usd < rows["aws-use1"].compute_usd
    assert rows["azure-eastus"].verdict.kind == "no_fit"


def test_an_unknown_step_is_bad_input_with_a_suggestion():
    path = EXAMPLES / "gpu_training/trainflow.py"
    flow_, config_ = placer.read_flow(path), placer.load_config(path)
    market_ = placer.market_from_catalog(placer.load_catalog())
    with pytest.raises(ConfigError, match="did you mean 'train'"):
        explain_flow(flow_, config_, market_, ["trian"])
