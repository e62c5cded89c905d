"""A step's compute backend, resource requests and placement, as Metaflow 2.19 computes them.

The merge follows `KubernetesDecorator.step_init`: @kubernetes starts from its defaults
(cpu 1, memory 4096 MB, disk 10240 MB); each of cpu/memory/disk becomes the max of the
@kubernetes and @resources values (so both sets of defaults act as floors), and a gpu
given in @resources replaces @kubernetes' gpu. `METAFLOW_KUBERNETES_*` environment
defaults are deployment settings, not part of the file, so they are not applied.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from placer import limits
from placer.errors import FlowError
from placer.flow._model import Backend, Decorator, Placement, Resources, Unevaluated
from placer.labels import COMPUTE_POOL_LABEL

KUBERNETES_DEFAULTS: Mapping[str, Any] = {"cpu": "1", "memory": "4096", "disk": "10240"}
RESOURCES_DEFAULTS: Mapping[str, Any] = {"cpu": "1", "memory": "4096", "disk": None}

KUBERNETES_ARGS = frozenset(
    "cpu memory disk image image_pull_policy image_pull_secrets service_account secrets "
    "node_selector namespace gpu gpu_vendor tolerations labels annotations use_tmpfs "
    "tmpfs_tempdir tmpfs_size tmpfs_path persistent_volume_claims shared_memory port "
    "compute_pool executable hostname_resolution_timeout qos extended_resources "
    "security_context".split()
)
RESOURCES_ARGS = frozenset({"cpu", "gpu", "disk", "memory", "shared_memory"})
BATCH_ARGS = frozenset(
    "cpu gpu memory image queue iam_role execution_role shared_memory max_swap swappiness "
    "inferentia trainium efa host_volumes efs_volumes use_tmpfs aws_batch_tags tmpfs_tempdir "
    "tmpfs_size tmpfs_path ephemeral_storage log_driver log_options executable "
    "privileged".split()
)
# @batch arguments @kubernetes also accepts, with the same meaning; the rest are dropped
# when a @batch step moves to Kubernetes (placer/apply/_placement_mutator.py keeps its own
# copy: it runs without placer).
BATCH_KEPT = frozenset(
    "cpu memory gpu image shared_memory use_tmpfs tmpfs_tempdir tmpfs_size tmpfs_path".split()
)
_KNOWN_ARGS = {"kubernetes": KUBERNETES_ARGS, "resources": RESOURCES_ARGS, "batch": BATCH_ARGS}
_TOLERATION_KEYS = frozenset({"effect", "key", "operator", "toleration_seconds", "value"})


@dataclass(frozen=True)
class Compute:
    """Everything placer derives from a step's compute decorators."""

    backend: Backend
    resources: Resources | None
    pod_request: Resources
    declared: Resources | None
    placement: Placement


_FALLBACK_ARGS = frozenset(
    {"cpu", "memory", "disk", "gpu", "gpu_vendor", "node_selector", "compute_pool", "tolerations"}
)


def read_compute(
    step: str, decorators: tuple[Decorator, ...], file: Path, warn: Callable[[str], None]
) -> Compute:
    """Backend, effective Kubernetes request, pod request, @resources and placement.

    An argument placer lacks the information for (a soft Unevaluated: a module outside
    the project, a Config parser it does not run) is dropped with a warning, so the step
    falls back to what is known; an argument that needs running code is an error.
    """
    decos = {d.name: _known_args(step, d, file, warn) for d in decorators}
    return _StepCompute(step, decos, file).compute()


def _known_args(step: str, deco: Decorator, file: Path, warn: Callable[[str], None]) -> Decorator:
    if deco.name not in _KNOWN_ARGS:
        return deco
    dropped = {
        k: v
        for k, v in deco.args.items()
        if k in _FALLBACK_ARGS and isinstance(v, Unevaluated) and v.soft
    }
    for key, value in dropped.items():
        warn(
            f"{deco.file or file}:{deco.line}: step '{step}': {key}={value.source} in "
            f"@{deco.name} is not known statically ({value.reason}); placer prices the step "
            "as if it were not set"
        )
    if not dropped:
        return deco
    args = {k: v for k, v in deco.args.items() if k not in dropped}
    return dataclasses.replace(deco, args=args)


@dataclass
class _StepCompute:
    step: str
    decos: Mapping[str, Decorator]
    file: Path

    def compute(self) -> Compute:
        for name in _KNOWN_ARGS:
            if name in self.decos:
                self._check_args(self.decos[name])
        kube, batch, res = (self.decos.get(n) for n in ("kubernetes", "batch", "resources"))
        if kube and batch:
            self._fail(batch, "is marked for both @kubernetes and @batch", "keep one of them")
        declared = self._declared(res) if res else None
        if kube:
            request = self._merge(kube, kube.args, res)
            return Compute("kubernetes", request, request, declared, self._placement(kube))
        pod = self._converted_request(batch, res)
        return Compute("batch" if batch else "local", None, pod, declared, Placement())

    def _converted_request(self, batch: Decorator | None, res: Decorator | None) -> Resources:
        """What the pod would ask for once `placer apply` moves the step to Kubernetes:
        @batch's cpu/memory/gpu become @kubernetes arguments, merged with @resources."""
        base = batch if batch is not None else res
        if base is None:
            return _default_request()
        carried = batch.args.items() if batch else ()
        args = {k: v for k, v in carried if k in ("cpu", "memory", "gpu") and v is not None}
        return self._merge(base, args, res)

    def _fail(self, deco: Decorator, headline: str, hint: str) -> NoReturn:
        where = f"{deco.file or self.file}:{deco.line}"
        raise FlowError(f"step '{self.step}' {headline}", where, hint)

    def _check_args(self, deco: Decorator) -> None:
        known = _KNOWN_ARGS[deco.name]
        for key in deco.args:
            if key in ("_args", "**"):
                self._fail(
                    deco,
                    f"passes @{deco.name} arguments placer cannot read",
                    f"pass @{deco.name} arguments by keyword, e.g. @{deco.name}(cpu=2)",
                )
            if key not in known:
                from difflib import get_close_matches  # only on the error path

                close = get_close_matches(key, sorted(known), n=1)
                hint = f"did you mean {close[0]}=?" if close else f"remove {key}="
                self._fail(deco, f"has an unknown @{deco.name} argument '{key}'", hint)

    def _merge(self, deco: Decorator, args: Mapping[str, Any], res: Decorator | None) -> Resources:
        values = {k: args.get(k, KUBERNETES_DEFAULTS[k]) for k in ("cpu", "memory", "disk")}
        gpu = args.get("gpu")
        if res is not None:
            rvalues = {k: res.args.get(k, RESOURCES_DEFAULTS[k]) for k in values}
            if res.args.get("gpu") is not None:
                gpu = res.args["gpu"]
            for key, theirs in rvalues.items():
                mine = values[key]
                if not (mine is None and theirs is None):
                    values[key] = max(
                        self._number(deco, key, mine, True), self._number(res, key, theirs, True)
                    )
        sizes = {k: self._positive(deco, k, v) for k, v in values.items()}
        count = self._gpu(res if res is not None and res.args.get("gpu") is not None else deco, gpu)
        vendor = self._vendor(deco)  # checked even without a GPU, as Metaflow does
        return Resources(
            sizes["cpu"], sizes["memory"], sizes["disk"], count, vendor if count else None
        )

    def _number(self, deco: Decorator, key: str, value: Any, zero_if_none: bool = False) -> float:
        if isinstance(value, Unevaluated):
            self._fail(
                deco,
                f"sets {key}={value.source} in @{deco.name}, which placer cannot "
                f"evaluate without running the flow{_because(value)}",
                f"write {key}= as a literal number (or a module-level constant)",
            )
        if value is None and zero_if_none:
            return 0.0
        try:
            number = float(value) if not isinstance(value, bool) else _bad()
        except OverflowError:  # an integer beyond any float: not finite, said below
            number = math.inf
        except (TypeError, ValueError):
            self._fail(
                deco,
                f"has {key}={value!r} in @{deco.name}, which is not a number",
                f"write {key}= as a number, e.g. {key}=2",
            )
        if not math.isfinite(number):  # 'nan', 1e999, an integer beyond any float
            self._fail(
                deco,
                f"asks for {key}={_shown(value)}; it must be a finite number",
                f"set {key}= to the amount the step needs, e.g. {key}=2",
            )
        bound = _LIMITS.get(key)
        if bound is not None and number > bound.high:
            self._fail(
                deco,
                f"asks for {key}={_shown(value)} in @{deco.name}; it must be {bound.text()}",
                f"set {key}= to the amount the step needs, e.g. {key}=2",
            )
        return number

    def _positive(self, deco: Decorator, key: str, value: Any) -> float:
        number = self._number(deco, key, value)
        if number <= 0:
            self._fail(
                deco,
                f"asks for {key}={value!r}; it must be greater than 0",
                f"set {key}= to a positive number",
            )
        return number

    def _gpu(self, deco: Decorator, value: Any) -> int:
        if value is None:
            return 0
        number = self._number(deco, "gpu", value)
        if isinstance(value, float) or not number.is_integer() or number < 0:
            self._fail(
                deco,
                f"asks for gpu={value!r}; it must be a whole number",
                "write gpu= as an integer, e.g. gpu=1",
            )
        return int(number)

    def _vendor(self, deco: Decorator) -> str:
        vendor = deco.args.get("gpu_vendor") or "nvidia" if deco.name == "kubernetes" else "nvidia"
        if not isinstance(vendor, str) or vendor.lower() not in ("nvidia", "amd"):
            self._fail(deco, f"asks for gpu_vendor={vendor!r}", 'use gpu_vendor="nvidia" or "amd"')
        return vendor.lower()

    def _declared(self, res: Decorator) -> Resources:
        values = {k: res.args.get(k, RESOURCES_DEFAULTS[k]) for k in ("cpu", "memory", "disk")}
        cpu, memory, disk = (self._number(res, k, v, True) for k, v in values.items())
        for key, number in (("cpu", cpu), ("memory", memory), ("disk", disk)):
            if number < 0:  # Metaflow's max() with @kubernetes' defaults would hide it
                self._fail(
                    res,
                    f"asks for {key}={values[key]!r} in @resources; it must be 0 or more",
                    f"set {key}= to the amount the step needs, e.g. {key}=2",
                )
        return Resources(cpu, memory, disk, self._gpu(res, res.args.get("gpu")))

    def _placement(self, kube: Decorator) -> Placement:
        selector = self._selector(kube, kube.args.get("node_selector"))
        pool = kube.args.get("compute_pool")
        if pool is not None and not isinstance(pool, str):
            self._fail(kube, f"has compute_pool={pool!r}", 'write compute_pool="<pool name>"')
        if pool:
            selector = {**selector, COMPUTE_POOL_LABEL: pool}
        return Placement(selector, pool or None, self._tolerations(kube))

    def _selector(self, kube: Decorator, value: Any) -> dict[str, str]:
        hint = 'write node_selector="key=value,key2=value2" or a dict of strings'
        if value is None:
            return {}
        if isinstance(value, str):
            return self._selector_string(kube, value, hint)
        if isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            for key, item in value.items():
                self._label(kube, key, item, hint)
            return dict(value)
        shown = value.source if isinstance(value, Unevaluated) else repr(value)
        self._fail(kube, f"has a node_selector placer cannot parse ({shown})", hint)

    def _selector_string(self, kube: Decorator, text: str, hint: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in text.split(","):
            key, sep, value = item.partition("=")
            if not sep:
                self._fail(
                    kube, f"has an unparseable node_selector {text!r} (no '=' in {item!r})", hint
                )
            if key in out:
                self._fail(kube, f"has node_selector key {key!r} twice", "keep one of them")
            self._label(kube, key, value, hint)
            out[key] = value
        return out

    def _label(self, kube: Decorator, key: str, value: str, hint: str) -> None:
        if not key or any(c.isspace() for c in key + value):
            self._fail(
                kube,
                f"has an unparseable node_selector entry {key!r}={value!r} (empty key or spaces)",
                hint,
            )

    def _tolerations(self, kube: Decorator) -> tuple[Mapping[str, Any], ...]:
        value = kube.args.get("tolerations")
        if value is None:
            return ()
        items = value if isinstance(value, list | tuple) else None
        if items is None or not all(isinstance(t, dict) for t in items):
            self._fail(
                kube,
                "has tolerations that are not a list of dicts",
                'write tolerations=[{"key": ..., "operator": ..., "effect": ...}]',
            )
        for tol in items:
            bad = sorted(set(tol) - _TOLERATION_KEYS)
            if bad:
                self._fail(
                    kube,
                    f"has a toleration with unknown keys {bad}",
                    f"use only {', '.join(sorted(_TOLERATION_KEYS))}",
                )
        return tuple(items)


# Upper bounds (placer.limits); the lower ones are checked where they differ (gpu may be 0).
_LIMITS = {"cpu": limits.CPU, "memory": limits.MEMORY_MB, "disk": limits.DISK_MB, "gpu": limits.GPU}


def _because(value: Unevaluated) -> str:
    return f" ({value.reason})" if value.reason else ""


def _shown(value: Any) -> str:
    """A value as written, cut short (an integer of thousands of digits has no repr)."""
    try:
        text = repr(value)
    except ValueError:
        return "<a number too long to show>"
    return text if len(text) <= 40 else f"{text[:20]}..."


def _bad() -> float:
    raise ValueError("bool is not a size")


def _default_request() -> Resources:
    return Resources(1.0, 4096.0, 10240.0, 0, None)
