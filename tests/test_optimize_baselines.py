"""as_written and greedy+repair (placer.optimize.baselines)."""

from dataclasses import replace

import pytest
from fixtures.plan.factory import DATASTORE, config, flow, market, offer, pool, step

from placer.config import StepUsage
from placer.optimize.baselines import as_written, greedy, matching_pool
from placer.optimize.evaluate import evaluate
from placer.optimize.space import build_space

OFFERS = [
    offer("aws", "us-east-1", "m.large", 2, 8, 0.10),
    offer("gcp", "us-central1", "n.std", 2, 8, 0.06),
    offer("azure", "eastus", "d.std", 2, 8, 0.08),
]
AWS = pool("aws-use1", "aws", "us-east-1")
GCP = pool("gcp-usc1", "gcp", "us-central1")
AZURE = pool("azure-eastus", "azure", "eastus")
WAREHOUSE = replace(AWS, name="warehouse", node_selector={}, compute_pool="warehouse")
POOLS = {p.name: p for p in (AWS, GCP, AZURE, WAREHOUSE)}


def test_selector_matching_uses_known_labels_and_ignores_unknown_ones():
    assert matching_pool({"outerbounds.co/provider": "azure"}, POOLS) == "azure-eastus"
    region = {"outerbounds.co/provider": "gcp", "topology.kubernetes.io/region": "us-central1"}
    assert matching_pool(region, POOLS) == "gcp-usc1"
    wrong_region = {**region, "topology.kubernetes.io/region": "europe-west1"}
    assert matching_pool(wrong_region, POOLS) is None
    assert matching_pool({"outerbounds.co/compute-pool": "warehouse"}, POOLS) == "warehouse"
    assert matching_pool({"team": "ml", "outerbounds.co/provider": "aws"}, POOLS) == "aws-use1"


def test_as_written_follows_decorators_and_defaults_to_the_datastore():
    f = flow(
        step("start", ["process"], type="start"),
        step("process", ["load"], selector={"outerbounds.co/provider": "azure"}),
        step("load", ["end"], compute_pool="warehouse"),
        step("end", [], type="end", selector={"outerbounds.co/provider": "oracle"}),
    )
    space = build_space(f, config(list(POOLS.values())), market(OFFERS))
    placed, note = as_written(space, f, DATASTORE)
    assert placed == {"start": "aws-use1", "process": "azure-eastus", "load": "warehouse"}
    assert note == "end: no pool matches outerbounds.co/provider=oracle"
    assert not evaluate(space, placed).feasible  # end has no pool at all


def test_greedy_ignores_egress_then_repairs_capacity():
    f = flow(
        step("start", ["a", "b"], type="split"),
        step("a", ["join"]),
        step("b", ["join"]),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    )
    pools = [AWS, replace(GCP, max_vcpus=1), AZURE]
    usage = {"a": StepUsage(input_gb=10)}
    space = build_space(f, config(pools, usage), market(OFFERS))
    placed, note = greedy(space)
    # Cheapest compute is gcp for every step; a and b overlap and gcp holds one vCPU, so the
    # repair moves one of them to the next cheapest compute, azure ($0.04/h vs gcp $0.03/h).
    # Moving b is cheaper than moving a (a would also pay 8 s of transfer time).
    assert (placed["a"], placed["b"]) == ("gcp-usc1", "azure-eastus")
    assert note == "repaired with 1 move(s)"
    outcome = evaluate(space, placed)
    assert outcome.feasible
    # start/join/end 3 x 0.03, b 0.04 (azure), a in gcp: (1 h + 8 s) x 0.03 + 10 GB x 0.09.
    assert outcome.total_usd == pytest.approx(0.09 + 0.04 + (1 + 8 / 3600) * 0.03 + 0.90)
    # The optimum keeps a next to its data: a in aws, everything else in gcp.
    assert min(o.total_usd for o in space.options["a"]) == pytest.approx(0.05)


def test_greedy_reports_a_failed_repair():
    f = flow(step("start", ["end"], type="start"), step("end", [], type="end"))
    space = build_space(f, config([AWS]), market(OFFERS), budget_usd_per_month=0.5)
    placed, note = greedy(space)
    assert placed == {"start": "aws-use1", "end": "aws-use1"}
    assert note.startswith("repair failed after 0 move(s): budget: $3.00/month > $0.5")
    assert evaluate(space, placed).total_usd == pytest.approx(0.10)


def test_greedy_repair_does_not_overfill_the_pool_it_moves_a_step_to():
    # a, b, c run at once; gcp ($0.03/step) and azure ($0.04) each hold one 1-vCPU pod, aws
    # ($0.05) is unlimited. Cheapest compute puts all three in gcp (3 vCPU > 1). The first
    # move sends one to azure; a second one there would overfill azure, so it goes to aws.
    f = flow(
        step("start", ["a", "b", "c"], type="split"),
        step("a", ["join"]),
        step("b", ["join"]),
        step("c", ["join"]),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    )
    pools = [AWS, replace(GCP, max_vcpus=1), replace(AZURE, max_vcpus=1)]
    space = build_space(f, config(pools), market(OFFERS))
    placed, note = greedy(space)
    assert sorted(placed[s] for s in "abc") == ["aws-use1", "azure-eastus", "gcp-usc1"]
    assert note == "repaired with 2 move(s)"
    outcome = evaluate(space, placed)
    assert outcome.feasible
    assert outcome.total_usd == pytest.approx(4 * 0.03 + 0.04 + 0.05)
