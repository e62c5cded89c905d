"""Selectors mode: the document and the `--with` equivalent."""

from __future__ import annotations

import json

import yaml
from fixtures.plan.apply_plans import AWS, GCP, make_plan, step_plan, tricky_plan

from placer.apply import selectors_document, with_option
from placer.apply._selectors import render


def test_document_lists_each_step_with_right_size_values():
    plan = make_plan(
        "F",
        {
            "start": step_plan(GCP, declared={"cpu": 2, "memory": 1024, "disk": 0, "gpu": 0}),
            "end": step_plan(AWS, pool="aws-use1"),
        },
    )
    document = selectors_document(plan, right_size=True)
    assert document == {
        "flow": "F",
        "steps": {
            "start": {
                "pool": "pool",
                "node_selector": GCP,
                "compute_pool": None,
                "cpu": 2.0,
                "memory": 1024.0,
            },
            "end": {"pool": "aws-use1", "node_selector": AWS, "compute_pool": None},
        },
    }


def test_render_json_and_yaml_round_trip():
    document = selectors_document(tricky_plan(), right_size=False)
    assert json.loads(render(document, "json")) == document
    assert yaml.safe_load(render(document, "yaml")) == document
    assert render(document, "yaml").startswith("flow: TrickyFlow\nsteps:\n  start:\n")


def test_with_option_only_when_every_step_shares_one_selector():
    assert with_option(tricky_plan()) is None
    same = make_plan("F", {"a": step_plan(GCP), "b": step_plan(dict(reversed(GCP.items())))})
    assert with_option(same) == (
        '--with \'kubernetes:node_selector={"outerbounds.co/provider":"gcp",'
        '"topology.kubernetes.io/region":"us-central1"}\''
    )
    assert with_option(make_plan("F", {"a": step_plan({})})) is None


def test_compute_pool_label_is_part_of_the_selector():
    plan = make_plan("F", {"a": step_plan({}, "warehouse"), "b": step_plan({}, "warehouse")})
    assert selectors_document(plan, False)["steps"]["a"]["node_selector"] == {
        "outerbounds.co/compute-pool": "warehouse"
    }
    assert with_option(plan) == (
        '--with \'kubernetes:node_selector={"outerbounds.co/compute-pool":"warehouse"}\''
    )
