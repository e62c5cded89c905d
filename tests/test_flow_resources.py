"""Effective resources: placer's static merge against Metaflow's own `step_init` merge.

The oracle imports the generated flow, takes the decorator objects Metaflow attached to
the step and runs `KubernetesDecorator.step_init` (with a stand-in S3 datastore) the way
a real launch would; for a step without @kubernetes it adds a default @kubernetes, as
`placer apply` does. Hand-computed cases pin the rules the issue states.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metaflow.plugins.kubernetes.kubernetes_decorator import KubernetesDecorator

from placer.errors import FlowError
from placer.flow import Resources, read_flow

_counter = itertools.count()
_SIZE = st.one_of(
    st.integers(min_value=1, max_value=300_000),
    st.integers(min_value=1, max_value=300_000).map(str),
    st.sampled_from([0, 0.5, 2.5, "0.25"]),
)
_CPU = st.one_of(st.integers(min_value=0, max_value=96), st.sampled_from([0.5, 1.5, "2", "0.25"]))
_GPU = st.one_of(st.integers(min_value=0, max_value=8), st.sampled_from(["1", "2", 1.5, "0.5"]))
_VENDOR = st.sampled_from(["nvidia", "amd", "AMD", "intel"])


def _args(**fields):
    return st.fixed_dictionaries({}, optional=fields)


_KUBE_ARGS = _args(cpu=_CPU, memory=_SIZE, disk=_SIZE, gpu=_GPU, gpu_vendor=_VENDOR)
_RES_ARGS = _args(cpu=_CPU, memory=_SIZE, disk=_SIZE, gpu=_GPU)


def _call(name: str, args: dict) -> str:
    return f"@{name}(" + ", ".join(f"{k}={v!r}" for k, v in args.items()) + ")"


def write_flow(directory: Path, kube: dict | None, res: dict | None) -> Path:
    decos = ([_call("resources", res)] if res is not None else []) + (
        [_call("kubernetes", kube)] if kube is not None else []
    )
    body = "\n".join(f"    {d}" for d in decos)
    path = directory / f"resflow_{next(_counter)}.py"
    path.write_text(
        "from metaflow import FlowSpec, kubernetes, resources, step\n\n\n"
        "class ResFlow(FlowSpec):\n"
        "    @step\n    def start(self):\n        self.next(self.work)\n\n"
        f"{body}\n    @step\n    def work(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    return path


def metaflow_request(path: Path) -> Resources | None:
    """What Metaflow's step_init asks Kubernetes for (None if Metaflow refuses the step)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    decos = list(module.ResFlow.work.decorators)
    kube = next((d for d in decos if d.name == "kubernetes"), None)
    if kube is None:
        kube = KubernetesDecorator()
        decos.append(kube)
    try:
        for deco in decos:
            deco.external_init()
        kube.step_init(None, None, "work", decos, None, SimpleNamespace(TYPE="s3"), None)
    except Exception:  # Metaflow refuses these values (its own exception types vary)
        return None
    attrs = kube.attributes
    gpu = int(float(attrs["gpu"])) if attrs["gpu"] is not None else 0
    return Resources(
        float(attrs["cpu"]),
        float(attrs["memory"]),
        float(attrs["disk"]),
        gpu,
        attrs["gpu_vendor"].lower() if gpu else None,
    )


def placer_request(path: Path) -> Resources | None:
    try:
        return read_flow(path).steps["work"].pod_request
    except FlowError:
        return None


@pytest.fixture(autouse=True)
def _no_kubernetes_env(monkeypatch):
    # deployment defaults would change Metaflow's answer; the file alone must decide it
    for name in list(os.environ):
        if name.startswith("METAFLOW_KUBERNETES"):
            monkeypatch.delenv(name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kube=st.one_of(st.none(), _KUBE_ARGS), res=st.one_of(st.none(), _RES_ARGS))
def test_pod_request_matches_metaflow_step_init(tmp_path_factory, kube, res):
    path = write_flow(tmp_path_factory.mktemp("res"), kube, res)
    assert placer_request(path) == metaflow_request(path)


def _work(tmp_path, kube, res):
    return read_flow(write_flow(tmp_path, kube, res)).steps["work"]


def test_resources_below_kubernetes_defaults_are_raised_to_them(tmp_path):
    # the example: @resources(cpu=1, memory=512) + @kubernetes(node_selector=...)
    step = _work(
        tmp_path, {"node_selector": "outerbounds.co/provider=azure"}, {"cpu": 1, "memory": 512}
    )
    assert step.resources == Resources(1.0, 4096.0, 10240.0, 0, None)
    assert step.declared == Resources(1.0, 512.0, 0.0, 0, None)
    assert step.pod_request == step.resources


def test_kubernetes_alone_can_ask_below_its_defaults(tmp_path):
    step = _work(tmp_path, {"cpu": 0.5, "memory": 512}, None)
    assert step.resources == Resources(0.5, 512.0, 10240.0, 0, None)
    assert step.declared is None


def test_max_of_both_per_dimension(tmp_path):
    step = _work(
        tmp_path,
        {"cpu": 8, "memory": 2048, "disk": 40960},
        {"cpu": 2, "memory": 65536, "disk": 20480},
    )
    assert step.resources == Resources(8.0, 65536.0, 40960.0, 0, None)


def test_resources_gpu_replaces_kubernetes_gpu(tmp_path):
    # step_init copies @resources' gpu over @kubernetes' gpu (no max): 1, not 4
    step = _work(tmp_path, {"gpu": 4, "gpu_vendor": "AMD"}, {"gpu": 1})
    assert step.resources == Resources(1.0, 4096.0, 10240.0, 1, "amd")


def test_step_without_kubernetes_has_no_resources_but_a_pod_request(tmp_path):
    step = _work(tmp_path, None, {"cpu": 16, "memory": 1024, "gpu": 2})
    assert step.backend == "local"
    assert step.resources is None
    assert step.pod_request == Resources(16.0, 4096.0, 10240.0, 2, "nvidia")
    assert step.declared == Resources(16.0, 1024.0, 0.0, 2, None)


def test_bare_step_pod_request_is_the_kubernetes_default(tmp_path):
    step = _work(tmp_path, None, None)
    assert step.pod_request == Resources(1.0, 4096.0, 10240.0, 0, None)
    assert step.declared is None


@pytest.mark.parametrize(
    ("decorator", "said"),
    [
        ("@resources(cpu='nan')", "asks for cpu='nan'; it must be a finite number"),
        ("@kubernetes(cpu='inf')", "asks for cpu='inf'; it must be a finite number"),
        ("@resources(memory=1e400)", "asks for memory=inf; it must be a finite number"),
        ("@resources(disk=" + "9" * 38 + ")", "and at most 1,000,000,000,000 MB"),
        ("@resources(gpu=10**9)", "gpu="),
        (
            "@resources(gpu=1000000)",
            "asks for gpu=1000000 in @resources; it must be from 0 to 1,000",
        ),
        # Metaflow's max() with @kubernetes' defaults would run it with 1 CPU, and the plan
        # could not hold it (issue 14: a plan placer wrote and then refused to read)
        ("@resources(cpu=-1)", "asks for cpu=-1 in @resources; it must be 0 or more"),
    ],
)
def test_sizes_are_finite_and_in_range(tmp_path, decorator, said):
    path = tmp_path / "flow.py"
    path.write_text(
        "from metaflow import FlowSpec, kubernetes, resources, step\n\n\n"
        "class ResFlow(FlowSpec):\n"
        f"    {decorator}\n    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    with pytest.raises(FlowError, match=re.escape(said)):
        read_flow(path)
