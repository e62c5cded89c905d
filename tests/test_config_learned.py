"""merge_learned: learned values into placer.yaml's steps:, everything else kept."""

from __future__ import annotations

import pytest
from fixtures.learn.runs import HERE as LEARN_FIXTURES

from placer.config import init_text, parse_config
from placer.config.learned import LearnedValue, merge_learned
from placer.errors import ConfigError
from placer.flow import read_flow

V = LearnedValue
TRAIN = {
    "train": [V("duration", "12m30s", "learned 2026-12-03 from run 17"), V("tasks", 8, "learned t")]
}


def test_new_file_gets_a_steps_section():
    merged = merge_learned("", TRAIN)
    assert merged.text == (
        "steps:\n"
        "  train:\n"
        "    duration: 12m30s  # learned 2026-12-03 from run 17\n"
        "    tasks: 8    # learned t\n"
    )
    assert parse_config(merged.text, "placer.yaml").steps["train"].tasks == 8


def test_lines_outside_steps_are_kept_byte_for_byte():
    head = (
        "pools:\n"
        "  - {name: a, cloud: aws, region: us-east-1,\n"  # a flow mapping over two lines
        "     node_selector: {k: v}}   # wrapped by hand\n"
        "\n"
        "# the end\n"
    )
    merged = merge_learned(head, TRAIN)
    assert merged.text.startswith(head) and merged.text[len(head) :].startswith("steps:\n")


def test_null_and_flow_style_steps_become_blocks():
    text = "steps:\n  train:\n  eval: {duration: 1h}\nruns_per_month: 4   # weekly\n"
    merged = merge_learned(text, {**TRAIN, "eval": [V("output", "2GB", "learned o")]})
    config = parse_config(merged.text, "placer.yaml")
    assert config.steps["train"].duration_hours == 12.5 / 60
    assert config.steps["eval"].duration_hours == 1 and config.steps["eval"].output_gb == 2
    assert merged.text.endswith("runs_per_month: 4   # weekly\n")


def test_hand_set_values_are_kept_learned_ones_replaced():
    text = (
        "steps:\n"
        "  train:\n"
        "    duration: 2h   # measured on the old cluster\n"
        "    tasks: 4       # learned 2026-11-01 from run 1\n"
        "    # a note that belongs to train\n"
        "\n"
        "  eval:\n"
        "    duration: 5m\n"
    )
    merged = merge_learned(text, TRAIN)
    lines = merged.text.splitlines()
    assert "    duration: 2h   # measured on the old cluster" in lines
    assert any(line.startswith("    tasks: 8 ") and "# learned t" in line for line in lines)
    assert lines.index("    # a note that belongs to train") < lines.index("  eval:")
    kept = {(c.step, c.key): c for c in merged.changes}
    assert kept["train", "duration"].kept and kept["train", "duration"].before == "2h"
    assert not kept["train", "tasks"].kept and kept["train", "tasks"].before == "4"
    forced = merge_learned(text, TRAIN, overwrite=True)
    assert "    duration: 12m30s  # learned 2026-12-03 from run 17" in forced.text.splitlines()


def test_added_keys_go_before_the_comments_that_end_a_block():
    text = "steps:\n  train:\n    tasks: 2   # guess\n\n# constraints follow\nconstraints: {}\n"
    merged = merge_learned(text, {"train": [V("output", "1GB", "learned o")]})
    assert merged.text.endswith(
        "    output: 1GB  # learned o\n\n# constraints follow\nconstraints: {}\n"
    )


def test_idempotent_and_init_files_stay_valid():
    text = init_text(read_flow(LEARN_FIXTURES / "learnflow.py"))
    values = {"work": [V("tasks", 4, "learned t"), V("duration", "0.37s", "learned d")]}
    once = merge_learned(text, values)
    assert merge_learned(once.text, values).text == once.text
    assert parse_config(once.text, "placer.yaml").steps["work"].tasks == 10  # init's, hand-set
    removed = [line for line in text.splitlines() if line not in once.text.splitlines()]
    assert removed == []


def test_an_invalid_file_is_refused_before_and_after():
    with pytest.raises(ConfigError, match="unknown key"):
        merge_learned("stpes:\n  a: {}\n", TRAIN)
    with pytest.raises(ConfigError, match="expected a mapping"):
        merge_learned("steps:\n  train: 3\n", TRAIN)
    with pytest.raises(ConfigError):  # a learned value the config would refuse
        merge_learned("", {"train": [V("tasks", 0, "learned t")]})
