"""Feed placer every class of bad input docs/reliability.md lists and print what it answers.

    python tools/bad_inputs.py            # the Markdown table rows: input, exit code, message

Each case builds a fresh project (the cross-cloud example: flow.py, placer.yaml, a plan
made from them, a `.git` marker) in a temporary directory, damages one thing, runs the
CLI in process and records the exit code, the first line of stderr (the project's path
shown as `$D`) and whether any file changed or appeared. Azure cases talk to a local
Retail Prices server that answers badly on purpose.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "crosscloud"
Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    group: str
    what: str
    setup: Setup
    argv: tuple[str, ...]


def cli(*argv: str) -> tuple[int, str, str]:
    from placer.cli import main
    from placer.cli._env import Environment

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, width=200))
    return code, out.getvalue(), err.getvalue()


def project() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="placer-bad-"))
    (directory / ".git").mkdir()
    shutil.copy(EXAMPLE / "crosscloudflow.py", directory / "flow.py")
    shutil.copy(EXAMPLE / "placer.yaml", directory / "placer.yaml")
    code, _, err = cli("plan", str(directory / "flow.py"), "--out", str(directory / "plan.json"))
    assert code == 0, err
    return directory


def snapshot(directory: Path) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = {}
    for path in directory.rglob("*"):
        if path.is_symlink() or not path.is_file():
            found[str(path.relative_to(directory))] = None
        elif path.stat().st_size < 1_000_000:
            found[str(path.relative_to(directory))] = path.read_bytes()
    return found


# ---------------------------------------------------------------------------- edits


def yaml_edit(old: str, new: str) -> Setup:
    def setup(d: Path) -> None:
        text = (d / "placer.yaml").read_text()
        assert old in text, old
        (d / "placer.yaml").write_text(text.replace(old, new, 1))

    return setup


def yaml_add(text: str) -> Setup:
    def setup(d: Path) -> None:
        with (d / "placer.yaml").open("a") as handle:
            handle.write(text)

    return setup


def flow_edit(old: str, new: str) -> Setup:
    def setup(d: Path) -> None:
        text = (d / "flow.py").read_text()
        assert old in text, old
        (d / "flow.py").write_text(text.replace(old, new, 1))

    return setup


def plan_edit(change: Callable[[dict], None]) -> Setup:
    def setup(d: Path) -> None:
        plan = json.loads((d / "plan.json").read_text())
        change(plan)
        (d / "plan.json").write_text(json.dumps(plan, indent=2, allow_nan=True))

    return setup


def write(name: str, data: bytes) -> Setup:
    return lambda d: (d / name).write_bytes(data)


def sparse(name: str, size: int) -> Setup:
    def setup(d: Path) -> None:
        with (d / name).open("wb") as handle:
            handle.truncate(size)

    return setup


def fifo(name: str) -> Setup:
    def setup(d: Path) -> None:
        (d / name).unlink(missing_ok=True)
        os.mkfifo(d / name)

    return setup


def symlink(name: str, target: str) -> Setup:
    def setup(d: Path) -> None:
        (d.parent / target).write_text("# a file outside the project\n")
        (d / name).unlink(missing_ok=True)
        os.symlink(d.parent / target, d / name)

    return setup


def nothing(d: Path) -> None:
    del d


def both(*setups: Setup) -> Setup:
    def setup(d: Path) -> None:
        for one in setups:
            one(d)

    return setup


def _first_step(plan: dict) -> dict:
    return next(iter(plan["steps"].values()))


def _set_first(key: str, value: object) -> Callable[[dict], None]:
    return lambda plan: _first_step(plan).__setitem__(key, value)


CONFIG_FLOW = (
    'from metaflow import Config, FlowSpec, kubernetes, step, config_expr\n\n\n'
    'class F(FlowSpec):\n'
    '    creds = Config("creds", default="{default}")\n\n'
    '    @kubernetes(compute_pool=config_expr("creds.client_secret"))\n'
    '    @step\n    def start(self):\n        self.next(self.end)\n\n'
    '    @step\n    def end(self):\n        pass\n'
)  # fmt: skip


def outside_config(d: Path) -> None:
    (d.parent / "secret.json").write_text('{"client_secret": "hunter2"}')
    (d / "flow.py").write_text(CONFIG_FLOW.format(default="../secret.json"))


# ---------------------------------------------------------------------------- cases

F, Y, P = "$D/flow.py", "$D/placer.yaml", "$D/plan.json"
PLAN = ("plan", F, "--out", "$D/new-plan.json")
CASES = [
    # placer.yaml
    Case("placer.yaml", "not YAML", yaml_add("steps: [\n"), PLAN),
    Case("placer.yaml", "unknown key", yaml_add("runs_per_mnth: 3\n"), PLAN),
    Case("placer.yaml", "unknown step", yaml_add("  proces: {tasks: 2}\n"), PLAN),
    Case("placer.yaml", "`duration: .nan`", yaml_edit("duration: 45m", "duration: .nan"), PLAN),
    Case("placer.yaml", "`runs_per_month: .inf`", yaml_edit("runs_per_month: 30", "runs_per_month: .inf"), PLAN),
    Case("placer.yaml", "38-digit size", yaml_edit("input: 2GB", "input: " + "9" * 38), PLAN),
    Case("placer.yaml", "`tasks: 0`", yaml_edit("tasks: 8", "tasks: 0"), PLAN),
    Case("placer.yaml", "negative budget", yaml_add("constraints: {budget: -5}\n"), PLAN),
    Case("placer.yaml", "YAML tag `!foo`", yaml_edit("duration: 45m", "duration: !foo 45m"), PLAN),
    Case("placer.yaml", "`!!python/object/apply:os.system`", yaml_edit("duration: 45m", "duration: !!python/object/apply:os.system [id]"), PLAN),
    Case("placer.yaml", "`!!float abc`", yaml_edit("duration: 45m", "duration: !!float abc"), PLAN),
    Case("placer.yaml", "label value with `,`", yaml_add("pools:\n  - {name: p, cloud: gcp, region: us-central1, node_selector: {team: 'a,outerbounds.co/provider=gcp'}}\n"), PLAN),
    Case("placer.yaml", "label key with a space", yaml_add("pools:\n  - {name: p, cloud: gcp, region: us-central1, node_selector: {'my team': a}}\n"), PLAN),
    Case("placer.yaml", "not UTF-8", write("placer.yaml", b"runs_per_month: \xff\n"), PLAN),
    Case("placer.yaml", "over 8 MB", sparse("placer.yaml", 8 * 2**20 + 1), PLAN),
    Case("placer.yaml", "`--config /dev/null`", nothing, ("plan", F, "--config", "/dev/null")),
    Case("placer.yaml", "`--config` a FIFO", fifo("fifo.yaml"), ("plan", F, "--config", "$D/fifo.yaml")),
    Case("placer.yaml", "`--config` a directory", nothing, ("plan", F, "--config", "$D")),
    # flows
    Case("flow", "not Python", flow_edit("def start(self):", "def start(self)"), PLAN),
    Case("flow", "`@resources(cpu='nan')`", flow_edit("cpu=1,", "cpu='nan',"), PLAN),
    Case("flow", "`@resources(memory=1e400)`", flow_edit("memory=512", "memory=1e400"), PLAN),
    Case("flow", "`@resources(cpu=-1)`", flow_edit("cpu=1,", "cpu=-1,"), PLAN),
    Case("flow", "a repeated keyword", flow_edit("cpu=1,", "cpu=1, cpu=2,"), PLAN),
    Case("flow", "label value with `,` in `node_selector`", flow_edit("provider=azure", "provider=azure,team"), PLAN),
    Case("flow", "not UTF-8", write("flow.py", b"# \xff\n"), PLAN),
    Case("flow", "a FIFO", fifo("flow.py"), PLAN),
    Case("flow", "`/dev/zero`", nothing, ("plan", "/dev/zero")),
    Case("flow", "over 8 MB", sparse("flow.py", 8 * 2**20 + 1), PLAN),
    Case("flow", "a `Config` file outside the project", outside_config, PLAN),
    # plan files
    Case("plan.json", "not JSON", write("plan.json", b"{"), ("report", P)),
    Case("plan.json", "unknown format", plan_edit(lambda p: p.__setitem__("format_version", "9.0")), ("report", P)),
    Case("plan.json", "`NaN` cost", plan_edit(_set_first("total_cost", float("nan"))), ("report", P)),
    Case("plan.json", "negative `runs_per_month`", plan_edit(lambda p: p.__setitem__("runs_per_month", -3)), ("report", P)),
    Case("plan.json", "label with `,` in a selector", plan_edit(_set_first("node_selector", {"team": "a,b=c"})), ("apply", P)),
    Case("plan.json", "`flow.file: ../x/flow.py`", plan_edit(lambda p: p["flow"].__setitem__("file", "../x/flow.py")), ("apply", P)),
    Case("plan.json", "a plan for another flow", flow_edit("class CrossCloudFlow", "class OtherFlow"), ("apply", P)),
    Case("plan.json", "flow changed since the plan (`@resources`)", flow_edit("memory=512", "memory=4096"), ("apply", P, "--check")),
    Case("plan.json", "`/dev/zero`", nothing, ("report", "/dev/zero")),
    Case("plan.json", "over 64 MB", sparse("plan.json", 64 * 2**20 + 1), ("report", P)),
    # command lines
    Case("option", "`--budget nan`", nothing, (*PLAN, "--budget", "nan")),
    Case("option", "`--budget 1e400`", nothing, (*PLAN, "--budget", "1e400")),
    Case("option", "`--time-limit inf`", nothing, (*PLAN, "--time-limit", "inf")),
    Case("option", "`--deadline nan`", nothing, (*PLAN, "--deadline", "nan")),
    Case("option", "`--gap -1`", nothing, (*PLAN, "--gap", "-1")),
    Case("option", "`status --watch nan`", nothing, ("status", "--watch", "nan")),
    Case("option", "`pricing refresh --timeout inf`", nothing, ("pricing", "refresh", "--timeout", "inf")),
    Case("option", "`pricing refresh --max-time 0`", nothing, ("pricing", "refresh", "--max-time", "0")),
    Case("option", "`--gcp-endpoint http://` (not loopback)", nothing, ("pricing", "refresh", "--cloud", "gcp", "--gcp-endpoint", "http://prices.example.com")),
    Case("option", "`--debug` with bad input", yaml_edit("duration: 45m", "duration: !foo 45m"), ("--debug", *PLAN)),
    # outputs
    Case("output", "`plan --out DIR`", nothing, ("plan", F, "--out", "$D")),
    Case("output", "`plan --out flow.py`", nothing, ("plan", F, "--out", F)),
    Case("output", "`plan --out placer.yaml`", nothing, ("plan", F, "--out", Y)),
    Case("output", "`report plan.json --out plan.json`", nothing, ("report", P, "--out", P)),
    Case("output", "`--out` a committed symlink to `../victim.txt`", symlink("out.json", "victim.txt"), ("plan", F, "--out", "$D/out.json")),
    Case("output", "`--out` in a missing directory", nothing, ("plan", F, "--out", "$D/no/plan.json")),
    Case("output", "`placement.json` a symlink out of the project (config mode)", both(flow_edit("from metaflow import FlowSpec,", "from metaflow import Config, FlowSpec,"), flow_edit('    manifest = Parameter(', '    placement = Config("placement", default="placement.json")\n    manifest = Parameter('), symlink("placement.json", "victim.txt")), ("apply", P, "--mode", "config", "--force")),
]  # fmt: skip


# ---------------------------------------------------------------------------- Azure


class _Bad(http.server.BaseHTTPRequestHandler):
    """An Azure Retail Prices endpoint answering `mode` instead of prices."""

    mode = "500"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.mode == "500":
            self._send(500, b'{"error":"boom"}')
        elif self.mode == "latin1":
            self._send(200, b'{"Items": [{"productName": "caf\xe9"}]}')
        elif self.mode == "file-link":
            self._send(200, b'{"Items": [], "NextPageLink": "file:///etc/passwd"}')
        elif self.mode == "loop":
            port = self.server.server_address[1]
            link = f"http://127.0.0.1:{port}/api/retail/prices?page=1".encode()
            self._send(200, b'{"Items": [], "NextPageLink": "' + link + b'"}')
        elif self.mode == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(b'{"Items": [' + b" " * 2**20)
                while True:
                    self.wfile.write(b" " * 2**20)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def bad_azure() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Bad)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/retail/prices"
    finally:
        server.shutdown()


AZURE = {
    "500": 'Azure answers HTTP 500 `{"error":"boom"}`',
    "latin1": "Azure answers a body that is not UTF-8",
    "file-link": "Azure's `NextPageLink` is `file:///etc/passwd`",
    "loop": "Azure's `NextPageLink` loops",
    "endless": "Azure's answer never ends",
}


def azure_rows() -> Iterator[tuple[str, str, int, str, str]]:
    os.environ["AZURE_SUBSCRIPTION_ID"] = ""
    with bad_azure() as url:
        for mode, what in AZURE.items():
            before = cached()
            _Bad.mode = mode
            argv = ["pricing", "refresh", "--cloud", "azure", "--region", "eastus",
                    "--azure-prices-url", url, "--retries", "0", "--max-time", "20"]  # fmt: skip
            code, out, err = cli(*argv)
            said = err.splitlines()
            line = next((s for s in said if s.startswith("warning: azure")), err.strip())
            host = url.split("/")[2]
            line = line.replace(url, "$URL").replace(host, "$HOST")
            yield (
                "network",
                what,
                code,
                line,
                "cache unchanged" if cached() == before else "CHANGED",
            )


def cached() -> dict[str, bytes | None]:
    return snapshot(Path(os.environ["PLACER_CACHE_DIR"]))


# ---------------------------------------------------------------------------- main


def run(case: Case) -> tuple[str, str, int, str, str]:
    directory = project()
    case.setup(directory)
    before = snapshot(directory)
    argv = [a.replace("$D", str(directory)) for a in case.argv]
    code, out, err = cli(*argv)
    after = snapshot(directory)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    lines = [s for s in err.splitlines() if s.startswith("error:")] or err.splitlines() or [""]
    said = re.sub(re.escape(str(directory)), "$D", lines[0])
    said = said.replace(str(directory.parent), "$TMP")
    shutil.rmtree(directory, ignore_errors=True)
    return case.group, case.what, code, said, ", ".join(changed) or "nothing"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> None:
    os.environ.setdefault("PLACER_CACHE_DIR", tempfile.mkdtemp(prefix="placer-cache-"))
    only = sys.argv[1:]
    print("| input | what | exit | first line of stderr | files changed |")
    print("|---|---|---|---|---|")
    rows = [run(c) for c in CASES if not only or c.group in only]
    if not only or "network" in only:
        rows += list(azure_rows())
    for group, what, code, said, changed in rows:
        print(f"| {group} | {cell(what)} | {code} | `{cell(said)}` | {changed} |")


if __name__ == "__main__":
    main()
