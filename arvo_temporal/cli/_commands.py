"""``arvo-temporal``: run a local Temporal with workers, send Arvo events, look at executions.

Every subcommand is a thin wrapper over public functions (``DevServer``, ``create_worker``,
``ArvoTemporalClient``, ``replay_history``)::

    arvo-temporal dev --app examples.app:app        # dev server + UI + worker, until Ctrl-C
    arvo-temporal worker --app examples.app:app     # a worker for an existing cluster
    arvo-temporal send event.json                   # fire and forget; prints the workflow id
    arvo-temporal execute - < event.json            # prints the OrchestratorResult as JSON
    arvo-temporal status|snapshot|result|cancel|history ID
    arvo-temporal list [--orchestrator arvo.orc.adder] [--status done] [--state PATH]
    arvo-temporal list --tree ID                    # the orchestration tree ID belongs to
    arvo-temporal wait ID --state PATH | --done [--timeout S]
    arvo-temporal tasks [--domain external]         # requests awaiting a reply
    arvo-temporal answer ID EVENT_ID --type T --data JSON --app examples.app:app
    arvo-temporal cancel --query "ArvoOrchestrator = 'arvo.orc.expense'" --reason R   # bulk
    arvo-temporal schedule create hourly --cron "0 * * * *" --event-template init.json
    arvo-temporal schedule list|describe|pause|unpause|trigger|delete [NAME]
    arvo-temporal replay history.json --app examples.app:app
    arvo-temporal replay --app examples.app:app --query "ExecutionStatus='Running'" --limit 200
    arvo-temporal codec-server --codec examples.codec:codec --ui-origin http://127.0.0.1:8233
    arvo-temporal graph --app examples.app:app arvo.orc.expense   # Mermaid; or an execution ID
    arvo-temporal inspect ID --app examples.app:app [--at N] [--json]   # step by step
    arvo-temporal export ID --app examples.app:app -o events.jsonl      # the audit log
    arvo-temporal event --app examples.app:app --type arvo.orc.adder --data '{"a": 1, "b": 2}'
    arvo-temporal ingress --app examples.app:app --listen 127.0.0.1:8080   # CloudEvents over HTTP

ID is an execution's subject or the workflow id the Temporal UI shows.

The connection is ``temporalio.envconfig``'s: a TOML profile (``--profile``, ``--config-file``),
the standard ``TEMPORAL_*`` variables on top, then the options; ``--codec`` / ``ARVO_CODEC``
encodes payloads. Results go to stdout as JSON, progress during long waits to stderr, and every
error is one line on stderr: exit status 2 for a usage or input error (bad option, unreadable or
invalid event, bad subject, bad ``--app``), 1 for a failure at run time (no connection, refused
event, failed execution, nondeterministic replay), 130 after Ctrl-C, and 141, quietly, when the
reader of the output went away (``arvo-temporal list | head -1``). The process never aborts at
interpreter exit (``arvo_temporal/cli/_exit.py``).

This module builds the parser and runs one command; the commands live in ``_client_commands``,
``_server_commands``, ``_replay_commands`` and ``_observe_commands``, and what the deployable worker
(``workers/main.py``) shares with ``arvo-temporal worker`` in :mod:`arvo_temporal.cli._runtime`.
``cancel`` (one execution or a query) and ``schedule`` live in ``_operate_commands``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TextIO

from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.cli._client_commands import (
    QUERY_TIMEOUT,
    cmd_execute,
    cmd_history,
    cmd_result,
    cmd_send,
    cmd_snapshot,
    cmd_status,
)
from arvo_temporal.cli._errors import (
    EXIT_INTERRUPTED,
    EXIT_OUTPUT_CLOSED,
    EXIT_USAGE,
    CommandError,
    SettingsError,
    one_line,
)
from arvo_temporal.cli._ingress_command import add_ingress_command
from arvo_temporal.cli._io import Io, Parser
from arvo_temporal.cli._loading import parse_spec
from arvo_temporal.cli._observe_commands import add_observe_commands
from arvo_temporal.cli._operate_commands import add_operate_commands
from arvo_temporal.cli._replay_commands import DEFAULT_LIMIT, cmd_replay
from arvo_temporal.cli._runtime import data_dir_from_env, env_text
from arvo_temporal.cli._server_commands import (
    DEFAULT_DATA_DIR,
    DEFAULT_PORT,
    DEFAULT_UI_PORT,
    cmd_codec_server,
    cmd_dev,
    cmd_worker,
    port_is_free,
)
from arvo_temporal.cli._state_commands import add_state_commands, cmd_list_executions
from arvo_temporal.errors import (
    ArvoError,
    ContractViolation,
    ExecutionCancelledError,
    ExecutionClosedError,
    ExecutionFailedError,
    ExecutionNotFoundError,
    ExecutionViolation,
    InvalidSubjectError,
    UnknownStateError,
    ViolationError,
)
from arvo_temporal.temporal._app import DEFAULT_TASK_QUEUE
from arvo_temporal.temporal._devserver import DevServerError

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_UI_PORT",
    "main",
    "port_is_free",
    "run",
]

PROG = "arvo-temporal"
_ID_HELP = "the execution: its subject, or its workflow id as the Temporal UI shows it"


def _add_codec_option(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--codec",
        metavar="MODULE:ATTR",
        help="payload codec (a temporalio PayloadCodec, or a function returning one), e.g. "
        "examples.codec:codec to encrypt [ARVO_CODEC]",
    )


def _add_connection_options(parser: argparse.ArgumentParser, *, task_queue: bool = True) -> None:
    group = parser.add_argument_group(
        "connection (temporalio envconfig: a TOML profile, then TEMPORAL_* variables, then these)"
    )
    group.add_argument(
        "--profile", help="the profile of the Temporal config file [TEMPORAL_PROFILE, default]"
    )
    group.add_argument(
        "--config-file",
        metavar="TOML",
        help="Temporal config file [TEMPORAL_CONFIG_FILE, ~/.config/temporalio/temporal.toml]",
    )
    group.add_argument(
        "--address", help="Temporal frontend host:port [TEMPORAL_ADDRESS, localhost:7233]"
    )
    group.add_argument("--namespace", help="Temporal namespace [TEMPORAL_NAMESPACE, default]")
    if task_queue:
        group.add_argument(
            "--task-queue",
            help="task queue of new executions [TASK_QUEUE, arvo]",
        )
    group.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="use TLS [TEMPORAL_TLS; on by default with a certificate or an API key]",
    )
    group.add_argument(
        "--tls-cert", metavar="PEM", help="client certificate [TEMPORAL_TLS_CLIENT_CERT_PATH]"
    )
    group.add_argument(
        "--tls-key", metavar="PEM", help="client private key [TEMPORAL_TLS_CLIENT_KEY_PATH]"
    )
    group.add_argument(
        "--tls-ca", metavar="PEM", help="server CA certificate [TEMPORAL_TLS_SERVER_CA_CERT_PATH]"
    )
    group.add_argument("--tls-server-name", help="server name to verify [TEMPORAL_TLS_SERVER_NAME]")
    group.add_argument("--api-key", help="API key, e.g. for Temporal Cloud [TEMPORAL_API_KEY]")
    _add_codec_option(group)


def _add_worker_options(
    parser: argparse.ArgumentParser, *, app_required: bool, codec: bool = False
) -> None:
    group = parser.add_argument_group("worker")
    group.add_argument(
        "--app",
        required=app_required,
        metavar="MODULE:ATTR",
        help="the ArvoApp to serve, e.g. examples.app:app",
    )
    group.add_argument(
        "--sink",
        action="append",
        default=[],
        metavar="DOMAIN=URL",
        help="deliver a domain's events to URL (http(s)://, file:///, jsonl:, stdout:, memory:); "
        "repeatable; overrides ARVO_SINK_<DOMAIN> and the app's own sinks",
    )
    group.add_argument(
        "--dead-letter",
        metavar="URL",
        help="keep events a sink refused for good here: file:///… or jsonl:… is a JSON-lines "
        "file with the reasons, any other sink URL receives the events [ARVO_DEAD_LETTER; "
        "default the app's own, else dead-letter.jsonl in the data dir]",
    )
    group.add_argument(
        "--shutdown-grace",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="time running activities get to finish after Ctrl-C (default 10)",
    )
    if codec:
        _add_codec_option(group)


def _build_parser(env: Mapping[str, str]) -> Parser:
    parser = Parser(
        prog=PROG,
        description="Run Arvo machines on Temporal: a local dev server, workers, and a client.",
        epilog="Errors are one line on stderr; exit status 2 = usage or input error, 1 = failure, "
        "130 = interrupted, 141 = the output's reader went away.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, help: str, handler: Callable[..., Awaitable[int]]
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    dev = command(
        "dev",
        "start a local Temporal dev server (SQLite, Web UI) and optionally a worker; Ctrl-C stops",
        cmd_dev,
    )
    dev.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="gRPC port on 127.0.0.1 (default 7233)"
    )
    dev.add_argument(
        "--ui-port", type=int, default=DEFAULT_UI_PORT, help="Web UI port (default 8233)"
    )
    dev.add_argument("--headless", action="store_true", help="no Web UI")
    dev.add_argument(
        "--data-dir",
        help="folder of the SQLite database (kept across restarts) and of the dead-letter file "
        f"[ARVO_DATA_DIR, {DEFAULT_DATA_DIR}]",
    )
    dev.add_argument("--in-memory", action="store_true", help="keep nothing after it stops")
    dev.add_argument("--namespace", help="the namespace to create [TEMPORAL_NAMESPACE, default]")
    dev.add_argument(
        "--task-queue",
        dest="task_queue_override",
        metavar="TASK_QUEUE",
        help="serve the app on this task queue [TASK_QUEUE, the app's own]",
    )
    dev.add_argument(
        "--log-level",
        default="error",
        choices=["debug", "info", "warn", "error"],
        help="the server's own log level (default error)",
    )
    _add_worker_options(dev, app_required=False, codec=True)
    dev.set_defaults(connect_timeout=0.0, deployment_name=None, build_id=None)

    worker = command("worker", "run a worker for an ArvoApp until Ctrl-C or SIGTERM", cmd_worker)
    _add_connection_options(worker, task_queue=False)
    worker.add_argument(
        "--task-queue",
        dest="task_queue_override",
        metavar="TASK_QUEUE",
        help="serve on this task queue instead of the app's [TASK_QUEUE]",
    )
    worker.add_argument(
        "--connect-timeout",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep retrying the first connection this long (default: try once)",
    )
    _add_worker_options(worker, app_required=True)
    versioning = worker.add_argument_group(
        "Worker Deployment (Worker Versioning; give both or neither)"
    )
    versioning.add_argument(
        "--deployment-name", help="the Temporal Worker Deployment [ARVO_DEPLOYMENT_NAME]"
    )
    versioning.add_argument(
        "--build-id", help="this build of the worker code, e.g. a git commit [ARVO_BUILD_ID]"
    )

    codec_server = command(
        "codec-server",
        "serve a payload codec over HTTP so the Temporal UI can show encrypted payloads",
        cmd_codec_server,
    )
    codec_server.add_argument(
        "--codec", metavar="MODULE:ATTR", help="the PayloadCodec to serve [ARVO_CODEC]"
    )
    codec_server.add_argument(
        "--listen",
        default="127.0.0.1:8081",
        metavar="HOST:PORT",
        help="a loopback address to listen on (default 127.0.0.1:8081)",
    )
    codec_server.add_argument(
        "--ui-origin",
        action="append",
        default=[],
        metavar="URL",
        help="the Temporal UI's origin, given CORS headers (e.g. http://127.0.0.1:8233); "
        "repeatable; other origins get none",
    )
    codec_server.add_argument(
        "--namespace",
        action="append",
        default=[],
        help="serve only this namespace (X-Namespace header); repeatable; default any",
    )
    codec_server.add_argument(
        "--log-requests", action="store_true", help="print one line per request on stderr"
    )

    send = command("send", "send an event (fire and forget); prints its workflow id", cmd_send)
    send.add_argument("event", metavar="FILE", help="Arvo event JSON file, or - for stdin")
    _add_connection_options(send)

    execute = command(
        "execute", "apply an event and print the OrchestratorResult as JSON", cmd_execute
    )
    execute.add_argument("event", metavar="FILE", help="Arvo event JSON file, or - for stdin")
    execute.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long")
    _add_connection_options(execute)

    for name, help, handler in (
        ("status", "what an execution is doing (status, state, timers, rejections)", cmd_status),
        ("snapshot", "an execution's machine memory record", cmd_snapshot),
    ):
        sub = command(name, help, handler)
        sub.add_argument("subject", metavar="ID", help=_ID_HELP)
        sub.add_argument(
            "--timeout",
            type=float,
            default=QUERY_TIMEOUT,
            metavar="SECONDS",
            help=f"wait this long for a worker to answer (default {QUERY_TIMEOUT:g})",
        )
        sub.add_argument(
            "--app",
            metavar="MODULE:ATTR",
            help="a finished execution is answered from its history, replayed with this app "
            "[ARVO_APP]; without it, status comes from the result and memo",
        )
        _add_connection_options(sub)

    result = command("result", "wait for an execution to finish and print its output", cmd_result)
    result.add_argument("subject", metavar="ID", help=_ID_HELP)
    result.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long")
    _add_connection_options(result)

    add_operate_commands(command, _add_connection_options)  # cancel (ID or --query), schedule

    listing = command(
        "list",
        "list executions, one JSON object per line (or, with --tree, an orchestration tree)",
        cmd_list_executions,
    )
    listing.add_argument("--orchestrator", help="e.g. arvo.orc.adder")
    listing.add_argument("--status", choices=["active", "done", "failed", "cancelled", "rejected"])
    listing.add_argument(
        "--state",
        metavar="PATH",
        help="executions in this state (a dotted path; a compound state matches its children)",
    )
    listing.add_argument(
        "--tree",
        metavar="ID",
        help="print the tree of executions ID belongs to (from its root), with their status",
    )
    listing.add_argument(
        "--app",
        metavar="MODULE:ATTR",
        help="check --state against the app's machines first [ARVO_APP]",
    )
    listing.add_argument("--limit", type=int, default=100)
    _add_connection_options(listing)

    history = command(
        "history", "print an execution's Temporal history as JSON (for replay)", cmd_history
    )
    history.add_argument("subject", metavar="ID", help=_ID_HELP)
    history.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    _add_connection_options(history)

    replay = command(
        "replay",
        "replay a saved history, or the newest executions of a cluster (the replay gate), "
        "against the current code; exit 1 names the first that does not replay",
        cmd_replay,
    )
    replay.add_argument(
        "history",
        metavar="HISTORY.json",
        nargs="?",
        help="a history saved with 'arvo-temporal history'; without it, histories are "
        "downloaded from the cluster",
    )
    replay.add_argument(
        "--app", required=True, metavar="MODULE:ATTR", help="the ArvoApp to replay with"
    )
    replay.add_argument(
        "--query",
        metavar="VISIBILITY_QUERY",
        help="only executions matching it, e.g. \"ExecutionStatus='Running'\" "
        "(always limited to ArvoMachineWorkflow)",
    )
    replay.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=f"at most N executions, newest first (default {DEFAULT_LIMIT})",
    )
    _add_connection_options(replay)
    add_observe_commands(command, _add_connection_options)
    add_ingress_command(command, _add_connection_options)
    add_state_commands(command, _add_connection_options)
    return parser


def _finish_args(args: argparse.Namespace, env: Mapping[str, str]) -> None:
    """Fill environment defaults after parsing, so ``--help`` states the rule, not a value."""
    if hasattr(args, "task_queue") and args.task_queue is None:
        args.task_queue = env_text(env, "TASK_QUEUE") or DEFAULT_TASK_QUEUE
    if hasattr(args, "task_queue_override") and args.task_queue_override is None:
        args.task_queue_override = env_text(env, "TASK_QUEUE")
    if args.command == "dev" and args.namespace is None:
        args.namespace = env_text(env, "TEMPORAL_NAMESPACE") or "default"
    if args.command == "dev" and args.data_dir is None:
        args.data_dir = data_dir_from_env(env)
    if hasattr(args, "codec"):
        args.codec = args.codec or env_text(env, "ARVO_CODEC")
        if args.codec:
            parse_spec(args.codec, what="codec", example="examples.codec:codec")
    if hasattr(args, "deployment_name") and args.command == "worker":
        args.deployment_name = args.deployment_name or env_text(env, "ARVO_DEPLOYMENT_NAME")
        args.build_id = args.build_id or env_text(env, "ARVO_BUILD_ID")
    for name in ("timeout", "shutdown_grace", "connect_timeout"):
        value = getattr(args, name, None)
        if value is not None and value < 0:
            raise SettingsError(f"--{name.replace('_', '-')} cannot be negative")


async def run(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one command in the running event loop; returns the exit status.

    Tests call this directly (``await run([...])``) with their own streams and environment;
    :func:`main` wraps it in ``asyncio.run`` for the console script.
    """
    io = Io(
        stdin=stdin or sys.stdin,
        stdout=stdout or sys.stdout,
        stderr=stderr or sys.stderr,
        env=os.environ if env is None else env,
    )
    try:
        parser = _build_parser(io.env)
        try:
            # --help prints through sys.stdout; send it where this run's output goes.
            with contextlib.redirect_stdout(io.stdout):
                args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
        except SystemExit as exit:  # --help prints and exits; keep its status
            return exit.code if isinstance(exit.code, int) else 0
        _finish_args(args, io.env)
        code: int = await args.handler(args, io)
        return code
    except BrokenPipeError:
        # The reader of stdout or stderr went away (`| head -1`): nobody is left to tell.
        return EXIT_OUTPUT_CLOSED
    except CommandError as error:
        return _say(io, error)
    except Exception as error:
        described = _describe(error)
        if described is None:
            raise
        return _say(io, described)
    finally:
        with contextlib.suppress(OSError, ValueError):  # a closed stderr has no reader either
            io.stderr.flush()


def _say(io: Io, error: CommandError) -> int:
    """Print the one-line error and return its status (the closed-output status when stderr has
    no reader any more)."""
    try:
        io.stderr.write(f"{PROG}: {one_line(error)}\n")
    except BrokenPipeError:
        return EXIT_OUTPUT_CLOSED
    return error.code


def _describe(error: Exception) -> CommandError | None:
    """The one-line form of an expected failure from the library or the SDK, or None for a bug."""
    if isinstance(error, UnknownStateError):
        return CommandError(str(error), code=EXIT_USAGE)
    if isinstance(error, ContractViolation | ExecutionViolation):
        return CommandError(f"the event was refused: {error}", code=EXIT_USAGE)
    if isinstance(error, ViolationError):
        return CommandError(f"the event was refused: {error}")
    if isinstance(
        error,
        ExecutionClosedError
        | ExecutionNotFoundError
        | ExecutionFailedError
        | ExecutionCancelledError,
    ):
        return CommandError(str(error))
    if isinstance(error, DevServerError):
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        first = lines[0].rstrip(":") if lines else "the Temporal dev server failed"
        last = f"; its log ends: {lines[-1]}" if len(lines) > 1 else ""
        return CommandError(f"{first}{last}")
    if isinstance(error, WorkflowFailureError):
        return CommandError(f"the workflow failed: {one_line(error.cause or error)}")
    if isinstance(error, RPCError):
        if error.status == RPCStatusCode.UNAVAILABLE:
            return CommandError(f"Temporal is unavailable: {one_line(error.message)}")
        return CommandError(f"Temporal refused the request: {one_line(error.message)}")
    if isinstance(error, KeyError) and str(error.args[0] if error.args else "").startswith(
        "Unknown payload encoding"
    ):
        # An encoded payload (e.g. binary/encrypted) read without the codec that wrote it.
        return CommandError(
            f"cannot read a payload: {error.args[0]}; give the codec it was written with "
            "(--codec or ARVO_CODEC)"
        )
    if isinstance(error, InvalidSubjectError):
        return CommandError(f"invalid subject: {error}", code=EXIT_USAGE)
    if isinstance(error, ArvoError):
        return CommandError(str(error))
    return None


def main(argv: list[str] | None = None) -> int:
    """Run one command (``argv``, else the process's arguments); returns the exit status."""
    try:
        return asyncio.run(run(argv))
    except KeyboardInterrupt:
        with contextlib.suppress(OSError):
            sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
