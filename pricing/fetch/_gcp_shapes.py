"""GCP machine shapes the refresh prices, as a maintained table.

The Cloud Billing Catalog prices resources (per vCPU, per GiB, per GPU, per TPU chip),
not machine types, so the machine types come from here: the families placer plans
with and their sizes, from the Compute Engine machine-type documentation. Memory is in
GiB (GCP writes "GB" but means GiB). Update this table when a family gains sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

from pricing.fetch._result import Shape


@dataclass(frozen=True)
class Machine:
    """A machine type: which resource family prices it, and its shape."""

    name: str
    family: str  # the SKU family ("n2", "c3", ...) or "tpu-v5e"
    shape: Shape


# family -> {kind: (GiB per vCPU, vCPU sizes)} for the predefined CPU families
_RATIOS: dict[str, dict[str, tuple[float, tuple[int, ...]]]] = {
    "n2": {
        "standard": (4, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)),
        "highmem": (8, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)),
        "highcpu": (1, (2, 4, 8, 16, 32, 48, 64, 80, 96)),
    },
    "n2d": {
        "standard": (4, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)),
        "highmem": (8, (2, 4, 8, 16, 32, 48, 64, 80, 96)),
        "highcpu": (1, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)),
    },
    "c3": {
        "standard": (4, (4, 8, 22, 44, 88, 176)),
        "highmem": (8, (4, 8, 22, 44, 88, 176)),
        "highcpu": (2, (4, 8, 22, 44, 88, 176)),
    },
    "e2": {
        "standard": (4, (2, 4, 8, 16, 32)),
        "highmem": (8, (2, 4, 8, 16)),
        "highcpu": (1, (2, 4, 8, 16, 32)),
    },
}

# name -> (vCPUs, GiB, accelerators) for families with irregular sizes
_FIXED: dict[str, dict[str, tuple[int, float, int]]] = {
    "m3": {
        "m3-ultramem-32": (32, 976, 0),
        "m3-ultramem-64": (64, 1952, 0),
        "m3-ultramem-128": (128, 3904, 0),
        "m3-megamem-64": (64, 976, 0),
        "m3-megamem-128": (128, 1952, 0),
    },
    "g2": {
        "g2-standard-4": (4, 16, 1),
        "g2-standard-8": (8, 32, 1),
        "g2-standard-12": (12, 48, 1),
        "g2-standard-16": (16, 64, 1),
        "g2-standard-24": (24, 96, 2),
        "g2-standard-32": (32, 128, 1),
        "g2-standard-48": (48, 192, 4),
        "g2-standard-96": (96, 384, 8),
    },
    "a2": {
        "a2-highgpu-1g": (12, 85, 1),
        "a2-highgpu-2g": (24, 170, 2),
        "a2-highgpu-4g": (48, 340, 4),
        "a2-highgpu-8g": (96, 680, 8),
        "a2-megagpu-16g": (96, 1360, 16),
        "a2-ultragpu-1g": (12, 170, 1),
        "a2-ultragpu-2g": (24, 340, 2),
        "a2-ultragpu-4g": (48, 680, 4),
        "a2-ultragpu-8g": (96, 1360, 8),
    },
    "a3": {
        "a3-highgpu-1g": (26, 234, 1),
        "a3-highgpu-2g": (52, 468, 2),
        "a3-highgpu-4g": (104, 936, 4),
        "a3-highgpu-8g": (208, 1872, 8),
    },
    "tpu-v5e": {
        "ct5lp-hightpu-1t": (24, 48, 1),
        "ct5lp-hightpu-4t": (112, 192, 4),
        "ct5lp-hightpu-8t": (224, 384, 8),
    },
}


def _accelerator(name: str, family: str) -> tuple[str | None, str | None]:
    if family == "g2":
        return "L4", "nvidia"
    if family == "a3":
        return "H100", "nvidia"
    if family == "a2":
        return ("A100-80GB" if "ultragpu" in name else "A100"), "nvidia"
    if family == "tpu-v5e":
        return "tpu-v5e", "tpu"
    return None, None


def machines() -> tuple[Machine, ...]:
    """Every machine type in the table."""
    result = []
    for family, kinds in _RATIOS.items():
        for kind, (gib_per_vcpu, sizes) in kinds.items():
            for vcpus in sizes:
                name = f"{family}-{kind}-{vcpus}"
                result.append(Machine(name, family, Shape(vcpus, vcpus * gib_per_vcpu)))
    for family, fixed in _FIXED.items():
        for name, (vcpus, gib, accelerators) in fixed.items():
            model, accelerator = _accelerator(name, family) if accelerators else (None, None)
            shape = Shape(vcpus, gib, accelerators, model, accelerator)
            result.append(Machine(name, family, shape))
    return tuple(result)
