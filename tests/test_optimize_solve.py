"""The ILP against hand-computed optima and brute force (placer.optimize.problem/solve)."""

import functools
import random
import sys
from dataclasses import replace

import pulp
import pytest
from fixtures.plan.factory import config, flow, market, offer, pool, step
from fixtures.plan.instances import AWS, GCP, OFFERS, brute_force, chain, instances, split
from hypothesis import HealthCheck, given, settings

from placer.config import StepUsage
from placer.errors import PlanError
from placer.optimize import _pulp
from placer.optimize.baselines import greedy
from placer.optimize.evaluate import evaluate
from placer.optimize.problem import Assign, Cap, build_problem
from placer.optimize.solve import optimize, solve
from placer.optimize.space import build_space


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
    problem = build_problem(space)
    problem.add_flow(Cap("gcp", "vcpu"))
    flow_model = solve(problem)  # one round: the seeded cuts and the flow, no cut added
    assert flow_model.stats.objective == pytest.approx(0.17)
    assert evaluate(space, flow_model.assignment).feasible


def test_a_problem_only_grows_and_keys_name_the_domain():
    space = build_space(split(), config([AWS, replace(GCP, max_vcpus=1)]), market(OFFERS))
    problem = build_problem(space)
    columns, rows = list(problem.columns), list(problem.rows)
    cut = problem.add_cut(Cap("gcp", "vcpu"), problem.widen(Cap("gcp", "vcpu"), ("a",)))
    problem.add_flow(Cap("gcp", "vcpu"))
    assert problem.columns[: len(columns)] == columns and problem.rows[: len(rows)] == rows
    assert str(cut) == f"cut[gcp,vcpu,{len(problem.cuts) - 1}]"
    assert problem.rows[len(rows)] == problem.rows[len(rows)]._replace(key=cut)
    assert {str(k) for k in problem.index} >= {"assign[a,gcp]", "flow[gcp,vcpu,source,start]"}
    assert problem.columns[problem.index[Assign("a", "gcp")]].integer
    assert problem.flows == [Cap("gcp", "vcpu")]
    # widening a's antichain: b is the one candidate unordered with a
    assert problem.widen(Cap("gcp", "vcpu"), ("a",)) == ("a", "b")


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


def test_without_highspy_the_error_says_how_to_fix(monkeypatch):
    space = build_space(split(), config([AWS, replace(GCP, max_vcpus=1)]), market(OFFERS))
    monkeypatch.setitem(sys.modules, "highspy", None)  # `import highspy` now fails
    monkeypatch.delitem(sys.modules, "placer.optimize._highs", raising=False)
    for solver in (None, "highs"):  # the cap binds: a solver is needed
        with pytest.raises(PlanError) as caught:
            optimize(space, solver=solver)
        assert caught.value.location == "--solver highs"
        assert "--solver cbc" in caught.value.hint
    assert optimize(space, solver="cbc").stats.objective == pytest.approx(0.17)


def _capped_pools(n: int, seed: int):
    """`n` parallel steps of mixed sizes over three capped pools and one uncapped: CBC finds
    a plan at its first node but cannot prove it there without cuts."""
    rng = random.Random(seed)
    names = [f"s{i}" for i in range(n)]
    steps = [step("start", names, type="split"), step("join", ["end"], type="join")]
    steps += [step("end", [], type="end")]
    sizes = ([1, 2, 3, 5, 7], [2048, 4096, 8192, 16384, 30000])
    steps += [
        step(
            s,
            ["join"],
            cpu=rng.choice(sizes[0]),
            memory_mb=rng.choice(sizes[1]),
            foreach_stack=("fan",),
        )
        for s in names
    ]
    regions = [("aws", "us-east-1"), ("gcp", "us-central1"), ("azure", "eastus")]
    regions.append(("aws", "eu-west-1"))
    offers, pools = [], []
    for i, (cloud, region) in enumerate(regions):
        offers.append(offer(cloud, region, "big", 64, 256, round(rng.uniform(0.5, 1.0), 3)))
        caps = {
            "max_vcpus": rng.choice([13, 17, 19]) if i < 3 else None,
            "max_memory_gib": rng.choice([30, 41, 53]) if i < 3 else None,
        }
        pools.append(pool(f"p{i}", cloud, region, speed=rng.choice([0.8, 1.0, 1.25]), **caps))
    usage = {
        s: StepUsage(
            tasks=rng.choice([1, 2, 3]),
            duration_hours=rng.choice([1, 2, 3]),
            input_gb=rng.choice([0, 1, 5, 20]),
            output_gb=rng.choice([0, 2]),
        )
        for s in names
    }
    return build_space(flow(*steps), config(pools, usage), market(offers))


def test_cbc_stopped_by_a_limit_reports_feasible_with_a_gap_not_optimal(monkeypatch):
    # CBC stops on --time-limit in real use; a node limit stops it the same way (status
    # "stopped", a plan in hand) but deterministically: no node after the first, no cuts.
    cbc = functools.partial(pulp.PULP_CBC_CMD, maxNodes=0, cuts=False, presolve=False, strong=0)
    monkeypatch.setattr(pulp, "PULP_CBC_CMD", cbc)
    models = []
    monkeypatch.setattr(
        _pulp, "to_pulp", lambda p, made=_pulp.to_pulp: models.append(made(p)) or models[-1]
    )
    problem = build_problem(_capped_pools(8, seed=0))
    for cap in problem.potential_loads:  # every limit exactly: one model, no rounds
        problem.add_flow(cap)
    solution = solve(problem, "cbc", time_limit=60)
    model = models[0][0]
    assert model.status == pulp.LpStatusOptimal  # pulp says "Optimal" ...
    assert model.sol_status == pulp.LpSolutionIntegerFeasible  # ... CBC stopped
    assert solution.stats.status == "feasible"
    assert solution.stats.gap is not None and solution.stats.gap > 0.01


# -- property tests: random small instances against brute force -------------------------


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
