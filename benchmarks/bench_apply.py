"""`placer apply` rewrite speed on large generated flows.

Times the decorators-mode codemod (first apply, and the no-op second apply that `--check`
and the idempotence rule run) and the config-mode codemod, next to libcst's bare parse of
the same file, so the cost placer adds on top of libcst is visible as a ratio.
"""

from __future__ import annotations

import difflib
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import libcst as cst  # noqa: E402
from fixtures.plan.apply_plans import make_plan, step_plan  # noqa: E402

from placer.apply._config_mode import rewrite_for_config  # noqa: E402
from placer.apply._diff import unified_diff  # noqa: E402
from placer.apply._rewrite import decorators_edit, rewrite  # noqa: E402

SIZES = (100, 500, 2000)
REPEATS = 3


def linear_flow(steps: int) -> bytes:
    """A chain of `steps` steps; every other one already has a string-selector @kubernetes."""
    lines = [
        "from metaflow import FlowSpec, kubernetes, resources, step",
        "",
        "",
        "class BigFlow(FlowSpec):",
    ]
    names = _step_names(steps)
    for i, name in enumerate(names):
        nxt = f"self.next(self.{names[i + 1]})" if i + 1 < steps else ""
        if i % 2:
            lines += [
                "    @resources(cpu=1, memory=512)",
                '    @kubernetes(node_selector="outerbounds.co/provider=azure")',
            ]
        lines += [
            "    @step",
            f"    def {name}(self):",
            "        self.x = 1",
            f"        {nxt or 'pass'}",
            "",
        ]
    return ("\n".join(lines) + "\n").encode()


def _best(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _row(steps: int) -> str:
    source = linear_flow(steps)
    names = _step_names(steps)
    plan = make_plan(
        "BigFlow",
        {
            n: step_plan({"outerbounds.co/provider": "gcp", "zone": f"z{i % 3}"})
            for i, n in enumerate(names)
        },
    )
    edit = decorators_edit(plan, False, False)
    path = Path("big.py")
    once = rewrite(source, path, plan, edit).after
    parse = _best(lambda: cst.parse_module(source))
    first = _best(lambda: rewrite(source, path, plan, edit))
    noop = _best(lambda: rewrite(once, path, plan, edit))
    config = _best(lambda: rewrite_for_config(source, path, plan, False, False))
    old, new = source.decode().splitlines(True), once.decode().splitlines(True)
    ours = _best(lambda: list(unified_diff(old, new, "a", "b")))
    theirs = _best(lambda: list(difflib.unified_diff(old, new, "a", "b")))
    return (
        f"| {steps} | {len(source) / 1024:.0f} | {parse * 1000:.0f} | {first * 1000:.0f} "
        f"| {first / parse:.1f}x | {noop * 1000:.0f} | {config * 1000:.0f} "
        f"| {ours * 1000:.0f} | {theirs * 1000:.0f} |"
    )


def _step_names(steps: int) -> list[str]:
    return ["start", *[f"s{i}" for i in range(1, steps - 1)], "end"]


def run() -> str:
    """Markdown section: rewrite times by flow size (best of 3)."""
    rows = [_row(n) for n in SIZES]
    return "\n".join(
        [
            "## apply: rewrite speed",
            "",
            'Linear flows of N steps, half with `@kubernetes(node_selector="...")` to update, '
            "half bare `@step` to decorate; every step moves to a 2-label GCP selector. Best of "
            f"{REPEATS}, milliseconds. `x parse` is the first apply over libcst's parse alone. "
            "`--diff` is the unified diff of the first apply (placer.apply._diff, anchored on "
            "lines unique to both versions) next to `difflib.unified_diff` on the same lines.",
            "",
            "| steps | KiB | libcst parse | first apply | x parse | no-op apply | config mode "
            "| `--diff` | difflib |",
            "|------:|----:|-------------:|------------:|--------:|------------:|------------:"
            "|------:|------:|",
            *rows,
        ]
    )


if __name__ == "__main__":
    print(run())
