"""Step placement from placement.json, set by a Metaflow FlowMutator. Written by placer.

`placer apply --mode mutator` writes this module next to the flow as placer_placement.py,
adds `@PlacerPlacement` to the flow class and writes the plan to placement.json beside
it; later applies only rewrite placement.json. Regenerate rather than edit.

At deploy time (and in each task) the mutator gives every step named in placement.json
a `@kubernetes` with the plan's node_selector and compute_pool (and, when placement.json
has them, cpu and memory), keeping the step's other @kubernetes arguments. Steps
inherited from base classes in other modules are reached without editing their source.
A planned @batch step moves to Kubernetes (AWS Batch has no node selectors) with the
arguments both decorators share. placement.json travels in Metaflow's code package with
this module. Needs Metaflow 2.16 or later, and nothing from placer.
"""

import json
import os

from metaflow import FlowMutator
from metaflow.exception import MetaflowException
from metaflow.user_configs.config_parameters import unpack_delayed_evaluator
from metaflow.user_decorators.mutable_step import MutableStep

PLACEMENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "placement.json")
COMPUTE_POOL_LABEL = "outerbounds.co/compute-pool"
BATCH_KEPT = (
    "cpu",
    "memory",
    "gpu",
    "image",
    "shared_memory",
    "use_tmpfs",
    "tmpfs_tempdir",
    "tmpfs_size",
    "tmpfs_path",
)


def load_placement(path=PLACEMENT):
    """The steps of placement.json: step name -> {node_selector, compute_pool, ...}."""
    try:
        with open(path, encoding="utf-8") as handle:
            steps = json.load(handle)["steps"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MetaflowException(
            f"@PlacerPlacement cannot read {path} ({exc}): re-run `placer apply --mode mutator`"
        ) from None
    if not isinstance(steps, dict):
        raise MetaflowException(f"@PlacerPlacement: {path} has no steps mapping")
    return steps


def kubernetes_arguments(specs, entry):
    """The step's @kubernetes arguments once placed: its own (or its @batch's shared
    ones), with the plan's node_selector and compute_pool (and cpu/memory if given)."""
    kubernetes = [kwargs for name, _, _, kwargs in specs if name == "kubernetes"]
    batch = [kwargs for name, _, _, kwargs in specs if name == "batch"]
    if kubernetes:
        arguments = dict(kubernetes[0])
    elif batch:
        arguments = {k: v for k, v in batch[0].items() if k in BATCH_KEPT and v is not None}
    else:
        arguments = {}
    selector = dict(entry.get("node_selector") or {})
    pool = entry.get("compute_pool")
    if pool:
        selector.pop(COMPUTE_POOL_LABEL, None)  # compute_pool= adds it
    # `@kubernetes(**config)` is kept as an entry Metaflow unpacks after every other
    # argument, so it would override the placement: unpack it now (Configs are loaded).
    arguments, _ = unpack_delayed_evaluator(arguments)
    arguments["node_selector"] = selector or None
    arguments["compute_pool"] = pool or None
    arguments.update({k: str(entry[k]) for k in ("cpu", "memory") if entry.get(k) is not None})
    return arguments


class PlacerPlacement(FlowMutator):
    """Sets each planned step's @kubernetes placement from placement.json."""

    def pre_mutate(self, mutable_flow):
        steps = load_placement()
        for name, step in mutable_flow.steps:
            entry = steps.get(name)
            if not isinstance(entry, dict):
                continue
            specs = list(step.decorator_specs)
            arguments = kubernetes_arguments(specs, entry)
            if any(spec[0] == "batch" for spec in specs):
                step.remove_decorator("batch")
            step.add_decorator("kubernetes", deco_kwargs=arguments, duplicates=MutableStep.OVERRIDE)

    def add_to_package(self):
        from metaflow.packaging_sys import ContentType

        yield PLACEMENT, "placement.json", ContentType.USER_CONTENT
