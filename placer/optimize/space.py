"""The search space: every eligible (step, pool) option with its cost, time and load.

Building it is pure: flow + config + a :class:`Market` (offers, egress prices, continents)
in, a :class:`Space` out. The ILP, the baselines and the evaluator all read the same Space,
so they price a placement identically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from placer.config import Config, Pool
from placer.flow import Flow
from placer.optimize.demand import Demand, demands
from placer.optimize.egress import (
    TransferCost,
    egress_usd_per_run,
    transfer_hours_per_task,
)
from placer.optimize.offers import Fit, NodeCapacity, best_fit, node_allocatable
from pricing import Location, Offer

RESOURCES = ("vcpu", "memory_gib", "gpu", "nodes")
_POOL_LIMIT = {
    "vcpu": "max_vcpus",
    "memory_gib": "max_memory_gib",
    "gpu": "max_gpus",
    "nodes": "max_nodes",
}


@dataclass(frozen=True)
class Market:
    """What placer knows about prices: offers per region, transfer costs, continents, and
    what a node of each offer leaves for task pods in a pool (its allocatable capacity:
    the managed providers' formulas unless told otherwise)."""

    offers: Callable[[str, str], Sequence[Offer]]
    transfer_cost: TransferCost
    continent: Callable[[Location], str]
    source: str = "snapshot"
    captured_at: str = ""
    allocatable: NodeCapacity = node_allocatable


@dataclass(frozen=True)
class Option:
    """One step placed in one pool: what it costs per run, how long it takes, its load."""

    step: str
    pool: str
    fit: Fit
    compute_usd: float  # per run
    egress_usd: float  # per run
    task_hours: float  # billed pod-hours per run
    wall_hours: float  # the step's elapsed time in one run (waves x task time)
    load: Mapping[str, float]  # concurrent demand on the pool per resource

    @property
    def total_usd(self) -> float:
        return self.compute_usd + self.egress_usd


@dataclass(frozen=True)
class Space:
    """Everything the optimizer chooses from, and the constraints it must meet."""

    steps: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    pools: Mapping[str, Pool]
    options: Mapping[str, tuple[Option, ...]]  # eligible options per step
    caps: Mapping[str, Mapping[str, float]]  # pool -> resource -> finite limit
    runs_per_month: float
    deadline_hours: float | None = None
    budget_usd_per_month: float | None = None
    demands: Mapping[str, Demand] = field(default_factory=dict)
    excluded: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def option(self, step: str, pool: str) -> Option | None:
        return next((o for o in self.options[step] if o.pool == pool), None)

    def placed(self, step: str, pool: str) -> Option:
        """The option of `step` in `pool`, which a placement has chosen (so it exists)."""
        option = self.option(step, pool)
        if option is None:
            raise KeyError(f"{pool} is not an eligible pool of step {step}")
        return option


def pool_caps(pool: Pool) -> dict[str, float]:
    """The pool's finite limits by resource name."""
    caps = {}
    for resource, attr in _POOL_LIMIT.items():
        value = getattr(pool, attr)
        if value is not None:
            caps[resource] = float(value)
    return caps


def _load(demand: Demand, fit: Fit) -> dict[str, float]:
    pods = demand.concurrent_tasks
    return {
        "vcpu": pods * demand.cpu,
        "memory_gib": pods * demand.memory_gib,
        "gpu": float(pods * demand.gpu),
        "nodes": float(math.ceil(pods / fit.pods_per_node)),
    }


def _eligibility(
    step: str, pool: Pool, config: Config, market: Market, residency: tuple[str, ...]
) -> str | None:
    """Why config rules keep `step` out of `pool` (None when allowed); `residency` is
    :func:`residency_of` the step, computed once per step."""
    usage = config.usage(step)
    if usage.pools and pool.name not in usage.pools:
        return f"not in steps.{step}.pools"
    if pool.name in usage.exclude_pools:
        return f"in steps.{step}.exclude_pools"
    if usage.allowed_clouds and pool.cloud not in usage.allowed_clouds:
        return f"cloud {pool.cloud} not in steps.{step}.allowed_clouds"
    if usage.regions and pool.region not in usage.regions:
        return f"region {pool.region} not in steps.{step}.regions"
    for continent in residency:
        where = market.continent(Location(pool.cloud, pool.region))
        if where != continent:
            return f"residency {continent}: {pool.name} is in {where}"
    return None


def residency_of(step: str, config: Config) -> tuple[str, ...]:
    """Continents the step's data must stay in (per step, or constraints.residency)."""
    own = config.usage(step).residency
    found = [own] if own else []
    found += [c for c, steps in config.constraints.residency.items() if step in steps]
    return tuple(dict.fromkeys(found))


@dataclass
class _Cache:
    """Memo of the expensive parts: fits by pod shape, egress and transfer by location."""

    offers: Mapping[str, Sequence[Offer]]
    caps: Mapping[str, Mapping[str, float]]  # pool_caps of every pool
    allocatable: NodeCapacity
    fits: dict = field(default_factory=dict)
    moves: dict = field(default_factory=dict)

    def fit(self, demand: Demand, pool: Pool, config: Config) -> Fit | None:
        key = (
            demand.cpu,
            demand.memory_gib,
            demand.gpu,
            demand.gpu_vendor,
            demand.gpu_model,
            demand.arch,
            demand.task_hours,  # burstable types depend on it
            demand.concurrent_tasks,  # so does the share of a node
            pool.name,
        )
        if key not in self.fits:
            offers = self.offers[pool.name]
            self.fits[key] = best_fit(demand, pool, offers, config.defaults, self.allocatable)
        return self.fits[key]

    def move(self, demand: Demand, where: Location, config: Config, market: Market):
        """(egress USD per run, transfer hours per task) of the step at `where`: they depend
        only on the step's data sizes and task count, which many steps share."""
        key = (demand.input_gb, demand.output_gb, demand.tasks, demand.reads, where)
        if key not in self.moves:
            self.moves[key] = (
                egress_usd_per_run(
                    demand, where, config.datastore, config.runs_per_month, market.transfer_cost
                ),
                transfer_hours_per_task(demand, where, config.datastore, config.constraints.gbps),
            )
        return self.moves[key]


def make_option(
    demand: Demand, pool: Pool, fit: Fit, egress_usd: float, transfer_hours: float
) -> Option:
    """Price one step in one pool, given its fit and its data movement there."""
    task_h = demand.task_hours / pool.speed + transfer_hours
    return Option(
        step=demand.step,
        pool=pool.name,
        fit=fit,
        compute_usd=demand.tasks * task_h * fit.usd_per_task_hour,
        egress_usd=egress_usd,
        task_hours=demand.tasks * task_h,
        wall_hours=demand.waves * task_h,
        load=_load(demand, fit),
    )


def _options_for(
    demand: Demand, config: Config, market: Market, cache: _Cache
) -> tuple[list[Option], list[tuple[str, str]]]:
    options, excluded = [], []
    residency = residency_of(demand.step, config)
    for pool in config.pools:
        reason = _eligibility(demand.step, pool, config, market, residency)
        fit = None if reason else cache.fit(demand, pool, config)
        if reason is None and fit is None:
            reason = "no instance type fits"
        if reason is None and fit is not None:
            egress, hours = cache.move(demand, Location(pool.cloud, pool.region), config, market)
            option = make_option(demand, pool, fit, egress, hours)
            reason = _over_cap(option, pool, cache.caps[pool.name])
            if reason is None:
                options.append(option)
        if reason is not None:
            excluded.append((pool.name, reason))
    return options, excluded


def _over_cap(option: Option, pool: Pool, caps: Mapping[str, float]) -> str | None:
    for resource, cap in caps.items():
        if option.load[resource] > cap + 1e-9:
            return f"needs {option.load[resource]:g} {resource} at once > {pool.name} limit {cap:g}"
    return None


def build_space(
    flow: Flow,
    config: Config,
    market: Market,
    deadline_hours: float | None = None,
    budget_usd_per_month: float | None = None,
) -> Space:
    """All eligible options of every step; deadline and budget default to the config's."""
    cache = _Cache(
        {p.name: tuple(market.offers(p.cloud, p.region)) for p in config.pools},
        {p.name: pool_caps(p) for p in config.pools},
        market.allocatable,
    )
    per_step = demands(flow, config)
    options, excluded = {}, {}
    for name, demand in per_step.items():
        found, out = _options_for(demand, config, market, cache)
        options[name], excluded[name] = tuple(found), tuple(out)
    edges = tuple((s.name, n) for s in flow.steps.values() for n in s.next if n in flow.steps)
    return Space(
        steps=tuple(flow.steps),
        edges=edges,
        pools={p.name: p for p in config.pools},
        options=options,
        caps=dict(cache.caps),
        runs_per_month=config.runs_per_month,
        deadline_hours=_first(deadline_hours, config.constraints.deadline_hours),
        budget_usd_per_month=_first(budget_usd_per_month, config.constraints.budget_usd_per_month),
        demands=per_step,
        excluded=excluded,
    )


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)
