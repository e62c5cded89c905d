"""Choosing and pricing the instance type a pod lands on (placer.optimize.offers).

Nodes are EKS nodes (the pool is on AWS): allocatable = size - kube-reserved - eviction -
DaemonSets (aws-node 25m + kube-proxy 100m). Worked by hand:

- m7i.large (2 vCPU, 8 GiB, $0.1008/h, maxPods 29): CPU 2 - 0.070 - 0.125 = 1.805;
  memory 8192 - (11 x 29 + 255 = 574) - 100 = 7518 MiB = 7.342 GiB.
- m7i.xlarge (4 vCPU, 16 GiB, $0.2016/h, maxPods 58): CPU 4 - 0.080 - 0.125 = 3.795;
  memory 16384 - 893 - 100 = 15391 MiB = 15.030 GiB.
- r7i.large (2 vCPU, 16 GiB, $0.1323/h, maxPods 29): CPU 1.805; memory 15710 MiB = 15.342 GiB.

A pod of 1 vCPU and memory=2048 (sent as "2048M": 2.048e9 bytes = 1.907 GiB) fits one per
m7i.large or r7i.large (CPU 1.805) and three per m7i.xlarge (CPU 3.795).
"""

from dataclasses import replace

import pytest

from placer.config import Defaults, Pool
from placer.optimize.demand import Demand
from placer.optimize.offers import best_fit, is_burstable, no_fit_reason
from pricing import Offer
from pricing.catalog import load_catalog

POOL = Pool("aws", "aws", "us-east-1", {"p": "aws"})
SPOT = replace(POOL, capacity_type="spot")
GIB_2048M = 2.048e9 / 2**30


def pod(cpu=1.0, mem=GIB_2048M, gpu=0, model=None, arch="x86_64", tasks=1, hours=1.0) -> Demand:
    return Demand("s", cpu, mem, gpu, None, model, arch, tasks, tasks, 1, hours, 0.0, 0.0)


def aws(name, vcpus, mem, usd, spot=None, **kw) -> Offer:
    return Offer("aws", "us-east-1", name, vcpus, mem, usd, spot_usd_per_hour=spot, **kw)


def gpu(name, model, usd) -> Offer:
    return aws(name, 4, 16, usd, gpu_count=1, gpu_model=model, accelerator_kind="nvidia")


OFFERS = [
    aws("m7i.large", 2, 8, 0.1008, spot=0.0396),
    aws("m7i.xlarge", 4, 16, 0.2016, spot=0.0750),
    aws("r7i.large", 2, 16, 0.1323),
    gpu("g4dn.xlarge", "T4", 0.526),
    gpu("g6.xlarge", "L4", 0.8048),
    aws("c7g.large", 2, 4, 0.0725, arch="arm64"),
]


def test_one_task_pays_the_whole_cheapest_node_it_fits():
    fit = best_fit(pod(), POOL, OFFERS, Defaults())
    assert (fit.instance_type, fit.share, fit.pods_per_node) == ("m7i.large", 1.0, 1)
    assert fit.allocatable_vcpus == pytest.approx(1.805)
    assert fit.allocatable_memory_gib == pytest.approx(7518 / 1024)


def test_concurrent_tasks_fill_larger_nodes_and_a_tie_goes_to_the_cheaper_node():
    # 6 pods: m7i.xlarge holds 3, so 2 nodes: each pod pays 2/6 x $0.2016 = $0.0672/h,
    # less than a whole m7i.large ($0.1008/h).
    six = best_fit(pod(tasks=6), POOL, OFFERS, Defaults())
    assert (six.instance_type, six.pods_per_node) == ("m7i.xlarge", 3)
    assert six.usd_per_task_hour == pytest.approx(0.2016 * 2 / 6)
    # 4 pods: 2 m7i.xlarge (3 + 1) cost 0.2016 x 2 / 4 = $0.1008/h per pod, the same as a
    # whole m7i.large each: the cheaper node wins the tie.
    four = best_fit(pod(tasks=4), POOL, OFFERS, Defaults())
    assert (four.instance_type, four.usd_per_task_hour) == ("m7i.large", pytest.approx(0.1008))


def test_cluster_packing_pays_the_dominant_share_of_allocatable():
    # m7i.large: max(1/1.805, 1.907/7.342) = 0.554 x 0.1008 = $0.0558/h;
    # m7i.xlarge: max(1/3.795, 1.907/15.03) = 0.2635 x 0.2016 = $0.0531/h.
    fit = best_fit(pod(), POOL, OFFERS, Defaults(packing="cluster"))
    assert fit.instance_type == "m7i.xlarge"
    assert fit.usd_per_task_hour == pytest.approx(0.2016 / 3.795)


def test_memory_heavy_pod_needs_the_memory_on_allocatable():
    # memory=12000: 11.18 GiB. m7i.large has 7.34 allocatable; r7i.large ($0.1323) and
    # m7i.xlarge ($0.2016) hold it, one pod each.
    fit = best_fit(pod(mem=12e9 / 2**30), POOL, OFFERS, Defaults())
    assert (fit.instance_type, fit.usd_per_task_hour) == ("r7i.large", pytest.approx(0.1323))


def test_a_32000_mb_8_cpu_pod_never_lands_on_an_8_vcpu_32_gib_node():
    # t3a.2xlarge and m7i.2xlarge (8 vCPU, 32 GiB) leave 8 - 0.090 - 0.125 = 7.785 vCPU.
    offers = [
        aws("t3a.2xlarge", 8, 32, 0.3008),
        aws("m7i.2xlarge", 8, 32, 0.4032),
        aws("m7i.4xlarge", 16, 64, 0.8064),
    ]
    big = pod(cpu=8, mem=32e9 / 2**30, hours=0.2)  # short: burstable types allowed
    assert best_fit(big, POOL, offers, Defaults()).instance_type == "m7i.4xlarge"
    assert best_fit(big, POOL, offers[:2], Defaults()) is None


def test_dedicated_packing_pays_the_whole_node():
    fit = best_fit(pod(tasks=6), POOL, OFFERS, Defaults(packing="dedicated"))
    assert (fit.instance_type, fit.share, fit.usd_per_task_hour) == ("m7i.large", 1.0, 0.1008)


def test_spot_price_carries_the_overhead():
    # 6 pods: m7i.large spot 0.0396 x 1.1 = $0.04356/h each; m7i.xlarge spot
    # 0.0750 x 1.1 x 2/6 = $0.0275/h.
    fit = best_fit(pod(tasks=6), SPOT, OFFERS, Defaults(spot_overhead=0.1))
    assert fit.instance_type == "m7i.xlarge"
    assert fit.usd_per_task_hour == pytest.approx(0.0750 * 1.1 * 2 / 6)
    assert best_fit(pod(), SPOT, OFFERS[2:3], Defaults()) is None  # r7i.large: no spot price


def test_gpu_pods_need_the_model_and_cpu_pods_skip_gpu_nodes():
    assert best_fit(pod(gpu=1), POOL, OFFERS, Defaults()).instance_type == "g4dn.xlarge"
    assert best_fit(pod(gpu=1, model="L4"), POOL, OFFERS, Defaults()).instance_type == "g6.xlarge"
    assert best_fit(pod(gpu=1, model="H100"), POOL, OFFERS, Defaults()) is None
    assert best_fit(pod(cpu=3, mem=8), POOL, OFFERS[3:5], Defaults()) is None


def test_arch_and_instance_type_globs():
    assert best_fit(pod(arch="arm64"), POOL, OFFERS, Defaults()).instance_type == "c7g.large"
    only_r = replace(POOL, instance_types=("r7i.*",))
    assert best_fit(pod(), only_r, OFFERS, Defaults()).instance_type == "r7i.large"


BURSTY = [aws("t3a.large", 2, 8, 0.0752, burstable=True), *OFFERS]


def test_burstable_types_take_short_steps_only():
    assert best_fit(pod(hours=0.2), POOL, BURSTY, Defaults()).instance_type == "t3a.large"
    fit = best_fit(pod(hours=2), POOL, BURSTY, Defaults())
    assert fit.instance_type == "m7i.large"
    assert fit.note == (
        "t3a.large ($0.0752/h for the pod) left out: burstable, and the step runs 2h00m per "
        "task, not under defaults.burstable_max_duration (15m)"
    )


def test_a_pool_that_names_a_burstable_family_gets_it_for_long_steps():
    named = replace(POOL, instance_types=("t3a.*", "m7i.*"))
    assert best_fit(pod(hours=2), named, BURSTY, Defaults()).instance_type == "t3a.large"
    anything = replace(POOL, instance_types=("*",))
    assert best_fit(pod(hours=2), anything, BURSTY, Defaults()).instance_type == "m7i.large"


def test_the_catalog_flags_burstable_types():
    flagged = {o.instance_type for o in load_catalog().offers("aws", "us-east-1") if o.burstable}
    assert {"t3a.large", "t3a.2xlarge"} <= flagged
    assert not any(is_burstable(o) for o in OFFERS)


def test_no_fit_reasons_name_what_is_missing():
    assert no_fit_reason(pod(gpu=8, model="H100"), OFFERS) == "no pool offers H100"
    assert no_fit_reason(pod(gpu=2, model="T4"), OFFERS) == (
        "no pool offers 2 x T4 on one node (at most 1)"
    )
    assert no_fit_reason(pod(cpu=64), OFFERS) == (
        "no instance type in the eligible pools is large enough (the most a node leaves for "
        "pods, its allocatable capacity, is 3.79 vCPU and 15.3 GiB)"
    )


def test_gpu_model_is_exact_a10_fits_no_a100_node():
    a100 = replace(OFFERS[3], instance_type="g.a100", gpu_model="A100-80GB", usd_per_hour=3.0)
    a10 = replace(OFFERS[3], instance_type="g.a10", gpu_model="A10", usd_per_hour=1.0)
    assert best_fit(pod(gpu=1, model="A10"), POOL, [a100], Defaults()) is None
    assert best_fit(pod(gpu=1, model="A10"), POOL, [a100, a10], Defaults()).instance_type == "g.a10"
    assert best_fit(pod(gpu=1, model="A100*"), POOL, [a100, a10], Defaults()).instance_type == (
        "g.a100"
    )
