"""placer.learn through Metaflow's service metadata provider, against a local HTTP server
that speaks the metadata service's routes (Netflix/metaflow-service: services/
metadata_service/api) and serves the rows Metaflow itself wrote for the real runs of
conftest.learn_runs (the local provider stores each row as the JSON it would POST)."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from placer.errors import LearnError
from placer.flow import read_flow
from placer.learn import Selection, connect, learn
from placer.learn._source import _ping

FLOW = "LearnFlow"


class FakeService:
    """Rows of a local metadata store, answered on the service's GET routes."""

    def __init__(self, store: Path, run_level_metadata: bool = True):
        self.flow_dir = store / ".metaflow" / FLOW
        self.run_level_metadata = run_level_metadata
        self.requests: list[str] = []

    def _json(self, path: Path) -> dict:
        return json.loads(path.read_text())

    def _self(self, *parts: str) -> dict:
        row = self._json(self.flow_dir.joinpath(*parts, "_meta", "_self.json"))
        row.setdefault("system_tags", [])
        return row

    def _children(self, *parts: str) -> list[str]:
        base = self.flow_dir.joinpath(*parts)
        return sorted(p.name for p in base.iterdir() if (p / "_meta" / "_self.json").is_file())

    def _metadata(self, *parts: str) -> list[dict]:
        meta = self.flow_dir.joinpath(*parts, "_meta")
        return [self._json(p) for p in sorted(meta.glob("sysmeta_*.json"))]

    def route(self, path: str) -> object:
        runs = self._children()
        if path == "/ping":
            return "pong"
        if path == f"/flows/{FLOW}/runs":
            return [self._self(r) for r in runs]
        match = re.fullmatch(rf"/flows/{FLOW}/runs/([^/]+)(/.*)?", path)
        if not match or match[1] not in runs:
            return None
        run, rest = match[1], match[2] or ""
        if rest == "":
            return self._self(run)
        if rest == "/metadata":
            if not self.run_level_metadata:
                return None
            return [row for s in self._children(run) for t in self._children(run, s)
                    for row in self._metadata(run, s, t)]
        if rest == "/steps":
            return [self._self(run, s) for s in self._children(run)]
        step = re.fullmatch(r"/steps/([^/]+)/tasks(?:/([^/]+)/metadata)?", rest)
        if step and step[2]:
            return self._metadata(run, step[1], step[2])
        if step:
            return [self._self(run, step[1], t) for t in self._children(run, step[1])]
        return None

    def __call__(self, request: Request) -> Response:
        self.requests.append(request.path)
        body = self.route(request.path)
        if body is None:
            return Response("not found", status=404)
        headers = {"METADATA_SERVICE_VERSION": "2.4.0"}
        return Response(json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def service(httpserver: HTTPServer, learn_runs) -> Iterator[FakeService]:
    fake = FakeService(learn_runs.store)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake)
    yield fake


def _learn_from(url: str, learn_runs):
    source = connect(f"service@{url}", namespace="user:placer-test")
    return learn(read_flow(learn_runs.flow), source, Selection())


def test_service_reads_a_run_in_one_request(service, httpserver, learn_runs):
    local = learn(
        read_flow(learn_runs.flow),
        connect(learn_runs.metadata, namespace="user:placer-test"),
        Selection(),
    )
    url = httpserver.url_for("/").rstrip("/")
    remote = _learn_from(url, learn_runs)
    assert remote.source == f"service@{url}"
    assert remote.steps == local.steps and remote.failed == local.failed
    per_run = [p for p in service.requests if p.endswith("/metadata")]
    assert len(per_run) == 3  # ok_large, failed, ok_small: one request each
    assert not any("/tasks" in p for p in service.requests)


def test_service_without_the_run_route_is_read_per_task(service, httpserver, learn_runs):
    service.run_level_metadata = False
    url = httpserver.url_for("/").rstrip("/")
    remote = _learn_from(url, learn_runs)
    assert remote.steps["work"].width.max == 5.0 and remote.failed == (learn_runs.failed,)
    assert any(p.endswith("/tasks") for p in service.requests)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_service_is_one_clear_error():
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(LearnError, match="metadata service can't be reached") as caught:
        _ping(url)
    assert caught.value.location == url
    with pytest.raises(LearnError, match="can't be reached"):
        connect(f"service@{url}")
