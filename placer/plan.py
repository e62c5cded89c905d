"""A placement plan: the optimizer's output, and the input of `apply` and `report`.

The JSON form (``plan.json``) is documented in docs/plan-format.md. Money is kept as
:class:`~decimal.Decimal` to a hundredth of a cent, rounded half-up (:mod:`placer.money`),
and written as decimal strings in USD; keys keep a stable order.
Minor format versions only add fields; readers ignore fields they do not know.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from placer import limits
from placer._jsonfield import Field
from placer.errors import PlanError
from placer.labels import RULE, selector_problem, value_problem

if TYPE_CHECKING:
    from placer.flow import ReadOptions
from placer.money import kept, percent_text

# 1.1: flow.sources, flow.paths, flow.config_files; 1.2: steps' type, foreach_stack and
# num_parallel (what the stale check compares); 1.3: steps' backend ("batch" only)
FORMAT_VERSION = "1.3"
BACKENDS = ("kubernetes", "batch")


def money(value: float | Decimal | str) -> Decimal:
    """A USD amount as plan files keep it: to a hundredth of a cent, half-up (placer.money)."""
    return kept(value)


@dataclass(frozen=True)
class Cost:
    """Compute plus egress, in USD."""

    compute: Decimal = Decimal(0)
    egress: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.compute + self.egress

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.compute + other.compute, self.egress + other.egress)

    def scaled(self, factor: float | Decimal) -> Cost:
        f = Decimal(str(factor))
        return Cost(money(self.compute * f), money(self.egress * f))

    def as_json(self) -> dict[str, str]:
        return {"compute": str(self.compute), "egress": str(self.egress), "total": str(self.total)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cost:
        return cls.read(Field(data))

    @classmethod
    def read(cls, at: Field) -> Cost:
        """Compute and egress (the total is their sum, never read)."""
        return cls(at.get("compute").decimal(limits.USD), at.get("egress").decimal(limits.USD))


@dataclass(frozen=True)
class StepPlan:
    """Where one step runs and what it costs per run."""

    pool: str
    cloud: str
    region: str
    capacity_type: str
    node_selector: Mapping[str, str]  # the full selector, compute-pool label included
    compute_pool: str | None
    instance_type: str
    resources: Mapping[str, Any]  # the pod request priced: cpu, memory (MB), disk (MB), gpu
    tasks: int
    hours: Decimal  # task-hours per run (tasks x duration in that pool)
    cost: Cost  # per run
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    declared: Mapping[str, Any] | None = None  # @resources alone, for `apply --right-size`
    # The flow's edges out of this step (Metaflow's `self.next` targets), so reports can draw
    # the DAG without the flow file. Written as "next" only when known.
    next: tuple[str, ...] = ()
    # Where the step's task count comes from, for the stale check: its Metaflow node type,
    # the foreach steps around it (outermost first) and num_parallel. Plans before format
    # 1.2 do not record them (node_type None).
    node_type: str | None = None
    foreach_stack: tuple[str, ...] = ()
    num_parallel: int | None = None
    # "kubernetes" (what `placer apply` makes every step), or "batch": an @batch step left
    # on AWS Batch (`plan --keep-batch`), which apply does not touch. Written when "batch".
    backend: str = "kubernetes"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pool": self.pool,
            "cloud": self.cloud,
            "region": self.region,
            "capacity_type": self.capacity_type,
            "node_selector": dict(self.node_selector),
            "compute_pool": self.compute_pool,
            "instance_type": self.instance_type,
            "resources": dict(self.resources),
            "declared": dict(self.declared) if self.declared is not None else None,
            "tasks": self.tasks,
            "hours": str(self.hours),
            "compute_cost": str(self.cost.compute),
            "egress_cost": str(self.cost.egress),
            "total_cost": str(self.cost.total),
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
        }
        if self.next:
            out["next"] = list(self.next)
        if self.node_type is not None:
            out["type"] = self.node_type
            out["foreach_stack"] = list(self.foreach_stack)
            out["num_parallel"] = self.num_parallel
        if self.backend != "kubernetes":
            out["backend"] = self.backend
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> StepPlan:
        return cls.read(Field(d))

    @classmethod
    def read(cls, at: Field) -> StepPlan:
        """One step, every field checked (types, finite numbers in range, label syntax)."""
        declared = at.opt("declared")
        usd = limits.USD
        return cls(
            pool=at.get("pool").name(),
            cloud=at.get("cloud").text(),
            region=at.get("region").text(),
            capacity_type=at.get("capacity_type").text(),
            node_selector=_selector(at.get("node_selector")),
            compute_pool=_compute_pool(at.opt("compute_pool")),
            instance_type=at.get("instance_type").text(),
            resources=_resources(at.get("resources")),
            declared=_resources(declared) if declared is not None else None,
            tasks=at.get("tasks").integer(limits.TASKS),
            hours=at.get("hours").decimal(limits.HOURS),
            cost=Cost(at.get("compute_cost").decimal(usd), at.get("egress_cost").decimal(usd)),
            reasons=_texts(at.opt("reasons")),
            warnings=_texts(at.opt("warnings")),
            next=_texts(at.opt("next")),
            node_type=_optional_text(at.opt("type")),
            foreach_stack=_texts(at.opt("foreach_stack")),
            num_parallel=_optional_count(at.opt("num_parallel")),
            backend=_backend(at.opt("backend")),
        )


@dataclass(frozen=True)
class Baseline:
    """A reference assignment the optimum is compared with (as_written, greedy)."""

    name: str
    feasible: bool
    assignment: Mapping[str, str]  # step -> pool
    per_run: Cost
    per_month: Cost
    note: str = ""  # why infeasible, or how it was repaired

    def as_json(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "steps": dict(self.assignment),
            "per_run": self.per_run.as_json(),
            "per_month": self.per_month.as_json(),
            "note": self.note,
        }

    @classmethod
    def from_json(cls, name: str, d: Mapping[str, Any]) -> Baseline:
        return cls.read(name, Field(d))

    @classmethod
    def read(cls, name: str, at: Field) -> Baseline:
        note = at.opt("note")
        return cls(
            name=name,
            feasible=at.get("feasible").boolean(),
            assignment={k: v.text() for k, v in at.get("steps").members().items()},
            per_run=Cost.read(at.get("per_run")),
            per_month=Cost.read(at.get("per_month")),
            note=note.text() if note is not None else "",
        )


@dataclass(frozen=True)
class SolverStats:
    """How the optimum was obtained, reported as the solver said it."""

    solver: str  # "HiGHS" or "CBC"
    status: str  # "optimal", "feasible" (stopped with a gap), "infeasible", ...
    objective: float | None
    gap: float | None  # relative MIP gap; 0.0 when proven optimal
    seconds: float
    variables: int = 0
    constraints: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "solver": self.solver,
            "status": self.status,
            "objective": self.objective,
            "gap": self.gap,
            "seconds": round(self.seconds, 4),
            "variables": self.variables,
            "constraints": self.constraints,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SolverStats:
        return cls.read(Field(d))

    @classmethod
    def read(cls, at: Field) -> SolverStats:
        objective, gap = at.opt("objective"), at.opt("gap")
        variables, constraints = at.opt("variables"), at.opt("constraints")
        return cls(
            solver=at.get("solver").text(),
            status=at.get("status").text(),
            objective=objective.number(_OBJECTIVE) if objective is not None else None,
            gap=gap.number(limits.GAP) if gap is not None else None,
            seconds=at.get("seconds").number(limits.SOLVER_SECONDS),
            variables=variables.integer(_COUNTS) if variables is not None else 0,
            constraints=constraints.integer(_COUNTS) if constraints is not None else 0,
        )


@dataclass(frozen=True)
class Plan:
    """The optimizer's decision for one flow, with the inputs needed to check staleness."""

    flow: str
    flow_file: str  # as given on the command line, relative where possible
    flow_sha256: str
    config_file: str | None
    config_sha256: str | None
    pricing_source: str  # "snapshot" or "cache"
    pricing_captured_at: str
    objective: str  # "cost" or "time"
    constraints: Mapping[str, Any]
    runs_per_month: float
    steps: Mapping[str, StepPlan]  # in flow source order
    baselines: Mapping[str, Baseline]
    solver: SolverStats
    warnings: tuple[str, ...] = ()
    makespan_hours: float | None = None
    currency: str = "USD"
    format_version: str = FORMAT_VERSION
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Every file the flow was read from (its modules, Config files), relative to the flow
    # file's directory (POSIX separators) -> sha256; the flow file itself included.
    flow_sources: Mapping[str, str] = field(default_factory=dict)
    flow_paths: tuple[str, ...] = ()  # `--path` module roots the flow was read with
    flow_config_files: Mapping[str, str] = field(default_factory=dict)  # `--flow-config`

    @property
    def per_run(self) -> Cost:
        total = Cost()
        for step in self.steps.values():
            total = total + step.cost
        return total

    @property
    def per_month(self) -> Cost:
        return self.per_run.scaled(self.runs_per_month)

    def savings(self, baseline: str) -> Decimal | None:
        """Monthly USD saved against a feasible baseline (None if it is infeasible)."""
        base = self.baselines.get(baseline)
        if base is None or not base.feasible:
            return None
        return base.per_month.total - self.per_month.total

    def as_json(self) -> dict[str, Any]:
        savings = {}
        for name, base in self.baselines.items():
            saved = self.savings(name)
            pct = None
            if saved is not None and base.per_month.total:
                pct = percent_text(saved / base.per_month.total * 100)
            savings[name] = {
                "per_month": str(saved) if saved is not None else None,
                "percent": pct,
            }
        return {
            "format_version": self.format_version,
            "currency": self.currency,
            "flow": self._flow_json(),
            "config": {"file": self.config_file, "sha256": self.config_sha256},
            "pricing": {"source": self.pricing_source, "captured_at": self.pricing_captured_at},
            "objective": self.objective,
            "constraints": dict(self.constraints),
            "runs_per_month": self.runs_per_month,
            "makespan_hours": self.makespan_hours,
            "steps": {name: s.as_json() for name, s in self.steps.items()},
            "totals": {"per_run": self.per_run.as_json(), "per_month": self.per_month.as_json()},
            "baselines": {name: b.as_json() for name, b in self.baselines.items()},
            "savings": savings,
            "solver": self.solver.as_json(),
            "warnings": list(self.warnings),
            **({"extra": dict(self.extra)} if self.extra else {}),
        }

    def read_options(self, plan_path: Path | None = None) -> ReadOptions:
        """How `placer plan` read the flow (`--path`, `--flow-config`), to read it again.

        Relative paths are looked up beside the plan file first, then from the working
        directory, as the flow file is.
        """
        from placer.flow import ReadOptions

        def located(recorded: str) -> Path:
            path = Path(recorded)
            if plan_path is None or path.is_absolute():
                return path
            beside = plan_path.parent / path
            return beside if beside.exists() else path

        return ReadOptions(
            paths=tuple(located(p) for p in self.flow_paths),
            config_files={k: located(v) for k, v in self.flow_config_files.items()},
        )

    def _flow_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.flow,
            "file": self.flow_file,
            "sha256": self.flow_sha256,
        }
        if self.flow_sources:
            out["sources"] = dict(self.flow_sources)
        if self.flow_paths:
            out["paths"] = list(self.flow_paths)
        if self.flow_config_files:
            out["config_files"] = dict(self.flow_config_files)
        return out

    def dumps(self) -> str:
        """The plan file's text; NaN or Infinity anywhere is a bug, never written."""
        return json.dumps(self.as_json(), indent=2, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Plan:
        """A plan from its JSON form; every field checked, errors name the field's path."""
        at = Field(d)
        version = at.get("format_version")
        if not isinstance(version.value, str) or version.value.split(".")[0] != _MAJOR:
            raise PlanError(
                f"unsupported plan format_version {version.value!r}",
                "format_version",
                f"re-run `placer plan` with this placer (writes {FORMAT_VERSION})",
            )
        flow, config, pricing = at.get("flow"), at.get("config"), at.get("pricing")
        makespan, currency = at.opt("makespan_hours"), at.opt("currency")
        steps = {name: StepPlan.read(step) for name, step in _named(at.get("steps")).items()}
        if not steps:
            raise at.get("steps").error("a plan needs at least one step")
        baselines = _named(at.opt("baselines") or Field({}, "baselines"))
        return cls(
            flow=flow.get("name").name(),
            flow_file=flow.get("file").text(),
            flow_sha256=flow.get("sha256").text(),
            config_file=_optional_text(config.opt("file")),
            config_sha256=_optional_text(config.opt("sha256")),
            pricing_source=pricing.get("source").text(),
            pricing_captured_at=pricing.get("captured_at").text(),
            objective=at.get("objective").text(),
            constraints=_finite_tree(at.opt("constraints") or Field({}, "constraints")),
            runs_per_month=at.get("runs_per_month").number(_RUNS),
            makespan_hours=makespan.number(limits.HOURS) if makespan is not None else None,
            steps=steps,
            baselines={name: Baseline.read(name, b) for name, b in baselines.items()},
            solver=SolverStats.read(at.get("solver")),
            warnings=_texts(at.opt("warnings")),
            currency=currency.text() if currency is not None else "USD",
            format_version=version.value,
            extra=_finite_tree(at.opt("extra") or Field({}, "extra")),
            flow_sources=_text_map(flow.opt("sources")),
            flow_paths=_texts(flow.opt("paths")),
            flow_config_files=_text_map(flow.opt("config_files")),
        )


def _text_map(at: Field | None) -> dict[str, str]:
    """An object of text values (flow.sources: file -> sha256, flow.config_files)."""
    return {key: value.text() for key, value in at.members().items()} if at is not None else {}


def read_plan(path: Path) -> Plan:
    """Read a plan file, turning every kind of damage into one clear PlanError.

    Only a regular file of at most MAX_PLAN_BYTES is read; NaN and Infinity (which
    Python's JSON reader would accept) are refused like any other bad number.
    """
    from placer.inputs import MAX_PLAN_BYTES, read_regular

    data = read_regular(
        path, "plan file", MAX_PLAN_BYTES, PlanError, "run `placer plan FLOW --out FILE`"
    )
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, a 5000-digit number
        raise PlanError(
            f"not a valid plan file ({exc})", str(path), "re-run `placer plan`"
        ) from None
    except RecursionError:
        raise PlanError(
            "not a valid plan file (nested too deeply)", str(path), "re-run `placer plan`"
        ) from None
    if not isinstance(document, dict):
        raise PlanError("not a plan file (not a JSON object)", str(path), "re-run `placer plan`")
    try:
        return Plan.from_json(document)
    except PlanError as exc:  # from_json knows the field, not the file
        where = f"{path}: {exc.location}" if exc.location else str(path)
        raise PlanError(exc.headline, where, exc.hint) from None


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a plan can hold")


_MAJOR = FORMAT_VERSION.split(".")[0]
_RUNS = limits.Range(0, limits.RUNS_PER_MONTH.high)
_OBJECTIVE = limits.Range(-1e15, 1e15)
_COUNTS = limits.Range(0, 1e12)
_RESOURCE_LIMITS = {  # 0 allowed: `declared` has disk 0 when @resources does not set it
    key: limits.Range(0, bound.high, unit=bound.unit)
    for key, bound in (
        ("cpu", limits.CPU),
        ("memory", limits.MEMORY_MB),
        ("disk", limits.DISK_MB),
        ("gpu", limits.GPU),
    )
}
_ANY_NUMBER = limits.Range(-1e15, 1e15)
_MAX_DEPTH = 20


def _named(at: Field) -> dict[str, Field]:
    """An object of named things (steps, baselines): names must be non-empty."""
    members = at.members()
    for name, member in members.items():
        if not name.strip():
            raise member.error("a name must not be empty")
    return members


def _texts(at: Field | None) -> tuple[str, ...]:
    return at.texts() if at is not None else ()


def _optional_text(at: Field | None) -> str | None:
    return at.text() if at is not None else None


def _backend(at: Field | None) -> str:
    """Where the step runs: "kubernetes" (absent) or "batch" (kept on AWS Batch)."""
    if at is None:
        return "kubernetes"
    value = at.text()
    if value not in BACKENDS:
        raise at.error(f"expected one of {', '.join(BACKENDS)}, got {value!r}")
    return value


def _optional_count(at: Field | None) -> int | None:
    return at.integer(limits.COUNT) if at is not None else None


def _selector(at: Field) -> dict[str, str]:
    """A node selector apply will write into a flow: valid Kubernetes labels only."""
    selector = {key: value.text() for key, value in at.members().items()}
    if problem := selector_problem(selector):
        raise at.error(f"{problem}; {RULE}")
    return selector


def _compute_pool(at: Field | None) -> str | None:
    if at is None:
        return None
    name = at.name()
    if problem := value_problem(name):
        raise at.error(f"{problem}; {RULE}")
    return name


def _resources(at: Field) -> dict[str, Any]:
    """A pod request (cpu, memory MB, disk MB, gpu): each number finite and in range."""
    out: dict[str, Any] = {}
    for key, value in at.members().items():
        if key in _RESOURCE_LIMITS:
            out[key] = value.number(_RESOURCE_LIMITS[key])
        elif isinstance(value.value, str):
            out[key] = value.value
        else:
            out[key] = value.number(_ANY_NUMBER)
    return out


def _finite_tree(at: Field) -> dict[str, Any]:
    """An object of anything JSON, with every number finite and not absurdly large."""
    at.obj()
    _check_finite(at, 0)
    return dict(at.value)


def _check_finite(at: Field, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise at.error("nested too deeply")
    value = at.value
    if isinstance(value, dict):
        for member in at.members().values():
            _check_finite(member, depth + 1)
    elif isinstance(value, list):
        for item in at.items():
            _check_finite(item, depth + 1)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        at.number(_ANY_NUMBER)
