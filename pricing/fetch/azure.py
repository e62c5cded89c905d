"""Azure list prices from the Retail Prices API, with VM shapes from ARM resource SKUs.

The Retail Prices API needs no credentials. Shapes (vCPUs, memory, GPUs, architecture)
come from ``azure-mgmt-compute``'s ``resource_skus.list`` when a subscription is known
(``AZURE_SUBSCRIPTION_ID``, credentials from ``DefaultAzureCredential``); without one,
shapes come from ``known_shapes`` (refresh passes the current catalog's) and priced
types with no known shape are skipped and counted. The SDK is imported inside the
functions that use it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import math
import os
import re
import urllib.error
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pricing._model import Location, Offer
from pricing.fetch import _http
from pricing.fetch._result import (
    EgressRate,
    FetchError,
    FetchResult,
    Progress,
    Shape,
    Tally,
    no_progress,
)
from pricing.fetch._retry import RetryPolicy

CLOUD = "azure"
PRICES_URL = "https://prices.azure.com/api/retail/prices"
ARM_URL = "https://management.azure.com"
API_VERSION = "2023-01-01-preview"
SOURCE_PRICES = "azure:retail-prices-api"
SOURCE_SHAPES = "azure:resource-skus"
MAX_PAGES = 2_000  # per query; a real region needs a few dozen (100 items a page)
MAX_ARM_PAGES = 200  # resource SKUs of one location: one or two pages

# armSkuName patterns -> (GPU model, accelerator kind); the first match wins.
_GPU_MODELS: tuple[tuple[str, str, str], ...] = (
    (r"NC\d+adi?s_H100_v5", "H100-NVL", "nvidia"),  # NCads H100 v5: H100 NVL (94 GB)
    (r"H100", "H100", "nvidia"),
    (r"H200", "H200", "nvidia"),
    (r"NC\d+ads_A100_v4|ND\d+amsr_A100_v4", "A100-80GB", "nvidia"),
    (r"A100|ND\d+asr_v4", "A100", "nvidia"),
    (r"_T4_", "T4", "nvidia"),
    (r"_A10_", "A10", "nvidia"),
    (r"NC\d+r?s_v3", "V100", "nvidia"),
    (r"MI300X", "MI300X", "amd"),
    (r"NV\d+as_v4", "MI25", "amd"),
)


def fetch_azure(
    regions: Sequence[str],
    policy: RetryPolicy = RetryPolicy(),
    progress: Progress = no_progress,
    prices_url: str | None = None,
    arm_url: str | None = None,
    known_shapes: Mapping[str, Shape] | None = None,
    now: dt.datetime | None = None,
) -> FetchResult:
    """Fetch Linux pay-as-you-go and spot VM prices, shapes and bandwidth for ``regions``.

    ``prices_url`` and ``arm_url`` default to ``$PLACER_AZURE_PRICES_URL`` /
    ``$PLACER_AZURE_ARM_URL``, then to Azure's public endpoints.
    """
    prices_url = prices_url or os.environ.get("PLACER_AZURE_PRICES_URL") or PRICES_URL
    arm_url = arm_url or os.environ.get("PLACER_AZURE_ARM_URL") or ARM_URL
    now = now or dt.datetime.now(dt.UTC)
    observed = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    tally, offers, egress = Tally(), [], []
    deadline = _http.Deadline.after(policy.total_s)
    shapes = _ShapeSource(arm_url, os.environ.get("AZURE_SUBSCRIPTION_ID"), known_shapes, policy)
    where = _http.host_of(prices_url)
    try:
        for done, region in enumerate(regions, start=1):
            prices = _vm_prices(prices_url, region, policy, tally, deadline)
            offers += _offers(region, prices, shapes.of(region, tally), tally, observed)
            egress += _bandwidth(prices_url, region, policy, tally, deadline)
            progress(CLOUD, done, len(regions), region)
    except _http.HttpStatusError as exc:
        raise FetchError(CLOUD, f"Retail Prices API: {exc}", tally.retries) from exc
    except TimeoutError as exc:
        reason = f"{where} did not answer within {policy.timeout_s:g} s (timed out)"
        raise FetchError(CLOUD, reason, tally.retries) from exc
    except urllib.error.URLError as exc:
        raise FetchError(CLOUD, f"cannot reach {prices_url} ({exc.reason})", tally.retries) from exc
    except _http.DeadlineExceeded as exc:
        reason = f"stopped after {policy.total_s:g} s, the refresh's time limit ({where})"
        raise FetchError(CLOUD, reason, tally.retries) from exc
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise FetchError(CLOUD, f"Retail Prices API ({where}): {exc}", tally.retries) from exc
    sources = (SOURCE_PRICES, SOURCE_SHAPES) if shapes.used_arm else (SOURCE_PRICES,)
    return tally.result(CLOUD, offers, egress, sources)


# ---------------------------------------------------------------------------- retail API


def retail_filter(service: str, region: str) -> str:
    """The OData ``$filter`` for one service's pay-as-you-go meters in one region."""
    return (
        f"serviceName eq '{service}' and armRegionName eq '{region}' and priceType eq 'Consumption'"
    )


def _retail_items(
    prices_url: str,
    service: str,
    region: str,
    policy: RetryPolicy,
    tally: Tally,
    deadline: _http.Deadline,
) -> Iterator[Any]:
    """Every item of a Retail Prices query, following NextPageLink on the same host.

    A link elsewhere (another host, `file://`), a link seen before, or more than
    MAX_PAGES pages fails the cloud: prices cut short must not read as refreshed."""
    params = {
        "api-version": API_VERSION,
        "currencyCode": "'USD'",
        "$filter": retail_filter(service, region),
    }
    url: Any = _http.with_query(prices_url, params)
    seen: set[str] = set()
    while url:
        if not isinstance(url, str) or not _http.same_origin(url, prices_url):
            raise ValueError(
                f"NextPageLink {_http.excerpt(str(url).encode(), 80)!r} leaves {prices_url}"
            )
        if url in seen or len(seen) >= MAX_PAGES:
            why = "links back to an earlier page" if url in seen else f"has over {MAX_PAGES} pages"
            raise ValueError(f"the {service} price list for {region} {why}")
        seen.add(url)
        page = _http.get_json(url, policy, tally.retried, deadline)
        items = page.get("Items")
        if not isinstance(items, list):
            raise ValueError(f"no 'Items' list in the answer: {_http.excerpt(repr(page).encode())}")
        yield from items
        url = page.get("NextPageLink")


def _vm_prices(
    prices_url: str, region: str, policy: RetryPolicy, tally: Tally, deadline: _http.Deadline
) -> dict[str, tuple[float | None, float | None]]:
    """armSkuName -> (on-demand $/h, spot $/h) for Linux VMs in one region."""
    chosen: dict[tuple[str, bool], tuple[str, float]] = {}  # (sku, spot) -> (since, usd)
    items = _retail_items(prices_url, "Virtual Machines", region, policy, tally, deadline)
    for item in items:
        try:
            parsed = parse_vm_item(item, region)
        except (KeyError, TypeError, ValueError, AttributeError):
            tally.malformed_rows += 1
            continue
        if parsed is None:
            continue
        sku, is_spot, since, usd = parsed
        previous = chosen.get((sku, is_spot))
        if previous is None or since > previous[0]:  # the newest effective price wins
            chosen[(sku, is_spot)] = (since, usd)
    prices: dict[str, tuple[float | None, float | None]] = {}
    for (sku, is_spot), (_since, usd) in chosen.items():
        on_demand, spot = prices.get(sku, (None, None))
        prices[sku] = (on_demand, usd) if is_spot else (usd, spot)
    return prices


def parse_vm_item(item: Mapping[str, Any], region: str) -> tuple[str, bool, str, float] | None:
    """(armSkuName, is spot, effective since, $/h) of a Linux VM meter, or None if filtered.

    Filtered: Windows products, Low Priority meters, reservations, DevTest prices, other
    regions and units other than one hour.
    """
    sku_name = item["skuName"]
    if item["type"] != "Consumption" or item.get("reservationTerm"):
        return None
    if item["productName"].endswith(" Windows") or "Low Priority" in sku_name:
        return None
    if item["armRegionName"] != region or item["unitOfMeasure"] != "1 Hour":
        return None
    usd = item["retailPrice"]
    if type(usd) not in (int, float) or not 0 <= usd < math.inf or not item["armSkuName"]:
        raise ValueError(f"bad price row {item!r}")
    return item["armSkuName"], sku_name.endswith(" Spot"), item.get("effectiveStartDate", ""), usd


def _offers(
    region: str,
    prices: Mapping[str, tuple[float | None, float | None]],
    shapes: Mapping[str, Shape | None],
    tally: Tally,
    observed: str,
) -> list[Offer]:
    """Priced sizes with a shape; restricted sizes (shape None) are skipped uncounted."""
    offers = []
    for sku, (on_demand, spot) in sorted(prices.items()):
        if sku not in shapes:
            tally.unshaped_types += 1
            continue
        shape = shapes[sku]
        if shape is None:
            continue
        where = Location(CLOUD, region)
        offers.append(shape.offer(where, sku, on_demand, spot, "azure-api", observed))
    return offers


def _bandwidth(
    prices_url: str, region: str, policy: RetryPolicy, tally: Tally, deadline: _http.Deadline
) -> list[EgressRate]:
    """Internet egress tiers and inter-region rates from the Bandwidth meters."""
    rates = []
    for item in _retail_items(prices_url, "Bandwidth", region, policy, tally, deadline):
        try:
            rate = parse_bandwidth_item(item, region)
        except (KeyError, TypeError, ValueError, AttributeError):
            tally.malformed_rows += 1
            continue
        if rate is not None:
            rates.append(rate)
    return sorted(rates, key=lambda r: (r.kind, r.start_gb))


def parse_bandwidth_item(item: Mapping[str, Any], region: str) -> EgressRate | None:
    """One egress tier from a Bandwidth meter (Microsoft-network routing), or None."""
    if item["type"] != "Consumption" or item["armRegionName"] != region:
        return None
    if item["unitOfMeasure"] != "1 GB" or "Internet" in item.get("productName", ""):
        return None  # "Rtn Preference: Internet" is the opt-in cheaper routing
    meter = item["meterName"]
    if meter == "Standard Data Transfer Out":
        kind = "internet"
    elif "Intra Continent Data Transfer Out" in meter:
        kind = "within-continent"
    elif "Inter Continent Data Transfer Out" in meter:
        kind = "between-continents"
    else:
        return None
    usd, start = item["retailPrice"], item.get("tierMinimumUnits", 0)
    if type(usd) not in (int, float) or type(start) not in (int, float) or not 0 <= usd < math.inf:
        raise ValueError(f"bad bandwidth row {item!r}")
    return EgressRate(CLOUD, region, kind, float(usd), float(start))


# ---------------------------------------------------------------------------- ARM shapes


class _ShapeSource:
    """VM shapes per region: from ARM when a subscription is set, else (or when ARM
    fails, e.g. no credentials) from the shapes placer already knows, with a note."""

    def __init__(
        self,
        arm_url: str,
        subscription: str | None,
        known: Mapping[str, Shape] | None,
        policy: RetryPolicy,
    ) -> None:
        self._arm_url, self._subscription, self._policy = arm_url, subscription, policy
        self._known: Mapping[str, Shape | None] = known or {}
        self.used_arm = False

    def of(self, region: str, tally: Tally) -> Mapping[str, Shape | None]:
        if not self._subscription:
            return self._known
        from azure.core.exceptions import AzureError

        try:
            shapes = _arm_shapes(self._arm_url, self._subscription, region, self._policy)
        except AzureError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            tally.notes.append(f"ARM resource SKUs failed ({reason}); shapes from the catalog")
            self._subscription = None  # do not retry ARM for every region
            return self._known
        self.used_arm = True
        return shapes


def _arm_shapes(
    arm_url: str, subscription: str, region: str, policy: RetryPolicy
) -> dict[str, Shape | None]:
    """armSkuName -> shape of the VM sizes ARM lists for ``region`` and this subscription.

    Sizes restricted for the subscription in this location are left out, so their
    prices are skipped too.
    """
    client = _compute_client(arm_url, subscription, policy)
    shapes: dict[str, Shape | None] = {}
    for sku in _arm_skus(client, region, arm_url):
        if sku.resource_type != "virtualMachines":
            continue
        if _restricted(sku, region):
            shapes[sku.name] = None
            continue
        shape = shape_from_capabilities(sku.name, sku.capabilities or [])
        if shape is not None:
            shapes[sku.name] = shape
    return shapes


def _arm_skus(client: Any, region: str, arm_url: str) -> Iterator[Any]:
    """The resource SKUs of a location, page by page, checking each ``nextLink`` before the
    SDK follows it (with the bearer token): it must stay on `arm_url`'s scheme, host and
    port, and the list must end within MAX_ARM_PAGES pages. Anything else fails the cloud."""
    import urllib.parse

    pages = client.resource_skus.list(filter=f"location eq '{region}'").by_page()
    for number, page in enumerate(pages, start=1):
        yield from page
        link = pages.continuation_token  # the nextLink the SDK would GET next
        if not link:
            return
        where = f"ARM resource SKUs ({_http.host_of(arm_url)})"
        if not isinstance(link, str) or not _http.same_origin(
            urllib.parse.urljoin(arm_url, link), arm_url
        ):
            shown = _http.excerpt(str(link).encode(), 80)
            raise FetchError(CLOUD, f"{where}: nextLink {shown!r} leaves {arm_url}")
        if number >= MAX_ARM_PAGES:
            raise FetchError(CLOUD, f"{where}: the SKU list of {region} has over {number} pages")


def _compute_client(arm_url: str, subscription: str, policy: RetryPolicy) -> Any:
    """A ComputeManagementClient; a loopback ``arm_url`` (a test or mirror) gets no auth."""
    from azure.mgmt.compute import ComputeManagementClient

    options: dict[str, Any] = {
        "base_url": arm_url,
        "retry_total": max(policy.attempts - 1, 0),
        "retry_backoff_factor": policy.base_delay_s,
        "retry_backoff_max": policy.max_delay_s,
        "connection_timeout": policy.timeout_s,
        "read_timeout": policy.timeout_s,
    }
    if is_loopback(arm_url):
        from azure.core.pipeline.policies import SansIOHTTPPolicy

        return ComputeManagementClient(
            _NoCredential(), subscription, authentication_policy=SansIOHTTPPolicy(), **options
        )
    from azure.identity import DefaultAzureCredential

    return ComputeManagementClient(DefaultAzureCredential(), subscription, **options)


is_loopback = _http.is_loopback


class _NoCredential:
    """A token credential for loopback endpoints, which check no token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("local", 2**31 - 1)


def _restricted(sku: Any, region: str) -> bool:
    for restriction in sku.restrictions or []:
        values = [v.lower() for v in (restriction.values_property or [])]
        if str(restriction.type).lower().endswith("location") and region.lower() in values:
            return True
    return False


def shape_from_capabilities(name: str, capabilities: Sequence[Any]) -> Shape | None:
    """A Shape from resource SKU capabilities (strings), with the GPU model from the name."""
    values = {c.name: c.value for c in capabilities}
    try:
        vcpus = float(values["vCPUs"])
        memory_gib = float(values["MemoryGB"])
        gpus = float(values.get("GPUs", 0))
    except (KeyError, TypeError, ValueError):
        return None
    arch = "arm64" if values.get("CpuArchitectureType", "").lower() == "arm64" else "x86_64"
    model, kind = gpu_model(name) if gpus else (None, None)
    return Shape(vcpus, memory_gib, gpus, model, kind, arch)


def gpu_model(sku_name: str) -> tuple[str | None, str | None]:
    """(GPU model, accelerator kind) for a GPU VM size name, from Azure's naming scheme."""
    for pattern, model, kind in _GPU_MODELS:
        if re.search(pattern, sku_name):
            return model, kind
    return None, "nvidia"
