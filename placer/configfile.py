"""Finding, reading and validating placer.yaml into a :class:`~placer.config.Config`.

The file is composed with PyYAML into nodes (not plain values) so every error can name
the line and the key path, e.g. ``placer.yaml:12: pools[1].capacity_type: ...``. With no
file, :func:`load_config` returns the built-in defaults: the datastore in aws us-east-1 and
one on-demand, unlimited pool per cloud selected by ``outerbounds.co/provider``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from placer._yamlnode import YamlNode, did_you_mean
from placer.config import Config, Constraints, Defaults, ExternalRead, Link, StepUsage
from placer.errors import ConfigError, PlacerError
from placer.pool import Pool
from pricing import CLOUDS, Location

if TYPE_CHECKING:
    from placer.flow import Flow

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_DATASTORE",
    "DEFAULT_POOLS",
    "TOP_KEYS",
    "catalog_problem",
    "check_pools_against_catalog",
    "continents",
    "default_config",
    "find_config",
    "load_config",
    "parse_config",
    "parse_duration_hours",
    "parse_node_selector",
    "parse_size_gb",
    "key_line",
    "unknown_steps",
]

CONFIG_NAME = "placer.yaml"
PROVIDER_LABEL = "outerbounds.co/provider"
DEFAULT_DATASTORE = Location("aws", "us-east-1")
DEFAULT_POOLS: tuple[Pool, ...] = (
    Pool("aws-use1", "aws", "us-east-1", {PROVIDER_LABEL: "aws"}),
    Pool("azure-eastus", "azure", "eastus", {PROVIDER_LABEL: "azure"}),
    Pool("gcp-usc1", "gcp", "us-central1", {PROVIDER_LABEL: "gcp"}),
)
TOP_KEYS = ("datastore", "runs_per_month", "defaults", "pools", "steps", "constraints")
DEFAULTS_KEYS = ("foreach_width", "duration", "input", "output", "packing", "spot_overhead")
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
)
CONSTRAINT_KEYS = (
    "max_workers",
    "deadline",
    "budget",
    "residency",
    "bandwidth_gbps",
    "bandwidth",
)
CAPACITY_TYPES = ("on-demand", "spot")
PACKINGS = ("shared", "dedicated")
ARCHES = ("x86_64", "arm64")
_FALLBACK_CONTINENTS = ("na", "eu", "apac", "sa", "me", "af")
_EXAMPLE_REGION = {"aws": "us-east-1", "azure": "eastus", "gcp": "us-central1"}
_POOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# --- units -------------------------------------------------------------------------------

_DURATION = re.compile(
    r"^(?:(?P<d>\d+(?:\.\d+)?)d)?(?:(?P<h>\d+(?:\.\d+)?)h)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?$"
)
_HOURS_PER = {"d": 24.0, "h": 1.0, "m": 1 / 60, "s": 1 / 3600}
_SIZE = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<u>[kmgtp]i?b|b)$", re.IGNORECASE)
_GB_PER = {
    "b": 1e-9,
    "kb": 1e-6,
    "mb": 1e-3,
    "gb": 1.0,
    "tb": 1e3,
    "pb": 1e6,
    "kib": 2**10 / 1e9,
    "mib": 2**20 / 1e9,
    "gib": 2**30 / 1e9,
    "tib": 2**40 / 1e9,
    "pib": 2**50 / 1e9,
}


def parse_duration_hours(value: object) -> float:
    """Hours in "90m", "1h30m", "2h", "45s", "1d" or a bare number of hours."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90m, 1h30m or 2h")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value).strip().lower().replace(" ", ""))
    if not match or not any(match.groupdict().values()):
        raise ValueError(f"expected a duration such as 90m, 1h30m or 2h, got {value!r}")
    return sum(float(v) * _HOURS_PER[k] for k, v in match.groupdict().items() if v)


def parse_size_gb(value: object) -> float:
    """Decimal GB in "500MB", "1.5GB", "2TB", "10GiB" (binary units converted) or a number."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 500MB, 1.5GB or 10GiB")
    if isinstance(value, int | float):
        return float(value)
    match = _SIZE.match(str(value).strip())
    if not match:
        raise ValueError(f"expected a size such as 500MB, 1.5GB or 10GiB, got {value!r}")
    return float(match["n"]) * _GB_PER[match["u"].lower()]


def parse_node_selector(value: object) -> dict[str, str]:
    """A node selector from a mapping or Metaflow's string form "k=v,k2=v2"."""
    if isinstance(value, Mapping):
        return {str(k): _label_value(v) for k, v in value.items()}
    if not isinstance(value, str):
        raise ValueError("expected a mapping {label: value} or a string 'k=v,k2=v2'")
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        key, sep, val = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected 'label=value', got {part!r}")
        out[key.strip()] = val.strip()
    return out


def _label_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # YAML's `true` means the label text "true"
    if value is None or isinstance(value, Mapping | list):
        raise ValueError(f"a label value must be text, got {value!r}")
    return str(value)


def continents() -> tuple[str, ...]:
    """Valid residency continents: pricing.egress's list when it exists."""
    try:
        from pricing.egress import CONTINENTS
    except ImportError:
        return _FALLBACK_CONTINENTS
    return tuple(CONTINENTS)


# --- sections ----------------------------------------------------------------------------


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
        foreach_width=_opt(keys, "foreach_width", YamlNode.integer, base.foreach_width),
        duration_hours=_opt(keys, "duration", _duration, base.duration_hours),
        input_gb=_opt(keys, "input", _size, base.input_gb),
        output_gb=_opt(keys, "output", _size, base.output_gb),
        packing=_opt(keys, "packing", lambda n: n.choice(PACKINGS), base.packing),
        spot_overhead=_opt(keys, "spot_overhead", _non_negative, base.spot_overhead),
    )


def _opt(
    keys: Mapping[str, YamlNode], key: str, read: Callable[[YamlNode], Any], default: Any = None
) -> Any:
    """`read(keys[key])`, or `default` when the key is absent or null."""
    at = keys.get(key)
    return default if at is None or at.is_null() else read(at)


def _duration(at: YamlNode) -> float:
    return at.parsed(parse_duration_hours)


def _size(at: YamlNode) -> float:
    return at.parsed(parse_size_gb, strict=False)


def _non_negative(at: YamlNode) -> float:
    return at.number(strict=False)


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
        compute_pool=_opt(keys, "compute_pool", YamlNode.text),
        capacity_type=_opt(keys, "capacity_type", lambda n: n.choice(CAPACITY_TYPES), "on-demand"),
        instance_types=_opt(keys, "instance_types", YamlNode.texts, ()),
        max_vcpus=_opt(keys, "max_vcpus", _non_negative),
        max_memory_gib=_opt(keys, "max_memory_gib", _non_negative),
        max_gpus=_opt(keys, "max_gpus", _non_negative),
        max_nodes=_opt(keys, "max_nodes", lambda n: n.integer(minimum=0)),
        speed=_opt(keys, "speed", YamlNode.number, 1.0),
        source=_opt(keys, "discovered", lambda n: f"discovered:{n.text()}", source),
    )


def _selector(at: YamlNode) -> dict[str, str]:
    try:
        selector = parse_node_selector(at.value())
    except ValueError as exc:
        raise at.error(str(exc), "write node_selector: {outerbounds.co/provider: aws}") from None
    if not selector:
        raise at.error("empty node_selector", "name at least one label, or use compute_pool")
    return selector


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
    return ExternalRead(loc, keys["size"].parsed(parse_size_gb, strict=False))


def _continent(at: YamlNode) -> str:
    return at.choice(continents())


def _step(at: YamlNode, pool_names: Sequence[str]) -> StepUsage:
    keys = at.mapping(STEP_KEYS)
    return StepUsage(
        tasks=_opt(keys, "tasks", YamlNode.integer),
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
    )


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


def _steps(at: YamlNode, pool_names: Sequence[str]) -> dict[str, StepUsage]:
    return {name: _step(node, pool_names) for name, node in at.mapping().items()}


def _constraints(at: YamlNode) -> Constraints:
    keys = at.mapping(CONSTRAINT_KEYS)
    base = Constraints()
    return Constraints(
        max_workers=_opt(keys, "max_workers", YamlNode.integer, base.max_workers),
        deadline_hours=_opt(keys, "deadline", _duration),
        budget_usd_per_month=_opt(keys, "budget", YamlNode.number),
        residency=_opt(keys, "residency", _residency, {}),
        bandwidth_gbps=_opt(keys, "bandwidth_gbps", YamlNode.number, base.bandwidth_gbps),
        bandwidth=_opt(keys, "bandwidth", lambda n: tuple(_link(i) for i in n.items()), ()),
    )


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
    return Link((first, second), keys["gbps"].number())


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


# --- public API --------------------------------------------------------------------------


def default_config() -> Config:
    """The built-in configuration used when no placer.yaml is found."""
    return Config(datastore=DEFAULT_DATASTORE, pools=DEFAULT_POOLS)


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


def parse_config(text: str, label: str = CONFIG_NAME, path: Path | None = None) -> Config:
    """Validate placer.yaml text; `label` names the file in error messages."""
    root = _compose(text, label)
    sha = hashlib.sha256(text.encode()).hexdigest()
    if root is None:
        return Config(datastore=DEFAULT_DATASTORE, pools=DEFAULT_POOLS, path=path, sha256=sha)
    keys = YamlNode(root, "", label).mapping(TOP_KEYS)
    source = str(path) if path else label
    pools = _opt(keys, "pools", lambda n: _pools(n, source), DEFAULT_POOLS)
    names = [p.name for p in pools]
    return Config(
        datastore=_opt(keys, "datastore", _datastore, DEFAULT_DATASTORE),
        runs_per_month=_opt(keys, "runs_per_month", YamlNode.number, 30),
        pools=pools,
        steps=_opt(keys, "steps", lambda n: _steps(n, names), {}),
        defaults=_opt(keys, "defaults", _defaults, Defaults()),
        constraints=_opt(keys, "constraints", _constraints, Constraints()),
        path=path,
        sha256=sha,
    )


def find_config(flow_path: Path | None, config_path: Path | None = None) -> Path | None:
    """The placer.yaml in effect: --config, next to the flow, the current directory, or None."""
    if config_path is not None:
        if not config_path.is_file():
            raise ConfigError(
                f"config file not found: {config_path}",
                "--config",
                "check the path, or run `placer init FLOW` to write one",
            )
        return config_path
    candidates = [flow_path.parent / CONFIG_NAME] if flow_path is not None else []
    candidates.append(Path(CONFIG_NAME))
    return next((c for c in candidates if c.is_file()), None)


def load_config(flow_path: Path | None, config_path: Path | None = None) -> Config:
    """Find and validate placer.yaml (see :func:`find_config`), or return the defaults."""
    path = find_config(flow_path, config_path)
    if path is None:
        return default_config()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", str(path)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", str(path), "save the file as UTF-8") from None
    return parse_config(text, str(path), path)  # its sha256 is of these same bytes


def unknown_steps(config: Config, flow: Flow) -> list[str]:
    """Step names under `steps:` that the flow does not have, in file order."""
    return [name for name in config.steps if name not in flow.steps]


class _Offer(Protocol):
    instance_type: str

    def price(self, capacity_type: str) -> float | None:
        """$/h for "on-demand" or "spot" (None if not sold that way)."""
        ...


class _Catalog(Protocol):
    def regions(self, cloud: str) -> Iterable[str]:
        """Regions the catalog prices for `cloud`."""
        ...

    def offers(self, cloud: str | None = None, region: str | None = None) -> Iterable[_Offer]:
        """Offers of one cloud and region."""
        ...


def check_pools_against_catalog(config: Config, catalog: _Catalog) -> None:
    """Raise ConfigError for the first pool the catalog cannot price: its cloud/region is
    not there, or (for pools written by hand) its `instance_types` globs match no type sold
    in its capacity type. A discovered pool lists the types its nodes run, which the catalog
    may not price: `placer pools discover` warns about those instead."""
    for index, pool in enumerate(config.pools):
        regions = sorted(catalog.regions(pool.cloud))
        if pool.region in regions:
            if not pool.source.startswith("discovered:"):
                _check_instance_types(config, index, catalog)
            continue
        hint = did_you_mean(pool.region, regions) or (
            f"{pool.cloud} regions in the catalog: {', '.join(regions[:12])}"
            if regions
            else f"the catalog has no {pool.cloud} prices; run `placer pricing refresh`"
        )
        where = _pool_location(config, index)
        raise ConfigError(
            f"pools[{index}].region: {pool.region!r} ({pool.name}) is not in the "
            f"pricing catalog for {pool.cloud}",
            where,
            hint,
        )


def _sold(pool: Pool, catalog: _Catalog) -> list[str]:
    """Instance types the catalog sells in the pool's region and capacity type."""
    offers = catalog.offers(pool.cloud, pool.region)
    return [o.instance_type for o in offers if o.price(pool.capacity_type) is not None]


def _any_match(pool: Pool, types: Sequence[str]) -> bool:
    globs = pool.instance_types or ("*",)
    return any(fnmatch.fnmatchcase(t, g) for t in types for g in globs)


def catalog_problem(pool: Pool, catalog: _Catalog) -> str | None:
    """Why `placer plan` would refuse this pool (its prices are missing), or None."""
    if pool.region not in set(catalog.regions(pool.cloud)):
        return f"{pool.cloud} region {pool.region} is not in the pricing catalog"
    if not _any_match(pool, _sold(pool, catalog)):
        types = ", ".join(pool.instance_types) or "any type"
        return (
            f"the pricing catalog sells none of its instance types ({types}) "
            f"{pool.capacity_type} in {pool.cloud} {pool.region}"
        )
    return None


def _check_instance_types(config: Config, index: int, catalog: _Catalog) -> None:
    """A pool whose globs match no priced type could never take a step: say so here."""
    pool = config.pools[index]
    sold = _sold(pool, catalog)
    if _any_match(pool, sold):
        return
    where, listing = _pool_location(config, index), f"placer pricing show --cloud {pool.cloud}"
    if not pool.instance_types:
        raise ConfigError(
            f"pools[{index}].capacity_type: no {pool.cloud} {pool.region} instance type is "
            f"sold {pool.capacity_type} in the pricing catalog ({pool.name})",
            where,
            "use the other capacity_type, or run `placer pricing refresh`",
        )
    raise ConfigError(
        f"pools[{index}].instance_types: {list(pool.instance_types)} match no {pool.cloud} "
        f"{pool.region} instance type sold {pool.capacity_type} in the pricing catalog "
        f"({pool.name})",
        where,
        f"use globs such as {_example_glob(sold)} (`{listing} --region {pool.region}` lists "
        "the types), or run `placer pricing refresh`",
    )


def _example_glob(types: Sequence[str]) -> str:
    """A family glob from the catalog's types, e.g. 'm7i.*' or 'n2-standard-*'."""
    if not types:
        return "'*'"
    first = sorted(types)[0]
    cut = max(first.rfind("."), first.rfind("-"), first.rfind("_"))
    return f"'{first[: cut + 1]}*'" if cut > 0 else f"'{first}'"


def _pool_location(config: Config, index: int) -> str:
    """file:line of pools[index] when the pool came from a file, else the pool's source."""
    pool = config.pools[index]
    if config.path is None or pool.source == "defaults":
        return pool.source
    try:
        root = yaml.compose(config.path.read_text(), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return str(config.path)
    pools = YamlNode(root, "", str(config.path)).mapping().get("pools") if root else None
    items = pools.items() if pools else []
    return f"{config.path}:{items[index].line}" if index < len(items) else str(config.path)


def key_line(config: Config, *keys: str) -> str | None:
    """``file:line`` of a key path such as ("steps", "train") in the config's file, or None
    (built-in defaults, an unreadable file, or a path the file does not have)."""
    if config.path is None:
        return None
    try:
        node = yaml.compose(config.path.read_text(), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    line = None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
        if not found:
            return None
        line = found[0][0].start_mark.line + 1
        node = found[0][1]
    return f"{config.path}:{line}" if line is not None else None
