"""A Mermaid flowchart of a flow's DAG, each step coloured by the cloud it runs in.

GitHub renders ```` ```mermaid ```` blocks in comments. Node ids are ``s_<step>`` because a
bare ``end`` (Metaflow's last step) is a Mermaid keyword.
"""

from __future__ import annotations

from collections.abc import Mapping

from placer.output import escape as esc
from placer.plan import Plan

# Brand colours, with text colours that stay readable on them.
CLOUD_STYLES: dict[str, str] = {
    "aws": "fill:#FF9900,stroke:#232F3E,color:#000000",
    "azure": "fill:#0078D4,stroke:#003A6C,color:#FFFFFF",
    "gcp": "fill:#34A853,stroke:#1E6B33,color:#FFFFFF",
    "other": "fill:#EEEEEE,stroke:#666666,color:#000000",
}
# Mermaid's defaults (maxTextSize, maxEdges): a bigger diagram renders as an error box.
MAX_TEXT_CHARS = 50_000
MAX_EDGES = 500


def node_id(step: str) -> str:
    """The Mermaid id of a step: ``s_<step>`` for an identifier, else a hash (esc.mermaid_id)."""
    return esc.mermaid_id(step)


def _label(text: str) -> str:
    return esc.mermaid_label(text)


def mermaid(plan: Plan, edges: Mapping[str, tuple[str, ...]]) -> str:
    """The diagram text (without the code fence): nodes in source order, then edges."""
    lines = ["flowchart LR"]
    for name, step in plan.steps.items():
        cls = step.cloud if step.cloud in CLOUD_STYLES else "other"
        label = f"{_label(name)}<br/>{_label(step.pool)}"
        lines.append(f'    {node_id(name)}["{label}"]:::{cls}')
    for name in plan.steps:
        for target in edges.get(name, ()):
            if target in plan.steps:
                lines.append(f"    {node_id(name)} --> {node_id(target)}")
    lines.extend(f"    classDef {cls} {style}" for cls, style in CLOUD_STYLES.items())
    return "\n".join(lines)


def fits_mermaid(diagram: str) -> bool:
    """Whether Mermaid will draw it with its default limits on text size and edges."""
    return len(diagram) <= MAX_TEXT_CHARS and diagram.count(" --> ") <= MAX_EDGES
