"""Writing placer.yaml: the commented file `placer init` starts from, and merging
discovered pools into an existing file without disturbing its other keys or comments.

Functions here return text; the CLI writes it (atomically, via :func:`placer.atomic.write_atomic`).
Every text is validated with :func:`placer.config.parse_config` before it is returned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml

from placer.config.model import DEFAULT_POOLS, Defaults
from placer.config.parse import parse_config
from placer.config.pool import Pool
from placer.errors import ConfigError

if TYPE_CHECKING:
    from placer.flow import Flow, Step

__all__ = ["Merged", "init_text", "merge_pools", "pool_yaml"]


def _scalar(value: object) -> str:
    """A YAML flow scalar (JSON strings are valid YAML and always quoted safely)."""
    if isinstance(value, str) and value.replace("-", "").replace(".", "").isalnum():
        resolved = yaml.safe_load(value)
        if isinstance(resolved, str) and resolved == value:
            return value
    return json.dumps(value)


def _mapping(values: dict[str, str]) -> str:
    return "{" + ", ".join(f"{_scalar(k)}: {_scalar(v)}" for k, v in values.items()) + "}"


def _daemonsets(pool: Pool) -> str:
    """`{cpu: 250m, memory: 300Mi, pods: 4, measured: ctx}` (whole millicores and MiB)."""
    ds = pool.daemonsets
    assert ds is not None
    text = f"{{cpu: {round(ds.vcpus * 1000)}m, memory: {round(ds.memory_gib * 1024)}Mi, "
    text += f"pods: {ds.pods}"
    if ds.source.startswith("measured in "):
        text += f", measured: {_scalar(ds.source.removeprefix('measured in '))}"
    return text + "}"


def pool_yaml(pool: Pool, comment: str | None = None) -> str:
    """One pool as a block-sequence item under `pools:` (two-space indent)."""
    lines = [f"  - name: {_scalar(pool.name)}" + (f"  # {comment}" if comment else "")]
    lines += [f"    cloud: {pool.cloud}", f"    region: {_scalar(pool.region)}"]
    if pool.node_selector:
        lines.append(f"    node_selector: {_mapping(dict(pool.node_selector))}")
    if pool.compute_pool:
        lines.append(f"    compute_pool: {_scalar(pool.compute_pool)}")
    lines.append(f"    capacity_type: {pool.capacity_type}")
    if pool.instance_types:
        lines.append(f"    instance_types: [{', '.join(map(_scalar, pool.instance_types))}]")
    for key in ("max_vcpus", "max_memory_gib", "max_gpus", "max_nodes"):
        value = getattr(pool, key)
        if value is not None:
            lines.append(f"    {key}: {value:g}")
    if pool.speed != 1.0:
        lines.append(f"    speed: {pool.speed:g}")
    if pool.max_pods is not None:
        lines.append(f"    max_pods: {pool.max_pods}")
    if pool.daemonsets is not None:
        lines.append(f"    daemonsets: {_daemonsets(pool)}")
    if pool.source.startswith("discovered:"):
        lines.append(f"    discovered: {_scalar(pool.source.removeprefix('discovered:'))}")
    return "\n".join(lines) + "\n"


def _resources_hint(step: Step) -> str:
    res = step.pod_request or step.resources
    if res is None:
        return ""
    gpu = f", {res.gpu} gpu" if res.gpu else ""
    return f"  # pod request: {res.cpu:g} cpu, {res.memory_mb:g} MB{gpu}"


def _step_block(step: Step, defaults: Defaults, explain: bool) -> list[str]:
    lines = [f"  {step.name}:{_resources_hint(step)}"]
    if step.foreach_stack:
        width = defaults.foreach_width ** len(step.foreach_stack)
        inside = " and ".join(step.foreach_stack)
        lines.append(f"    tasks: {width}  # tasks per run (in the foreach of {inside})")
    hints = [
        (f"duration: {defaults.duration_hours:g}h", "per task: 90m, 1h30m, 2h"),
        (f"input: {defaults.input_gb:g}GB", "read from the datastore per task"),
        (f"output: {defaults.output_gb:g}GB", "written to the datastore per task"),
    ]
    if explain:
        hints += [
            ('reads: [{location: "aws:us-east-1", size: 100GB}]', "data outside the datastore"),
            ("pools: [aws-use1]", "only these pools (exclude_pools: [...] avoids some)"),
            ("gpu_model: H100", "which GPU, when the step asks for one"),
            ("reference: A100", "the hardware its duration was measured on"),
        ]
    lines += [f"    # {key:<20}" + (f"  # {why}" if explain else "") for key, why in hints]
    return [line.rstrip() for line in lines]


_HEADER = """\
# placer.yaml for {flow} ({file}), written by `placer init`.
# Reference: docs/config.md. Sizes: 500MB, 1.5GB, 10GiB (or a number of GB);
# durations: 90m, 1h30m, 2h (or a number of hours).

datastore: {{cloud: aws, region: us-east-1}}   # where the flow's artifacts live
runs_per_month: 30

defaults:                 # for steps that say nothing below
  foreach_width: 10       # tasks a foreach fans out to
  duration: 1h            # per task
  input: 1GB              # per task, from the datastore
  output: 1GB             # per task, to the datastore
  packing: shared         # shared: a step's pods fill nodes; cluster: pay a pod's share of
                          # a node others fill too; dedicated: the whole node
  reference_cpu: m6i      # what durations are measured on (reference_gpu: A100 for GPUs)
  spot_interruption: {{aws: 10%, azure: 10%, gcp: 10%}}   # spot nodes lost per day

# Where steps can run: one pool per cloud, selected by the label the seed uses.
# `placer pools discover --write placer.yaml` replaces the ones your clusters cover
# with the pools it finds there, limited to the capacity free now.
pools:
"""

_FOOTER = """
constraints:
  max_workers: 16         # Metaflow's --max-workers
  # deadline: 2h          # one run must finish within this
  # budget: 100           # USD per month
  # residency: {eu: [step_name]}   # steps whose data must stay on a continent
  # residency_data: forbid  # allow: let a resident step's data cross (the plan lists it)
  # keep_batch: false      # true: leave @batch steps on AWS Batch
  # bandwidth_gbps: 10     # any route between regions not listed below
  # bandwidth:            # per pair (either direction); the most specific entry wins
  #   - {between: [aws:us-east-1, gcp:us-central1], gbps: 2}
  #   - {between: [aws, azure], gbps: 1}
"""


def init_text(flow: Flow, pools: Sequence[Pool] = DEFAULT_POOLS) -> str:
    """A commented placer.yaml listing the flow's steps and the given pools."""
    defaults = Defaults()
    parts = [_HEADER.format(flow=flow.name, file=flow.file.name)]
    parts += [pool_yaml(p) for p in pools]
    steps = [
        line
        for i, step in enumerate(flow.steps.values())
        for line in _step_block(step, defaults, explain=i == 0)
    ]
    parts.append("\nsteps:                    # per-step usage; uncomment what you know\n")
    parts.append("\n".join(steps) + "\n")
    parts.append(_FOOTER)
    text = "".join(parts)
    parse_config(text, "placer.yaml (generated)")
    return text


def _pools_span(text: str, label: str) -> tuple[int, int] | None:
    """Line range [start, end) of the top-level `pools:` entry, or None."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        return None
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError("expected a mapping at the top level", f"{label}:1")
    for key, value in root.value:
        if key.value == "pools":
            end = value.end_mark.line + (1 if value.end_mark.column else 0)
            return key.start_mark.line, max(end, key.start_mark.line + 1)
    return None


@dataclass(frozen=True)
class Merged:
    """The merged file text, and which of the file's pools were kept or replaced."""

    text: str
    kept: tuple[str, ...]
    replaced: tuple[str, ...]


def merge_pools(
    text: str,
    found: Sequence[tuple[Pool, str | None]],
    label: str,
    superseded: Callable[[Pool], bool] = lambda pool: False,
) -> Merged:
    """`text` with discovered pools under `pools:`; other keys and comments untouched.

    The file's pools that share a name with a discovered pool, or that `superseded` says
    discovery covers (their selector reaches the clusters just read), are replaced; the
    others stay, ahead of the discovered ones. Raises ConfigError (nothing should be
    written then) if the result does not validate.
    """
    current = parse_config(text, label) if text.strip() else None
    names = {p.name for p, _ in found}
    existing = current.pools if current and _has_pools(text) else ()
    kept = [p for p in existing if p.name not in names and not superseded(p)]
    block = "pools:\n" + "".join(pool_yaml(p) for p in kept)
    block += "".join(pool_yaml(p, note) for p, note in found)
    merged = _replace_pools_block(text, block, label)
    parse_config(merged, label)
    replaced = tuple(p.name for p in existing if p not in kept)
    return Merged(merged, tuple(p.name for p in kept), replaced)


def _replace_pools_block(text: str, block: str, label: str) -> str:
    lines = text.splitlines(keepends=True)
    span = _pools_span(text, label)
    if span is None:
        prefix = "".join(lines)
        if prefix and not prefix.endswith("\n"):
            prefix += "\n"
        return prefix + block
    start, end = span
    while end - 1 > start and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # top-level comments and blank lines belong to what follows
    return "".join(lines[:start]) + block + "".join(lines[end:])


def _has_pools(text: str) -> bool:
    return _pools_span(text, "placer.yaml") is not None
