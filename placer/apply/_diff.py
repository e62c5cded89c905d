"""A unified diff that stays fast on large flows.

difflib's matcher is quadratic on files whose lines repeat (a 2000-step flow has 2000
``    @step`` lines): diffing its rewrite took 5 s. Here the lines that occur exactly once in
both versions (``def`` lines, mostly) are matched first, keeping the longest run of them in
order (patience diff); difflib then only matches the short stretches between two such
anchors. The hunks are written in difflib's unified format.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Iterator, Sequence


class _AnchoredMatcher(difflib.SequenceMatcher[str]):
    """difflib's matcher, its matching blocks found around unique common lines (difflib's
    opcodes and grouping read them through get_matching_blocks)."""

    def __init__(self, a: Sequence[str], b: Sequence[str]) -> None:
        super().__init__(None, a, b, autojunk=False)
        self._lines = (a, b)
        self._blocks: list[difflib.Match] | None = None

    def get_matching_blocks(self) -> list[difflib.Match]:  # noqa: D102 (difflib's API)
        if self._blocks is not None:
            return self._blocks
        a, b = self._lines
        blocks: list[tuple[int, int, int]] = []
        i0 = j0 = 0
        for i, j in _anchors(a, b) + [(len(a), len(b))]:
            inner = difflib.SequenceMatcher(None, a[i0:i], b[j0:j], autojunk=False)
            blocks += [(i0 + x, j0 + y, n) for x, y, n in inner.get_matching_blocks() if n]
            if i < len(a):
                blocks.append((i, j, 1))
            i0, j0 = i + 1, j + 1
        merged: list[tuple[int, int, int]] = []
        for i, j, n in blocks:
            if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
                last = merged.pop()
                merged.append((last[0], last[1], last[2] + n))
            else:
                merged.append((i, j, n))
        merged.append((len(a), len(b), 0))
        self._blocks = [difflib.Match(*m) for m in merged]
        return self._blocks


def _anchors(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """(i, j) of lines unique in both, the longest chain increasing in both indexes."""
    count_a, count_b = Counter(a), Counter(b)
    where_b = {line: j for j, line in enumerate(b) if count_b[line] == 1}
    pairs = [
        (i, where_b[line]) for i, line in enumerate(a) if count_a[line] == 1 and line in where_b
    ]
    # Longest increasing subsequence of the j's (patience sorting), pairs already by i.
    tails: list[int] = []  # tails[k]: j ending the best chain of length k + 1
    ends: list[int] = []  # the pair index behind tails[k]
    before = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        at = bisect.bisect_left(tails, j)
        before[k] = ends[at - 1] if at else -1
        if at == len(tails):
            tails.append(j)
            ends.append(k)
        else:
            tails[at], ends[at] = j, k
    chain, k = [], ends[-1] if ends else -1
    while k >= 0:
        chain.append(pairs[k])
        k = before[k]
    return chain[::-1]


def unified_diff(
    old: Sequence[str], new: Sequence[str], old_name: str, new_name: str, context: int = 3
) -> Iterator[str]:
    """Lines of a unified diff of `old` -> `new` (lines keep their own endings)."""
    started = False
    for group in _AnchoredMatcher(old, new).get_grouped_opcodes(context):
        if not started:
            started = True
            yield f"--- {old_name}\n"
            yield f"+++ {new_name}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in old[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in old[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in new[j1:j2])


def _range(start: int, stop: int) -> str:
    """A hunk's range as unified diffs write it (1-based; an empty range names the line
    before it)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"
