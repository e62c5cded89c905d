"""placer.learn on real runs: Metaflow ran tests/fixtures/learn/learnflow.py three times
(width 3, a failing run, width 5) with local metadata and datastore (conftest.learn_runs).

Expectations are computed by hand from the flow: work task i sleeps 0.2 + 0.1 i seconds and
writes (i + 1) x 100 kB of its own bytes; `flaky` fails its first attempt, then sleeps 0.3 s.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from placer.errors import LearnError
from placer.flow import read_flow
from placer.learn import Learned, Selection, connect, learn
from placer.learn._readers import LocalReader, ProviderReader
from placer.learn._records import TaskRecord
from placer.learn._source import local_root

KB = 1000


def _learn(learn_runs, selection: Selection = Selection(), namespace="user:placer-test"):
    source = connect(learn_runs.metadata, namespace=namespace)
    return learn(read_flow(learn_runs.flow), source, selection)


@pytest.fixture(scope="module")
def learned(learn_runs) -> Learned:
    return _learn(learn_runs)


def test_failed_run_is_skipped_and_counted(learned, learn_runs):
    assert learned.run_ids == (learn_runs.ok_large, learn_runs.ok_small)  # newest first
    assert learned.failed == (learn_runs.failed,)
    assert learned.unfinished == ()


def test_foreach_width_and_tasks_per_run_exactly(learned):
    work = learned.steps["work"]
    assert (work.width.p50, work.width.max) == (4.0, 5.0)  # runs of width 3 and 5
    assert (work.tasks_per_run.p50, work.tasks_per_run.max) == (4.0, 5)
    assert work.tasks == 8 and work.runs == 2
    for name in ("start", "gather", "fan", "fast", "flaky", "merge", "end"):
        step = learned.steps[name]
        assert step.width is None and step.tasks_per_run.max == 1, name


def _client_durations(learn_runs, step: str) -> list[float]:
    """Each task's final attempt, start to finish, read through Metaflow's own client: the
    `attempt` metadata of the task's current attempt to its `attempt_ok` metadata."""
    import metaflow

    metaflow.metadata(learn_runs.metadata)
    metaflow.namespace(None)
    out = []
    for run_id in (learn_runs.ok_large, learn_runs.ok_small):
        for task in metaflow.Step(f"LearnFlow/{run_id}/{step}"):
            attempt = str(task.current_attempt)
            started = max(
                m.created_at for m in task.metadata if m.name == "attempt" and m.value == attempt
            )
            finished = max(m.created_at for m in task.metadata if m.name == "attempt_ok")
            out.append((finished - started) / 1000)
    return out


@pytest.mark.parametrize("step", ["work", "flaky", "start"])
def test_durations_are_what_metaflow_recorded(learned, learn_runs, step):
    """An independent oracle (Metaflow's client, statistics' inclusive quantiles), so the
    test holds however slow the machine that made the runs was."""
    import statistics

    expected = sorted(_client_durations(learn_runs, step))
    got = learned.steps[step].duration_s
    assert got.count == len(expected)
    assert got.max == pytest.approx(expected[-1], abs=0.002)
    assert got.p50 == pytest.approx(statistics.median(expected), abs=0.002)
    if len(expected) > 1:
        p90 = statistics.quantiles(expected, n=10, method="inclusive")[8]
        assert got.p90 == pytest.approx(p90, abs=0.002)


def test_durations_are_at_least_the_sleeps(learned):
    # work sleeps: 0.2 0.3 0.4 (width 3) and 0.2 ... 0.6 (width 5): median 0.35 s, p90 0.53 s
    work = learned.steps["work"].duration_s
    assert work.p50 >= 0.35 and work.p90 >= 0.53 and work.max >= 0.6
    assert learned.steps["flaky"].duration_s.p50 >= 0.3  # the failed 1st attempt is not in it


def test_retries_are_counted_apart(learned):
    flaky = learned.steps["flaky"]
    assert flaky.retry_rate == 1.0 and flaky.retried_tasks == 2 and flaky.failed_attempts == 2
    assert learned.steps["work"].retry_rate == 0.0


def test_output_sizes_are_what_each_task_wrote(learned):
    work = learned.steps["work"].output_bytes  # 100..300 kB, then 100..500 kB
    assert 250 * KB <= work.p50 <= 250 * KB + 2 * KB
    assert 500 * KB <= work.max <= 500 * KB + 2 * KB
    assert 50 * KB <= learned.steps["fast"].output_bytes.p50 <= 52 * KB
    assert learned.steps["flaky"].output_bytes.max < 2 * KB  # writes nothing of its own


def test_input_sizes_are_what_the_parents_wrote(learned):
    gather = learned.steps["gather"].input_bytes  # joins 600 kB (width 3) and 1.5 MB (width 5)
    assert 1050 * KB <= gather.p50 <= 1050 * KB + 5 * KB
    assert 1500 * KB <= gather.max <= 1500 * KB + 5 * KB
    assert learned.steps["work"].input_bytes.max < 5 * KB  # one start task: the item list
    assert 50 * KB <= learned.steps["merge"].input_bytes.p50 <= 55 * KB  # fast's blob


def test_resources_as_the_run_recorded_them(learned):
    assert learned.steps["work"].resources == {"backend": "local", "cpu": 2.0, "memory": 2048.0}
    assert learned.steps["end"].resources == {"backend": "local"}
    assert dict(learned.steps["work"].hardware) == {"local": 8}


def test_runs_limit_reads_past_a_failed_run(learn_runs):
    one = _learn(learn_runs, Selection(runs=1))
    assert one.run_ids == (learn_runs.ok_large,) and one.failed == ()
    assert one.steps["work"].width.p50 == 5.0
    two = _learn(learn_runs, Selection(runs=2))
    assert two.run_ids == (learn_runs.ok_large, learn_runs.ok_small)
    assert two.failed == (learn_runs.failed,)


def test_explicit_runs(learn_runs):
    picked = _learn(learn_runs, Selection(run_ids=(learn_runs.ok_small, learn_runs.failed)))
    assert picked.run_ids == (learn_runs.ok_small,) and picked.failed == (learn_runs.failed,)
    assert picked.steps["work"].width.max == 3.0


def test_only_a_failed_run_is_an_error(learn_runs):
    with pytest.raises(LearnError, match=r"no successful run of LearnFlow .*1 failed"):
        _learn(learn_runs, Selection(run_ids=(learn_runs.failed,)))


def test_unknown_run_id_is_an_error(learn_runs):
    with pytest.raises(LearnError, match="run LearnFlow/12345 does not exist"):
        _learn(learn_runs, Selection(run_ids=("12345",)))
    with pytest.raises(LearnError, match="is not a Metaflow run id"):
        _learn(learn_runs, Selection(run_ids=("../other",)))


def test_namespace_filters_runs(learn_runs):
    with pytest.raises(LearnError, match="no runs of LearnFlow in namespace user:nobody"):
        _learn(learn_runs, namespace="user:nobody")
    everyone = _learn(learn_runs, namespace="*")  # the resumed run too, made by another user
    assert everyone.namespace is None
    assert everyone.run_ids == (learn_runs.resumed, learn_runs.ok_large, learn_runs.ok_small)


def test_since_window(learn_runs):
    source = connect(learn_runs.metadata, namespace="user:placer-test")
    flow = read_flow(learn_runs.flow)
    newest = max(r.created_ms for r in _learn(learn_runs).runs)
    with pytest.raises(LearnError, match="no runs of LearnFlow in the --since window"):
        learn(flow, source, Selection(since_s=60), now_ms=newest + 3_600_000)
    recent = learn(flow, source, Selection(since_s=3600), now_ms=newest + 1)
    assert len(recent.runs) == 2  # --since alone reads every run in the window


def _same_task(fast: TaskRecord, slow: TaskRecord) -> bool:
    """Equal, except that the directory listing's times may be later: the local provider
    names a file after the clock a moment after it stamped the row inside
    (LocalMetadataProvider.register_metadata), 1 ms on an idle machine, more under load.
    Never earlier, and never by more than a scheduling hiccup (100 ms)."""
    close = all(
        (x.number, x.ok) == (y.number, y.ok)
        and 0 <= x.started_ms - y.started_ms <= 100
        and 0 <= (x.finished_ms or 0) - (y.finished_ms or 0) <= 100
        for x, y in zip(fast.attempts, slow.attempts, strict=True)
    )
    return close and replace(fast, attempts=()) == replace(slow, attempts=())


def test_local_reader_reads_what_the_client_calls_read(learn_runs):
    """The directory-listing reader and per-task `get_object` calls agree on every task."""
    source = connect(learn_runs.metadata, namespace="*")
    fast = LocalReader(local_root(source.provider), "LearnFlow")
    slow = ProviderReader(source, "LearnFlow")
    for run_id in (learn_runs.ok_small, learn_runs.failed, learn_runs.ok_large, learn_runs.resumed):
        mine = sorted(fast.tasks(run_id), key=lambda t: (t.step, int(t.task_id)))
        theirs = sorted(slow.tasks(run_id), key=lambda t: (t.step, int(t.task_id)))
        assert len(mine) == len(theirs) > 8
        assert all(_same_task(a, b) for a, b in zip(mine, theirs, strict=True))


def test_progress_reports_each_run(learn_runs):
    seen = []
    source = connect(learn_runs.metadata, namespace="user:placer-test")
    learn(read_flow(learn_runs.flow), source, Selection(), lambda *a: seen.append(a))
    assert seen[0] == (0, 3, learn_runs.ok_large)
    assert seen[-1] == (3, 3, "")


def test_renamed_step_is_unknown_and_unseen(learn_runs, tmp_path):
    source = learn_runs.flow.read_text().replace("fast", "quick")
    renamed = tmp_path / "learnflow.py"
    renamed.write_text(source)
    learned = learn(read_flow(renamed), connect(learn_runs.metadata, namespace="*"), Selection())
    assert learned.unknown_steps == ("fast",) and learned.unseen_steps == ("quick",)
    assert "fast" not in learned.steps and "merge" in learned.steps


def test_resumed_run_times_only_the_tasks_it_ran(learn_runs):
    """`resume` clones the failed run's tasks before `fast`: they count as tasks and for
    sizes, but their copied attempt took no time in this run."""
    resumed = _learn(learn_runs, namespace="user:placer-resume")
    assert resumed.run_ids == (learn_runs.resumed,)
    work = resumed.steps["work"]
    assert work.tasks_per_run.p50 == 3 and work.tasks == 0 and work.duration_s is None
    assert 200 * KB <= work.output_bytes.p50 <= 202 * KB  # the clones' artifacts
    fast = resumed.steps["fast"]
    assert fast.tasks == 1 and fast.duration_s is not None
