"""The terminal table, rendered at a fixed width and compared to stored text."""

from fixtures.plan.report_plans import bases, heads

from placer.output import render
from placer.output.report._table import render_table
from placer.report import build_report, check_thresholds, parse_threshold


def test_compare_table_golden(golden):
    golden("report/compare.table.txt", render(heads(), bases(), "table", width=100))


def test_table_rows_by_hand():
    text = render(heads(), bases(), "table", width=120)
    assert text.splitlines()[0] == "💰 Monthly cost will decrease by $263.20 (-16%)"
    train = next(line for line in text.splitlines() if "│ train" in line)
    cells = [c.strip() for c in train.strip("│").split("│")]
    assert cells == [
        "train",
        "aws-use1 → gcp-usc1",
        "$1,230.00",
        "$30.00",
        "$1,260.00",
        "-$240.00 (-16%)",
    ]
    assert "OldFlow (removed) · flows/oldflow.py" in text


def test_threshold_lines():
    report = build_report(bases(), heads())
    checks = check_thresholds(report, [parse_threshold("fail-above", "100")])
    text = render_table(report, checks, width=120)
    assert "FAIL: monthly cost $1,633.00 is above --fail-above $100.00" in text


def test_single_plan_shows_moves_from_the_flow_as_written():
    from fixtures.plan.report_plans import demo_head

    text = render(demo_head(), None, "table", width=120)
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 3}
    assert "aws-use1 → gcp-usc1" in rows["train"]  # as written: aws-use1
    assert "aws-use1 → azure-eus" in rows["new_step"]
    assert "→" not in rows["start"]  # stays where it was written


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("│").split("│")]


def test_each_flow_ends_with_a_total_row():
    text = render(heads(), bases(), "table", width=120)
    totals = [_cells(line) for line in text.splitlines() if line.startswith("│ Total ")]
    # the factory scenario: DemoFlow 1,611.00 -> 1,359.00, EtlFlow new 10.80, OldFlow gone 22.00
    assert totals == [
        ["Total", "", "$1,314.00", "$45.00", "$1,359.00", "-$252.00 (-16%)"],
        ["Total", "", "$10.80", "$0.00", "$10.80", "+$10.80"],
        ["Total", "", "$0.00", "$0.00", "$0.00", "-$22.00 (-100%)"],
    ]
    single = render(heads(), None, "table", width=120)
    assert [_cells(line) for line in single.splitlines() if line.startswith("│ Total ")] == [
        ["Total", "", "$1,314.00", "$45.00", "$1,359.00"],
        ["Total", "", "$10.80", "$0.00", "$10.80"],
    ]
