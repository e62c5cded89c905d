"""AWS list prices: the Price List API for on-demand and egress, EC2 for spot and shapes.

boto3 is imported inside :func:`fetch_aws` only. Endpoints follow botocore's standard
``AWS_ENDPOINT_URL_PRICING`` / ``AWS_ENDPOINT_URL_EC2`` variables; credentials come from
boto3's default chain. botocore's own retries are switched off so that
:class:`~pricing.fetch._retry.RetryPolicy` is the one retry policy (and is counted).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from pricing.fetch._retry import RetryPolicy, call_with_retries

CLOUD = "aws"
SOURCE = "aws:pricing.get_products+ec2.describe_spot_price_history+ec2.describe_instance_types"
PRICING_REGION = "us-east-1"  # the Price List API's home endpoint
ON_DEMAND_FILTERS: tuple[tuple[str, str], ...] = (
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("capacitystatus", "Used"),
    ("preInstalledSw", "NA"),
    ("licenseModel", "No License required"),
    ("marketoption", "OnDemand"),
)
_COMPUTE_FAMILIES = ("Compute Instance", "Compute Instance (bare metal)")
_THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "ServiceUnavailable",
    "InternalError",
    "InternalFailure",
}
_NEURON_MODELS = {
    "trainium": "trn1",
    "trainium2": "trn2",
    "inferentia": "inf1",
    "inferentia2": "inf2",
}

_SHAPE_BATCH = 100  # instance types per describe_instance_types filter

ClientFactory = Callable[[str, str], Any]
"""``(service, region) -> boto3 client``; tests pass one that returns stubbed clients."""


def fetch_aws(
    regions: Sequence[str],
    policy: RetryPolicy = RetryPolicy(),
    progress: Progress = no_progress,
    client_factory: ClientFactory | None = None,
    now: dt.datetime | None = None,
) -> FetchResult:
    """Fetch Linux on-demand and spot prices, shapes and egress rates for ``regions``."""
    from botocore.exceptions import BotoCoreError, ClientError

    now = now or dt.datetime.now(dt.UTC)
    tally, offers, egress = _Budget(_http.Deadline.after(policy.total_s)), [], []
    factory = client_factory or boto3_client_factory(policy, tally.deadline)
    try:
        pricing = factory("pricing", PRICING_REGION)
        for done, region in enumerate(regions, start=1):
            offers += _region_offers(pricing, factory("ec2", region), region, policy, tally, now)
            egress += _region_egress(pricing, region, policy, tally)
            progress(CLOUD, done, len(regions), region)
    except (BotoCoreError, ClientError) as exc:
        raise FetchError(CLOUD, describe_error(exc), tally.retries) from exc
    except _http.DeadlineExceeded as exc:
        reason = f"stopped after {policy.total_s:g} s, the refresh's time limit"
        raise FetchError(CLOUD, reason, tally.retries) from exc
    except _http.BadAnswer as exc:
        raise FetchError(CLOUD, f"Price List/EC2 API: {exc}", tally.retries) from exc
    return tally.result(CLOUD, offers, egress, (SOURCE,))


class _Budget(Tally):
    """The fetch's counters, and the deadline every page and answer must meet."""

    def __init__(self, deadline: _http.Deadline) -> None:
        super().__init__()
        self.deadline = deadline


def boto3_client_factory(
    policy: RetryPolicy, deadline: _http.Deadline | None = None
) -> ClientFactory:
    """Real boto3 clients with our timeouts and botocore's retries off; with a `deadline`,
    every answer is read in chunks, at most MAX_BODY_BYTES and within the deadline."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=policy.timeout_s,
        read_timeout=policy.timeout_s,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    session = boto3.session.Session()  # fresh: the default session caches old credentials

    def client(service: str, region: str) -> Any:
        made = session.client(service, region_name=region, config=config)
        http = getattr(getattr(made, "_endpoint", None), "http_session", None)
        if deadline is not None and http is not None:
            made.meta.events.register(
                "before-send", functools.partial(_bounded_send, http, deadline)
            )
        return made

    return client


def _bounded_send(http: Any, deadline: _http.Deadline, request: Any, **_kwargs: Any) -> Any:
    """Send `request` as botocore would, but read the answer with a size cap and the
    deadline (botocore alone reads a body to its end, however long it takes)."""
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import HTTPClientError, ReadTimeoutError
    from urllib3.exceptions import HTTPError
    from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

    request.stream_output = True  # headers now; the body is ours to read
    response = http.send(request)
    chunks, size = [], 0
    try:
        read = getattr(response.raw, "read1", response.raw.read)  # read1: what has arrived
        while chunk := read(64 * 1024):
            size += len(chunk)
            if size > _http.MAX_BODY_BYTES:
                raise _http.BadAnswer(
                    f"{_http.host_of(request.url)} sent more than "
                    f"{_http.MAX_BODY_BYTES // 2**20} MB in one answer"
                )
            chunks.append(chunk)
            deadline.remaining()
    except BaseException as exc:
        response.raw.close()  # not back to the pool: the rest of the answer is unread
        if isinstance(exc, Urllib3ReadTimeout):  # as botocore reports it: it is retried
            raise ReadTimeoutError(endpoint_url=request.url, error=exc) from None
        if isinstance(exc, HTTPError):
            raise HTTPClientError(error=exc) from None
        raise
    response.raw.release_conn()
    return AWSResponse(request.url, response.status_code, response.headers, _Read(chunks))


class _Read:
    """An answer already read, in the shape AWSResponse reads its `raw` from."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def stream(self, *_args: Any, **_kwargs: Any) -> Iterator[bytes]:
        yield from self._chunks


def describe_error(exc: BaseException) -> str:
    """A one-line reason for the refresh summary."""
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials (configure the AWS SDK's default chain)"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")
    return str(exc)


def is_transient(exc: BaseException) -> bool:
    """Throttling, 5xx answers and timeouts are retried; anything else is final."""
    from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return exc.response.get("Error", {}).get("Code") in _THROTTLING or status >= 500
    return False


def _pages(
    call: Callable[..., dict[str, Any]], policy: RetryPolicy, tally: _Budget, **kwargs: Any
) -> Iterator[dict[str, Any]]:
    """Every page of a NextToken-paginated call, each page retried on its own."""
    token: str | None = None
    while True:
        request = functools.partial(call, **kwargs, **({"NextToken": token} if token else {}))
        tally.deadline.remaining()  # no page is asked for once the time is up
        remaining = tally.deadline.remaining
        page = call_with_retries(request, is_transient, policy, tally.retried, remaining)
        yield page
        token = page.get("NextToken")
        if not token:
            return


# ---------------------------------------------------------------------------- compute


def _region_offers(
    pricing: Any, ec2: Any, region: str, policy: RetryPolicy, tally: _Budget, now: dt.datetime
) -> list[Offer]:
    """Offers of one region: on-demand price x shape, with the lowest spot price over AZs."""
    on_demand = _on_demand_prices(pricing, region, policy, tally)
    shapes = _ec2_shapes(ec2, sorted(on_demand), policy, tally)
    spot = _spot_prices(ec2, sorted(on_demand), policy, tally, now)
    observed = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    offers = []
    for instance_type, (usd, listed_shape) in sorted(on_demand.items()):
        shape = shapes.get(instance_type) or listed_shape
        if shape is None:
            tally.unshaped_types += 1
            continue
        offers.append(_offer(region, instance_type, shape, usd, spot.get(instance_type), observed))
    return offers


def _offer(
    region: str, instance_type: str, shape: Shape, usd: float, spot: float | None, observed: str
) -> Offer:
    return shape.offer(Location(CLOUD, region), instance_type, usd, spot, "aws-api", observed)


def on_demand_filters(region: str) -> list[dict[str, str]]:
    """The get_products filters for Linux, shared-tenancy, on-demand boxes in ``region``."""
    pairs = (("regionCode", region), *ON_DEMAND_FILTERS)
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in pairs]


def _on_demand_prices(
    pricing: Any, region: str, policy: RetryPolicy, tally: _Budget
) -> dict[str, tuple[float, Shape | None]]:
    """instance type -> (on-demand $/h, shape per the price list) for one region."""
    prices: dict[str, tuple[float, Shape | None]] = {}
    for page in _pages(
        pricing.get_products,
        policy,
        tally,
        ServiceCode="AmazonEC2",
        Filters=on_demand_filters(region),
        FormatVersion="aws_v1",
        MaxResults=100,
    ):
        for entry in page.get("PriceList", []):
            try:
                parsed = parse_compute_product(entry, region)
            except (ValueError, KeyError, TypeError, AttributeError):
                tally.malformed_rows += 1
                continue
            if parsed is not None:
                instance_type, usd, shape = parsed
                prices[instance_type] = (usd, shape)
    return prices


def parse_compute_product(entry: str, region: str) -> tuple[str, float, Shape | None] | None:
    """(instance type, $/h, shape) from one PriceList JSON string, or None if filtered out.

    Filters are re-checked here so a server that ignores them cannot leak Windows,
    dedicated-tenancy, reservation-capacity or pre-installed-software rows.
    """
    document = json.loads(entry)
    product = document["product"]
    attributes = product["attributes"]
    if product.get("productFamily") not in _COMPUTE_FAMILIES:
        return None
    if attributes.get("regionCode", region) != region:
        return None
    if any(attributes.get(field) != value for field, value in ON_DEMAND_FILTERS):
        return None
    usd = _hourly_usd(document["terms"]["OnDemand"])
    if usd is None or usd <= 0:
        return None
    return attributes["instanceType"], usd, _listed_shape(attributes)


def _hourly_usd(on_demand_terms: Mapping[str, Any]) -> float | None:
    """The per-hour USD price in the OnDemand terms (one term, one "Hrs" dimension)."""
    for term in on_demand_terms.values():
        for dimension in term["priceDimensions"].values():
            if dimension.get("unit") == "Hrs":
                return _usd(dimension["pricePerUnit"]["USD"])
    return None


def _usd(text: str) -> float:
    """A price string as a float; "NaN" or "Infinity" is a malformed row, not a price."""
    usd = float(text)
    if not math.isfinite(usd):
        raise ValueError(f"price {text!r} is not a finite number")
    return usd


def _listed_shape(attributes: Mapping[str, str]) -> Shape | None:
    """The price list's own vcpu/memory/gpu attributes, used when EC2 does not know a type."""
    try:
        vcpus = float(attributes["vcpu"])
        memory_gib = float(attributes["memory"].replace(",", "").split()[0])
    except (KeyError, ValueError, IndexError):
        return None
    gpus = attributes.get("gpu", "0")
    return Shape(vcpus, memory_gib, float(gpus) if gpus.isdigit() else 0)


def _ec2_shapes(
    ec2: Any, instance_types: Sequence[str], policy: RetryPolicy, tally: _Budget
) -> dict[str, Shape]:
    """instance type -> shape from ec2.describe_instance_types, for the priced types.

    An ``instance-type`` filter (not the ``InstanceTypes`` list) so a type unknown to
    the region is simply absent instead of failing the whole batch.
    """
    shapes = {}
    for start in range(0, len(instance_types), _SHAPE_BATCH):
        batch = list(instance_types[start : start + _SHAPE_BATCH])
        filters = [{"Name": "instance-type", "Values": batch}]
        for page in _pages(
            ec2.describe_instance_types, policy, tally, Filters=filters, MaxResults=100
        ):
            for info in page.get("InstanceTypes", []):
                try:
                    shapes[info["InstanceType"]] = shape_from_instance_type(info)
                except (KeyError, TypeError, ValueError):
                    tally.malformed_rows += 1
    return shapes


def shape_from_instance_type(info: Mapping[str, Any]) -> Shape:
    """A Shape from one describe_instance_types entry (GPUs, or Neuron chips, and arch)."""
    vcpus = float(info["VCpuInfo"]["DefaultVCpus"])
    memory_gib = info["MemoryInfo"]["SizeInMiB"] / 1024
    archs = info.get("ProcessorInfo", {}).get("SupportedArchitectures", [])
    arch = "arm64" if "arm64" in archs else "x86_64"
    burstable = bool(info.get("BurstablePerformanceSupported", False))
    gpus = info.get("GpuInfo", {}).get("Gpus", [])
    if gpus:
        first = gpus[0]
        count = sum(g.get("Count", 0) for g in gpus)
        kind = "amd" if first.get("Manufacturer", "").upper() == "AMD" else "nvidia"
        device_gib = first.get("MemoryInfo", {}).get("SizeInMiB", 0) / 1024
        model = _gpu_model(first)
        return Shape(vcpus, memory_gib, count, model, kind, arch, burstable, device_gib)
    neuron = info.get("NeuronInfo", {}).get("NeuronDevices", [])
    if neuron:
        name = neuron[0]["Name"].lower()
        kind = "trainium" if name.startswith("trainium") else "inferentia"
        count = sum(d.get("Count", 0) for d in neuron)
        device_gib = neuron[0].get("MemoryInfo", {}).get("SizeInMiB", 0) / 1024
        model = _NEURON_MODELS.get(name, name)
        return Shape(vcpus, memory_gib, count, model, kind, arch, burstable, device_gib)
    return Shape(vcpus, memory_gib, 0, None, None, arch, burstable)


def _gpu_model(gpu: Mapping[str, Any]) -> str:
    """GPU name as placer spells it: A100 with 80 GB of memory is "A100-80GB"."""
    name = str(gpu["Name"])
    memory_mib = gpu.get("MemoryInfo", {}).get("SizeInMiB", 0)
    if name == "A100" and memory_mib >= 80 * 1024:
        return "A100-80GB"
    return name


def _spot_prices(
    ec2: Any, instance_types: Sequence[str], policy: RetryPolicy, tally: _Budget, now: dt.datetime
) -> dict[str, float]:
    """instance type -> lowest current Linux spot price over the region's AZs.

    With ``StartTime=now`` the history holds the price in force now for each zone; if a
    zone has several rows, the latest wins.
    """
    latest: dict[tuple[str, str], tuple[dt.datetime, float]] = {}
    for rows in _spot_history(ec2, instance_types, policy, tally, now):
        for row in rows:
            try:
                if not row["ProductDescription"].startswith("Linux/UNIX"):
                    continue
                key = (row["InstanceType"], row["AvailabilityZone"])
                seen = (row["Timestamp"], float(row["SpotPrice"]))
            except (KeyError, TypeError, ValueError):
                tally.malformed_rows += 1
                continue
            if key not in latest or seen[0] > latest[key][0]:
                latest[key] = seen
    return _lowest_over_zones(latest)


def _spot_history(
    ec2: Any, instance_types: Sequence[str], policy: RetryPolicy, tally: _Budget, now: dt.datetime
) -> Iterator[list[dict[str, Any]]]:
    """Pages of Linux spot price history for the priced types, in filter batches."""
    for start in range(0, len(instance_types), _SHAPE_BATCH):
        batch = list(instance_types[start : start + _SHAPE_BATCH])
        for page in _pages(
            ec2.describe_spot_price_history,
            policy,
            tally,
            Filters=[{"Name": "instance-type", "Values": batch}],
            ProductDescriptions=["Linux/UNIX"],
            StartTime=now,
            MaxResults=1000,
        ):
            yield page.get("SpotPriceHistory", [])


def _lowest_over_zones(latest: Mapping[tuple[str, str], tuple[Any, float]]) -> dict[str, float]:
    lowest: dict[str, float] = {}
    for (instance_type, _zone), (_when, usd) in latest.items():
        lowest[instance_type] = min(usd, lowest.get(instance_type, usd))
    return lowest


# ---------------------------------------------------------------------------- egress


def _region_egress(
    pricing: Any, region: str, policy: RetryPolicy, tally: _Budget
) -> list[EgressRate]:
    """Internet tiers, inter-region and cross-zone rates charged at ``region``."""
    rates: list[EgressRate] = []
    for page in _pages(
        pricing.get_products,
        policy,
        tally,
        ServiceCode="AWSDataTransfer",
        Filters=[{"Type": "TERM_MATCH", "Field": "fromRegionCode", "Value": region}],
        FormatVersion="aws_v1",
        MaxResults=100,
    ):
        for entry in page.get("PriceList", []):
            try:
                rates += parse_transfer_product(entry, region)
            except (ValueError, KeyError, TypeError, AttributeError):
                tally.malformed_rows += 1
    return rates


def parse_transfer_product(entry: str, region: str) -> list[EgressRate]:
    """The egress rates (one per tier) in one AWSDataTransfer PriceList entry."""
    document = json.loads(entry)
    attributes = document["product"]["attributes"]
    kind, dest = _transfer_kind(attributes)
    if kind is None or attributes.get("fromRegionCode") != region:
        return []
    # IntraRegion (cross-AZ) is billed on both the sending and the receiving side: a GB
    # moved costs twice the listed price, as the snapshot stores it ($0.01 each way = $0.02)
    sides = 2 if kind == "cross-zone" else 1
    rates = []
    for term in document["terms"]["OnDemand"].values():
        for dimension in term["priceDimensions"].values():
            if dimension.get("unit", "GB") != "GB":
                continue
            usd = sides * _usd(dimension["pricePerUnit"]["USD"])
            start_gb = float(dimension.get("beginRange", "0"))
            rates.append(EgressRate(CLOUD, region, kind, usd, start_gb, dest))
    return sorted(rates, key=lambda rate: rate.start_gb)


def _transfer_kind(attributes: Mapping[str, str]) -> tuple[str | None, str | None]:
    transfer = attributes.get("transferType")
    if transfer == "AWS Outbound" and attributes.get("toLocation") == "External":
        return "internet", None
    if transfer == "InterRegion Outbound" and attributes.get("toRegionCode"):
        return "inter-region", attributes["toRegionCode"]
    if transfer == "IntraRegion":
        return "cross-zone", None
    return None, None
