"""The search space: every eligible (step, pool) option with its cost, time and load.

Building it is pure: flow + config + a :class:`Market` (offers, egress prices, continents)
in, a :class:`Space` out. The ILP, the baselines and the evaluator all read the same Space,
so they price a placement identically.
"""

from __future__ import annotations

import dataclasses
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
from placer.optimize.offers import (
    Fit,
    NodeCapacity,
    SpeedGroup,
    choose_fits,
    node_allocatable,
    speed_groups,
)
from placer.optimize.spot import expected_factor
from pricing import Location, Offer

RESOURCES = ("vcpu", "memory_gib", "gpu", "nodes")
BATCH_POOL = "aws-batch"  # where @batch steps stay under keep_batch (`plan --keep-batch`)
KEPT_ON_BATCH = "an @batch step left on AWS Batch (--keep-batch, constraints.keep_batch)"
ONLY_KEPT_BATCH = "AWS Batch holds only the @batch steps left there (--keep-batch)"
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
    # The option's name among the step's options: its pool, or "pool:instance type" for the
    # other hardware a pool offers the step (faster and dearer: see offers.choose_fits). Placements
    # map steps to keys.
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.pool)

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
    # per step, the cheapest option on each hardware it fits in any eligible pool, the
    # dominated ones included (for the plan's reasons: what a task costs and takes there)
    hardware: Mapping[str, tuple[Option, ...]] = field(default_factory=dict)

    def option(self, step: str, key: str) -> Option | None:
        """The step's option called `key` (a pool name, or "pool:type"), if eligible."""
        return next((o for o in self.options[step] if o.key == key), None)

    def placed(self, step: str, key: str) -> Option:
        """The option of `step` called `key`, which a placement has chosen (so it exists)."""
        option = self.option(step, key)
        if option is None:
            raise KeyError(f"{key} is not an eligible pool of step {step}")
        return option

    def key_for(self, step: str, pool: str, instance_type: str) -> str:
        """The key of the step's option on `instance_type` in `pool` (what a plan file
        records), or the pool's name when no option matches (the pool's first option)."""
        for o in self.options.get(step, ()):
            if o.pool == pool and o.fit.instance_type == instance_type:
                return o.key
        return pool

    def pool_of(self, step: str, key: str) -> str:
        """The pool of a placed option (keys of the other hardware name it first)."""
        return self.placed(step, key).pool


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
    found: dict = field(default_factory=dict)
    chosen: dict = field(default_factory=dict)
    moves: dict = field(default_factory=dict)

    def groups(self, demand: Demand, pool: Pool, config: Config) -> tuple[SpeedGroup, ...]:
        """:func:`speed_groups` (the expensive part of choosing a type), shared by steps
        with the same pod and scaling; the step's duration picks among them."""
        key = (
            demand.cpu,
            demand.memory_gib,
            demand.gpu,
            demand.gpu_vendor,
            demand.gpu_model,
            demand.arch,
            demand.reference,
            demand.reference_label,
            demand.speedup,
            demand.durations,
            demand.concurrent_tasks,  # the share of a node depends on it
            pool.name,
        )
        if key not in self.found:
            offers = self.offers[pool.name]
            defaults = config.defaults
            self.found[key] = speed_groups(demand, pool, offers, defaults, self.allocatable)
        return self.found[key]

    def fits(
        self,
        groups: tuple[SpeedGroup, ...],
        demand: Demand,
        pool: Pool,
        config: Config,
        transfer_hours: float,
        frontier: bool = True,
    ) -> list[Fit]:
        """:func:`choose_fits` for the step's duration and transfers, shared by steps whose
        groups, duration and transfers are the same."""
        key = (id(groups), demand.task_hours, transfer_hours, pool.name, frontier)
        if key not in self.chosen:
            self.chosen[key] = choose_fits(
                groups, demand.task_hours, pool, config.defaults, transfer_hours, frontier
            )
        return self.chosen[key]

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
    demand: Demand,
    pool: Pool,
    fit: Fit,
    egress_usd: float,
    transfer_hours: float,
    key: str = "",
    interruptions: float = 0.0,
) -> Option:
    """Price one step in one pool, given its fit and its data movement there, and (spot
    pools) the share of nodes interrupted per day: a task's expected time grows by
    :func:`placer.optimize.spot.expected_factor`."""
    task_h = fit.task_hours / pool.speed + transfer_hours
    task_h *= expected_factor(task_h, interruptions)
    return Option(
        key=key,
        step=demand.step,
        pool=pool.name,
        fit=fit,
        compute_usd=demand.tasks * task_h * fit.usd_per_task_hour,
        egress_usd=egress_usd,
        task_hours=demand.tasks * task_h,
        wall_hours=demand.waves * task_h,
        load=_load(demand, fit),
    )


def keyed(options: list[Option]) -> list[Option]:
    """The first option of a pool keeps the pool's name as its key; the other hardware the
    pool offers the step (faster, dearer) are "pool:instance type"."""
    first, *others = options
    named = [dataclasses.replace(o, key=f"{o.pool}:{o.fit.instance_type}") for o in others]
    return [first, *named]


def batch_pool(config: Config) -> Pool:
    """AWS Batch on EC2 for the @batch steps kept there: on-demand EC2 in the datastore's
    region when it is on AWS, else the first AWS pool's region (else us-east-1)."""
    if config.datastore.cloud == "aws":
        region = config.datastore.region
    else:
        region = next((p.region for p in config.pools if p.cloud == "aws"), "us-east-1")
    return Pool(BATCH_POOL, "aws", region, source=BATCH_POOL)


def _options_for(
    demand: Demand, config: Config, market: Market, cache: _Cache, pools: Sequence[Pool]
) -> tuple[list[Option], list[tuple[str, str]], list[Option]]:
    options, excluded, everything = [], [], []
    residency = residency_of(demand.step, config)
    for pool in pools:
        reason = _eligibility(demand.step, pool, config, market, residency)
        groups = () if reason else cache.groups(demand, pool, config)
        if reason is None and not groups:
            reason = "no instance type fits"
        if reason is None:
            egress, hours = cache.move(demand, Location(pool.cloud, pool.region), config, market)
            lost = interruption_share(pool, config)
            fits = cache.fits(groups, demand, pool, config, hours)
            priced = [make_option(demand, pool, f, egress, hours, "", lost) for f in fits]
            if demand.gpu_step:  # every accelerator, for the reasons
                every = cache.fits(groups, demand, pool, config, hours, frontier=False)
                everything += [make_option(demand, pool, f, egress, hours, "", lost) for f in every]
            within = [o for o in priced if _over_cap(o, pool, cache.caps[pool.name]) is None]
            reason = None if within else _over_cap(priced[0], pool, cache.caps[pool.name])
            if within:
                options.extend(keyed(within))
        if reason is not None:
            excluded.append((pool.name, reason))
    return options, excluded, everything


def _per_hardware(options: list[Option]) -> tuple[Option, ...]:
    """The cheapest option on each hardware, cheapest first."""
    best: dict[str, Option] = {}
    for option in options:
        label = option.fit.hardware
        if label not in best or option.total_usd < best[label].total_usd:
            best[label] = option
    return tuple(sorted(best.values(), key=lambda o: (o.total_usd, o.wall_hours)))


def interruption_share(pool: Pool, config: Config) -> float:
    """Share of the pool's nodes interrupted per day: 0 on demand."""
    if pool.capacity_type != "spot":
        return 0.0
    return config.defaults.spot_interruption.get(pool.cloud, 0.0)


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
    per_step = demands(flow, config)
    batch = None
    if config.constraints.keep_batch and any(d.backend == "batch" for d in per_step.values()):
        batch = batch_pool(config)
    pools = (*config.pools, batch) if batch else config.pools
    cache = _Cache(
        {p.name: tuple(market.offers(p.cloud, p.region)) for p in pools},
        {p.name: pool_caps(p) for p in pools},
        market.allocatable,
    )
    options, excluded, hardware = {}, {}, {}
    for name, demand in per_step.items():
        kept = demand.backend == "batch"
        where = (batch,) if batch is not None and kept else config.pools
        found, out, everything = _options_for(demand, config, market, cache, where)
        if batch is not None:  # say why the pools it may not use are out
            others = config.pools if kept else (batch,)
            why = KEPT_ON_BATCH if kept else ONLY_KEPT_BATCH
            out += [(p.name, why) for p in others]
        options[name], excluded[name] = tuple(found), tuple(out)
        hardware[name] = _per_hardware(everything)
    edges = tuple((s.name, n) for s in flow.steps.values() for n in s.next if n in flow.steps)
    return Space(
        steps=tuple(flow.steps),
        edges=edges,
        pools={p.name: p for p in pools},
        options=options,
        caps=dict(cache.caps),
        runs_per_month=config.runs_per_month,
        deadline_hours=_first(deadline_hours, config.constraints.deadline_hours),
        budget_usd_per_month=_first(budget_usd_per_month, config.constraints.budget_usd_per_month),
        demands=per_step,
        excluded=excluded,
        hardware=hardware,
    )


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)
