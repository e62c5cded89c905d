"""The one way a picture is made and written: Agg, a format from the file's suffix, bytes
out, written atomically."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from placer.errors import ConfigError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = {".png": "png", ".svg": "svg"}
CLOUD_COLOURS = {"aws": "#ff9900", "azure": "#0078d4", "gcp": "#34a853"}
OTHER_COLOUR = "#9e9e9e"


def check_path(path: Path, option: str) -> str:
    """The format of a picture path (png or svg); bad input names the option."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"cannot draw {path.name}: the picture's format comes from its suffix",
            option,
            "name a .png or .svg file",
        )
    if not path.resolve().parent.is_dir():
        raise ConfigError("directory does not exist", str(path.resolve().parent), option)
    return fmt


# Text is text: "$" is a dollar, not mathtext; SVG keeps it as <text> (searchable names);
# SVG ids are stable, so the same plan draws the same file.
_STYLE: Any = {"text.parse_math": False, "svg.fonttype": "none", "svg.hashsalt": "placer"}


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on the headless Agg canvas (no display, no pyplot state)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(_STYLE)  # placer's own process: only its pictures use it
    figure = Figure(figsize=(width_in, height_in), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def to_bytes(figure: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata=_metadata(fmt))
    return buffer.getvalue()


def _metadata(fmt: str) -> dict[str, str | None]:
    """No creation date: the same input draws the same bytes."""
    if fmt == "svg":
        return {"Date": None}
    return {"Software": "placer"}


def save(data: bytes, path: Path) -> None:
    """Write a picture atomically (never half an image)."""
    from placer.atomic import write_atomic

    write_atomic(path, data)


def cloud_colour(cloud: str) -> str:
    return CLOUD_COLOURS.get(cloud, OTHER_COLOUR)
