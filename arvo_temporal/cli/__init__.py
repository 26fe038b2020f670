"""The ``arvo-temporal`` command and the worker-process runtime it shares with ``workers/main.py``.

``console_script`` is the console script (``main`` run without an abort at interpreter exit).
The rest is what a deployable worker needs: the connection from ``temporalio.envconfig``
(``connection_from_env``), sinks, codec and deployment from the environment, loading the app
(``load_app``) and codec (``load_codec``), and serving it until a stop signal (``serve``,
``stop_on_signals``). Failures are ``CommandError``/``SettingsError``: one line and an exit
status, never a traceback.
"""

from typing import NoReturn

from arvo_temporal.cli._codec_server import CodecServer
from arvo_temporal.cli._commands import main, port_is_free, run
from arvo_temporal.cli._connection import (
    DEFAULT_ADDRESS,
    DEFAULT_NAMESPACE,
    ConnectionSettings,
    connection_from_env,
)
from arvo_temporal.cli._errors import (
    EXIT_INTERRUPTED,
    EXIT_OUTPUT_CLOSED,
    EXIT_RUNTIME,
    EXIT_USAGE,
    CommandError,
    SettingsError,
)
from arvo_temporal.cli._exit import console_main as _console_main
from arvo_temporal.cli._exit import exit_now
from arvo_temporal.cli._loading import load_app, load_codec, parse_app_spec, parse_spec
from arvo_temporal.cli._runtime import (
    Deployment,
    WorkerSettings,
    build_sinks,
    data_converter,
    data_dir_from_env,
    dead_letter_from_env,
    deployment_from,
    serve,
    sinks_from_env,
    stop_on_signals,
)


def console_script() -> NoReturn:
    """The ``arvo-temporal`` console script: ``main`` without an abort at interpreter exit."""
    _console_main(main)


__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_NAMESPACE",
    "EXIT_INTERRUPTED",
    "EXIT_OUTPUT_CLOSED",
    "EXIT_RUNTIME",
    "EXIT_USAGE",
    "CodecServer",
    "CommandError",
    "ConnectionSettings",
    "Deployment",
    "SettingsError",
    "WorkerSettings",
    "build_sinks",
    "connection_from_env",
    "console_script",
    "data_converter",
    "data_dir_from_env",
    "dead_letter_from_env",
    "deployment_from",
    "exit_now",
    "load_app",
    "load_codec",
    "main",
    "parse_app_spec",
    "parse_spec",
    "port_is_free",
    "run",
    "serve",
    "sinks_from_env",
    "stop_on_signals",
]
