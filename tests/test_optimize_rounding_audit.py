"""Audit of the LP rounding path: honesty of bounds, gaps and statuses, exactness of its
helper PeakLP, edge cases, and time limits (rounding, _peak_lp, solve).

Brute force over every placement is the judge on small instances with many kinds of
constraints: several capped pools (vCPU, memory in GiB, GPUs, nodes, caps of 0), spot
pools, pins (steps with one option), residency, deadlines and budgets.
"""

import io
import random
import time
from dataclasses import replace

import pytest
from fixtures.plan.factory import config, flow, market, step
from fixtures.plan.instances import (
    AWS,
    GCP,
    OFFERS,
    brute_force,
    rich_instance,
    rich_instances,
    three_branches,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import placer.optimize.rounding as rounding
import placer.optimize.solve as solve_module
from placer.optimize._highs import HighsModel
from placer.optimize._peak_lp import PeakLP
from placer.optimize._pulp import cbc_gap
from placer.optimize.antichain import peak, reduced_order
from placer.optimize.evaluate import evaluate
from placer.optimize.problem import build_problem
from placer.optimize.rounding import Rounded, round_lp
from placer.optimize.solve import Solution, optimize, solve, solve_with_cuts
from placer.optimize.space import build_space
from placer.plan import SolverStats


def _true_gap(cost: float, best: float) -> float:
    return (cost - best) / cost if cost else 0.0


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rich_instances())
def test_rounding_bound_plan_gap_and_status_are_honest_against_brute_force(space):
    feasible = [o.total_usd for _, o in brute_force(space) if o.feasible]
    best = min(feasible) if feasible else None
    rounded = round_lp(build_problem(space))
    if rounded.bound_usd is not None and best is not None:
        assert rounded.bound_usd <= best + 1e-7
    if rounded.assignment is not None:
        outcome = evaluate(space, rounded.assignment)
        assert outcome.feasible, outcome.violations
        assert rounded.cost_usd == pytest.approx(outcome.total_usd)
    for gap in (1e-6, 0.05, 0.5):
        solution = solve_with_cuts(build_problem(space), "highs", gap=gap)
        assert solution.found == (best is not None)
        if best is None:
            continue
        outcome = evaluate(space, solution.assignment)
        assert outcome.feasible, outcome.violations
        assert solution.stats.objective == pytest.approx(outcome.total_usd, abs=1e-9)
        true_gap = _true_gap(outcome.total_usd, best)
        if solution.stats.gap is not None:  # the bound behind the gap is never above the best
            assert true_gap <= solution.stats.gap + 1e-7
        if solution.stats.status == "optimal":
            assert true_gap <= gap + 1e-7
            assert solution.stats.gap is None or solution.stats.gap <= gap + 1e-9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rich_instances())
def test_time_objective_second_phase_keeps_the_fastest_makespan(space):
    # The second phase (cost under a makespan limit) goes through the rounding.
    feasible = [o for _, o in brute_force(space) if o.feasible]
    solution = optimize(space, objective="time", solver="highs")
    assert solution.found == bool(feasible)
    if not feasible:
        return
    fastest = min(o.makespan_hours for o in feasible)
    cheapest = min(o.total_usd for o in feasible if o.makespan_hours <= fastest + 1e-6)
    outcome = evaluate(space, solution.assignment)
    assert outcome.feasible
    assert outcome.makespan_hours == pytest.approx(fastest, rel=1e-5)
    assert outcome.total_usd == pytest.approx(cheapest, rel=1e-5, abs=1e-9)


def test_highs_presolve_calling_a_feasible_model_infeasible_is_confirmed_without_it():
    # Found by the test above: once the rounding states p1's vCPU limit as a flow and a cut
    # round adds cut[p0] over s0, s3, s4, HiGHS 1.16's MIP presolve calls the model
    # infeasible; without presolve it solves. Brute force: s0 in p0, s4 in p2, the rest in
    # p1 is the cheapest feasible plan.
    space = rich_instance(347)
    best, cheapest = min(
        ((o.total_usd, p) for p, o in brute_force(space) if o.feasible), key=lambda t: t[0]
    )
    assert cheapest == {"s0": "p0", "s1": "p1", "s2": "p1", "s3": "p1", "s4": "p2"}
    solution = solve_with_cuts(build_problem(space), "highs", gap=1e-6)
    assert solution.stats.status == "optimal"
    assert solution.assignment == cheapest
    assert solution.stats.objective == pytest.approx(best)


# -- edge cases of the rounding -------------------------------------------------------------


def test_a_step_no_pool_can_take_rounds_to_nothing():
    # The only step needs a GPU nobody sells: its "one pool" row has no column.
    space = build_space(
        flow(step("start", [], type="start", gpu=1)),
        config([AWS, replace(GCP, max_vcpus=1)]),
        market(OFFERS),
    )
    assert space.options["start"] == ()
    assert round_lp(build_problem(space)) == Rounded(None, None, None)


# -- PeakLP: exact with float loads, partial removals and boundary caps ---------------------


@st.composite
def peak_states(draw):
    rng = random.Random(draw(st.integers(0, 10**6)))
    n = rng.randint(1, 10)
    names = tuple(f"n{i}" for i in range(n))
    edges = tuple(
        (names[u], names[v]) for u in range(n) for v in range(u + 1, n) if rng.random() < 0.3
    )
    return rng, names, edges, rng.choice([1.0, 37.3, 1000.0, 1e-3])


@settings(max_examples=80, deadline=None)
@given(peak_states())
def test_peak_lp_is_exact_with_float_loads_removals_and_caps_at_the_tolerance(state):
    rng, names, edges, scale = state
    members = [n for n in names if rng.random() < 0.7] or list(names)
    current = {m: round(rng.uniform(0, 3) * scale, 6) for m in members if rng.random() < 0.4}
    base_cap = peak(names, edges, current) + rng.choice([0.0, 0.5, 2.0]) * scale
    oracle = PeakLP(members, reduced_order(names, edges, members), current)
    for _ in range(15):
        name = rng.choice(members)
        if rng.random() < 0.25 and current.get(name):
            amount = current[name] * rng.choice([1.0, 0.5])
            oracle.remove(name, amount)
            current[name] -= amount
            continue
        load = round(rng.uniform(0.1, 2.0) * scale, 6)
        trial = {**current, name: current.get(name, 0.0) + load}
        top = peak(names, edges, trial)
        cap = rng.choice([base_cap, top, top + 4e-7, top - 4e-7, top + 3e-6, top - 3e-6])
        expected = top <= cap + 1e-6
        if oracle.surely_over(name, load, cap):  # refuses only steps that cannot fit
            assert not expected
        assert oracle.fits(name, load, cap) == expected
        if expected:
            current = trial
        assert oracle.peak >= peak(names, edges, current) - 1e-9


# -- edge cases -------------------------------------------------------------------------------


def test_an_empty_flow_rounds_to_an_empty_plan_of_cost_zero():
    space = build_space(flow(), config([AWS, replace(GCP, max_vcpus=1)]), market(OFFERS))
    assert round_lp(build_problem(space)) == Rounded({}, 0.0, 0.0)


def test_a_single_step_goes_to_its_cheapest_pool():
    space = build_space(
        flow(step("start", [], type="start")),
        config([AWS, replace(GCP, max_vcpus=1)]),
        market(OFFERS),
    )
    rounded = round_lp(build_problem(space))  # 1 h at half a gcp node: $0.03
    assert (rounded.assignment, rounded.cost_usd, rounded.bound_usd) == (
        {"start": "gcp"},
        pytest.approx(0.03),
        pytest.approx(0.03),
    )


def test_every_option_in_a_contested_pool():
    # aws and gcp each hold 1 vCPU and a, b (1 vCPU) can run at once: one each. start, join,
    # end never overlap: gcp ($0.03). 4 x 0.03 + 0.05 = 0.17, also the LP bound.
    steps = [
        step("start", ["a", "b"], type="split"),
        step("a", ["join"]),
        step("b", ["join"]),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    ]
    pools = [replace(AWS, max_vcpus=1), replace(GCP, max_vcpus=1)]
    space = build_space(flow(*steps), config(pools), market(OFFERS))
    rounded = round_lp(build_problem(space))
    assert rounded.cost_usd == pytest.approx(0.17)
    assert rounded.bound_usd == pytest.approx(0.17)
    assert sorted(rounded.assignment[s] for s in "ab") == ["aws", "gcp"]


def test_memory_caps_in_fractional_gib():
    # a, b, c need 4 GiB each and gcp holds 8.5 GiB: two of them fit, as with 2 vCPU.
    space = build_space(
        three_branches(), config([AWS, replace(GCP, max_memory_gib=8.5)]), market(OFFERS)
    )
    rounded = round_lp(build_problem(space))
    assert rounded.cost_usd == pytest.approx(0.20)
    assert sorted(rounded.assignment[s] for s in "abc") == ["aws", "gcp", "gcp"]


def test_no_room_anywhere_is_infeasible_and_rounds_to_nothing():
    # a, b, c run at once; aws (cap 0) takes none, gcp (cap 2) two: no plan.
    pools = [replace(AWS, max_vcpus=0), replace(GCP, max_vcpus=2)]
    space = build_space(three_branches(), config(pools), market(OFFERS))
    assert all(o.pool == "gcp" for s in "abc" for o in space.options[s])
    assert round_lp(build_problem(space)) == Rounded(None, None, None)
    assert solve_with_cuts(build_problem(space), "highs").stats.status == "infeasible"


# -- time limits ----------------------------------------------------------------------------


def test_a_rounding_out_of_time_still_returns_the_plan_it_has(monkeypatch):
    # With the time out right after the first LP, the plan rounded from it is still checked
    # and returned (before, the rounding gave up without one).
    monkeypatch.setattr(rounding, "_late", lambda stop_at: True)
    monkeypatch.setattr(rounding, "_left", lambda stop_at: None)
    space = build_space(three_branches(), config([AWS, replace(GCP, max_vcpus=2)]), market(OFFERS))
    rounded = round_lp(build_problem(space), stop_at=0.0)
    assert rounded.assignment is not None
    outcome = evaluate(space, rounded.assignment)
    assert outcome.feasible
    assert rounded.cost_usd == pytest.approx(outcome.total_usd)
    assert rounded.bound_usd == pytest.approx(0.20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rich_instances(), st.integers(0, 12))
def test_a_rounding_stopped_anywhere_returns_a_feasible_plan_or_none(space, checks):
    # The time runs out after `checks` looks at the clock: an LP that still breaks limits,
    # a refill cut short. Whatever comes back is checked and bounded honestly.
    seen = []

    def late(stop_at):
        seen.append(stop_at)
        return len(seen) > checks

    feasible = [o.total_usd for _, o in brute_force(space) if o.feasible]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rounding, "_late", late)
        patch.setattr(rounding, "_left", lambda stop_at: None)
        rounded = round_lp(build_problem(space), stop_at=0.0)
    if rounded.bound_usd is not None and feasible:
        assert rounded.bound_usd <= min(feasible) + 1e-7
    if rounded.assignment is not None:
        outcome = evaluate(space, rounded.assignment)
        assert outcome.feasible, outcome.violations
        assert rounded.cost_usd == pytest.approx(outcome.total_usd)


def test_the_refill_stops_at_the_time_limit():
    # c in gcp, a and b in aws: moving a into gcp saves 0.02 and fits (2 vCPU), unless the
    # time is up.
    space = build_space(three_branches(), config([AWS, replace(GCP, max_vcpus=2)]), market(OFFERS))
    start = {"start": "gcp", "a": "aws", "b": "aws", "c": "gcp", "join": "gcp", "end": "gcp"}
    stopped = rounding._refill(space, dict(start), {"gcp"}, None, time.perf_counter() - 1)
    assert stopped == start
    refilled = rounding._refill(space, dict(start), {"gcp"}, None, None)
    assert sorted(refilled[s] for s in "abc") == ["aws", "gcp", "gcp"]


def _stats(status: str, objective: float | None, gap: float | None) -> SolverStats:
    return SolverStats("HiGHS", status, objective, gap, 0.1, 10, 10)


def _capped_problem():
    space = build_space(three_branches(), config([AWS, replace(GCP, max_vcpus=2)]), market(OFFERS))
    return space, build_problem(space)


def test_no_time_left_after_the_rounding_returns_its_plan_as_feasible(monkeypatch):
    space, problem = _capped_problem()
    plan = {s: "aws" for s in space.steps}  # 6 x 0.05 = 0.30 against a bound of 0.20
    monkeypatch.setattr(solve_module, "round_lp", lambda p, stop_at: Rounded(plan, 0.30, 0.20))

    def no_mip(*args, **kwargs):
        raise AssertionError("HiGHS ran with no time left")

    monkeypatch.setattr(solve_module, "_cut_rounds", no_mip)
    solution = solve_with_cuts(problem, "highs", time_limit=1e-9, gap=0.01)
    assert solution.assignment == plan
    assert solution.stats.solver == "HiGHS LP + rounding"
    assert solution.stats.status == "feasible"
    assert solution.stats.gap == pytest.approx(0.10 / 0.30)


def test_highs_plan_gets_the_gap_from_the_better_bound(monkeypatch):
    # HiGHS stopped at 0.20 with a 5% gap (its bound 0.19); the LP bound 0.1995 makes it
    # 0.25%: within a 1% gap, so optimal.
    space, problem = _capped_problem()
    monkeypatch.setattr(solve_module, "round_lp", lambda p, stop_at: Rounded(None, None, 0.1995))
    mip = Solution({s: "gcp" for s in space.steps}, _stats("feasible", 0.20, 0.05))
    monkeypatch.setattr(solve_module, "_cut_rounds", lambda *a, **k: mip)
    solution = solve_with_cuts(problem, "highs", time_limit=60, gap=0.01)
    assert solution.assignment == mip.assignment
    assert solution.stats.solver == "HiGHS"
    assert solution.stats.status == "optimal"
    assert solution.stats.gap == pytest.approx(0.0005 / 0.20)


def test_the_cheaper_rounded_plan_wins_with_the_better_bound(monkeypatch):
    # Rounded 0.21 (LP bound 0.18); HiGHS 0.22 with a 10% gap (bound 0.198): the rounded
    # plan, (0.21 - 0.198) / 0.21 = 5.7% > 1%: feasible.
    space, problem = _capped_problem()
    plan = {s: "gcp" for s in space.steps}
    monkeypatch.setattr(solve_module, "round_lp", lambda p, stop_at: Rounded(plan, 0.21, 0.18))
    mip = Solution({s: "aws" for s in space.steps}, _stats("feasible", 0.22, 0.10))
    monkeypatch.setattr(solve_module, "_cut_rounds", lambda *a, **k: mip)
    solution = solve_with_cuts(problem, "highs", time_limit=60, gap=0.01)
    assert solution.assignment == plan
    assert solution.stats.status == "feasible"
    assert solution.stats.gap == pytest.approx((0.21 - 0.198) / 0.21)


def test_time_objective_second_phase_gets_only_the_time_left(monkeypatch):
    space, _ = _capped_problem()
    seen = []

    def fake(problem, solver, time_limit, gap):
        seen.append(time_limit)
        stats = SolverStats("HiGHS", "optimal", 3.0, 0.0, 7.0, 1, 1)
        return Solution({s: "aws" for s in space.steps}, stats, makespan_hours=3.0)

    monkeypatch.setattr(solve_module, "solve_with_cuts", fake)
    optimize(space, objective="time", solver="highs", time_limit=10)
    assert seen == [10, pytest.approx(3.0)]  # the first phase took 7 of the 10 s


# -- HiGHS statuses -------------------------------------------------------------------------


def test_highs_optimal_outside_the_requested_gap_is_reported_feasible():
    # HiGHS also stops on an absolute gap (1e-6 by default): on plans of a few
    # millionths of a dollar it said "optimal" 25-50% from its bound. The gap asked for
    # decides the word.
    _, problem = _capped_problem()
    real = HighsModel(problem).run()
    solution = solve(problem, "highs", gap=1e-4, engine=lambda *_: replace(real, gap=0.3))
    assert real.status == "optimal"
    assert solution.stats.status == "feasible"
    assert solution.stats.gap == 0.3


def test_highs_is_asked_for_no_absolute_gap():
    _, problem = _capped_problem()
    model = HighsModel(problem)
    model.run(gap=1e-4)
    assert model.highs.getOptionValue("mip_abs_gap")[1] == 0.0
    assert model.highs.getOptionValue("mip_rel_gap")[1] == 1e-4


# -- placer plan --gap / --time-limit ---------------------------------------------------------


def _plan(*argv: str) -> tuple[int, str]:
    from pathlib import Path

    from placer.cli import main
    from placer.cli._env import Environment

    crosscloud = Path(__file__).resolve().parent.parent / "examples/crosscloud/crosscloudflow.py"
    out, err = io.StringIO(), io.StringIO()
    code = main(["plan", str(crosscloud), *argv], Environment(stdout=out, stderr=err, width=100))
    return code, err.getvalue()


@pytest.mark.parametrize("seconds", ["nan", "0", "-1", "inf"])
def test_a_time_limit_that_is_not_a_positive_number_is_bad_input(seconds, monkeypatch, tmp_path):
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "no-cache"))
    code, err = _plan("--time-limit", seconds)
    assert code == 2
    assert err.startswith("error: --time-limit: must be ") and err.count("\n") == 1
    assert "To fix: give seconds, e.g. 30" in err


def test_a_rough_round_that_proves_the_gap_is_not_solved_again(monkeypatch):
    # Split flow, gcp holds 1 vCPU: the first (1%) round places a and b apart and HiGHS
    # proves it (gap 0): optimal at once, even when the time is up (before: a second solve
    # at the requested gap, or "feasible" with a 0% gap).
    steps = [
        step("start", ["a", "b"], type="split"),
        step("a", ["join"]),
        step("b", ["join"]),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    ]
    space = build_space(flow(*steps), config([AWS, replace(GCP, max_vcpus=1)]), market(OFFERS))
    calls = []
    real = solve_module.solve

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(solve_module, "solve", counted)
    monkeypatch.setattr(solve_module, "round_lp", lambda p, stop_at: Rounded(None, None, None))
    solution = solve_with_cuts(build_problem(space), "highs", time_limit=1e-9, gap=1e-6)
    assert len(calls) == 1
    assert solution.stats.status == "optimal" and solution.stats.gap == 0.0
    assert solution.stats.objective == pytest.approx(0.17)  # 4 x 0.03 + 0.05


CBC_WITHIN_TOLERANCE = """
Result - Optimal solution found (within gap tolerance)

Objective value:                158.29570875
Lower bound:                    151.439
Gap:                            0.05
Enumerated nodes:               0
"""


def test_cbc_stopped_within_its_gap_tolerance_reports_that_gap_not_zero():
    # CBC at gapRel 5% on bench_plan.random_space(60, 20, seed=4, cap_scale=6) printed these
    # lines; before, "Optimal solution found" read as a 0 gap. The bound, printed with 3
    # decimals, is taken as 151.4385: (158.29570875 - 151.4385) / 158.29570875 = 4.33%.
    gap = cbc_gap(CBC_WITHIN_TOLERANCE, 0.05)
    assert gap == pytest.approx((158.29570875 - 151.4385) / 158.29570875)
    # Within a tolerance smaller than the print can show: CBC's own word, the tolerance.
    small = CBC_WITHIN_TOLERANCE.replace("158.29570875", "0.17000000").replace("151.439", "0.170")
    assert cbc_gap(small, 1e-6) == 1e-6
    stopped = CBC_WITHIN_TOLERANCE.replace(
        "Optimal solution found (within gap tolerance)", "Stopped on time limit"
    )
    assert cbc_gap(stopped, 1e-6) == pytest.approx(gap)
    proven = "Result - Optimal solution found\n\nObjective value:                0.17000000\n"
    assert cbc_gap(proven, 1e-6) == 0.0
