"""`placer graph`: the JSON shape from the issue, and the table against stored text."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from placer.cli import main
from placer.cli._env import Environment

ROOT = Path(__file__).resolve().parent.parent
CROSSCLOUD = ROOT / "examples" / "crosscloud" / "crosscloudflow.py"
GOLDEN = Path(__file__).parent / "fixtures" / "flows" / "golden"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, width=100))
    return code, out.getvalue(), err.getvalue()


def test_json_has_the_issue_shape():
    code, out, err = run("graph", str(CROSSCLOUD), "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["flow"], data["file"]) == ("CrossCloudFlow", str(CROSSCLOUD))
    assert list(data["steps"]) == ["start", "process", "join", "end"]
    issue_keys = [
        "type",
        "next",
        "foreach",
        "in_foreach",
        "decorators",
        "resources",
        "node_selector",
        "line",
    ]
    process = {k: data["steps"]["process"][k] for k in issue_keys}
    # @resources(cpu=1, memory=512) + @kubernetes(node_selector=...): memory is floored at 4096
    assert process == {
        "type": "linear",
        "next": ["join"],
        "foreach": None,
        "in_foreach": True,
        "decorators": ["resources", "kubernetes"],
        "resources": {"cpu": 1.0, "memory": 4096.0, "disk": 10240.0, "gpu": 0},
        "node_selector": {"outerbounds.co/provider": "azure"},
        "line": 31,
    }
    join = data["steps"]["join"]
    assert (join["type"], join["resources"], join["backend"]) == ("join", None, "local")
    assert join["pod_request"] == {"cpu": 1.0, "memory": 4096.0, "disk": 10240.0, "gpu": 0}
    start = data["steps"]["start"]
    assert (start["type"], start["foreach"], start["in_foreach"]) == ("foreach", "titles", False)
    assert data["steps"]["process"]["foreach_stack"] == ["start"]
    assert data["steps"]["process"]["declared"] == {
        "cpu": 1.0,
        "memory": 512.0,
        "disk": 0.0,
        "gpu": 0,
    }


def test_json_extras_for_switch_gpu_and_pool():
    code, out, _ = run(
        "graph", str(ROOT / "examples" / "branching" / "branchflow.py"), "--format", "json"
    )
    steps = json.loads(out)["steps"]
    assert code == 0
    assert (steps["route"]["type"], steps["route"]["condition"]) == ("split-switch", "mode")
    assert steps["route"]["cases"] == {"quick": "quick", "thorough": "thorough"}
    assert steps["thorough"]["compute_pool"] == "large"
    code, out, _ = run(
        "graph", str(ROOT / "examples" / "gpu_training" / "trainflow.py"), "--format", "json"
    )
    train = json.loads(out)["steps"]["train"]
    assert train["resources"] == {
        "cpu": 3.0,
        "memory": 12000.0,
        "disk": 10240.0,
        "gpu": 1,
        "gpu_vendor": "nvidia",
    }
    assert train["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]


@pytest.mark.parametrize(
    "name, flow",
    [("crosscloud", "crosscloud/crosscloudflow.py"), ("branching", "branching/branchflow.py")],
)
def test_table_matches_stored_text(name, flow, monkeypatch):
    monkeypatch.chdir(ROOT)  # the title shows the path as given
    code, out, _ = run("graph", f"examples/{flow}")
    assert code == 0
    assert out == (GOLDEN / f"{name}_table.txt").read_text()


def test_unknown_format_is_a_usage_error():
    code, _, _ = run("graph", str(CROSSCLOUD), "--format", "yaml")
    assert code == 2


def test_the_real_process_exit_codes():
    # `python -m placer` as a user runs it: exit status from the process, not from main()
    def placer(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "placer", *argv], capture_output=True, text=True, check=False
        )

    good = placer("graph", str(CROSSCLOUD), "--format", "json")
    assert (good.returncode, good.stderr) == (0, "")
    assert json.loads(good.stdout)["flow"] == "CrossCloudFlow"
    missing = placer("graph", str(CROSSCLOUD.with_name("nope.py")))
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == (
        f"error: {CROSSCLOUD.with_name('nope.py')}: no such file. "
        "To fix: check the path to the flow file\n"
    )


def test_narrow_table_folds_names_and_keeps_every_figure(monkeypatch):
    # 80 columns is what rich assumes when stdout is a pipe or a file
    monkeypatch.chdir(ROOT)
    out, err = io.StringIO(), io.StringIO()
    path = "tests/fixtures/flows/longnames.py"
    code = main(["graph", path], Environment(stdout=out, stderr=err, width=80))
    assert (code, err.getvalue()) == (0, "")
    text = out.getvalue()
    assert "…" not in text  # nothing cut to an ellipsis
    row = next(line for line in text.splitlines() if line.startswith(" compute_feat"))
    assert row.split()[-6:] == ["start", "k8s", "16", "128G", "10G", "0"]
    assert text == (GOLDEN / "longnames_table.txt").read_text()


def test_json_of_odd_literal_arguments_is_strict_json(tmp_path):
    # `...`, 1e999 and complex numbers are Python literals, but not JSON values
    path = tmp_path / "flow.py"
    path.write_text(
        "from metaflow import FlowSpec, environment, retry, step\n\n\nclass F(FlowSpec):\n"
        "    @retry(times=...)\n    @environment(vars={'A': 1e999, 'B': 2j})\n"
        "    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    code, out, err = run("graph", str(path), "--format", "json")
    assert (code, err) == (0, "")

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    args = json.loads(out, parse_constant=refuse)["steps"]["start"]["decorator_args"]
    assert args == [
        {"name": "retry", "args": {"times": "Ellipsis"}, "line": 5, "file": str(path)},
        {
            "name": "environment",
            "args": {"vars": {"A": "inf", "B": "2j"}},
            "line": 6,
            "file": str(path),
        },
    ]


def test_path_and_flow_config_options(tmp_path):
    (tmp_path / "lib" / "shared").mkdir(parents=True)
    (tmp_path / "lib" / "shared" / "sizes.py").write_text("CPU = 3\n")
    (tmp_path / "app").mkdir()
    flow = tmp_path / "app" / "flow.py"
    flow.write_text(
        "from metaflow import Config, FlowSpec, kubernetes, step\n"
        "from shared.sizes import CPU\n\n\n"
        "class F(FlowSpec):\n"
        "    cfg = Config('cfg', default='cfg.json')\n\n"
        "    @kubernetes(cpu=CPU, memory=cfg.memory)\n    @step\n    def start(self):\n"
        "        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    (tmp_path / "app" / "cfg.json").write_text('{"memory": 5000}')
    (tmp_path / "big.json").write_text('{"memory": 50000}')
    code, out, err = run(
        "graph",
        str(flow),
        "--format",
        "json",
        "--path",
        str(tmp_path / "lib"),
        "--flow-config",
        "cfg",
        str(tmp_path / "big.json"),
    )
    assert (code, err) == (0, "")
    start = json.loads(out)["steps"]["start"]
    assert (start["resources"]["cpu"], start["resources"]["memory"]) == (3, 50000)
    code, out, err = run("graph", str(flow), "--flow-config", "nope", "x.json")
    assert code == 2 and "the flow has no Config named 'nope' (its Configs: cfg)" in err


def test_graph_takes_flow_configs_from_the_placer_yaml_next_to_the_flow(tmp_path, monkeypatch):
    (tmp_path / "app").mkdir()
    flow = tmp_path / "app" / "flow.py"
    flow.write_text(
        "from metaflow import Config, FlowSpec, kubernetes, step\n\n\n"
        "def parse(text):\n    return {'cpu': int(text)}\n\n\n"
        "class F(FlowSpec):\n"
        "    cfg = Config('cfg', default='cfg.txt', parser=parse)\n\n"
        "    @kubernetes(cpu=cfg.cpu)\n    @step\n    def start(self):\n"
        "        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    (tmp_path / "app" / "cfg.txt").write_text("5")
    (tmp_path / "placer.yaml").write_text("not: [valid\n")  # an unrelated file in the cwd
    monkeypatch.chdir(tmp_path)
    code, out, err = run("graph", str(flow), "--format", "json")
    assert code == 0 and json.loads(out)["steps"]["start"]["resources"]["cpu"] == 1
    assert "is parsed by parse, which placer does not run" in err
    (tmp_path / "app" / "placer.yaml").write_text("flow_configs:\n  cfg: {cpu: 5}\n")
    code, out, err = run("graph", str(flow), "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["steps"]["start"]["resources"]["cpu"] == 5
