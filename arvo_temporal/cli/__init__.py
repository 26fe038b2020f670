"""The ``arvo-temporal`` command and the worker-process runtime it shares with ``workers/main.py``.

``main`` is the console script. The rest is what a deployable worker needs: settings from the
environment (``connection_from_env``, ``sinks_from_env``), loading the app (``load_app``), and
serving it until a stop signal (``serve``, ``stop_on_signals``). Failures are
``CommandError``/``SettingsError``: one line and an exit status, never a traceback.
"""

from typing import NoReturn

from arvo_temporal.cli._commands import main, port_is_free, run
from arvo_temporal.cli._exit import console_main as _console_main
from arvo_temporal.cli._exit import exit_now
from arvo_temporal.cli._runtime import (
    DEFAULT_ADDRESS,
    EXIT_RUNTIME,
    EXIT_USAGE,
    CommandError,
    ConnectionSettings,
    SettingsError,
    WorkerSettings,
    build_sinks,
    connection_from_env,
    load_app,
    parse_app_spec,
    serve,
    sinks_from_env,
    stop_on_signals,
)


def console_script() -> NoReturn:
    """The ``arvo-temporal`` console script: ``main`` without an abort at interpreter exit."""
    _console_main(main)


__all__ = [
    "DEFAULT_ADDRESS",
    "EXIT_RUNTIME",
    "EXIT_USAGE",
    "CommandError",
    "ConnectionSettings",
    "SettingsError",
    "WorkerSettings",
    "build_sinks",
    "connection_from_env",
    "console_script",
    "exit_now",
    "load_app",
    "main",
    "parse_app_spec",
    "port_is_free",
    "run",
    "serve",
    "sinks_from_env",
    "stop_on_signals",
]
