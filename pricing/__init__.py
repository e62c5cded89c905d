"""placer's pricing catalog: offers and egress rates for AWS, Azure and GCP.

Readers (catalog loading, egress math) never import pandas or a cloud SDK; fetchers
(`pricing.fetch`) talk to the clouds and write the cache.
"""

from pricing._model import CLOUDS, Location, Offer

__all__ = ["CLOUDS", "Location", "Offer"]
