"""Prices for people and machines: `placer pricing info`, `show` and `refresh` as tables and
JSON. Prices per hour are shown to a hundredth of a cent, rounded half-up (placer.money)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from placer.money import per_hour
from placer.output.table import new_table

if TYPE_CHECKING:
    from rich.table import Table

    from pricing._model import Offer
    from pricing.catalog import Catalog
    from pricing.refresh import RefreshReport

__all__ = [
    "age_text",
    "info_json",
    "info_table",
    "offers_json",
    "offers_table",
    "refresh_json",
    "refresh_notes",
    "refresh_table",
    "regions_table",
    "source_lines",
]


def info_json(catalog: Catalog, moment: datetime) -> dict[str, Any]:
    """`pricing info` as JSON: provenance per cloud and offer counts per region."""
    stale = set(catalog.stale_clouds(moment))
    clouds = {}
    for cloud, prices in catalog.clouds.items():
        clouds[cloud] = {
            "source": prices.source,
            "captured_at": prices.captured_at,
            "oldest_observed_at": prices.oldest_observed_at or None,
            "age_days": round(_age_days(prices.as_of, moment), 2),  # a lower bound if unknown
            "age_known": not prices.date_unknown,
            "age": prices.age_text(moment),
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
            prices.age_text(moment),  # of its oldest price; "age unknown, at least ..."
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


def age_text(captured_at: str, moment: datetime) -> str:
    """How old a capture is: ``3 days`` or ``5 hours``."""
    days = _age_days(captured_at, moment)
    return f"{days:.0f} days" if days >= 1 else f"{days * 24:.0f} hours"


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
            _accelerators(o), o.arch + (" burst" if o.burstable else ""), per_hour(other),
            per_hour(used), per_hour(o.price_per_accelerator(capacity)),
        )  # fmt: skip
    return table


def _accelerators(offer: Offer) -> str:
    if not offer.gpu_count:
        return "-"
    memory = f" {offer.accelerator_memory_gib:g}G" if offer.accelerator_memory_gib else ""
    return f"{offer.gpu_count:g}x {offer.gpu_model}{memory}"


def offers_json(offers: Sequence[Offer], capacity_type: str) -> list[dict[str, Any]]:
    """Offers as JSON: every field of the offer, and the price per accelerator-hour."""
    rows = []
    for o in offers:
        price = o.price_per_accelerator(capacity_type)
        rows.append({**dataclasses.asdict(o), "usd_per_accelerator_hour": price})
    return rows


def refresh_table(report: RefreshReport) -> Table:
    """One row per cloud: what was refreshed, skipped and retried (reasons and notes follow
    the table, in :func:`summary_notes`, so a narrow terminal does not squeeze them)."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"pricing refresh {report.captured_at}", title_justify="left", box=box.SIMPLE_HEAD
    )
    columns = ("cloud", "result", "regions", "offers", "malformed", "no shape", "retries", "time")
    for column in columns:
        table.add_column(
            column, justify="left" if column in ("cloud", "result") else "right", no_wrap=True
        )
    for outcome in report.outcomes:
        table.add_row(
            outcome.cloud,
            "refreshed" if outcome.ok else "[red]failed[/red]",
            str(len(outcome.regions)),
            str(outcome.offers) if outcome.ok else "-",
            str(outcome.malformed_rows),
            str(outcome.unshaped_types),
            str(outcome.retries),
            f"{outcome.seconds:.1f}s",
        )
    return table


def refresh_notes(report: RefreshReport) -> list[str]:
    """One line per failed cloud (why) and per note of a refreshed one (e.g. a fallback)."""
    lines = []
    for outcome in report.outcomes:
        if not outcome.ok:
            lines.append(f"{outcome.cloud} failed: {outcome.reason}")
        lines += [f"{outcome.cloud} note: {note}" for note in outcome.notes]
    return lines


def refresh_json(report: RefreshReport) -> dict[str, Any]:
    """The summary as JSON: capture time, cache directory and one object per cloud."""
    clouds = []
    for outcome in report.outcomes:
        fields = dataclasses.asdict(outcome)
        fields["seconds"] = round(outcome.seconds, 3)
        clouds.append(fields)
    return {
        "captured_at": report.captured_at,
        "cache_dir": str(report.directory),
        "refreshed": list(report.refreshed),
        "failed": list(report.failed),
        "clouds": clouds,
    }


_NUMERIC = {"vCPUs", "GiB", "offers", "regions", "spot", "gpu", "on-demand $/h", "spot $/h"}
_NUMERIC |= {"$/GPU-h"}


def _table(*columns: str) -> Table:
    table = new_table()
    for column in columns:
        table.add_column(column, justify="right" if column in _NUMERIC else "left")
    return table
