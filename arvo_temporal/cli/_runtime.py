"""Running a worker process: settings from the environment, sinks per domain, loading the app,
connecting with retries, and serving until a stop signal.

Shared by the deployable worker (``workers/main.py``) and ``arvo-temporal worker``/``dev``, so
both read settings, build sinks, load the app and shut down the same way. Loaders take the
environment as a mapping (tests pass a dict); only the entry points hand in ``os.environ``.
Failures are :class:`CommandError` (one line, an exit status), never tracebacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.service import RPCError, TLSConfig
from temporalio.worker import Worker

from arvo_temporal.errors import ArvoError
from arvo_temporal.sinks import EventSink, SinkRouter, sink_from_url
from arvo_temporal.temporal._app import DEFAULT_TASK_QUEUE, ArvoApp
from arvo_temporal.temporal._client import ArvoTemporalClient
from arvo_temporal.temporal._worker import create_worker

__all__ = [
    "DEFAULT_ADDRESS",
    "EXIT_RUNTIME",
    "EXIT_USAGE",
    "SINK_ENV_PREFIX",
    "CommandError",
    "ConnectionSettings",
    "SettingsError",
    "WorkerSettings",
    "build_sinks",
    "check_sink_url",
    "connect_with_retries",
    "connection_from_env",
    "env_text",
    "load_app",
    "one_line",
    "parse_app_spec",
    "serve",
    "sink_env_domain",
    "sinks_from_env",
    "stop_on_signals",
    "with_overrides",
]

DEFAULT_ADDRESS = "localhost:7233"
SINK_ENV_PREFIX = "ARVO_SINK_"

EXIT_RUNTIME = 1
EXIT_USAGE = 2

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_SINK_SUFFIX = re.compile(r"[A-Za-z0-9]+(?:_{1,2}[A-Za-z0-9]+)*")


# ============================================================================================
# errors


class CommandError(ArvoError):
    """An expected failure of a command: printed as one line, never as a traceback.

    Attributes:
        code: the exit status (2 usage or input error, 1 failure at run time).
    """

    def __init__(self, message: str, *, code: int = EXIT_RUNTIME) -> None:
        self.code = code
        super().__init__(message)


class SettingsError(CommandError, ValueError):
    """Invalid settings: a bad environment variable, option value or ``module:attr``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=EXIT_USAGE)


def one_line(text: object, limit: int = 600) -> str:
    """Collapse whitespace (library messages may embed indented JSON) and cap the length."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _connect_failure(error: BaseException) -> str:
    """The useful part of the SDK's connection error (it wraps the OS message in Rust debug
    output: ``tonic::transport::Error(… message: "Connection refused" …)``)."""
    text = str(error)
    found = re.findall(r'message: "([^"]+)"', text)
    if found:
        return str(found[-1]).lower()
    return one_line(text.removeprefix("Failed client connect: "), 200)


# ============================================================================================
# settings shared with workers/main.py


def _env_flag(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false; got {raw!r}")


def env_text(env: Mapping[str, str], *names: str) -> str | None:
    """The first of ``names`` that is set to something other than blanks (compose sets unset
    variables to empty strings, which must mean "not set")."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def _env_path(env: Mapping[str, str], *names: str) -> Path | None:
    value = env_text(env, *names)
    return Path(value) if value else None


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to reach Temporal.

    Attributes:
        address: the frontend, ``host:port``.
        namespace: the Temporal namespace.
        tls: True/False to force TLS on or off; None (the default) turns it on exactly when a
            client certificate, a CA or an API key is given (Temporal Cloud needs TLS).
        tls_cert / tls_key: the client certificate and its private key (mTLS), PEM files.
        tls_ca: the CA that signed the server's certificate, when not a public one.
        tls_server_name: the name to verify the server's certificate against.
        api_key: an API key (Temporal Cloud); never shown in ``repr``.

    Raises:
        SettingsError: a certificate without its key (or the reverse), or TLS forced off while
            certificates are given.
    """

    address: str = DEFAULT_ADDRESS
    namespace: str = "default"
    tls: bool | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None
    tls_server_name: str | None = None
    api_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise SettingsError(
                "a TLS client certificate needs its private key and the reverse "
                "(TEMPORAL_TLS_CERT with TEMPORAL_TLS_KEY, or --tls-cert with --tls-key)"
            )
        if self.tls is False and (self.tls_cert or self.tls_ca or self.tls_server_name):
            raise SettingsError("TLS is turned off but TLS certificates or a server name are set")
        if not self.address.strip():
            raise SettingsError("the Temporal address is empty")

    @property
    def use_tls(self) -> bool:
        """Whether the connection uses TLS (see ``tls``)."""
        if self.tls is not None:
            return self.tls
        return bool(self.tls_cert or self.tls_ca or self.tls_server_name or self.api_key)

    def tls_config(self) -> bool | TLSConfig:
        """What ``Client.connect(tls=...)`` takes; reads the PEM files.

        Raises:
            SettingsError: a file cannot be read.
        """
        if not self.use_tls:
            return False
        if not (self.tls_cert or self.tls_ca or self.tls_server_name):
            return True
        return TLSConfig(
            server_root_ca_cert=_read_pem(self.tls_ca, "TLS CA certificate"),
            client_cert=_read_pem(self.tls_cert, "TLS client certificate"),
            client_private_key=_read_pem(self.tls_key, "TLS client key"),
            domain=self.tls_server_name,
        )

    async def connect(self, *, task_queue: str = DEFAULT_TASK_QUEUE) -> ArvoTemporalClient:
        """One connection attempt.

        Raises:
            SettingsError: a TLS file cannot be read.
            RuntimeError: the SDK's connection failure.
        """
        return await ArvoTemporalClient.connect(
            self.address,
            namespace=self.namespace,
            task_queue=task_queue,
            tls=self.tls_config(),
            api_key=self.api_key,
        )


def _read_pem(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise SettingsError(f"cannot read the {what} {path}: {error.strerror or error}") from None


def connection_from_env(env: Mapping[str, str]) -> ConnectionSettings:
    """Connection settings from environment variables (blank counts as unset).

    ``TEMPORAL_ADDRESS`` (default ``localhost:7233``), ``TEMPORAL_NAMESPACE`` (``default``),
    ``TEMPORAL_TLS`` (true/false), ``TEMPORAL_TLS_CERT``, ``TEMPORAL_TLS_KEY``,
    ``TEMPORAL_TLS_CA``, ``TEMPORAL_TLS_SERVER_NAME`` and ``TEMPORAL_API_KEY``. The Temporal CLI's
    longer names (``TEMPORAL_TLS_CLIENT_CERT_PATH``, ``TEMPORAL_TLS_CLIENT_KEY_PATH``,
    ``TEMPORAL_TLS_SERVER_CA_CERT_PATH``) are accepted too, so one environment serves both.

    Raises:
        SettingsError: naming the variable that is wrong.
    """
    return ConnectionSettings(
        address=env_text(env, "TEMPORAL_ADDRESS") or DEFAULT_ADDRESS,
        namespace=env_text(env, "TEMPORAL_NAMESPACE") or "default",
        tls=_env_flag(env, "TEMPORAL_TLS"),
        tls_cert=_env_path(env, "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_CLIENT_CERT_PATH"),
        tls_key=_env_path(env, "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CLIENT_KEY_PATH"),
        tls_ca=_env_path(env, "TEMPORAL_TLS_CA", "TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
        tls_server_name=env_text(env, "TEMPORAL_TLS_SERVER_NAME"),
        api_key=env_text(env, "TEMPORAL_API_KEY"),
    )


def sink_env_domain(name: str) -> str:
    """The domain an ``ARVO_SINK_<DOMAIN>`` variable configures.

    The suffix is lower-cased and ``__`` stands for a dot, because environment variable names
    cannot hold dots: ``ARVO_SINK_DEFAULT`` → ``default`` (Arvo's null domain),
    ``ARVO_SINK_EXTERNAL`` → ``external``, ``ARVO_SINK_HUMAN__REVIEW`` → ``human.review``.

    Raises:
        SettingsError: not an ``ARVO_SINK_`` name, or a suffix that is not letters and digits
            separated by single or double underscores.
    """
    suffix = name[len(SINK_ENV_PREFIX) :] if name.startswith(SINK_ENV_PREFIX) else ""
    if not _SINK_SUFFIX.fullmatch(suffix):
        raise SettingsError(
            f"{name} is not a valid sink variable: use {SINK_ENV_PREFIX}<DOMAIN>, letters and "
            "digits, with __ for each dot of the domain (ARVO_SINK_HUMAN__REVIEW → human.review)"
        )
    return suffix.lower().replace("__", ".")


def check_sink_url(url: str, where: str) -> str:
    """``url`` (stripped) if ``sink_from_url`` accepts it.

    Raises:
        SettingsError: naming ``where`` (the variable or option), never the URL itself.
    """
    try:
        sink_from_url(url)
    except ValueError as error:
        # sink_from_url never repeats the URL (it may hold credentials), and neither do we.
        raise SettingsError(f"{where}: {error}") from None
    return url.strip()


def sinks_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """``{domain: sink URL}`` from every non-blank ``ARVO_SINK_<DOMAIN>`` variable.

    URLs are those of :func:`~arvo_temporal.sinks.sink_from_url` (``http(s)://…``,
    ``file:///…``, ``jsonl:path``, ``stdout:``, ``memory:``) and are checked here, so a typo
    stops the worker at start instead of failing the first delivery.

    Raises:
        SettingsError: a bad variable name or URL (the URL itself is never repeated).
    """
    found: dict[str, str] = {}
    for name in sorted(env):
        if not name.startswith(SINK_ENV_PREFIX) or not env[name].strip():
            continue
        found[sink_env_domain(name)] = check_sink_url(env[name], name)
    return found


def build_sinks(urls: Mapping[str, str]) -> dict[str, EventSink]:
    """Sinks from ``{domain: URL}``.

    Raises:
        SettingsError: a URL that :func:`sink_from_url` refuses.
    """
    sinks: dict[str, EventSink] = {}
    for domain, url in urls.items():
        try:
            sinks[domain] = sink_from_url(url)
        except ValueError as error:
            raise SettingsError(f"the sink for domain {domain!r}: {error}") from None
    return sinks


def parse_app_spec(spec: str) -> tuple[str, str]:
    """Split ``package.module:attribute`` (the attribute may be dotted).

    Raises:
        SettingsError: anything else.
    """
    module, colon, attribute = spec.strip().partition(":")
    dotted = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
    if not colon or not dotted.fullmatch(module) or not dotted.fullmatch(attribute):
        raise SettingsError(
            f"the app must be given as module:attribute (e.g. examples.app:app); got {spec!r}"
        )
    return module, attribute


def load_app(spec: str) -> ArvoApp:
    """Import ``module:attribute`` and return the ``ArvoApp`` it names.

    The attribute may also be a function without arguments that returns an ``ArvoApp``. The
    working directory is put on ``sys.path`` first, as ``python -m`` would, so an app next to
    the user (``examples.app:app`` in a checkout) is found from the installed console script.

    Raises:
        SettingsError: a malformed spec, a module or attribute that does not exist, or an
            object that is not an ``ArvoApp``.
        CommandError: the module itself raised while being imported.
    """
    module_name, attribute = parse_app_spec(spec)
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or module_name
        if module_name == missing or module_name.startswith(f"{missing}."):
            raise SettingsError(
                f"cannot import {module_name} for the app {spec}: no module named {missing} "
                f"(looked in {cwd} and the installed packages)"
            ) from None
        raise CommandError(
            f"importing {module_name} failed: {type(error).__name__}: {one_line(error)}"
        ) from None
    except Exception as error:
        raise CommandError(
            f"importing {module_name} failed: {type(error).__name__}: {one_line(error)}"
        ) from None
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise SettingsError(f"{module_name} has no attribute {attribute} (the app {spec})")
        value = getattr(value, part)
    if callable(value) and not isinstance(value, ArvoApp):
        value = value()
    if not isinstance(value, ArvoApp):
        raise SettingsError(f"{spec} is a {type(value).__name__}, not an ArvoApp")
    return value


def with_overrides(
    app: ArvoApp, *, sinks: Mapping[str, EventSink] | None = None, task_queue: str | None = None
) -> ArvoApp:
    """The app with some domains' sinks replaced and another task queue, as a new ``ArvoApp``.

    The deployment decides where events leave the system, so sinks given by the environment win
    over the app's own for those domains; the app's other sinks (and catch-all) stay. The
    original app is left untouched (another worker in the process may serve it).
    """
    if not sinks and (task_queue is None or task_queue == app.task_queue):
        return app
    copy = ArvoApp(
        orchestrators=app.orchestrators.values(),
        handlers=app.handlers.values(),
        task_queue=task_queue or app.task_queue,
    )
    copy.sinks = SinkRouter({**app.sinks.sinks, **(sinks or {})}, default=app.sinks.default)
    return copy


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a worker process needs; built from the environment by ``workers/main.py`` and
    from options by ``arvo-temporal worker``.

    Attributes:
        connection: where Temporal is.
        app: ``module:attribute`` of the ``ArvoApp`` to serve.
        task_queue: overrides the app's task queue when set.
        sinks: ``{domain: URL}`` overriding the app's sinks for those domains.
        connect_timeout: seconds to keep retrying the first connection (a server that is still
            starting, as in docker compose); 0 tries once.
        shutdown_grace: seconds running activities get to finish after a stop signal.
    """

    connection: ConnectionSettings
    app: str
    task_queue: str | None = None
    sinks: Mapping[str, str] = field(default_factory=dict)
    connect_timeout: float = 0.0
    shutdown_grace: float = 10.0


async def connect_with_retries(
    connection: ConnectionSettings,
    *,
    task_queue: str,
    retry_for: float,
    stop: asyncio.Event | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> ArvoTemporalClient | None:
    """Connect, retrying with back-off (0.5 s doubling to 10 s) for up to ``retry_for`` seconds.

    Returns:
        The client, or None when ``stop`` was set while waiting to retry.

    Raises:
        SettingsError: a TLS file cannot be read (retrying cannot help).
        CommandError: still no connection when ``retry_for`` ran out.
    """
    deadline = time.monotonic() + retry_for
    delay = 0.5
    while True:
        try:
            return await connection.connect(task_queue=task_queue)
        except (RuntimeError, RPCError) as error:
            reason = _connect_failure(error)
            if time.monotonic() + delay > deadline:
                raise CommandError(
                    f"cannot connect to Temporal at {connection.address} "
                    f"(namespace {connection.namespace}): {reason}"
                ) from None
            log(
                f"Temporal at {connection.address} is not reachable yet ({reason}); "
                f"retrying in {delay:g}s"
            )
        if stop is None:
            await asyncio.sleep(delay)
        else:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await stop.wait()
            if stop.is_set():
                return None
        delay = min(delay * 2, 10.0)


async def _run_until_stopped(
    worker: Worker, stop: asyncio.Event, log: Callable[[str], None]
) -> None:
    """Run the worker until ``stop`` is set, then shut it down gracefully.

    Raises:
        CommandError: the worker itself failed (e.g. it lost the server for good).
    """
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if running.done():
        error = running.exception()
        raise CommandError(
            f"the worker stopped: {type(error).__name__}: {one_line(error)}"
            if error
            else "the worker stopped unexpectedly"
        )
    log("stopping the worker (running activities may finish)…")
    await worker.shutdown()
    with contextlib.suppress(Exception):
        await running


async def serve(
    settings: WorkerSettings,
    *,
    stop: asyncio.Event,
    log: Callable[[str], None],
    client: ArvoTemporalClient | None = None,
) -> None:
    """Load the app, connect (with retries), and run a worker until ``stop`` is set.

    Args:
        settings: what to serve and where.
        stop: set it (a signal handler does) to shut down gracefully.
        log: receives one line per progress step.
        client: an already connected client to use instead of ``settings.connection``.

    Raises:
        SettingsError / CommandError: a bad app or sink, no connection, or a failed worker.
    """
    app = load_app(settings.app)
    served = with_overrides(app, sinks=build_sinks(settings.sinks), task_queue=settings.task_queue)
    try:
        if client is None:
            client = await connect_with_retries(
                settings.connection,
                task_queue=served.task_queue,
                retry_for=settings.connect_timeout,
                stop=stop,
                log=log,
            )
            if client is None:
                return
        worker = create_worker(
            client,
            app=served,
            graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace),
        )
        sinks = ", ".join(
            f"{domain} → {sink.name}" for domain, sink in sorted(served.sinks.sinks.items())
        )
        log(
            f"worker for {settings.app} on task queue {served.task_queue} "
            f"({len(served.orchestrators)} orchestrators, {len(served.handlers)} handlers; "
            f"sinks: {sinks or 'none'})"
        )
        await _run_until_stopped(worker, stop, log)
    finally:
        await served.sinks.aclose()


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT or SIGTERM while inside the block (the running loop's handlers).

    Only possible in the main thread; elsewhere (embedded use) the caller sets ``stop`` itself.
    """
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (RuntimeError, ValueError, NotImplementedError):
            continue
        installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
