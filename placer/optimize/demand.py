"""What each step asks for per run: pod size, tasks, waves, duration and data moved.

Tasks per run: 1 outside a foreach; inside one, the foreach width (``steps.<name>.tasks``,
else the width set on the first step of the foreach body, else ``num_parallel``, else
``defaults.foreach_width``), multiplied through nested foreaches. Metaflow runs at most
``--max-workers`` tasks at once, so a step's tasks run in ``ceil(tasks / max_workers)``
waves and at most ``min(tasks, max_workers)`` of its pods exist at the same time.

Duration: a step's duration is tied to a *reference* hardware (placer.hardware): the step's
``reference``, else its ``gpu_model``, else ``defaults.reference_gpu`` (an A100 assumed when
unset) for GPU steps, ``defaults.reference_cpu`` (m6i) for CPU steps. On other hardware it is
scaled by relative throughput, unless the step gives a ``durations`` or ``speedup`` entry for
that accelerator (:func:`task_hours_on`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from placer.config import Config, ExternalRead
from placer.errors import ConfigError
from placer.flow import Flow, Resources, Step
from placer.hardware import Hardware, Throughput, accelerator, cpu_reference
from placer.kube.quantity import GIB, parse_quantity
from pricing import accelerators

ASSUMED_GPU = "A100-40GB"  # GPU steps' reference when nothing says (the plan warns)

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
    # `task_hours` holds on this hardware (None: on any hardware, never scaled)
    reference: Throughput | None = None
    reference_label: str = "any"  # "A100-40GB", "m6i", "any"
    reference_from: str = ""  # the placer.yaml field it comes from, or "assumed"
    speedup: tuple[tuple[str, float], ...] = ()  # accelerator -> throughput x reference
    durations: tuple[tuple[str, float], ...] = ()  # accelerator -> hours per task
    retries: int = 0  # @retry's times (Metaflow's default 3), 0 without @retry
    timeout_hours: float | None = None  # @timeout's limit, None without one (or unreadable)
    backend: str = "kubernetes"  # where the flow sends it: kubernetes, batch or local

    @property
    def gpu_step(self) -> bool:
        return self.gpu > 0


def task_hours_on(demand: Demand, hardware: Hardware) -> tuple[float, str]:
    """One task's hours on `hardware` (at pool speed 1), and how they were found:
    "durations", "speedup", "table", "reference", "any" (not scaled) or "unknown" (the
    hardware is in no table: taken as the reference)."""
    label = hardware.label
    durations = dict(demand.durations)
    if label in durations:
        return durations[label], "durations"
    speedup = dict(demand.speedup)
    if label in speedup:
        return demand.task_hours / speedup[label], "speedup"
    if demand.reference is None:
        return demand.task_hours, "any" if demand.reference_label == "any" else "unknown"
    if hardware.throughput is None:
        return demand.task_hours, "unknown"
    ratio = demand.reference.factor / hardware.throughput.factor
    return demand.task_hours * ratio, "reference" if abs(ratio - 1) < 1e-12 else "table"


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
    if explicit and explicit > 1 and not step.foreach_stack:
        raise ConfigError(
            f"steps.{name}.tasks is {explicit}, but {name} is not inside a foreach: "
            "Metaflow runs it once per run",
            config.locate(f"steps.{name}.tasks"),
            f"remove steps.{name}.tasks (set tasks on the first step of a foreach body)",
        )
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
    gpu = int(math.ceil(pod.gpu or 0))
    reference, label, origin = _reference(step.name, gpu > 0, config)
    return Demand(
        step=step.name,
        cpu=float(pod.cpu),
        memory_gib=request_memory_gib(pod),
        gpu=gpu,
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
        reference=reference,
        reference_label=label,
        reference_from=origin,
        speedup=tuple(sorted(usage.speedup.items())),
        durations=tuple(sorted(usage.durations.items())),
        retries=_retries(step),
        timeout_hours=_timeout_hours(step),
        backend=step.backend,
    )


def _retries(step: Step) -> int:
    """@retry's `times` (3 when not given, as in Metaflow; 1 when not a literal)."""
    deco = step.decorator("retry")
    if deco is None:
        return 0
    value = deco.args.get("times", 3)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1  # an expression placer cannot evaluate: some retries


def _timeout_hours(step: Step) -> float | None:
    """@timeout's seconds + minutes + hours, in hours (None without a readable one)."""
    deco = step.decorator("timeout")
    if deco is None:
        return None
    total = 0.0
    for key, per_hour in (("seconds", 3600.0), ("minutes", 60.0), ("hours", 1.0)):
        value = deco.args.get(key, 0)
        try:
            total += float(value) / per_hour
        except (TypeError, ValueError):
            return None
    return total or None


def _reference(step: str, gpu_step: bool, config: Config) -> tuple[Throughput | None, str, str]:
    """(throughput, name, where it comes from) of the hardware the step's duration is
    measured on; a throughput of None means "any hardware" (durations not scaled)."""
    usage, defaults = config.usage(step), config.defaults
    field = f"steps.{step}.reference"
    if usage.reference == "any":
        return None, "any", field
    if gpu_step:
        if usage.reference is not None:
            return _accelerator_reference(usage.reference, field, step, config)
        if usage.gpu_model:
            head = usage.gpu_model.rstrip("*").rstrip("-")
            return _accelerator_reference(head, f"steps.{step}.gpu_model", step, config)
        if defaults.reference_gpu == "any":
            return None, "any", "defaults.reference_gpu"
        if defaults.reference_gpu:
            return _accelerator_reference(
                defaults.reference_gpu, "defaults.reference_gpu", step, config
            )
        return accelerator(ASSUMED_GPU), ASSUMED_GPU, "assumed"
    name, field = (
        (usage.reference, field)
        if usage.reference
        else (defaults.reference_cpu, "defaults.reference_cpu")
    )
    if name == "any":
        return None, "any", field
    found = cpu_reference(name)
    if found is None:  # an accelerator named as the reference of a step without GPUs
        raise ConfigError(
            f"{field} is {name}, an accelerator, but {step} asks for no GPU",
            config.locate(field),
            "name the CPU the duration was measured on (m6i, n2, d4s_v5), or any",
        )
    return found, name, field


def _accelerator_reference(
    name: str, field: str, step: str, config: Config
) -> tuple[Throughput | None, str, str]:
    model = accelerators.canonical(name)
    if model is None:
        raise ConfigError(
            f"{field} is {name}, not an accelerator, but {step} asks for a GPU",
            config.locate(field),
            "name the GPU the duration was measured on (A100, H100, L4), or any",
        )
    return accelerator(model), model, field


def demands(flow: Flow, config: Config) -> dict[str, Demand]:
    """Every step's demand, in flow source order."""
    tasks = tasks_per_run(flow, config)
    return {name: step_demand(step, tasks[name], config) for name, step in flow.steps.items()}


def _pick(value: float | None, default: float) -> float:
    return float(default if value is None else value)
