"""Proof that the real run follows an applied plan.

Starts moto's S3 server on 127.0.0.1, applies a plan to each example flow (copied to a
temp dir), then asks Metaflow itself to compile the flow: `argo-workflows create
--only-json` (and `airflow create` for one flow). Every step template's nodeSelector
must equal the plan's selector, and its resource requests what the plan priced.
"""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from fixtures.plan.apply_plans import make_plan, step_plan

from placer.apply._rewrite import full_selector
from placer.cli import main
from placer.cli._env import Environment
from placer.flow import read_flow
from placer.plan import Plan, read_plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {
    "crosscloud/crosscloudflow.py": "CrossCloudFlow",
    "gpu_training/trainflow.py": "TrainFlow",
    "etl/etlflow.py": "EtlFlow",
    "branching/branchflow.py": "BranchFlow",
}
BUCKET = "placer-apply-test"
# Pools the hand-made plans rotate through: GCP spot, Azure on-demand, a compute pool.
SELECTORS = [
    {
        "outerbounds.co/provider": "gcp",
        "topology.kubernetes.io/region": "us-central1",
        "cloud.google.com/gke-spot": "true",
    },
    {"outerbounds.co/provider": "azure", "topology.kubernetes.io/region": "eastus"},
    {"outerbounds.co/compute-pool": "cheap-pool"},
]


@pytest.fixture(scope="module")
def metaflow_env(tmp_path_factory, moto_server: str) -> dict[str, str]:
    """Environment for Metaflow subprocesses: local metadata, S3 datastore on moto."""
    endpoint = moto_server
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET)
    home = tmp_path_factory.mktemp("home")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "METAFLOW_DEFAULT_METADATA": "local",
        "METAFLOW_DEFAULT_DATASTORE": "s3",
        "METAFLOW_DATASTORE_SYSROOT_S3": f"s3://{BUCKET}/metaflow",
        "METAFLOW_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "METAFLOW_KUBERNETES_NAMESPACE": "default",
        "USERNAME": "placer-test",
        "HOME": str(home),
    }
    return env


def _plan_for(flow_path: Path, flow_class: str) -> Plan:
    """A plan as the optimizer writes it: each step's priced request is its pod request."""
    flow = read_flow(flow_path, flow_class)
    steps = {}
    for index, (name, step) in enumerate(flow.steps.items()):
        selector = SELECTORS[index % len(SELECTORS)]
        pool = selector.get("outerbounds.co/compute-pool")
        request = step.pod_request
        assert request is not None
        declared = step.declared.as_json() if step.declared else None
        steps[name] = step_plan(selector, pool, request.as_json(), declared, pool=f"pool-{index}")
    return make_plan(flow_class, steps, flow_path.name, flow_path.read_bytes())


def _write_plan(plan: Plan, path: Path) -> Path:
    path.write_text(plan.dumps(), encoding="utf-8")
    return path


def _apply(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(["apply", *argv], Environment(stdout=out, stderr=err))
    assert code == 0, err.getvalue()
    return out.getvalue()


def _metaflow(flow: Path, env: Mapping[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, flow.name, "--no-pylint", *args],
        cwd=flow.parent,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _argo_steps(flow: Path, env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Step templates of `argo-workflows create --only-json`, by step name."""
    text = _metaflow(flow, env, "argo-workflows", "create", "--only-json")
    template = json.loads(text[text.index("{") :])
    return {t["name"]: t for t in template["spec"]["templates"] if "container" in t}


def _assert_follows(templates: Mapping[str, Any], plan: Plan, sizes: Mapping[str, Any]) -> None:
    assert set(plan.steps) <= set(templates)  # plus Metaflow's error-capture hook
    for name, step in plan.steps.items():
        template = templates[name]
        assert template["nodeSelector"] == full_selector(step), name
        requests = template["container"]["resources"]["requests"]
        assert float(requests["cpu"]) == float(sizes[name]["cpu"]), name
        assert float(requests["memory"].removesuffix("M")) == float(sizes[name]["memory"]), name


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_argo_template_follows_applied_plan(example, tmp_path, metaflow_env):
    flow = tmp_path / Path(example).name
    shutil.copy(ROOT / "examples" / example, flow)
    plan = _plan_for(flow, EXAMPLES[example])
    plan_path = _write_plan(plan, tmp_path / "plan.json")
    _apply(str(plan_path))
    assert flow.read_bytes() != (ROOT / "examples" / example).read_bytes()
    templates = _argo_steps(flow, metaflow_env)
    _assert_follows(templates, plan, {n: s.resources for n, s in plan.steps.items()})
    for name, step in plan.steps.items():
        if step.resources["gpu"]:
            limits = templates[name]["container"]["resources"]["limits"]
            assert int(limits["nvidia.com/gpu"]) == step.resources["gpu"], name


@pytest.mark.parametrize("example", ["etl/etlflow.py", "branching/branchflow.py"])
def test_real_plan_end_to_end(example, tmp_path, metaflow_env):
    """`placer plan` (with the example's placer.yaml), then `placer apply`, reaches Argo."""
    source = ROOT / "examples" / example
    flow = tmp_path / source.name
    shutil.copy(source, flow)
    shutil.copy(source.parent / "placer.yaml", tmp_path / "placer.yaml")
    plan_path = tmp_path / "plan.json"
    err = io.StringIO()
    code = main(["plan", str(flow), "--out", str(plan_path)], Environment(io.StringIO(), err))
    assert code == 0, err.getvalue()
    plan = read_plan(plan_path)
    assert any(s.compute_pool for s in plan.steps.values())  # both examples use one
    _apply(str(plan_path))
    templates = _argo_steps(flow, metaflow_env)
    _assert_follows(templates, plan, {n: s.resources for n, s in plan.steps.items()})


def test_config_mode_with_right_size_reaches_argo(tmp_path, metaflow_env):
    flow = tmp_path / "crosscloudflow.py"
    shutil.copy(ROOT / "examples/crosscloud/crosscloudflow.py", flow)
    plan = _plan_for(flow, "CrossCloudFlow")
    plan_path = _write_plan(plan, tmp_path / "plan.json")
    _apply(str(plan_path), "--mode", "config", "--right-size")
    placement = json.loads((tmp_path / "placement.json").read_text())
    assert placement["steps"]["process"]["node_selector"] == full_selector(plan.steps["process"])
    assert placement["steps"]["process"]["memory"] == 512  # @resources(cpu=1, memory=512)
    templates = _argo_steps(flow, metaflow_env)
    sizes = {n: s.declared or s.resources for n, s in plan.steps.items()}
    _assert_follows(templates, plan, sizes)
    # right-sized: process asks what @resources says, not the 4096 MB @kubernetes floor
    memory = templates["process"]["container"]["resources"]["requests"]["memory"]
    assert float(memory.removesuffix("M")) == 512.0


def test_airflow_dag_follows_applied_plan(tmp_path, metaflow_env):
    # Airflow wants a join right after a foreach body; the cross-cloud flow has one
    flow = tmp_path / "crosscloudflow.py"
    shutil.copy(ROOT / "examples/crosscloud/crosscloudflow.py", flow)
    plan = _plan_for(flow, "CrossCloudFlow")
    _apply(str(_write_plan(plan, tmp_path / "plan.json")))
    _metaflow(flow, metaflow_env, "airflow", "create", "dag.py")
    states = _airflow_config(tmp_path / "dag.py")["states"]
    assert set(states) == set(plan.steps)
    for name, step in plan.steps.items():
        args = states[name]["operator_args"]
        assert args["node_selector"] == full_selector(step), name
        assert float(args["resources"]["requests"]["cpu"]) == float(step.resources["cpu"]), name


def _airflow_config(dag: Path) -> dict[str, Any]:
    """The `CONFIG = {...}` literal Metaflow writes at the top of an Airflow DAG file."""
    for node in ast.parse(dag.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "CONFIG":
            return ast.literal_eval(node.value)
    raise AssertionError("no CONFIG in the generated DAG")


# --- flow projects: steps from a base class in another module, Config-valued resources ----

INHERIT = ROOT / "tests" / "fixtures" / "projects" / "inherit"


def _templates(text: str) -> dict[str, dict[str, Any]]:
    """Each step's nodeSelector and requests in the Argo JSON; a @parallel step is a JobSet
    `resource` template whose manifest holds a pod spec per replicated job."""
    import re

    import yaml

    template = json.loads(text[text.index("{") :])
    out: dict[str, dict[str, Any]] = {}
    for t in template["spec"]["templates"]:
        if "container" in t:
            out[t["name"]] = {
                "selectors": [t.get("nodeSelector")],
                "requests": [t["container"]["resources"]["requests"]],
            }
        elif "resource" in t:  # Argo expressions ({{=...}}) are not YAML: blank them out
            manifest = yaml.safe_load(re.sub(r"\{\{[^}]*\}\}", "X", t["resource"]["manifest"]))
            pods = [
                j["template"]["spec"]["template"]["spec"]
                for j in manifest["spec"]["replicatedJobs"]
            ]
            out[t["name"]] = {
                "selectors": [p.get("nodeSelector") for p in pods],
                "requests": [p["containers"][0]["resources"]["requests"] for p in pods],
            }
    return out


def _code_package(text: str, env: Mapping[str, str]) -> list[str]:
    """The file names in the code package `argo-workflows create` uploaded to S3."""
    import re
    import tarfile

    url = next(u for u in re.findall(r"s3://[^\"\\\s]+/data/[0-9a-f]{2}/[0-9a-f]{40}", text))
    bucket, _, key = url.removeprefix("s3://").partition("/")
    s3 = boto3.client(
        "s3",
        endpoint_url=env["METAFLOW_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    blob = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        return tar.getnames()


def test_mutator_mode_places_inherited_steps_in_argo(tmp_path, metaflow_env):
    """Steps from a base class in another module: every template carries the plan."""
    shutil.copytree(INHERIT, tmp_path / "proj")
    flow = tmp_path / "proj" / "flow.py"
    base_module = (flow.parent / "common" / "pipeline.py").read_bytes()
    plan = _plan_for(flow, "Training")
    assert {read_flow(flow).steps[n].owner for n in plan.steps} == {"Pipeline", "Training"}
    _apply(str(_write_plan(plan, flow.parent / "plan.json")), "--mode", "mutator")
    assert (flow.parent / "common" / "pipeline.py").read_bytes() == base_module
    text = _metaflow(flow, metaflow_env, "argo-workflows", "create", "--only-json")
    templates = _templates(text)
    placed = read_flow(flow)  # placer's reading of the placed flow
    for name, step in plan.steps.items():
        template = templates[name]
        assert template["selectors"] == [full_selector(step)] * len(template["selectors"]), name
        # sizes are the flow's own, Config-valued ones included: what placer reads
        request = placed.steps[name].pod_request
        for requests in template["requests"]:
            assert float(requests["cpu"]) == request.cpu, name
            assert float(requests["memory"].removesuffix("M")) == request.memory_mb, name
    assert float(templates["train"]["requests"][0]["memory"].removesuffix("M")) == 32768
    names = _code_package(text, metaflow_env)
    assert {"placement.json", "placer_placement.py", "common/pipeline.py"} <= set(names)


@pytest.mark.parametrize("override", [None, "prod.json"])
def test_config_valued_resources_equal_metaflows_merged_request(tmp_path, metaflow_env, override):
    """`placer graph` with --flow-config reads what Metaflow's `--config NAME FILE` deploys."""
    from placer.flow import ReadOptions

    shutil.copytree(INHERIT, tmp_path / "proj")
    flow = tmp_path / "proj" / "flow.py"
    args: tuple[str, ...] = ()
    options = ReadOptions()
    if override:
        (flow.parent / override).write_text(
            '{"pool": "team=prod", "train": {"cpu": 3, "memory": 12000}, "workers": 2, '
            '"gather": {"memory": 5000, "node_selector": {"tier": "prod"}}}'
        )
        args = ("--config", "config", override)
        options = ReadOptions(config_files={"config": flow.parent / override})
    ours = read_flow(flow, options=options)
    text = _metaflow(flow, metaflow_env, *args, "argo-workflows", "create", "--only-json")
    for name, template in _templates(text).items():
        if name not in ours.steps:
            continue  # Metaflow's error-capture hook
        request = ours.steps[name].pod_request
        for requests in template["requests"]:
            assert float(requests["cpu"]) == request.cpu, name
            assert float(requests["memory"].removesuffix("M")) == request.memory_mb, name
        expected = dict(ours.steps[name].placement.node_selector)
        assert (template["selectors"][0] or {}) == expected, name
    assert ours.steps["train"].pod_request.cpu == (3 if override else 8)
