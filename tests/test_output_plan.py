"""The plan view of `placer plan` (placer.output.plan): expected text at fixed widths, and the
one money rule (half-up, a note when rounded rows do not add up)."""

from dataclasses import replace
from decimal import Decimal

from fixtures.output_cases import direct_plan, solved_plan
from fixtures.plan.report_plans import plan, step

from placer.output import render
from placer.output.plan import ROUNDED_NOTE, plan_view, summary_lines
from placer.output.table import to_text


def test_plan_view_expected_text(golden):
    golden("output/plan.table.txt", to_text(plan_view(solved_plan()), width=100))


def test_plan_view_folds_names_in_a_narrow_terminal(golden):
    golden("output/plan.narrow.table.txt", to_text(plan_view(solved_plan()), width=60))


def test_plan_view_when_no_solver_was_needed(golden):
    golden("output/plan.direct.table.txt", to_text(plan_view(direct_plan()), width=100))


def test_half_a_cent_rounds_up_in_the_plan_view_and_the_markdown_alike():
    # $2.5050 per run: half-even would print 2.50 here and the report $2.51.
    tie = plan("TieFlow", {"start": step("aws-use1", "2.505")}, runs=1)
    text = to_text(plan_view(tie))
    assert " 2.51 " in text and " 2.50 " not in text
    assert "$2.51" in render(tie, fmt="markdown")


def test_rows_that_do_not_add_up_as_shown_get_a_note():
    # 3 x 0.334 = 1.002: each row shows 0.33, the total 1.00 (0.99 would be summed rows).
    steps = {name: step("aws-use1", "0.334") for name in ("a", "b", "c")}
    uneven = plan("UnevenFlow", steps, runs=1)
    text = to_text(plan_view(uneven))
    assert text.count(" 0.33 ") == 6 and " 1.00 " in text
    assert ROUNDED_NOTE in summary_lines(uneven)
    assert ROUNDED_NOTE not in summary_lines(solved_plan())  # every row adds up there


def test_savings_percent_rounds_half_up():
    head = solved_plan()
    greedy = head.baselines["greedy"]
    # saves 1,400.00 - 1,359.00 = 41.00 of 1,400.00 = 2.93%; 1,395.00 saves 36.00 = 2.58%
    month = replace(greedy.per_month, compute=Decimal("1340.00"), egress=Decimal("60.00"))
    lines = summary_lines(replace(head, baselines={"greedy": replace(greedy, per_month=month)}))
    assert "vs greedy: $1,400.00/month -> saves $41.00/month (3%)" in lines
