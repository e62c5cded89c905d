"""Choosing and pricing the instance type a pod lands on (placer.optimize.offers)."""

from dataclasses import replace

import pytest

from placer.config import Defaults, Pool
from placer.optimize.demand import Demand
from placer.optimize.offers import best_fit, no_fit_reason
from pricing import Offer

POOL = Pool("aws", "aws", "us-east-1", {"p": "aws"})
SPOT = replace(POOL, capacity_type="spot")


def pod(cpu=1.0, mem=4.0, gpu=0, model=None, arch="x86_64") -> Demand:
    return Demand("s", cpu, mem, gpu, None, model, arch, 1, 1, 1, 1.0, 0.0, 0.0)


OFFERS = [
    Offer("aws", "us-east-1", "m.large", 2, 8, 0.10, spot_usd_per_hour=0.03),
    Offer("aws", "us-east-1", "m.xlarge", 4, 16, 0.20, spot_usd_per_hour=0.05),
    Offer("aws", "us-east-1", "r.large", 2, 16, 0.13),
    Offer(
        "aws",
        "us-east-1",
        "g.t4",
        4,
        16,
        0.53,
        gpu_count=1,
        gpu_model="T4",
        accelerator_kind="nvidia",
    ),
    Offer(
        "aws",
        "us-east-1",
        "g.l4",
        4,
        16,
        0.80,
        gpu_count=1,
        gpu_model="L4",
        accelerator_kind="nvidia",
    ),
    Offer("aws", "us-east-1", "a.large", 2, 8, 0.08, arch="arm64"),
]


def test_dominant_share_picks_the_cheapest_share_with_ties_to_the_cheaper_node():
    # 1 vCPU / 4 GiB is half of m.large ($0.05/h) and a quarter of m.xlarge ($0.05/h): a tie,
    # so the cheaper node wins. r.large: max(1/2, 4/16) = 0.5 x 0.13 = $0.065/h.
    fit = best_fit(pod(), POOL, OFFERS, Defaults())
    assert (fit.instance_type, fit.share, fit.pods_per_node) == ("m.large", 0.5, 2)
    assert fit.usd_per_task_hour == pytest.approx(0.05)


def test_memory_heavy_pod_pays_its_memory_share():
    # 1 vCPU / 12 GiB: m.xlarge max(1/4, 12/16) = 0.75 x 0.20 = 0.15; r.large 0.75 x 0.13 = 0.0975.
    fit = best_fit(pod(mem=12), POOL, OFFERS, Defaults())
    assert fit.instance_type == "r.large"
    assert fit.usd_per_task_hour == pytest.approx(0.0975)


def test_dedicated_packing_pays_the_whole_node():
    fit = best_fit(pod(), POOL, OFFERS, Defaults(packing="dedicated"))
    assert (fit.instance_type, fit.share, fit.usd_per_task_hour) == ("m.large", 1.0, 0.10)


def test_spot_price_carries_the_overhead():
    # m.large spot 0.03 x 1.1 x 0.5 = 0.0165; m.xlarge spot 0.05 x 1.1 x 0.25 = 0.01375.
    fit = best_fit(pod(), SPOT, OFFERS, Defaults(spot_overhead=0.1))
    assert fit.instance_type == "m.xlarge"
    assert fit.usd_per_task_hour == pytest.approx(0.01375)
    assert best_fit(pod(), SPOT, OFFERS[2:3], Defaults()) is None  # r.large has no spot price


def test_gpu_pods_need_the_model_and_cpu_pods_skip_gpu_nodes():
    assert best_fit(pod(gpu=1), POOL, OFFERS, Defaults()).instance_type == "g.t4"
    assert best_fit(pod(gpu=1, model="L4"), POOL, OFFERS, Defaults()).instance_type == "g.l4"
    assert best_fit(pod(gpu=1, model="H100"), POOL, OFFERS, Defaults()) is None
    assert best_fit(pod(cpu=4, mem=16), POOL, OFFERS[3:5], Defaults()) is None


def test_arch_and_instance_type_globs():
    assert best_fit(pod(arch="arm64"), POOL, OFFERS, Defaults()).instance_type == "a.large"
    only_r = replace(POOL, instance_types=("r.*",))
    assert best_fit(pod(), only_r, OFFERS, Defaults()).instance_type == "r.large"


def test_no_fit_reasons_name_what_is_missing():
    assert no_fit_reason(pod(gpu=8, model="H100"), OFFERS) == "no pool offers H100"
    assert no_fit_reason(pod(gpu=2, model="T4"), OFFERS) == (
        "no pool offers 2 x T4 on one node (at most 1)"
    )
    assert no_fit_reason(pod(cpu=64), OFFERS) == (
        "no instance type in the eligible pools is large enough"
    )


def test_gpu_model_is_exact_a10_fits_no_a100_node():
    a100 = replace(OFFERS[3], instance_type="g.a100", gpu_model="A100-80GB", usd_per_hour=3.0)
    a10 = replace(OFFERS[3], instance_type="g.a10", gpu_model="A10", usd_per_hour=1.0)
    assert best_fit(pod(gpu=1, model="A10"), POOL, [a100], Defaults()) is None
    assert best_fit(pod(gpu=1, model="A10"), POOL, [a100, a10], Defaults()).instance_type == "g.a10"
    assert best_fit(pod(gpu=1, model="A100*"), POOL, [a100, a10], Defaults()).instance_type == (
        "g.a100"
    )
