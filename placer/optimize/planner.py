"""From a flow, a config and prices to a Plan: validate, build, explain, solve, compare."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from placer.config import Config
from placer.errors import ConfigError, PlanError
from placer.flow import Flow
from placer.optimize import residency
from placer.optimize.baselines import as_written, greedy
from placer.optimize.build import baseline, build_plan
from placer.optimize.diagnose import check_bounds, check_eligible, diagnose
from placer.optimize.problem import Objective
from placer.optimize.solve import DEFAULT_GAP, optimize
from placer.optimize.space import Market, Space, build_space
from placer.plan import Plan

if TYPE_CHECKING:
    from pricing.catalog import Catalog


def market_from_catalog(catalog: Catalog) -> Market:
    """Offers from the catalog, egress and continents from `pricing.egress`."""
    from placer.optimize.egress import default_transfer_cost
    from pricing.egress import continent

    return Market(
        offers=lambda cloud, region: catalog.offers(cloud, region),
        transfer_cost=default_transfer_cost(),
        continent=continent,
        source=catalog.source,
        captured_at=catalog.captured_at,
    )


def _origin(config: Config, given: Mapping[str, str]) -> dict[str, str]:
    """Where the deadline and budget came from: the given places (options), else their
    config fields, located from the lines the Config recorded when it was loaded."""
    fields = {key: config.locate(f"constraints.{key}") for key in ("deadline", "budget")}
    return {**fields, **given}


def _suggest(word: str, options: list[str], what: str) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f"did you mean {close[0]!r}?" if close else f"{what} are: {', '.join(options)}"


def check_names(flow: Flow, config: Config) -> None:
    """Steps and pools named in placer.yaml must exist (with a "did you mean")."""
    for name, usage in config.steps.items():
        if name not in flow.steps:
            raise ConfigError(
                f"{flow.name} has no step {name!r}",
                config.locate(f"steps.{name}"),
                _suggest(name, list(flow.steps), "steps"),
            )
        pools = [p.name for p in config.pools]
        for key, names in (("pools", usage.pools), ("exclude_pools", usage.exclude_pools)):
            for pool in names:
                if pool not in pools:
                    raise ConfigError(
                        f"no pool named {pool!r}",
                        config.locate(f"steps.{name}.{key}"),
                        _suggest(pool, pools, "pools"),
                    )


def plan_flow(
    flow: Flow,
    config: Config,
    market: Market,
    *,
    objective: Objective = "cost",
    deadline_hours: float | None = None,
    budget_usd_per_month: float | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    lp_path: Path | None = None,
    gap: float = DEFAULT_GAP,
    flow_file: str | None = None,
    origin: Mapping[str, str] | None = None,
) -> Plan:
    """The cheapest (or fastest) feasible placement of `flow`, with its baselines.

    `solver` None picks automatically: the direct answer when no constraint binds, else
    HiGHS (see `placer.optimize.solve.optimize`).

    `gap` is the relative MIP gap at which the solver may stop (see solve.py).

    `origin` names where the deadline/budget came from (an option or a config field), so
    an infeasibility message can point there.
    """
    check_names(flow, config)
    space = build_space(flow, config, market, deadline_hours, budget_usd_per_month)
    return plan_space(
        space, flow, config, market,
        objective=objective, solver=solver, time_limit=time_limit, lp_path=lp_path, gap=gap,
        flow_file=flow_file, origin=origin,
    )  # fmt: skip


def plan_space(
    space: Space,
    flow: Flow,
    config: Config,
    market: Market,
    *,
    objective: Objective = "cost",
    solver: str | None = None,
    time_limit: float | None = None,
    lp_path: Path | None = None,
    gap: float = DEFAULT_GAP,
    flow_file: str | None = None,
    origin: Mapping[str, str] | None = None,
) -> Plan:
    """:func:`plan_flow` on a space already built from the same flow, config and market
    (`placer explain` reads the same space to judge the plan)."""
    where = _origin(config, origin or {})
    check_eligible(space, flow, config, market.offers)
    moved = residency.check(flow, config, dict(space.demands), market.continent)
    check_bounds(space, where)
    solution = optimize(space, objective, solver, time_limit, lp_path, gap)
    if solution.assignment is None:
        raise _failure(space, solution.stats.status, solver or "highs", time_limit)
    written, note = as_written(space, flow, config.datastore)
    cheap, repair = greedy(space)
    baselines = {
        "as_written": baseline(space, "as_written", written, note),
        "greedy": baseline(space, "greedy", cheap, repair),
    }
    return build_plan(
        space,
        flow,
        config,
        solution.assignment,
        solution.stats,
        baselines,
        objective=objective,
        flow_file=flow_file or str(flow.file),
        pricing=(market.source, market.captured_at),
        also=(residency.describe(moved),) if moved else (),
    )


def _failure(space: Space, status: str, solver: str, time_limit: float | None) -> PlanError:
    if status == "infeasible":

        def relaxed(candidate: Space) -> dict[str, str] | None:
            return optimize(candidate, "cost", solver, time_limit).assignment

        return diagnose(space, relaxed)
    return PlanError(
        f"the {solver} solver stopped ({status}) without a plan that meets every constraint",
        "--time-limit",
        "raise --time-limit, or try --solver cbc",
    )
