"""Who may go where, and what a pool's limits count (placer.optimize.space + the ILP)."""

from dataclasses import replace

import pytest
from fixtures.plan.factory import config, flow, market, offer, pool, step

from placer.config import Constraints, Link, StepUsage
from placer.optimize.evaluate import evaluate
from placer.optimize.solve import optimize
from placer.optimize.space import build_space

GPU = {"gpu_count": 1, "gpu_model": "L4", "accelerator_kind": "nvidia"}
OFFERS = [
    offer("aws", "us-east-1", "m.large", 2, 8, 0.10),
    offer("aws", "us-east-1", "g.aws", 4, 16, 0.80, **GPU),
    offer("gcp", "us-central1", "n.std", 2, 8, 0.06),
    offer("gcp", "us-central1", "g.gcp", 4, 16, 0.70, **GPU),
    offer("aws", "eu-west-1", "m.eu", 2, 8, 0.12),
]
AWS, GCP = pool("aws", "aws", "us-east-1"), pool("gcp", "gcp", "us-central1")
EU = pool("eu", "aws", "eu-west-1")


def single():
    return flow(step("start", ["work"], type="start"), step("work", ["end"]), step("end", []))


def split(gpu: int = 0):
    return flow(
        step("start", ["a", "b"], type="split"),
        step("a", ["join"], gpu=gpu),
        step("b", ["join"], gpu=gpu),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    )


@pytest.mark.parametrize(
    ("usage", "constraints", "allowed", "why"),
    [
        (StepUsage(allowed_clouds=("gcp",)), None, ["gcp"], "not in steps.work.allowed_clouds"),
        (StepUsage(regions=("eu-west-1",)), None, ["eu"], "not in steps.work.regions"),
        (StepUsage(exclude_pools=("aws",)), None, ["gcp", "eu"], "in steps.work.exclude_pools"),
        (StepUsage(), Constraints(residency={"eu": ("work",)}), ["eu"], "residency eu"),
    ],
)
def test_config_rules_keep_a_step_out_of_pools_and_say_why(usage, constraints, allowed, why):
    c = config([AWS, GCP, EU], {"work": usage}, constraints=constraints)
    space = build_space(single(), c, market(OFFERS))
    assert [o.pool for o in space.options["work"]] == allowed
    reasons = dict(space.excluded["work"])
    assert sorted(reasons) == sorted({"aws", "gcp", "eu"} - set(allowed))
    assert all(why in text for text in reasons.values())
    assert optimize(space, solver="highs").assignment["work"] in allowed


@pytest.mark.parametrize("limit", [{"max_memory_gib": 4}, {"max_nodes": 1}])
def test_memory_and_node_limits_keep_parallel_branches_apart(limit):
    # Each pod: 1 vCPU, 4 GiB, one n.std node (2 pods fit on it) -> 4 GiB and 1 node at once.
    # a and b overlap, so only one fits in gcp: 4 steps x $0.03 (half of n.std) in gcp and
    # one x $0.05 (half of m.large) in aws = $0.17.
    space = build_space(split(), config([AWS, replace(GCP, **limit)]), market(OFFERS))
    solution = optimize(space, solver="highs")
    assert sorted([solution.assignment["a"], solution.assignment["b"]]) == ["aws", "gcp"]
    assert solution.stats.objective == pytest.approx(0.17)
    assert not evaluate(space, {s: "gcp" for s in space.steps}).feasible


def test_a_gpu_limit_sends_one_gpu_branch_to_the_dearer_cloud():
    # a and b each need a whole 1-GPU node (gpu share 1/1): $0.70 in gcp, $0.80 in aws; gcp
    # holds one GPU. start, join, end pay half an n.std: 3 x $0.03 + 0.70 + 0.80 = $1.59.
    space = build_space(split(gpu=1), config([AWS, replace(GCP, max_gpus=1)]), market(OFFERS))
    solution = optimize(space, solver="highs")
    assert sorted([solution.assignment["a"], solution.assignment["b"]]) == ["aws", "gcp"]
    assert solution.stats.objective == pytest.approx(1.59)


def test_a_slow_link_lengthens_the_steps_that_cross_it_and_the_deadline_sees_it():
    # work reads 0.09 GB from the datastore (aws us-east-1) per task and runs 1 h. In gcp its
    # input crosses the aws<->gcp link: 0.09 GB x 8 / 10 Gbps = 0.072 s by default, / 0.0002
    # Gbps = 3600 s with the slow link listed. eu (aws eu-west-1) has no link: the default.
    usage = {"work": StepUsage(input_gb=0.09, duration_hours=1.0)}
    slow = Constraints(bandwidth=(Link(("aws:us-east-1", "gcp"), 0.0002),))
    fast_space = build_space(single(), config([AWS, GCP, EU], usage), market(OFFERS))
    slow_space = build_space(
        single(), config([AWS, GCP, EU], usage, constraints=slow), market(OFFERS)
    )
    assert fast_space.option("work", "gcp").wall_hours == pytest.approx(1 + 0.072 / 3600)
    assert slow_space.option("work", "gcp").wall_hours == pytest.approx(2.0)
    assert slow_space.option("work", "eu").wall_hours == pytest.approx(1 + 0.072 / 3600)
    assert slow_space.option("work", "aws").wall_hours == pytest.approx(1.0)
    # gcp is the cheapest (half a node at $0.03/h against aws's $0.05/h, plus 0.09 GB of
    # egress). With a 3.5 h deadline (start and end take 1 h each) the slow link rules it out.
    assert optimize(replace(fast_space, deadline_hours=3.5)).assignment["work"] == "gcp"
    assert optimize(replace(slow_space, deadline_hours=3.5)).assignment["work"] == "aws"
