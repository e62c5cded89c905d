"""placer.yaml fuzzed: whatever a pull request puts in it, placer answers with a result or
a one-line error (exit 2), never a crash (exit 1). Budget: tests/fixtures/fuzz.FUZZ."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

import yaml
from fixtures.fuzz import FUZZ, damaged_text, mutated, yaml_text
from hypothesis import given
from hypothesis import strategies as st

from placer.cli import main
from placer.cli._env import Environment
from placer.config import parse_config
from placer.errors import PlacerError

ROOT = Path(__file__).resolve().parents[1]
FULL = (ROOT / "tests" / "fixtures" / "config" / "full.yaml").read_text()
CROSSCLOUD = ROOT / "examples" / "crosscloud" / "crosscloudflow.py"
# every section placer.yaml has, for the example flow's steps (so a plan can be made)
SEED = """\
datastore: {cloud: aws, region: us-east-1}
runs_per_month: 30
defaults: {foreach_width: 8, duration: 10m, input: 100MB, output: 100MB, packing: shared,
           spot_overhead: 0.1}
pools:
  - {name: aws-use1, cloud: aws, region: us-east-1, node_selector: {outerbounds.co/provider: aws},
     max_vcpus: 64, max_memory_gib: 256, max_nodes: 8, speed: 1.0}
  - {name: azure-eastus, cloud: azure, region: eastus, capacity_type: spot,
     node_selector: "outerbounds.co/provider=azure", instance_types: ["Standard_D*"]}
  - {name: gcp-usc1, cloud: gcp, region: us-central1, compute_pool: gcp-central}
steps:
  process: {tasks: 8, duration: 45m, input: 2GB, output: 1GB,
            reads: [{location: "aws:us-east-1", size: 1GB}], allowed_clouds: [aws, azure]}
  end: {duration: 1m, pools: [aws-use1]}
constraints:
  max_workers: 16
  deadline: 4h
  budget: 100
  bandwidth_gbps: 5
  bandwidth: [{between: [aws, azure], gbps: 2}]
"""


def _texts(seed: str) -> st.SearchStrategy[str]:
    tree = yaml.safe_load(seed)
    return mutated(tree).map(yaml_text) | damaged_text(seed, tags=True)


@FUZZ
@given(_texts(FULL))
def test_placer_yaml_is_a_config_or_a_placer_error(text: str) -> None:
    try:
        parse_config(text, "placer.yaml")
    except PlacerError as exc:
        assert exc.exit_status == 2 and "\n" not in exc.one_line()


@FUZZ
@given(_texts(SEED))
def test_placer_plan_with_a_fuzzed_placer_yaml_never_crashes(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        flow = Path(directory) / "flow.py"
        shutil.copy(CROSSCLOUD, flow)
        (Path(directory) / "placer.yaml").write_text(text)
        out, err = io.StringIO(), io.StringIO()
        argv = ["plan", str(flow), "--out", str(Path(directory) / "plan.json"), "--time-limit", "5"]
        code = main(argv, Environment(stdout=out, stderr=err, width=100))
        assert code in (0, 2), err.getvalue()
        assert "error: unexpected" not in err.getvalue()
        assert (Path(directory) / "plan.json").exists() == (code == 0)  # no file on failure
