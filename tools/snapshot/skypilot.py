"""Second source: the rows transcribed from SkyPilot's public catalog (facts/aws.csv and
facts/gcp.csv, skypilot-org/skypilot-catalog catalogs/v8 at commits 00148f2a (AWS) and
006059e0 (GCP), read 2026-11-27; the commits' dates are unknown, so these prices are dated
"on or before 2026-11-27").

Rules: spot is the median of the per-zone spot prices below on-demand (a zone quoting
on-demand has no spot market); GCP accelerator shapes are host + accelerator prices, as GCP
bills them; a GCP size not transcribed is derived linearly from one of the same family and
shape ratio (GCP prices each vCPU and GiB linearly), rounded to 5 decimals.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Iterator
from pathlib import Path

from pricing._model import Offer

FACTS = Path(__file__).parent / "facts"

READ = "2026-11-27"  # the day the catalog rows were read (an upper bound of their date)

ACCELERATOR_KIND = {"Trainium": "trainium", "tpu-v5e": "tpu"}
GPU_MODEL = {"Trainium": "trn1"}


def _rows(path: Path) -> Iterator[list[str]]:
    """CSV rows without comment lines."""
    with path.open() as handle:
        yield from csv.reader(line for line in handle if not line.startswith("#"))


def spot_price(zones: str, on_demand: float | None) -> float | None:
    """Median of the zone spot prices below on-demand (None if none is)."""
    values = [float(v) for v in zones.split("|") if v]
    if on_demand is not None:
        values = [v for v in values if v < on_demand]
    return round(statistics.median(values), 6) if values else None


# ------------------------------------------------------------------------------- AWS


def aws_offers(captured_at: str = READ) -> list[Offer]:
    offers = []
    for itype, region, vcpus, mem, accel, count, arch, price, zones in _rows(FACTS / "aws.csv"):
        od = float(price)
        offers.append(
            Offer(
                "aws", region, itype, float(vcpus), float(mem), od, spot_price(zones, od),
                gpu_count=float(count or 0),
                gpu_model=GPU_MODEL.get(accel, accel) or None,
                accelerator_kind=(ACCELERATOR_KIND.get(accel, "nvidia") if accel else None),
                arch=arch, source="snapshot", observed_at=captured_at[:10],
            )
        )  # fmt: skip
    return offers


# ------------------------------------------------------------------------------- GCP

# Sizes derived from a transcribed size of the same family and vCPU:GiB ratio.
GCP_SCALED = {
    "n1-standard-4": [("n1-standard-16", 0.25)],
    "n1-standard-8": [("n1-standard-16", 0.5)],
    "n2-standard-4": [("n2-standard-16", 0.25)],
    "n2-standard-8": [("n2-standard-16", 0.5)],
    "n2-standard-32": [("n2-standard-16", 2.0)],
    "n2-highmem-4": [("n2-highmem-2", 2.0)],
    "n2-highmem-8": [("n2-highmem-2", 4.0)],
    "n2-highmem-16": [("n2-highmem-2", 8.0)],
    "n2-highmem-32": [("n2-highmem-16", 2.0)],
    "g2-standard-4": [("g2-standard-16", 0.25)],
    "c2-standard-4": [("c2-standard-16", 0.25)],
    "c2-standard-8": [("c2-standard-16", 0.5)],
}
GCP_SHAPES = {  # name: (vCPUs, GiB)
    "n1-standard-4": (4, 15), "n1-standard-8": (8, 30), "n1-standard-16": (16, 60),
    "n2-standard-2": (2, 8), "n2-standard-4": (4, 16), "n2-standard-8": (8, 32),
    "n2-standard-16": (16, 64), "n2-standard-32": (32, 128), "n2-standard-128": (128, 512),
    "n2-highmem-2": (2, 16), "n2-highmem-4": (4, 32), "n2-highmem-8": (8, 64),
    "n2-highmem-16": (16, 128), "n2-highmem-32": (32, 256),
    "c2-standard-4": (4, 16), "c2-standard-8": (8, 32), "c2-standard-16": (16, 64),
    "c2-standard-30": (30, 120),
}  # fmt: skip
# Accelerator shapes: name -> (host machine type, accelerator fact, units, vCPUs, GiB, model).
GCP_ACCELERATED = {
    "n1-standard-4+1xT4": ("n1-standard-4", "T4", 1, 4, 15, "T4"),
    "g2-standard-4": ("g2-standard-4", "L4", 1, 4, 16, "L4"),
    "g2-standard-16": ("g2-standard-16", "L4", 1, 16, 64, "L4"),
    "a2-highgpu-1g": ("a2-highgpu-1g", "A100", 1, 12, 85, "A100"),
    "a2-highgpu-8g": ("a2-highgpu-8g", "A100", 8, 96, 680, "A100"),
    "a3-highgpu-8g": ("a3-highgpu-8g", "H100", 8, 208, 1872, "H100"),
}
# TPU v5e slices as GKE machine types: name -> (slice, chips, host vCPUs, host GiB).
GCP_TPUS = {
    "ct5lp-hightpu-1t": ("tpu-v5litepod-1", 1, 24, 48),
    "ct5lp-hightpu-4t": ("tpu-v5litepod-4", 4, 112, 192),
    "ct5lp-hightpu-8t": ("tpu-v5litepod-8", 8, 224, 384),
}
GCP_HOST_ONLY = {"g2-standard-4", "g2-standard-16", "a2-highgpu-1g", "a2-highgpu-8g"}
GCP_HOST_ONLY |= {"a3-highgpu-8g"}  # these machine types always come with their GPUs


def _gcp_facts() -> tuple[dict, dict]:
    """(vm prices, accelerator unit prices), each {(name, region): (od, spot)}."""
    vms, accels = {}, {}
    for kind, name, region, _vcpus, _mem, price, zones in _rows(FACTS / "gcp.csv"):
        od = float(price)
        spot = spot_price(zones, od)
        if kind == "vm":
            vms[(name, region)] = (od, spot)
        elif name.startswith("tpu-"):
            accels[(name, region)] = (od, spot)
        else:  # "<GPU>x<count>": price for `count` GPUs, stored per GPU
            gpu, count = name.rsplit("x", 1)
            per = (od / int(count), None if spot is None else spot / int(count))
            accels.setdefault((gpu, region), per)
    return vms, accels


def _gcp_vm(vms: dict, name: str, region: str) -> tuple[float, float | None] | None:
    """A machine type's (on-demand, spot) in a region, transcribed or derived."""
    if (name, region) in vms:
        return vms[(name, region)]
    for base, factor in GCP_SCALED.get(name, []):
        if (base, region) in vms:
            od, spot = vms[(base, region)]
            return round(od * factor, 5), None if spot is None else round(spot * factor, 5)
    return None


def _sum(a: float | None, b: float | None, units: int = 1) -> float | None:
    return None if a is None or b is None else round(a + b * units, 5)


def gcp_offers(captured_at: str = READ) -> list[Offer]:
    vms, accels = _gcp_facts()
    regions = sorted({region for (_, region) in vms})
    day = captured_at[:10]
    offers = []
    for region in regions:
        for name, (vcpus, mem) in GCP_SHAPES.items():
            if price := _gcp_vm(vms, name, region):
                offers.append(Offer("gcp", region, name, vcpus, mem, *price, observed_at=day))
        for name, (host, accel, units, vcpus, mem, model) in GCP_ACCELERATED.items():
            host_price, unit = _gcp_vm(vms, host, region), accels.get((accel, region))
            if host_price and unit:
                od, spot = _sum(host_price[0], unit[0], units), _sum(host_price[1], unit[1], units)
                offers.append(
                    Offer("gcp", region, name, vcpus, mem, od, spot, units, model, "nvidia",
                          observed_at=day)
                )  # fmt: skip
        for name, (tpu, chips, vcpus, mem) in GCP_TPUS.items():
            if price := accels.get((tpu, region)):
                offers.append(
                    Offer("gcp", region, name, vcpus, mem, *price, chips, "tpu-v5e", "tpu",
                          observed_at=day)
                )  # fmt: skip
    return offers


