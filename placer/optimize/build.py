"""Assemble a :class:`~placer.plan.Plan` from a solved placement: costs, reasons, warnings."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from placer.config import Config
from placer.flow import Flow
from placer.money import per_hour, usd
from placer.optimize.assumptions import findings, grouped, step_warnings
from placer.optimize.evaluate import chosen, evaluate
from placer.optimize.offers import hours_minutes
from placer.optimize.space import BATCH_POOL, Option, Space
from placer.plan import Baseline, Cost, Plan, SolverStats, StepPlan, money

HOURS = Decimal("0.0001")
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"  # set on every node by Kubernetes


def step_reasons(space: Space, option: Option, written: str | None, config: Config) -> list[str]:
    """Why the step landed where it did, in a few short sentences."""
    fit = option.fit
    pays = "the whole node" if fit.share >= 1 else f"{fit.share:.0%} of it"
    node = f"allocatable {fit.allocatable_vcpus:.3g} vCPU, {fit.allocatable_memory_gib:.3g} GiB"
    price = per_hour(fit.node_usd_per_hour)
    reasons = [f"{fit.instance_type} at ${price}/h ({node}); the pod pays {pays}"]
    if fit.note:
        reasons.append(fit.note)
    reasons += hardware_reasons(space, option)
    rival = min(space.options[option.step], key=lambda o: (o.compute_usd, o.key))
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


def hardware_reasons(space: Space, option: Option) -> list[str]:
    """How long a task runs on the chosen hardware and why; for GPU steps, what a task
    costs and takes on the other accelerators it could have (cheapest first)."""
    demand, fit = space.demands[option.step], option.fit
    pool = space.pools[option.pool]
    here = f"a task takes {hours_minutes(fit.task_hours / pool.speed)} on {fit.hardware}"
    if pool.speed != 1:
        here += f" in {pool.name} (speed {pool.speed:g})"
    reference = f"{hours_minutes(demand.task_hours)} on {demand.reference_label}"
    origin = demand.reference_from
    if fit.scaled == "table":
        ratio = demand.task_hours / fit.task_hours if fit.task_hours else 1.0
        source = _throughput_source(fit.hardware, demand.gpu_step)
        return [
            f"{here}: {reference} ({origin}) / {ratio:.3g}, its relative throughput ({source})",
            *(_accelerator_choice(space, option) if demand.gpu_step else []),
        ]
    how = {
        "reference": f"as on the reference {demand.reference_label} ({origin})"
        if demand.gpu_step
        else None,
        "speedup": f"{reference} ({origin}) / steps.{demand.step}.speedup",
        "durations": f"steps.{demand.step}.durations",
        "unknown": f"as on {demand.reference_label}: no throughput figure for {fit.hardware}",
    }.get(fit.scaled)
    reasons = [f"{here} ({how})"] if how else []
    if demand.gpu_step:
        reasons += _accelerator_choice(space, option)
    return reasons


def _throughput_source(label: str, gpu_step: bool) -> str:
    from placer.hardware import CPU_SOURCE, accelerator

    found = accelerator(label) if gpu_step else None
    return found.source if found else CPU_SOURCE


def _accelerator_choice(space: Space, option: Option) -> list[str]:
    """What a task costs and takes on each accelerator the step fits (its cheapest pool
    for each), cheapest first: where a fast dear GPU beats a slow cheap one, it shows."""
    ranked = space.hardware.get(option.step, ())
    if len(ranked) < 2:
        return []
    tasks = space.demands[option.step].tasks
    shown = list(ranked[:5])
    mine = option.fit.hardware
    if all(o.fit.hardware != mine for o in shown):
        shown.append(next((o for o in ranked if o.fit.hardware == mine), option))
    listed = "; ".join(
        f"{o.fit.hardware} {usd(o.total_usd / tasks)} in {hours_minutes(o.task_hours / tasks)}"
        f" ({o.pool})"
        for o in shown
    )
    out = [f"a task (compute + egress), cheapest first: {listed}"]
    cheapest = ranked[0]
    if cheapest.fit.hardware != mine and cheapest.total_usd < option.total_usd:
        out.append(
            f"{mine} rather than the cheaper {cheapest.fit.hardware}: the plan's deadline, "
            f"capacity or budget (or --objective time) rules the slower one out"
        )
    return out


def step_selector(space: Space, option: Option) -> dict[str, str]:
    """The pool's full selector; GPU steps also name the instance type placer priced (its
    accelerator sets the duration and the price: another would not be the plan)."""
    selector = space.pools[option.pool].selector()  # compute-pool label included
    if space.demands[option.step].gpu_step and option.pool != BATCH_POOL:
        selector[INSTANCE_TYPE_LABEL] = option.fit.instance_type
    return selector


def step_plan(
    space: Space,
    flow: Flow,
    config: Config,
    option: Option,
    written: str | None,
    warnings: tuple[str, ...] = (),
) -> StepPlan:
    step = flow.steps[option.step]
    pool = space.pools[option.pool]
    pod = step.pod_request or step.resources
    return StepPlan(
        pool=pool.name,
        cloud=pool.cloud,
        region=pool.region,
        capacity_type=pool.capacity_type,
        node_selector=step_selector(space, option),
        compute_pool=pool.compute_pool,
        instance_type=option.fit.instance_type,
        resources=pod.as_json() if pod else {},
        tasks=space.demands[option.step].tasks,
        hours=Decimal(str(option.task_hours)).quantize(HOURS),
        cost=Cost(money(option.compute_usd), money(option.egress_usd)),
        reasons=tuple(step_reasons(space, option, written, config)),
        warnings=warnings,
        declared=step.declared.as_json() if step.declared else None,
        next=tuple(step.next),
        backend="batch" if option.pool == BATCH_POOL else "kubernetes",
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
        assignment={s: options[s].pool if s in options else k for s, k in assignment.items()},
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
    also: tuple[str, ...] = (),
) -> Plan:
    """The plan for `assignment`, with steps in flow source order; `also`: warnings found
    before (data crossing a residency boundary)."""
    written = baselines.get("as_written")
    options, _ = chosen(space, assignment)
    found = findings(space, flow, config, {name: options[name] for name in flow.steps})
    per_step = step_warnings(found)
    steps = {
        name: step_plan(
            space,
            flow,
            config,
            options[name],
            written.assignment.get(name) if written else None,
            per_step.get(name, ()),
        )
        for name in flow.steps
    }
    outcome = evaluate(space, assignment)
    warnings = grouped(found) + also
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
