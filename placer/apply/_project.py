"""What the flow's project says about formatting: the line length new code should fit."""

from __future__ import annotations

import tomllib
from pathlib import Path

DEFAULT_LINE_LENGTH = 88  # black's and ruff's default


def line_length(flow_path: Path) -> int:
    """`line-length` of ruff or black in the nearest pyproject.toml above the flow, else 88.

    Only the first pyproject.toml found counts (as with ruff); an unreadable one is
    ignored rather than failing an apply over formatting.
    """
    for directory in Path(flow_path).resolve().parents:
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return _configured(candidate) or DEFAULT_LINE_LENGTH
    return DEFAULT_LINE_LENGTH


def _configured(pyproject: Path) -> int | None:
    try:
        tools = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    for tool in ("ruff", "black"):
        value = tools.get(tool, {}).get("line-length")
        if isinstance(value, int) and value > 0:
            return value
    return None
