"""Units placer.yaml and options accept: durations, sizes, node selectors (placer.config.units)."""

from __future__ import annotations

import pytest

from placer.config import parse_duration_hours, parse_node_selector, parse_size_gb


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("90m", 1.5),
        ("1h30m", 1.5),
        ("2h", 2.0),
        ("45s", 0.0125),
        (3, 3.0),
        (0.5, 0.5),
        ("1d", 24.0),
        ("1.5h", 1.5),
    ],
)
def test_durations(text: object, hours: float) -> None:
    assert parse_duration_hours(text) == pytest.approx(hours)


@pytest.mark.parametrize(
    ("text", "gb"),
    [
        ("500MB", 0.5),
        ("1.5GB", 1.5),
        ("2TB", 2000.0),
        ("10GiB", 10.73741824),
        (7, 7.0),
        ("512 MiB", 0.536870912),
        ("1tb", 1000.0),
    ],
)
def test_sizes(text: object, gb: float) -> None:
    assert parse_size_gb(text) == pytest.approx(gb)


@pytest.mark.parametrize("bad", ["1x", "h", "", "-1h", True])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration_hours(bad)


@pytest.mark.parametrize("bad", ["5 apples", "GB", "1.2.3GB", False])
def test_bad_sizes(bad: object) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size_gb(bad)


def test_node_selector_forms() -> None:
    assert parse_node_selector("a=b, c=d") == {"a": "b", "c": "d"}
    assert parse_node_selector({"gpu": True, "n": 3}) == {"gpu": "true", "n": "3"}
    with pytest.raises(ValueError, match="label=value"):
        parse_node_selector("a=b,c")


# --- errors name file, line and key path -------------------------------------------------
