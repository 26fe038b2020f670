"""Serving the ingress over HTTP with uvicorn, stopped gracefully by the caller.

uvicorn (with Starlette) is the server: ASGI, so the ingress app can also be mounted in any
ASGI server a deployment already runs, and uvicorn's shutdown stops accepting connections,
lets requests in flight finish (up to a grace period) and only then returns. Its own signal
handling is left out: it re-raises SIGTERM after a graceful stop, which would end the process
with the signal's status instead of 0, and it would take SIGINT from an embedding program. The
caller decides when to stop (``arvo-temporal ingress`` on SIGTERM or Ctrl-C).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING

import uvicorn

from arvo_temporal.ingress._app import EventGateway, ReadinessProbe, create_ingress_app
from arvo_temporal.ingress._settings import IngressSettings

if TYPE_CHECKING:
    from arvo_temporal.temporal._app import ArvoApp

__all__ = ["IngressServer"]


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the owner of the process handles signals (see the module docstring)


class IngressServer:
    """The ingress of ``app`` listening on ``host:port`` (port 0: a free one).

    Use it as an async context manager, or ``start()`` and ``stop()``::

        async with IngressServer(app, client, port=0) as server:
            print(server.url)
    """

    def __init__(
        self,
        app: ArvoApp,
        gateway: EventGateway,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        settings: IngressSettings | None = None,
        ready: ReadinessProbe | None = None,
        shutdown_grace: timedelta = timedelta(seconds=30),
        log_level: str = "warning",
    ) -> None:
        self.host = host
        self.port = port
        asgi = create_ingress_app(app, gateway, settings=settings, ready=ready)
        config = uvicorn.Config(
            asgi,
            lifespan="off",
            log_config=None,  # leave the process's logging as its owner set it
            log_level=log_level,
            access_log=False,
            timeout_graceful_shutdown=max(1, round(shutdown_grace.total_seconds())),
            server_header=False,
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Listen and serve in the background; returns once connections are accepted.

        Raises:
            OSError: the address cannot be listened on (in use, not local, no permission).
        """
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(2048)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self.port = listener.getsockname()[1]
        self._task = asyncio.create_task(self._server.serve(sockets=[listener]))
        while not self._server.started:
            if self._task.done():
                await self._task  # it failed to start: say why
                raise OSError(f"the ingress on {self.url} stopped while starting")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish (within the grace), then return."""
        if self._task is None:
            return
        self._server.should_exit = True
        task, self._task = self._task, None
        await task

    async def __aenter__(self) -> IngressServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
