"""The LP rounding heuristic and its parts (placer.optimize.rounding, _peak_lp)."""

import random
from dataclasses import replace

import pytest
from fixtures.plan.factory import branches, config, market
from fixtures.plan.instances import (
    AWS,
    GCP,
    OFFERS,
    brute_force,
    instances,
    rich_instance,
    three_branches,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placer.optimize._peak_lp import PeakLP
from placer.optimize.antichain import heaviest_antichain, peak, peak_bound, reduced_order
from placer.optimize.evaluate import evaluate
from placer.optimize.problem import build_problem
from placer.optimize.rounding import round_lp
from placer.optimize.solve import solve_with_cuts
from placer.optimize.space import build_space


def test_rounding_keeps_two_of_three_branches_in_the_capped_pool():
    # 1 vCPU pods pay half a 2-vCPU node per hour: aws $0.05, gcp $0.03. gcp holds 2 vCPU and
    # a, b, c can run at once, so one of them pays aws: 5 x 0.03 + 0.05 = 0.20, which is also
    # the LP bound (x_a + x_b + x_c <= 2 costs the same however it is split): gap 0.
    space = build_space(three_branches(), config([AWS, replace(GCP, max_vcpus=2)]), market(OFFERS))
    problem = build_problem(space)
    rounded = round_lp(problem)
    assert rounded.cost_usd == pytest.approx(0.20)
    assert rounded.bound_usd == pytest.approx(0.20)
    assert rounded.gap == pytest.approx(0.0, abs=1e-9)
    placed = rounded.assignment
    assert sorted(placed[s] for s in "abc") == ["aws", "gcp", "gcp"]
    assert [placed[s] for s in ("start", "join", "end")] == ["gcp"] * 3
    solution = solve_with_cuts(build_problem(space), "highs", gap=1e-6)
    assert solution.stats.solver == "HiGHS LP + rounding"
    assert solution.stats.status == "optimal"
    assert solution.stats.objective == pytest.approx(0.20)


def test_a_rounded_plan_short_of_the_gap_is_checked_by_the_solver():
    # Two 2-vCPU branches and a 3-vCPU gcp pool: the LP keeps one and a half branches there,
    # only one fits. A 2-vCPU pod pays a whole node: gcp $0.06, aws $0.10. Optimum: start,
    # join, end (1 vCPU, $0.03) and one branch in gcp, the other in aws = 0.09 + 0.06 + 0.10
    # = 0.25; the LP bound is 0.02 lower (half a branch at gcp's price).
    two = branches("a", "b", cpu=2)
    space = build_space(two, config([AWS, replace(GCP, max_vcpus=3)]), market(OFFERS))
    rounded = round_lp(build_problem(space))
    assert rounded.cost_usd == pytest.approx(0.25)
    assert rounded.bound_usd == pytest.approx(0.23)
    solution = solve_with_cuts(build_problem(space), "highs", gap=1e-6)
    assert solution.stats.solver == "HiGHS"  # the rounded plan was 8% off the bound
    assert solution.stats.objective == pytest.approx(0.25)
    assert evaluate(space, solution.assignment).feasible
    loose = solve_with_cuts(build_problem(space), "highs", gap=0.1)
    assert loose.stats.solver == "HiGHS LP + rounding"
    assert loose.stats.gap == pytest.approx(0.02 / 0.25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_bound_never_exceeds_the_optimum_and_plans_are_feasible(space):
    feasible = [o.total_usd for _, o in brute_force(space) if o.feasible]
    rounded = round_lp(build_problem(space))
    if not feasible:
        assert rounded.assignment is None
        return
    best = min(feasible)
    if rounded.bound_usd is not None:
        assert rounded.bound_usd <= best + 1e-7
    if rounded.assignment is not None:
        outcome = evaluate(space, rounded.assignment)
        assert outcome.feasible, outcome.violations
        assert rounded.cost_usd == pytest.approx(outcome.total_usd)
        assert rounded.cost_usd >= best - 1e-9
        assert rounded.gap == pytest.approx(
            (rounded.cost_usd - rounded.bound_usd) / rounded.cost_usd
        )


@st.composite
def dags(draw):
    rng = random.Random(draw(st.integers(0, 10**6)))
    n = draw(st.integers(2, 12))
    names = tuple(f"n{i}" for i in range(n))
    edges = tuple(
        (names[u], names[v]) for u in range(n) for v in range(u + 1, n) if rng.random() < 0.25
    )
    return rng, names, edges


@settings(max_examples=80, deadline=None)
@given(dags())
def test_peak_lp_accepts_exactly_the_steps_that_keep_the_peak_within_the_cap(dag):
    rng, names, edges = dag
    cap = rng.choice([2.0, 3.5, 6.0])
    current = {n: rng.choice([0.0, 0.0, 1.0]) for n in names}
    current = {n: w for n, w in current.items() if w}
    if peak(names, edges, current) > cap:
        current = {}
    oracle = PeakLP(names, edges, current)
    assert oracle.peak == pytest.approx(peak(names, edges, current))
    for _ in range(15):
        name, load = rng.choice(names), rng.choice([0.5, 1.0, 2.0])
        if rng.random() < 0.25 and current.get(name):
            oracle.remove(name, current[name])
            current.pop(name)
            continue
        trial = {**current, name: current.get(name, 0.0) + load}
        expected = peak(names, edges, trial) <= cap + 1e-6
        assert oracle.fits(name, load, cap) == expected
        if expected:
            current = trial
        assert oracle.peak >= peak(names, edges, current) - 1e-9  # an upper bound between solves


@settings(max_examples=80, deadline=None)
@given(dags())
def test_reduced_order_has_the_same_heaviest_antichain(dag):
    rng, names, edges = dag
    subset = [n for n in names if rng.random() < 0.5]
    weights = {n: rng.choice([1.0, 2.0, 3.0]) for n in subset}
    reduced = reduced_order(names, edges, subset)
    assert {u for u, _ in reduced} | {v for _, v in reduced} <= set(subset)
    assert peak(subset, reduced, weights) == pytest.approx(peak(names, edges, weights))
    assert heaviest_antichain(subset, reduced, weights)[0] == pytest.approx(
        heaviest_antichain(names, edges, weights)[0]
    )


def test_reduced_order_drops_edges_implied_by_others():
    names = ("a", "b", "c", "d")
    edges = (("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"))
    assert set(reduced_order(names, edges, ["a", "c", "d"])) == {("a", "c"), ("c", "d")}
    assert set(reduced_order(names, edges, ["a", "d"])) == {("a", "d")}


@settings(max_examples=80, deadline=None)
@given(dags())
def test_peak_bound_is_never_below_the_peak(dag):
    rng, names, edges = dag
    weights = {n: rng.choice([0.0, 0.5, 1.0, 3.0]) for n in names}
    assert peak_bound(names, edges, weights) >= peak(names, edges, weights) - 1e-9


def test_peak_bound_is_exact_on_a_chain_and_a_split():
    # A chain runs one step at a time: its greedy flow passes the weight along (peak 3).
    chain = ("a", "b", "c")
    assert peak_bound(chain, (("a", "b"), ("b", "c")), {"a": 1, "b": 3, "c": 2}) == 3
    # start -> x, y -> end: x and y run at once (peak 2 + 1 = 3).
    names = ("s", "x", "y", "e")
    edges = (("s", "x"), ("s", "y"), ("x", "e"), ("y", "e"))
    assert peak_bound(names, edges, {"s": 1, "x": 2, "y": 1, "e": 1}) == 3


def test_a_split_step_with_only_contested_pools_is_placed_by_the_refill():
    # In this instance (found by the audit's generator) the LP splits a step between pools
    # whose limits it had to state exactly, and the step has no other pool. It is left out
    # of the round down and placed where it still fits; the plan is then the optimum.
    space = rich_instance(38)
    best = min(o.total_usd for _, o in brute_force(space) if o.feasible)
    problem = build_problem(space)
    rounded = round_lp(problem)
    assert rounded.assignment is not None
    assert evaluate(space, rounded.assignment).feasible
    assert rounded.cost_usd == pytest.approx(best)
