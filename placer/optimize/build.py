"""Assemble a :class:`~placer.plan.Plan` from a solved placement: costs, reasons, warnings."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from placer.config import Config
from placer.flow import Flow, Step
from placer.money import per_hour, usd
from placer.optimize.evaluate import chosen, evaluate
from placer.optimize.space import Option, Space
from placer.plan import Baseline, Cost, Plan, SolverStats, StepPlan, money

HOURS = Decimal("0.0001")


def floor_warning(step: Step) -> str | None:
    """Say when Metaflow's @kubernetes floors make a pod larger than its @resources."""
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
    return (
        f"{step.name}: @resources({asked}) runs with {runs} because @kubernetes' defaults are "
        f"floors (Metaflow takes the larger). To fix: @kubernetes({asked}) or "
        f"`placer apply --right-size`"
    )


def step_reasons(space: Space, option: Option, written: str | None, config: Config) -> list[str]:
    """Why the step landed where it did, in a few short sentences."""
    fit = option.fit
    pays = "the whole node" if fit.share >= 1 else f"{fit.share:.0%} of it"
    node = f"allocatable {fit.allocatable_vcpus:.3g} vCPU, {fit.allocatable_memory_gib:.3g} GiB"
    price = per_hour(fit.node_usd_per_hour)
    reasons = [f"{fit.instance_type} at ${price}/h ({node}); the pod pays {pays}"]
    if fit.note:
        reasons.append(fit.note)
    rival = min(space.options[option.step], key=lambda o: (o.compute_usd, o.pool))
    if rival.pool != option.pool:
        d_compute = option.compute_usd - rival.compute_usd
        d_egress = rival.egress_usd - option.egress_usd
        if rival.total_usd > option.total_usd:
            reasons.append(
                f"{rival.pool} computes {usd(d_compute)}/run cheaper but its egress costs "
                f"{usd(d_egress)}/run more"
            )
        else:
            reasons.append(
                f"{rival.pool} is {usd(option.total_usd - rival.total_usd)}/run cheaper, "
                f"but the constraints (capacity, deadline, budget) rule it out"
            )
    if config.usage(option.step).pools:
        reasons.append(f"pinned by steps.{option.step}.pools")
    if written and written != option.pool:
        reasons.append(f"moved from {written} (as written)")
    elif written:
        reasons.append("stays where the flow sends it")
    return reasons


def step_plan(
    space: Space, flow: Flow, config: Config, option: Option, written: str | None
) -> StepPlan:
    step = flow.steps[option.step]
    pool = space.pools[option.pool]
    pod = step.pod_request or step.resources
    warning = floor_warning(step)
    return StepPlan(
        pool=pool.name,
        cloud=pool.cloud,
        region=pool.region,
        capacity_type=pool.capacity_type,
        node_selector=pool.selector(),  # the full selector: compute-pool label included
        compute_pool=pool.compute_pool,
        instance_type=option.fit.instance_type,
        resources=pod.as_json() if pod else {},
        tasks=space.demands[option.step].tasks,
        hours=Decimal(str(option.task_hours)).quantize(HOURS),
        cost=Cost(money(option.compute_usd), money(option.egress_usd)),
        reasons=tuple(step_reasons(space, option, written, config)),
        warnings=(warning,) if warning else (),
        declared=step.declared.as_json() if step.declared else None,
        next=tuple(step.next),
        node_type=step.type,
        foreach_stack=tuple(step.foreach_stack),
        num_parallel=step.num_parallel,
    )


def baseline(space: Space, name: str, assignment: Mapping[str, str], note: str) -> Baseline:
    """Score a reference placement with the same prices as the plan (per-step rounding)."""
    options, _ = chosen(space, assignment)
    per_run = Cost()
    for option in options.values():
        per_run = per_run + Cost(money(option.compute_usd), money(option.egress_usd))
    outcome = evaluate(space, assignment)
    if not outcome.feasible and not note:
        note = outcome.violations[0]
    return Baseline(
        name=name,
        feasible=outcome.feasible,
        assignment=dict(assignment),
        per_run=per_run,
        per_month=per_run.scaled(space.runs_per_month),
        note=note,
    )


def build_plan(
    space: Space,
    flow: Flow,
    config: Config,
    assignment: Mapping[str, str],
    stats: SolverStats,
    baselines: Mapping[str, Baseline],
    *,
    objective: str,
    flow_file: str,
    pricing: tuple[str, str],
) -> Plan:
    """The plan for `assignment`, with steps in flow source order."""
    written = baselines.get("as_written")
    options, _ = chosen(space, assignment)
    steps = {
        name: step_plan(
            space, flow, config, options[name], written.assignment.get(name) if written else None
        )
        for name in flow.steps
    }
    outcome = evaluate(space, assignment)
    warnings = tuple(w for s in steps.values() for w in s.warnings)
    return Plan(
        flow=flow.name,
        flow_file=flow_file,
        flow_sha256=flow.sha256,
        config_file=str(config.path) if config.path else None,
        config_sha256=config.sha256,
        pricing_source=pricing[0],
        pricing_captured_at=pricing[1],
        objective=objective,
        constraints=constraints_json(space, config),
        runs_per_month=config.runs_per_month,
        steps=steps,
        baselines=dict(baselines),
        solver=stats,
        warnings=warnings,
        makespan_hours=round(outcome.makespan_hours, 4),
        extra={"critical_path": list(outcome.critical_path)},
        flow_sources=flow.relative_sources(),
    )


def constraints_json(space: Space, config: Config) -> dict:
    """The constraints the plan was made under, as plain JSON values."""
    c = config.constraints
    return {
        "deadline_hours": space.deadline_hours,
        "budget_usd_per_month": space.budget_usd_per_month,
        "max_workers": c.max_workers,
        "bandwidth_gbps": c.bandwidth_gbps,
        "bandwidth": [{"between": list(link.ends), "gbps": link.gbps} for link in c.bandwidth],
        "residency": {k: list(v) for k, v in c.residency.items()},
    }
