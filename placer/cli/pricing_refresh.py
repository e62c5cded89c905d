"""`placer pricing refresh`: placeholder until the live-refresh work lands."""

from __future__ import annotations

import typer


def register(pricing_app: typer.Typer) -> None:
    """Add the `refresh` command to the `placer pricing` group."""
