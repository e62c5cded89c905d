"""Units placer.yaml and the command line accept: durations, sizes, node selectors, continents.

Each parser takes a plain value (text or a number) and returns placer's unit (hours, decimal
GB, a label mapping) or raises ValueError saying what it expected; callers add the location.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["continents", "parse_duration_hours", "parse_node_selector", "parse_size_gb"]

_DURATION = re.compile(
    r"^(?:(?P<d>\d+(?:\.\d+)?)d)?(?:(?P<h>\d+(?:\.\d+)?)h)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?$"
)
_HOURS_PER = {"d": 24.0, "h": 1.0, "m": 1 / 60, "s": 1 / 3600}
_SIZE = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<u>[kmgtp]i?b|b)$", re.IGNORECASE)
_GB_PER = {
    "b": 1e-9,
    "kb": 1e-6,
    "mb": 1e-3,
    "gb": 1.0,
    "tb": 1e3,
    "pb": 1e6,
    "kib": 2**10 / 1e9,
    "mib": 2**20 / 1e9,
    "gib": 2**30 / 1e9,
    "tib": 2**40 / 1e9,
    "pib": 2**50 / 1e9,
}


def parse_duration_hours(value: object) -> float:
    """Hours in "90m", "1h30m", "2h", "45s", "1d" or a bare number of hours."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90m, 1h30m or 2h")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value).strip().lower().replace(" ", ""))
    if not match or not any(match.groupdict().values()):
        raise ValueError(f"expected a duration such as 90m, 1h30m or 2h, got {value!r}")
    return sum(float(v) * _HOURS_PER[k] for k, v in match.groupdict().items() if v)


def parse_size_gb(value: object) -> float:
    """Decimal GB in "500MB", "1.5GB", "2TB", "10GiB" (binary units converted) or a number."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 500MB, 1.5GB or 10GiB")
    if isinstance(value, int | float):
        return float(value)
    match = _SIZE.match(str(value).strip())
    if not match:
        raise ValueError(f"expected a size such as 500MB, 1.5GB or 10GiB, got {value!r}")
    return float(match["n"]) * _GB_PER[match["u"].lower()]


def parse_node_selector(value: object) -> dict[str, str]:
    """A node selector from a mapping or Metaflow's string form "k=v,k2=v2"."""
    if isinstance(value, Mapping):
        return {str(k): _label_value(v) for k, v in value.items()}
    if not isinstance(value, str):
        raise ValueError("expected a mapping {label: value} or a string 'k=v,k2=v2'")
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        key, sep, val = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected 'label=value', got {part!r}")
        out[key.strip()] = val.strip()
    return out


def _label_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # YAML's `true` means the label text "true"
    if value is None or isinstance(value, Mapping | list):
        raise ValueError(f"a label value must be text, got {value!r}")
    return str(value)


def continents() -> tuple[str, ...]:
    """Valid residency continents (pricing.egress's list, imported when first needed)."""
    from pricing.egress import CONTINENTS

    return tuple(CONTINENTS)
