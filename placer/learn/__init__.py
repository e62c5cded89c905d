"""Per-step figures from a flow's past runs, read with Metaflow's metadata provider.

`learn(flow, connect(), Selection(runs=10))` reads the newest successful runs of a flow
(the name read statically by `placer.flow.read_flow`) from whichever metadata provider and
datastore the user's Metaflow is configured for, and returns a :class:`Learned`: per step
the task durations (median and p90), retries, foreach widths, tasks per run, input and
output sizes, and where and with which resources the tasks ran. `with_learned(config,
learned)` plans with them, `learned_values` is what `placer learn --write` writes, `drift`
what `--check` compares. Metaflow is imported only when a function here is called.
"""

from placer.learn._learn import DEFAULT_RUNS, Learned, Selection, learn
from placer.learn._records import Attempt, RunInfo, TaskRecord
from placer.learn._resources import resources_text
from placer.learn._source import ALL_NAMESPACES, Source, connect
from placer.learn._stats import Spread, StepLearned
from placer.learn._values import Drift, drift, learned_values, step_values, with_learned

__all__ = [
    "ALL_NAMESPACES",
    "DEFAULT_RUNS",
    "Attempt",
    "Drift",
    "Learned",
    "RunInfo",
    "Selection",
    "Source",
    "Spread",
    "StepLearned",
    "TaskRecord",
    "connect",
    "drift",
    "learn",
    "learned_values",
    "resources_text",
    "step_values",
    "with_learned",
]
