"""A worker for all three examples, written the way a Temporal user writes any worker.

Connection settings come from the SDK's own configuration (``temporalio.envconfig``: the
``TEMPORAL_ADDRESS`` / ``TEMPORAL_NAMESPACE`` / ``TEMPORAL_PROFILE`` variables and the TOML
profiles of the Temporal CLI), ``ArvoPlugin(app)`` is the one line that makes the client and a
plain ``Worker`` serve the app::

    python -m examples.worker          # against localhost:7233 unless configured otherwise

``main(client=...)`` takes a connected client so tests can run it on their own server.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from temporalio.client import Client
from temporalio.envconfig import ClientConfig
from temporalio.worker import Worker

from arvo_temporal.cli import exit_now
from arvo_temporal.temporal import ArvoPlugin
from examples.app import app


async def connect() -> Client:
    """A client for ``app`` from the SDK's configuration, with ``localhost:7233`` by default."""
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", "localhost:7233")
    return await Client.connect(**config, plugins=[ArvoPlugin(app)])


async def main(client: Client | None = None, *, stop: asyncio.Event | None = None) -> None:
    """Serve the examples until ``stop`` is set (or Ctrl-C / SIGTERM when run as a script)."""
    client = client or await connect()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(RuntimeError, ValueError, NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with Worker(client, task_queue=app.task_queue):
        print(f"serving {', '.join(app.orchestrators)} on task queue {app.task_queue}")
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
    exit_now(0)  # no abort in the SDK runtime's shutdown (arvo_temporal/cli/_exit.py)
