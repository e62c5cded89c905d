"""GCP list prices from the Cloud Billing Catalog (``google-cloud-billing``).

The catalog prices resources, not machines: a machine's price is vCPUs x the family's
core rate + GiB x its RAM rate (+ GPUs x the GPU rate; TPU v5e: chips x the chip rate),
for on-demand ("OnDemand") and spot ("Preemptible") usage. Machine shapes come from
:mod:`pricing.fetch._gcp_shapes`. Network SKUs give the egress rates. The SDK is
imported inside :func:`fetch_gcp`; a custom endpoint is ``--gcp-endpoint`` /
``$PLACER_GCP_ENDPOINT`` (a loopback endpoint is called without credentials; plain http
elsewhere is refused before any call, see :func:`pricing.fetch._http.check_endpoint`).
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import urllib.error
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pricing._model import Location, Offer
from pricing.fetch import _http
from pricing.fetch._gcp_shapes import Machine, machines
from pricing.fetch._result import (
    EgressRate,
    FetchError,
    FetchResult,
    Progress,
    Tally,
    no_progress,
)
from pricing.fetch._retry import RetryPolicy

CLOUD = "gcp"
COMPUTE_SERVICE = "services/6F81-5844-456A"  # Compute Engine (VMs, GPUs, TPU v5e, network)
TPU_SERVICE = "services/E000-3F24-B8AA"  # Cloud TPU
SOURCE = "gcp:cloudbilling.services.skus"
GB_PER_GIB = 1.073741824
PAGE_SIZE = 5000  # the API's maximum
MAX_PAGES = 200  # a service has a few thousand SKUs: a page or two
DEFAULT_ENDPOINT = "https://cloudbilling.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"

_USAGE = {"OnDemand": False, "Preemptible": True}
_CPU_RAM = re.compile(
    r"^(?:Spot Preemptible )?(?P<family>[A-Z]\d+[A-Z]?) (?P<middle>(?:[\w-]+ )*?)"
    r"Instance (?P<resource>Core|Ram) running in "
)
_NOT_PREDEFINED = ("Custom", "Sole Tenancy", "Extended", "Commitment", "Reserved")
_GPUS: tuple[tuple[str, str], ...] = (
    (r"\bH100\b", "H100"),
    (r"\bA100 80GB\b", "A100-80GB"),
    (r"\bA100\b", "A100"),
    (r"\bL4\b", "L4"),
    (r"\bT4\b", "T4"),
    (r"\bV100\b", "V100"),
)
_TPU_V5E = re.compile(r"tpu[- ]?v5[- ]?(?:e|lite)", re.IGNORECASE)
_ROUTE = re.compile(r" from (?P<src>.+?) to (?P<dst>.+?)$")

RateKey = tuple[str, bool, str, str]  # (region, spot, component, family or model)


def fetch_gcp(
    regions: Sequence[str],
    policy: RetryPolicy = RetryPolicy(),
    progress: Progress = no_progress,
    endpoint: str | None = None,
    now: dt.datetime | None = None,
    allow_insecure: bool = False,
) -> FetchResult:
    """Fetch on-demand and spot machine prices and egress rates for ``regions``.

    The REST API is called directly (bounded answers, a total deadline, the endpoint's
    answer quoted on failure); each page is parsed into the API's own protobuf messages.
    """
    from google.auth.exceptions import GoogleAuthError
    from google.protobuf.json_format import ParseError

    base = _base_url(endpoint or os.environ.get("PLACER_GCP_ENDPOINT") or DEFAULT_ENDPOINT)
    _http.check_endpoint(base, "--gcp-endpoint", authenticated=True, allow_insecure=allow_insecure)
    now = now or dt.datetime.now(dt.UTC)
    tally, wanted = Tally(), set(regions)
    rates: dict[RateKey, float] = {}
    egress: list[tuple[EgressRate, ...]] = []  # one schedule (tiers) per SKU and region
    deadline = _http.Deadline.after(policy.total_s)
    where = _http.host_of(base)
    try:
        headers = _auth_headers(base)
        for done, service in enumerate((COMPUTE_SERVICE, TPU_SERVICE), start=1):
            for sku in _skus(base, headers, service, policy, tally, deadline):
                _take_sku(sku, wanted, rates, egress, tally)
            progress(CLOUD, done, 2, service)
    except GoogleAuthError as exc:
        raise FetchError(CLOUD, f"no usable GCP credentials ({exc})", tally.retries) from exc
    except _http.HttpStatusError as exc:
        raise FetchError(CLOUD, f"Cloud Billing Catalog: {exc}", tally.retries) from exc
    except (ParseError, _http.BadAnswer) as exc:  # a proxy page, a bad mirror, a huge answer
        reason = f"{where} did not answer with Cloud Billing Catalog JSON ({exc})"
        raise FetchError(CLOUD, reason, tally.retries) from exc
    except _http.DeadlineExceeded as exc:
        reason = f"stopped after {policy.total_s:g} s, the refresh's time limit ({where})"
        raise FetchError(CLOUD, reason, tally.retries) from exc
    except TimeoutError as exc:
        reason = f"{where} did not answer within {policy.timeout_s:g} s (timed out)"
        raise FetchError(CLOUD, reason, tally.retries) from exc
    except urllib.error.URLError as exc:
        raise FetchError(CLOUD, f"cannot reach {where} ({exc.reason})", tally.retries) from exc
    except (OSError, http.client.HTTPException) as exc:
        reason = f"cannot reach {where} ({type(exc).__name__}: {exc})"
        raise FetchError(CLOUD, reason, tally.retries) from exc
    observed = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    offers = [
        offer
        for region in regions
        for machine in machines()
        if (offer := price_machine(machine, region, rates, observed)) is not None
    ]
    return tally.result(CLOUD, offers, _egress_summary(egress), (SOURCE,))


def _base_url(endpoint: str) -> str:
    """The API root: an endpoint without a scheme is https (as Google's clients read it)."""
    text = endpoint.strip().rstrip("/")
    return text if "://" in text else f"https://{text}"


def _auth_headers(base: str) -> dict[str, str]:
    """A bearer token from Application Default Credentials; none for a loopback endpoint."""
    if _http.is_loopback(base):
        return {}
    import google.auth
    import google.auth.transport.requests

    credentials, _ = google.auth.default(scopes=[SCOPE])
    credentials.refresh(google.auth.transport.requests.Request())
    if not credentials.token:
        from google.auth.exceptions import GoogleAuthError

        raise GoogleAuthError("the credentials gave no access token")
    return {"Authorization": f"Bearer {credentials.token}"}


def _skus(
    base: str,
    headers: Mapping[str, str],
    service: str,
    policy: RetryPolicy,
    tally: Tally,
    deadline: _http.Deadline,
) -> Iterator[Any]:
    """Every SKU of a service, page by page (nextPageToken), each page retried on its own."""
    from google.cloud.billing_v1.types import ListSkusResponse
    from google.protobuf.json_format import ParseDict

    message = ListSkusResponse.pb()
    token, seen = "", set()
    while True:
        params = {"pageSize": str(PAGE_SIZE), **({"pageToken": token} if token else {})}
        url = _http.with_query(f"{base}/v1/{service}/skus", params)
        document = _http.get_json(url, policy, tally.retried, deadline, headers)
        page = ParseDict(document, message(), ignore_unknown_fields=True)
        yield from page.skus
        seen.add(token)
        token = page.next_page_token
        if not token:
            return
        if token in seen or len(seen) >= MAX_PAGES:
            raise _http.BadAnswer(f"the SKU list of {service} does not end (page token {token!r})")


# ---------------------------------------------------------------------------- SKUs


def _take_sku(
    sku: Any,
    wanted: set[str],
    rates: dict[RateKey, float],
    egress: list[tuple[EgressRate, ...]],
    tally: Tally,
) -> None:
    """File one SKU's rate under every wanted region it serves."""
    category = sku.category
    if category.usage_type not in _USAGE:
        return
    regions = [r for r in sku.service_regions if r in wanted]
    if not regions:
        return
    try:
        if category.resource_family == "Network":
            schedules = (network_rates(sku, region) for region in regions)
            egress += [schedule for schedule in schedules if schedule]
            return
        component = classify(sku.description, category.resource_group)
        if component is None:
            return
        usd = _unit_usd(sku, component[0])
    except (ValueError, IndexError):
        tally.malformed_rows += 1
        return
    spot = _USAGE[category.usage_type]
    for region in regions:
        rates[(region, spot, *component)] = usd


def classify(description: str, resource_group: str) -> tuple[str, str] | None:
    """("core"|"ram", family), ("gpu", model) or ("tpu", "tpu-v5e") for a compute SKU."""
    if resource_group == "GPU":
        if "Workstation" in description:
            return None
        for pattern, model in _GPUS:
            if re.search(pattern, description):
                return "gpu", model
        return None
    if _TPU_V5E.search(description):
        return "tpu", "tpu-v5e"
    match = _CPU_RAM.match(description)
    if match is None or any(word in match["middle"] for word in _NOT_PREDEFINED):
        return None
    return ("core" if match["resource"] == "Core" else "ram"), match["family"].lower()


_UNITS = {"core": "h", "ram": "GiBy.h", "gpu": "h", "tpu": "h"}


def _unit_usd(sku: Any, component: str) -> float:
    """The SKU's price per unit (the last tier: a first tier may be a free allowance)."""
    expression = sku.pricing_info[0].pricing_expression
    if expression.usage_unit != _UNITS[component]:
        raise ValueError(f"{sku.description}: unit {expression.usage_unit!r}")
    price = expression.tiered_rates[-1].unit_price
    return price.units + price.nanos / 1e9


def price_machine(
    machine: Machine, region: str, rates: Mapping[RateKey, float], observed: str
) -> Offer | None:
    """The machine's offer in ``region``, or None if its on-demand rates are missing."""
    on_demand = _machine_usd(machine, region, False, rates)
    if on_demand is None:
        return None
    spot = _machine_usd(machine, region, True, rates)
    where = Location(CLOUD, region)
    return machine.shape.offer(where, machine.name, on_demand, spot, "gcp-api", observed)


def _machine_usd(
    machine: Machine, region: str, spot: bool, rates: Mapping[RateKey, float]
) -> float | None:
    shape = machine.shape
    if machine.family == "tpu-v5e":
        chip = rates.get((region, spot, "tpu", "tpu-v5e"))
        return None if chip is None else round(shape.gpu_count * chip, 6)
    core = rates.get((region, spot, "core", machine.family))
    ram = rates.get((region, spot, "ram", machine.family))
    if core is None or ram is None:
        return None
    usd = shape.vcpus * core + shape.memory_gib * ram
    if shape.gpu_count:
        gpu = rates.get((region, spot, "gpu", shape.gpu_model or ""))
        if gpu is None:
            return None
        usd += shape.gpu_count * gpu
    return round(usd, 6)


# ---------------------------------------------------------------------------- network


def network_rates(sku: Any, region: str) -> tuple[EgressRate, ...]:
    """Egress tiers (converted from per GiB to per GB) of one Network SKU in ``region``."""
    group, description = sku.category.resource_group, sku.description
    route = _ROUTE.search(description)
    if group == "PremiumInternetEgress" and route:
        if route["dst"] in ("China", "Australia"):
            return ()
        kind = "internet"
    elif group == "InterregionEgress" and route:
        kind = "within-continent" if route["src"] == route["dst"] else "between-continents"
    elif group == "InterzoneEgress":
        kind = "cross-zone"
    else:
        return ()
    expression = sku.pricing_info[0].pricing_expression
    if expression.usage_unit != "GiBy":
        raise ValueError(f"{description}: unit {expression.usage_unit!r}")
    return tuple(
        EgressRate(
            CLOUD,
            region,
            kind,
            (tier.unit_price.units + tier.unit_price.nanos / 1e9) / GB_PER_GIB,
            tier.start_usage_amount * GB_PER_GIB,
        )
        for tier in expression.tiered_rates
    )


def _egress_summary(schedules: Sequence[tuple[EgressRate, ...]]) -> list[EgressRate]:
    """Per region and kind, the dearest schedule (by its first tier).

    GCP prices internet and inter-region egress per destination continent; a planner
    that does not know the destination takes the highest, so it never underestimates.
    """
    dearest: dict[tuple[str, str], tuple[EgressRate, ...]] = {}
    for schedule in schedules:
        key = (schedule[0].region, schedule[0].kind)
        if key not in dearest or schedule[0].usd_per_gb > dearest[key][0].usd_per_gb:
            dearest[key] = schedule
    return [rate for key in sorted(dearest) for rate in dearest[key]]
