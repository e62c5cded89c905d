"""Checks of a Config against a pricing catalog: every pool must be priced somewhere.

The catalog is any object with ``regions(cloud)`` and ``offers(cloud, region)`` (see the
protocols below), so these checks need neither the snapshot nor a network.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from typing import Protocol

from placer.config.model import Config
from placer.config.pool import Pool
from placer.errors import ConfigError, did_you_mean

__all__ = ["catalog_problem", "check_pools_against_catalog"]


class _Offer(Protocol):
    @property
    def instance_type(self) -> str:
        """The catalog's name of the type, e.g. m7i.large."""
        ...

    def price(self, capacity_type: str) -> float | None:
        """$/h for "on-demand" or "spot" (None if not sold that way)."""
        ...


class _Catalog(Protocol):
    def regions(self, cloud: str) -> Iterable[str]:
        """Regions the catalog prices for `cloud`."""
        ...

    def offers(self, cloud: str | None = None, region: str | None = None) -> Iterable[_Offer]:
        """Offers of one cloud and region."""
        ...


def check_pools_against_catalog(config: Config, catalog: _Catalog) -> None:
    """Raise ConfigError for the first pool the catalog cannot price: its cloud/region is
    not there, or (for pools written by hand) its `instance_types` globs match no type sold
    in its capacity type. A discovered pool lists the types its nodes run, which the catalog
    may not price: `placer pools discover` warns about those instead."""
    for index, pool in enumerate(config.pools):
        regions = sorted(catalog.regions(pool.cloud))
        if pool.region in regions:
            if not pool.source.startswith("discovered:"):
                _check_instance_types(config, index, catalog)
            continue
        hint = did_you_mean(pool.region, regions) or (
            f"{pool.cloud} regions in the catalog: {', '.join(regions[:12])}"
            if regions
            else f"the catalog has no {pool.cloud} prices; run `placer pricing refresh`"
        )
        where = _pool_location(config, index)
        raise ConfigError(
            f"pools[{index}].region: {pool.region!r} ({pool.name}) is not in the "
            f"pricing catalog for {pool.cloud}",
            where,
            hint,
        )


def _sold(pool: Pool, catalog: _Catalog) -> list[str]:
    """Instance types the catalog sells in the pool's region and capacity type."""
    offers = catalog.offers(pool.cloud, pool.region)
    return [o.instance_type for o in offers if o.price(pool.capacity_type) is not None]


def _any_match(pool: Pool, types: Sequence[str]) -> bool:
    globs = pool.instance_types or ("*",)
    return any(fnmatch.fnmatchcase(t, g) for t in types for g in globs)


def catalog_problem(pool: Pool, catalog: _Catalog) -> str | None:
    """Why `placer plan` would refuse this pool (its prices are missing), or None."""
    if pool.region not in set(catalog.regions(pool.cloud)):
        return f"{pool.cloud} region {pool.region} is not in the pricing catalog"
    if not _any_match(pool, _sold(pool, catalog)):
        types = ", ".join(pool.instance_types) or "any type"
        return (
            f"the pricing catalog sells none of its instance types ({types}) "
            f"{pool.capacity_type} in {pool.cloud} {pool.region}"
        )
    return None


def _check_instance_types(config: Config, index: int, catalog: _Catalog) -> None:
    """A pool whose globs match no priced type could never take a step: say so here."""
    pool = config.pools[index]
    sold = _sold(pool, catalog)
    if _any_match(pool, sold):
        return
    where, listing = _pool_location(config, index), f"placer pricing show --cloud {pool.cloud}"
    if not pool.instance_types:
        raise ConfigError(
            f"pools[{index}].capacity_type: no {pool.cloud} {pool.region} instance type is "
            f"sold {pool.capacity_type} in the pricing catalog ({pool.name})",
            where,
            "use the other capacity_type, or run `placer pricing refresh`",
        )
    raise ConfigError(
        f"pools[{index}].instance_types: {list(pool.instance_types)} match no {pool.cloud} "
        f"{pool.region} instance type sold {pool.capacity_type} in the pricing catalog "
        f"({pool.name})",
        where,
        f"use globs such as {_example_glob(sold)} (`{listing} --region {pool.region}` lists "
        "the types), or run `placer pricing refresh`",
    )


def _example_glob(types: Sequence[str]) -> str:
    """A family glob from the catalog's types, e.g. 'm7i.*' or 'n2-standard-*'."""
    if not types:
        return "'*'"
    first = sorted(types)[0]
    cut = max(first.rfind("."), first.rfind("-"), first.rfind("_"))
    return f"'{first[: cut + 1]}*'" if cut > 0 else f"'{first}'"


def _pool_location(config: Config, index: int) -> str:
    """file:line of pools[index] when the pool came from a file, else the pool's source."""
    pool = config.pools[index]
    if config.path is None or pool.source == "defaults":
        return pool.source
    return config.where(f"pools[{index}]") or str(config.path)
