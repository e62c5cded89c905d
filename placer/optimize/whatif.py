"""What-if helpers for notebooks and scripts: the same flow under other prices or pools.

Both return new values (a Market, a Config) and change nothing in place, so a loop can
re-plan from the same starting point::

    dearer = scale_prices(market, spot=1.5)          # spot prices up 50%
    smaller = with_pools(config, replace(config.pool("aws-use1"), max_gpus=2))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from placer.config import Config, Pool
from placer.optimize.space import Market
from pricing import Offer


def scale_prices(market: Market, *, spot: float = 1.0, on_demand: float = 1.0) -> Market:
    """The market with every spot price times `spot` and on-demand price times
    `on_demand` (egress prices unchanged)."""
    if spot < 0 or on_demand < 0:
        raise ValueError("price factors must be >= 0")
    original = market.offers

    def offers(cloud: str, region: str) -> Sequence[Offer]:
        return [_scaled(o, spot, on_demand) for o in original(cloud, region)]

    return dataclasses.replace(market, offers=offers)


def _scaled(offer: Offer, spot: float, on_demand: float) -> Offer:
    demand, price = offer.usd_per_hour, offer.spot_usd_per_hour
    return dataclasses.replace(
        offer,
        usd_per_hour=None if demand is None else demand * on_demand,
        spot_usd_per_hour=None if price is None else price * spot,
    )


def with_pools(config: Config, *pools: Pool) -> Config:
    """The config with these pools: one of the same name is replaced where it stands, a
    new name is added at the end."""
    by_name = {p.name: p for p in pools}
    kept = tuple(by_name.pop(p.name, p) for p in config.pools)
    return dataclasses.replace(config, pools=kept + tuple(by_name.values()))
