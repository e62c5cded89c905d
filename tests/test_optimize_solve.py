"""The ILP against hand-computed optima and brute force (placer.optimize.problem/solve)."""

import itertools
import random
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fixtures.plan.factory import config, flow, market, offer, pool, step
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placer.config import Constraints, Defaults, StepUsage
from placer.errors import PlanError
from placer.optimize.baselines import greedy
from placer.optimize.evaluate import evaluate
from placer.optimize.problem import build_problem
from placer.optimize.solve import optimize, solve
from placer.optimize.space import build_space

OFFERS = [
    offer("aws", "us-east-1", "m.large", 2, 8, 0.10),
    offer("aws", "us-east-1", "m.xlarge", 4, 16, 0.20),
    offer("gcp", "us-central1", "n.std", 2, 8, 0.06),
]
AWS, GCP = pool("aws", "aws", "us-east-1"), pool("gcp", "gcp", "us-central1")


def chain():
    return flow(
        step("start", ["work"], type="start"),
        step("work", ["end"]),
        step("end", [], type="end"),
    )


def split():
    return flow(
        step("start", ["a", "b"], type="split"),
        step("a", ["join"]),
        step("b", ["join"]),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    )


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_data_heavy_step_stays_with_the_datastore(solver):
    # 1 vCPU / 4 GiB pays half a 2-vCPU node: aws $0.05/h, gcp $0.03/h.
    # work: 2 h, reads 10 GB from S3. aws: 2 x 0.05 = $0.10. gcp: 10 GB x 0.09 = $0.90
    # egress plus (2 h + 8 s of transfer) x 0.03 = $0.06007. start/end (1 h, no data): gcp.
    space = build_space(
        chain(),
        config([AWS, GCP], {"work": StepUsage(input_gb=10, duration_hours=2)}),
        market(OFFERS),
    )
    solution = optimize(space, solver=solver)
    assert solution.assignment == {"start": "gcp", "work": "aws", "end": "gcp"}
    assert solution.stats.status == "optimal"
    assert solution.stats.objective == pytest.approx(0.03 + 0.10 + 0.03)
    gcp_work = space.option("work", "gcp")
    assert gcp_work.egress_usd == pytest.approx(0.90)
    assert gcp_work.compute_usd == pytest.approx((2 + 8 / 3600) * 0.03)


def test_capacity_keeps_parallel_branches_apart():
    # gcp holds 1 vCPU: a and b may run at once, so only one of them fits there; start, join
    # and end never overlap anything and all go to gcp. 4 x 0.03 + 0.05 = 0.17.
    space = build_space(split(), config([AWS, replace(GCP, max_vcpus=1)]), market(OFFERS))
    solution = optimize(space)
    placed = solution.assignment
    assert sorted([placed["a"], placed["b"]]) == ["aws", "gcp"]
    assert [placed[s] for s in ("start", "join", "end")] == ["gcp"] * 3
    assert solution.stats.objective == pytest.approx(0.17)
    assert evaluate(space, placed).feasible
    assert not evaluate(space, {s: "gcp" for s in space.steps}).feasible


def test_flow_formulation_agrees_with_cuts():
    space = build_space(split(), config([AWS, replace(GCP, max_vcpus=1)]), market(OFFERS))
    flow_model = solve(build_problem(space, capacity="flow"))
    assert flow_model.stats.objective == pytest.approx(0.17)
    assert evaluate(space, flow_model.assignment).feasible


def test_deadline_buys_a_faster_pool():
    # aws is twice as fast (speed 2): 0.5 h at $0.10/h node x 0.5 = $0.025 per step-hour...
    # per step: aws 0.5 h x 0.05 = 0.025, gcp 1 h x 0.03 = 0.03 -- aws is cheaper AND faster,
    # so make aws pricier: speed 2 with a $0.16 node: 0.5 h x 0.08 = 0.04 per step.
    offers = [offer("aws", "us-east-1", "fast", 2, 8, 0.16), OFFERS[2]]
    pools = [replace(AWS, speed=2.0), GCP]
    space = build_space(chain(), config(pools), market(offers), deadline_hours=2.5)
    # Three 1 h steps on gcp take 3 h; each move to aws saves 0.5 h for +$0.01.
    # Deadline 2.5 h: exactly one step moves. Cost 0.03 x 2 + 0.04 = 0.10.
    solution = optimize(space)
    assert list(solution.assignment.values()).count("aws") == 1
    assert solution.stats.objective == pytest.approx(0.10)
    assert evaluate(space, solution.assignment).makespan_hours == pytest.approx(2.5)


def test_time_objective_is_fastest_then_cheapest():
    offers = [offer("aws", "us-east-1", "fast", 2, 8, 0.16), OFFERS[2]]
    space = build_space(chain(), config([replace(AWS, speed=2.0), GCP]), market(offers))
    solution = optimize(space, objective="time")
    assert solution.assignment == {"start": "aws", "work": "aws", "end": "aws"}
    assert solution.makespan_hours == pytest.approx(1.5)


def test_budget_is_respected():
    offers = [offer("aws", "us-east-1", "fast", 2, 8, 0.16), OFFERS[2]]
    pools = [replace(AWS, speed=2.0), GCP]
    # Cheapest is all-gcp ($0.09/run = $2.70/month at 30 runs). A 2.5 h deadline needs one
    # aws step ($0.10/run = $3.00/month): a $2.99 budget makes it infeasible.
    space = build_space(
        chain(), config(pools), market(offers), deadline_hours=2.5, budget_usd_per_month=2.99
    )
    assert optimize(space).stats.status == "infeasible"
    assert optimize(replace(space, budget_usd_per_month=3.0)).found


def test_without_highspy_auto_falls_back_to_cbc_and_highs_says_how_to_fix(monkeypatch):
    space = build_space(split(), config([AWS, replace(GCP, max_vcpus=1)]), market(OFFERS))
    monkeypatch.setitem(sys.modules, "highspy", None)  # `import highspy` now fails
    monkeypatch.delitem(sys.modules, "placer.optimize._highs", raising=False)
    solution = optimize(space)  # the cap binds: a solver is needed
    assert solution.stats.solver == "CBC"
    assert solution.stats.objective == pytest.approx(0.17)
    with pytest.raises(PlanError) as caught:
        optimize(space, solver="highs")
    assert caught.value.location == "--solver highs"
    assert "--solver cbc" in caught.value.hint


def test_cbc_time_limit_reports_feasible_with_a_gap_not_optimal():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from bench_plan import random_space

    space = random_space(60, 20, seed=4, cap_scale=6.0)  # CBC needs well over 5 s to prove it
    problem = build_problem(space, capacity="flow")
    solution = solve(problem, "cbc", time_limit=2)
    assert problem.model.status == 1  # pulp says "Optimal" ...
    assert solution.stats.status == "feasible"  # ... but CBC stopped on the time limit
    assert solution.stats.gap is not None and solution.stats.gap > 0


# -- property tests: random small instances against brute force -------------------------


@st.composite
def instances(draw):
    rng = random.Random(draw(st.integers(0, 10**6)))
    n = draw(st.integers(2, 5))
    names = [f"s{i}" for i in range(n)]
    edges = {(names[u], names[v]) for u in range(n) for v in range(u + 1, n) if rng.random() < 0.4}
    for i in range(n - 1):  # keep it connected enough to look like a flow
        if not any(u == names[i] for u, _ in edges):
            edges.add((names[i], names[i + 1]))
    steps = [
        step(s, sorted(v for u, v in edges if u == s), cpu=rng.choice([1, 2]), memory_mb=4096)
        for s in names
    ]
    regions = [("aws", "us-east-1"), ("gcp", "us-central1"), ("azure", "eastus")]
    pools, offers = [], []
    for i, (cloud, region) in enumerate(regions[: draw(st.integers(2, 3))]):
        cap = rng.choice([None, 2, 3, 4])
        pools.append(pool(f"p{i}", cloud, region, max_vcpus=cap, speed=rng.choice([1.0, 2.0])))
        offers.append(offer(cloud, region, f"t{i}", 4, 16, round(rng.uniform(0.05, 0.3), 3)))
    usage = {
        s: StepUsage(
            tasks=rng.choice([1, 1, 3]),
            duration_hours=rng.choice([0.5, 1, 2]),
            input_gb=rng.choice([0, 1, 20]),
            output_gb=rng.choice([0, 5]),
        )
        for s in names
    }
    c = config(pools, usage, defaults=Defaults(), constraints=Constraints(max_workers=2))
    space = build_space(flow(*steps), c, market(offers))
    deadline = rng.choice([None, 2.0, 4.0, 6.0])
    budget = rng.choice([None, 20.0, 60.0])
    return replace(space, deadline_hours=deadline, budget_usd_per_month=budget)


def brute_force(space):
    pools = [[o.pool for o in space.options[s]] for s in space.steps]
    for combo in itertools.product(*pools):
        placement = dict(zip(space.steps, combo, strict=True))
        yield placement, evaluate(space, placement)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_ilp_matches_brute_force_and_beats_every_feasible_baseline(space):
    feasible = [(p, o) for p, o in brute_force(space) if o.feasible]
    solution = optimize(space, solver="highs")
    auto = optimize(space)  # direct when the cheapest placement is feasible, else HiGHS
    if not feasible:
        assert solution.stats.status == auto.stats.status == "infeasible"
        return
    best = min(o.total_usd for _, o in feasible)
    assert solution.found and solution.stats.status == "optimal"
    outcome = evaluate(space, solution.assignment)
    assert outcome.feasible, outcome.violations
    assert outcome.total_usd == pytest.approx(best, rel=1e-6, abs=1e-9)
    assert evaluate(space, auto.assignment).total_usd == pytest.approx(best, rel=1e-6, abs=1e-9)
    placed, _ = greedy(space)
    home = {s: "p0" for s in space.steps}  # as written: no selectors, so the datastore's pool
    for baseline in (evaluate(space, placed), evaluate(space, home)):
        if baseline.feasible:
            assert outcome.total_usd <= baseline.total_usd + 1e-9


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_time_objective_matches_brute_force(space):
    feasible = [o for _, o in brute_force(space) if o.feasible]
    solution = optimize(space, objective="time")
    if not feasible:
        assert not solution.found
        return
    fastest = min(o.makespan_hours for o in feasible)
    cheapest = min(o.total_usd for o in feasible if o.makespan_hours <= fastest + 1e-6)
    outcome = evaluate(space, solution.assignment)
    assert outcome.feasible
    assert outcome.makespan_hours == pytest.approx(fastest, rel=1e-6)
    assert outcome.total_usd == pytest.approx(cheapest, rel=1e-5, abs=1e-9)
