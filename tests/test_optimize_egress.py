"""Data movement: routes, tiered cost per run, transfer time (placer.optimize.egress)."""

import pytest

from placer.config import Constraints, ExternalRead, Link
from placer.optimize.demand import Demand
from placer.optimize.egress import (
    FREE_ALLOWANCE_GB,
    egress_usd_per_run,
    routes_gb_per_run,
    transfer_hours_per_task,
)
from pricing import Location

S3 = Location("aws", "us-east-1")
GCP = Location("gcp", "us-central1")
BUCKET = Location("aws", "us-west-2")


def demand(tasks=4, inp=2.0, out=1.0, reads=()) -> Demand:
    return Demand("s", 1, 4, 0, None, None, "x86_64", tasks, tasks, 1, 1.0, inp, out, reads)


def test_routes_add_up_per_run_and_skip_the_same_place():
    d = demand(reads=(ExternalRead(BUCKET, 5.0), ExternalRead(S3, 3.0)))
    assert routes_gb_per_run(d, GCP, S3) == {
        (S3, GCP): 4 * 2.0
        + 4 * 3.0,  # datastore inputs and the external read from S3 share a route
        (GCP, S3): 4 * 1.0,
        (BUCKET, GCP): 4 * 5.0,
    }
    assert routes_gb_per_run(d, S3, S3) == {(BUCKET, S3): 20.0}


def test_cost_per_run_uses_the_monthly_volume_after_the_free_allowance():
    calls = []

    def fake(gb, src, dst, already):
        calls.append((gb, src, dst, already))
        return gb * 0.09

    d = demand(tasks=4, inp=2.0, out=1.0)
    # 30 runs: 240 GB/month in, 120 GB/month out; 0.09/GB, divided back by 30 runs.
    assert egress_usd_per_run(d, GCP, S3, 30, fake) == pytest.approx((8 + 4) * 0.09)
    assert sorted(calls) == sorted(
        [(240.0, S3, GCP, FREE_ALLOWANCE_GB), (120.0, GCP, S3, FREE_ALLOWANCE_GB)]
    )


def test_transfer_hours_count_only_cross_region_data():
    d = demand(inp=9.0, out=0.0, reads=(ExternalRead(GCP, 100.0),))
    # 9 GB x 8 bit / 10 Gbps = 7.2 s at GCP (the read is local there); at S3 the 100 GB read.
    flat = Constraints(bandwidth_gbps=10.0).gbps
    assert transfer_hours_per_task(d, GCP, S3, flat) == pytest.approx(7.2 / 3600)
    assert transfer_hours_per_task(d, S3, S3, flat) == pytest.approx(80.0 / 3600)


def test_each_route_moves_at_its_own_bandwidth():
    # Datastore S3 (aws us-east-1); the step runs in GCP us-central1 and reads 100 GB from
    # Azure eastus. In: 9 GB S3 -> GCP at the aws<->gcp link, 2 Gbps: 36 s. Out: 1 GB GCP -> S3,
    # same link: 4 s. Read: 100 GB azure -> GCP, no link listed: default 10 Gbps: 80 s.
    azure = Location("azure", "eastus")
    d = demand(inp=9.0, out=1.0, reads=(ExternalRead(azure, 100.0),))
    links = Constraints(bandwidth_gbps=10.0, bandwidth=(Link(("aws", "gcp"), 2.0),))
    assert transfer_hours_per_task(d, GCP, S3, links.gbps) == pytest.approx((36 + 4 + 80) / 3600)


def test_the_most_specific_link_wins_in_either_direction():
    eu = Location("gcp", "europe-west1")
    c = Constraints(
        bandwidth_gbps=10.0,
        bandwidth=(
            Link(("gcp", "aws"), 2.0),
            Link(("aws:us-east-1", "gcp"), 3.0),
            Link(("gcp:us-central1", "aws:us-east-1"), 5.0),
        ),
    )
    assert c.gbps(S3, GCP) == 5.0 and c.gbps(GCP, S3) == 5.0  # both ends named by region
    assert c.gbps(S3, eu) == 3.0 and c.gbps(eu, S3) == 3.0  # one end by region
    assert c.gbps(Location("aws", "eu-west-1"), eu) == 2.0  # clouds only
    assert c.gbps(Location("azure", "eastus"), GCP) == 10.0  # no link: the default
    assert c.gbps(GCP, GCP) == 10.0


def test_real_egress_table_prices_aws_to_gcp_at_internet_rates():
    from placer.optimize.egress import default_transfer_cost

    cost = default_transfer_cost()
    # AWS internet egress: $0.09/GB for the first 10 TB once the free 100 GB are used.
    assert cost(500.0, S3, GCP, FREE_ALLOWANCE_GB) == pytest.approx(45.0)
    assert cost(500.0, S3, S3, FREE_ALLOWANCE_GB) == 0.0
