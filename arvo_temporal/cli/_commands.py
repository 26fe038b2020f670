"""``arvo-temporal``: run a local Temporal with workers, send Arvo events, look at executions.

Every subcommand is a thin wrapper over public functions (``DevServer``, ``create_worker``,
``ArvoTemporalClient``, ``replay_history``)::

    arvo-temporal dev --app examples.app:app        # dev server + UI + worker, until Ctrl-C
    arvo-temporal worker --app examples.app:app     # a worker for an existing cluster
    arvo-temporal send event.json                   # fire and forget; prints the workflow id
    arvo-temporal execute - < event.json            # prints the OrchestratorResult as JSON
    arvo-temporal status|snapshot|result|cancel|history SUBJECT
    arvo-temporal list [--orchestrator arvo.orc.adder] [--status done]
    arvo-temporal replay history.json --app examples.app:app

Connection options default to the environment (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``,
``TASK_QUEUE``, ``TEMPORAL_TLS*``, ``TEMPORAL_API_KEY``). Results go to stdout as JSON, progress
during long waits to stderr, and every error is one line on stderr: exit status 2 for a usage or
input error (bad option, unreadable or invalid event, bad subject, bad ``--app``), 1 for a
failure at run time (no connection, refused event, failed execution, nondeterministic replay).

What the deployable worker (``workers/main.py``) shares with ``arvo-temporal worker`` lives in
:mod:`arvo_temporal.cli._runtime`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeVar

from temporalio.client import WorkflowFailureError, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import NondeterminismError

from arvo_temporal.cli._codec_server import CodecServer, parse_listen
from arvo_temporal.cli._connection import ConnectionSettings, connection_from_env
from arvo_temporal.cli._errors import EXIT_USAGE, CommandError, SettingsError, one_line
from arvo_temporal.cli._loading import load_app, load_codec, parse_app_spec, parse_spec
from arvo_temporal.cli._runtime import (
    WorkerSettings,
    check_sink_url,
    connect_with_retries,
    data_converter,
    deployment_from,
    env_text,
    serve,
    sinks_from_env,
    stop_on_signals,
)
from arvo_temporal.errors import (
    ArvoError,
    ArvoEventValidationError,
    ContractViolation,
    ExecutionCancelledError,
    ExecutionClosedError,
    ExecutionFailedError,
    ExecutionNotFoundError,
    ExecutionViolation,
    InvalidSubjectError,
    ViolationError,
)
from arvo_temporal.events import ArvoEvent
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.subject import ArvoOrchestrationSubject
from arvo_temporal.temporal._app import DEFAULT_TASK_QUEUE
from arvo_temporal.temporal._client import ArvoTemporalClient
from arvo_temporal.temporal._devserver import DevServer, DevServerError
from arvo_temporal.temporal._ids import workflow_id_for
from arvo_temporal.temporal._replay import load_history, replay_history

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_UI_PORT",
    "main",
    "port_is_free",
    "run",
]

PROG = "arvo-temporal"
DEFAULT_DATA_DIR = ".arvo-temporal"
DEFAULT_PORT = 7233
DEFAULT_UI_PORT = 8233
QUERY_TIMEOUT = 30.0
"""Seconds a status/snapshot query waits: a query needs a worker, and without one it would hang."""

EXIT_INTERRUPTED = 130

_T = TypeVar("_T")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on a TCP port of ``host`` right now.

    Like the Temporal server, the probe sets ``SO_REUSEADDR``: connections of a server that just
    stopped linger in TIME_WAIT on its port, which does not stop a new server from listening.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


# ============================================================================================
# command plumbing


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (a CommandError), not usage plus a line."""

    def error(self, message: str) -> NoReturn:
        raise CommandError(f"{message} (see '{self.prog} --help')", code=EXIT_USAGE)


@dataclass
class _Io:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    env: Mapping[str, str]

    def progress(self, line: str) -> None:
        self.stderr.write(f"{line}\n")
        self.stderr.flush()

    def emit(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
        self.stdout.flush()


@contextlib.asynccontextmanager
async def _waiting(
    io: _Io, message: str, *, first: float = 1.0, every: float = 10.0
) -> AsyncIterator[None]:
    """Say on stderr what we wait for once the wait passes ``first`` seconds, then every
    ``every`` seconds, so a long wait never looks like a hang (short waits stay silent)."""

    async def tell() -> None:
        began = time.monotonic()
        await asyncio.sleep(first)
        io.progress(f"{message} (Ctrl-C to stop waiting)")
        while True:
            await asyncio.sleep(every)
            io.progress(f"… still waiting ({time.monotonic() - began:.0f}s)")

    teller = asyncio.create_task(tell())
    try:
        yield
    finally:
        teller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await teller


async def _within(awaitable: Awaitable[_T], seconds: float | None, what: str) -> _T:
    """Await with an optional limit (None waits as long as it takes)."""
    limit = asyncio.timeout(seconds)
    try:
        async with limit:
            return await awaitable
    except TimeoutError:
        if not limit.expired():  # a TimeoutError of the awaited call itself, not our limit
            raise
        raise CommandError(f"{what} did not happen within {seconds:g}s") from None


def _read_event(source: str, io: _Io) -> ArvoEvent:
    """An Arvo event from a JSON file or ``-`` (stdin).

    Raises:
        CommandError (exit 2): unreadable file, bad JSON, not an object, an invalid field, or a
            subject that is not an orchestration subject.
    """
    name = "<stdin>" if source == "-" else source
    try:
        text = io.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(
            f"cannot read {name}: {error.strerror or error}", code=EXIT_USAGE
        ) from None
    except UnicodeDecodeError as error:
        raise CommandError(
            f"cannot read {name}: not UTF-8 text ({error.reason})", code=EXIT_USAGE
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{name} is not valid JSON: {error}", code=EXIT_USAGE) from None
    if not isinstance(data, dict):
        raise CommandError(
            f"{name} must hold one JSON object (an Arvo event); got {type(data).__name__}",
            code=EXIT_USAGE,
        )
    try:
        event = ArvoEvent.from_json(data)
    except ArvoEventValidationError as error:
        details = "; ".join(f"{key}: {reason}" for key, reason in error.errors.items())
        raise CommandError(
            f"invalid event in {name}: {one_line(details)}", code=EXIT_USAGE
        ) from None
    try:
        ArvoOrchestrationSubject.parse(event.subject)
    except InvalidSubjectError:
        raise CommandError(
            f"the event in {name} has a subject that is not an Arvo orchestration subject; only "
            "events for orchestrators (arvo.orc.*) run on Temporal",
            code=EXIT_USAGE,
        ) from None
    return event


def _workflow_id(subject: str) -> str:
    try:
        return workflow_id_for(subject.strip())
    except InvalidSubjectError:
        raise CommandError(
            "SUBJECT is not an Arvo orchestration subject (it is the base64 text in the "
            "'subject' field of the execution's events)",
            code=EXIT_USAGE,
        ) from None


async def _explain_missing(client: ArvoTemporalClient, subject: str) -> CommandError:
    """Why Temporal answered NOT_FOUND: the execution finished, or never existed."""
    workflow_id = workflow_id_for(subject)
    try:
        description = await client.temporal.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            return CommandError(f"Temporal refused the request: {one_line(error.message)}")
        if "namespace" in error.message.lower():
            return CommandError(f"Temporal: {one_line(error.message)}")
        return CommandError(f"no execution exists for this subject (workflow id {workflow_id})")
    if description.close_time is None:
        return CommandError(f"Temporal could not find what was asked of running {workflow_id}")
    status = description.status.name.lower() if description.status else "closed"
    return CommandError(f"the execution {workflow_id} has already finished ({status})")


def _result_json(result: OrchestratorResult) -> dict[str, Any]:
    return {
        "events": [event.to_json() for event in result.events],
        "all_event_domains": list(result.all_event_domains),
        "domained_events": {
            domain: [event.to_json() for event in events]
            for domain, events in result.domained_events.items()
        },
    }


async def _connect(args: argparse.Namespace, io: _Io) -> ArvoTemporalClient:
    connection = _connection_from_args(args, io.env)
    codec = load_codec(args.codec) if args.codec else None
    client = await connect_with_retries(
        connection, retry_for=0, data_converter=data_converter(codec)
    )
    assert client is not None  # without a stop event the only outcomes are a client or an error
    return ArvoTemporalClient(client, task_queue=args.task_queue)


def _connection_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> ConnectionSettings:
    """The envconfig profile (``--profile``, ``--config-file``) with the options on top."""
    base = connection_from_env(env, profile=args.profile, config_file=args.config_file)
    return base.with_overrides(
        address=args.address,
        namespace=args.namespace,
        api_key=args.api_key,
        tls=args.tls,
        tls_cert=Path(args.tls_cert) if args.tls_cert else None,
        tls_key=Path(args.tls_key) if args.tls_key else None,
        tls_ca=Path(args.tls_ca) if args.tls_ca else None,
        tls_server_name=args.tls_server_name,
    )


def _parse_sink_option(value: str) -> tuple[str, str]:
    domain, equals, url = value.partition("=")
    if not equals or not domain.strip() or not url.strip():
        raise SettingsError(f"--sink takes DOMAIN=URL (e.g. external=stdout:); got {value!r}")
    return domain.strip(), check_sink_url(url, f"--sink {domain.strip()}")


def _worker_settings(
    args: argparse.Namespace, env: Mapping[str, str], connection: ConnectionSettings
) -> WorkerSettings:
    sinks = sinks_from_env(env)
    sinks.update(_parse_sink_option(value) for value in args.sink)
    parse_app_spec(args.app)
    return WorkerSettings(
        connection=connection,
        app=args.app,
        task_queue=args.task_queue_override,
        sinks=sinks,
        codec=args.codec,
        deployment=deployment_from(
            args.deployment_name, args.build_id, names=("--deployment-name", "--build-id")
        ),
        connect_timeout=args.connect_timeout,
        shutdown_grace=args.shutdown_grace,
    )


# ============================================================================================
# commands


async def _cmd_dev(args: argparse.Namespace, io: _Io) -> int:
    local = ConnectionSettings().with_overrides(namespace=args.namespace)
    settings = _worker_settings(args, io.env, local) if args.app else None
    if settings is not None:
        load_app(settings.app)  # a bad --app fails before a server is started for nothing
    codec = load_codec(args.codec) if args.codec else None
    ui_port = None if args.headless else args.ui_port
    for what, port in (("gRPC", args.port), ("UI", ui_port)):
        if port is not None and not port_is_free(port):
            raise CommandError(
                f"port {port} on 127.0.0.1 ({what}) is already in use (another Temporal dev "
                f"server?); choose another with --{'port' if what == 'gRPC' else 'ui-port'}"
            )
    data_dir = None if args.in_memory else Path(args.data_dir)
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        stack.enter_context(stop_on_signals(stop))
        codec_server: CodecServer | None = None
        if codec is not None and ui_port is not None:
            # The UI decodes what the codec encrypted through a codec server of its own.
            origins = [f"http://{host}:{ui_port}" for host in ("127.0.0.1", "localhost")]
            codec_server = CodecServer(codec, port=0, ui_origins=origins)
            await stack.enter_async_context(codec_server)
        io.progress("starting the Temporal dev server…")
        server = await stack.enter_async_context(
            DevServer.start(
                namespace=args.namespace,
                port=args.port,
                ui_port=ui_port,
                data_dir=data_dir,
                codec_endpoint=codec_server.url if codec_server else None,
                log_level=args.log_level,
            )
        )
        io.progress(f"Temporal dev server  {server.target} (namespace {server.namespace})")
        io.progress(f"Web UI               {server.ui_url or 'off (--headless)'}")
        if codec_server is not None:
            io.progress(f"codec server         {codec_server.url} (the UI decodes through it)")
        io.progress(f"database             {server.db_path or 'in memory (--in-memory)'}")
        if settings is None:
            io.progress("no worker (give --app module:attr to run one); press Ctrl-C to stop")
            await stop.wait()
        else:
            io.progress("press Ctrl-C to stop")
            connection = local.with_overrides(address=server.target)
            await serve(replace(settings, connection=connection), stop=stop, log=io.progress)
        io.progress("stopping the Temporal dev server…")
    io.progress("stopped")
    return 0


async def _cmd_worker(args: argparse.Namespace, io: _Io) -> int:
    settings = _worker_settings(args, io.env, _connection_from_args(args, io.env))
    stop = asyncio.Event()
    with stop_on_signals(stop):
        await serve(settings, stop=stop, log=io.progress)
    io.progress("worker stopped")
    return 0


async def _cmd_send(args: argparse.Namespace, io: _Io) -> int:
    event = _read_event(args.event, io)
    client = await _connect(args, io)
    workflow_id = await client.send(event)
    io.emit({"workflow_id": workflow_id, "subject": event.subject, "event_id": event.id})
    return 0


async def _cmd_execute(args: argparse.Namespace, io: _Io) -> int:
    event = _read_event(args.event, io)
    client = await _connect(args, io)
    async with _waiting(
        io, f"waiting for a worker on task queue {args.task_queue} to apply {event.type}"
    ):
        result = await _within(client.execute(event), args.timeout, f"applying {event.type}")
    io.emit(_result_json(result))
    return 0


@contextlib.asynccontextmanager
async def _execution(
    args: argparse.Namespace, io: _Io
) -> AsyncIterator[tuple[ArvoTemporalClient, str]]:
    """Connect for a command about one execution (``args.subject``); Temporal's NOT_FOUND inside
    the block becomes a clear error saying whether the execution finished or never existed."""
    subject = args.subject.strip()
    _workflow_id(subject)  # a malformed subject is an input error, found before connecting
    client = await _connect(args, io)
    try:
        yield client, subject
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        raise await _explain_missing(client, subject) from None


async def _answer(args: argparse.Namespace, io: _Io, what: str, query: Awaitable[_T]) -> _T:
    """A query's answer; queries are answered by a worker, so say so while waiting for one."""
    try:
        async with _waiting(io, f"waiting for a worker on task queue {args.task_queue} to answer"):
            return await _within(query, args.timeout, f"an answer to the {what} query")
    except WorkflowQueryFailedError as error:
        raise CommandError(f"the {what} query failed: {one_line(error)}") from None


async def _cmd_status(args: argparse.Namespace, io: _Io) -> int:
    async with _execution(args, io) as (client, subject):
        view = await _answer(args, io, "status", client.status(subject))
    io.emit(view.model_dump(mode="json"))
    return 0


async def _cmd_snapshot(args: argparse.Namespace, io: _Io) -> int:
    async with _execution(args, io) as (client, subject):
        record = await _answer(args, io, "snapshot", client.snapshot(subject))
    io.emit(record)
    return 0


async def _cmd_result(args: argparse.Namespace, io: _Io) -> int:
    async with _execution(args, io) as (client, subject):
        workflow_id = client.workflow_id(subject)
        async with _waiting(io, f"waiting for {workflow_id} to finish"):
            output = await _within(
                client.result(subject), args.timeout, f"the end of {workflow_id}"
            )
    io.emit(output)
    return 0


async def _cmd_cancel(args: argparse.Namespace, io: _Io) -> int:
    async with _execution(args, io) as (client, subject):
        await client.cancel(subject, reason=args.reason)
    io.emit({"workflow_id": client.workflow_id(subject), "cancelled": True, "reason": args.reason})
    return 0


async def _cmd_list(args: argparse.Namespace, io: _Io) -> int:
    client = await _connect(args, io)
    listings = await client.list(
        orchestrator=args.orchestrator, status=args.status, limit=args.limit
    )
    for listing in listings:
        io.stdout.write(
            json.dumps(
                {
                    "workflow_id": listing.workflow_id,
                    "orchestrator": listing.orchestrator,
                    "status": listing.status,
                    "temporal_status": listing.temporal_status,
                    "subject": listing.subject,
                },
                ensure_ascii=False,
            )
            + "\n"
        )
    io.stdout.flush()
    return 0


async def _cmd_history(args: argparse.Namespace, io: _Io) -> int:
    async with _execution(args, io) as (client, subject):
        workflow_id = client.workflow_id(subject)
        history = await client.temporal.get_workflow_handle(workflow_id).fetch_history()
    text = history.to_json()
    if args.output and args.output != "-":
        try:
            await asyncio.to_thread(Path(args.output).write_text, text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {args.output}: {error.strerror or error}") from None
        io.progress(f"wrote {len(history.events)} events of {workflow_id} to {args.output}")
    else:
        io.stdout.write(text + "\n")
        io.stdout.flush()
    return 0


async def _cmd_replay(args: argparse.Namespace, io: _Io) -> int:
    path = Path(args.history)
    try:
        data = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    except OSError as error:
        raise CommandError(
            f"cannot read {path}: {error.strerror or error}", code=EXIT_USAGE
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CommandError(f"{path} is not valid JSON: {error}", code=EXIT_USAGE) from None
    try:
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        history = load_history(data, workflow_id=path.stem)
    except Exception as error:  # protobuf's parse errors have no common public base class
        raise CommandError(
            f"{path} is not a Temporal workflow history (make one with 'arvo-temporal history' "
            f"or 'temporal workflow show --output json'): {one_line(error, 200)}",
            code=EXIT_USAGE,
        ) from None
    app = load_app(args.app)
    try:
        await replay_history(history, app=app)
    except NondeterminismError as error:
        raise CommandError(f"replay of {path} failed: nondeterminism: {one_line(error)}") from None
    except ValueError as error:
        raise CommandError(f"cannot replay {path}: {one_line(error)}", code=EXIT_USAGE) from None
    except Exception as error:  # any other workflow task failure is a failed replay as well
        raise CommandError(
            f"replay of {path} failed: {type(error).__name__}: {one_line(error)}"
        ) from None
    io.emit({"history": str(path), "events": len(history.events), "replayed": True})
    return 0


async def _cmd_codec_server(args: argparse.Namespace, io: _Io) -> int:
    if not args.codec:
        raise SettingsError("give the codec to serve with --codec module:attribute or ARVO_CODEC")
    host, port = parse_listen(args.listen)
    codec = load_codec(args.codec)
    server = CodecServer(
        codec,
        host=host,
        port=port,
        ui_origins=args.ui_origin,
        namespaces=args.namespace,
        log=io.progress if args.log_requests else None,
    )
    stop = asyncio.Event()
    with stop_on_signals(stop):
        try:
            await server.start()
        except OSError as error:
            raise CommandError(
                f"cannot listen on {host}:{port}: {error.strerror or error}"
            ) from None
        try:
            io.progress(f"codec server {server.url} for {args.codec} (POST …/decode, …/encode)")
            origins = ", ".join(sorted(server.ui_origins))
            io.progress(f"CORS for {origins or 'no browser origin (give --ui-origin)'}")
            namespaces = ", ".join(sorted(server.namespaces))
            io.progress(f"namespaces: {namespaces or 'any'}; press Ctrl-C to stop")
            await stop.wait()
        finally:
            await server.stop()
    io.progress("codec server stopped")
    return 0


# ============================================================================================
# the parser


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
        "--shutdown-grace",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="time running activities get to finish after Ctrl-C (default 10)",
    )
    if codec:
        _add_codec_option(group)


def _build_parser(env: Mapping[str, str]) -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Run Arvo machines on Temporal: a local dev server, workers, and a client.",
        epilog="Errors are one line on stderr; exit status 2 = usage or input error, 1 = failure.",
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
        _cmd_dev,
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
        default=DEFAULT_DATA_DIR,
        help=f"folder of the SQLite database, kept across restarts (default {DEFAULT_DATA_DIR})",
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

    worker = command("worker", "run a worker for an ArvoApp until Ctrl-C or SIGTERM", _cmd_worker)
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
        _cmd_codec_server,
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

    send = command("send", "send an event (fire and forget); prints its workflow id", _cmd_send)
    send.add_argument("event", metavar="FILE", help="Arvo event JSON file, or - for stdin")
    _add_connection_options(send)

    execute = command(
        "execute", "apply an event and print the OrchestratorResult as JSON", _cmd_execute
    )
    execute.add_argument("event", metavar="FILE", help="Arvo event JSON file, or - for stdin")
    execute.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long")
    _add_connection_options(execute)

    for name, help, handler in (
        ("status", "what an execution is doing (status, state, timers, rejections)", _cmd_status),
        ("snapshot", "an execution's machine memory record", _cmd_snapshot),
    ):
        sub = command(name, help, handler)
        sub.add_argument("subject", metavar="SUBJECT", help="the execution's subject")
        sub.add_argument(
            "--timeout",
            type=float,
            default=QUERY_TIMEOUT,
            metavar="SECONDS",
            help=f"wait this long for a worker to answer (default {QUERY_TIMEOUT:g})",
        )
        _add_connection_options(sub)

    result = command("result", "wait for an execution to finish and print its output", _cmd_result)
    result.add_argument("subject", metavar="SUBJECT")
    result.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long")
    _add_connection_options(result)

    cancel = command("cancel", "cancel an execution; its initiator is told why", _cmd_cancel)
    cancel.add_argument("subject", metavar="SUBJECT")
    cancel.add_argument("--reason", default="cancelled with arvo-temporal cancel")
    _add_connection_options(cancel)

    listing = command("list", "list executions, one JSON object per line", _cmd_list)
    listing.add_argument("--orchestrator", help="e.g. arvo.orc.adder")
    listing.add_argument("--status", choices=["active", "done", "failed", "cancelled", "rejected"])
    listing.add_argument("--limit", type=int, default=100)
    _add_connection_options(listing)

    history = command(
        "history", "print an execution's Temporal history as JSON (for replay)", _cmd_history
    )
    history.add_argument("subject", metavar="SUBJECT")
    history.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    _add_connection_options(history)

    replay = command(
        "replay",
        "replay a recorded history against the current code (determinism check)",
        _cmd_replay,
    )
    replay.add_argument("history", metavar="HISTORY.json")
    replay.add_argument(
        "--app", required=True, metavar="MODULE:ATTR", help="the ArvoApp to replay with"
    )
    return parser


def _finish_args(args: argparse.Namespace, env: Mapping[str, str]) -> None:
    """Fill environment defaults after parsing, so ``--help`` states the rule, not a value."""
    if hasattr(args, "task_queue") and args.task_queue is None:
        args.task_queue = env_text(env, "TASK_QUEUE") or DEFAULT_TASK_QUEUE
    if hasattr(args, "task_queue_override") and args.task_queue_override is None:
        args.task_queue_override = env_text(env, "TASK_QUEUE")
    if args.command == "dev" and args.namespace is None:
        args.namespace = env_text(env, "TEMPORAL_NAMESPACE") or "default"
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
    io = _Io(
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
    except CommandError as error:
        io.stderr.write(f"{PROG}: {one_line(error)}\n")
        return error.code
    except Exception as error:
        described = _describe(error)
        if described is None:
            raise
        io.stderr.write(f"{PROG}: {one_line(described)}\n")
        return described.code
    finally:
        io.stderr.flush()


def _describe(error: Exception) -> CommandError | None:
    """The one-line form of an expected failure from the library or the SDK, or None for a bug."""
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
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
