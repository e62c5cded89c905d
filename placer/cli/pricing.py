"""`placer pricing info|show` (and `refresh`, added by placer.cli.pricing_refresh): where
the prices come from, and the cheapest offers that fit a request."""

from __future__ import annotations

import dataclasses
import difflib
import enum
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from placer.cli import pricing_refresh
from placer.cli._env import env
from placer.errors import PricingError

if TYPE_CHECKING:
    from rich.table import Table

    from pricing._model import Offer
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
    catalog = _load(cache_dir)
    moment = now()
    stale = catalog.stale_clouds(moment)
    if output is Format.json:
        env().write(json.dumps(info_json(catalog, moment), indent=2))
    else:
        _print(info_table(catalog, moment))
        env().write("\n".join(source_lines(catalog)))
        _print(regions_table(catalog))
    for cloud in stale:
        prices = catalog.clouds[cloud]
        when = f"captured {prices.captured_at}"
        if prices.oldest_observed_at:  # a partial refresh kept older rows
            when = f"oldest rows observed {prices.oldest_observed_at}, table {when}"
        env().stderr.write(
            f"warning: {cloud} prices are {_age(prices.as_of, moment)} old "
            f"({when}); run `placer pricing refresh --cloud {cloud}`\n"
        )


def info_json(catalog: Catalog, moment: datetime) -> dict[str, Any]:
    """`pricing info` as JSON: provenance per cloud and offer counts per region."""
    stale = set(catalog.stale_clouds(moment))
    clouds = {}
    for cloud, prices in catalog.clouds.items():
        clouds[cloud] = {
            "source": prices.source,
            "captured_at": prices.captured_at,
            "oldest_observed_at": prices.oldest_observed_at or None,
            "age_days": round(_age_days(prices.as_of, moment), 2),
            "stale": cloud in stale,
            "sources": list(prices.sources),
            "path": str(prices.path) if prices.path else None,
            "offers": prices.offer_count,
            "regions": {r: len(catalog.offers(cloud, r)) for r in catalog.regions(cloud)},
        }
    return {
        "source": catalog.source,
        "captured_at": catalog.captured_at,
        "stale": bool(stale),
        "clouds": clouds,
        "warnings": list(catalog.warnings),
    }


def info_table(catalog: Catalog, moment: datetime) -> Table:
    table = _table("cloud", "source", "captured", "age", "offers", "regions")
    for cloud, prices in catalog.clouds.items():
        table.add_row(
            cloud,
            prices.source,
            prices.captured_at,
            _age(prices.captured_at, moment),
            str(prices.offer_count),
            str(len(catalog.regions(cloud))),
        )
    return table


def source_lines(catalog: Catalog) -> list[str]:
    """Where each cloud's table was read from, and the public sources it was built from."""
    lines = []
    for cloud, prices in catalog.clouds.items():
        lines.append(f"{cloud} ({prices.path}):")
        lines += [f"  - {source}" for source in prices.sources]
    return lines


def regions_table(catalog: Catalog) -> Table:
    table = _table("cloud", "region", "offers", "spot", "gpu")
    for cloud in catalog.clouds:
        for region in catalog.regions(cloud):
            offers = catalog.offers(cloud, region)
            spot = sum(o.spot_usd_per_hour is not None for o in offers)
            gpu = sum(o.gpu_count > 0 for o in offers)
            table.add_row(cloud, region, str(len(offers)), str(spot), str(gpu))
    return table


def _age_days(captured_at: str, moment: datetime) -> float:
    from pricing._store import parse_time

    return (moment - parse_time(captured_at)).total_seconds() / 86400


def _age(captured_at: str, moment: datetime) -> str:
    days = _age_days(captured_at, moment)
    return f"{days:.0f} days" if days >= 1 else f"{days * 24:.0f} hours"


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
        capacity = query.capacity_type
        rows = [
            {**dataclasses.asdict(o), "usd_per_accelerator_hour": o.price_per_accelerator(capacity)}
            for o in offers
        ]
        env().write(json.dumps(rows, indent=2))
    elif not offers:
        env().write("no offers match (widen the filters, or drop --spot)")
    else:
        _print(offers_table(offers, spot))


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


def offers_table(offers: Sequence[Offer], spot: bool) -> Table:
    """Offers as a table; the price used for sorting is the last column."""
    price_col = "spot $/h" if spot else "on-demand $/h"
    other_col = "on-demand $/h" if spot else "spot $/h"
    table = _table(
        "cloud", "region", "instance type", "vCPUs", "GiB", "accelerators", "arch",
        other_col, price_col, "$/GPU-h",
    )  # fmt: skip
    capacity = "spot" if spot else "on-demand"
    for o in offers:
        other = o.usd_per_hour if spot else o.spot_usd_per_hour
        used = o.spot_usd_per_hour if spot else o.usd_per_hour
        table.add_row(
            o.cloud, o.region, o.instance_type, f"{o.vcpus:g}", f"{o.memory_gib:g}",
            _accelerators(o), o.arch + (" burst" if o.burstable else ""), _money(other),
            _money(used), _money(o.price_per_accelerator(capacity)),
        )  # fmt: skip
    return table


def _accelerators(offer: Offer) -> str:
    if not offer.gpu_count:
        return "-"
    memory = f" {offer.accelerator_memory_gib:g}G" if offer.accelerator_memory_gib else ""
    return f"{offer.gpu_count:g}x {offer.gpu_model}{memory}"


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _print(table: Table) -> None:
    """Print a table at least as wide as it needs: names are never cut to fit a narrow pipe."""
    console = env().console()
    needed = console.measure(table, options=console.options.update_width(10_000)).maximum
    console.width = max(console.width, needed)
    console.print(table)


def _table(*columns: str) -> Table:
    from rich import box
    from rich.table import Table

    numeric = {"vCPUs", "GiB", "offers", "regions", "spot", "gpu", "on-demand $/h", "spot $/h"}
    numeric |= {"$/GPU-h"}
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, collapse_padding=True)
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left")
    return table
