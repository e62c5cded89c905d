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
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from placer.errors import PlanError

if TYPE_CHECKING:
    from placer.flow import ReadOptions
from placer.money import kept, percent_text

FORMAT_VERSION = "1.1"  # 1.1: flow.sources, flow.paths, flow.config_files


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
        return cls(Decimal(data["compute"]), Decimal(data["egress"]))


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
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> StepPlan:
        return cls(
            pool=d["pool"],
            cloud=d["cloud"],
            region=d["region"],
            capacity_type=d["capacity_type"],
            node_selector=dict(d["node_selector"]),
            compute_pool=d.get("compute_pool"),
            instance_type=d["instance_type"],
            resources=dict(d["resources"]),
            declared=d.get("declared"),
            tasks=int(d["tasks"]),
            hours=Decimal(d["hours"]),
            cost=Cost(Decimal(d["compute_cost"]), Decimal(d["egress_cost"])),
            reasons=tuple(d.get("reasons", ())),
            warnings=tuple(d.get("warnings", ())),
            next=tuple(d.get("next", ())),
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
        return cls(
            name=name,
            feasible=bool(d["feasible"]),
            assignment=dict(d["steps"]),
            per_run=Cost.from_json(d["per_run"]),
            per_month=Cost.from_json(d["per_month"]),
            note=d.get("note", ""),
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
        values: dict[str, Any] = {k: d.get(k) for k in cls.__dataclass_fields__}
        return cls(**values)


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
        return json.dumps(self.as_json(), indent=2) + "\n"

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Plan:
        major = str(d.get("format_version", "")).split(".")[0]
        if major != FORMAT_VERSION.split(".")[0]:
            raise PlanError(
                f"unsupported plan format_version {d.get('format_version')!r}",
                hint=f"re-run `placer plan` with this placer (writes {FORMAT_VERSION})",
            )
        return cls(
            flow=d["flow"]["name"],
            flow_file=d["flow"]["file"],
            flow_sha256=d["flow"]["sha256"],
            config_file=d["config"]["file"],
            config_sha256=d["config"]["sha256"],
            pricing_source=d["pricing"]["source"],
            pricing_captured_at=d["pricing"]["captured_at"],
            objective=d["objective"],
            constraints=dict(d.get("constraints", {})),
            runs_per_month=d["runs_per_month"],
            makespan_hours=d.get("makespan_hours"),
            steps={k: StepPlan.from_json(v) for k, v in d["steps"].items()},
            baselines={k: Baseline.from_json(k, v) for k, v in d.get("baselines", {}).items()},
            solver=SolverStats.from_json(d["solver"]),
            warnings=tuple(d.get("warnings", ())),
            currency=d.get("currency", "USD"),
            format_version=d["format_version"],
            extra=dict(d.get("extra", {})),
            flow_sources=_strings(d["flow"].get("sources", {}), "flow.sources"),
            flow_paths=_string_list(d["flow"].get("paths", ()), "flow.paths"),
            flow_config_files=_strings(d["flow"].get("config_files", {}), "flow.config_files"),
        )


def _strings(value: Any, field_name: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PlanError(f"{field_name} is not a mapping of strings", hint="re-run `placer plan`")
    return dict(value)


def _string_list(value: Any, field_name: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise PlanError(f"{field_name} is not a list of strings", hint="re-run `placer plan`")
    return tuple(value)


def read_plan(path: Path) -> Plan:
    """Read a plan file, turning every kind of damage into one clear PlanError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(
            "plan file not found", str(path), "run `placer plan FLOW --out FILE`"
        ) from None
    except IsADirectoryError:
        raise PlanError("is a directory, not a plan file", str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanError(
            f"not a valid plan file ({exc})", str(path), "re-run `placer plan`"
        ) from exc
    if not isinstance(data, dict):
        raise PlanError("not a plan file (not a JSON object)", str(path), "re-run `placer plan`")
    try:
        plan = Plan.from_json(data)
    except PlanError as exc:  # from_json knows the field, not the file
        raise PlanError(exc.headline, exc.location or str(path), exc.hint) from None
    except InvalidOperation as exc:
        raise PlanError(
            "plan file has a money or hours field that is not a decimal number",
            str(path),
            "re-run `placer plan`",
        ) from exc
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise PlanError(f"plan file is missing or has a bad field: {exc}", str(path)) from exc
    runs = plan.runs_per_month
    if isinstance(runs, bool) or not isinstance(runs, int | float) or not 0 <= runs < float("inf"):
        raise PlanError(
            f"{runs!r} is not a number of runs >= 0",
            f"{path}: runs_per_month",
            "re-run `placer plan`",
        )
    return plan
