"""placer: cost and placement optimizer for multi-cloud Metaflow pipelines."""

__version__ = "0.1.0"
