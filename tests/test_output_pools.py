"""Pools, discovered pools and live status as tables and JSON (placer.output.pools)."""

import json

from fixtures.output_cases import discovered, pools, status

from placer.config.quotas import QuotaHeadroom
from placer.output.pools import (
    discovered_json,
    discovered_table,
    pool_json,
    pools_table,
    selector_lines,
    status_json,
    status_table,
    task_lines,
)
from placer.output.table import to_text

QUOTAS = {"eks-spot": QuotaHeadroom("aws", "us-east-1", "spot", "L-34B43A08", 640, 212.5)}


def _selectors(lines: list[str]) -> str:
    return "\n".join(["", "node selectors:", *lines])


def test_pools_table_and_selectors(golden):
    text = to_text([pools_table(pools()), _selectors(selector_lines(pools()))])
    golden("output/pools.table.txt", text)


def test_pools_json(golden):
    golden("output/pools.json", json.dumps([pool_json(p) for p in pools()], indent=2) + "\n")


def test_discovered_table(golden):
    found = discovered()
    lines = selector_lines([d.pool for d in found])
    golden("output/discovered.table.txt", to_text([discovered_table(found, {}), _selectors(lines)]))


def test_discovered_table_with_quotas_adds_a_column(golden):
    golden("output/discovered.quotas.table.txt", to_text([discovered_table(discovered(), QUOTAS)]))


def test_discovered_json(golden):
    rows = [discovered_json(d, QUOTAS.get(d.pool.name)) for d in discovered()]
    golden("output/discovered.json", json.dumps(rows, indent=2) + "\n")


def test_status_table_and_task_lines(golden):
    report = status()
    golden(
        "output/status.table.txt",
        to_text([status_table(report), "\n".join(["", *task_lines(report)])]),
    )


def test_status_json(golden):
    golden("output/status.json", json.dumps(status_json(status()), indent=2) + "\n")
