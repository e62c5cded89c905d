"""What a rewrite did: one result per file, with its changes and warnings."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

from placer.apply._diff import unified_diff


@dataclass(frozen=True)
class Change:
    """One edit to one step: which argument or decorator, before and after (as source)."""

    step: str
    what: str  # "node_selector", "compute_pool", "cpu", "memory", "@kubernetes", "@step", ...
    before: str | None  # None: was absent
    after: str | None  # None: removed

    def describe(self) -> str:
        """One line for the console, e.g. `start: node_selector {...} -> {...}`."""
        before, after = _one_line(self.before), _one_line(self.after)
        if before is None:
            return f"{self.step}: {self.what} added{': ' + after if after else ''}"
        if after is None:
            return f"{self.step}: {self.what} removed (was {before})"
        return f"{self.step}: {self.what} {before} -> {after}"


def _one_line(text: str | None) -> str | None:
    """Source text with its line breaks and indentation folded into single spaces."""
    if text is None:
        return None
    return " ".join(text.split()).replace("( ", "(").replace("{ ", "{").replace(", }", "}")


@dataclass(frozen=True)
class FileResult:
    """One file's rewrite: its bytes before (None: new file) and after, changes, warnings."""

    path: Path
    before: bytes | None
    after: bytes
    changes: tuple[Change, ...] = ()
    warnings: tuple[str, ...] = ()
    unplanned: tuple[str, ...] = ()  # steps of the flow the plan does not name
    # A file placer derives from the repository (the flow rewritten in place, the
    # placement file beside it) must resolve inside this project when written.
    within: Path | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self, label: str | None = None) -> str:
        """A unified diff of the change ('' when unchanged), newlines kept as found."""
        if not self.changed:
            return ""
        name = label or str(self.path)
        old = _text(self.before or b"").splitlines(keepends=True)
        new = _text(self.after).splitlines(keepends=True)
        lines = unified_diff(
            old, new, f"a/{name}" if self.before is not None else "/dev/null", f"b/{name}"
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _text(data: bytes) -> str:
    """Bytes as text in the encoding Python would read them with (BOM, coding: line)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # a bad coding declaration: show what we can
        encoding = "utf-8"
    return data.decode(encoding, "replace")


@dataclass(frozen=True)
class ApplyOutcome:
    """Everything one `placer apply` would write, and why."""

    flow: str
    files: tuple[FileResult, ...]
    already_applied: bool = False  # the flow differs from the plan's but already matches it
    notes: tuple[str, ...] = ()
    stdout: str | None = None  # selectors mode without --out: the document to print

    @property
    def changed(self) -> bool:
        return any(f.changed for f in self.files)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for f in self.files for w in f.warnings)

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for f in self.files for c in f.changes)
