"""Kubernetes resource quantities ("3920m", "16Gi", "1e3", "500M") as plain floats.

Written here rather than imported from `kubernetes.utils` so capacity math stays free of
the client library; the grammar is the API's `resource.Quantity`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|([KMGTPE]i|[numkMGTPE])?)$")
GIB = 2**30


def parse_quantity(text: str | int | float) -> Decimal:
    """The exact value of a quantity: "100m" -> 0.1, "1Ki" -> 1024, "1e3" -> 1000."""
    if isinstance(text, int | float):
        return Decimal(str(text))
    match = _QUANTITY.match(text.strip())
    if not match:
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    number, exponent, suffix = match.groups()
    try:
        value = Decimal(number + (exponent or ""))
    except InvalidOperation:
        raise ValueError(f"not a Kubernetes quantity: {text!r}") from None
    suffix = suffix or ""
    return value * (_BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix])


def cpu_cores(text: str | int | float) -> float:
    """CPU cores: "3920m" -> 3.92."""
    return float(parse_quantity(text))


def memory_gib(text: str | int | float) -> float:
    """Memory in GiB: "16Gi" -> 16.0, "15896064Ki" -> 15.16..."""
    return float(parse_quantity(text) / GIB)
