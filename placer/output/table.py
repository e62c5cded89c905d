"""placer's one table style for terminals, and renderables as plain text at a fixed width.

rich is imported inside the functions, so importing the output layer stays light.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

__all__ = ["new_table", "plain_table", "to_text", "widen"]


def new_table(*, edge: bool = True, title: str | None = None) -> Table:
    """An empty table in placer's style: a rule under the header, one space between columns,
    no padding at the outer edges (`edge=False` also drops the outer blank columns, so a
    wide table fits an 80-column CI log more often); a title goes on its own line."""
    from rich import box
    from rich.table import Table

    return Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
        collapse_padding=True,
        show_edge=edge,
    )


def plain_table(
    *columns: str, right: Sequence[str] = (), fold: Sequence[str] = (), edge: bool = False
) -> Table:
    """A table with these columns: `right` ones right-aligned (numbers), `fold` ones wrap
    onto more lines when the table is too wide (names); the others keep their full width
    and are cut with an ellipsis only as a last resort, so numbers are never cut short."""
    table = new_table(edge=edge)
    for column in columns:
        folds = column in fold
        table.add_column(
            column,
            justify="right" if column in right else "left",
            no_wrap=not folds,
            overflow="fold" if folds else "ellipsis",
        )
    return table


def widen(console: Console, renderable: RenderableType) -> None:
    """Let the console be as wide as `renderable` needs, so a table printed into a narrow
    pipe keeps every name whole (`placer pricing` tables are read by scripts too)."""
    needed = console.measure(renderable, options=console.options.update_width(10_000))
    console.width = max(console.width, needed.maximum)


def to_text(
    renderables: Iterable[RenderableType | str], width: int = 100, wide: bool = False
) -> str:
    """What the CLI would print (text as is, renderables without colour) at a fixed width;
    `wide` as in :func:`widen`. For files and tests."""
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False, soft_wrap=False)
    for part in renderables:
        if isinstance(part, str):
            out.write(part if part.endswith("\n") else part + "\n")
            continue
        if wide:
            widen(console, part)
        console.print(part)
    return out.getvalue()
