"""`placer apply`: make a flow follow a plan (codemods over the flow file, written atomically).

Tree in, tree out: the rewrites (`_rewrite`, `_decorators`, `_config_mode`) turn source
bytes and a plan into a :class:`FileResult`; only :func:`write_outcome` touches the disk.
"""

from placer.apply._apply import ApplyOptions, Mode, apply_plan, fix_order, write_outcome
from placer.apply._config_mode import placement_document
from placer.apply._result import ApplyOutcome, Change, FileResult
from placer.apply._selectors import selectors_document, with_option

__all__ = [
    "ApplyOptions",
    "ApplyOutcome",
    "Change",
    "FileResult",
    "Mode",
    "apply_plan",
    "fix_order",
    "placement_document",
    "selectors_document",
    "with_option",
    "write_outcome",
]
