"""The example flows: each shows a placement decision a person would get wrong."""

from decimal import Decimal
from pathlib import Path

import pytest

from placer.config import load_config
from placer.flow import read_flow
from placer.optimize import market_from_catalog, plan_flow
from placer.plan import Cost
from pricing.catalog import load_catalog

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def market():
    return market_from_catalog(load_catalog())


def plan(path: str, market):
    flow_path = EXAMPLES / path
    return plan_flow(read_flow(flow_path), load_config(flow_path), market)


def test_crosscloud_seed_pattern_pays_egress_to_send_process_to_azure(market):
    result = plan("crosscloud/crosscloudflow.py", market)
    written = result.baselines["as_written"]
    assert written.assignment["process"] == "azure-eastus"
    # 8 shards x (2 GB in at AWS's $0.09 + 1 GB back at Azure's $0.087) = $2.136 per run.
    assert written.per_run.egress == Decimal("2.1360")
    process = result.steps["process"]
    assert (process.pool, process.instance_type) == ("aws-use1", "m8a.xlarge")
    # 8 pods, 3 per m8a.xlarge (3.795 allocatable vCPU): 3 nodes, 3/8 x $0.24344/h each,
    # for 8 x 45 min on m6i / 1.65 (AMD Turin) = $0.3320 per run.
    assert process.cost == Cost(Decimal("0.3320"), Decimal(0))
    assert result.savings("as_written") > Decimal("55")  # $/month
    assert any("45m on m6i (defaults.reference_cpu) / 1.65" in r for r in process.reasons)
    assert any("@kubernetes(memory=512)" in w for w in result.warnings)


def test_gpu_training_greedy_chases_the_cheaper_l4_and_pays_for_the_images(market):
    result = plan("gpu_training/trainflow.py", market)
    greedy = result.baselines["greedy"]
    assert greedy.assignment["train"] == "gcp-usc1"  # g2-standard-4 is the cheapest L4 node
    train = result.steps["train"]
    # cpu=3, memory=12000 fit g6.xlarge's allocatable 3.795 vCPU and 15.03 GiB.
    assert (train.pool, train.instance_type) == ("aws-use1", "g6.xlarge")
    # 4 tasks x 2 h on g6.xlarge ($0.8048/h) = $6.4384; no egress next to the datastore.
    assert train.cost.compute == Decimal("6.4384")
    assert train.cost.egress == 0
    assert result.savings("greedy") > Decimal("200")


def test_etl_moves_transform_but_not_the_extract_that_reads_the_bucket(market):
    result = plan("etl/etlflow.py", market)
    greedy = result.baselines["greedy"].assignment
    assert greedy["extract"] == greedy["transform"] == "gcp-usc1-spot"
    assert result.steps["extract"].pool == "aws-use1"  # 16 x 12.5 GB stay inside AWS
    assert result.steps["transform"].pool == "gcp-usc1-spot"
    assert result.steps["load"].pool == "warehouse"
    assert result.savings("greedy") > 0 and result.savings("as_written") > 0
    reasons = " ".join(result.steps["extract"].reasons)
    assert "gcp-usc1-spot computes $" in reasons and "egress costs $" in reasons


def test_branching_honours_the_compute_pool_pin_and_deadline(market):
    result = plan("branching/branchflow.py", market)
    assert result.steps["thorough"].pool == "large"
    assert result.makespan_hours is not None and result.makespan_hours <= 3.0
    assert result.solver.status == "optimal"


def test_a_compute_pool_pool_is_planned_with_its_full_selector(market):
    result = plan("etl/etlflow.py", market)
    load = result.steps["load"]  # the `warehouse` pool: compute_pool only, no labels of its own
    assert load.compute_pool == "warehouse"
    assert dict(load.node_selector) == {"outerbounds.co/compute-pool": "warehouse"}
    extract = result.steps["extract"]
    assert extract.compute_pool is None
    assert "outerbounds.co/compute-pool" not in extract.node_selector
