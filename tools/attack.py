"""Attack placer the way issue 14 did, and count what breaks (docs/reliability.md).

    python tools/attack.py kill-apply --runs 30 --signal KILL
    python tools/attack.py kill-apply --runs 10 --signal TERM
    python tools/attack.py kill-plan --runs 20 --signal KILL
    python tools/attack.py race-apply --runs 20
    python tools/attack.py editor-save --runs 5
    python tools/attack.py race-refresh --runs 10
    python tools/attack.py kill-refresh --runs 30
    python tools/attack.py fuzz --config 3500 --plan 5000 --flow 1000 --seed 14

Every run starts real `python -m placer` processes (or, for `fuzz`, calls the CLI in
process with the suite's own mutation strategies at a large budget) and prints one
Markdown table row of counts. `--src DIR` runs another checkout's placer (e.g. the
commit before a fix) with the same attacks.
"""

from __future__ import annotations

import argparse
import collections
import http.server
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = 1500  # the "5 s apply of a 1500-step flow"


# ---------------------------------------------------------------------------- helpers


def placer(src: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`python -m placer ARGV` from checkout `src`, output captured."""
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(src)}
    return subprocess.Popen(
        [sys.executable, "-m", "placer", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


def big_flow(steps: int = STEPS) -> bytes:
    """A chain of `steps` steps, half with @resources and an Azure selector."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    sys.path.insert(0, str(ROOT / "tests"))
    from bench_apply import linear_flow

    return linear_flow(steps)


def plan_for(flow: bytes, provider: str) -> str:
    """A plan sending every step of `flow` to `provider`, recorded as made from `flow`."""
    sys.path.insert(0, str(ROOT / "tests"))
    import ast

    from fixtures.plan.apply_plans import make_plan, step_plan

    tree = ast.parse(flow)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    names = [f.name for f in cls.body if isinstance(f, ast.FunctionDef)]
    selector = {"outerbounds.co/provider": provider}
    steps = {name: step_plan(selector) for name in names}
    return make_plan(cls.name, steps, "flow.py", flow).dumps()


def workspace(flow: bytes, plans: dict[str, str]) -> Path:
    directory = Path(tempfile.mkdtemp(prefix="placer-attack-"))
    (directory / ".git").mkdir()
    (directory / "flow.py").write_bytes(flow)
    for name, text in plans.items():
        (directory / name).write_text(text)
    return directory


def temps(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def applied_bytes(src: Path, flow: bytes, plan: str) -> bytes:
    """What a completed apply of `plan` makes of `flow` (for telling torn files apart)."""
    directory = workspace(flow, {"plan.json": plan})
    done = placer(src, "apply", str(directory / "plan.json"))
    done.communicate()
    result = (directory / "flow.py").read_bytes()
    shutil.rmtree(directory)
    return result


def row(name: str, runs: int, counts: dict[str, object]) -> None:
    cells = " | ".join(f"{k}: {v}" for k, v in counts.items())
    print(f"| {name} | {runs} | {cells} |")


# ---------------------------------------------------------------------------- apply


def kill_apply(src: Path, runs: int, sig: str) -> None:
    """Kill `placer apply` of a 1500-step flow at a random moment; count torn flows and
    temp files left behind, then whether the next apply sweeps them."""
    flow = big_flow()
    plan = plan_for(flow, "gcp")
    done_bytes = applied_bytes(src, flow, plan)
    started = time.monotonic()
    applied_bytes(src, flow, plan)
    duration = time.monotonic() - started
    counts: collections.Counter[str] = collections.Counter()
    rng = random.Random(14)
    for _ in range(runs):
        directory = workspace(flow, {"plan.json": plan})
        child = placer(src, "apply", str(directory / "plan.json"))
        time.sleep(rng.uniform(0.3, duration))
        child.send_signal(getattr(signal, f"SIG{sig}"))
        _, err = child.communicate()
        now = (directory / "flow.py").read_bytes()
        counts["flow old"] += now == flow
        counts["flow new"] += now == done_bytes
        counts["flow torn"] += now not in (flow, done_bytes)
        counts["temp left"] += bool(temps(directory))
        counts[f"exit {child.returncode}"] += 1
        again = placer(src, "apply", str(directory / "plan.json"))
        again.communicate()
        counts["temp left after next apply"] += bool(temps(directory))
        shutil.rmtree(directory)
    row(f"`kill -{sig}` during `placer apply` ({STEPS} steps, {duration:.1f} s)", runs, counts)


def kill_plan(src: Path, runs: int, sig: str) -> None:
    """Kill `placer plan FLOW --out plan.json` (a 300-step flow, plan.json from an earlier
    plan) at a random moment: is plan.json the old or the new plan, whole, with no temp?"""
    flow = big_flow(300)
    directory = workspace(flow, {})
    argv = ["plan", str(directory / "flow.py"), "--out", str(directory / "plan.json")]
    started = time.monotonic()
    placer(src, *argv).communicate()
    duration = time.monotonic() - started
    old = (directory / "plan.json").read_bytes()
    counts: collections.Counter[str] = collections.Counter()
    rng = random.Random(14)
    for _ in range(runs):
        (directory / "plan.json").write_bytes(old.replace(b'"USD"', b'"USD" '))  # marked old
        before = (directory / "plan.json").read_bytes()
        child = placer(src, *argv)
        time.sleep(rng.uniform(0.3, duration * 1.1))
        child.send_signal(getattr(signal, f"SIG{sig}"))
        child.communicate()
        now = (directory / "plan.json").read_bytes()
        try:
            json.loads(now)
            whole = True
        except ValueError:
            whole = False
        counts["plan old"] += now == before
        counts["plan new"] += whole and now != before
        counts["plan torn"] += not whole
        counts["temp left"] += bool(temps(directory))
        counts[f"exit {child.returncode}"] += 1
    shutil.rmtree(directory)
    row(f"`kill -{sig}` during `placer plan --out` (300 steps, {duration:.1f} s)", runs, counts)


def race_apply(src: Path, runs: int) -> None:
    """Two applies of different plans started together: both "wrote" = one plan lost."""
    flow = big_flow()
    plans = {"a.json": plan_for(flow, "gcp"), "b.json": plan_for(flow, "aws")}
    counts: collections.Counter[str] = collections.Counter()
    for _ in range(runs):
        directory = workspace(flow, plans)
        children = [placer(src, "apply", str(directory / name)) for name in plans]
        results = [child.communicate() for child in children]
        wrote = sum("wrote" in out for out, _ in results)
        refused = sum("changed since placer read it" in err for _, err in results)
        counts["both wrote (a plan lost)"] += wrote == 2
        counts["one wrote, one refused"] += wrote == 1 and refused == 1
        counts["other"] += not (wrote == 2 or (wrote == 1 and refused == 1))
        shutil.rmtree(directory)
    row("two `placer apply` of different plans at once", runs, counts)


def editor_save(src: Path, runs: int) -> None:
    """An editor saves the flow in the middle of an apply: is the edit kept?"""
    flow = big_flow()
    plan = plan_for(flow, "gcp")
    started = time.monotonic()
    applied_bytes(src, flow, plan)
    duration = time.monotonic() - started
    counts: collections.Counter[str] = collections.Counter()
    for _ in range(runs):
        directory = workspace(flow, {"plan.json": plan})
        child = placer(src, "apply", str(directory / "plan.json"))
        time.sleep(duration * 0.4)
        target = directory / "flow.py"  # saved the way editors do: a new file renamed over
        saved = directory / ".flow.py.swp-save"
        saved.write_bytes(target.read_bytes() + b"# saved in an editor\n")
        os.replace(saved, target)
        _, err = child.communicate()
        kept = target.read_bytes().endswith(b"# saved in an editor\n")
        counts["edit kept"] += kept
        counts["edit lost"] += not kept
        counts["apply refused"] += child.returncode == 2
        shutil.rmtree(directory)
    row(f"editor save during `placer apply` ({duration:.1f} s)", runs, counts)


# ---------------------------------------------------------------------------- refresh


class _Retail(http.server.BaseHTTPRequestHandler):
    """The Azure Retail Prices API for any region: one VM meter, one bandwidth tier.

    The price encodes the region (eastus 0.111, others 0.222) and the server's round, so
    a test can tell whose prices landed."""

    delay_s = 0.0
    round = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        text = query.get("$filter", [""])[0]
        region = text.split("armRegionName eq '")[1].split("'")[0]
        price = (0.111 if region == "eastus" else 0.222) + self.round / 1000
        if "Bandwidth" in text:
            items = [{"type": "Consumption", "armRegionName": region, "unitOfMeasure": "1 GB",
                      "productName": "Bandwidth", "meterName": "Standard Data Transfer Out",
                      "retailPrice": price / 10, "tierMinimumUnits": 0}]  # fmt: skip
        else:
            items = [{"type": "Consumption", "armRegionName": region, "unitOfMeasure": "1 Hour",
                      "productName": "Virtual Machines Dv5 Series", "skuName": "D4s v5",
                      "armSkuName": "Standard_D4s_v5", "retailPrice": price,
                      "effectiveStartDate": "2026-01-01T00:00:00Z"}]  # fmt: skip
        time.sleep(self.delay_s)
        body = json.dumps({"Items": items, "NextPageLink": None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def retail_server(delay_s: float) -> Iterator[str]:
    _Retail.delay_s = delay_s
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Retail)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/retail/prices"
    finally:
        server.shutdown()


def _refresh(src: Path, url: str, cache: Path, *regions: str) -> subprocess.Popen:
    argv = ["pricing", "refresh", "--cloud", "azure", "--azure-prices-url", url]
    for region in regions:
        argv += ["--region", region]
    env = {"PLACER_CACHE_DIR": str(cache), "AZURE_SUBSCRIPTION_ID": ""}
    return placer(src, *argv, env=env)


def _azure_prices(src: Path, cache: Path) -> dict[str, float]:
    code = (
        "import json, sys; from pricing.catalog import load_catalog; c = load_catalog(); "
        "print(json.dumps({o.region: o.usd_per_hour for o in c.offers('azure') "
        "if o.instance_type == 'Standard_D4s_v5' and o.region in ('eastus', 'westus2')}))"
    )
    env = {**os.environ, "PYTHONPATH": str(src), "PLACER_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def race_refresh(src: Path, runs: int) -> None:
    """Refreshes of two regions at once: does each one's new price land?"""
    counts: collections.Counter[str] = collections.Counter()
    with retail_server(delay_s=0.3) as url:
        for _ in range(runs):
            cache = Path(tempfile.mkdtemp(prefix="placer-cache-"))
            children = [_refresh(src, url, cache, r) for r in ("eastus", "westus2")]
            for child in children:
                child.communicate()
            prices = _azure_prices(src, cache)
            both = prices.get("eastus") == 0.111 and prices.get("westus2") == 0.222
            counts["both regions landed"] += both
            counts["a region lost"] += not both
            shutil.rmtree(cache)
    row("two `placer pricing refresh` of different regions at once", runs, counts)


def _tables(cache: Path) -> dict[str, str]:
    """captured_at of the azure offers and egress tables in use."""
    out = {}
    for kind in ("offers", "egress"):
        for base in (cache / "current", cache):
            path = base / f"{kind}-azure.json"
            if path.is_file():
                out[kind] = json.loads(path.read_text())["captured_at"]
                break
    return out


def kill_refresh(src: Path, runs: int) -> None:
    """Kill a refresh at a random moment: are the tables in use from one refresh?"""
    counts: collections.Counter[str] = collections.Counter()
    rng = random.Random(14)
    with retail_server(delay_s=0.0) as url:
        cache = Path(tempfile.mkdtemp(prefix="placer-cache-"))
        started = time.monotonic()
        _refresh(src, url, cache, "eastus").communicate()
        duration = time.monotonic() - started  # kills spread over a whole refresh
        shutil.rmtree(cache)
        for _ in range(runs):
            cache = Path(tempfile.mkdtemp(prefix="placer-cache-"))
            _refresh(src, url, cache, "eastus").communicate()  # the previous refresh
            before = _tables(cache)
            time.sleep(1.05)  # captured_at has one-second resolution
            child = _refresh(src, url, cache, "eastus")
            time.sleep(rng.uniform(0.2, duration * 1.1))
            child.kill()
            child.communicate()
            after = _tables(cache)
            mixed = len(set(after.values())) > 1
            counts["tables from one refresh"] += not mixed
            counts["mixed refreshes"] += mixed
            counts["killed before it finished"] += child.returncode != 0
            counts["unchanged"] += after == before
            shutil.rmtree(cache)
    row(
        f"`kill -9` during `placer pricing refresh` (offers + egress, {duration:.1f} s)",
        runs,
        counts,
    )


# ---------------------------------------------------------------------------- fuzz


def fuzz(src: Path, config: int, plan: int, flow: int, seed: int) -> None:
    """The suite's own mutation strategies (tests/test_fuzz_*.py) at a large budget,
    counting exit codes of the CLI commands they drive, in process against checkout `src`
    (the strategies always come from this checkout's tests)."""
    import io

    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(src))
    os.environ.setdefault("PLACER_CACHE_DIR", tempfile.mkdtemp())
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as seeded

    from placer.cli import main
    from placer.cli._env import Environment

    def cli(*argv: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), Environment(stdout=out, stderr=err, width=100))
        return code, err.getvalue()

    def budget(n: int) -> Callable:
        def wrap(test: Callable) -> Callable:
            configured = settings(max_examples=n, deadline=None, database=None,
                                  suppress_health_check=list(HealthCheck))  # fmt: skip
            return seeded(seed)(configured(test))

        return wrap

    codes: collections.Counter[str] = collections.Counter()
    examples: collections.Counter[str] = collections.Counter()
    unexpected: list[str] = []

    def note(label: str, code: int, err: str) -> None:
        codes[f"{label} exit {code}"] += 1
        if (
            "error: unexpected" in err
            or code not in (0, 1, 2)
            or (
                code == 1 and label != "apply --check"  # --check says "differs" with exit 1
            )
        ):
            unexpected.append(f"{label}: exit {code}: {err.strip()[:300]}")

    import test_fuzz_config as fc
    import test_fuzz_flow as ff
    import test_fuzz_plan as fp

    flow_file = fc.CROSSCLOUD

    @budget(config)
    @given(fc._texts(fc.SEED))
    def configs(text: str) -> None:
        examples["placer.yaml"] += 1
        with tempfile.TemporaryDirectory() as name:
            shutil.copy(flow_file, Path(name) / "flow.py")
            (Path(name) / "placer.yaml").write_text(text)
            note("plan", *cli("plan", str(Path(name) / "flow.py"), "--time-limit", "5"))

    seed_dir = Path(tempfile.mkdtemp())
    shutil.copy(fp.EXAMPLE / "crosscloudflow.py", seed_dir / "flow.py")
    shutil.copy(fp.EXAMPLE / "placer.yaml", seed_dir / "placer.yaml")
    assert cli("plan", str(seed_dir / "flow.py"), "--out", str(seed_dir / "plan.json"))[0] == 0
    document = json.loads((seed_dir / "plan.json").read_text())
    document["flow"]["file"], document["config"]["file"] = "flow.py", "placer.yaml"
    seed = json.dumps(document, indent=2)

    @budget(plan)
    @given(fp._texts(seed))
    def plans(text: str) -> None:
        examples["plan.json"] += 1
        with tempfile.TemporaryDirectory() as name:
            directory = Path(name)
            shutil.copy(seed_dir / "flow.py", directory / "flow.py")
            shutil.copy(seed_dir / "placer.yaml", directory / "placer.yaml")
            (directory / "plan.json").write_text(text)
            path = str(directory / "plan.json")
            for fmt in ("github", "json", "table"):
                note("report", *cli("report", path, "--format", fmt))
            note("apply --check", *cli("apply", path, "--check"))
            note("apply selectors", *cli("apply", path, "--mode", "selectors", "--out",
                                         str(directory / "s.json")))  # fmt: skip
            note("apply", *cli("apply", path))

    @budget(flow)
    @given(ff.damaged_flow())
    def flows(source: str) -> None:
        examples["flow"] += 1
        with tempfile.TemporaryDirectory() as name:
            path = Path(name) / "flow.py"
            path.write_text(source)
            code, err = cli("graph", str(path))
            note("graph", code, err)
            if code == 0:
                note("plan (flow)", *cli("plan", str(path), "--time-limit", "5"))

    for label, run, n in (("placer.yaml", configs, config), ("plan.json", plans, plan),
                          ("flow", flows, flow)):  # fmt: skip
        if n:
            started = time.monotonic()
            run()
            row(f"fuzz: {label} mutations", examples[label],
                {"unexpected so far": len(unexpected),
                 "seconds": round(time.monotonic() - started)})  # fmt: skip
            sys.stdout.flush()
    print("\nexit codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items())))
    print(f"unexpected (exit 1 from a crash): {len(unexpected)}")
    for line in unexpected[:20]:
        print("  " + line)


# ---------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("attack", choices=["kill-apply", "kill-plan", "race-apply", "editor-save",
                                           "race-refresh", "kill-refresh", "fuzz"])  # fmt: skip
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--signal", default="KILL", choices=["KILL", "TERM"])
    parser.add_argument("--src", type=Path, default=ROOT, help="placer checkout to attack")
    parser.add_argument("--config", type=int, default=0)
    parser.add_argument("--plan", type=int, default=0)
    parser.add_argument("--flow", type=int, default=0)
    parser.add_argument("--seed", type=int, default=14, help="fuzz: hypothesis seed")
    args = parser.parse_args()
    src = args.src.resolve()
    if args.attack == "kill-apply":
        kill_apply(src, args.runs, args.signal)
    elif args.attack == "kill-plan":
        kill_plan(src, args.runs, args.signal)
    elif args.attack == "race-apply":
        race_apply(src, args.runs)
    elif args.attack == "editor-save":
        editor_save(src, args.runs)
    elif args.attack == "race-refresh":
        race_refresh(src, args.runs)
    elif args.attack == "kill-refresh":
        kill_refresh(src, args.runs)
    else:
        fuzz(src, args.config, args.plan, args.flow, args.seed)


if __name__ == "__main__":
    main()
