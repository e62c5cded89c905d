"""`placer explain`'s views (placer.output.explain): the tables and reasons as expected
text, and the JSON form of docs/explain.md."""

import json

from fixtures.output_cases import explanation

from placer.output.explain import explain_json, explain_view
from placer.output.table import to_text


def test_explain_view_expected_text(golden):
    golden("output/explain.table.txt", to_text(explain_view(explanation()), width=100))


def test_explain_view_folds_verdicts_in_a_narrow_terminal(golden):
    golden("output/explain.narrow.table.txt", to_text(explain_view(explanation()), width=72))


def test_explain_json_keeps_money_to_a_hundredth_of_a_cent_and_every_bound():
    data = json.loads(json.dumps(explain_json(explanation())))
    assert data["format_version"] == "1.0"
    assert data["flow"] == {"name": "SmallFlow", "file": "flows/smallflow.py"}
    assert data["plan"]["per_run"] == "1.7500" and data["solves"] == 3
    train = data["steps"]["train"]
    assert (train["pool"], train["tasks"]) == ("aws-use1", 4)
    assert [p["pool"] for p in train["pools"]] == ["aws-use1", "gcp-usc1", "azure-eastus"]
    gcp = train["pools"][1]
    assert (gcp["compute"], gcp["egress"], gcp["total"]) == ("5.6800", "15.2900", "20.9700")
    assert gcp["egress_gb"] == 168.0 and gcp["hours"] == 8.04
    assert gcp["verdict"]["kind"] == "egress"
    assert gcp["verdict"]["delta_per_run"] == "14.5316"
    assert gcp["verdict"]["low_per_run"] == gcp["verdict"]["high_per_run"] == "14.5316"
    azure = train["pools"][2]
    assert azure["instance_type"] is None and azure["total"] is None
    assert azure["verdict"]["delta_per_run"] is None
    coupled = data["steps"]["end"]["pools"][1]["verdict"]
    assert coupled["kind"] == "coupled" and coupled["steps"] == ["train"]
    assert (coupled["low_per_run"], coupled["high_per_run"]) == ("0.0000", None)
    assert coupled["delta_per_run"] is None and coupled["solved"] is False
