"""Build placer's embedded pricing snapshot (pricing/data/) from the facts in facts/.

    python tools/snapshot/build.py          # writes pricing/data/ and the corrections table

Inputs are our own CSV/JSON files of public facts (written by extract.py; sources and dates
in pricing/data/SOURCES.md). Per cloud, a primary source gives prices, a shape table gives
vCPUs, memory, accelerators and arch, and an independent second source cross-checks them.
Then pricing.sanity's rules run on every row: a spot price above on-demand is removed, a row
off its continent's median by more than 1.5x or an accelerator type cheaper than a CPU-only
type of at least its size is dropped. Every row corrected or dropped is listed, with why, in
the corrections table this writes into SOURCES.md.

Precedence (first that has the row wins):
* AWS: karpenter-provider-aws us-east-1 (2026-07-20) > SkyPilot catalog rows (facts/aws.csv)
  > Apache Libcloud 3.9.1 (2025-03-02), except types Libcloud prices differently from
  karpenter in us-east-1 (repriced since: their Libcloud rows are dropped). Spot: SkyPilot's
  zone median, else on-demand x (1 - the Spot Instance Advisor's savings %).
* GCP: karpenter-provider-gcp (Cloud Billing Catalog, 2026-08-03), on-demand and spot;
  n1+T4 and TPU v5e shapes from the SkyPilot rows (facts/gcp.csv).
* Azure: karpenter-provider-azure (Retail Prices API, 2026-06-18), on-demand; spot from the
  SkyPilot rows transcribed in facts/azure_spot_skypilot.csv (D and E series, 4 US regions)
  where SkyPilot's on-demand price equals today's (the same price epoch).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import skypilot  # noqa: E402
from extract import AWS_REGIONS  # noqa: E402

from pricing import sanity  # noqa: E402
from pricing._model import Offer, is_burstable  # noqa: E402
from pricing._store import EgressTable, Tier, save_egress, save_table  # noqa: E402
from pricing.accelerators import canonical, kind_of, memory_gib  # noqa: E402

FACTS = Path(__file__).parent / "facts"
DATA = ROOT / "pricing" / "data"
SOURCES_MD = DATA / "SOURCES.md"

KARPENTER_AWS = "2026-07-20T13:44:30Z"
LIBCLOUD = "2025-03-02T18:16:18Z"
SPOT_ADVISOR = "2025-06-28"
KARPENTER_GCP = "2026-08-03T09:23:47Z"
KARPENTER_AZURE = "2026-06-18T03:43:41Z"
READ = skypilot.READ

SOURCES = {
    "aws": [
        "github.com/aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go"
        f" @ 1d927085 (us-east-1 on-demand, generated {KARPENTER_AWS})",
        "github.com/skypilot-org/skypilot-catalog catalogs/v8/aws/vms.csv @ 00148f2a (rows "
        f"transcribed in facts/aws.csv; commit date unknown, read {READ}: prices on or before)",
        f"PyPI apache-libcloud 3.9.1 libcloud/data/pricing.json (updated {LIBCLOUD})",
        "AWS Spot Instance Advisor data via github.com/alexei-led/spotinfo @ 05e93313 "
        f"({SPOT_ADVISOR}): spot = on-demand x (1 - savings)",
        "github.com/SpareCores/sc-data-dumps @ e8749bef (shapes, 2026-01-31)",
    ],
    "gcp": [
        "github.com/cloudpilot-ai/karpenter-provider-gcp pkg/providers/pricing/"
        f"initial-prices.json @ 862e6e35 (Cloud Billing Catalog, {KARPENTER_GCP})",
        "github.com/Cyclenerd/google-cloud-pricing-cost-calculator tools/machinetypes.csv "
        "@ dac31281 (shapes, 2026-08-20)",
        "github.com/skypilot-org/skypilot-catalog catalogs/v8/gcp/vms.csv @ 006059e0 (T4 and "
        f"TPU v5e rows, cross-check; commit date unknown, read {READ}: prices on or before)",
    ],
    "azure": [
        "github.com/Azure/karpenter-provider-azure pkg/providers/pricing/zz_generated.pricing.go"
        f" @ 352646f5 (Retail Prices API, generated {KARPENTER_AZURE})",
        "github.com/skypilot-org/skypilot-catalog catalogs/v6/azure/vms.csv @ 098741e7 (spot of "
        f"D/E-series SKUs in 4 US regions; commit date unknown, read {READ}: on or before)",
        "github.com/SpareCores/sc-data-dumps @ e8749bef (shapes, 2026-01-31)",
        f"PyPI apache-libcloud 3.9.1 libcloud/data/pricing.json (cross-check, {LIBCLOUD})",
    ],
}


@dataclass(frozen=True)
class Note:
    """A row corrected, dropped or flagged while building, for the SOURCES.md table."""

    cloud: str
    instance_type: str
    region: str
    action: str  # "dropped" | "corrected" | "flagged"
    why: str


def _csv(name: str) -> Iterator[list[str]]:
    with (FACTS / name).open() as handle:
        yield from csv.reader(line for line in handle if not line.startswith("#"))


def _day(stamp: str) -> str:
    return stamp[:10]


# ---------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class Shape:
    vcpus: float
    memory_gib: float
    gpu_count: float = 0
    gpu_model: str | None = None
    gpu_memory_gib: float = 0
    arch: str = "x86_64"
    burstable: bool = False


def _model(name: str, memory: float) -> str | None:
    """A shape table's GPU name as a canonical one, told apart by memory where it must be."""
    model = canonical(name) if name else None
    if model == "A100-40GB" and memory >= 70:
        return "A100-80GB"
    if model == "H100" and memory >= 90:
        return "H100-NVL"
    return model


def sc_shapes(cloud: str) -> dict[str, Shape]:
    """Spare Cores' shapes of one cloud's servers."""
    shapes = {}
    for row in _csv("shapes_sc.csv"):
        c, itype, vcpus, mem, gpus, model, gpu_mem, arch, alloc = row
        if c != cloud:
            continue
        shapes[itype] = Shape(
            float(vcpus), float(mem), float(gpus), _model(model, float(gpu_mem)),
            float(gpu_mem), "arm64" if arch == "arm64" else "x86_64",
            alloc in ("BURSTABLE", "SHARED"),
        )  # fmt: skip
    return shapes


# AWS Neuron chips per type (Spare Cores lists them without accelerators): AWS's type pages.
NEURON = {
    "trn1.2xlarge": 1, "trn1.32xlarge": 16, "trn1n.32xlarge": 16, "trn2.48xlarge": 16,
    "inf1.xlarge": 1, "inf1.2xlarge": 1, "inf1.6xlarge": 4, "inf1.24xlarge": 16,
    "inf2.xlarge": 1, "inf2.8xlarge": 1, "inf2.24xlarge": 6, "inf2.48xlarge": 12,
}  # fmt: skip


def aws_shape(itype: str, shapes: dict[str, Shape], libcloud: dict[str, Shape]) -> Shape | None:
    shape = shapes.get(itype) or libcloud.get(itype)
    if shape is None:
        return None
    if itype in NEURON:
        model = itype.split(".")[0].rstrip("n")
        return dataclasses.replace(shape, gpu_count=NEURON[itype], gpu_model=model,
                                   gpu_memory_gib=memory_gib(model))  # fmt: skip
    return shape


def shape_notes(cloud: str, primary: dict[str, Shape], other: dict[str, Shape],
                used: set[str]) -> list[Note]:  # fmt: skip
    """Flag the types whose vCPUs, memory (>2%) or GPU count differ between two shape tables."""
    notes = []
    for itype in sorted(used & primary.keys() & other.keys()):
        a, b = primary[itype], other[itype]
        if (
            a.vcpus != b.vcpus
            or abs(a.memory_gib - b.memory_gib) > 0.02 * max(a.memory_gib, b.memory_gib)
            or (b.gpu_count and a.gpu_count != b.gpu_count)
        ):
            why = (
                f"shapes disagree: {a.vcpus:g} vCPU/{a.memory_gib:g} GiB/{a.gpu_count:g} GPU vs "
                f"{b.vcpus:g}/{b.memory_gib:g}/{b.gpu_count:g} in the second source; kept the first"
            )
            notes.append(Note(cloud, itype, "*", "flagged", why))
    compared = len(used & primary.keys() & other.keys())
    notes.append(Note(cloud, "*", "*", "compared",
                      f"shapes of {compared} types compared between the two shape tables, "
                      f"{len(notes)} disagree"))  # fmt: skip
    return notes


# ------------------------------------------------------------------------------- AWS


def aws(notes: list[Note]) -> list[Offer]:
    karpenter = {t: float(p) for t, p in _csv("aws_karpenter.csv")}
    libcloud = {(t, r): float(p) for t, r, p in _csv("aws_libcloud.csv")}
    advisor = {(t, r): float(s) for t, r, s in _csv("aws_spot_advisor.csv")}
    sky = {(o.instance_type, o.region): o for o in skypilot.aws_offers()}
    shapes = sc_shapes("aws")
    lib_shapes = {
        t: Shape(float(v), float(m), float(g)) for t, v, m, g in _csv("aws_shapes_libcloud.csv")
        if v  # fmt: skip
    }
    repriced = {
        t: (libcloud[(t, "us-east-1")], p)
        for t, p in karpenter.items()
        if (t, "us-east-1") in libcloud and abs(libcloud[(t, "us-east-1")] / p - 1) > 0.02
    }
    both = sum((t, "us-east-1") in libcloud for t in karpenter)
    notes.append(Note("aws", "*", "*", "compared",
                      f"{both} us-east-1 prices in both karpenter (2026-07-20) and Libcloud "
                      f"(2025-03-02): {len(repriced)} differ by >2%"))  # fmt: skip
    for t, (old, new) in sorted(repriced.items()):
        regions = sorted(r for (tt, r) in libcloud if tt == t and (t, r) not in sky)
        if regions:
            notes.append(Note("aws", t, " ".join(regions), "dropped",
                              f"repriced since Libcloud: us-east-1 ${old:g} (2025-03-02) vs "
                              f"${new:g} (2026-07-20), Libcloud rows not used"))  # fmt: skip
    pairs = [
        (key, row.usd_per_hour, karpenter.get(key[0]) if key[1] == "us-east-1" else libcloud.get(key))
        for key, row in sky.items()
    ]
    pairs = [(key, a, b) for key, a, b in pairs if b]
    for (t, r), a, b in pairs:
        if abs(a / b - 1) > 0.10:
            notes.append(Note("aws", t, r, "flagged",
                              f"SkyPilot catalog ${a:g}/h vs ${b:g}/h ({a / b - 1:+.0%})"))
    notes.append(Note("aws", "*", "*", "compared",
                      f"{len(pairs)} SkyPilot rows compared with karpenter (us-east-1) or "
                      f"Libcloud: {sum(abs(a / b - 1) > 0.10 for _, a, b in pairs)} differ by "
                      ">10%"))  # fmt: skip
    offers, used = [], set()
    keys = {(t, "us-east-1") for t in karpenter} | sky.keys() | libcloud.keys()
    for itype, region in sorted(keys):
        if region not in AWS_REGIONS or "." not in itype:
            continue
        shape = aws_shape(itype, shapes, lib_shapes)
        if region == "us-east-1" and itype in karpenter:
            od, earliest, latest = karpenter[itype], KARPENTER_AWS, KARPENTER_AWS
        elif (itype, region) in sky:
            row = sky[(itype, region)]
            od, earliest, latest = row.usd_per_hour, "", READ
        elif (itype, region) in libcloud and itype not in repriced:
            od, earliest, latest = libcloud[(itype, region)], LIBCLOUD, LIBCLOUD
        else:
            continue
        if shape is None:
            notes.append(Note("aws", itype, region, "dropped", "no shape in either shape table"))
            continue
        spot = None
        if (itype, region) in sky and sky[(itype, region)].spot_usd_per_hour is not None:
            spot = sky[(itype, region)].spot_usd_per_hour
            earliest = ""
        elif (itype, region) in advisor:
            spot = round(od * (1 - advisor[(itype, region)] / 100), 5)
            earliest = min(earliest, SPOT_ADVISOR) if earliest else ""
            latest = max(latest, SPOT_ADVISOR)
        used.add(itype)
        offers.append(_offer("aws", region, itype, shape, od, spot, earliest, latest))
    offers += derived_sizes(offers, karpenter, shapes, lib_shapes, advisor, notes)
    notes += shape_notes("aws", shapes, lib_shapes, used)
    return offers


def derived_sizes(offers: list[Offer], karpenter: dict[str, float], shapes: dict[str, Shape],
                  lib_shapes: dict[str, Shape], advisor: dict[tuple[str, str], float],
                  notes: list[Note]) -> list[Offer]:  # fmt: skip
    """Sizes a region lacks, priced from another size of the same family in that region by
    the two sizes' us-east-1 price ratio, where that ratio is their vCPU ratio (a family
    AWS prices linearly by size, as it does in every region). The nearest size is the base;
    the derived row keeps the base's dates. Each derived row is noted."""
    have = {(o.instance_type, o.region): o for o in offers}
    by_family: dict[tuple[str, str], list[Offer]] = defaultdict(list)
    for o in offers:
        if "metal" not in o.instance_type:
            by_family[(o.instance_type.split(".")[0], o.region)].append(o)
    derived = []
    for itype, usd in sorted(karpenter.items()):
        family, shape = itype.split(".")[0], aws_shape(itype, shapes, lib_shapes)
        if "metal" in itype or shape is None or not shape.vcpus:
            continue
        for region in AWS_REGIONS:
            bases = [b for b in by_family.get((family, region), []) if b.instance_type in karpenter]
            if (itype, region) in have or not bases:
                continue
            base = min(bases, key=lambda b: abs(b.vcpus - shape.vcpus))
            ratio = usd / karpenter[base.instance_type]
            if base.usd_per_hour is None or abs(ratio / (shape.vcpus / base.vcpus) - 1) > 0.005:
                continue
            od = round(base.usd_per_hour * ratio, 6)
            spot = None
            if (itype, region) in advisor:
                spot = round(od * (1 - advisor[(itype, region)] / 100), 5)
            derived.append(_offer("aws", region, itype, shape, od, spot,
                                  base.observed_earliest, base.observed_at))  # fmt: skip
            notes.append(Note("aws", itype, region, "derived",
                              f"from {base.instance_type} in the region x {ratio:.4g} (their "
                              "us-east-1 and vCPU ratio)"))  # fmt: skip
    return derived


def _offer(cloud: str, region: str, itype: str, shape: Shape, od: float | None,
           spot: float | None, earliest: str, latest: str) -> Offer:  # fmt: skip
    raw = shape.gpu_model if shape.gpu_count else None
    model = (canonical(raw) or raw) if raw else None
    return Offer(
        cloud, region, itype, shape.vcpus, shape.memory_gib, od, spot,
        gpu_count=shape.gpu_count if model else 0, gpu_model=model,
        accelerator_kind=kind_of(model) if model else None, arch=shape.arch,
        source="snapshot", observed_at=_day(latest),
        burstable=shape.burstable or is_burstable(cloud, itype),
        accelerator_memory_gib=(memory_gib(model) or shape.gpu_memory_gib) if model else 0,
        observed_earliest=_day(earliest) if earliest else "",
    )  # fmt: skip


# ------------------------------------------------------------------------------- GCP

_G2_GPUS = {4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8}
_G4_GPUS = {48: 1, 96: 2, 192: 4, 384: 8}
_TPU = {"ct4p": "tpu-v4", "ct5lp": "tpu-v5e", "ct5l": "tpu-v5e", "ct5p": "tpu-v5p",
        "ct6e": "tpu-v6e"}  # fmt: skip


def gcp_accelerators(name: str) -> tuple[int, str | None]:
    """(devices, canonical model) of a GCP machine type, from its documented name scheme."""
    family, _, rest = name.partition("-")
    number = re.search(r"-(\d+)(g|t)?$", name)
    count = int(number.group(1)) if number else 0
    if family == "a2":
        return count, "A100-80GB" if "ultragpu" in name else "A100-40GB"
    if family == "a3":
        return count, "H200" if "ultragpu" in name else "H100"
    if family == "a4":
        return count, "B200"
    if family == "a4x":
        return count, "GB200"
    if family == "g2":
        return _G2_GPUS.get(count, 0), "L4"
    if family == "g4":
        return _G4_GPUS.get(count, 0), "RTX-PRO-6000"
    if family in _TPU:
        return count, _TPU[family]
    return 0, None


def gcp(notes: list[Note]) -> list[Offer]:
    shapes = {
        n: Shape(float(v), float(m), burstable=s == "1") for n, v, m, s in _csv("gcp_shapes.csv")
    }
    sc = sc_shapes("gcp")
    offers, used = [], set()
    for name, region, od, spot in _csv("gcp_prices.csv"):
        shape = shapes.get(name)
        if shape is None:
            notes.append(Note("gcp", name, region, "dropped", "no shape in the machine-type table"))
            continue
        count, model = gcp_accelerators(name)
        if model:
            shape = dataclasses.replace(shape, gpu_count=count, gpu_model=model)
        used.add(name)
        offers.append(_offer("gcp", region, name, shape, float(od), float(spot) or None,
                             KARPENTER_GCP, KARPENTER_GCP))  # fmt: skip
    primary = {
        n: dataclasses.replace(s, gpu_count=gcp_accelerators(n)[0]) for n, s in shapes.items()
    }
    notes += shape_notes("gcp", primary, sc, used)
    have = {(o.instance_type, o.region): o for o in offers}
    sky = skypilot.gcp_offers()
    both = [r for r in sky if (r.instance_type, r.region) in have]
    off = [r for r in both
           if abs(r.usd_per_hour / have[(r.instance_type, r.region)].usd_per_hour - 1) > 0.10]
    notes.append(Note("gcp", "*", "*", "compared",
                      f"{len(both)} rows compared with the SkyPilot catalog: {len(off)} differ "
                      "by >10%"))  # fmt: skip
    for row in sky:  # cross-check, and the shapes only SkyPilot prices
        mine = have.get((row.instance_type, row.region))
        if mine is None and (row.instance_type.startswith("ct5lp") or "+" in row.instance_type):
            shape = Shape(row.vcpus, row.memory_gib, row.gpu_count, canonical(row.gpu_model or ""))
            offers.append(_offer("gcp", row.region, row.instance_type, shape, row.usd_per_hour,
                                 row.spot_usd_per_hour, "", READ))  # fmt: skip
        elif mine is not None and abs(row.usd_per_hour / mine.usd_per_hour - 1) > 0.10:
            change = row.usd_per_hour / mine.usd_per_hour - 1
            notes.append(Note("gcp", row.instance_type, row.region, "corrected",
                              f"SkyPilot catalog ${row.usd_per_hour:g}/h ({change:+.0%}) vs Cloud "
                              f"Billing ${mine.usd_per_hour:g}/h: kept Cloud Billing"))  # fmt: skip
    return offers


# ----------------------------------------------------------------------------- Azure


def azure(notes: list[Note]) -> list[Offer]:
    from pricing.fetch.azure import gpu_model

    shapes = sc_shapes("azure")
    libcloud = {(k, r): float(p) for k, r, p in _csv("azure_libcloud.csv")}
    spots = {(k, r): (float(o), float(sp)) for k, r, o, sp in _csv("azure_spot_skypilot.csv")}
    offers, used, compared, off = [], set(), 0, []
    linux = windows_fixes(shapes, notes)
    for sku, region, price in _csv("azure.csv"):
        shape = shapes.get(sku)
        if shape is None:
            continue  # SKUs Spare Cores does not list (retired, preview or promo sizes)
        if shape.gpu_count:  # Azure's size names say the GPU model (H100 vs H100 NVL)
            named = gpu_model(sku)[0] if shape.gpu_count else None
            count = fractional_gpus(sku) or shape.gpu_count
            shape = dataclasses.replace(shape, gpu_model=named or shape.gpu_model,
                                        gpu_count=count)  # fmt: skip
        used.add(sku)
        od = linux.get((sku, region), float(price))
        spot, earliest, latest = None, KARPENTER_AZURE, KARPENTER_AZURE
        if (sku, region) in spots:  # SkyPilot's spot, where its on-demand is today's too
            old_od, old_spot = spots[(sku, region)]
            if abs(old_od / od - 1) <= 0.005:
                spot, earliest, latest = old_spot, "", max(KARPENTER_AZURE, READ)
            else:
                notes.append(Note("azure", sku, region, "dropped",
                                  f"spot not used: SkyPilot's on-demand ${old_od:g} is not "
                                  f"today's ${od:g} (a different price epoch)"))  # fmt: skip
        offers.append(_offer("azure", region, sku, shape, od, spot, earliest, latest))
        old = libcloud.get((sku.lower().replace("_", ""), region))
        if old:
            compared += 1
            if abs(od / old - 1) > 0.5:
                off.append(Note("azure", sku, region, "flagged",
                                f"Libcloud (2025-03-02) ${old:g}/h vs ${od:g}/h ({od / old - 1:+.0%})"))
    notes += off
    notes.append(Note("azure", "*", "*", "compared",
                      f"{compared} rows compared with Libcloud 2025-03-02, {len(off)} differ >50%"))
    return offers


# Azure sizes that carry a fraction of one GPU (GPU partitioning): devices = vCPUs / this.
_FRACTIONAL = ((re.compile(r"^Standard_NV(\d+)ads_A10_v5$"), 36),  # NV36ads: one A10
               (re.compile(r"^Standard_NV(\d+)as_v4$"), 32))  # NV32as_v4: one MI25  # fmt: skip


def fractional_gpus(sku: str) -> float:
    """The share of a GPU an Azure partitioned-GPU size carries (0 if not one)."""
    for pattern, whole in _FRACTIONAL:
        if match := pattern.match(sku):
            return round(int(match.group(1)) / whole, 4)
    return 0


WINDOWS_USD_PER_VCPU_HOUR = 0.046  # Azure's Windows Server license on pay-as-you-go VMs
_AZURE_SIZE = re.compile(r"^(Standard_[A-Z]+)(\d+)([a-z]*_v\d+)$")


def windows_fixes(shapes: dict[str, Shape], notes: list[Note]) -> dict[tuple[str, str], float]:
    """Rows whose source price includes the Windows license: within a family of one
    GiB-per-vCPU ratio in a region, a size priced exactly $0.046 per vCPU-hour above the
    family's lowest per-vCPU rate. Returns (sku, region) -> the Linux price."""
    families: dict[tuple[str, str], list[tuple[str, float, float]]] = defaultdict(list)
    for sku, region, price in _csv("azure.csv"):
        match, shape = _AZURE_SIZE.match(sku), shapes.get(sku)
        if match and shape and shape.vcpus and not shape.gpu_count:
            ratio = round(shape.memory_gib / shape.vcpus, 2)
            key = (f"{match.group(1)}#{match.group(3)}@{ratio}", region)
            families[key].append((sku, float(price), ratio))
    fixes = {}
    for (family, region), sizes in families.items():
        if len(sizes) < 3:
            continue
        rate = {sku: price / shapes[sku].vcpus for sku, price, _ in sizes}
        low = min(rate.values())
        for sku, price, _ in sizes:
            extra = rate[sku] - low
            if abs(extra - WINDOWS_USD_PER_VCPU_HOUR) < 0.003:
                fixed = round(price - WINDOWS_USD_PER_VCPU_HOUR * shapes[sku].vcpus, 6)
                fixes[(sku, region)] = fixed
                notes.append(Note("azure", sku, region, "corrected",
                                  f"Windows license in the source's price: ${price:g} is "
                                  f"${WINDOWS_USD_PER_VCPU_HOUR}/vCPU-h over its family's Linux "
                                  f"rate; Linux ${fixed:g}"))  # fmt: skip
    return fixes


# ---------------------------------------------------------------------------- sanity


def apply_sanity(cloud: str, offers: list[Offer], notes: list[Note]) -> list[Offer]:
    """Remove spot prices above on-demand; drop rows off their continent median or GPU
    types cheaper than a CPU-only type of their size. Each change becomes a note. Repeated
    until no rule is broken (a dropped row moves its continent's median)."""
    for _ in range(10):
        found = sanity.violations(offers)
        if not found:
            return offers
        kept = {id(o): o for o in offers}
        for v in found:
            o = v.offer
            if v.rule == "spot-above-on-demand":
                kept[id(o)] = dataclasses.replace(kept[id(o)], spot_usd_per_hour=None)
                notes.append(Note(cloud, o.instance_type, o.region, "corrected",
                                  f"{v.detail}: spot price removed"))  # fmt: skip
            elif id(o) in kept:
                del kept[id(o)]
                notes.append(Note(cloud, o.instance_type, o.region, "dropped",
                                  f"{v.rule}: {v.detail}"))  # fmt: skip
        offers = [kept[id(o)] for o in offers if id(o) in kept]
    raise SystemExit(f"{cloud}: the sanity rules still fail after 10 rounds")


# ---------------------------------------------------------------------------- egress


def egress_table(cloud: str) -> tuple[EgressTable, str]:
    """One cloud's egress table from facts/egress-<cloud>.json (+ AWS per-pair CSV)."""
    raw = json.loads((FACTS / f"egress-{cloud}.json").read_text())
    pairs = {}
    if cloud == "aws":
        for src, dst, rate in _csv("aws_transfer.csv"):
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
    return table, raw["unit"]


# ----------------------------------------------------------------------------- build

BUILDERS = {"aws": aws, "azure": azure, "gcp": gcp}
CAPTURED_AT = {"aws": READ, "gcp": KARPENTER_GCP, "azure": KARPENTER_AZURE}


COUNTS: list[str] = []  # one markdown table row per cloud built, for SOURCES.md


def build(clouds: Iterable[str] = ("aws", "azure", "gcp"), out: Path = DATA) -> list[Note]:
    """Write every cloud's offers and egress tables into ``out``; returns the notes."""
    notes: list[Note] = []
    COUNTS.clear()
    for cloud in clouds:
        offers = apply_sanity(cloud, BUILDERS[cloud](notes), notes)
        offers.sort(key=lambda o: (o.region, o.instance_type))
        captured = max(o.observed_at for o in offers)
        path = save_table(out / f"offers-{cloud}.json.gz", cloud, captured, SOURCES[cloud],
                          offers)  # fmt: skip
        table, unit = egress_table(cloud)
        save_egress(out / f"egress-{cloud}.json.gz", _as_gb(table, unit), unit)
        regions = len({o.region for o in offers})
        spot = sum(o.spot_usd_per_hour is not None for o in offers)
        size = path.stat().st_size
        print(f"{cloud}: {len(offers)} offers ({spot} with spot) in {regions} regions, "
              f"{size:,} bytes -> {path.name}")  # fmt: skip
        types = len({o.instance_type for o in offers})
        COUNTS.append(f"| {cloud} | {len(offers):,} | {types:,} | {spot:,} | {regions} | "
                      f"{size:,} B |")  # fmt: skip
    return notes


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


def _rule(note: Note) -> str:
    for start, rule in (("Libcloud", "differs from Libcloud by >50%"),
                        ("from ", "size of the same family, priced linearly"),
                        ("Windows", "Windows license in the source's price"),
                        ("spot not used", "SkyPilot spot from another price epoch"),
                        ("SkyPilot catalog $", "SkyPilot catalog differs by >10%"),
                        ("spot", "spot-above-on-demand")):  # fmt: skip
        if note.why.startswith(start):
            return rule
    return note.why.split(":")[0]


def corrections_markdown(notes: list[Note]) -> str:
    """Every row corrected, dropped or flagged: one line per cloud, type, action and reason."""
    grouped: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for n in notes:
        if n.action != "compared":
            grouped[(n.cloud, n.instance_type, n.action, n.why)].append(n.region)
    lines = [
        "# Rows the snapshot build corrected, dropped or flagged",
        "",
        "Written by `python tools/snapshot/build.py`; rules in pricing/data/SOURCES.md.",
        "",
        "| cloud | instance type | regions | action | why |",
        "|---|---|---|---|---|",
    ]
    for (cloud, itype, action, why), regions in sorted(grouped.items()):
        lines.append(f"| {cloud} | {itype} | {' '.join(sorted(regions))} | {action} | {why} |")
    return "\n".join(lines) + "\n"


def summary_markdown(notes: list[Note]) -> str:
    """Counts per cloud, action and rule, the cross-check tallies, and the GPU corrections."""
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for n in notes:
        if n.action != "compared":
            counts[(n.cloud, n.action, _rule(n))] += 1
    lines = ["| cloud | action | rule | rows (type x regions listed once per type) |",
             "|---|---|---|---:|"]  # fmt: skip
    lines += [f"| {c} | {a} | {r} | {k} |" for (c, a, r), k in sorted(counts.items())]
    lines += ["", *[f"- {n.cloud}: {n.why}" for n in notes if n.action == "compared"], ""]
    gpu = [n for n in notes if n.cloud == "gcp" and n.action == "corrected"]
    lines += ["GCP accelerator rows the SkyPilot catalog prices wrongly (kept Cloud Billing):", "",
              "| type | regions | why |", "|---|---|---|"]  # fmt: skip
    lines += [f"| {n.instance_type} | {n.region} | {n.why} |" for n in gpu]
    return "\n".join(lines) + "\n"


def write_corrections(notes: list[Note], path: Path = SOURCES_MD) -> None:
    """The full table into tools/snapshot/corrections.md, a summary into SOURCES.md."""
    (Path(__file__).parent / "corrections.md").write_text(corrections_markdown(notes))
    text = _between(path.read_text(), "corrections", summary_markdown(notes))
    header = "| cloud | offers | instance types | with spot | regions | file size |\n|---|---:|---:|---:|---:|---:|\n"
    path.write_text(_between(text, "counts", header + "\n".join(COUNTS) + "\n"))


def _between(text: str, name: str, body: str) -> str:
    """``text`` with the part between <!-- name:start --> and <!-- name:end --> replaced."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text:
        return text + f"\n{start}\n{body}{end}\n"
    return text[: text.index(start)] + f"{start}\n{body}{end}" + text[text.index(end) + len(end):]


if __name__ == "__main__":
    write_corrections(build(sys.argv[1:] or ("aws", "azure", "gcp")))
