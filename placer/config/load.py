"""Finding and reading placer.yaml: --config, next to the flow, the current directory, or
the built-in defaults. The only module of placer.config that touches the file system."""

from __future__ import annotations

from pathlib import Path

from placer.config.model import CONFIG_NAME, Config, default_config
from placer.config.parse import parse_config
from placer.errors import ConfigError
from placer.inputs import MAX_CONFIG_BYTES, read_regular

__all__ = ["find_config", "load_config"]


def find_config(flow_path: Path | None, config_path: Path | None = None) -> Path | None:
    """The placer.yaml in effect: --config, next to the flow, the current directory, or None."""
    if config_path is not None:
        if not config_path.exists():
            raise ConfigError(
                f"config file not found: {config_path}",
                "--config",
                "check the path, or run `placer init FLOW` to write one",
            )
        return config_path  # anything but a regular file is refused when it is read
    candidates = [flow_path.parent / CONFIG_NAME] if flow_path is not None else []
    candidates.append(Path(CONFIG_NAME))
    return next((c for c in candidates if c.is_file()), None)


def load_config(flow_path: Path | None, config_path: Path | None = None) -> Config:
    """Find and validate placer.yaml (see :func:`find_config`), or return the defaults."""
    path = find_config(flow_path, config_path)
    if path is None:
        return default_config()
    return parse_config(read_config_text(path), str(path), path)  # sha256 of these bytes


def read_config_text(path: Path) -> str:
    """The text of a placer.yaml: a regular UTF-8 file of at most MAX_CONFIG_BYTES."""
    data = read_regular(path, "config file", MAX_CONFIG_BYTES, ConfigError)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", str(path), "save the file as UTF-8") from None
