"""The long-running commands of ``arvo-temporal``: ``dev`` (a dev server, optionally a worker and
a codec server for its UI), ``worker`` and ``codec-server``; each runs until Ctrl-C or SIGTERM.

What the deployable worker (``workers/main.py``) shares with ``worker`` and ``dev`` lives in
:mod:`arvo_temporal.cli._runtime`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from arvo_temporal.cli._client_commands import connection_from_args
from arvo_temporal.cli._codec_server import CodecServer, parse_listen
from arvo_temporal.cli._connection import ConnectionSettings
from arvo_temporal.cli._errors import CommandError, SettingsError
from arvo_temporal.cli._io import Io
from arvo_temporal.cli._loading import load_app, load_codec, parse_app_spec
from arvo_temporal.cli._runtime import (
    WorkerSettings,
    check_dead_letter_url,
    check_sink_url,
    data_dir_from_env,
    dead_letter_from_env,
    deployment_from,
    serve,
    sinks_from_env,
    stop_on_signals,
)
from arvo_temporal.sinks import DEFAULT_DATA_DIR
from arvo_temporal.temporal._devserver import DevServer

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_PORT",
    "DEFAULT_UI_PORT",
    "cmd_codec_server",
    "cmd_dev",
    "cmd_worker",
    "parse_sink_option",
    "port_is_free",
    "worker_settings",
]

DEFAULT_PORT = 7233
DEFAULT_UI_PORT = 8233


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


def parse_sink_option(value: str) -> tuple[str, str]:
    domain, equals, url = value.partition("=")
    if not equals or not domain.strip() or not url.strip():
        raise SettingsError(f"--sink takes DOMAIN=URL (e.g. external=stdout:); got {value!r}")
    return domain.strip(), check_sink_url(url, f"--sink {domain.strip()}")


def worker_settings(
    args: argparse.Namespace, env: Mapping[str, str], connection: ConnectionSettings
) -> WorkerSettings:
    sinks = sinks_from_env(env)
    sinks.update(parse_sink_option(value) for value in args.sink)
    parse_app_spec(args.app)
    dead_letter = (
        check_dead_letter_url(args.dead_letter, "--dead-letter")
        if args.dead_letter
        else dead_letter_from_env(env)
    )
    return WorkerSettings(
        connection=connection,
        app=args.app,
        task_queue=args.task_queue_override,
        sinks=sinks,
        dead_letter=dead_letter,
        data_dir=getattr(args, "data_dir", None) or data_dir_from_env(env),
        codec=args.codec,
        deployment=deployment_from(
            args.deployment_name, args.build_id, names=("--deployment-name", "--build-id")
        ),
        connect_timeout=args.connect_timeout,
        shutdown_grace=args.shutdown_grace,
    )


async def cmd_dev(args: argparse.Namespace, io: Io) -> int:
    local = ConnectionSettings().with_overrides(namespace=args.namespace)
    settings = worker_settings(args, io.env, local) if args.app else None
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


async def cmd_worker(args: argparse.Namespace, io: Io) -> int:
    settings = worker_settings(args, io.env, connection_from_args(args, io.env))
    stop = asyncio.Event()
    with stop_on_signals(stop):
        await serve(settings, stop=stop, log=io.progress)
    io.progress("worker stopped")
    return 0


async def cmd_codec_server(args: argparse.Namespace, io: Io) -> int:
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
