"""The root command: version, help, and how errors become exit codes."""

import io
import subprocess
import sys

import pytest
import typer

import placer
from placer.cli import app, main
from placer.cli._env import Environment
from placer.errors import ConfigError


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Environment(stdout=out, stderr=err, width=100))
    return code, out.getvalue(), err.getvalue()


def test_version():
    code, out, _ = _run(["--version"])
    assert code == 0
    assert out.strip() == f"placer {placer.__version__}"


def test_help_lists_graph_and_the_exit_codes(capsys):
    # click prints help to sys.stdout itself, not through the Environment
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: placer [OPTIONS] COMMAND [ARGS]...")
    assert "\n  graph " in out and "--version" in out
    assert "Exit codes: 0 success, 1 unexpected failure, 2 bad input" in out


def test_graph_help_names_the_flow_argument(capsys):
    assert main(["graph", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: placer graph [OPTIONS] {FLOW}")
    assert "--format <table|json>" in out and "--flow-class" in out


def test_unknown_command_is_a_usage_error():
    # click's usage errors exit 2 like every other bad input, on one line
    code, out, err = _run(["plna"])
    assert code == 2 and out == ""
    assert err == (
        "error: placer: No such command 'plna'. Did you mean 'plan'? To fix: see `placer --help`\n"
    )


def test_a_missing_argument_or_bad_choice_is_one_line_naming_the_command():
    code, _, err = _run(["plan"])
    assert code == 2
    assert err == "error: placer plan: Missing argument 'flow'. To fix: see `placer plan --help`\n"
    code, _, err = _run(["plan", "flow.py", "--format", "yaml"])
    assert code == 2
    assert err == (
        "error: placer plan: Invalid value for '--format': 'yaml' is not one of 'table', "
        "'json', 'markdown'. To fix: see `placer plan --help`\n"
    )


def test_bare_placer_prints_the_help(capsys):
    assert main([]) == 2  # click: no arguments is a usage error that shows the help
    assert "Usage: placer [OPTIONS] COMMAND [ARGS]..." in capsys.readouterr().err


def test_a_commands_exit_code_passes_through():
    @app.command("_exit-3", hidden=True)
    def _cmd() -> None:
        raise typer.Exit(3)

    assert _run(["_exit-3"])[0] == 3


def _install_failing_command(name, exc):
    @app.command(name, hidden=True)
    def _cmd() -> None:
        raise exc


def test_placer_error_is_one_line_and_exit_2():
    _install_failing_command("_fail-config", ConfigError("bad key", "placer.yaml:3", "remove it"))
    code, _, err = _run(["_fail-config"])
    assert code == 2
    assert err == "error: placer.yaml:3: bad key. To fix: remove it\n"


def test_unexpected_error_exit_1_without_traceback():
    _install_failing_command("_fail-bug", RuntimeError("boom"))
    code, _, err = _run(["_fail-bug"])
    assert code == 1
    assert "unexpected RuntimeError: boom" in err
    assert "Traceback" not in err


def test_debug_reraises():
    _install_failing_command("_fail-debug", RuntimeError("boom"))
    try:
        _run(["--debug", "_fail-debug"])
    except RuntimeError as exc:
        assert str(exc) == "boom"
    else:
        raise AssertionError("--debug should re-raise")


def test_debug_shows_the_traceback_but_keeps_bad_input_at_exit_2():
    _install_failing_command("_fail-debug-2", ConfigError("bad key", "placer.yaml:3", "remove it"))
    code, _, err = _run(["--debug", "_fail-debug-2"])
    assert code == 2
    assert err.startswith("Traceback (most recent call last):\n")
    assert err.endswith("error: placer.yaml:3: bad key. To fix: remove it\n")


def test_typer_exit_code_passes_through():
    @app.command("_exit-4", hidden=True)
    def _cmd() -> None:
        raise typer.Exit(4)

    assert _run(["_exit-4"])[0] == 4


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys\n"
        "from placer.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'boto3', 'botocore', 'kubernetes', 'azure', 'google.cloud',"
        " 'pulp', 'highspy', 'libcst', 'metaflow', 'ruamel', 'requests') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "HEAVY="


def test_sigterm_while_placer_atomic_is_still_being_imported_is_a_clean_143(monkeypatch):
    # measured: 1 of 25 SIGTERMs during `placer apply` hit the import of placer.atomic and
    # the handler's own import failed (ImportError, "unexpected", exit 1)
    import types

    from placer.cli import Terminated, _on_sigterm

    half = types.ModuleType("placer.atomic")  # partially initialized: no remove_live_temps yet
    monkeypatch.setitem(sys.modules, "placer.atomic", half)
    with pytest.raises(Terminated):
        _on_sigterm(15, None)
    monkeypatch.delitem(sys.modules, "placer.atomic")  # not imported at all: no temp either
    with pytest.raises(Terminated):
        _on_sigterm(15, None)
