"""placer.learn through Metaflow's service metadata provider, against a local HTTP server
that speaks the metadata service's routes and serves the rows Metaflow itself wrote for the
real runs of conftest.learn_runs (tests/fixtures/learn/service.py)."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from placer.errors import LearnError
from placer.flow import read_flow
from placer.learn import Selection, connect, learn


def _learn_from(url: str, learn_runs):
    source = connect(f"service@{url}", namespace="user:placer-test")
    return learn(read_flow(learn_runs.flow), source, Selection())


def test_service_reads_a_run_in_one_request(metadata_service, learn_runs):
    local = learn(
        read_flow(learn_runs.flow),
        connect(learn_runs.metadata, namespace="user:placer-test"),
        Selection(),
    )
    url = metadata_service.url
    remote = _learn_from(url, learn_runs)
    assert remote.source == f"service@{url}"
    assert remote.failed == local.failed and list(remote.steps) == list(local.steps)
    for name, step in remote.steps.items():
        # the local reader takes an attempt's start from its file name, stamped up to 1 ms
        # after the row's ts_epoch that the service returns
        mine = local.steps[name]
        assert replace(step, duration_s=None) == replace(mine, duration_s=None)
        assert step.duration_s.p50 == pytest.approx(mine.duration_s.p50, abs=0.002)
    per_run = [p for p in metadata_service.requests if p.endswith("/metadata")]
    assert len(per_run) == 3  # ok_large, failed, ok_small: one request each
    assert not any("/tasks" in p for p in metadata_service.requests)


def test_service_without_the_run_route_is_read_per_task(metadata_service, learn_runs):
    metadata_service.run_level_metadata = False
    remote = _learn_from(metadata_service.url, learn_runs)
    assert remote.steps["work"].width.max == 5.0 and remote.failed == (learn_runs.failed,)
    assert any(p.endswith("/tasks") for p in metadata_service.requests)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_service_is_one_clear_error():
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(LearnError, match="metadata service can't be reached") as caught:
        connect(f"service@{url}")
    assert caught.value.location == url
