"""Regional vCPU quota headroom per cloud: how many more vCPUs the account may start.

- AWS: Service Quotas `L-1216C47A` (running on-demand standard vCPUs) or `L-34B43A08`
  (standard spot vCPUs), minus the vCPUs of running standard-family instances
  (A, C, D, H, I, M, R, T, Z) from EC2. `AWS_ENDPOINT_URL_SERVICE_QUOTAS` /
  `AWS_ENDPOINT_URL_EC2` redirect the calls (boto3 reads them).
- Azure: `usage.list(location)` from the Compute RP: "cores" (on-demand) or
  "lowPriorityCores" (spot), plus the VM family quotas. `$AZURE_SUBSCRIPTION_ID`;
  `$PLACER_AZURE_ARM_URL` overrides the ARM endpoint.
- GCP: the Compute API's region resource, `quotas[]`: "CPUS" (on-demand) or
  "PREEMPTIBLE_CPUS" (spot; when its limit is 0 spot draws on CPUS), plus family CPU and
  GPU metrics. `$GOOGLE_CLOUD_PROJECT`; `$PLACER_GCP_COMPUTE_URL` overrides the endpoint.

Cloud SDKs are imported inside the functions. A quota that cannot be read (no
credentials, access denied, unreachable) is a warning, never an error: quotas only add
information to `placer pools discover`.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from placer.config.pool import Pool

AWS_QUOTA_CODES = {"on-demand": "L-1216C47A", "spot": "L-34B43A08"}
AWS_STANDARD_FAMILIES = frozenset("acdhimrtz")
AZURE_QUOTAS = {"on-demand": "cores", "spot": "lowPriorityCores"}
GCP_QUOTAS = {"on-demand": "CPUS", "spot": "PREEMPTIBLE_CPUS"}
ARM_URL = "https://management.azure.com"
MAX_ANSWER_BYTES = 16 * 1024 * 1024
GCP_COMPUTE_URL = "https://compute.googleapis.com"
TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class QuotaHeadroom:
    """One regional vCPU quota, what is used of it, and related quotas (families, GPUs)."""

    cloud: str
    region: str
    capacity_type: str
    quota: str  # the quota counted: "L-1216C47A", "cores", "CPUS", ...
    limit_vcpus: float
    used_vcpus: float
    others: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # name -> (limit, used)

    @property
    def headroom_vcpus(self) -> float:
        """vCPUs that can still be started under this quota (never negative)."""
        return max(0.0, self.limit_vcpus - self.used_vcpus)

    def as_json(self) -> dict[str, Any]:
        """The quota, limit, used and headroom vCPUs, and the related quotas."""
        return {
            "quota": self.quota,
            "limit_vcpus": self.limit_vcpus,
            "used_vcpus": self.used_vcpus,
            "headroom_vcpus": self.headroom_vcpus,
            "others": {k: {"limit": lim, "used": used} for k, (lim, used) in self.others.items()},
        }


class QuotaUnavailable(Exception):
    """A quota could not be read; the message says why (it becomes a warning)."""


# --- AWS -----------------------------------------------------------------------------------


def _aws_family(instance_type: str) -> str:
    match = re.match(r"^([a-z]+)\d", instance_type)
    return match.group(1) if match else instance_type


def aws_running_vcpus(ec2: Any, capacity_type: str) -> float:
    """vCPUs of pending/running standard-family instances of this capacity type."""
    paginator = ec2.get_paginator("describe_instances")
    states = [{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    counts: dict[str, int] = {}
    for page in paginator.paginate(Filters=states):
        for reservation in page.get("Reservations", []):
            for inst in reservation.get("Instances", []):
                spot = inst.get("InstanceLifecycle") == "spot"
                if spot != (capacity_type == "spot"):
                    continue
                if _aws_family(inst["InstanceType"]) in AWS_STANDARD_FAMILIES:
                    counts[inst["InstanceType"]] = counts.get(inst["InstanceType"], 0) + 1
    if not counts:
        return 0.0
    shapes = ec2.describe_instance_types(InstanceTypes=sorted(counts))["InstanceTypes"]
    vcpus = {s["InstanceType"]: s["VCpuInfo"]["DefaultVCpus"] for s in shapes}
    return float(sum(vcpus[t] * n for t, n in counts.items()))


def aws_headroom(
    region: str, capacity_type: str, *, quotas: Any = None, ec2: Any = None
) -> QuotaHeadroom:
    """The standard-family vCPU quota of one region and capacity type."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    code = AWS_QUOTA_CODES[capacity_type]
    try:
        quotas = quotas or boto3.client("service-quotas", region_name=region)
        ec2 = ec2 or boto3.client("ec2", region_name=region)
        limit = quotas.get_service_quota(ServiceCode="ec2", QuotaCode=code)["Quota"]["Value"]
        used = aws_running_vcpus(ec2, capacity_type)
    except (BotoCoreError, ClientError) as exc:
        raise QuotaUnavailable(f"aws {region} {code}: {exc}") from None
    return QuotaHeadroom("aws", region, capacity_type, code, float(limit), used)


# --- Azure ---------------------------------------------------------------------------------


def _secure(url: str, what: str) -> str:
    """`url`, unless credentials would go to it in clear (plain http, not loopback)."""
    from placer.errors import ConfigError
    from pricing.fetch._http import check_endpoint

    try:
        return check_endpoint(url, what, authenticated=True, allow_insecure=False)
    except ConfigError as exc:
        raise QuotaUnavailable(f"{what}: {exc.headline} (use https://)") from None


def _azure_client(arm_url: str, subscription: str) -> Any:
    """A ComputeManagementClient; a loopback ARM URL (tests, mirrors) gets no auth."""
    from azure.mgmt.compute import ComputeManagementClient

    options: dict[str, Any] = {
        "base_url": arm_url,
        "retry_total": 1,
        "connection_timeout": TIMEOUT_SECONDS,
    }
    _secure(arm_url, "azure quotas")
    from pricing.fetch._http import is_loopback

    if is_loopback(arm_url):
        from azure.core.pipeline.policies import SansIOHTTPPolicy

        return ComputeManagementClient(
            _NoCredential(), subscription, authentication_policy=SansIOHTTPPolicy(), **options
        )
    from azure.identity import DefaultAzureCredential

    return ComputeManagementClient(DefaultAzureCredential(), subscription, **options)


class _NoCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:  # pragma: no cover - never called
        raise RuntimeError("no credential for a loopback endpoint")


def azure_headroom(region: str, capacity_type: str, *, client: Any = None) -> QuotaHeadroom:
    """Regional cores (or low-priority cores) and family quotas from `usage.list`."""
    from azure.core.exceptions import AzureError

    subscription = os.environ.get("AZURE_SUBSCRIPTION_ID")
    if client is None and not subscription:
        raise QuotaUnavailable(f"azure {region}: AZURE_SUBSCRIPTION_ID is not set")
    arm_url = os.environ.get("PLACER_AZURE_ARM_URL") or ARM_URL
    try:
        client = client or _azure_client(arm_url, subscription or "")
        usages = {
            u.name.value: (float(u.limit), float(u.current_value))
            for u in client.usage.list(region)
        }
    except AzureError as exc:
        raise QuotaUnavailable(f"azure {region} usage: {type(exc).__name__}: {exc}") from None
    name = AZURE_QUOTAS[capacity_type]
    if name not in usages:
        raise QuotaUnavailable(f"azure {region}: usage.list has no {name!r} entry")
    limit, used = usages[name]
    families = {k: v for k, v in usages.items() if k.endswith("Family") and v[0] > 0}
    return QuotaHeadroom("azure", region, capacity_type, name, limit, used, families)


# --- GCP -----------------------------------------------------------------------------------


def _gcp_get(url: str) -> dict[str, Any]:
    from pricing.fetch._http import is_loopback

    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if not is_loopback(_secure(url, "gcp quotas")):
        request.add_header("Authorization", f"Bearer {_gcp_token()}")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        data = response.read(MAX_ANSWER_BYTES + 1)
    if len(data) > MAX_ANSWER_BYTES:
        raise ValueError(f"the answer is larger than {MAX_ANSWER_BYTES // 2**20} MB")
    return json.loads(data)


def _gcp_token() -> str:
    import google.auth
    import google.auth.transport.requests
    from google.auth.exceptions import GoogleAuthError

    try:
        credentials, _ = google.auth.default(
            scopes=["https://www.googleapis.com/auth/compute.readonly"]
        )
        credentials.refresh(google.auth.transport.requests.Request())
    except GoogleAuthError as exc:
        raise QuotaUnavailable(f"gcp: no usable credentials ({exc})") from None
    if not credentials.token:
        raise QuotaUnavailable("gcp: the credentials gave no access token")
    return str(credentials.token)


def gcp_headroom(
    region: str,
    capacity_type: str,
    *,
    project: str | None = None,
    get: Callable[[str], dict[str, Any]] = _gcp_get,
) -> QuotaHeadroom:
    """Regional CPU (or preemptible CPU) quota and the family CPU/GPU quotas."""
    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        raise QuotaUnavailable(f"gcp {region}: GOOGLE_CLOUD_PROJECT is not set")
    base = (os.environ.get("PLACER_GCP_COMPUTE_URL") or GCP_COMPUTE_URL).rstrip("/")
    url = f"{base}/compute/v1/projects/{project}/regions/{region}"
    try:
        body = get(url)
    except (OSError, ValueError) as exc:
        raise QuotaUnavailable(f"gcp {region} quotas: {exc}") from None
    quotas = {
        q["metric"]: (float(q["limit"]), float(q.get("usage", 0))) for q in body.get("quotas", [])
    }
    metric = GCP_QUOTAS[capacity_type]
    if metric == "PREEMPTIBLE_CPUS" and quotas.get(metric, (0.0, 0.0))[0] == 0:
        metric = "CPUS"  # without a preemptible quota, spot VMs count against CPUS
    if metric not in quotas:
        raise QuotaUnavailable(f"gcp {region}: the region has no {metric} quota")
    others = {
        k: v
        for k, v in quotas.items()
        if k != metric and (k.endswith("_CPUS") or k.endswith("_GPUS"))
    }
    limit, used = quotas[metric]
    return QuotaHeadroom("gcp", region, capacity_type, metric, limit, used, others)


# --- all pools -----------------------------------------------------------------------------

Fetcher = Callable[[str, str], QuotaHeadroom]
FETCHERS: Mapping[str, Fetcher] = {
    "aws": aws_headroom,
    "azure": azure_headroom,
    "gcp": gcp_headroom,
}


def quota_headroom(
    pools: Sequence[Pool], warnings: list[str], fetchers: Mapping[str, Fetcher] | None = None
) -> dict[str, QuotaHeadroom]:
    """Quota headroom per pool name, one lookup per (cloud, region, capacity type).

    Lookups that fail add a line to `warnings`; their pools are left out of the result.
    """
    fetchers = FETCHERS if fetchers is None else fetchers
    seen: dict[tuple[str, str, str], QuotaHeadroom | None] = {}
    out: dict[str, QuotaHeadroom] = {}
    for pool in pools:
        key = (pool.cloud, pool.region, pool.capacity_type)
        if key not in seen:
            seen[key] = _lookup(fetchers, key, warnings)
        found = seen[key]
        if found is not None:
            out[pool.name] = found
    return out


def _lookup(
    fetchers: Mapping[str, Fetcher], key: tuple[str, str, str], warnings: list[str]
) -> QuotaHeadroom | None:
    cloud, region, capacity = key
    try:
        return fetchers[cloud](region, capacity)
    except QuotaUnavailable as exc:
        warnings.append(f"quota unavailable: {exc}")
        return None
