"""Fixtures shared by every test module: local servers that speak real wire formats, and
expected-text (golden) files.

Helpers that build objects (flows, configs, plans, instances, fake price APIs) live in the
`fixtures` package next to this file (`tests/fixtures/`): import them as
``from fixtures.plan.factory import config, flow``. No test module imports another one.

- `moto_server`: one moto server (S3 and EC2) on 127.0.0.1 per test session (one per
  xdist worker). moto keeps state per region and bucket, and the state outlives a test:
  a test that creates resources uses a region or bucket of its own.
- `kube_api`: serves fake Kubernetes clusters (tests/fixtures/kube/kubeapi.py) on free
  127.0.0.1 ports and writes a kubeconfig with one context per cluster; stopped after the
  test. `kubeconfig`: the three example clusters (eks, gke, aks) served that way.
- `golden`: compares text with a file under tests/fixtures/; PLACER_UPDATE_GOLDEN=1 rewrites
  the file instead (review the diff before committing it).
- `learn_runs`: real Metaflow runs of tests/fixtures/learn/learnflow.py (local metadata and
  datastore in a temp dir), made once per test session, shared by the xdist workers.
- `metadata_service`: a local HTTP server speaking the Metaflow metadata service's routes,
  serving those runs (`metadata_service.url`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fixtures.kube.clusters import cluster
from fixtures.kube.kubeapi import FakeCluster, serve_all
from fixtures.learn.runs import LearnRuns, learn_runs_in
from fixtures.learn.service import FakeService

FIXTURES = Path(__file__).parent / "fixtures"
KubeApi = Callable[..., Path]


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The base URL of a moto server (S3, EC2) on 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def kube_api(tmp_path: Path) -> Iterator[KubeApi]:
    """`kube_api(clusters, current=None, tokens=None, name="kubeconfig") -> kubeconfig path`:
    serve each FakeCluster under its context name until the test ends."""
    with ExitStack() as stack:

        def start(
            clusters: dict[str, FakeCluster],
            current: str | None = None,
            tokens: dict[str, str] | None = None,
            name: str = "kubeconfig",
        ) -> Path:
            return stack.enter_context(serve_all(tmp_path / name, clusters, current, tokens))

        yield start


@pytest.fixture
def kube_clusters() -> dict[str, FakeCluster]:
    """The three example clusters of tests/fixtures/kube/clusters.py, by context name."""
    return {name: FakeCluster(**cluster(name)) for name in ("eks", "gke", "aks")}


@pytest.fixture
def kubeconfig(kube_api: KubeApi, kube_clusters: dict[str, FakeCluster]) -> Path:
    """A kubeconfig whose contexts eks (current), gke and aks are served locally."""
    return kube_api(kube_clusters)


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """`golden(relative_path, text)`: assert `text` equals tests/fixtures/<relative_path>."""

    def check(name: str, text: str) -> None:
        path = FIXTURES / name
        if os.environ.get("PLACER_UPDATE_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert text == path.read_text(encoding="utf-8")

    return check


@pytest.fixture(scope="session")
def learn_runs(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> LearnRuns:
    """Made once per session (~15 s: the flows sleep); under xdist the first worker makes
    them in the session's shared temp dir and the others wait for it."""
    base = tmp_path_factory.getbasetemp()
    return learn_runs_in(base if worker_id == "master" else base.parent)


@pytest.fixture
def metadata_service(httpserver, learn_runs: LearnRuns) -> Iterator[FakeService]:
    """The learn_runs served as a Metaflow metadata service would (its URL: `.url`)."""
    import re

    fake = FakeService(learn_runs.store, httpserver.url_for("/").rstrip("/"))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake)
    yield fake
