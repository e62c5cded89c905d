"""The anchored unified diff (placer.apply._diff): valid hunks, difflib's format, fast."""

import difflib
import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from placer.apply._diff import unified_diff

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$")


def patch(old: list[str], diff: list[str]) -> list[str]:
    """Apply a unified diff the way `patch` does, checking every context and removed line."""
    assert diff[0].startswith("--- ") and diff[1].startswith("+++ ")
    out, at, k = [], 0, 2
    while k < len(diff):
        found = HUNK.match(diff[k].rstrip("\n"))
        assert found, diff[k]
        start, length = int(found.group(1)), int(found.group(2) or 1)
        begin = start - 1 if length else start
        out += old[at:begin]
        at, k = begin, k + 1
        while k < len(diff) and not diff[k].startswith("@@"):
            sign, line = diff[k][0], diff[k][1:]
            if sign in " -":
                assert old[at] == line, (at, old[at], line)
                at += 1
            if sign in " +":
                out.append(line)
            k += 1
    return out + old[at:]


def edited(rng: random.Random, old: list[str]) -> list[str]:
    new = list(old)
    for _ in range(rng.randint(0, 8)):
        where = rng.randint(0, len(new))
        kind = rng.choice(["insert", "delete", "replace"])
        if kind == "insert":
            new.insert(where, rng.choice(["    @step\n", "    @kubernetes(cpu=2)\n", "x\n"]))
        elif new and where < len(new):
            if kind == "delete":
                del new[where]
            else:
                new[where] = f"changed {where}\n"
    return new


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6))
def test_the_diff_turns_the_old_lines_into_the_new_ones(seed):
    rng = random.Random(seed)
    pool = ["    @step\n", "        pass\n", "\n", "    def a(self):\n", "    def b(self):\n"]
    old = [rng.choice(pool) if rng.random() < 0.7 else f"line {i}\n" for i in range(40)]
    new = edited(rng, old)
    diff = list(unified_diff(old, new, "a/f.py", "b/f.py"))
    if old == new:
        assert diff == []
    else:
        assert patch(old, diff) == new


def test_a_small_edit_reads_exactly_as_difflib_writes_it():
    old = [f"line {i}\n" for i in range(20)]
    new = old[:5] + ["    @kubernetes(node_selector={'pool': 'gcp'})\n"] + old[5:12] + old[13:]
    ours = list(unified_diff(old, new, "a/f.py", "b/f.py"))
    theirs = list(difflib.unified_diff(old, new, "a/f.py", "b/f.py"))
    assert ours == theirs
    assert ours[2] == "@@ -3,6 +3,7 @@\n"  # the insertion after line 5, 3 lines each side


def test_a_large_flow_with_repeated_lines_diffs_step_by_step():
    # 3000 steps: every decorator line repeats, every def line is unique. Each step's
    # decorator gains a node selector; the diff must still reproduce the new file.
    old, new = [], []
    for i in range(3000):
        body = [f"    def s{i}(self):\n", "        self.next(self.x)\n", "\n"]
        old += ["    @kubernetes(cpu=1)\n", "    @step\n", *body]
        new += ["    @kubernetes(cpu=1, node_selector={'pool': 'p1'})\n", "    @step\n", *body]
    diff = list(unified_diff(old, new, "a/f.py", "b/f.py"))
    assert patch(old, diff) == new
    assert sum(line.startswith("+    @kubernetes") for line in diff) == 3000
