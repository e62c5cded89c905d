"""Reading a flow placed by `placer apply --mode mutator` as Metaflow will run it.

That mode adds `@PlacerPlacement` (from the placer_placement.py it writes next to the
flow) to the flow class; at deploy time the mutator gives each step named in
placement.json a `@kubernetes` with the plan's node selector and compute pool. The
reader does the same to the steps it read, so `placer graph` and `placer plan` see the
placement the run will have. Only placer's own mutator is recognised (by its class name
and the first line of its module docstring); other mutators are not run.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from placer.errors import FlowError
from placer.flow._evaluate import Evaluator
from placer.flow._model import Decorator
from placer.flow._project import Module, Project
from placer.flow._resources import BATCH_KEPT
from placer.flow._values import ClassRef
from placer.labels import COMPUTE_POOL_LABEL

MUTATOR_CLASS = "PlacerPlacement"
MUTATOR_MARK = "Step placement from placement.json, set by a Metaflow FlowMutator."
PLACEMENT_FILE = "placement.json"


@dataclasses.dataclass(frozen=True)
class MutatorPlacement:
    """placer's mutator on the flow class: where it is applied and what it sets."""

    steps: Mapping[str, Mapping[str, Any]]
    file: Path  # the flow file, where `@PlacerPlacement` is written
    line: int


def find_mutator(
    main: Module, cls: ast.ClassDef, evaluator: Evaluator, project: Project
) -> MutatorPlacement | None:
    """The placement placer's mutator applies to the flow class, if it carries one."""
    for node in cls.decorator_list:
        target = evaluator.reference(node, evaluator.at_class(main, cls))
        if isinstance(target, ClassRef) and _is_placer_mutator(target):
            path = target.module.path.parent / PLACEMENT_FILE
            return MutatorPlacement(_steps(project, path), main.path, node.lineno)
    return None


def _is_placer_mutator(ref: ClassRef) -> bool:
    doc = ast.get_docstring(ref.module.tree) or ""
    return ref.node.name == MUTATOR_CLASS and doc.startswith(MUTATOR_MARK)


def _steps(project: Project, path: Path) -> Mapping[str, Mapping[str, Any]]:
    hint = "re-run `placer apply --mode mutator`"
    if not path.exists():
        raise FlowError(
            f"@{MUTATOR_CLASS} reads {PLACEMENT_FILE}, which is missing", str(path), hint
        )
    try:
        steps = json.loads(project.read_data(path, "placement"))["steps"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FlowError(f"not a placement file placer wrote ({exc})", str(path), hint) from None
    if not isinstance(steps, dict):
        raise FlowError("not a placement file placer wrote (no steps)", str(path), hint)
    return {k: v for k, v in steps.items() if isinstance(v, dict)}


def placed(
    decorators: tuple[Decorator, ...], entry: Mapping[str, Any], mutator: MutatorPlacement
) -> tuple[Decorator, ...]:
    """The step's decorators once the mutator ran: one @kubernetes with the placement
    (its other arguments kept, @batch's shared ones carried over), no @batch."""
    kube = next((d for d in decorators if d.name == "kubernetes"), None)
    batch = next((d for d in decorators if d.name == "batch"), None)
    if kube is not None:
        args = dict(kube.args)
    elif batch is not None:
        args = {k: v for k, v in batch.args.items() if k in BATCH_KEPT and v is not None}
    else:
        args = {}
    selector = dict(entry.get("node_selector") or {})
    pool = entry.get("compute_pool")
    if pool:
        selector.pop(COMPUTE_POOL_LABEL, None)
    args.update(node_selector=selector or None, compute_pool=pool or None)
    args.update({k: str(entry[k]) for k in ("cpu", "memory") if entry.get(k) is not None})
    overridden = {"node_selector", "compute_pool"} | {
        k for k in ("cpu", "memory") if entry.get(k) is not None
    }
    wired = (kube.config_args if kube is not None else frozenset()) - overridden
    new = Decorator("kubernetes", args, mutator.line, MUTATOR_CLASS, mutator.file, wired)
    kept = tuple(d for d in decorators if d.name not in ("kubernetes", "batch"))
    return (*kept, new)
