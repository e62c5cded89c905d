"""Pictures: the plan's DAG (`plan --plot`), cost bars (`report --plot`) and the cost-time
frontier (`frontier --plot`), as PNG or SVG.

matplotlib is imported only inside these functions, with its headless Agg backend, so
`placer --help` and a plain `placer plan` never load it. Each function returns the image
as bytes in the format of the file name's suffix; :func:`save` writes it atomically.

Modules: ``_figure`` (the format, Agg, saving), ``dag`` (the DAG left to right, boxes
coloured by cloud), ``costs`` (stacked compute/egress bars), ``frontier`` (cost per run
against makespan).
"""

from __future__ import annotations

from placer.output.plot._figure import FORMATS, check_path, save
from placer.output.plot.costs import cost_chart
from placer.output.plot.dag import dag_chart
from placer.output.plot.frontier import frontier_chart

__all__ = ["FORMATS", "check_path", "cost_chart", "dag_chart", "frontier_chart", "save"]
