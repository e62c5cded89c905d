"""The typed model of a Metaflow flow, as placer reads it statically."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

NodeType = Literal["start", "linear", "split", "foreach", "join", "split-switch", "end"]
Backend = Literal["kubernetes", "batch", "local"]


@dataclass(frozen=True)
class Unevaluated:
    """A decorator argument placer cannot evaluate without running the file (its source).

    `reason` says why; `soft` marks information placer lacks (a module outside the
    project, a Config parser it does not run) rather than code it will not run.
    """

    source: str
    reason: str = field(default="", compare=False)
    soft: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Decorator:
    """One decorator on a step: its name, literal arguments and source line."""

    name: str
    args: Mapping[str, Any]
    line: int  # where the arguments are written (`file`)
    alias: str | None = None  # the name as written, when imported under another name
    # Where the arguments are written (None: the step's file), and which of them were read
    # from a Metaflow Config. Neither takes part in equality: a decorator is what it says.
    file: Path | None = field(default=None, compare=False)
    config_args: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass(frozen=True)
class Resources:
    """What one task's pod requests (Metaflow units: MB for memory and disk)."""

    cpu: float
    memory_mb: float
    disk_mb: float
    gpu: int = 0
    gpu_vendor: str | None = None

    @property
    def memory_gib(self) -> float:
        """GiB as Kubernetes counts it: Metaflow sends memory as "<n>M", 10^6 bytes each."""
        return self.memory_mb * 1e6 / 2**30

    def as_json(self) -> dict[str, Any]:
        """The JSON shape of `placer graph`: cpu, memory (MB), disk (MB), gpu."""
        out: dict[str, Any] = {
            "cpu": self.cpu,
            "memory": self.memory_mb,
            "disk": self.disk_mb,
            "gpu": self.gpu,
        }
        if self.gpu_vendor:
            out["gpu_vendor"] = self.gpu_vendor
        return out


@dataclass(frozen=True)
class Placement:
    """Where a step's decorators send it: node selector, compute pool, tolerations."""

    node_selector: Mapping[str, str] = field(default_factory=dict)
    compute_pool: str | None = None
    tolerations: tuple[Mapping[str, Any], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.node_selector and self.compute_pool is None


@dataclass(frozen=True)
class FlowConfig:
    """A Metaflow `Config` of the flow: its name, attribute, where it is declared, and
    the file its `default=` names (relative to the flow's directory; None without one)."""

    name: str
    attr: str
    file: Path
    line: int
    default_file: Path | None = None


@dataclass(frozen=True)
class Step:
    """One step of a flow with its Metaflow graph semantics and decorators."""

    name: str
    type: NodeType
    next: tuple[str, ...]
    line: int
    decorators: tuple[Decorator, ...] = ()
    foreach: str | None = None  # the `foreach=` attribute name on a foreach step
    num_parallel: int | None = None  # `num_parallel=` on a parallel foreach
    condition: str | None = None  # `condition=` on a split-switch step
    switch_cases: Mapping[str, str] = field(default_factory=dict)  # case value -> step
    foreach_stack: tuple[str, ...] = ()  # enclosing foreach steps, outermost first
    backend: Backend = "local"
    resources: Resources | None = None  # effective Kubernetes request; None off Kubernetes
    # What the pod would request once the step runs on Kubernetes (as `placer apply` makes
    # it): `resources` for @kubernetes steps, else @resources merged with @kubernetes
    # defaults. The optimizer prices this for every step.
    pod_request: Resources | None = None
    declared: Resources | None = None  # what @resources alone asks (None without it)
    placement: Placement = field(default_factory=Placement)
    # The file and class that define the step (None: the flow file and class); not part of
    # equality, so a copied or moved flow reads as the same steps.
    file: Path | None = field(default=None, compare=False)
    owner: str | None = field(default=None, compare=False)

    @property
    def in_foreach(self) -> bool:
        return bool(self.foreach_stack)

    def decorator(self, name: str) -> Decorator | None:
        """The decorator called `name` (by its Metaflow name), if the step has it."""
        return next((d for d in self.decorators if d.name == name), None)


@dataclass(frozen=True)
class Flow:
    """A flow read from source: its class, file, and steps in source order."""

    name: str
    file: Path
    line: int
    steps: Mapping[str, Step]
    sha256: str
    # Every file read to build this flow (modules, Config files) -> sha256, flow file first.
    sources: Mapping[Path, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    configs: Mapping[str, FlowConfig] = field(default_factory=dict)  # by Config name

    def relative_sources(self) -> dict[str, str]:
        """`sources` with paths relative to the flow file's directory (POSIX separators),
        as plans record them."""
        base = self.file.parent
        return {
            Path(os.path.relpath(path, base)).as_posix(): sha for path, sha in self.sources.items()
        }

    @property
    def start(self) -> Step:
        """The entry step. Not always of type "start": Metaflow types a start step that
        fans out as "split"/"foreach"/"split-switch"; it is the step nothing leads to."""
        targets = {t for s in self.steps.values() for t in s.next}
        return next(s for s in self.steps.values() if s.name not in targets)

    @property
    def end(self) -> Step:
        """The terminal step (type "end")."""
        return next(s for s in self.steps.values() if s.type == "end")

    def parents(self, name: str) -> tuple[str, ...]:
        """Steps whose `next` includes `name`, in source order."""
        return tuple(s.name for s in self.steps.values() if name in s.next)
