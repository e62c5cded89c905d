"""Metadata rows to task records, where a task ran, and the resources a step ran with.

Rows have the shape MetadataProvider._metadata_to_json gives them (what the local provider
stores and the service returns); the Kubernetes and Batch fields are those
kubernetes_decorator.task_pre_step and batch_decorator.task_pre_step register.
"""

from __future__ import annotations

from placer.learn._records import Attempt, TaskRecord, task_record
from placer.learn._resources import resources_text, step_resources
from placer.learn._stats import hardware_label, run_status


def _row(field: str, value: str, ts: int, attempt: int | None = 0) -> dict:
    return {
        "flow_id": "F",
        "run_number": "1",
        "step_name": "train",
        "task_id": "7",
        "field_name": field,
        "type": field,
        "value": value,
        "tags": [] if attempt is None else [f"attempt_id:{attempt}"],
        "user_name": "me",
        "ts_epoch": ts,
    }


def test_retried_task_on_kubernetes():
    rows = [
        _row("attempt", "0", 1_000),
        _row("kubernetes-pod-name", "t-0", 1_010),
        _row("kubernetes-node-ip", "10.0.0.1", 1_010),
        _row("attempt_ok", "False", 4_000),
        _row("attempt-done", "0", 4_001),
        _row("attempt", "1", 9_000, attempt=1),
        _row("kubernetes-pod-name", "t-1", 9_010, attempt=1),
        _row("kubernetes-node-ip", "10.0.0.2", 9_010, attempt=1),
        _row("ec2-instance-type", "m5.xlarge", 9_010, attempt=1),
        _row("foreach-execution-path", "body:3", 9_000, attempt=1),
        _row("attempt_ok", "True", 21_500, attempt=1),
        _row("attempt-done", "1", 21_501, attempt=1),
        _row("ds-type", "s3", 9_000, attempt=1),
        _row("ds-root", "s3://bucket/metaflow", 9_000, attempt=1),
    ]
    task = task_record("train", "7", rows)
    assert task.attempts == (Attempt(0, 1_000, 4_000, False), Attempt(1, 9_000, 21_500, True))
    assert task.succeeded and task.final.seconds == 12.5
    assert task.where["kubernetes-node-ip"] == "10.0.0.2"  # the final attempt's node
    assert task.foreach_path == ("body:3",)
    assert (task.ds_type, task.ds_root) == ("s3", "s3://bucket/metaflow")
    assert hardware_label(task) == "kubernetes m5.xlarge"


def test_untagged_rows_pair_by_time():
    rows = [
        _row("attempt", "0", 100, None),
        _row("attempt_ok", "False", 200, None),
        _row("attempt", "1", 300, None),
        _row("attempt_ok", "True", 450, None),
    ]
    task = task_record("s", "1", rows)
    assert [(a.number, a.finished_ms, a.ok) for a in task.attempts] == [
        (0, 200, False),
        (1, 450, True),
    ]


def test_attempt_done_ends_an_attempt_without_attempt_ok():
    task = task_record("s", "1", [_row("attempt", "0", 100), _row("attempt-done", "0", 700)])
    assert task.final.finished_ms == 700 and task.final.ok is None
    assert not task.succeeded and not task.failed


def test_running_task_has_no_end():
    task = task_record("s", "1", [_row("attempt", "0", 100)])
    assert task.final.seconds is None


def test_where_labels():
    batch = TaskRecord(
        "s", "1", (), where={"aws-batch-job-id": "j", "ec2-instance-type": "c5.2xlarge"}
    )
    assert hardware_label(batch) == "batch c5.2xlarge"
    assert hardware_label(TaskRecord("s", "1", (), where={"kubernetes-pod-name": "p"})) == (
        "kubernetes"
    )
    assert hardware_label(TaskRecord("s", "1", ())) == "local"


def _task(step: str, ok: bool | None) -> TaskRecord:
    return TaskRecord(step, "1", (Attempt(0, 0, None if ok is None else 5, ok),))


def test_run_status():
    assert run_status([_task("start", True), _task("end", True)], "end") == "successful"
    assert run_status([_task("start", True), _task("a", False)], "end") == "failed"
    assert run_status([_task("start", True), _task("a", None)], "end") == "unfinished"


GRAPH = {  # _graph_info["steps"] as FlowGraph.output_steps() writes it (attributes to_pod'ed)
    "steps": {
        "train": {
            "decorators": [
                {"name": "resources", "attributes": {"cpu": 8, "memory": 32000, "gpu": 1}},
                {
                    "name": "kubernetes",
                    "attributes": {
                        "cpu": "8",
                        "memory": "32000",
                        "disk": "10240",
                        "gpu": "1",
                        "node_selector": {"outerbounds.co/provider": "aws"},
                        "compute_pool": "None",
                        "image": "None",
                    },
                },
            ]
        },
        "etl": {"decorators": [{"name": "batch", "attributes": {"cpu": 4, "memory": 8192}}]},
        "local": {"decorators": [{"name": "resources", "attributes": {"cpu": 2, "gpu": "None"}}]},
        "bare": {"decorators": []},
    }
}


def test_step_resources_from_graph_info():
    assert step_resources(GRAPH, "train") == {
        "backend": "kubernetes",
        "cpu": 8.0,
        "memory": 32000.0,
        "disk": 10240.0,
        "gpu": 1.0,
        "node_selector": {"outerbounds.co/provider": "aws"},
    }
    assert step_resources(GRAPH, "etl") == {"backend": "batch", "cpu": 4.0, "memory": 8192.0}
    assert step_resources(GRAPH, "bare") == {"backend": "local"}
    assert step_resources(GRAPH, "missing") is None and step_resources(None, "train") is None
    assert resources_text(step_resources(GRAPH, "train")) == "kubernetes 8 cpu, 32000 MB, 1 gpu"
    assert resources_text(step_resources(GRAPH, "local")) == "local (@resources 2 cpu not applied)"
    assert resources_text(step_resources(GRAPH, "bare")) == ""
