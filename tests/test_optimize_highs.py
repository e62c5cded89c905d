"""A Problem in HiGHS, kept in step as it grows (placer.optimize._highs), and the same
Problem through pulp (placer.optimize._pulp) as an independent check."""

from dataclasses import replace

import pulp
import pytest
from fixtures.plan.factory import config, market
from fixtures.plan.instances import AWS, GCP, OFFERS, three_branches

from placer.optimize._highs import HighsModel
from placer.optimize._pulp import to_pulp, write_lp
from placer.optimize.problem import Assign, Cap, Problem, build_problem
from placer.optimize.space import Space, build_space

NOWHERE = Space(steps=(), edges=(), pools={}, options={}, caps={}, runs_per_month=30)


def _lp_through_pulp(problem: Problem) -> float:
    """The LP relaxation's optimum, solved by pulp's own HiGHS interface."""
    model, variables = to_pulp(problem)
    for var in variables:
        var.cat = pulp.LpContinuous
    model.solve(pulp.HiGHS(msg=False))
    return model.objective.value()


def test_columns_only_in_the_objective_and_rows_appended_later():
    # min x + 2y + 3z: x + y >= 1, x - y <= 2, x in [0, 4], y >= -3, z in [1, 2] (no row).
    # Least x + 2y at x = 1.5, y = -0.5 (0.5); z = 1 adds 3: 3.5.
    problem = Problem(NOWHERE, "cost", None)
    x, y = problem.column("x", 0, 4, cost=1), problem.column("y", -3, None, cost=2)
    problem.column("z", 1, 2, cost=3)
    problem.row("c1", [(x, 1), (y, 1)], low=1)
    problem.row("c2", [(x, 1), (y, -1)], up=2)
    lp = HighsModel(problem, relaxed=True)
    assert lp.run().objective == pytest.approx(3.5)
    w = problem.column("w", 0, 1)
    problem.row("c3", [(x, 1), (w, 1)], low=3.5)  # x >= 2.5 now: y >= 0.5, x + 2y = 3.5
    assert lp.run().objective == pytest.approx(6.5)
    assert lp.highs.getNumCol() == 4 and lp.highs.getNumRow() == 3


def test_a_model_without_columns_holds_when_every_row_allows_zero():
    problem = Problem(NOWHERE, "cost", None)
    assert HighsModel(problem).run().objective == 0.0
    problem.row("holds", [], up=1)  # 0 <= 1
    assert HighsModel(problem).run().status == "optimal"
    problem.row("cannot", [], 1, 1)  # 0 == 1
    assert HighsModel(problem).run().status == "infeasible"


def test_an_infeasible_lp_and_an_lp_out_of_time_have_no_value():
    problem = Problem(NOWHERE, "cost", None)
    x = problem.column("x", 0, 1, cost=1)
    problem.row("impossible", [(x, 1)], low=2)
    assert HighsModel(problem, relaxed=True).run().status == "infeasible"
    space = build_space(three_branches(), config([AWS, replace(GCP, max_vcpus=2)]), market(OFFERS))
    lp = HighsModel(build_problem(space), relaxed=True)
    out_of_time = lp.run(time_limit=0.0)
    assert out_of_time.status == "not solved" and out_of_time.objective is None
    assert lp.run().objective == pytest.approx(0.20)


def test_the_lp_follows_the_flows_added_to_the_problem():
    space = build_space(three_branches(), config([AWS, replace(GCP, max_vcpus=1)]), market(OFFERS))
    problem = build_problem(space)
    lp = HighsModel(problem, relaxed=True)
    assert lp.run().objective == pytest.approx(_lp_through_pulp(problem))
    problem.add_flow(Cap("gcp", "vcpu"))
    run = lp.run()
    assert run.objective == pytest.approx(_lp_through_pulp(problem))
    # gcp holds 1 vCPU: two of a, b, c pay aws ($0.05), the rest gcp ($0.03): 4 x 0.03 + 2 x 0.05
    assert run.objective == pytest.approx(0.22)
    assert lp.highs.getNumCol() == len(problem.columns) == len(run.values)


def test_the_mip_places_every_step_once():
    space = build_space(three_branches(), config([AWS, replace(GCP, max_vcpus=2)]), market(OFFERS))
    problem = build_problem(space)
    run = HighsModel(problem).run()
    placed = problem.assignment(run.values)
    assert run.status == "optimal" and run.gap == 0.0
    assert run.objective == pytest.approx(0.20)  # one of a, b, c in aws
    assert sorted(placed[s] for s in "abc") == ["aws", "gcp", "gcp"]
    assert run.values[problem.index[Assign("start", "gcp")]] == pytest.approx(1.0)


def test_the_lp_file_names_the_domain(tmp_path):
    space = build_space(three_branches(), config([AWS, replace(GCP, max_vcpus=2)]), market(OFFERS))
    write_lp(build_problem(space), tmp_path / "flow.lp")
    text = (tmp_path / "flow.lp").read_text()
    assert "one_a_:" in text and "assign_a,gcp_" in text and "cut_gcp,vcpu,0_:" in text
