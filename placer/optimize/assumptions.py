"""What the plan had to assume, or what will not happen as the flow says: its warnings.

Each finding has a cause; the plan's warnings are one line per cause, naming every step it
concerns (so a flow of 50 steps without @kubernetes gets one warning, not 50), and each
step also carries its own part (``StepPlan.warnings``). Causes:

- ``floor``: @kubernetes' defaults make the pod larger than @resources asks;
- ``backend``: steps apply will move to @kubernetes (@batch, or no compute decorator), or
  @batch steps left on AWS Batch (``--keep-batch``);
- ``gpu_reference``: a GPU step's duration with no hardware named (an A100 assumed);
- ``cpu_reference``: CPU steps scaled from the built-in m6i reference;
- ``unknown_hardware``: the chosen hardware has no throughput figure (not scaled);
- ``timeout``: @timeout shorter than the planned task time on the chosen hardware;
- ``spot_unretried``: a long task on spot without @retry, with its interruption odds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from placer.config import Config
from placer.flow import Flow, Step
from placer.optimize.demand import Demand
from placer.optimize.space import BATCH_POOL, Option, Space, interruption_share
from placer.optimize.spot import interrupted

_SHOWN = 6  # steps named in one warning before "and N more"


@dataclass(frozen=True)
class Finding:
    """One cause on one step: its part of the cause's warning."""

    cause: str
    step: str
    detail: str


def duration(hours: float) -> str:
    """Hours as ``2h05m``, ``45m`` or ``20s``."""
    seconds = round(hours * 3600)
    if seconds < 60:
        return f"{seconds}s"
    minutes = round(seconds / 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def task_hours(space: Space, option: Option) -> float:
    """One task's planned time in the option (hardware, pool speed, transfers, retries)."""
    demand = space.demands[option.step]
    return option.task_hours / max(demand.tasks, 1)


def floor_detail(step: Step) -> str | None:
    """The step's @resources values Metaflow's @kubernetes floors raise, or None."""
    pod, declared = step.pod_request, step.declared
    if pod is None or declared is None:
        return None
    bigger = []
    if pod.memory_mb > declared.memory_mb:
        bigger.append(("memory", declared.memory_mb, pod.memory_mb, "MB"))
    if pod.cpu > declared.cpu:
        bigger.append(("cpu", declared.cpu, pod.cpu, ""))
    if not bigger:
        return None
    asked = ", ".join(f"{k}={v:g}" for k, v, _, _ in bigger)
    runs = ", ".join(f"{k} {p:g}{u and ' ' + u}" for k, _, p, u in bigger)
    return f"@resources({asked}) runs with {runs}|{asked}"


def findings(
    space: Space, flow: Flow, config: Config, options: Mapping[str, Option]
) -> list[Finding]:
    """Every finding of the plan, in flow order."""
    out: list[Finding] = []
    for name, option in options.items():
        step, demand = flow.steps[name], space.demands[name]
        for check in _CHECKS:
            found = check(space, step, demand, option, config)
            if found is not None:
                out.append(Finding(check.__name__.removeprefix("_"), name, found))
    return out


def _floor(space: Space, step: Step, demand: Demand, option: Option, config: Config):
    return floor_detail(step)


def _backend(space: Space, step: Step, demand: Demand, option: Option, config: Config):
    if option.pool == BATCH_POOL:
        return f"batch|{option.fit.instance_type}|{space.pools[BATCH_POOL].region}"
    if demand.backend == "batch":
        return "from @batch"
    if demand.backend == "local":
        return "no @kubernetes"
    return None


def _gpu_reference(space: Space, step: Step, demand: Demand, option: Option, config: Config):
    if demand.gpu_step and demand.reference_from == "assumed":
        return demand.reference_label
    return None


def _cpu_reference(space: Space, step: Step, demand: Demand, option: Option, config: Config):
    if demand.gpu_step or demand.reference_from != "defaults.reference_cpu":
        return None
    if config.where("defaults.reference_cpu") is not None or option.fit.scaled != "table":
        return None  # chosen in placer.yaml, or the step runs on the reference generation
    pool = space.pools[option.pool]
    here = duration(option.fit.task_hours / pool.speed)
    return f"{option.fit.hardware}|{duration(demand.task_hours)} -> {here}"


def _unknown_hardware(space: Space, step: Step, demand: Demand, option: Option, config: Config):
    return option.fit.hardware if option.fit.scaled == "unknown" else None


def _timeout(space: Space, step: Step, demand: Demand, option: Option, config: Config):
    planned = task_hours(space, option)
    if demand.timeout_hours is None or demand.timeout_hours >= planned - 1e-9:
        return None
    return (
        f"@timeout {duration(demand.timeout_hours)} < {duration(planned)} planned on "
        f"{option.fit.instance_type} ({option.pool})"
    )


def _spot_unretried(space: Space, step: Step, demand: Demand, option: Option, config: Config):
    pool = space.pools[option.pool]
    planned = option.fit.task_hours / pool.speed  # uninterrupted, transfers aside
    if pool.capacity_type != "spot" or demand.retries > 0:
        return None
    if planned <= config.defaults.spot_unretried_max_hours + 1e-9:
        return None
    share = interruption_share(pool, config)
    per_task = interrupted(planned, share)
    per_run = 1 - (1 - per_task) ** demand.tasks
    return (
        f"{duration(planned)} a task in {pool.name} ({share:.0%} of {pool.cloud} spot nodes "
        f"lost a day): {per_task:.1%} a task, {per_run:.1%} a run of {demand.tasks}"
    )


_Check = Callable[[Space, Step, Demand, Option, Config], "str | None"]
_CHECKS: tuple[_Check, ...] = (
    _floor,
    _backend,
    _gpu_reference,
    _cpu_reference,
    _unknown_hardware,
    _timeout,
    _spot_unretried,
)


def _names(items: Sequence[str]) -> str:
    if len(items) <= _SHOWN:
        return ", ".join(items)
    return f"{', '.join(items[:_SHOWN])} and {len(items) - _SHOWN} more"


def step_warnings(found: Sequence[Finding]) -> dict[str, tuple[str, ...]]:
    """Each step's own warnings (for StepPlan.warnings)."""
    out: dict[str, list[str]] = {}
    for f in found:
        text = _one(f)
        if text:
            out.setdefault(f.step, []).append(text)
    return {step: tuple(lines) for step, lines in out.items()}


def _one(f: Finding) -> str:
    if f.detail.startswith("batch|"):
        return _batch([f])[0]
    return _WORDING[f.cause]([f])


def grouped(found: Sequence[Finding]) -> tuple[str, ...]:
    """One warning per cause, naming its steps, in the order the causes first appear."""
    causes: dict[str, list[Finding]] = {}
    for f in found:
        causes.setdefault(f.cause, []).append(f)
    out = []
    for cause, items in causes.items():
        if cause == "backend":
            out += [_WORDING["backend"]([i for i in items if i.detail == kind]) for kind in _KINDS]
            out += _batch([i for i in items if i.detail.startswith("batch|")])
        else:
            out.append(_WORDING[cause](items))
    return tuple(w for w in out if w)


_KINDS = ("from @batch", "no @kubernetes")


def _floors(items: Sequence[Finding]) -> str:
    parts = [(f.step, *f.detail.split("|")) for f in items]
    if len(parts) == 1:
        step, runs, asked = parts[0]
        return (
            f"{step}: {runs} because @kubernetes' defaults are floors (Metaflow takes the "
            f"larger). To fix: @kubernetes({asked}) or `placer apply --right-size`"
        )
    listed = "; ".join(f"{step}: {runs}" for step, runs, _ in parts)
    return (
        f"@kubernetes' defaults are floors (Metaflow takes the larger), so pods are larger "
        f"than @resources asks: {listed}. To fix: the same values in @kubernetes, or "
        "`placer apply --right-size`"
    )


def _moved(items: Sequence[Finding]) -> str:
    if not items:
        return ""
    steps = _names([f.step for f in items])
    if items[0].detail == "from @batch":
        return (
            f"{steps}: @batch, which `placer apply` turns into @kubernetes; the plan prices "
            "them on Kubernetes. To fix: `placer plan --keep-batch` (or constraints.keep_batch) "
            "leaves them on AWS Batch"
        )
    return (
        f"{steps}: no @kubernetes, so they run wherever the flow is launched; the plan prices "
        "them on Kubernetes, where `placer apply` sends them (under Argo Workflows every step "
        "runs there anyway)"
    )


def _batch(items: Sequence[Finding]) -> list[str]:
    if not items:
        return []
    region = items[0].detail.split("|")[2]
    listed = ", ".join(f"{f.step} ({f.detail.split('|')[1]})" for f in items)
    return [
        f"left on AWS Batch (--keep-batch) and priced as EC2 on demand in {region}, whole "
        f"instances' nominal size: {listed}; `placer apply` does not touch them"
    ]


def _gpu_refs(items: Sequence[Finding]) -> str:
    steps = _names([f.step for f in items])
    return (
        f"{steps}: durations taken as measured on an {items[0].detail} (nothing says which GPU) "
        "and scaled to each GPU. To fix: steps.<step>.reference, gpu_model or "
        "defaults.reference_gpu"
    )


def _cpu_refs(items: Sequence[Finding]) -> str:
    by_hardware: dict[str, list[str]] = {}
    for f in items:
        hardware, change = f.detail.split("|")
        by_hardware.setdefault(hardware, []).append(f"{f.step} {change}")
    listed = "; ".join(f"on {hw}: {_names(parts)}" for hw, parts in by_hardware.items())
    return (
        f"durations taken as measured on m6i (defaults.reference_cpu, unset) and scaled to the "
        f"CPU each step gets, {listed}. To fix: set defaults.reference_cpu to the CPU you "
        "measured on, or `any` to plan the durations as given on every CPU"
    )


def _unknown(items: Sequence[Finding]) -> str:
    listed = ", ".join(f"{f.step} on {f.detail}" for f in items)
    return f"no throughput figure for the hardware of {listed}: durations there not scaled"


def _timeouts(items: Sequence[Finding]) -> str:
    listed = "; ".join(f"{f.step}: {f.detail}" for f in items)
    return (
        f"@timeout ends tasks before they finish: {listed}. To fix: raise the timeout, or "
        "give the step faster hardware (steps.<step>.gpu_model, pools)"
    )


def _unretried(items: Sequence[Finding]) -> str:
    listed = "; ".join(f"{f.step}: {f.detail}" for f in items)
    return (
        f"long tasks on spot without @retry: an interruption fails the run ({listed}; the "
        "plan prices the restarts). To fix: @retry, or steps.<step>.exclude_pools for the "
        "spot pools"
    )


_WORDING: dict[str, Callable[[Sequence[Finding]], str]] = {
    "floor": _floors,
    "backend": lambda items: _moved(items) if items and "|" not in items[0].detail else "",
    "gpu_reference": _gpu_refs,
    "cpu_reference": _cpu_refs,
    "unknown_hardware": _unknown,
    "timeout": _timeouts,
    "spot_unretried": _unretried,
}
