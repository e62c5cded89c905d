"""How fast a step runs on the hardware of an instance type, relative to other hardware.

A step's duration is what the user measured (or expects) on one *reference* hardware; on
other hardware placer scales it by relative throughput: ``hours x reference / hardware``.
Two tables give the throughput:

- **Accelerators** (GPU steps): per device, relative to an A100 (1.0). Measured ratios come
  from MLPerf Training results; the rest are estimates from the vendors' datasheets (the
  geometric mean of the dense FP16/BF16 tensor TFLOPS ratio and the memory bandwidth ratio
  to an A100-40GB: 312 TFLOPS, 1555 GB/s). Every row says which (docs/cost-model.md lists
  the sources and dates).
- **CPU generations** (CPU steps): per vCPU, relative to a 2021 generation (Intel Ice Lake,
  AMD Milan: AWS m6i/m6a, Azure Dv5/Dasv5, GCP n2/n2d = 1.0). All are estimates from the
  providers' generation-over-generation claims, which are "up to" figures; a vCPU that is a
  whole core (Graviton, AWS 7th/8th-gen AMD, GCP t2d/c4a, Azure Cobalt) counts for more
  than a hyperthread.

Limits: one number per device hides the workload (memory-bound, communication-bound and
I/O-bound steps scale less than these peaks say), the interconnect, the software stack and
multi-GPU scaling; CPU steps that wait on I/O do not speed up at all. A step's own
``speedup`` or ``durations`` (placer.yaml) override the tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pricing import Offer, accelerators

MLPERF_V30 = "MLPerf Training v3.0 (2023-06), same-system H100/A100 pairs: 1.85, 1.45, 1.95"
MLPERF_V40 = "MLPerf Training v4.0 (2024-06): H200 up to 1.47x H100; estimate 1.2x"
MLPERF_V50 = "MLPerf Training v5.0 (2025-06): B200 up to 2.6x H100; estimate 2.5x"
DATASHEET = "estimate from the datasheet TFLOPS and memory bandwidth"


@dataclass(frozen=True)
class Throughput:
    """Relative speed of one accelerator device or one vCPU, and where the figure is from."""

    factor: float
    source: str
    label: str = ""  # what the hardware is called in reasons ("H100", "Sapphire Rapids")


def _acc(factor: float, source: str = DATASHEET) -> Throughput:
    return Throughput(factor, source)


# Per device, A100 = 1.0. Keys are canonical names of pricing.accelerators.
ACCELERATORS: dict[str, Throughput] = {
    "A100-40GB": _acc(1.0, "reference"),
    "A100-80GB": _acc(1.0, "MLPerf's A100 systems are 80 GB parts; same compute as 40 GB"),
    "H100": _acc(1.75, MLPERF_V30 + " (geometric mean 1.73, taken as 1.75)"),
    "H100-NVL": _acc(1.5, "estimate: H100 x 0.85 (its 835 vs 989 dense FP16 TFLOPS)"),
    "H200": _acc(2.1, MLPERF_V40),
    "B200": _acc(4.4, MLPERF_V50),
    "GB200": _acc(4.4, MLPERF_V50),
    "V100": _acc(0.48),  # 125 TFLOPS, 900 GB/s
    "V100-32GB": _acc(0.48),
    "T4": _acc(0.21),  # 65 TFLOPS, 320 GB/s
    "T4G": _acc(0.21),
    "L4": _acc(0.27),  # 121 TFLOPS, 300 GB/s
    "A10": _acc(0.39),  # 125 TFLOPS, 600 GB/s
    "A10G": _acc(0.39),
    "L40": _acc(0.57),  # 181 TFLOPS, 864 GB/s
    "L40S": _acc(0.80),  # 362 TFLOPS, 864 GB/s
    "P100": _acc(0.17),  # 18.7 TFLOPS (no tensor cores), 732 GB/s
    "K80": _acc(0.07),  # 8.7 TFLOPS FP32, 480 GB/s (both GPUs of the board)
    "M60": _acc(0.06),
    "MI300X": _acc(1.75, "estimate: MLPerf Training v5.0 (2025-06) AMD results near H100/H200"),
    "trn1": _acc(0.57),  # 190 TFLOPS BF16 per chip, 820 GB/s
    "trn2": _acc(2.0),  # 667 TFLOPS BF16 per chip, 2.9 TB/s
    "Gaudi": _acc(0.45, "estimate: first-generation Gaudi (AWS dl1), V100 class"),
    "tpu-v4": _acc(0.83),  # 275 TFLOPS BF16, 1228 GB/s
    "tpu-v5e": _acc(0.58),  # 197 TFLOPS BF16, 819 GB/s
    "tpu-v5p": _acc(1.62),  # 459 TFLOPS BF16, 2765 GB/s
    "tpu-v6e": _acc(1.76),  # 918 TFLOPS BF16, 1640 GB/s
}

CPU_SOURCE = "estimate from the providers' generation claims"
REFERENCE_CPU = "m6i"  # the default reference of CPU steps: 2021 generation (Ice Lake)


@dataclass(frozen=True)
class _Gen:
    label: str
    factor: float


# AWS: <series letters><generation><processor and feature letters>, e.g. m7i, c6gn, r5a.
_AWS_FAMILY = re.compile(r"^(?P<series>[a-z]+?)(?P<gen>\d+)(?P<suffix>[a-z-]*)$")
_AWS_GRAVITON = {6: _Gen("Graviton2 (2020)", 1.0), 7: _Gen("Graviton3 (2022)", 1.25)}
_AWS_AMD = {
    5: _Gen("AMD Naples/Rome (2018-20)", 0.75),
    6: _Gen("AMD Milan (2021)", 1.0),
    7: _Gen("AMD Genoa, a core per vCPU (2023)", 1.45),
    8: _Gen("AMD Turin, a core per vCPU (2025)", 1.65),
}
_AWS_INTEL = {
    6: _Gen("Ice Lake (2021)", 1.0),
    7: _Gen("Sapphire Rapids (2023)", 1.15),
    8: _Gen("Granite Rapids (2025)", 1.3),
}
_AWS_OLD_INTEL = {5: _Gen("Skylake/Cascade Lake (2017-19)", 0.85)}


def _aws_generation(fam: str) -> _Gen | None:
    match = _AWS_FAMILY.match(fam)
    if not match:
        return None
    gen, suffix = int(match["gen"]), match["suffix"]
    if "g" in suffix:  # Graviton: x2gd, im4gn and t4g are Graviton2 too
        return _Gen("Graviton4 (2024)", 1.55) if gen >= 8 else _AWS_GRAVITON.get(max(gen, 6))
    if suffix.startswith("a"):  # t3a: the first AMD generation
        return _AWS_AMD.get(max(gen, 5))
    if "i" in suffix:  # i4i, x2idn: Ice Lake or newer
        return _AWS_INTEL.get(max(gen, 6))
    if match["series"] == "t" and gen == 3 or gen == 5 or fam == "z1d":
        return _AWS_OLD_INTEL[5]
    if gen <= 4:
        return _Gen("Haswell/Broadwell (2014-16)", 0.7)
    return _AWS_INTEL.get(gen)


_GCP = (
    (r"^(n1|f1|g1)$", _Gen("Skylake and older (2014-17)", 0.8)),
    (r"^e2$", _Gen("E2, mixed (2017-21)", 0.85)),
    (r"^(n2|n2d|m1|m2)$", _Gen("Cascade Lake/Ice Lake, Rome/Milan (2019-21)", 0.95)),
    (r"^c2$", _Gen("Cascade Lake 3.8 GHz (2019)", 1.05)),
    (r"^(c2d|m3)$", _Gen("Milan/Ice Lake (2021)", 1.1)),
    (r"^t2a$", _Gen("Ampere Altra, a core per vCPU (2022)", 1.0)),
    (r"^t2d$", _Gen("AMD Milan, a core per vCPU (2021)", 1.35)),
    (r"^c3$", _Gen("Sapphire Rapids (2023)", 1.15)),
    (r"^(c3d|n4d)$", _Gen("AMD Genoa/Turin (2023-25)", 1.2)),
    (r"^h3$", _Gen("Sapphire Rapids, a core per vCPU (2023)", 1.4)),
    (r"^(c4|n4)$", _Gen("Emerald/Granite Rapids (2024)", 1.3)),
    (r"^c4a$", _Gen("Google Axion, a core per vCPU (2024)", 1.45)),
    (r"^c4d$", _Gen("AMD Turin (2025)", 1.4)),
)
# Azure: Standard_<series><vCPUs><feature letters>[_v<N>]
_AZURE = (
    (r"^[a-z]+\d+[a-z]*p[a-z]*_v5$", _Gen("Ampere Altra, a core per vCPU (2022)", 1.0)),
    (r"^[a-z]+\d+[a-z]*p[a-z]*_v6$", _Gen("Azure Cobalt 100, a core per vCPU (2024)", 1.3)),
    (r"^f[a-z]*\d+[a-z]*_v2$", _Gen("Cascade Lake, high clock (2019)", 0.95)),
    (r"^[a-z]+\d+[a-z]*_v[23]$", _Gen("Broadwell/Skylake (2016-17)", 0.8)),
    (r"^[a-z]+\d+[a-z]*_v4$", _Gen("Cascade Lake/Rome (2019-20)", 0.85)),
    (r"^[a-z]+\d+[a-z]*_v5$", _Gen("Ice Lake/Milan (2021)", 1.0)),
    (r"^fa[a-z]*\d+[a-z]*_v6$", _Gen("AMD Genoa, a core per vCPU (2024)", 1.45)),
    (r"^[a-z]+\d+[a-z]*a[a-z]*_v6$", _Gen("AMD Genoa (2024)", 1.2)),
    (r"^[a-z]+\d+[a-z]*_v6$", _Gen("Emerald Rapids (2024)", 1.15)),
    (r"^(a|d|ds|f|fs|g|gs)\d+[a-z]*$", _Gen("first generation (2014-15)", 0.7)),
)
_TABLES = {"gcp": _GCP, "azure": _AZURE}
_COMPILED = {c: tuple((re.compile(p), g) for p, g in rows) for c, rows in _TABLES.items()}


def family(cloud: str, instance_type: str) -> str:
    """The family part of a type name: m7i, n2, d4s_v5 (lower case)."""
    name = instance_type.lower()
    if cloud == "aws":
        return name.split(".")[0]
    if cloud == "gcp":
        return name.split("-")[0]
    return name.removeprefix("standard_")


def cpu_generation(cloud: str, instance_type: str) -> Throughput | None:
    """The CPU generation of an instance type and its per-vCPU throughput (None: unknown)."""
    fam = family(cloud, instance_type)
    found = _aws_generation(fam) if cloud == "aws" else _first(_COMPILED.get(cloud, ()), fam)
    return Throughput(found.factor, CPU_SOURCE, found.label) if found else None


def _first(rows: tuple[tuple[re.Pattern[str], _Gen], ...], fam: str) -> _Gen | None:
    return next((gen for pattern, gen in rows if pattern.match(fam)), None)


def accelerator(name: str | None) -> Throughput | None:
    """An accelerator's per-device throughput (None: not in the table)."""
    model = accelerators.canonical(name) if name else None
    row = ACCELERATORS.get(model) if model else None
    return Throughput(row.factor, row.source, model or "") if row else None


def cpu_reference(name: str) -> Throughput | None:
    """A CPU reference written in placer.yaml: an instance type or family of any cloud
    (``m6i``, ``m7i.large``, ``n2-standard-8``, ``Standard_D4s_v5``, ``d4s_v5``)."""
    for cloud in ("aws", "gcp", "azure"):
        for text in (name, f"Standard_{name}"):
            found = cpu_generation(cloud, text)
            if found is not None and _plausible(cloud, text):
                return found
    return None


def _plausible(cloud: str, name: str) -> bool:
    """Whether `name` is written the way `cloud` names types (patterns overlap a little)."""
    lowered = name.lower()
    if cloud == "aws":
        return bool(re.match(r"^[a-z]+\d[a-z-]*(\.|$)", lowered))
    if cloud == "gcp":
        return bool(re.match(r"^[a-z]\d[a-z]?(-|$)", lowered))
    return lowered.startswith("standard_")


@dataclass(frozen=True)
class Hardware:
    """What runs a step's pod on one instance type: its accelerator, else its CPU."""

    label: str  # "H100", "Sapphire Rapids (2023)", or the type name when unknown
    throughput: Throughput | None  # None: not in the tables

    @property
    def known(self) -> bool:
        return self.throughput is not None


def hardware_of(offer: Offer, gpu_step: bool) -> Hardware:
    """The hardware a step's speed depends on: the accelerator for GPU steps, else the CPU."""
    if gpu_step:
        found = accelerator(offer.gpu_model)
        label = accelerators.canonical(offer.gpu_model or "") or (offer.gpu_model or "?")
        return Hardware(label, found)
    found = cpu_generation(offer.cloud, offer.instance_type)
    return Hardware(found.label if found else offer.instance_type, found)
