"""Why each step runs where the plan puts it: every pool, what the step costs there, and
why the pool lost (`placer explain`).

Every pool of the config gets a row per step: the best instance type there, the step's
tasks and billed hours (after the pool's speed and the transfer time), compute, egress and
total per run, and a :class:`~placer.optimize.verdict.Verdict`:

- ``chosen``: the plan's pool. explain reads the plan's assignment, it never re-decides.
- a pool the step may not use (the space's exclusions): ``pinned`` elsewhere by
  ``steps.<name>.pools``, ``excluded`` by ``exclude_pools``, ``cloud``/``region`` rules,
  ``residency``, ``no_fit`` (no instance type fits), ``over_capacity`` (the step alone needs
  more than the pool's limit), or ``ineligible`` with the space's own reason.
- an eligible pool: a statement about the best plan with the step pinned there, against
  the plan (verdict.py): ``dearer`` by $X/run (``egress`` when moving data is what makes it
  dearer), ``tie``, ``coupled`` (other steps would have to move: they are named),
  ``deadline`` / ``capacity`` / ``budget`` (no plan with it there meets that limit),
  ``gap`` (the plan stopped within the solver's gap) or ``infeasible``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from placer.config import Config
from placer.errors import ConfigError, did_you_mean
from placer.flow import Flow
from placer.optimize.egress import routes_gb_per_run
from placer.optimize.offers import describe_request
from placer.optimize.solve import DEFAULT_GAP, optimize
from placer.optimize.space import Market, Option, Space, build_space
from placer.optimize.verdict import Judge, Resolve, Verdict, chosen_verdict, verdict_on
from pricing import Location

if TYPE_CHECKING:
    from placer.plan import Plan

RESOLVE_SECONDS = 10.0  # explaining re-solves for this long, then states bounds

# Reasons the space gives for an ineligible pool, by their first words (space.py).
_EXCLUDED = (
    ("not in steps.", "pinned"),
    ("in steps.", "excluded"),
    ("cloud ", "cloud"),
    ("region ", "region"),
    ("residency ", "residency"),
    ("no instance type fits", "no_fit"),
    ("needs ", "over_capacity"),
)


@dataclass(frozen=True)
class PoolRow:
    """One pool for one step: its best instance type, costs per run, and the verdict.
    Figures are None where no instance type fits."""

    pool: str
    cloud: str
    region: str
    capacity_type: str
    instance_type: str | None
    tasks: int
    task_hours: float | None  # billed pod-hours per run
    wall_hours: float | None  # the step's elapsed time in one run
    compute_usd: float | None
    egress_usd: float | None
    egress_gb: float | None  # per run, on routes that leave a region (those that cost)
    verdict: Verdict

    @property
    def total_usd(self) -> float | None:
        if self.compute_usd is None or self.egress_usd is None:
            return None
        return self.compute_usd + self.egress_usd


@dataclass(frozen=True)
class StepExplanation:
    """Every pool for one step, the plan's pool first, then by total cost."""

    step: str
    pool: str  # the plan's
    tasks: int
    rows: tuple[PoolRow, ...]


@dataclass(frozen=True)
class Explanation:
    """A plan and, for the steps asked about, every pool and why it won or lost."""

    plan: Plan
    steps: tuple[StepExplanation, ...]
    solves: int  # re-solves the verdicts needed (bounds settled the rest)
    seconds: float  # explaining, after planning


def explain_flow(
    flow: Flow,
    config: Config,
    market: Market,
    steps: Sequence[str] | None = None,
    *,
    deadline_hours: float | None = None,
    budget_usd_per_month: float | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    gap: float = DEFAULT_GAP,
    resolve_seconds: float | None = RESOLVE_SECONDS,
    flow_file: str | None = None,
    origin: Mapping[str, str] | None = None,
) -> Explanation:
    """Plan `flow` (as :func:`placer.optimize.plan_flow` with the cost objective) and
    explain `steps` (default: every step): every pool, its costs and its verdict.

    Verdicts that bounds do not settle are re-solved (with the same `solver` and `gap` as
    the plan, each within `time_limit`) during the first `resolve_seconds` of explaining
    (None: all of them); after that they state their bounds.
    """
    from placer.optimize.planner import check_names, plan_space

    _check_steps(flow, steps)
    check_names(flow, config)
    space = build_space(flow, config, market, deadline_hours, budget_usd_per_month)
    plan = plan_space(
        space, flow, config, market,
        solver=solver, time_limit=time_limit, gap=gap, flow_file=flow_file, origin=origin,
    )  # fmt: skip
    began = time.perf_counter()
    assignment = {n: space.key_for(n, s.pool, s.instance_type) for n, s in plan.steps.items()}
    gap_usd = float(plan.per_run.total) * (plan.solver.gap or 0.0)

    def resolve(candidate: Space, left: float | None) -> tuple[dict[str, str] | None, str]:
        limits = [t for t in (time_limit, left) if t is not None]
        solution = optimize(candidate, "cost", solver, min(limits, default=None), gap=gap)
        return solution.assignment, solution.stats.status

    found, solves = explain_space(
        space, assignment, resolve, steps, gap_usd=gap_usd, resolve_seconds=resolve_seconds,
        shadow=_shadow(flow, config, market, space), datastore=config.datastore,
    )  # fmt: skip
    return Explanation(plan, tuple(found), solves, time.perf_counter() - began)


def _check_steps(flow: Flow, steps: Sequence[str] | None) -> None:
    for name in steps or ():
        if name not in flow.steps:
            raise ConfigError(
                f"{flow.name} has no step {name!r}",
                "STEP",
                did_you_mean(name, flow.steps) or f"steps are: {', '.join(flow.steps)}",
            )


def _shadow(flow: Flow, config: Config, market: Market, space: Space) -> Space | None:
    """The flow priced in the pools some step may not use (for a reason other than no
    fitting type), with no eligibility rules; None when there are none."""
    wanted = {
        pool
        for step in space.steps
        for pool, why in space.excluded.get(step, ())
        if not why.startswith("no instance type fits")
    }
    if not wanted:
        return None
    free = unrestricted(config)
    pools = tuple(p for p in free.pools if p.name in wanted)
    return build_space(flow, dataclasses.replace(free, pools=pools), market)


def unrestricted(config: Config) -> Config:
    """The config without eligibility rules (pins, exclusions, clouds, regions, residency,
    pool limits): pricing a step everywhere shows what the rules cost."""
    steps = {
        name: dataclasses.replace(
            usage, pools=(), exclude_pools=(), allowed_clouds=(), regions=(), residency=None
        )
        for name, usage in config.steps.items()
    }
    pools = tuple(
        dataclasses.replace(p, max_vcpus=None, max_memory_gib=None, max_gpus=None, max_nodes=None)
        for p in config.pools
    )
    constraints = dataclasses.replace(config.constraints, residency={})
    return dataclasses.replace(config, steps=steps, pools=pools, constraints=constraints)


def explain_space(
    space: Space,
    assignment: Mapping[str, str],
    resolve: Resolve,
    steps: Sequence[str] | None = None,
    *,
    gap_usd: float = 0.0,
    resolve_seconds: float | None = None,
    shadow: Space | None = None,
    datastore: Location | None = None,
) -> tuple[list[StepExplanation], int]:
    """Explain `steps` (default: all) of a feasible placement of `space`; also the number
    of re-solves it took.

    `resolve` solves a space (the same way the plan was solved) within a time limit;
    `gap_usd` is how much the plan may exceed the optimum (its gap times its cost);
    re-solves start only during the first `resolve_seconds` (None: no limit), then
    verdicts state their bounds. `shadow` is the same flow priced with no eligibility
    rules, so ineligible pools still show what they would cost; `datastore` lets rows say
    how many GB leave a region.
    """
    until = None if resolve_seconds is None else time.perf_counter() + resolve_seconds

    def crossing(step: str, pool: str) -> float | None:
        return _crossing_gb(space, datastore, step, pool)

    judge = Judge(space, assignment, resolve, gap_usd, until, crossing)
    chosen = steps if steps is not None else space.steps
    return [_explain_step(judge, shadow, s) for s in chosen], judge.solves


def _explain_step(judge: Judge, shadow: Space | None, step: str) -> StepExplanation:
    space = judge.space
    plan_pool = judge.option(step).pool
    excluded = dict(space.excluded.get(step, ()))
    rows = []
    for pool in space.pools.values():
        option = space.option(step, pool.name)
        if pool.name == plan_pool:
            option, verdict = judge.option(step), chosen_verdict(judge, step)
        elif option is not None:
            option, verdict = _best_in_pool(judge, step, pool.name)
        else:
            option = shadow.option(step, pool.name) if shadow else None
            verdict = _ineligible(excluded.get(pool.name, "not eligible"), space, step)
        rows.append(_row(judge, step, pool.name, option, verdict))
    first = [r for r in rows if r.pool == plan_pool]
    rest = sorted(
        (r for r in rows if r.pool != plan_pool),
        key=lambda r: (r.total_usd is None, r.total_usd or 0.0, r.pool),
    )
    demand = space.demands.get(step)
    return StepExplanation(step, plan_pool, demand.tasks if demand else 1, tuple(first + rest))


_LIMITS = ("deadline", "budget", "capacity", "infeasible")  # verdicts a faster type may lift


def _best_in_pool(judge: Judge, step: str, pool: str) -> tuple[Option, Verdict]:
    """The pool's hardware for the step and its verdict: its cheapest type, unless that one
    breaks a limit a faster (dearer) type the pool also offers keeps; when every type breaks
    one, the fastest (the strongest statement: even there)."""
    found: tuple[Option, Verdict] | None = None
    here = [o for o in judge.space.options[step] if o.pool == pool]
    for option in sorted(here, key=lambda o: (o.total_usd, o.wall_hours)):
        found = option, verdict_on(judge, step, option)
        if found[1].kind not in _LIMITS:
            return found
    assert found is not None  # the caller checked the pool has an option
    return found


def _crossing_gb(space: Space, datastore: Location | None, step: str, pool: str) -> float | None:
    """GB per run the step moves across regions when it runs in `pool` (the volume that
    pays egress), or None without a datastore."""
    demand = space.demands.get(step)
    if datastore is None or demand is None:
        return None
    p = space.pools[pool]
    return sum(routes_gb_per_run(demand, Location(p.cloud, p.region), datastore).values())


def _row(judge: Judge, step: str, pool: str, option: Option | None, verdict: Verdict) -> PoolRow:
    p = judge.space.pools[pool]
    demand = judge.space.demands.get(step)
    tasks = demand.tasks if demand else 1
    if option is None:
        return PoolRow(
            pool, p.cloud, p.region, p.capacity_type, None, tasks, None, None, None, None, None,
            verdict,
        )  # fmt: skip
    return PoolRow(
        pool=pool,
        cloud=p.cloud,
        region=p.region,
        capacity_type=p.capacity_type,
        instance_type=option.fit.instance_type,
        tasks=tasks,
        task_hours=option.task_hours,
        wall_hours=option.wall_hours,
        compute_usd=option.compute_usd,
        egress_usd=option.egress_usd,
        egress_gb=judge.egress_gb(step, pool),
        verdict=verdict,
    )


def _ineligible(reason: str, space: Space, step: str) -> Verdict:
    """The verdict on a pool the step may not use: the space's reason, classified."""
    kind = next((k for prefix, k in _EXCLUDED if reason.startswith(prefix)), "ineligible")
    demand = space.demands.get(step)
    if kind == "no_fit" and demand is not None:
        reason = f"no instance type fits {describe_request(demand)}"
    elif kind == "pinned":
        reason = f"pinned elsewhere ({reason})"
    elif kind == "over_capacity":
        reason = f"over capacity on its own: {reason}"
    return Verdict(kind, reason)
