"""The placement optimizer: cost and egress model, ILP, baselines, and the plan it yields.

A pipeline of pure steps: `demand` (what each step asks for) -> `offers` (the instance type
and price per pool) -> `egress` (data moved) -> `space` (every eligible option) ->
`problem` (the pulp model) -> `solve` (HiGHS or CBC) -> `baselines`/`build` (the Plan).
`planner.plan_flow` runs them all; `diagnose` turns infeasibility into one clear line.
Heavy imports (pulp, highspy, numpy) happen inside the functions that solve.
"""

from placer.optimize.planner import check_names, market_from_catalog, plan_flow
from placer.optimize.space import Market, Option, Space, build_space

__all__ = [
    "Market",
    "Option",
    "Space",
    "build_space",
    "check_names",
    "market_from_catalog",
    "plan_flow",
]
