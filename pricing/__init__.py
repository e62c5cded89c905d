"""placer's pricing catalog: offers and egress rates for AWS, Azure and GCP.

Readers (catalog loading, egress math) never import pandas or a cloud SDK; fetchers
(`pricing.fetch`) talk to the clouds and write the cache.
"""

from pricing._model import CLOUDS, Location, Offer
from pricing._store import cache_dir
from pricing.catalog import Catalog, OfferQuery, load_catalog
from pricing.egress import (
    CONTINENTS,
    EgressRates,
    continent,
    load_egress_rates,
    rate_usd_per_gb,
    transfer_cost_usd,
)

__all__ = [
    "CLOUDS",
    "CONTINENTS",
    "Catalog",
    "EgressRates",
    "Location",
    "Offer",
    "OfferQuery",
    "cache_dir",
    "continent",
    "load_catalog",
    "load_egress_rates",
    "rate_usd_per_gb",
    "transfer_cost_usd",
]
