"""placer: cost and placement optimizer for multi-cloud Metaflow pipelines.

The public API, for notebooks and scripts (the CLI is a thin layer over it)::

    import placer
    flow = placer.read_flow(Path("flow.py"))
    config = placer.load_config(Path("flow.py"))
    market = placer.market_from_catalog(placer.load_catalog())
    plan = placer.plan_flow(flow, config, market)
    print(placer.output.render(plan, fmt="markdown"))

    learned = placer.learn.learn(flow, placer.learn.connect())  # the flow's past runs
    plan = placer.plan_flow(flow, placer.learn.with_learned(config, learned), market)

    why = placer.explain_flow(flow, config, market, ["train"])  # every pool, and why it lost
    curve = placer.frontier_flow(flow, config, market, points=8)  # cost against deadline
    spot_up = placer.plan_flow(flow, config, placer.scale_prices(market, spot=1.5))

Every name is documented in docs/api.md.

Names are imported on first use, so `import placer` (and `placer --help`) stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "read_flow": "placer.flow",
    "Flow": "placer.flow",
    "Step": "placer.flow",
    "Resources": "placer.flow",
    "load_config": "placer.config",
    "Config": "placer.config",
    "Pool": "placer.config",
    "load_catalog": "pricing.catalog",
    "market_from_catalog": "placer.optimize",
    "plan_flow": "placer.optimize",
    "Market": "placer.optimize",
    "explain_flow": "placer.optimize.explain",
    "frontier_flow": "placer.optimize.frontier",
    "scale_prices": "placer.optimize.whatif",
    "with_pools": "placer.optimize.whatif",
    "Offer": "pricing",
    "Plan": "placer.plan",
    "read_plan": "placer.plan",
    "apply_plan": "placer.apply",
    "PlacerError": "placer.errors",
}
_SUBMODULES = (
    "output",
    "report",
    "apply",
    "optimize",
    "flow",
    "plan",
    "errors",
    "config",
    "money",
    "learn",
)

__all__ = ["__version__", *_EXPORTS, *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"placer.{name}")
    else:
        raise AttributeError(f"module 'placer' has no attribute {name!r}")
    globals()[name] = value
    return value
