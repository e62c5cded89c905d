"""`placer graph FLOW`: the flow's steps, DAG and effective resources."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
