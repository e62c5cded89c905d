"""CPU, memory and GPU amounts, and what a pod reserves on its node (the scheduler's way)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from placer.kube.quantity import cpu_cores, memory_gib, parse_quantity

GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu")


@dataclass(frozen=True)
class Amount:
    """CPU cores, memory GiB and GPU devices; arithmetic returns new values."""

    vcpus: float = 0.0
    memory_gib: float = 0.0
    gpus: float = 0.0

    def __add__(self, other: Amount) -> Amount:
        return Amount(
            self.vcpus + other.vcpus, self.memory_gib + other.memory_gib, self.gpus + other.gpus
        )

    def __sub__(self, other: Amount) -> Amount:
        return Amount(
            self.vcpus - other.vcpus, self.memory_gib - other.memory_gib, self.gpus - other.gpus
        )

    def max(self, other: Amount) -> Amount:
        """Per-resource maximum (the scheduler compares each resource separately)."""
        return Amount(
            max(self.vcpus, other.vcpus),
            max(self.memory_gib, other.memory_gib),
            max(self.gpus, other.gpus),
        )

    def clamp(self) -> Amount:
        """Negative parts set to zero (a node can be overcommitted by static pods)."""
        return Amount(max(self.vcpus, 0.0), max(self.memory_gib, 0.0), max(self.gpus, 0.0))

    def scaled(self, factor: float) -> Amount:
        """Every resource times `factor`."""
        return Amount(self.vcpus * factor, self.memory_gib * factor, self.gpus * factor)

    def as_json(self) -> dict[str, float]:
        """{vcpus, memory_gib, gpus}, rounded to 3 decimals."""
        return {
            "vcpus": round(self.vcpus, 3),
            "memory_gib": round(self.memory_gib, 3),
            "gpus": round(self.gpus, 3),
        }


def total(amounts: Iterable[Amount]) -> Amount:
    """The sum of `amounts`."""
    out = Amount()
    for amount in amounts:
        out = out + amount
    return out


def amount_of(resources: Mapping[str, Any] | None) -> Amount:
    """An Amount from a resource map such as `status.allocatable` or `requests`."""
    resources = resources or {}
    gpus = sum(float(parse_quantity(resources[k])) for k in GPU_RESOURCES if k in resources)
    return Amount(
        cpu_cores(resources["cpu"]) if "cpu" in resources else 0.0,
        memory_gib(resources["memory"]) if "memory" in resources else 0.0,
        gpus,
    )


def _container_request(container: Mapping[str, Any]) -> Amount:
    # A limit without a request defaults the request to the limit (API defaulting).
    resources = container.get("resources") or {}
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    return amount_of({**limits, **requests})


def pod_request(spec: Mapping[str, Any]) -> Amount:
    """What a pod reserves on its node, as the scheduler computes it.

    max(sum of app containers + sidecars, each regular init container + the sidecars
    started before it) + `spec.overhead`. Sidecars are init containers with
    `restartPolicy: Always` (Kubernetes 1.29+); they keep running beside the app.
    """
    apps = total(_container_request(c) for c in spec.get("containers") or [])
    sidecars, init_peak = Amount(), Amount()
    for init in spec.get("initContainers") or []:
        request = _container_request(init)
        if init.get("restartPolicy") == "Always":
            sidecars = sidecars + request
            init_peak = init_peak.max(sidecars)
        else:
            init_peak = init_peak.max(sidecars + request)
    return (apps + sidecars).max(init_peak) + amount_of(spec.get("overhead"))
