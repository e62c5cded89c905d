"""Benchmark: `placer learn` reading 100 runs of a flow with 1,003 tasks a run.

The store is written by Metaflow's own code, the way its local runtime writes it: runs,
tasks and metadata through `LocalMetadataProvider` (new_run_id, new_task_id,
register_task_id, register_metadata), artifacts through `FlowDataStore` /
`TaskDataStore` (init_task, save_artifacts, done), with a fake clock so every task's
duration is known. The flow: start -> a foreach of width 20 over a chain of 50 steps ->
join -> end; 5% of the chain's tasks fail their first attempt and succeed on the second.

It then times `learn()` with the local provider's reader (one directory listing per task)
against the same `learn()` through `get_object` per step and task, which is what the Client
API's `Step.tasks()` / `Task.metadata` cost, and checks the learned medians and widths
against the generated ones. The store needs ~18 GB of disk (one 4 kB block per small
file, ~42 files a task) and ~10 minutes to write; it is deleted afterwards unless
PLACER_BENCH_LEARN_STORE names a directory to keep it in (and reuse it from).
Usage: `python benchmarks/run.py learn` (PLACER_BENCH_LEARN_RUNS=10 for a quick check).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = int(os.environ.get("PLACER_BENCH_LEARN_RUNS", "100"))
WIDTH = 20
CHAIN = 50
FLOW = "BenchLearnFlow"
RETRY_EVERY = 20  # a chain task with (run + step + index) % 20 == 0 fails its first attempt
INTERNALS = (  # the artifacts Metaflow's runtime persists for every task
    "_task_ok",
    "_success",
    "_graph_info",
    "_foreach_stack",
    "_foreach_num_splits",
    "_foreach_var",
    "_foreach_values",
    "_iteration_stack",
    "_transition",
    "_current_step",
    "_exception",
    "_configs_processed",
    "name",
)
FREE_GB_NEEDED = 25


def duration_s(step: int, index: int) -> float:
    """The generated duration of chain step `step` (1-based), foreach index `index`."""
    return 10.0 + step + 0.5 * index


def flow_source() -> str:
    """The flow the store holds runs of (placer reads it statically, never runs it)."""
    chain = [f"s{k}" for k in range(1, CHAIN + 1)]
    lines = ["from metaflow import FlowSpec, step", "", "", f"class {FLOW}(FlowSpec):"]
    lines += ["    @step", "    def start(self):", "        self.items = list(range(20))"]
    lines += ["        self.next(self.s1, foreach='items')", ""]
    for k, name in enumerate(chain):
        target = chain[k + 1] if k + 1 < len(chain) else "join"
        lines += ["    @step", f"    def {name}(self):", f"        self.next(self.{target})", ""]
    lines += ["    @step", "    def join(self, inputs):", "        self.next(self.end)", ""]
    lines += ["    @step", "    def end(self):", "        pass", ""]
    lines += ["", "if __name__ == '__main__':", f"    {FLOW}()", ""]
    return "\n".join(lines)


# --- generating the store (in subprocesses: Metaflow reads its configuration at import) ----


class _Clock:
    """Replaces time.time, so metadata timestamps (and run ids) are what the plan says."""

    def __init__(self, start: float):
        self.now = start

    def __call__(self) -> float:
        return self.now


def _generate(store: str, first: int, count: int) -> None:
    os.environ["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = store
    os.environ["USERNAME"] = "bench"
    clock = _Clock(1_700_000_000.0)
    time.time = clock  # every Metaflow timestamp below comes from the fake clock
    from metaflow.datastore import FlowDataStore
    from metaflow.metaflow_environment import MetaflowEnvironment
    from metaflow.plugins.datastores.local_storage import LocalStorage
    from metaflow.plugins.metadata_providers.local import LocalMetadataProvider

    info = MetaflowEnvironment(None).get_environment_info()

    class Environment(MetaflowEnvironment):  # the runtime asks once; git info is slow
        def get_environment_info(self, include_ext_info=False):
            return info

    class Flow:
        name = FLOW

    root = LocalStorage.get_datastore_root_from_config(print, create_on_absent=True)
    provider = LocalMetadataProvider(Environment(Flow), Flow, None, None)
    datastore = FlowDataStore(FLOW, storage_impl=LocalStorage, metadata=provider, ds_root=root)
    for run in range(first, first + count):
        clock.now = 1_700_000_000.0 + run * 10_000
        _one_run(provider, datastore, clock, run)


def _task(provider, datastore, clock, run_id, step, path, attempts, seconds, artifacts):
    from metaflow.metadata_provider import MetaDatum

    task_id = provider.new_task_id(run_id, step)
    clock.now += 0.2  # the task process starts after the runtime registered the task
    for attempt in range(attempts):
        ok = attempt == attempts - 1
        provider.register_task_id(run_id, step, task_id, attempt)
        tags = [f"attempt_id:{attempt}"]
        meta = [
            MetaDatum("attempt", str(attempt), "attempt", tags),
            MetaDatum("origin-run-id", "None", "origin-run-id", tags),
            MetaDatum("ds-type", "local", "ds-type", tags),
            MetaDatum("ds-root", datastore.datastore_root, "ds-root", tags),
        ]
        if path:
            meta.append(MetaDatum("foreach-stack", [path], "foreach-stack", tags))
            meta.append(MetaDatum("foreach-execution-path", path, "foreach-execution-path", tags))
        provider.register_metadata(run_id, step, task_id, meta)
        task = datastore.get_task_datastore(run_id, step, task_id, attempt=attempt, mode="w")
        task.init_task()
        clock.now += seconds if ok else 1.0
        task.save_artifacts(iter(artifacts))
        ok_meta = MetaDatum("attempt_ok", str(ok), "internal_attempt_status", tags)
        provider.register_metadata(run_id, step, task_id, [ok_meta])
        task.save_metadata({"task_end": {}})
        task.done()
        clock.now += 0.05


def _artifacts(step: str, extra: list) -> list:
    return [(name, f"{name}:{step}") for name in INTERNALS] + extra


def _one_run(provider, datastore, clock, run: int) -> None:
    run_id = provider.new_run_id()
    args = (provider, datastore, clock, run_id)
    _task(*args, "_parameters", "", 1, 0.1, _artifacts("_parameters", []))
    _task(*args, "start", "", 1, 1.0, _artifacts("start", [("items", list(range(WIDTH)))]))
    for index in range(WIDTH):
        path = f"s1:{index}"
        for k in range(1, CHAIN + 1):
            attempts = 2 if (run + k + index) % RETRY_EVERY == 0 else 1
            payload = [("x", bytes([k % 256, index]) * (500 * k))]  # 1 kB x step, per index
            step = f"s{k}"
            _task(*args, step, path, attempts, duration_s(k, index), _artifacts(step, payload))
    _task(*args, "join", "", 1, 2.0, _artifacts("join", []))
    _task(*args, "end", "", 1, 0.5, _artifacts("end", []))


def _generate_all(store: Path) -> float:
    started = time.perf_counter()
    workers = 2
    share = -(-RUNS // workers)
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "generate", str(store), str(w * share), str(n)],
            env={**os.environ, "METAFLOW_HOME": str(store.parent / "home")},
        )
        for w in range(workers)
        if (n := min(share, RUNS - w * share)) > 0
    ]
    for proc in procs:
        if proc.wait() != 0:
            raise RuntimeError("generating the store failed")
    return time.perf_counter() - started


# --- reading it ---------------------------------------------------------------------------


def _learn(flow_path: Path, store: Path, generic: bool):
    from placer.flow import read_flow
    from placer.learn import Selection, Source, connect, learn

    source = connect(f"local@{store}", namespace="*")
    if generic:  # a provider placer has no reader for: get_object per step and task

        class AnyProvider(source.provider):
            TYPE = "any"

        source = Source(AnyProvider, source.description, None)
    started, cpu = time.perf_counter(), time.process_time()
    learned = learn(read_flow(flow_path), source, Selection(runs=RUNS))
    return learned, time.perf_counter() - started, time.process_time() - cpu


def _check(learned) -> None:
    assert len(learned.runs) == RUNS, len(learned.runs)
    for k in (1, 25, CHAIN):
        step = learned.steps[f"s{k}"]
        values = sorted(duration_s(k, i) for i in range(WIDTH))
        median = (values[9] + values[10]) / 2
        assert abs(step.duration_s.p50 - median) < 1e-6, (k, step.duration_s)
        assert step.width.p50 == WIDTH and step.tasks == WIDTH * RUNS
        assert abs(step.retry_rate - 1 / RETRY_EVERY) < 1e-9, step.retry_rate


def _store(base: Path) -> tuple[Path, float | None]:
    """The store to read: PLACER_BENCH_LEARN_STORE if it holds one (kept for the next run),
    else a fresh one generated under `base` (None: reused, not generated)."""
    kept = os.environ.get("PLACER_BENCH_LEARN_STORE")
    store = Path(kept) if kept else base / "store"
    if kept and (store / ".metaflow" / FLOW).is_dir():
        return store, None
    (store.parent / "home").mkdir(parents=True, exist_ok=True)
    return store, _generate_all(store)


def run() -> str:
    base = Path(tempfile.gettempdir())
    if shutil.disk_usage(base).free / 1e9 < FREE_GB_NEEDED * RUNS / 100:
        raise RuntimeError(f"bench_learn needs ~{FREE_GB_NEEDED} GB free in {base}")
    with tempfile.TemporaryDirectory(prefix="placer-bench-learn-") as tmp:
        store, generated = _store(Path(tmp))
        flow_path = Path(tmp) / "benchlearnflow.py"
        flow_path.write_text(flow_source())
        tasks = RUNS * (WIDTH * CHAIN + 3)
        block_kb = os.statvfs(store).f_frsize // 1024
        load = os.getloadavg()[0]
        fast, fast_s, fast_cpu = _learn(flow_path, store, generic=False)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        _check(fast)
        slow, slow_s, slow_cpu = _learn(flow_path, store, generic=True)
        _check(slow)
        assert slow.steps == fast.steps
    made = (
        f"written by Metaflow's local metadata provider and datastore in {generated:.0f} s"
        if generated is not None
        else "written earlier by Metaflow's local metadata provider and datastore (the "
        "same generator; PLACER_BENCH_LEARN_STORE)"
    )
    return "\n".join(
        [
            "## learn: reading past runs",
            "",
            f"{RUNS} runs of a {CHAIN + 3}-step flow (a foreach of width {WIDTH} over a "
            f"{CHAIN}-step chain): {tasks:,} tasks, ~42 files each, {made}, on a local "
            f"filesystem with {block_kb} kB blocks (the page cache cannot hold all of it: a "
            "4 kB page per small file; the first reader runs first). Both readers learn the "
            "same figures, checked against the generated durations, widths and retry rate; "
            "both include artifact sizes (Metaflow's storage class, `load_bytes` per 20 runs) "
            "and `_graph_info`.",
            "",
            "| reader | wall s | CPU s | CPU per task | CPU per run |",
            "|---|---:|---:|---:|---:|",
            f"| local provider: one directory listing per task | {fast_s:.1f} | "
            f"{fast_cpu:.1f} | {fast_cpu / tasks * 1e6:.0f} µs | "
            f"{fast_cpu / RUNS * 1000:.0f} ms |",
            f"| `get_object` per step and task (as the Client API) | {slow_s:.1f} | "
            f"{slow_cpu:.1f} | {slow_cpu / tasks * 1e6:.0f} µs | "
            f"{slow_cpu / RUNS * 1000:.0f} ms |",
            "",
            f"The directory reader needs {slow_cpu / fast_cpu:.1f}x less CPU. Peak memory "
            f"after it: {peak_mb:.0f} MB. The machine's load average was {load:.1f} on "
            f"{os.cpu_count()} cores when reading began, so wall time exceeds CPU time.",
        ]
    )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "generate":
        _generate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        print(run())
