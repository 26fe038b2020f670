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
import re
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio.client import Client, Plugin
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.service import RPCError
from temporalio.worker import Worker, WorkerDeploymentConfig

from arvo_temporal.cli._connection import ConnectionSettings
from arvo_temporal.cli._errors import CommandError, SettingsError, one_line
from arvo_temporal.cli._loading import load_app, load_codec
from arvo_temporal.sinks import (
    DEFAULT_DATA_DIR,
    DeadLetterSink,
    EventSink,
    SinkRouter,
    dead_letter_sink_from_url,
    default_dead_letter_sink,
    sink_from_url,
)
from arvo_temporal.temporal._app import ArvoApp
from arvo_temporal.temporal._plugin import ArvoPlugin
from arvo_temporal.temporal._worker import create_worker

__all__ = [
    "DATA_DIR_ENV",
    "DEAD_LETTER_ENV",
    "SINK_ENV_PREFIX",
    "Deployment",
    "WorkerSettings",
    "build_dead_letter",
    "build_sinks",
    "check_dead_letter_url",
    "check_sink_url",
    "connect_with_retries",
    "data_converter",
    "data_dir_from_env",
    "dead_letter_from_env",
    "deployment_from",
    "env_text",
    "serve",
    "sink_env_domain",
    "sinks_from_env",
    "stop_on_signals",
    "with_overrides",
]

SINK_ENV_PREFIX = "ARVO_SINK_"
DEAD_LETTER_ENV = "ARVO_DEAD_LETTER"
DATA_DIR_ENV = "ARVO_DATA_DIR"

_SINK_SUFFIX = re.compile(r"[A-Za-z0-9]+(?:_{1,2}[A-Za-z0-9]+)*")


def _connect_failure(error: BaseException) -> str:
    """The useful part of the SDK's connection error (it wraps the OS message in Rust debug
    output: ``tonic::transport::Error(… message: "Connection refused" …)``)."""
    text = str(error)
    found = re.findall(r'message: "([^"]+)"', text)
    if found:
        return str(found[-1]).lower()
    return one_line(text.removeprefix("Failed client connect: "), 200)


def env_text(env: Mapping[str, str], *names: str) -> str | None:
    """The first of ``names`` that is set to something other than blanks (compose sets unset
    variables to empty strings, which must mean "not set")."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


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


def _checked_url(url: str, where: str, parse: Callable[[str], object]) -> str:
    """``url`` (stripped) if ``parse`` accepts it; the error names ``where``, never the URL
    (it may hold credentials, and the sinks' own messages never repeat it either)."""
    try:
        parse(url)
    except ValueError as error:
        raise SettingsError(f"{where}: {error}") from None
    return url.strip()


def check_sink_url(url: str, where: str) -> str:
    """``url`` (stripped) if ``sink_from_url`` accepts it.

    Raises:
        SettingsError: naming ``where`` (the variable or option), never the URL itself.
    """
    return _checked_url(url, where, sink_from_url)


def check_dead_letter_url(url: str, where: str) -> str:
    """``url`` (stripped) if :func:`~arvo_temporal.sinks.dead_letter_sink_from_url` accepts it.

    Raises:
        SettingsError: naming ``where`` (the variable or option), never the URL itself.
    """
    return _checked_url(url, where, dead_letter_sink_from_url)


def dead_letter_from_env(env: Mapping[str, str]) -> str | None:
    """The dead-letter URL of ``ARVO_DEAD_LETTER``, checked, or None when it is not set.

    Raises:
        SettingsError: naming the variable (never the URL) when it is not a sink URL.
    """
    url = env_text(env, DEAD_LETTER_ENV)
    return check_dead_letter_url(url, DEAD_LETTER_ENV) if url else None


def data_dir_from_env(env: Mapping[str, str]) -> str:
    """The worker's data dir: ``ARVO_DATA_DIR``, default ``.arvo-temporal``."""
    return env_text(env, DATA_DIR_ENV) or DEFAULT_DATA_DIR


def build_dead_letter(
    app: ArvoApp, *, url: str | None, data_dir: str
) -> tuple[DeadLetterSink, bool]:
    """Where this worker keeps dead letters, and whether it made that sink (then it closes it).

    ``url`` (``ARVO_DEAD_LETTER`` / ``--dead-letter``) wins, as the deployment's sinks win over
    the app's; then the app's own ``dead_letter``; else the file ``dead-letter.jsonl`` under
    ``data_dir`` (``ARVO_DATA_DIR``, default ``.arvo-temporal``).

    Raises:
        SettingsError: a URL that is not a sink URL.
    """
    if url:
        return dead_letter_sink_from_url(check_dead_letter_url(url, "the dead-letter URL")), True
    if app.dead_letter is not None:
        return app.dead_letter, False
    return default_dead_letter_sink(data_dir), False


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


def with_overrides(
    app: ArvoApp,
    *,
    sinks: Mapping[str, EventSink] | None = None,
    task_queue: str | None = None,
    dead_letter: DeadLetterSink | None = None,
) -> ArvoApp:
    """The app with some domains' sinks, its task queue or its dead-letter sink replaced, as a
    new ``ArvoApp``.

    The deployment decides where events leave the system, so sinks given by the environment win
    over the app's own for those domains; the app's other sinks (and catch-all) stay. The
    original app is left untouched (another worker in the process may serve it).
    """
    if (
        not sinks
        and (task_queue is None or task_queue == app.task_queue)
        and (dead_letter is None or dead_letter is app.dead_letter)
    ):
        return app
    copy = ArvoApp(
        orchestrators=app.orchestrators.values(),
        handlers=app.handlers.values(),
        task_queue=task_queue or app.task_queue,
        handler_timeout=app.handler_timeout,
        handler_heartbeat=app.handler_heartbeat,
        handler_settings=app.handler_settings,
        dead_letter=dead_letter or app.dead_letter,
    )
    copy.sinks = SinkRouter({**app.sinks.sinks, **(sinks or {})}, default=app.sinks.default)
    return copy


def data_converter(codec: PayloadCodec | None) -> DataConverter:
    """The converter every client, worker and replayer of a deployment shares: payloads encoded
    by ``codec`` (e.g. encrypted) when one is given; ``ArvoPlugin`` adds pydantic conversion and
    keeps the codec."""
    return DataConverter(payload_codec=codec) if codec is not None else DataConverter.default


@dataclass(frozen=True)
class Deployment:
    """The Temporal Worker Deployment a worker belongs to (Worker Versioning).

    Workers of one ``name`` and ``build_id`` form a deployment version; the cluster sends new
    workflow tasks to the version made current (``temporal worker deployment
    set-current-version``), and an Arvo workflow, whose behaviour is auto-upgrade, moves to it
    on its next task. That is safe only for code that replays the recorded histories, which is
    what ``arvo-temporal replay --query`` checks before a version is made current.

    Attributes:
        name: the deployment, e.g. ``arvo-orders``.
        build_id: this build of the worker code, e.g. a git commit.
    """

    name: str
    build_id: str

    def worker_config(self) -> WorkerDeploymentConfig:
        """What ``Worker(deployment_config=...)`` takes: versioning on, auto-upgrade by default."""
        return WorkerDeploymentConfig(
            version=WorkerDeploymentVersion(deployment_name=self.name, build_id=self.build_id),
            use_worker_versioning=True,
            default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE,
        )


def deployment_from(
    name: str | None, build_id: str | None, *, names: tuple[str, str]
) -> Deployment | None:
    """A :class:`Deployment` when both values are given, ``None`` when neither is.

    Args:
        names: how the two values were given, for the message
            (``("ARVO_DEPLOYMENT_NAME", "ARVO_BUILD_ID")`` or the options).

    Raises:
        SettingsError: only one of them is given, or the name contains a dot (Temporal writes a
            version as ``<name>.<build id>``).
    """
    name, build_id = (name or "").strip(), (build_id or "").strip()
    if not name and not build_id:
        return None
    if not name or not build_id:
        raise SettingsError(
            f"a worker deployment needs both {names[0]} and {names[1]} (or neither)"
        )
    if "." in name:
        raise SettingsError(f"{names[0]} cannot contain a dot; got {name!r}")
    return Deployment(name=name, build_id=build_id)


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a worker process needs; built from the environment by ``workers/main.py`` and
    from options by ``arvo-temporal worker``.

    Attributes:
        connection: where Temporal is.
        app: ``module:attribute`` of the ``ArvoApp`` to serve.
        task_queue: overrides the app's task queue when set.
        sinks: ``{domain: URL}`` overriding the app's sinks for those domains.
        dead_letter: the URL of the dead-letter sink (a ``file:``/``jsonl:`` URL is a
            dead-letter file, any other sink URL receives the refused events), overriding the
            app's own.
        data_dir: the worker's data dir; the default dead-letter file is
            ``<data_dir>/dead-letter.jsonl``.
        codec: ``module:attribute`` of the ``PayloadCodec`` payloads are encoded with.
        deployment: the Worker Deployment version this worker serves, if any.
        connect_timeout: seconds to keep retrying the first connection (a server that is still
            starting, as in docker compose); 0 tries once.
        shutdown_grace: seconds running activities get to finish after a stop signal.
    """

    connection: ConnectionSettings
    app: str
    task_queue: str | None = None
    sinks: Mapping[str, str] = field(default_factory=dict)
    dead_letter: str | None = None
    data_dir: str = DEFAULT_DATA_DIR
    codec: str | None = None
    deployment: Deployment | None = None
    connect_timeout: float = 0.0
    shutdown_grace: float = 10.0


async def connect_with_retries(
    connection: ConnectionSettings,
    *,
    retry_for: float,
    data_converter: DataConverter = DataConverter.default,
    plugins: Sequence[Plugin] = (),
    stop: asyncio.Event | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> Client | None:
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
            return await connection.connect(data_converter=data_converter, plugins=plugins)
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
    client: Client | None = None,
) -> None:
    """Load the app (and codec), connect (with retries), and run a worker until ``stop`` is set.

    Args:
        settings: what to serve and where.
        stop: set it (a signal handler does) to shut down gracefully.
        log: receives one line per progress step.
        client: an already connected client to use instead of ``settings.connection``.

    Raises:
        SettingsError / CommandError: a bad app, codec or sink, no connection, or a failed
            worker.
    """
    app = load_app(settings.app)
    codec = load_codec(settings.codec) if settings.codec else None
    dead_letter, made = build_dead_letter(app, url=settings.dead_letter, data_dir=settings.data_dir)
    served = with_overrides(
        app,
        sinks=build_sinks(settings.sinks),
        task_queue=settings.task_queue,
        dead_letter=dead_letter,
    )
    try:
        if client is None:
            client = await connect_with_retries(
                settings.connection,
                retry_for=settings.connect_timeout,
                data_converter=data_converter(codec),
                plugins=[ArvoPlugin(served)],
                stop=stop,
                log=log,
            )
            if client is None:
                return
        worker = create_worker(
            client,
            app=served,
            graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace),
            deployment_config=settings.deployment.worker_config() if settings.deployment else None,
        )
        sinks = ", ".join(
            f"{domain} → {sink.name}" for domain, sink in sorted(served.sinks.sinks.items())
        )
        extras = "".join(
            (
                f"; codec {settings.codec}" if settings.codec else "",
                f"; deployment {settings.deployment.name} build {settings.deployment.build_id}"
                if settings.deployment
                else "",
            )
        )
        log(
            f"worker for {settings.app} on task queue {served.task_queue} "
            f"({len(served.orchestrators)} orchestrators, {len(served.handlers)} handlers; "
            f"sinks: {sinks or 'none'}; dead letters: {dead_letter.name}{extras})"
        )
        await _run_until_stopped(worker, stop, log)
    finally:
        await served.sinks.aclose()
        if made:
            await dead_letter.aclose()


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
