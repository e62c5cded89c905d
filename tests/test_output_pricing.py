"""`placer pricing` tables and JSON (placer.output.pricing), prices per hour rounded half-up."""

import json

from fixtures.output_cases import NOW, OFFERS, FakeCatalog

from placer.output.pricing import (
    info_json,
    info_table,
    offers_json,
    offers_table,
    regions_table,
    source_lines,
)
from placer.output.table import to_text


def test_offers_table(golden):
    golden("output/offers.table.txt", to_text([offers_table(OFFERS, False)], wide=True))


def test_offers_table_by_spot_price(golden):
    spot = [o for o in OFFERS if o.spot_usd_per_hour is not None]
    golden("output/offers.spot.table.txt", to_text([offers_table(spot, True)], wide=True))


def test_prices_per_hour_round_half_up():
    # 40.96635 $/h is shown 40.9664 (the float 40.96635 is a hair below it: .4f said 40.9663)
    assert " 40.9664 " in to_text([offers_table(OFFERS, False)], wide=True)


def test_offers_json_has_every_field_and_the_accelerator_price():
    rows = offers_json(OFFERS, "on-demand")
    assert rows[2]["instance_type"] == "p4de.24xlarge"
    assert rows[2]["usd_per_accelerator_hour"] == 40.96635 / 8
    assert rows[0]["usd_per_accelerator_hour"] is None
    assert set(rows[0]) >= {"cloud", "region", "vcpus", "memory_gib", "usd_per_hour", "burstable"}


def test_info_tables(golden):
    catalog = FakeCatalog()
    parts = [info_table(catalog, NOW), "\n".join(source_lines(catalog)), regions_table(catalog)]
    golden("output/info.table.txt", to_text(parts, wide=True))


def test_info_json(golden):
    golden("output/info.json", json.dumps(info_json(FakeCatalog(), NOW), indent=2) + "\n")
