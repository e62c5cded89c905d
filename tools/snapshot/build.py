"""Build placer's embedded pricing snapshot (pricing/data/) from the facts in facts/.

    python tools/snapshot/build.py

Inputs are our own small CSV/JSON files of public facts (see pricing/data/SOURCES.md);
outputs are the gzipped tables `pricing._store` reads. Rules applied here:

* Spot: the median of the per-zone spot prices that are below the on-demand price (a zone
  quoting >= on-demand has no real spot market); None where no zone qualifies.
* GCP: accelerator-optimized shapes are host price + accelerator price (GCP bills them
  separately); where a size was not transcribed it is derived from a size of the same
  family and shape ratio (GCP prices each vCPU and GiB linearly), rounded to 5 decimals.
* Azure: on-demand only; spot is left None (no offline public source), refresh fills it.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import statistics
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pricing._model import Offer, is_burstable  # noqa: E402
from pricing.accelerators import canonical, memory_gib  # noqa: E402
from pricing._store import EgressTable, Tier, save_egress, save_table  # noqa: E402

FACTS = Path(__file__).parent / "facts"
DATA = ROOT / "pricing" / "data"

SKYPILOT = "github.com/skypilot-org/skypilot-catalog"
# The skypilot-catalog commits' dates could not be read (no history offline), so AWS and
# GCP are dated by the day the files were read: the prices may be older than captured_at.
READ_NOT_COMMITTED = "read 2026-11-27; commit date unknown, prices may be older"
SOURCES = {
    "aws": [
        f"{SKYPILOT} catalogs/v8/aws/vms.csv @ 00148f2af3672e2229b4f7bf8157d5a3f36e3c35"
        f" ({READ_NOT_COMMITTED})",
    ],
    "gcp": [
        f"{SKYPILOT} catalogs/v8/gcp/vms.csv @ 006059e0f18acb1341e22a27751e9f80df6ba92f"
        f" ({READ_NOT_COMMITTED})",
    ],
    "azure": [
        "github.com/Azure/karpenter-provider-azure pkg/providers/pricing/"
        "zz_generated.pricing.go @ 2b431da153a6a92b705c18046512c60b1631b682 "
        "(Azure Retail Prices API, generated 2026-06-18T03:43:41Z)",
        "PyPI sparecores-data 0.3.4 sc-data-priceless.db (shapes, observed 2026-01-15)",
    ],
}
CAPTURED_AT = {
    "aws": "2026-11-27T00:00:00Z",  # the date read (an upper bound); see SOURCES.md
    "gcp": "2026-11-27T00:00:00Z",
    "azure": "2026-06-18T03:43:41Z",
}

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


def aws_offers(captured_at: str) -> list[Offer]:
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


def gcp_offers(captured_at: str) -> list[Offer]:
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


# ----------------------------------------------------------------------------- Azure

AZURE_GPU = {  # SKU -> (model, kind)
    "Standard_NC4as_T4_v3": "T4",
    "Standard_NC16as_T4_v3": "T4",
    "Standard_NV36ads_A10_v5": "A10",
    "Standard_NC24ads_A100_v4": "A100-80GB",
    "Standard_NC40ads_H100_v5": "H100-NVL",
    "Standard_ND96asr_v4": "A100",
    "Standard_ND96isr_H100_v5": "H100",
}


def azure_offers(captured_at: str) -> list[Offer]:
    shapes = {row[0]: row[1:] for row in _rows(FACTS / "azure_shapes.csv")}
    offers = []
    for sku, region, price in _rows(FACTS / "azure.csv"):
        vcpus, mem, gpus, arch = shapes[sku]
        model = AZURE_GPU.get(sku)
        offers.append(
            Offer("azure", region, sku, float(vcpus), float(mem), float(price), None,
                  float(gpus), model, "nvidia" if model else None, arch,
                  observed_at=captured_at[:10])
        )  # fmt: skip
    return offers


# ---------------------------------------------------------------------------- egress


def egress_table(cloud: str) -> tuple[EgressTable, str]:
    """One cloud's egress table from facts/egress-<cloud>.json (+ AWS per-pair CSV)."""
    raw = json.loads((FACTS / f"egress-{cloud}.json").read_text())
    unit = raw["unit"]
    pairs = {}
    if cloud == "aws":
        for src, dst, rate in _rows(FACTS / "aws_transfer.csv"):
            if dst != "internet":
                pairs[(src, dst)] = float(rate)
    table = EgressTable(
        cloud=cloud,
        captured_at=raw["captured_at"],
        sources=tuple(raw["sources"]),
        internet_tiers={
            key: tuple(Tier(start, rate) for start, rate in tiers)
            for key, tiers in raw["internet"].items()
        },
        within_continent_usd_per_gb=raw["within_continent"],
        between_continents_usd_per_gb=raw["between_continents"],
        cross_zone_usd_per_gb=raw["cross_zone"],
        region_pairs_usd_per_gb=pairs,
    )
    return table, unit


BUILDERS = {"aws": aws_offers, "azure": azure_offers, "gcp": gcp_offers}


def finish(offer: Offer) -> Offer:
    """Canonical accelerator name, its memory per device, and the burstable flag."""
    model = canonical(offer.gpu_model) if offer.gpu_model else None
    return dataclasses.replace(
        offer,
        gpu_model=model or offer.gpu_model,
        accelerator_memory_gib=memory_gib(model),
        burstable=is_burstable(offer.cloud, offer.instance_type),
    )


def build(clouds: Iterable[str] = ("aws", "azure", "gcp"), out: Path = DATA) -> None:
    """Write offers-<cloud>.json.gz and egress-<cloud>.json.gz into ``out`` (pricing/data/)."""
    for cloud in clouds:
        offers = [finish(o) for o in BUILDERS[cloud](CAPTURED_AT[cloud])]
        path = save_table(
            out / f"offers-{cloud}.json.gz", cloud, CAPTURED_AT[cloud], SOURCES[cloud], offers
        )
        table, unit = egress_table(cloud)
        # Tiers and rates are stored in the unit the facts use; the in-memory table
        # built above carries them unscaled, so save in that same unit.
        save_egress(out / f"egress-{cloud}.json.gz", _as_gb(table, unit), unit)
        regions = len({o.region for o in offers})
        print(f"{cloud}: {len(offers)} offers in {regions} regions -> {path.name}")


def _as_gb(table: EgressTable, unit: str) -> EgressTable:
    """Convert a table written in `unit` into the per-GB form save_egress expects."""
    if unit == "GB":
        return table
    from pricing._store import GB_PER_GIB

    def tiers(ts: tuple[Tier, ...]) -> tuple[Tier, ...]:
        return tuple(Tier(t.start_gb * GB_PER_GIB, t.usd_per_gb / GB_PER_GIB) for t in ts)

    return EgressTable(
        table.cloud,
        table.captured_at,
        table.sources,
        {k: tiers(v) for k, v in table.internet_tiers.items()},
        {k: v / GB_PER_GIB for k, v in table.within_continent_usd_per_gb.items()},
        {k: v / GB_PER_GIB for k, v in table.between_continents_usd_per_gb.items()},
        table.cross_zone_usd_per_gb / GB_PER_GIB,
        {k: v / GB_PER_GIB for k, v in table.region_pairs_usd_per_gb.items()},
    )


if __name__ == "__main__":
    build(sys.argv[1:] or ("aws", "azure", "gcp"))
