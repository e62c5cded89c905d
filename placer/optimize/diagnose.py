"""Why no placement exists, in one line that names the steps and the constraint.

Checked before solving (cheap, and the clearest messages): a step with no eligible pool,
a deadline under the fastest possible critical path, a budget under the cheapest possible
month. When the solver still says infeasible, constraints are relaxed one family at a time
to find the one that cannot be met together with the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from placer.config import Config
from placer.errors import PlanError
from placer.flow import Flow
from placer.money import usd
from placer.optimize.evaluate import evaluate, longest_path
from placer.optimize.offers import describe_request, no_fit_reason
from placer.optimize.space import Space
from pricing import Offer


def hours_text(hours: float) -> str:
    """Hours as ``1h40m``, ``45m`` or ``30s``."""
    seconds = round(hours * 3600)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h and m:
        return f"{h}h{m:02d}m"
    if h:
        return f"{h}h"
    return f"{m}m" if m else f"{s}s"


def check_eligible(
    space: Space, flow: Flow, config: Config, offers: Callable[[str, str], Sequence[Offer]]
) -> None:
    """Raise for the first step no pool can take, saying why."""
    for name in space.steps:
        if space.options[name]:
            continue
        reasons = dict(space.excluded.get(name, ()))
        demand = space.demands[name]
        allowed = [p for p, why in reasons.items() if why == "no instance type fits"]
        step = flow.steps[name]
        where = f"{flow.file}:{step.line}"
        if allowed and len(allowed) == len(reasons):
            pool_offers = [o for p in allowed for o in offers(*_where(config, p))]
            why = no_fit_reason(demand, pool_offers)
            raise PlanError(
                f"{name} needs {describe_request(demand)}; {why}",
                where,
                "add a pool that offers it to placer.yaml, or change the step's resources",
            )
        detail = "; ".join(f"{p}: {why}" for p, why in reasons.items())
        raise PlanError(
            f"{name} can run in no pool ({detail})",
            where,
            f"loosen steps.{name} in placer.yaml or add a pool",
        )


def _where(config: Config, pool: str) -> tuple[str, str]:
    p = config.pool(pool)
    return p.cloud, p.region


def fastest(space: Space) -> tuple[float, tuple[str, ...]]:
    """The shortest possible makespan (every step in its fastest pool) and its path."""
    quickest = {s: min(o.wall_hours for o in space.options[s]) for s in space.steps}
    return longest_path(space.steps, space.edges, quickest)


def cheapest_month(space: Space) -> float:
    """The lowest possible monthly cost, capacity ignored."""
    per_run = sum(min(o.total_usd for o in space.options[s]) for s in space.steps)
    return per_run * space.runs_per_month


def check_bounds(space: Space, origin: Mapping[str, str]) -> None:
    """Raise when the deadline or budget is beyond reach even without capacity limits."""
    if space.deadline_hours is not None:
        best, path = fastest(space)
        if best > space.deadline_hours + 1e-9:
            raise PlanError(
                f"deadline {hours_text(space.deadline_hours)} < fastest possible "
                f"{hours_text(best)} (critical path {' -> '.join(path)})",
                origin.get("deadline"),
                "raise the deadline, add faster pools (speed) or shorten the steps",
            )
    if space.budget_usd_per_month is not None:
        least = cheapest_month(space)
        if least > space.budget_usd_per_month + 1e-9:
            raise PlanError(
                f"budget {usd(space.budget_usd_per_month)}/month < cheapest possible "
                f"{usd(least)}/month",
                origin.get("budget"),
                "raise the budget or lower runs_per_month",
            )


def diagnose(space: Space, solve: Callable[[Space], dict[str, str] | None]) -> PlanError:
    """After an infeasible solve: relax one family at a time and report the culprit."""
    relaxed = solve(dataclasses.replace(space, caps={}))
    if relaxed is not None:
        broken = [v for v in evaluate(space, relaxed).violations if v.startswith("capacity")]
        detail = broken[0].removeprefix("capacity: ") if broken else "pool limits"
        return PlanError(
            f"no placement fits the pool limits together with the other constraints: {detail}",
            "pools",
            "raise max_vcpus/max_memory_gib/max_gpus/max_nodes, max_workers, or the deadline",
        )
    if space.deadline_hours is not None:
        if solve(dataclasses.replace(space, deadline_hours=None, caps={})) is not None:
            return PlanError(
                f"deadline {hours_text(space.deadline_hours)} cannot be met within the budget",
                "constraints.deadline",
                "raise the deadline or the budget",
            )
    return PlanError("no placement meets every constraint at once", "constraints")
