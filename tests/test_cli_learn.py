"""`placer learn` and `placer plan --from-runs` on the real runs of conftest.learn_runs.

Most tests run placer as a subprocess with the environment the runs were made with, so
Metaflow's own configuration (METAFLOW_DEFAULT_METADATA, METAFLOW_DATASTORE_SYSROOT_LOCAL,
METAFLOW_SERVICE_URL, USERNAME for the default namespace) picks the metadata to read.
"""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fixtures.learn.runs import HERE as LEARN_FIXTURES

from placer.cli import main
from placer.cli._args import fill_optional_values
from placer.cli._env import Environment
from placer.config import parse_config
from placer.hardware import cpu_generation


def _placer(env: dict[str, str], *args: str, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "placer", *args],
        env={**env, "COLUMNS": "200"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path, learn_runs) -> Path:
    """The flow next to the hand-written, commented placer.yaml, in a fresh directory."""
    shutil.copy(learn_runs.flow, tmp_path / "learnflow.py")
    shutil.copy(LEARN_FIXTURES / "placer.yaml", tmp_path / "placer.yaml")
    return tmp_path


def test_table_names_steps_widths_and_skipped_runs(learn_runs):
    done = _placer(learn_runs.env, "learn", "learnflow.py", cwd=learn_runs.root)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines() if line.strip()}
    assert rows["step"][:3] == ["step", "tasks", "width"]  # no runs column: every step ran
    assert rows["work"][1:3] == ["4-5", "4-5"] and rows["work"][-1] == "local"
    assert rows["flaky"][1] == "1" and "100%" in rows["flaky"]  # retried
    assert f"skipped 1 failed run(s): {learn_runs.failed}" in done.stdout
    assert f"runs {learn_runs.ok_large}, {learn_runs.ok_small}" in done.stdout


def test_write_keeps_comments_order_and_hand_set_values(project, learn_runs):
    before = (project / "placer.yaml").read_text()
    done = _placer(learn_runs.env, "learn", str(project / "learnflow.py"), "--write")
    assert done.returncode == 0, done.stderr
    after = (project / "placer.yaml").read_text()
    comments = [line for line in before.splitlines() if "#" in line]
    kept = [line for line in after.splitlines() if line in comments]
    assert kept == comments  # every commented line, unchanged and in order
    config = parse_config(after, "placer.yaml")
    assert config.steps["work"].tasks == 10 and config.steps["work"].duration_hours == 1.0
    assert config.steps["flaky"].output_gb == 5.0 and config.steps["gather"].residency == "na"
    assert 245e-6 < config.steps["work"].output_gb < 255e-6  # 250 kB learned
    assert "work.tasks: kept 10 (hand-set), the runs say 4" in done.stdout
    today = datetime.now(UTC).date().isoformat()
    origin = f"# learned {today} from runs {learn_runs.ok_large}, {learn_runs.ok_small}"
    assert all(origin in line for line in after.splitlines() if line.strip().startswith("input:"))
    assert list(config.steps)[:3] == ["work", "gather", "flaky"]  # the file's order first
    again = _placer(learn_runs.env, "learn", str(project / "learnflow.py"), "--write")
    assert again.returncode == 0 and (project / "placer.yaml").read_text() == after


def test_check_fails_on_drift_until_overwritten(project, learn_runs):
    flow = str(project / "learnflow.py")
    assert _placer(learn_runs.env, "learn", flow, "--write").returncode == 0
    check = _placer(learn_runs.env, "learn", flow, "--check")
    assert check.returncode == 3
    assert "work.tasks 10 -> 4" in check.stderr and "work.duration 1h -> " in check.stderr
    assert check.stderr.count("error:") == 1 and len(check.stderr.splitlines()) == 1
    overwrite = _placer(learn_runs.env, "learn", flow, "--write", "--overwrite")
    assert overwrite.returncode == 0, overwrite.stderr
    config = parse_config((project / "placer.yaml").read_text(), "placer.yaml")
    assert config.steps["work"].tasks == 4
    assert _placer(learn_runs.env, "learn", flow, "--check").returncode == 0


def test_check_threshold(project, learn_runs):
    flow = str(project / "learnflow.py")
    (project / "placer.yaml").write_text("steps:\n  work:\n    tasks: 5\n")
    assert _placer(learn_runs.env, "learn", flow, "--check").returncode == 0  # 4 vs 5
    tight = _placer(learn_runs.env, "learn", flow, "--check", "--threshold", "10%")
    assert tight.returncode == 3 and "work.tasks 5 -> 4" in tight.stderr


def test_plan_from_runs_uses_learned_values_and_writes_nothing(project, learn_runs):
    flow = str(project / "learnflow.py")
    before = (project / "placer.yaml").read_bytes()
    by_file = _placer(learn_runs.env, "plan", flow, "--format", "json")
    by_runs = _placer(learn_runs.env, "plan", flow, "--from-runs", "--format", "json")
    assert by_file.returncode == 0 and by_runs.returncode == 0, by_runs.stderr
    file_plan, runs_plan = json.loads(by_file.stdout), json.loads(by_runs.stdout)
    assert file_plan["steps"]["work"]["tasks"] == 10 and runs_plan["steps"]["work"]["tasks"] == 4
    # 10 tasks x 1 h on m6i (defaults.reference_cpu), scaled to the CPU generation it runs on
    work = file_plan["steps"]["work"]
    factor = cpu_generation(work["cloud"], work["instance_type"]).factor
    assert float(work["hours"]) == pytest.approx(10.0 / factor, abs=1e-4)
    assert float(runs_plan["steps"]["work"]["hours"]) < 4 * 1.0 / 3600  # 4 x ~0.37 s
    month = [float(p["totals"]["per_month"]["total"]) for p in (runs_plan, file_plan)]
    assert month[0] < month[1]
    assert any("--from-runs" in w for w in runs_plan["warnings"])
    one = json.loads(
        _placer(learn_runs.env, "plan", flow, "--from-runs", "1", "--format", "json").stdout
    )
    assert one["steps"]["work"]["tasks"] == 5  # the newest run alone: width 5
    assert (project / "placer.yaml").read_bytes() == before


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--run", "12345"), "run LearnFlow/12345 does not exist"),
        (("--run", "{failed}"), "no successful run of LearnFlow among the 1 read (1 failed"),
        (("--write", "--check"), "--write and --check do not go together"),
        (("--since", "soon"), "--since: expected a duration"),
        (("--namespace", "user:nobody"), "no runs of LearnFlow in namespace user:nobody"),
        (("--check",), "no placer.yaml to check"),
        (("--check", "--threshold", "0"), "threshold '0' is not a positive share"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(learn_runs, args, message):
    args = tuple(a.format(failed=learn_runs.failed) for a in args)
    done = _placer(learn_runs.env, "learn", "learnflow.py", *args, cwd=learn_runs.root)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_write_refuses_an_invalid_placer_yaml_and_leaves_it(project, learn_runs):
    bad = "steps:\n  work:\n    taks: 3\n"
    (project / "placer.yaml").write_text(bad)
    done = _placer(learn_runs.env, "learn", str(project / "learnflow.py"), "--write")
    assert done.returncode == 2 and "steps.work.taks: unknown key" in done.stderr
    assert (project / "placer.yaml").read_text() == bad


def test_unreachable_service_is_exit_2(learn_runs):
    url = f"http://127.0.0.1:{_closed_port()}"
    env = {**learn_runs.env, "METAFLOW_DEFAULT_METADATA": "service", "METAFLOW_SERVICE_URL": url}
    done = _placer(env, "learn", "learnflow.py", cwd=learn_runs.root)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {url}: the Metaflow metadata service can't be reached")


def test_service_from_metaflow_configuration(learn_runs, metadata_service):
    env = {
        **learn_runs.env,
        "METAFLOW_DEFAULT_METADATA": "service",
        "METAFLOW_SERVICE_URL": metadata_service.url,
    }
    done = _placer(env, "learn", "learnflow.py", "--format", "json", cwd=learn_runs.root)
    assert done.returncode == 0, done.stderr
    learned = json.loads(done.stdout)
    assert learned["metadata"] == f"service@{metadata_service.url}"
    assert learned["steps"]["work"]["foreach_width"]["max"] == 5.0
    assert learned["skipped"]["failed"] == [learn_runs.failed]


def test_json_in_process_reads_the_clients_current_metadata(learn_runs):
    import metaflow

    metaflow.metadata(learn_runs.metadata)  # as a notebook user would
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["learn", str(learn_runs.flow), "--format", "json", "--namespace", "user:placer-test"],
        Environment(stdout=out, stderr=err),
    )
    assert code == 0, err.getvalue()
    learned = json.loads(out.getvalue())
    assert [r["id"] for r in learned["runs"]] == [learn_runs.ok_large, learn_runs.ok_small]
    work = learned["steps"]["work"]
    assert work["tasks_per_run"]["p50"] == 4.0 and work["foreach_width"]["max"] == 5.0
    assert work["values"]["tasks"] == 4 and work["resources"]["cpu"] == 2.0
    assert learned["steps"]["flaky"]["retry_rate"] == 1.0


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["learn", "f.py", "--write"], ["learn", "f.py", "--write="]),
        (["learn", "f.py", "--write", "--overwrite"], ["learn", "f.py", "--write=", "--overwrite"]),
        (["learn", "f.py", "--write", "x.yaml"], ["learn", "f.py", "--write", "x.yaml"]),
        (["plan", "f.py", "--from-runs"], ["plan", "f.py", "--from-runs=10"]),
        (["plan", "f.py", "--from-runs", "3"], ["plan", "f.py", "--from-runs", "3"]),
        (["report", "p.json", "--write"], ["report", "p.json", "--write"]),
    ],
)
def test_optional_option_values(argv, expected):
    assert fill_optional_values(argv) == expected


def test_learn_reads_a_flow_project_with_path_and_flow_config(learn_runs, tmp_path):
    """The flow reads its @resources from a module under --path and a Config given by
    --flow-config (its default file does not exist), as `placer plan` reads it."""
    source = learn_runs.flow.read_text()
    source = source.replace(
        "from metaflow import FlowSpec,",
        "from shared.knobs import CPU\nfrom metaflow import Config, FlowSpec,",
    )
    source = source.replace(
        "    width = Parameter(",
        "    cfg = Config('cfg', default='missing.json')\n    width = Parameter(",
    )
    source = source.replace(
        "@resources(cpu=2, memory=2048)", "@resources(cpu=CPU, memory=cfg.memory)"
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "lib" / "shared").mkdir(parents=True)
    (tmp_path / "app" / "learnflow.py").write_text(source)
    (tmp_path / "lib" / "shared" / "knobs.py").write_text("CPU = 2\n")
    (tmp_path / "prod.json").write_text('{"memory": 2048}')
    flow = str(tmp_path / "app" / "learnflow.py")
    lib = ("--path", str(tmp_path / "lib"))
    cfg = ("--flow-config", "cfg", str(tmp_path / "prod.json"))
    without = _placer(learn_runs.env, "learn", flow, "--format", "json", *lib)
    assert without.returncode == 2 and "missing.json" in without.stderr
    done = _placer(learn_runs.env, "learn", flow, "--format", "json", *lib, *cfg)
    assert done.returncode == 0, done.stderr
    learned = json.loads(done.stdout)
    assert learned["steps"]["work"]["tasks"] == 8  # the runs of LearnFlow, read as usual
