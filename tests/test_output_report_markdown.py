"""The Markdown / GitHub report: golden files, headline wording, marker and truncation.

Golden files live in tests/fixtures/report/; the scenario's figures are worked out in
tests/test_report_factory.py. Set PLACER_UPDATE_GOLDEN=1 to rewrite them (then review the diff).
"""

import re

import pytest
from fixtures.plan.report_plans import bases, demo_base, demo_head, heads, plan, step

from placer.output.report import GITHUB_LIMIT_CHARS, MARKER, headline, render
from placer.output.report._markdown import render_markdown
from placer.report import build_report


def test_compare_github_golden(golden):
    golden("report/compare.github.md", render(heads(), bases(), "github"))


def test_single_plan_markdown_golden(golden):
    golden("report/plan.md", render(demo_head(), None, "markdown"))


def _row(text: str, first_cell: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"| {first_cell} |"))


def test_compare_content_by_hand():
    text = render(heads(), bases(), "github")
    assert text.startswith(MARKER + "\n")
    assert "## 💰 Monthly cost will decrease by $263.20 (-16%)" in text
    assert "**$1,633.00 → $1,369.80 per month** across 3 flows." in text
    # pool moves, signs, zero change, new and removed steps
    assert _row(text, "train") == (
        "| train | aws-use1 → gcp-usc1 | $1,230.00 | $30.00 | $1,260.00 | -$240.00 (-16%) |"
    )
    assert _row(text, "score").endswith("| +$12.00 (+16%) |")
    assert _row(text, "new_step *(new)*").endswith("| +$6.00 (new) |")
    assert _row(text, "old_step *(removed)*") == (
        "| old_step *(removed)* | ~~aws-use1~~ | — | — | — | -$30.00 (removed) |"
    )
    assert _row(text, "EtlFlow (new)") == "| EtlFlow (new) | $0.00 | $10.80 | +$10.80 (new) |"
    assert _row(text, "**Total**") == (
        "| **Total** | **$1,633.00** | **$1,369.80** | **-$263.20 (-16%)** |"
    )
    assert "Saves $141.00 (9%) per month against the flow as written ($1,500.00 per month)." in text
    assert "memory raised to the 8 GiB floor" in text  # warnings reach the details block
    assert text.count("```mermaid") == 2  # the removed flow has no diagram


def test_zero_change_rows():
    text = render([demo_base()], [demo_base()], "markdown")
    assert "## 💰 Monthly cost: no change ($1,611.00)" in text
    assert _row(text, "start").endswith("| $0.00 (0%) |")
    assert _row(text, "**Total**").endswith("| **$0.00 (0%)** |")


def test_markdown_has_no_marker_github_has_it_once():
    assert MARKER not in render(heads(), bases(), "markdown")
    assert render(heads(), bases(), "github").count(MARKER) == 1


@pytest.mark.parametrize(
    ("base_compute", "head_compute", "expected"),
    [
        ("1.00", "1.10", "💰 Monthly cost will increase by $3.00 (+10%)"),  # 30 -> 33
        ("1.00", "0.90", "💰 Monthly cost will decrease by $3.00 (-10%)"),
        ("1.00", "1.00", "💰 Monthly cost: no change ($30.00)"),
    ],
)
def test_headline_direction(base_compute, head_compute, expected):
    base = plan("F", {"start": step("aws-use1", base_compute)})
    head = plan("F", {"start": step("aws-use1", head_compute)})
    assert headline(build_report([head], [base])) == expected


def test_headline_from_nothing_has_no_percent():
    head = plan("F", {"start": step("aws-use1", "1.00")})
    assert headline(build_report([head], [])) == "💰 Monthly cost will increase by $30.00"


def test_infeasible_as_written_is_said():
    head = demo_head()
    written = head.baselines["as_written"]
    from dataclasses import replace

    infeasible = replace(written, feasible=False, note="train needs 4 GPUs; aws-use1 has none")
    text = render(replace(head, baselines={"as_written": infeasible}), None, "markdown")
    assert (
        "As written (the current decorators), this flow cannot run: train needs 4 GPUs; "
        "aws-use1 has none."
    ) in text


def test_pipes_in_reasons_do_not_break_tables():
    head = plan("F", {"start": step("aws-use1", "1", reasons=("a | b",))})
    text = render(head, None, "markdown")
    assert "| a \\| b |" in text


def _big_report(flows: int = 40, steps: int = 60):
    long_reason = "cheapest pool with room for the memory floor " * 3
    plans = [
        plan(
            f"Flow{i:03d}",
            {
                f"step_{j:03d}": step("aws-use1", "1.25", reasons=(long_reason,))
                for j in range(steps)
            },
        )
        for i in range(flows)
    ]
    return build_report(plans, [])


def test_truncation_keeps_headline_and_totals_under_the_limit():
    report = _big_report()
    full = render_markdown(report)
    assert len(full) > GITHUB_LIMIT_CHARS  # so the test exercises truncation
    text = render_markdown(report, github=True)
    assert len(text) < GITHUB_LIMIT_CHARS
    # 40 flows x 60 steps x $1.25 x 30 runs = $90,000.00, all new
    assert "## 💰 Monthly cost will increase by $90,000.00\n" in text
    assert "**$0.00 → $90,000.00 per month** across 40 flows." in text
    assert "shortened to fit GitHub's comment limit" in text
    assert text.startswith(MARKER) and text.rstrip().endswith("</sub>")
    # details go first: none is left, while the flow summary table stays whole
    assert "<details>" not in text
    assert _row(text, "**Total**").endswith("| **+$90,000.00** |")


def test_truncation_drops_whole_levels_in_order():
    report = _big_report(flows=3, steps=5)
    full = render_markdown(report, github=True)
    assert "shortened" not in full  # small: nothing dropped
    assert render_markdown(report, github=True, budget_chars=len(full) + 100) == full
    tight = render_markdown(report, github=True, budget_chars=1_500)
    assert "| Flow |" in tight  # the flow summary fits in 1,500 characters
    assert "### Flow002" not in tight  # the last flow's step table did not
    assert "```mermaid" not in tight and "<details>" not in tight
    assert re.search(r"\(step tables, diagrams, details left out\)", tight)


def test_fit_keeps_levels_in_order_and_cuts_the_rest():
    from placer.output.report._truncate import Section, fit, truncate

    a, b, c, d, e = (Section(ch * 10, p) for ch, p in zip("abcde", [0, 1, 2, 1, 0], strict=True))
    parts = [a, b, c, d, e]  # each costs 12 characters with its blank line; a+e = 24
    assert fit(parts, 48) == ([a, b, d, e], {2})  # level 1 fills the 24 left; c is cut
    assert fit(parts, 47) == ([a, b, e], {1, 2})  # d no longer fits: levels 1 and 2 cut
    assert fit(parts, 60) == (parts, set())
    noted = truncate(parts, {1: "tables", 2: "details"}, 47)
    assert [s.text[:1] for s in noted] == ["a", "b", ">", "e"]  # the note goes before the last
    assert "(tables, details left out)" in noted[2].text


def test_task_hours_without_trailing_zeros():
    hours = {"a": "6.0000", "b": "10.00", "c": "0.1667", "d": "2.50"}
    flow = plan("HoursFlow", {n: step("aws-use1", "1", hours=h) for n, h in hours.items()})
    details = render(flow, fmt="markdown").split("<details>")[1]
    cells = [line.split(" | ")[4] for line in details.splitlines() if line.startswith("| ")][1:]
    assert cells == ["6", "10", "0.1667", "2.5"]


def test_render_takes_one_plan_or_many_and_refuses_unknown_formats():
    from placer.errors import ReportError

    assert render(demo_head()) == render([demo_head()], None, "markdown")
    with pytest.raises(ReportError, match="unknown report format 'html'"):
        render(demo_head(), fmt="html")


def test_a_note_says_when_rounded_rows_do_not_add_up():
    from placer.output.report._markdown import ROUNDED_NOTE

    uneven = plan("UnevenFlow", {n: step("aws-use1", "0.334") for n in ("a", "b", "c")}, runs=1)
    assert ROUNDED_NOTE in render(uneven, fmt="markdown")
    assert ROUNDED_NOTE in render(uneven, fmt="table", width=200).replace("\n", " ")
    assert ROUNDED_NOTE not in render(heads(), bases(), "markdown")  # every row adds up there
