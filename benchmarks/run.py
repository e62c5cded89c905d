"""Run every benchmark (benchmarks/bench_*.py) and write docs/benchmarks.md.

Each benchmark module defines ``run() -> str`` returning a markdown section with its
figures; machines are noisy, so each compares ratios measured side by side in one run.
Usage: ``python benchmarks/run.py [NAME ...]`` (default: all). Sections of benchmarks not
run this time are kept from the existing file.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "docs" / "benchmarks.md"
_SECTION = re.compile(r"^<!-- bench:(\w+) -->$", re.M)


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _existing_sections() -> dict[str, str]:
    if not OUT.exists():
        return {}
    text = OUT.read_text()
    marks = list(_SECTION.finditer(text))
    out = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out[m.group(1)] = text[m.end() : end].strip("\n")
    return out


def main(names: list[str]) -> int:
    fresh: dict[str, str] = {}
    paths = sorted(HERE.glob("bench_*.py"))
    for path in paths:
        name = path.stem.removeprefix("bench_")
        if names and name not in names:
            continue
        print(f"running {path.name} ...", flush=True)
        started, load = time.perf_counter(), os.getloadavg()[0]
        body = _load(path).run().strip("\n")
        stamp = time.strftime("%Y-%m-%d", time.gmtime())
        fresh[name] = (
            f"{body}\n\n_Measured {stamp} on {platform.machine()}, Python "
            f"{platform.python_version()}, {time.perf_counter() - started:.0f} s, load "
            f"average {load:.1f} at the start on {os.cpu_count()} cores (machines are shared: "
            f"compare figures within a section). Command: `python benchmarks/run.py {name}`._"
        )
    sections = {**_existing_sections(), **fresh}  # read late: others may have written since
    header = (
        "# Benchmarks\n\nWritten by `make bench` (`python benchmarks/run.py`). Each section "
        "compares measurements taken side by side in one run on the same machine.\n"
    )
    parts = [header] + [f"<!-- bench:{k} -->\n{v}\n" for k, v in sorted(sections.items())]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text("\n".join(parts))
    tmp.replace(OUT)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
