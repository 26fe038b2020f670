"""create_worker: a plain Temporal ``Worker`` serving an ``ArvoApp``, through ``ArvoPlugin``.

A convenience over ``Worker(client, task_queue=app.task_queue)`` on a client connected with
``plugins=[ArvoPlugin(app)]``: it builds the app from machines and handlers when none is given,
and gives the worker a client on the same connection that carries the plugin for this app.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Worker

from arvo_temporal.handler import ArvoEventHandler
from arvo_temporal.machine import ArvoMachine
from arvo_temporal.sinks import EventSink
from arvo_temporal.temporal._app import DEFAULT_TASK_QUEUE, ArvoApp, OrchestratorSpec
from arvo_temporal.temporal._client import ArvoTemporalClient, with_arvo_converter
from arvo_temporal.temporal._plugin import ArvoPlugin

__all__ = ["create_worker"]


def _serving(client: Client, app: ArvoApp, plugin_options: dict[str, Any]) -> Client:
    """``client`` with an ``ArvoPlugin`` for ``app``: kept when it has one, else a client on the
    same connection whose app-less ``ArvoPlugin`` (if any) becomes ``ArvoPlugin(app)``, so the
    SDK never sees one plugin type on both the client and the worker."""
    config = client.config()
    plugins = list(config.get("plugins") or ())
    if any(isinstance(plugin, ArvoPlugin) and plugin.app is app for plugin in plugins):
        return client
    traced = any(isinstance(item, TracingInterceptor) for item in config["interceptors"])
    serving = ArvoPlugin(app, tracing=False if traced else None, **plugin_options)
    others = [plugin for plugin in plugins if not isinstance(plugin, ArvoPlugin)]
    config["plugins"] = [*others, serving]
    return Client(**config)


def create_worker(
    client: Client | ArvoTemporalClient,
    *,
    app: ArvoApp | None = None,
    task_queue: str | None = None,
    machines: Iterable[OrchestratorSpec | ArvoMachine | Sequence[ArvoMachine]] = (),
    handlers: Iterable[ArvoEventHandler] = (),
    sinks: Mapping[str, EventSink] | None = None,
    sandboxed_machines: bool = True,
    passthrough_modules: Iterable[str] = (),
    register_attributes: bool = True,
    **worker_options: Any,
) -> Worker:
    """A worker for an ``ArvoApp`` (or for machines, handlers and sinks given directly).

    Args:
        client: a connected client (plain ``temporalio`` or ``ArvoTemporalClient``).
        app: the deployment; if omitted one is built from ``machines``/``handlers``/``sinks``.
        task_queue: overrides the app's task queue.
        sandboxed_machines: see ``ArvoPlugin``.
        passthrough_modules: see ``ArvoPlugin``.
        register_attributes: register Arvo's search attributes on the namespace at start.
        worker_options: passed to ``temporalio.worker.Worker`` (concurrency limits, ...).

    Raises:
        ConfigViolation: a machine the sandbox cannot build again (see ``ArvoPlugin``).
    """
    if app is None:
        app = ArvoApp(
            orchestrators=machines,
            handlers=handlers,
            sinks=sinks,
            task_queue=task_queue or DEFAULT_TASK_QUEUE,
        )
    elif task_queue is not None:
        app.task_queue = task_queue
    temporal = client.temporal if isinstance(client, ArvoTemporalClient) else client
    temporal = _serving(
        with_arvo_converter(temporal),
        app,
        {
            "sandboxed_machines": sandboxed_machines,
            "passthrough_modules": tuple(passthrough_modules),
            "register_attributes": register_attributes,
        },
    )
    return Worker(temporal, task_queue=app.task_queue, **worker_options)
