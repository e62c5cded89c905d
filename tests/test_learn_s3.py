"""Sizes from an S3 datastore: Metaflow runs the learn flow with its artifacts in S3 (moto's
server on 127.0.0.1) and local metadata; `placer learn` then reads each task's
`<attempt>.data.json` from S3 through Metaflow's S3 storage class, configured only by the
environment Metaflow reads (METAFLOW_S3_ENDPOINT_URL and the AWS variables)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from fixtures.learn.runs import HERE as LEARN_FIXTURES

BUCKET = "placer-learn-test"
KB = 1000


@pytest.fixture(scope="module")
def s3_run(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("learn-s3")
    shutil.copy(LEARN_FIXTURES / "learnflow.py", root / "learnflow.py")
    boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET)
    (root / "home").mkdir()
    env = {
        "PATH": "",
        "HOME": str(root / "home"),
        "METAFLOW_HOME": str(root / "home"),
        "METAFLOW_DEFAULT_METADATA": "local",
        "METAFLOW_DATASTORE_SYSROOT_LOCAL": str(root / "meta"),
        "METAFLOW_DEFAULT_DATASTORE": "s3",
        "METAFLOW_DATASTORE_SYSROOT_S3": f"s3://{BUCKET}/metaflow",
        "METAFLOW_S3_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "USERNAME": "placer-s3",
    }
    done = subprocess.run(
        [sys.executable, "learnflow.py", "--no-pylint", "run", "--width", "2"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root, env


def test_sizes_come_from_the_s3_datastore(s3_run):
    root, env = s3_run
    done = subprocess.run(
        [sys.executable, "-m", "placer", "learn", "learnflow.py", "--format", "json"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    learned = json.loads(done.stdout)
    work = learned["steps"]["work"]
    assert work["foreach_width"]["max"] == 2
    assert 150 * KB <= work["output_bytes"]["p50"] <= 152 * KB  # 100 kB and 200 kB
    assert 300 * KB <= learned["steps"]["gather"]["input_bytes"]["p50"] <= 305 * KB
    assert not (root / "meta" / ".metaflow" / "LearnFlow" / "data").exists()  # blobs in S3
