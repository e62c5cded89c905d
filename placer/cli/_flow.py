"""Options shared by the commands that read a flow (`graph`, `init`, `plan`, `explain`,
`frontier`, `learn`): module roots and Config values, as Metaflow takes them (`--config NAME
FILE`, PYTHONPATH)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from placer.cli._env import env
from placer.errors import ConfigError

if TYPE_CHECKING:
    from placer.config import Config
    from placer.flow import Flow

try:  # typer 0.28 runs on its own copy of click
    from typer._click.types import Tuple as _Pair
except ImportError:  # older typer: click itself
    from click import Tuple as _Pair  # type: ignore[assignment]

PATHS = typer.Option(
    [],
    "--path",
    metavar="DIR",
    help="Another directory to find the flow's modules in, after the flow's own (like "
    "PYTHONPATH); repeatable.",
)
# typer has no list-of-pairs type; click's Tuple makes each use take NAME and FILE.
FLOW_CONFIGS = typer.Option(
    [],
    "--flow-config",
    metavar="NAME FILE",
    click_type=_Pair([str, str]),
    help="Read the flow's Config NAME from FILE, as Metaflow's --config NAME FILE; repeatable.",
)


def pairs(values: Sequence[object]) -> tuple[tuple[str, str], ...]:
    """`--flow-config` values as (NAME, FILE) pairs (typer types the option as a list)."""
    out = []
    for value in values:
        assert isinstance(value, tuple) and len(value) == 2, value  # click's Tuple made it
        out.append((str(value[0]), str(value[1])))
    return tuple(out)


def read_model(
    flow: Path,
    flow_class: str | None,
    paths: Sequence[Path],
    flow_configs: Sequence[tuple[str, str]],
    config: Config | None = None,
) -> Flow:
    """Read the flow with the command line's module roots and Config files, and the Config
    values of placer.yaml (`flow_configs`); print the reader's warnings."""
    from placer.flow import ReadOptions, read_flow

    files: dict[str, Path] = {}
    for name, file in flow_configs:
        if name in files:
            raise ConfigError(
                f"Config '{name}' is given twice", "--flow-config", "pass each Config once"
            )
        files[name] = Path(file)
    values = dict(config.flow_configs) if config is not None else {}
    options = ReadOptions(paths=tuple(paths), config_files=files, config_values=values)
    model = read_flow(flow, flow_class, options)
    for name in values:
        if name not in model.configs:
            assert config is not None
            known = ", ".join(model.configs) or "none"
            raise ConfigError(
                f"the flow has no Config named '{name}' (its Configs: {known})",
                config.locate(f"flow_configs.{name}"),
                "name a Config the flow declares, or remove the entry",
            )
    for warning in model.warnings:
        env().stderr.write(f"warning: {warning}\n")
    return model
