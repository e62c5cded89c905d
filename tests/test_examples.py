"""The example flows: Metaflow 2.19 accepts them offline, and placer reads what they say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from placer.flow import Resources, read_flow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NO_NETWORK = """\
import socket

def _refuse(*args, **kwargs):
    raise OSError("network access at import/show time")

socket.socket.connect = _refuse
socket.create_connection = _refuse
"""


def test_metaflow_shows_every_example_without_network(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(NO_NETWORK)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("METAFLOW_")},
        "PYTHONPATH": str(tmp_path),
        "HOME": str(tmp_path),
        "USERNAME": "placer-test",
        # @kubernetes needs a cloud datastore configured, not reachable
        "METAFLOW_DEFAULT_DATASTORE": "s3",
        "METAFLOW_DATASTORE_SYSROOT_S3": "s3://placer-test/metaflow",
        "METAFLOW_DEFAULT_METADATA": "local",
    }
    flows = sorted(EXAMPLES.glob("*/*.py"))
    assert [f.parent.name for f in flows] == ["branching", "crosscloud", "etl", "gpu_training"]
    procs = [
        subprocess.Popen(
            [sys.executable, str(f), "show"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for f in flows
    ]
    for flow, proc in zip(flows, procs, strict=True):
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{flow}: {out}"
        assert "Step end" in out


def test_crosscloud_example():
    flow = read_flow(EXAMPLES / "crosscloud" / "crosscloudflow.py")
    start, process = flow.steps["start"], flow.steps["process"]
    assert (start.type, start.foreach) == ("foreach", "titles")
    assert dict(start.placement.node_selector) == {"outerbounds.co/provider": "aws"}
    assert dict(process.placement.node_selector) == {"outerbounds.co/provider": "azure"}
    assert process.resources == Resources(1.0, 4096.0, 10240.0)
    assert process.declared == Resources(1.0, 512.0, 0.0)


def test_gpu_training_example():
    steps = read_flow(EXAMPLES / "gpu_training" / "trainflow.py").steps
    assert steps["prepare"].resources == Resources(8.0, 32768.0, 102400.0)
    assert steps["train"].resources == Resources(3.0, 12000.0, 10240.0, 1, "nvidia")
    assert steps["train"].foreach_stack == ("prepare",)
    assert steps["evaluate"].resources == Resources(2.0, 8192.0, 10240.0)
    assert steps["start"].backend == steps["end"].backend == "local"


def test_etl_example():
    steps = read_flow(EXAMPLES / "etl" / "etlflow.py").steps
    assert [s.in_foreach for s in steps.values()] == [False, True, True, False, False]
    assert steps["extract"].resources == Resources(2.0, 8192.0, 51200.0)
    assert steps["load"].placement.compute_pool == "warehouse"
    assert steps["load"].resources == Resources(2.0, 4096.0, 10240.0)


def test_branching_example():
    steps = read_flow(EXAMPLES / "branching" / "branchflow.py").steps
    assert steps["start"].type == "split" and steps["merge"].type == "join"
    assert dict(steps["route"].switch_cases) == {"quick": "quick", "thorough": "thorough"}
    assert steps["report"].type == "linear"
    assert steps["labels"].resources == Resources(0.5, 512.0, 10240.0)
    assert steps["thorough"].resources == Resources(16.0, 65536.0, 10240.0)
