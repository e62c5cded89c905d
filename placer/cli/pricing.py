"""`placer pricing info|show|refresh`: where the prices come from, the cheapest offers that
fit a request, and live refresh (its command lives in placer.cli.pricing_refresh, for size).
Tables and JSON are made by placer.output.pricing."""

from __future__ import annotations

import difflib
import enum
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from placer.cli import pricing_refresh
from placer.cli._env import env
from placer.errors import PricingError

if TYPE_CHECKING:
    from pricing.catalog import Catalog


class Format(enum.StrEnum):
    """Output formats."""

    table = "table"
    json = "json"


class SortBy(enum.StrEnum):
    """Columns `pricing show` can sort by (ascending; price breaks ties)."""

    price = "price"
    cpu = "cpu"
    memory = "memory"
    gpu_price = "gpu-price"


pricing_app = typer.Typer(
    name="pricing",
    help="The price catalog: where prices come from, the cheapest offers, live refresh.",
    no_args_is_help=True,
)

_FORMAT = typer.Option(Format.table, "--format", help="table or json.")
_CACHE_DIR = typer.Option(
    None, "--cache-dir", help="Refresh cache to read (default: $PLACER_CACHE_DIR, ~/.cache/placer)."
)


def register(app: typer.Typer) -> None:
    """Add the `pricing` group (info, show, refresh) to the root app."""
    app.add_typer(pricing_app)
    pricing_refresh.register(pricing_app)


def now() -> datetime:
    """The current time (a function so tests can pin it)."""
    return datetime.now(UTC)


def _load(cache_dir: Path | None) -> Catalog:
    from pricing.catalog import load_catalog

    catalog = load_catalog(cache_dir)
    for warning in catalog.warnings:
        env().stderr.write(f"warning: {warning}\n")
    return catalog


# --- pricing info --------------------------------------------------------------------------


@pricing_app.command("info")
def info(output: Format = _FORMAT, cache_dir: Path | None = _CACHE_DIR) -> None:
    """Where each cloud's prices come from (snapshot or cache), when, and how many offers."""
    from placer.output.pricing import info_json, info_table, regions_table, source_lines

    catalog = _load(cache_dir)
    moment = now()
    stale = catalog.stale_clouds(moment)
    if output is Format.json:
        env().write(json.dumps(info_json(catalog, moment), indent=2))
    else:
        sources = "\n".join(source_lines(catalog))
        env().show([info_table(catalog, moment), sources, regions_table(catalog)], wide=True)
    for cloud in stale:
        env().stderr.write(f"warning: {catalog.clouds[cloud].stale_warning(moment)}\n")


# --- pricing show --------------------------------------------------------------------------


@pricing_app.command("show")
def show(
    cloud: str | None = typer.Option(None, "--cloud", help="aws, azure or gcp."),
    region: str | None = typer.Option(None, "--region", help="Only this region."),
    gpu: str | None = typer.Option(
        None, "--gpu", help="Accelerator model, e.g. H100, A100-80GB, T4, trn1; A100* = any size."
    ),
    min_cpu: float = typer.Option(0, "--min-cpu", min=0, help="At least this many vCPUs."),
    min_memory: float = typer.Option(0, "--min-memory", min=0, help="At least this many GiB."),
    spot: bool = typer.Option(False, "--spot", help="Price by spot; drop offers without spot."),
    sort: SortBy = typer.Option(
        SortBy.price, "--sort", help="price, cpu, memory or gpu-price ($ per accelerator-hour)."
    ),
    limit: int = typer.Option(20, "--limit", min=1, help="Show at most this many offers."),
    output: Format = _FORMAT,
    cache_dir: Path | None = _CACHE_DIR,
) -> None:
    """The cheapest offers that fit: filter by cloud, region, GPU, vCPUs and memory."""
    from placer.output.pricing import offers_json, offers_table
    from pricing.catalog import OfferQuery

    catalog = _load(cache_dir)
    query = OfferQuery(
        cloud=check_cloud(cloud),
        region=check_region(catalog, cloud, region),
        gpu_model=check_gpu(catalog, gpu),
        min_vcpus=min_cpu,
        min_memory_gib=min_memory,
        capacity_type="spot" if spot else "on-demand",
        sort=sort.value,
    )
    offers = catalog.find(query)[:limit]
    if output is Format.json:
        env().write(json.dumps(offers_json(offers, query.capacity_type), indent=2))
    elif not offers:
        env().write("no offers match (widen the filters, or drop --spot)")
    else:
        env().show([offers_table(offers, spot)], wide=True)


def check_cloud(cloud: str | None) -> str | None:
    """The cloud, lower-cased, or a PricingError suggesting the nearest one."""
    from pricing._model import CLOUDS

    if cloud is None or cloud.lower() in CLOUDS:
        return cloud.lower() if cloud else None
    raise _unknown("cloud", cloud, "--cloud", CLOUDS)


def check_region(catalog: Catalog, cloud: str | None, region: str | None) -> str | None:
    """The region if the catalog has it (for the cloud, if given), else a PricingError."""
    if region is None:
        return None
    clouds = [cloud.lower()] if cloud else list(catalog.clouds)
    known = sorted({r for c in clouds for r in catalog.regions(c)})
    if region in known:
        return region
    raise _unknown("region", region, "--region", known)


def check_gpu(catalog: Catalog, gpu: str | None) -> str | None:
    """The accelerator spec (a model through its aliases, or a family such as ``A100*``),
    or a PricingError naming the nearest models when the table does not know it."""
    from pricing.accelerators import UnknownAccelerator, wanted

    if gpu is None:
        return None
    try:
        wanted(gpu)
    except UnknownAccelerator as exc:
        models = catalog.gpu_models()
        hint = f"Did you mean {_quoted(exc.suggestions)}? " if exc.suggestions else ""
        raise PricingError(
            f"unknown accelerator model {gpu!r}",
            "--gpu",
            f"{hint}The catalog has: {', '.join(models)} (add * for every size, e.g. A100*)",
        ) from None
    return gpu


def _unknown(what: str, value: str, option: str, choices: Sequence[str]) -> PricingError:
    """An error naming the option, the nearest choices and the full list."""
    lowered = {c.lower(): c for c in choices}
    near = difflib.get_close_matches(value.lower(), list(lowered), n=3, cutoff=0.5)
    hint = f"Did you mean {_quoted(lowered[n] for n in near)}? " if near else ""
    return PricingError(
        f"unknown {what} {value!r}", option, f"{hint}Choose one of: {', '.join(choices)}"
    )


def _quoted(names: Iterable[str]) -> str:
    return " or ".join(f"'{name}'" for name in names)
