"""placer's command line: one module per command or command group (`graph`, `pricing`
with `pricing_refresh`, `pools`, `init`, `status`, `plan`, `explain`, `frontier`, `apply`,
`report`), each with a `register(app)`. Commands parse arguments, call the core packages,
and hand the results to `placer.output`, which makes every table, Markdown, JSON, money
string and picture; `_env` is where output goes (tests swap it), `_common` holds options
shared by several commands (--format, --plot's format, the cluster options), `_flow` those of
the commands that read a flow.

Every command module imports only typer and placer's light modules at import time:
cloud SDKs, pandas and solvers are imported inside the commands that need them, so
`placer --help` starts fast.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence

import typer

from placer import __version__
from placer.cli import apply as apply_cmd
from placer.cli import explain as explain_cmd
from placer.cli import frontier as frontier_cmd
from placer.cli import graph as graph_cmd
from placer.cli import init as init_cmd
from placer.cli import learn as learn_cmd
from placer.cli import plan as plan_cmd
from placer.cli import pools as pools_cmd
from placer.cli import pricing as pricing_cmd
from placer.cli import report as report_cmd
from placer.cli import status as status_cmd
from placer.cli._args import fill_optional_values
from placer.cli._env import Environment, env, set_env
from placer.errors import ExitStatus, PlacerError, printable

try:  # typer 0.28 runs on its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # older typer: click itself
    # type: ignore: the same module by another path, which of the two depends on typer
    from click import exceptions as click_errors  # type: ignore[no-redef]

app = typer.Typer(
    name="placer",
    help="Cost and placement optimizer for multi-cloud Metaflow flows.",
    epilog="Exit codes: 0 success, 1 unexpected failure, 2 bad input, 3 a threshold tripped "
    "(report, learn --check).",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rich's help renderer costs ~90 ms of start-up
)


def _version(value: bool) -> None:
    if value:
        env().write(f"placer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """Cost and placement optimizer for multi-cloud Metaflow flows.

    Exit codes: 0 success, 1 unexpected failure, 2 bad input, 3 a threshold tripped
    (report, learn --check).
    """
    env().debug = debug


graph_cmd.register(app)
pricing_cmd.register(app)
pools_cmd.register(app)
init_cmd.register(app)
status_cmd.register(app)
plan_cmd.register(app)
explain_cmd.register(app)
frontier_cmd.register(app)
apply_cmd.register(app)
report_cmd.register(app)
learn_cmd.register(app)


class Terminated(BaseException):
    """SIGTERM (CI cancelling a job): unwinds like Ctrl-C, so no temp file is left."""


def _on_sigterm(signum: int, frame: object) -> None:
    # Not an import: the signal may arrive while placer.atomic is being imported (a
    # partially initialized module made this an ImportError, exit 1). Before its
    # remove_live_temps exists, no temp file can exist either.
    atomic = sys.modules.get("placer.atomic")
    remove_live_temps = getattr(atomic, "remove_live_temps", None)
    if remove_live_temps is not None:
        remove_live_temps()  # first: a temp created a moment ago is gone even if unwinding stalls
    raise Terminated


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While a command runs, SIGTERM raises Terminated (only the main thread can set it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None, environment: Environment | None = None) -> int:
    """Run the CLI and return its exit status; the one place errors become exit codes."""
    args = fill_optional_values(sys.argv[1:] if argv is None else argv)
    current = environment or Environment()
    current.debug = "--debug" in args
    previous = set_env(current)
    with _sigterm_unwinds():
        return _run(args, current, previous)


def _run(args: list[str], current: Environment, previous: Environment) -> int:
    try:
        code = app(args=args, prog_name="placer", standalone_mode=False)
        if isinstance(code, int):  # --help, --version and typer.Exit(n) return their code
            return code
    except click_errors.NoArgsIsHelpError as exc:  # bare `placer`: the help, as click does
        exc.show()
        return exc.exit_code
    except click_errors.UsageError as exc:  # a missing argument, a bad choice, a typo
        where = exc.ctx.command_path if exc.ctx else "placer"
        message = exc.format_message()
        stop = "" if message.endswith((".", "?")) else "."
        line = printable(f"{where}: {message}{stop}")
        current.stderr.write(f"error: {line} To fix: see `{where} --help`\n")
        return exc.exit_code
    except click_errors.ClickException as exc:  # e.g. a file option that cannot be opened
        current.stderr.write(f"error: {printable(exc.format_message())}\n")
        return exc.exit_code
    except typer.Abort:
        current.stderr.write("aborted\n")
        return int(ExitStatus.ERROR)
    except SystemExit as exc:  # a command's own sys.exit
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else ExitStatus.ERROR)
    except PlacerError as exc:
        if current.debug:  # the traceback, then the same message and exit status
            current.stderr.write(traceback.format_exc())
        current.stderr.write(f"error: {exc.one_line()}\n")
        return int(exc.exit_status)
    except KeyboardInterrupt:
        current.stderr.write("interrupted\n")
        return 130
    except Terminated:
        current.stderr.write("terminated\n")
        return 128 + signal.SIGTERM
    except Exception as exc:  # a bug: say so briefly, keep the traceback behind --debug
        if current.debug:
            raise
        name = type(exc).__name__
        current.stderr.write(
            f"error: unexpected {name}: {printable(str(exc))} (re-run with --debug for the "
            "traceback)\n"
        )
        return int(ExitStatus.ERROR)
    finally:
        set_env(previous)
    return int(ExitStatus.SUCCESS)
