"""``arvo-temporal ingress``: receive CloudEvents over HTTP for an app's orchestrators.

A thin wrapper over :class:`arvo_temporal.ingress.IngressServer`: it reads the settings (options,
``ARVO_INGRESS_TOKENS`` or ``--token-file`` for bearer tokens), connects to Temporal like the
other commands (envconfig, then options; ``--codec``), serves until SIGTERM or Ctrl-C, then lets
requests in flight finish and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client

from arvo_temporal.cli._client_commands import connection_from_args
from arvo_temporal.cli._errors import CommandError, SettingsError
from arvo_temporal.cli._io import Io
from arvo_temporal.cli._loading import load_app, load_codec
from arvo_temporal.cli._runtime import connect_with_retries, data_converter, stop_on_signals
from arvo_temporal.errors import ConfigViolation, TemporalUnavailableError
from arvo_temporal.temporal._client import ArvoTemporalClient
from arvo_temporal.temporal._plugin import ArvoPlugin

__all__ = [
    "TOKENS_VARIABLE",
    "add_ingress_command",
    "cmd_ingress",
    "parse_address",
    "read_tokens",
]

TOKENS_VARIABLE = "ARVO_INGRESS_TOKENS"
_INSTALL_HINT = "pip install 'arvo-temporal[ingress]' (Starlette and uvicorn)"

_Command = Callable[..., argparse.ArgumentParser]


def parse_address(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6; an empty host is 127.0.0.1).

    Raises:
        SettingsError: not ``HOST:PORT`` with a port from 0 to 65535.
    """
    host, colon, port_text = value.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not colon or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise SettingsError(f"--listen takes HOST:PORT (e.g. 127.0.0.1:8080); got {value!r}")
    return host, int(port_text)


def read_tokens(token_file: str | None, env: Mapping[str, str]) -> tuple[str, ...]:
    """The bearer tokens: one per line of ``token_file`` (blank lines and ``#`` comments
    skipped), else the comma-separated ``ARVO_INGRESS_TOKENS``; none means no authentication.

    Raises:
        SettingsError: the file cannot be read or holds no token (an empty file would open the
            ingress to anyone, which is never what giving a token file means).
    """
    if token_file:
        try:
            text = Path(token_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or error
            raise SettingsError(f"cannot read --token-file {token_file}: {reason}") from None
        tokens = tuple(
            line.strip()
            for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")
        )
        if not tokens:
            raise SettingsError(f"--token-file {token_file} holds no token")
        return tokens
    return tuple(part.strip() for part in env.get(TOKENS_VARIABLE, "").split(",") if part.strip())


def add_ingress_command(command: _Command, add_connection_options: Callable[..., None]) -> None:
    """Add ``ingress`` to the parser being built."""
    ingress = command(
        "ingress",
        "receive CloudEvents over HTTP (binary, structured, batch) for an app's orchestrators; "
        "until SIGTERM or Ctrl-C",
        cmd_ingress,
    )
    ingress.add_argument(
        "--app", required=True, metavar="MODULE:ATTR", help="the ArvoApp, e.g. examples.app:app"
    )
    ingress.add_argument(
        "--listen",
        default="127.0.0.1:8080",
        metavar="HOST:PORT",
        help="address to listen on (default 127.0.0.1:8080; 0.0.0.0:8080 in a container)",
    )
    ingress.add_argument(
        "--token-file",
        metavar="PATH",
        help=f"accept only bearer tokens listed here, one per line [{TOKENS_VARIABLE}, comma "
        "separated; default: no authentication]",
    )
    ingress.add_argument(
        "--max-batch-bytes",
        type=int,
        default=8 * 1024 * 1024,
        metavar="BYTES",
        help="largest batch body (default 8 MiB; one event: the client's 1.5 MiB)",
    )
    ingress.add_argument(
        "--max-wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="longest 'Prefer: wait' honoured (default 60)",
    )
    ingress.add_argument(
        "--accept-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="answer 503 when Temporal has not taken an event in this time (default 10)",
    )
    ingress.add_argument(
        "--connect-timeout",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep retrying the first connection to Temporal this long (default: try once)",
    )
    ingress.add_argument(
        "--shutdown-grace",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="time requests in flight get to finish after SIGTERM (default 30)",
    )
    add_connection_options(ingress, task_queue=False)
    ingress.add_argument(
        "--task-queue",
        dest="task_queue_override",
        metavar="TASK_QUEUE",
        help="start executions on this task queue instead of the app's [TASK_QUEUE]",
    )


def _readiness(client: Client) -> Callable[[], Awaitable[None]]:
    """``/readyz``'s probe: the frontend's gRPC health check (cheap, no namespace lookup)."""

    async def probe() -> None:
        if not await client.service_client.check_health(timeout=timedelta(seconds=2)):
            raise TemporalUnavailableError("Temporal's frontend reports it is not serving")

    return probe


async def cmd_ingress(args: argparse.Namespace, io: Io) -> int:
    try:
        from arvo_temporal.ingress import IngressServer, IngressSettings
    except ImportError as error:
        raise SettingsError(f"the ingress needs {error.name}: {_INSTALL_HINT}") from None
    host, port = parse_address(args.listen)
    tokens = read_tokens(args.token_file, io.env)
    app = load_app(args.app)
    try:
        settings = IngressSettings(
            tokens=tokens,
            max_batch_bytes=args.max_batch_bytes,
            max_wait=timedelta(seconds=args.max_wait),
            accept_timeout=timedelta(seconds=args.accept_timeout),
        )
    except ConfigViolation as error:
        raise SettingsError(error.raw_message) from None
    connection = connection_from_args(args, io.env)
    codec = load_codec(args.codec) if args.codec else None
    task_queue = args.task_queue_override or app.task_queue
    stop = asyncio.Event()
    with stop_on_signals(stop):
        client = await connect_with_retries(
            connection,
            retry_for=args.connect_timeout,
            data_converter=data_converter(codec),
            plugins=[ArvoPlugin()],
            stop=stop,
            log=io.progress,
        )
        if client is None:
            return 0  # stopped while waiting for Temporal
        server = IngressServer(
            app,
            ArvoTemporalClient(client, task_queue=task_queue),
            host=host,
            port=port,
            settings=settings,
            ready=_readiness(client),
            shutdown_grace=timedelta(seconds=args.shutdown_grace),
        )
        try:
            await server.start()
        except OSError as error:
            raise CommandError(
                f"cannot listen on {args.listen}: {error.strerror or error}"
            ) from None
        served = ", ".join(sorted(app.orchestrators)) or "no orchestrator"
        io.progress(f"ingress {server.url} for {served} (task queue {task_queue})")
        io.progress(
            f"bearer tokens: {len(tokens)}" if tokens else "no authentication (no bearer tokens)"
        )
        io.progress("press Ctrl-C or send SIGTERM to stop")
        await stop.wait()
        io.progress("stopping: requests in flight finish first…")
        await server.stop()
    io.progress("ingress stopped")
    return 0
