"""Per-step figures from a flow's past runs, read with Metaflow's metadata provider.

`learn(flow, connect(), Selection(runs=10))` reads the newest successful runs of a flow
(the name read statically by `placer.flow.read_flow`) from whichever metadata provider and
datastore the user's Metaflow is configured for, and returns a :class:`Learned`: per step
the task durations (median and p90), retries, foreach widths, tasks per run, input and
output sizes, and where and with which resources the tasks ran. Metaflow is imported only
when a function here is called.
"""

from placer.learn._learn import DEFAULT_RUNS, Learned, Selection, learn
from placer.learn._records import Attempt, RunInfo, TaskRecord
from placer.learn._resources import resources_text
from placer.learn._source import ALL_NAMESPACES, Source, connect
from placer.learn._stats import Spread, StepLearned

__all__ = [
    "ALL_NAMESPACES",
    "DEFAULT_RUNS",
    "Attempt",
    "Learned",
    "RunInfo",
    "Selection",
    "Source",
    "Spread",
    "StepLearned",
    "TaskRecord",
    "connect",
    "learn",
    "resources_text",
]
