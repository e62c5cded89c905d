"""Every error placer reports to a user, in one place.

A :class:`PlacerError` carries a one-line *headline*, an optional *location*
(``file:line`` or a config field) and a *hint* that says how to fix it. Only the
CLI turns these into a message and an exit code; the core raises them.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass


class ExitStatus(enum.IntEnum):
    """Documented process exit codes (see README)."""

    SUCCESS = 0
    ERROR = 1  # unexpected failure (a bug, or an environment problem we did not foresee)
    BAD_INPUT = 2  # the user's input is wrong; the message says what to do
    THRESHOLD = 3  # a threshold tripped (`placer report --fail-on-...`, `placer learn --check`)


@dataclass(eq=False)
class PlacerError(Exception):
    """Base of every user-facing error: headline, where, and how to fix it."""

    headline: str
    location: str | None = None
    hint: str | None = None
    exit_status: ExitStatus = ExitStatus.BAD_INPUT

    def __post_init__(self) -> None:
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as one line: ``location: headline. To fix: hint``.

        Names in it may come from hostile files, so control characters (newlines, terminal
        escapes, bidirectional overrides) are shown as escapes, never sent to the terminal.
        """
        text = f"{self.location}: {self.headline}" if self.location else self.headline
        if self.hint:
            text = f"{text.rstrip('.')}. To fix: {self.hint}"
        return printable(text)

    def __str__(self) -> str:
        return self.one_line()


# Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional
# overrides that can make text read differently from what it is ("Trojan Source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` on one line, each control character shown as an escape (``\\n``, ``\\u001b``)."""
    return _CONTROL.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or f"\\u{ord(char):04x}"


def did_you_mean(word: str, options: Iterable[str]) -> str | None:
    """The hint 'did you mean X?' for the closest of `options`, or None if none is close."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class FlowError(PlacerError):
    """The flow file cannot be read, or breaks one of Metaflow's rules."""


class ConfigError(PlacerError):
    """placer.yaml (or a command-line option standing in for it) is invalid."""


class PricingError(PlacerError):
    """The pricing catalog or a live price fetch failed."""


class PoolError(PlacerError):
    """Pool discovery or a pool definition failed."""


class PlanError(PlacerError):
    """A plan cannot be built, read or is infeasible."""


class ApplyError(PlacerError):
    """A plan cannot be applied to a flow."""


class ReportError(PlacerError):
    """A report cannot be built from the given plans."""


class LearnError(PlacerError):
    """Past runs cannot be read: no metadata, no successful run, an unknown run id."""


class ThresholdExceeded(PlacerError):
    """A cost or drift threshold tripped; the report was still written."""

    def __init__(self, headline: str, location: str | None = None, hint: str | None = None):
        super().__init__(headline, location, hint, ExitStatus.THRESHOLD)


class WriteConflict(PlacerError):
    """A file changed between placer reading it and writing it; nothing was written."""


class InputError(PlacerError):
    """A file given to placer cannot be used as input or output (not a regular file, too
    big, outside the project, the same file as an input)."""


class StalePlan(ApplyError):
    """The plan no longer describes the flow (or its placer.yaml, or a file it reads):
    what it priced changed. `apply --check` reports it as a mismatch (exit 2)."""
