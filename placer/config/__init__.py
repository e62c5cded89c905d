"""placer.yaml: the planning input besides the flow and the prices, as typed values.

A map of the package (each module one concern; only `load` touches the file system)::

    model     Config, StepUsage, Defaults, Constraints, ExternalRead, Link; the built-in
              defaults (default_config); Config.locate(field) names a field's file:line
    pool      Pool: where a step can be sent
    units     durations ("1h30m"), sizes ("500MB"), node selectors, continents
    parse     placer.yaml text -> Config, every error naming file:line and key path
              (_yamlnode walks YAML nodes; _lines records every field's line)
    load      find_config / load_config: --config, next to the flow, the cwd, or defaults
    catalog   check_pools_against_catalog / catalog_problem: every pool must be priced
    write     init_text (`placer init`), merge_pools (`placer pools discover --write`)
    learned   merge_learned (`placer learn --write`): values from past runs into steps:,
              round-tripped with ruamel.yaml (imported only when called)
    quotas    cloud vCPU quota headroom (import `placer.config.quotas`; SDKs load lazily)

Typical use::

    from placer.config import load_config
    config = load_config(Path("flow.py"))   # placer.yaml next to the flow, or the defaults
"""

from placer.config.catalog import catalog_problem, check_pools_against_catalog
from placer.config.load import find_config, load_config
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
    default_config,
)
from placer.config.parse import TOP_KEYS, parse_config
from placer.config.pool import CapacityType, DaemonSets, Pool
from placer.config.units import (
    continents,
    parse_duration_hours,
    parse_node_selector,
    parse_size_gb,
)
from placer.config.write import Merged, init_text, merge_pools, pool_yaml

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_DATASTORE",
    "DEFAULT_POOLS",
    "TOP_KEYS",
    "CapacityType",
    "Config",
    "Constraints",
    "DaemonSets",
    "Defaults",
    "ExternalRead",
    "Link",
    "Merged",
    "Pool",
    "StepUsage",
    "catalog_problem",
    "check_pools_against_catalog",
    "continents",
    "default_config",
    "find_config",
    "init_text",
    "load_config",
    "merge_pools",
    "parse_config",
    "parse_duration_hours",
    "parse_node_selector",
    "parse_size_gb",
    "pool_yaml",
]
