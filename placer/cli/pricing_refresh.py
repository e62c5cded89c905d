"""`placer pricing refresh`: pull live prices from AWS, Azure and GCP into the local cache.

Parsing and printing only; the work is :func:`pricing.refresh.refresh`. Exit status: 0
when every requested cloud refreshed, or some did (the failed ones are listed and warned
about, and keep their previous prices); 1 when none did, or with ``--strict`` when any
failed; 2 for bad options.
"""

from __future__ import annotations

import contextlib
import enum
import json
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import typer

from placer.cli._common import in_range
from placer.cli._env import env
from placer.errors import ConfigError, ExitStatus, PricingError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from pricing.refresh import RefreshReport

CLOUD_NAMES = ("aws", "azure", "gcp")


class Format(enum.StrEnum):
    """Output formats of the summary."""

    table = "table"
    json = "json"


# How a bare region name tells its cloud: us-east-1 (AWS), us-central1 (GCP), eastus (Azure).
_REGION_STYLES = (
    ("aws", re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$")),
    ("gcp", re.compile(r"^[a-z]+-[a-z]+\d+$")),
    ("azure", re.compile(r"^[a-z][a-z0-9]*$")),
)


def register(pricing_app: typer.Typer) -> None:
    """Add the `refresh` command to the `placer pricing` group."""
    pricing_app.command("refresh")(refresh_command)


def refresh_command(
    cloud: list[str] | None = typer.Option(
        None,
        "--cloud",
        metavar="CLOUD",
        help="Cloud to refresh: aws, azure or gcp (repeatable; default all).",
    ),
    region: list[str] | None = typer.Option(
        None,
        "--region",
        metavar="REGION",
        help="Region to refresh, e.g. us-east-1, eastus, us-central1 or azure:eastus "
        "(repeatable; default: the regions the catalog covers).",
    ),
    timeout: float = typer.Option(
        30.0, "--timeout", metavar="SECONDS", help="Seconds to wait on the network (0.1-600)."
    ),
    max_time: float = typer.Option(
        900.0,
        "--max-time",
        metavar="SECONDS",
        help="Most seconds one cloud's fetch may take, retries included (1-86400).",
    ),
    retries: int = typer.Option(
        3, "--retries", metavar="N", help="Retries of a throttled or failing request (0-20)."
    ),
    backoff: float = typer.Option(
        0.5,
        "--backoff",
        metavar="SECONDS",
        help="First wait before a retry, in seconds (doubles; 0-60).",
    ),
    azure_prices_url: str | None = typer.Option(
        None,
        "--azure-prices-url",
        metavar="URL",
        envvar="PLACER_AZURE_PRICES_URL",
        help="Azure Retail Prices API URL (a mirror or test server).",
    ),
    azure_arm_url: str | None = typer.Option(
        None,
        "--azure-arm-url",
        metavar="URL",
        envvar="PLACER_AZURE_ARM_URL",
        help="Azure Resource Manager URL for VM sizes (needs AZURE_SUBSCRIPTION_ID).",
    ),
    gcp_endpoint: str | None = typer.Option(
        None,
        "--gcp-endpoint",
        metavar="URL",
        envvar="PLACER_GCP_ENDPOINT",
        help="Cloud Billing Catalog API endpoint (a mirror or test server).",
    ),
    allow_insecure_endpoint: bool = typer.Option(
        False,
        "--allow-insecure-endpoint",
        help="Allow plain http:// endpoints for calls that carry credentials (not loopback).",
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Exit 1 if any cloud fails (default: only if all fail)."
    ),
    output: Format = typer.Option(Format.table, "--format", help="table or json."),
) -> None:
    """Fetch live prices into the local cache ($PLACER_CACHE_DIR or ~/.cache/placer).

    Each cloud is fetched on its own: one failing keeps its previous prices and is
    reported. Nothing is written until all fetching is done; each file is replaced
    atomically. AWS endpoints follow AWS_ENDPOINT_URL_PRICING / AWS_ENDPOINT_URL_EC2.
    """
    from placer.output.pricing import refresh_json, refresh_notes, refresh_table
    from pricing.fetch import RetryPolicy
    from pricing.refresh import RefreshOptions, check_endpoints, refresh

    clouds, regions = parse_targets(cloud or [], region or [])
    policy = RetryPolicy(
        attempts=int(in_range(retries, "--retries", 0, 20)) + 1,
        base_delay_s=in_range(backoff, "--backoff", 0, 60),
        timeout_s=in_range(timeout, "--timeout", 0.1, 600),
        total_s=in_range(max_time, "--max-time", 1, 86400),
    )
    options = RefreshOptions(
        clouds=clouds,
        regions=regions,
        policy=policy,
        azure_prices_url=azure_prices_url,
        azure_arm_url=azure_arm_url,
        gcp_endpoint=gcp_endpoint,
        allow_insecure_endpoint=allow_insecure_endpoint,
    )
    check_endpoints(options)  # refused before the progress bar starts
    with _progress_bar() as bar:
        report = refresh(options, progress=bar.update)
    if output is Format.json:
        env().write(json.dumps(refresh_json(report), indent=2))
    else:
        notes = "\n".join([*refresh_notes(report), f"cache: {report.directory}"])
        env().show([refresh_table(report), notes])
    _finish(report, strict)


def parse_targets(
    clouds: Sequence[str], regions: Sequence[str]
) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """(clouds to refresh, regions per cloud) from --cloud and --region values.

    With --region but no --cloud, only the clouds named by the regions are refreshed.
    """
    chosen = []
    for name in clouds:
        if name.lower() not in CLOUD_NAMES:
            raise ConfigError(
                f"unknown cloud {name!r}", "--cloud", f"use one of {', '.join(CLOUD_NAMES)}"
            )
        chosen.append(name.lower())
    per_cloud: dict[str, list[str]] = {}
    for text in regions:
        owner, name = _region_cloud(text)
        per_cloud.setdefault(owner, []).append(name)
    if not chosen:
        chosen = [c for c in CLOUD_NAMES if c in per_cloud] if per_cloud else list(CLOUD_NAMES)
    for owner, names in per_cloud.items():
        if owner not in chosen:  # refreshing nothing there would silently drop the region
            raise ConfigError(
                f"region {names[0]!r} is in {owner}, which --cloud leaves out",
                "--region",
                f"add --cloud {owner}, or drop the region",
            )
    selected = tuple(dict.fromkeys(chosen))
    return selected, {c: tuple(dict.fromkeys(per_cloud[c])) for c in selected if c in per_cloud}


def _region_cloud(text: str) -> tuple[str, str]:
    """(cloud, region) for "cloud:region" or a bare region recognised by its style."""
    prefix, sep, rest = text.partition(":")
    if sep:
        if prefix.lower() not in CLOUD_NAMES or not rest:
            raise ConfigError(
                f"bad region {text!r}", "--region", "write CLOUD:REGION, e.g. azure:eastus"
            )
        return prefix.lower(), rest
    for owner, style in _REGION_STYLES:
        if style.match(text):
            return owner, text
    raise ConfigError(
        f"cannot tell which cloud region {text!r} belongs to",
        "--region",
        "write it as CLOUD:REGION, e.g. aws:us-east-1",
    )


def _finish(report: RefreshReport, strict: bool) -> None:
    """Warn about failed clouds; raise (exit 1) if none refreshed, or any failed with --strict."""
    failed = [o for o in report.outcomes if not o.ok]
    for outcome in failed:
        env().stderr.write(
            f"warning: {outcome.cloud} not refreshed, its previous prices stay: {outcome.reason}\n"
        )
    if failed and (strict or not report.refreshed):
        names = ", ".join(o.cloud for o in failed)
        raise PricingError(
            f"pricing refresh failed for {names}",
            None,
            "check credentials and endpoints (the lines above say why); "
            "planning keeps using the previous prices",
            ExitStatus.ERROR,
        )


class _Bar:
    """Feeds refresh progress callbacks to a rich progress bar, one task per cloud."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def update(self, cloud: str, done: int, total: int, label: str) -> None:
        """The refresh progress callback: one bar per cloud, created on first sight."""
        if cloud not in self._tasks:
            self._tasks[cloud] = self._progress.add_task(cloud, total=max(total, 1))
        task = self._tasks[cloud]
        self._progress.update(
            task, completed=done, total=max(total, 1), description=f"{cloud} {label}"
        )


@contextlib.contextmanager
def _progress_bar() -> Iterator[_Bar]:
    """A rich progress bar on stderr for the duration of a refresh."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=env().err_console()) as progress:
        yield _Bar(progress)
