"""Fitting a comment under GitHub's size limit by dropping its least important sections.

A comment is a list of :class:`Section` in document order, each with a priority. Sections of
priority 0 are always kept; the others are kept level by level (1 first), each level in
document order, until one does not fit: that level and every later one are then cut, so the
comment never shows, say, the third flow's table without the second's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GITHUB_LIMIT_CHARS = 65_536
BUDGET_CHARS = GITHUB_LIMIT_CHARS - 1_000  # room for the truncation note and wide characters
KEEP = 0
_NOTE = (
    "> [!NOTE]\n> This report was shortened to fit GitHub's comment limit ({left_out} left out). "
    "Run `placer report` with `--format markdown` for the full report."
)


@dataclass(frozen=True)
class Section:
    """A block of the comment and how important it is (0 = never dropped)."""

    text: str
    priority: int


def join(parts: Iterable[Section]) -> str:
    """The sections as one document, separated by blank lines."""
    return "\n\n".join(s.text for s in parts) + "\n"


def _size(section: Section) -> int:
    return len(section.text) + 2  # and the blank line that separates it


def fit(parts: list[Section], budget_chars: int) -> tuple[list[Section], set[int]]:
    """The sections that fit in `budget_chars`, in document order, and the levels cut."""
    room = budget_chars - sum(_size(s) for s in parts if s.priority == KEEP)
    kept = {id(s) for s in parts if s.priority == KEEP}
    cut: set[int] = set()
    for level in sorted({s.priority for s in parts} - {KEEP}):
        for section in (s for s in parts if s.priority == level):
            if cut or _size(section) > room:
                cut.add(level)
                break
            kept.add(id(section))
            room -= _size(section)
    return [s for s in parts if id(s) in kept], cut


def truncate(parts: list[Section], names: Mapping[int, str], budget_chars: int) -> list[Section]:
    """`parts` cut to the budget, with a note naming what was left out before the last part."""
    kept, cut = fit(parts, budget_chars)
    if cut:
        left_out = ", ".join(names[level] for level in sorted(cut))
        kept.insert(len(kept) - 1, Section(_NOTE.format(left_out=left_out), KEEP))
    return kept
