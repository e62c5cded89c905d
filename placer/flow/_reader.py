"""`read_flow`: a flow file (and the project modules it imports) to a :class:`Flow`.

Statically and in time linear in the total size of the files read: each module is
parsed once and each module-level name evaluated once.
"""

from __future__ import annotations

import ast
import dataclasses
import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from placer.errors import FlowError
from placer.flow._classes import ClassChain, Classes
from placer.flow._configs import ConfigOverrides, Configs, declare_configs
from placer.flow._evaluate import Evaluator
from placer.flow._graph import Node, build_graph
from placer.flow._model import Flow, FlowConfig, Step
from placer.flow._mutator import MutatorPlacement, find_mutator, placed
from placer.flow._project import Module, Project
from placer.flow._resources import read_compute
from placer.flow._source import Source, read_source
from placer.flow._steps import RawStep, StepReader


@dataclass(frozen=True)
class ReadOptions:
    """What the command line adds to the flow file: module roots and Config values.

    `paths` are extra directories to find modules in (after the flow's own, like
    PYTHONPATH); `config_files` mirrors Metaflow's `--config NAME FILE` (a name the flow
    does not declare is an error, as in Metaflow); `config_values` gives parsed Config
    values (placer.yaml `flow_configs`; names the flow lacks are the caller's to report).
    """

    paths: tuple[Path, ...] = ()
    config_files: Mapping[str, Path] = field(default_factory=dict)
    config_values: Mapping[str, Any] = field(default_factory=dict)
    # Values to assume for Configs the flow may declare, before their default files
    # (`placer apply`: the placement it is about to write); unlike the two above, naming
    # a Config the flow lacks is not an error.
    assumed_values: Mapping[str, Any] = field(default_factory=dict)
    # Apply placer's own `@PlacerPlacement` mutator as Metaflow will (False: read the
    # flow's decorators as written, which is what `placer apply` edits).
    run_placer_mutator: bool = True


def read_flow(
    path: Path, flow_class: str | None = None, options: ReadOptions | None = None
) -> Flow:
    """Read the Metaflow flow in `path` without importing or executing it.

    `flow_class` picks the FlowSpec subclass when the file defines several and its
    `__main__` block does not say which one runs. Raises FlowError (one line naming the
    file, line and fix) for anything Metaflow would refuse or placer cannot read;
    what placer cannot see (a module outside the project) is a warning on the Flow.
    """
    with _collector_paused():
        return _read(Path(path), flow_class, options or ReadOptions())


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while reading.

    Reading allocates a syntax tree per module and no reference cycles; with the
    collector on, each of its full passes walks every live node: a generated 4,000-step
    project read in 107 µs per step instead of 66 (CPU time, side by side), and the cost
    per step grew with the project (docs/benchmarks.md).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(path: Path, flow_class: str | None, options: ReadOptions) -> Flow:
    source = read_source(path)
    project = Project(source.path, options.paths)
    main = project.main(source)
    warnings: dict[str, None] = {}

    def warn(message: str) -> None:
        warnings.setdefault(message)

    evaluator = Evaluator(project, warn=warn)
    classes = Classes(evaluator, warn)
    cls = classes.find_flow_class(main, flow_class)
    chain = classes.chain(main, cls)
    decls = declare_configs(chain, evaluator)
    _check_overrides(options, set(decls), source.path)
    overrides = ConfigOverrides(options.config_files, options.config_values, options.assumed_values)
    configs = Configs(decls, project, evaluator, overrides, warn)
    evaluator.configs = configs
    try:
        steps = _steps(source, main, cls, chain, evaluator, options, warn)
        flow_configs = {
            name: FlowConfig(name, d.attr, d.module.path, d.line, configs.default_file(d))
            for name, d in decls.items()
        }
    except FlowError as exc:
        raise _with_note(exc, list(warnings)) from None
    finally:
        evaluator.configs = None  # no reference cycle keeps every syntax tree alive
    return Flow(
        cls.name,
        source.path,
        cls.lineno,
        steps,
        source.sha256,
        dict(project.files),
        tuple(warnings),
        flow_configs,
    )


def _steps(
    source: Source,
    main: Module,
    cls: ast.ClassDef,
    chain: ClassChain,
    evaluator: Evaluator,
    options: ReadOptions,
    warn: Callable[[str], None],
) -> dict[str, Step]:
    """Every step: read, placed by placer's mutator (when it runs), checked as a graph."""
    raw = StepReader(evaluator, chain, warn).read_steps()
    mutator = None
    if options.run_placer_mutator:
        mutator = find_mutator(main, cls, evaluator, evaluator.project)
    if mutator is not None:
        raw = [_mutated(s, mutator) for s in raw]
    if not raw:
        raise FlowError(
            f"flow class '{cls.name}' has no @step methods",
            f"{source.path}:{cls.lineno}",
            "decorate the flow's steps with @step (from metaflow)",
        )
    nodes = build_graph(raw, source)
    return {s.name: _step(s, nodes[s.name], warn) for s in raw}


def _check_overrides(options: ReadOptions, declared: set[str], path: Path) -> None:
    for name in options.config_files:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise FlowError(
                f"the flow has no Config named '{name}' (its Configs: {known})",
                str(path),
                "pass the name given to Config(...) in the flow",
            )


def _with_note(error: FlowError, warnings: list[str]) -> FlowError:
    """An error that may come from what placer could not see says so in its hint."""
    unseen = [w for w in warnings if "not in the flow's project" in w or "cannot be read" in w]
    if not unseen:
        return error
    hint = f"{error.hint}; note: {unseen[0]}" if error.hint else f"note: {unseen[0]}"
    return FlowError(error.headline, error.location, hint)


def _mutated(raw: RawStep, mutator: MutatorPlacement) -> RawStep:
    entry = mutator.steps.get(raw.name)
    if entry is None:
        return raw
    return dataclasses.replace(raw, decorators=placed(raw.decorators, entry, mutator))


def _step(raw: RawStep, node: Node, warn: Callable[[str], None]) -> Step:
    compute = read_compute(raw.name, raw.decorators, raw.file, warn)
    tr = raw.transition
    return Step(
        name=raw.name,
        type=node.type,  # type: ignore[arg-type]  # one of NodeType by construction
        next=tr.next,
        line=raw.line,
        decorators=raw.decorators,
        foreach=tr.foreach,
        num_parallel=tr.num_parallel,
        condition=tr.condition,
        switch_cases=dict(tr.switch_cases),
        foreach_stack=node.foreach_stack,
        backend=compute.backend,
        resources=compute.resources,
        pod_request=compute.pod_request,
        declared=compute.declared,
        placement=compute.placement,
        file=raw.file,
        owner=raw.owner,
    )
