"""Static flow reader speed: large generated flows, and Metaflow's FlowGraph on split chains.

`read_flow` must stay linear in the flow size. Metaflow's own builder walks every path
from `start`, so a chain of k split/join diamonds costs it about 2^k; placer reads the
same files in one pass. Both are timed here in the same process on the same files.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from placer.flow import read_flow  # noqa: E402

SIZES = (100, 500, 2000)
DIAMONDS = (5, 6, 7, 10, 12, 14)
REPEATS = 5


class _Writer:
    """Writes a flow class step by step."""

    def __init__(self) -> None:
        self.lines = [
            "from metaflow import FlowSpec, kubernetes, resources, step",
            "",
            "",
            "class BigFlow(FlowSpec):",
        ]
        self.count = 0

    def step(self, name: str, tail: str, join: bool = False, decos: tuple[str, ...] = ()) -> None:
        self.count += 1
        self.lines += [f"    {d}" for d in decos]
        args = "self, inputs" if join else "self"
        self.lines += [
            "    @step",
            f"    def {name}({args}):",
            "        self.x = 1",
            f"        {tail}",
            "",
        ]

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def big_flow(steps: int) -> str:
    """About `steps` steps: diamonds, foreach blocks and decorated linear steps in turn."""
    w = _Writer()
    w.step("start", "self.next(self.b0_0)")
    i = 0
    while w.count < steps - 5:
        head, nxt = f"b{i}_0", f"b{i + 1}_0"
        kind = i % 3
        if kind == 0:  # static split into two branches and a join
            w.step(head, f"self.next(self.b{i}_l, self.b{i}_r)")
            w.step(
                f"b{i}_l",
                f"self.next(self.b{i}_j)",
                decos=("@resources(cpu=2, memory=8192)", "@kubernetes"),
            )
            w.step(f"b{i}_r", f"self.next(self.b{i}_j)")
            w.step(f"b{i}_j", f"self.next(self.{nxt})", join=True)
        elif kind == 1:  # foreach with a body and a join
            w.step(head, f"self.next(self.b{i}_body, foreach='items')")
            w.step(
                f"b{i}_body",
                f"self.next(self.b{i}_j)",
                decos=('@kubernetes(cpu=4, node_selector="outerbounds.co/provider=azure")',),
            )
            w.step(f"b{i}_j", f"self.next(self.{nxt})", join=True)
        else:
            w.step(head, f"self.next(self.{nxt})", decos=("@kubernetes(memory=2048)",))
        i += 1
    w.step(f"b{i}_0", "self.next(self.end)")
    w.step("end", "pass")
    return w.text()


def diamond_chain(k: int) -> str:
    """start, then k split/join diamonds (4 steps each), then end."""
    w = _Writer()
    w.step("start", "self.next(self.s0)")
    for i in range(k):
        after = f"s{i + 1}" if i + 1 < k else "end"
        w.step(f"s{i}", f"self.next(self.a{i}, self.b{i})")
        w.step(f"a{i}", f"self.next(self.j{i})")
        w.step(f"b{i}", f"self.next(self.j{i})")
        w.step(f"j{i}", f"self.next(self.{after})", join=True)
    w.step("end", "pass")
    return w.text()


def _best_cpu_s(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """The least CPU time of `repeats` runs: on a shared machine other processes only ever
    add to a measurement."""
    times = []
    for _ in range(repeats):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return min(times)


def _metaflow_graph_s(path: Path, repeats: int) -> float:
    from metaflow.graph import FlowGraph

    spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return _best_cpu_s(lambda: FlowGraph(module.BigFlow), repeats)


def run() -> str:
    """The markdown section for docs/benchmarks.md."""
    out = [
        "## Static flow reader",
        "",
        f"Least CPU time of {REPEATS} runs of `read_flow` (parse, "
        "graph rules, resources) on generated flows mixing splits, foreaches and "
        "decorated steps.",
        "",
        "| steps | lines | read_flow (ms) | µs per step |",
        "|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            path = Path(tmp) / f"big{size}.py"
            path.write_text(big_flow(size))
            steps = len(read_flow(path).steps)
            ms = _best_cpu_s(lambda p=path: read_flow(p)) * 1000
            lines = path.read_text().count("\n")
            out.append(f"| {steps} | {lines} | {ms:.1f} | {ms * 1000 / steps:.0f} |")
        out += [
            "",
            "Chains of split/join diamonds: Metaflow's `FlowGraph` (walks every path) "
            "against `read_flow` on the same file.",
            "",
            "| diamonds | steps | Metaflow FlowGraph (ms) | placer read_flow (ms) | ratio |",
            "|---:|---:|---:|---:|---:|",
        ]
        for k in DIAMONDS:
            path = Path(tmp) / f"chain{k}.py"
            path.write_text(diamond_chain(k))
            theirs = _metaflow_graph_s(path, 3 if k < 14 else 1) * 1000
            ours = _best_cpu_s(lambda p=path: read_flow(p)) * 1000
            out.append(f"| {k} | {4 * k + 2} | {theirs:.1f} | {ours:.2f} | {theirs / ours:.0f}x |")
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
