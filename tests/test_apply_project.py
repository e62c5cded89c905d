"""The line length new decorators are wrapped at comes from the flow's pyproject.toml."""

from __future__ import annotations

from placer.apply._project import line_length


def test_nearest_pyproject_wins_ruff_before_black(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 120\n")
    nested = tmp_path / "flows" / "etl"
    nested.mkdir(parents=True)
    assert line_length(nested / "flow.py") == 120
    (tmp_path / "flows" / "pyproject.toml").write_text(
        "[tool.ruff]\nline-length = 100\n[tool.black]\nline-length = 79\n"
    )
    assert line_length(nested / "flow.py") == 100


def test_default_when_unset_or_unreadable(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert line_length(tmp_path / "flow.py") == 88
    (tmp_path / "pyproject.toml").write_text("not = [toml")
    assert line_length(tmp_path / "flow.py") == 88
