"""`placer init FLOW`: a commented placer.yaml for a flow, to start from."""

from __future__ import annotations

from pathlib import Path

import typer

from placer.cli._env import env
from placer.cli._flow import FLOW_CONFIGS, PATHS, pairs, read_model
from placer.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add `init` to the root app."""
    app.command("init")(init)


def _exists(target: Path) -> ConfigError:
    return ConfigError(
        "the file already exists",
        str(target),
        "pass --force to overwrite it, or --out to write elsewhere",
    )


def init(
    flow: Path = typer.Argument(..., help="The Metaflow flow file (read, never executed)."),
    out: Path | None = typer.Option(None, "--out", help="Where to write (default: next to FLOW)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    flow_class: str | None = typer.Option(None, "--flow-class", help="FlowSpec subclass to read."),
    paths: list[Path] = PATHS,
    flow_configs: list[str] = FLOW_CONFIGS,  # pairs (NAME, FILE): see _flow.FLOW_CONFIGS
) -> None:
    """Write a commented placer.yaml for FLOW: its steps, foreach widths and default pools."""
    from placer.atomic import ANY, write_atomic
    from placer.config import init_text
    from placer.errors import WriteConflict
    from placer.inputs import check_output

    target = out or flow.parent / "placer.yaml"
    check_output(target, [flow])
    if target.exists() and not force:
        raise _exists(target)
    text = init_text(read_model(flow, flow_class, paths, pairs(flow_configs)))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:  # without --force: only if nobody created the file meanwhile
        write_atomic(target, text, expected=ANY if force else None)
    except WriteConflict:
        raise _exists(target) from None
    env().write(f"wrote {target} ({len(text.splitlines())} lines)")
