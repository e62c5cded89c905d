"""The CLI's environment: where output goes. Tests swap it to capture output."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


@dataclass
class Environment:
    """Streams and flags shared by every command; `main()` creates one per call."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    debug: bool = False
    width: int | None = None  # fixed terminal width (tests); None = detect

    def console(self) -> Console:
        from rich.console import Console

        return Console(file=self.stdout, width=self.width, soft_wrap=False, highlight=False)

    def err_console(self) -> Console:
        from rich.console import Console

        return Console(file=self.stderr, width=self.width, highlight=False)

    def write(self, text: str) -> None:
        """Plain text to stdout (JSON, markdown, diffs): no rich markup processing."""
        self.stdout.write(text if text.endswith("\n") else text + "\n")
        self.stdout.flush()

    def show(self, parts: Iterable[RenderableType | str], *, wide: bool = False) -> None:
        """Print what the output layer made: text as plain lines, renderables through rich.
        `wide` lets a table be as wide as it needs, so names are never cut in a narrow pipe."""
        console = self.console()
        for part in parts:
            if isinstance(part, str):
                self.write(part)
                continue
            if wide:
                from placer.output.table import widen

                widen(console, part)
            console.print(part)


_current = Environment()


def env() -> Environment:
    """The environment of the running command."""
    return _current


def set_env(new: Environment) -> Environment:
    global _current
    old, _current = _current, new
    return old
