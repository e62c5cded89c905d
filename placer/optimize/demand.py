"""What each step asks for per run: pod size, tasks, waves, duration and data moved.

Tasks per run: 1 outside a foreach; inside one, the foreach width (``steps.<name>.tasks``,
else the width set on the first step of the foreach body, else ``num_parallel``, else
``defaults.foreach_width``), multiplied through nested foreaches. Metaflow runs at most
``--max-workers`` tasks at once, so a step's tasks run in ``ceil(tasks / max_workers)``
waves and at most ``min(tasks, max_workers)`` of its pods exist at the same time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from placer.config import Config, ExternalRead
from placer.flow import Flow, Resources, Step
from placer.kube.quantity import GIB, parse_quantity

# What a pod requests when the flow reader could not say (Metaflow's @kubernetes defaults).
KUBERNETES_DEFAULTS = Resources(cpu=1.0, memory_mb=4096.0, disk_mb=10240.0)


@dataclass(frozen=True)
class Demand:
    """One step's per-run demand, independent of where it runs."""

    step: str
    cpu: float  # per pod
    memory_gib: float  # per pod, as Kubernetes counts it (Metaflow's MB are 10^6 bytes)
    gpu: int  # per pod
    gpu_vendor: str | None
    gpu_model: str | None
    arch: str
    tasks: int  # pods per run
    concurrent_tasks: int  # pods alive at once: min(tasks, max_workers)
    waves: int  # ceil(tasks / max_workers)
    task_hours: float  # one task's run time at pool speed 1.0
    input_gb: float  # per task, read from the datastore
    output_gb: float  # per task, written to the datastore
    reads: tuple[ExternalRead, ...] = ()  # per task, from outside the datastore


def tasks_per_run(flow: Flow, config: Config) -> dict[str, int]:
    """Tasks of every step in one run (see the module docstring for the rules)."""
    memo: dict[str, int] = {}
    for name in flow.steps:
        _tasks(flow, config, name, memo)
    return memo


def _tasks(flow: Flow, config: Config, name: str, memo: dict[str, int]) -> int:
    if name in memo:
        return memo[name]
    step = flow.steps[name]
    explicit = config.usage(name).tasks
    if explicit:
        count = explicit
    elif not step.foreach_stack:
        count = 1
    else:
        parent = flow.steps[step.foreach_stack[-1]]
        body = parent.next[0] if parent.next else name
        body_tasks = config.usage(body).tasks
        if body_tasks and body != name:
            count = body_tasks
        else:
            width = parent.num_parallel or config.defaults.foreach_width
            count = _tasks(flow, config, parent.name, memo) * width
    memo[name] = count
    return count


def kubernetes_requests(pod: Resources) -> dict[str, str]:
    """The pod's requests as Metaflow renders them for Kubernetes: cpu as the number,
    memory and ephemeral-storage as ``"<MB>M"``, which Kubernetes reads as 10^6 bytes."""
    return {
        "cpu": f"{pod.cpu:g}",
        "memory": f"{pod.memory_mb:g}M",
        "ephemeral-storage": f"{pod.disk_mb:g}M",
    }


def request_memory_gib(pod: Resources) -> float:
    """The memory Kubernetes reserves for the pod, in GiB: ``memory=32000`` is sent as
    "32000M" = 32 x 10^9 bytes = 29.80 GiB (not 32000 / 1024 = 31.25)."""
    return float(parse_quantity(kubernetes_requests(pod)["memory"])) / GIB


def step_demand(step: Step, tasks: int, config: Config) -> Demand:
    """The demand of one step given its task count."""
    usage = config.usage(step.name)
    defaults = config.defaults
    pod = step.pod_request or step.resources or KUBERNETES_DEFAULTS
    workers = max(1, config.constraints.max_workers)
    return Demand(
        step=step.name,
        cpu=float(pod.cpu),
        memory_gib=request_memory_gib(pod),
        gpu=int(math.ceil(pod.gpu or 0)),
        gpu_vendor=pod.gpu_vendor,
        gpu_model=usage.gpu_model,
        arch=usage.arch or "x86_64",
        tasks=tasks,
        concurrent_tasks=min(tasks, workers),
        waves=math.ceil(tasks / workers),
        task_hours=_pick(usage.duration_hours, defaults.duration_hours),
        input_gb=_pick(usage.input_gb, defaults.input_gb),
        output_gb=_pick(usage.output_gb, defaults.output_gb),
        reads=tuple(usage.reads),
    )


def demands(flow: Flow, config: Config) -> dict[str, Demand]:
    """Every step's demand, in flow source order."""
    tasks = tasks_per_run(flow, config)
    return {name: step_demand(step, tasks[name], config) for name, step in flow.steps.items()}


def _pick(value: float | None, default: float) -> float:
    return float(default if value is None else value)
