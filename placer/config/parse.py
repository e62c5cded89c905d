"""placer.yaml text to a validated :class:`~placer.config.Config`.

The text is composed with PyYAML into nodes (not plain values) so every error can name the
line and the key path, e.g. ``placer.yaml:12: pools[1].capacity_type: ...``; the lines of
every field are kept on the Config (:meth:`~placer.config.Config.locate`) for errors found
later. Finding and reading the file is :mod:`placer.config.load`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from placer import limits as L
from placer.config._lines import FieldLines
from placer.config._yamlnode import YamlNode
from placer.config.model import (
    CONFIG_NAME,
    DEFAULT_DATASTORE,
    DEFAULT_POOLS,
    Config,
    Constraints,
    Defaults,
    ExternalRead,
    Link,
    StepUsage,
)
from placer.config.pool import DaemonSets, Pool
from placer.config.units import continents, parse_duration_hours, parse_node_selector, parse_size_gb
from placer.errors import ConfigError, PlacerError, did_you_mean
from placer.labels import RULE, selector_problem, value_problem
from placer.limits import Range
from pricing import CLOUDS, Location

__all__ = [
    "ARCHES",
    "CAPACITY_TYPES",
    "PACKINGS",
    "TOP_KEYS",
    "parse_config",
]

TOP_KEYS = (
    "datastore",
    "runs_per_month",
    "defaults",
    "pools",
    "steps",
    "constraints",
    "flow_configs",
)
DEFAULTS_KEYS = (
    "foreach_width",
    "duration",
    "input",
    "output",
    "packing",
    "spot_overhead",
    "burstable_max_duration",
    "reference_gpu",
    "reference_cpu",
    "spot_interruption",
    "spot_unretried_max_duration",
)
POOL_KEYS = (
    "name",
    "cloud",
    "region",
    "node_selector",
    "compute_pool",
    "capacity_type",
    "instance_types",
    "max_vcpus",
    "max_memory_gib",
    "max_gpus",
    "max_nodes",
    "speed",
    "discovered",
    "max_pods",
    "daemonsets",
)
STEP_KEYS = (
    "tasks",
    "duration",
    "input",
    "output",
    "reads",
    "pools",
    "exclude_pools",
    "allowed_clouds",
    "regions",
    "residency",
    "gpu_model",
    "arch",
    "reference",
    "speedup",
    "durations",
)
CONSTRAINT_KEYS = (
    "max_workers",
    "deadline",
    "budget",
    "residency",
    "bandwidth_gbps",
    "bandwidth",
    "keep_batch",
    "residency_data",
)
CAPACITY_TYPES = ("on-demand", "spot")
PACKINGS = ("shared", "cluster", "dedicated")
ARCHES = ("x86_64", "arm64")
_EXAMPLE_REGION = {"aws": "us-east-1", "azure": "eastus", "gcp": "us-central1"}
_POOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _datastore(at: YamlNode) -> Location:
    if isinstance(at.node, yaml.ScalarNode):
        try:
            loc = Location.parse(at.text())
        except ValueError as exc:
            raise at.error(str(exc)) from None
        return _known_region(at, Location(_check_cloud(at, loc.cloud), loc.region))
    keys = at.mapping(("cloud", "region"))
    for required in ("cloud", "region"):
        if required not in keys:
            raise at.error(f"missing {required!r}", "write e.g. {cloud: aws, region: us-east-1}")
    loc = Location(keys["cloud"].choice(CLOUDS), keys["region"].text())
    return _known_region(keys["region"], loc)


def _check_cloud(at: YamlNode, cloud: str) -> str:
    if cloud not in CLOUDS:
        raise at.error(f"unknown cloud {cloud!r}", f"use one of {', '.join(CLOUDS)}")
    return cloud


def _known_region(at: YamlNode, loc: Location) -> Location:
    """`loc`, if egress pricing can place it on a continent (else every plan would fail)."""
    from pricing.egress import continent

    try:
        continent(loc)
    except PlacerError:
        raise at.error(
            f"unknown {loc.cloud} region {loc.region!r}",
            f"write a region of {loc.cloud} such as {_EXAMPLE_REGION[loc.cloud]} "
            "(`placer pricing info` lists the catalog's regions)",
        ) from None
    return loc


def _defaults(at: YamlNode) -> Defaults:
    keys = at.mapping(DEFAULTS_KEYS)
    base = Defaults()
    return Defaults(
        foreach_width=_opt(keys, "foreach_width", _count, base.foreach_width),
        duration_hours=_opt(keys, "duration", _duration, base.duration_hours),
        input_gb=_opt(keys, "input", _size, base.input_gb),
        output_gb=_opt(keys, "output", _size, base.output_gb),
        packing=_opt(keys, "packing", lambda n: n.choice(PACKINGS), base.packing),
        spot_overhead=_opt(keys, "spot_overhead", _number(L.SPOT_OVERHEAD), base.spot_overhead),
        burstable_max_hours=_opt(
            keys, "burstable_max_duration", _duration, base.burstable_max_hours
        ),
        reference_gpu=_opt(keys, "reference_gpu", _gpu_reference),
        reference_cpu=_opt(keys, "reference_cpu", _cpu_reference, base.reference_cpu),
        spot_interruption={
            **base.spot_interruption,
            **_opt(keys, "spot_interruption", _per_cloud_share, {}),
        },
        spot_unretried_max_hours=_opt(
            keys, "spot_unretried_max_duration", _duration, base.spot_unretried_max_hours
        ),
    )


def _per_cloud_share(at: YamlNode) -> dict[str, float]:
    """``{aws: 5%, gcp: 0.15}``: a share in [0, 1) per cloud."""
    out = {}
    for cloud, node in at.mapping(CLOUDS).items():
        value = node.value()
        text = str(value).strip()
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            share = -1.0
        if isinstance(value, bool) or not 0 <= share < 1:
            raise node.error(f"expected a share such as 10% or 0.1, got {node.describe()}")
        out[cloud] = share
    return out


def _opt(
    keys: Mapping[str, YamlNode], key: str, read: Callable[[YamlNode], Any], default: Any = None
) -> Any:
    """`read(keys[key])`, or `default` when the key is absent or null."""
    at = keys.get(key)
    return default if at is None or at.is_null() else read(at)


def _duration(at: YamlNode) -> float:
    return at.parsed(parse_duration_hours, L.DURATION_HOURS)


def _size(at: YamlNode) -> float:
    return at.parsed(parse_size_gb, L.SIZE_GB)


def _count(at: YamlNode) -> int:
    return at.integer(L.COUNT)


def _number(limits: Range) -> Callable[[YamlNode], float]:
    """A reader of a number within `limits` (every number in placer.yaml has one)."""
    return lambda at: at.number(limits)


def _whole(limits: Range) -> Callable[[YamlNode], int]:
    return lambda at: at.integer(limits)


def _pool(at: YamlNode, source: str) -> Pool:
    keys = at.mapping(POOL_KEYS)
    for required in ("name", "cloud", "region"):
        if required not in keys:
            raise at.error(f"missing {required!r}", "every pool needs name, cloud and region")
    name = keys["name"].text()
    if not _POOL_NAME.match(name):
        raise keys["name"].error(
            f"invalid pool name {name!r}", "use letters, digits, '.', '_' and '-'"
        )
    if "node_selector" not in keys and "compute_pool" not in keys:
        raise at.error(
            f"pool {name!r} has no node_selector or compute_pool",
            "add node_selector: {label: value} or compute_pool: NAME",
        )
    return Pool(
        name=name,
        cloud=keys["cloud"].choice(CLOUDS),
        region=keys["region"].text(),
        node_selector=_opt(keys, "node_selector", _selector, {}),
        compute_pool=_opt(keys, "compute_pool", _compute_pool),
        capacity_type=_opt(keys, "capacity_type", lambda n: n.choice(CAPACITY_TYPES), "on-demand"),
        instance_types=_opt(keys, "instance_types", YamlNode.texts, ()),
        max_vcpus=_opt(keys, "max_vcpus", _number(L.CAPACITY)),
        max_memory_gib=_opt(keys, "max_memory_gib", _number(L.CAPACITY)),
        max_gpus=_opt(keys, "max_gpus", _number(L.CAPACITY)),
        max_nodes=_opt(keys, "max_nodes", _whole(L.NODES)),
        speed=_opt(keys, "speed", _number(L.SPEED), 1.0),
        source=_opt(keys, "discovered", lambda n: f"discovered:{n.text()}", source),
        max_pods=_opt(keys, "max_pods", _whole(L.MAX_PODS)),
        daemonsets=_opt(keys, "daemonsets", lambda n: _daemonsets(n, source)),
    )


def _daemonsets(at: YamlNode, source: str) -> DaemonSets:
    """`daemonsets: {cpu: 250m, memory: 300Mi, pods: 4}`: per-node requests, in Kubernetes
    quantities (what `placer pools discover` measures and writes)."""
    from placer.kube.quantity import cpu_cores, memory_gib

    example = "write daemonsets: {cpu: 250m, memory: 300Mi, pods: 4}"
    keys = at.mapping(("cpu", "memory", "pods", "measured"))
    if "cpu" not in keys or "memory" not in keys:
        raise at.error("daemonsets needs cpu and memory", example)
    memory = keys["memory"]
    if not isinstance(memory.value(), str):
        raise memory.error("memory needs a unit", "write it as Kubernetes does, e.g. 300Mi or 1Gi")
    values = []
    for node, parse, limits in (
        (keys["cpu"], cpu_cores, L.DAEMONSET_CPU),
        (memory, memory_gib, L.DAEMONSET_MEMORY_GIB),
    ):
        try:
            value = parse(str(node.value()))
        except (ValueError, ArithmeticError) as exc:
            raise node.error(str(exc), example) from None
        values.append(node.within(value, limits))
    pods = _opt(keys, "pods", _whole(L.DAEMONSET_PODS), 0)
    origin = _opt(keys, "measured", lambda n: f"measured in {n.text()}", f"set in {source}")
    return DaemonSets(values[0], values[1], pods, origin)


def _selector(at: YamlNode) -> dict[str, str]:
    try:
        selector = parse_node_selector(at.value())
    except ValueError as exc:
        raise at.error(str(exc), "write node_selector: {outerbounds.co/provider: aws}") from None
    if not selector:
        raise at.error("empty node_selector", "name at least one label, or use compute_pool")
    if problem := selector_problem(selector):
        raise at.error(problem, RULE)
    return selector


def _compute_pool(at: YamlNode) -> str:
    """A compute pool becomes the value of a node label, so it follows label syntax."""
    name = at.text()
    if problem := value_problem(name):
        raise at.error(f"compute_pool: {problem}", RULE)
    return name


def _pools(at: YamlNode, source: str) -> tuple[Pool, ...]:
    items = at.items()
    if not items:
        raise at.error("no pools", "list at least one pool, or delete `pools:` for the defaults")
    pools: list[Pool] = []
    for item in items:
        pool = _pool(item, source)
        if any(p.name == pool.name for p in pools):
            raise item.error(f"duplicate pool name {pool.name!r}", "give each pool its own name")
        pools.append(pool)
    return tuple(pools)


def _pool_names(at: YamlNode, known: Sequence[str]) -> tuple[str, ...]:
    names = at.texts()
    for item, name in zip(at.items(), names, strict=True):
        if name not in known:
            hint = did_you_mean(name, known) or f"pools are {', '.join(known)}"
            raise item.error(f"unknown pool {name!r}", hint)
    return names


def _read(at: YamlNode) -> ExternalRead:
    keys = at.mapping(("location", "size"))
    if "location" not in keys or "size" not in keys:
        raise at.error(
            "a read needs location and size", 'write {location: "aws:us-east-1", size: 500GB}'
        )
    try:
        loc = Location.parse(keys["location"].text())
    except ValueError as exc:
        raise keys["location"].error(str(exc)) from None
    _check_cloud(keys["location"], loc.cloud)
    loc = _known_region(keys["location"], loc)
    return ExternalRead(loc, keys["size"].parsed(parse_size_gb, L.SIZE_GB))


def _continent(at: YamlNode) -> str:
    return at.choice(continents())


def _step(at: YamlNode, pool_names: Sequence[str]) -> StepUsage:
    keys = at.mapping(STEP_KEYS)
    return StepUsage(
        tasks=_opt(keys, "tasks", _count),
        duration_hours=_opt(keys, "duration", _duration),
        input_gb=_opt(keys, "input", _size),
        output_gb=_opt(keys, "output", _size),
        reads=_opt(keys, "reads", lambda n: tuple(_read(r) for r in n.items()), ()),
        pools=_opt(keys, "pools", lambda n: _pool_names(n, pool_names), ()),
        exclude_pools=_opt(keys, "exclude_pools", lambda n: _pool_names(n, pool_names), ()),
        allowed_clouds=_opt(
            keys, "allowed_clouds", lambda n: tuple(i.choice(CLOUDS) for i in n.items()), ()
        ),
        regions=_opt(keys, "regions", YamlNode.texts, ()),
        residency=_opt(keys, "residency", _continent),
        gpu_model=_opt(keys, "gpu_model", _gpu_model),
        arch=_opt(keys, "arch", lambda n: n.choice(ARCHES)),
        reference=_opt(keys, "reference", _reference),
        speedup=_opt(keys, "speedup", lambda n: _per_accelerator(n, _positive), {}),
        durations=_opt(keys, "durations", lambda n: _per_accelerator(n, _duration), {}),
    )


_HARDWARE_EXAMPLES = "an accelerator (A100, H100, L4), a CPU family (m6i, n2, d4s_v5) or any"


def _accelerator(at: YamlNode) -> str:
    """One accelerator model, as its canonical name (``a100`` -> A100-40GB)."""
    from pricing.accelerators import UnknownAccelerator, resolve

    try:
        return resolve(at.text())
    except UnknownAccelerator as exc:
        near = " or ".join(exc.suggestions)
        hint = f"did you mean {near}? " if near else ""
        raise at.error(str(exc), f"{hint}write a model such as A100, H100, L4, tpu-v5e") from None


def _gpu_reference(at: YamlNode) -> str:
    """An accelerator the GPU steps' durations are measured on, or "any" (not scaled)."""
    return "any" if at.text() == "any" else _accelerator(at)


def _cpu_reference(at: YamlNode) -> str:
    """A CPU family or instance type the generation table knows, or "any"."""
    from placer.hardware import cpu_reference

    text = at.text()
    if text != "any" and cpu_reference(text) is None:
        raise at.error(
            f"unknown CPU family {text!r}",
            "write an instance family or type such as m6i, m7i.large, n2-standard-8, "
            "d4s_v5, or any (durations the same on every CPU)",
        )
    return text


def _reference(at: YamlNode) -> str:
    """What a step's duration was measured on: an accelerator, a CPU family, or "any"."""
    from placer.hardware import cpu_reference
    from pricing.accelerators import canonical

    text = at.text()
    model = canonical(text)  # accelerators first: "L4" is not an AWS family
    if model is not None:
        return model
    if text == "any" or cpu_reference(text) is not None:
        return text
    raise at.error(f"unknown hardware {text!r}", f"write {_HARDWARE_EXAMPLES}")


def _per_accelerator(at: YamlNode, read: Callable[[YamlNode], float]) -> dict[str, float]:
    """``{H100: 2.5, T4: 0.3}``: a value per accelerator model, keys made canonical."""
    from pricing.accelerators import canonical, suggest

    out: dict[str, float] = {}
    for name, node in at.mapping().items():
        model = canonical(name)
        if model is None:
            near = " or ".join(suggest(name))
            hint = f"did you mean {near}?" if near else "write a model such as H100, L4"
            raise node.error(f"unknown accelerator model {name!r}", hint)
        out[model] = read(node)
    return out


def _positive(at: YamlNode) -> float:
    """A throughput multiple (speedup), in the range of a pool's speed."""
    return at.number(L.SPEED)


def _gpu_model(at: YamlNode) -> str:
    """An accelerator model the alias table knows (``A100-80GB``, ``L4``) or a family
    wildcard (``A100*``: every A100 size); see pricing.accelerators."""
    from pricing.accelerators import UnknownAccelerator, wanted

    text = at.text()
    try:
        wanted(text)
    except UnknownAccelerator as exc:
        near = " or ".join(exc.suggestions)
        hint = f"did you mean {near}? " if near else ""
        raise at.error(
            f"unknown accelerator model {text!r}",
            f"{hint}write a model such as H100, A100-80GB, L4, tpu-v5e, or A100* for every size",
        ) from None
    return text


def _flow_configs(at: YamlNode) -> dict[str, Any]:
    """Config name -> its value as Metaflow would parse it (a mapping)."""
    out: dict[str, Any] = {}
    for name, node in at.mapping().items():
        value = node.value()
        if not isinstance(value, dict):
            raise node.error(
                f"expected the Config's value as a mapping, got {node.describe()}",
                f"write the value {name} parses to, e.g. {name}: {{cpu: 4}}",
            )
        out[name] = value
    return out


def _steps(at: YamlNode, pool_names: Sequence[str]) -> dict[str, StepUsage]:
    return {name: _step(node, pool_names) for name, node in at.mapping().items()}


def _constraints(at: YamlNode) -> Constraints:
    keys = at.mapping(CONSTRAINT_KEYS)
    base = Constraints()
    return Constraints(
        max_workers=_opt(keys, "max_workers", _count, base.max_workers),
        deadline_hours=_opt(keys, "deadline", _duration),
        budget_usd_per_month=_opt(keys, "budget", _number(L.BUDGET_USD)),
        residency=_opt(keys, "residency", _residency, {}),
        bandwidth_gbps=_opt(keys, "bandwidth_gbps", _number(L.BANDWIDTH_GBPS), base.bandwidth_gbps),
        bandwidth=_opt(keys, "bandwidth", lambda n: tuple(_link(i) for i in n.items()), ()),
        keep_batch=_opt(keys, "keep_batch", _boolean, False),
        residency_data=_opt(
            keys, "residency_data", lambda n: n.choice(("forbid", "allow")), "forbid"
        ),
    )


def _boolean(at: YamlNode) -> bool:
    value = at.value()
    if not isinstance(value, bool):
        raise at.error(f"expected true or false, got {at.describe()}")
    return value


def _link(at: YamlNode) -> Link:
    """One `constraints.bandwidth` entry: {between: [place, place], gbps: N}."""
    example = "write {between: [aws:us-east-1, gcp:us-central1], gbps: 2} or [aws, azure]"
    keys = at.mapping(("between", "gbps"))
    if "between" not in keys or "gbps" not in keys:
        raise at.error("a bandwidth entry needs between and gbps", example)
    ends = keys["between"].items()
    if len(ends) != 2:
        raise keys["between"].error(f"between needs two places, got {len(ends)}", example)
    first, second = (_place(end) for end in ends)
    return Link((first, second), keys["gbps"].number(L.BANDWIDTH_GBPS))


def _place(at: YamlNode) -> str:
    """A cloud ("aws") or a cloud region ("aws:us-east-1"), checked like the datastore."""
    text = at.text()
    if ":" not in text:
        return _check_cloud(at, text)
    try:
        loc = Location.parse(text)
    except ValueError as exc:
        raise at.error(str(exc)) from None
    loc = _known_region(at, Location(_check_cloud(at, loc.cloud), loc.region))
    return f"{loc.cloud}:{loc.region}"


def _residency(at: YamlNode) -> dict[str, tuple[str, ...]]:
    return {continent: node.texts() for continent, node in at.mapping(continents()).items()}


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: about 10x faster


def _compose(text: str, label: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        pass  # parse again with the pure-Python parser for its clearer messages
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{label}:{mark.line + 1}:{mark.column + 1}" if mark else label
        problem = _yaml_problem(exc)
        raise ConfigError(
            f"YAML syntax error: {problem}", where, "fix the YAML at that line and column"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", label) from None


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem and context as one phrase, in the order that reads."""
    problem, context = exc.problem or "", exc.context or ""
    if problem.startswith("but ") and context:  # "expected a single document, but found ..."
        return f"{context}, {problem}"
    return " ".join(filter(None, (problem, context)))


_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
)


def _check_tags(root: yaml.Node, label: str) -> None:
    """Every node plain YAML: a custom (`!foo`) or Python (`!!python/...`) tag is an error
    at its line, wherever it is (the file is data, never objects)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue  # an alias: checked once
        seen.add(id(node))
        if node.tag not in _PLAIN_TAGS:
            raise YamlNode(node, "", label).error(
                f"the YAML tag {node.tag!r} is not allowed",
                "remove the tag (placer.yaml holds plain values: text, numbers, lists, maps)",
            )
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)


def parse_config(text: str, label: str = CONFIG_NAME, path: Path | None = None) -> Config:
    """Validate placer.yaml text; `label` names the file in error messages."""
    root = _compose(text, label)
    sha = hashlib.sha256(text.encode()).hexdigest()
    if root is None:
        return Config(datastore=DEFAULT_DATASTORE, pools=DEFAULT_POOLS, path=path, sha256=sha)
    _check_tags(root, label)
    keys = YamlNode(root, "", label).mapping(TOP_KEYS)
    source = str(path) if path else label
    pools = _opt(keys, "pools", lambda n: _pools(n, source), DEFAULT_POOLS)
    names = [p.name for p in pools]
    return Config(
        datastore=_opt(keys, "datastore", _datastore, DEFAULT_DATASTORE),
        runs_per_month=_opt(keys, "runs_per_month", _number(L.RUNS_PER_MONTH), 30),
        pools=pools,
        steps=_opt(keys, "steps", lambda n: _steps(n, names), {}),
        defaults=_opt(keys, "defaults", _defaults, Defaults()),
        constraints=_opt(keys, "constraints", _constraints, Constraints()),
        flow_configs=_opt(keys, "flow_configs", _flow_configs, {}),
        path=path,
        sha256=sha,
        lines=FieldLines(root),
    )
