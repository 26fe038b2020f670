"""create_worker: a Temporal worker that runs an ArvoApp.

It registers the app's orchestrators for the workflow, uses the pydantic data converter and the
OpenTelemetry interceptor (through the client), keeps the workflow sandbox on, and passes our
pure modules through it: they are deterministic by construction (ids and time come from the
workflow), and passing them through keeps per-run import cost low and lets the workflow see the
machines the worker registered (docs/temporal.md §5).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from arvo_temporal.handler import ArvoEventHandler
from arvo_temporal.machine import ArvoMachine
from arvo_temporal.sinks import EventSink
from arvo_temporal.temporal._activities import ArvoActivities
from arvo_temporal.temporal._app import (
    DEFAULT_TASK_QUEUE,
    ArvoApp,
    OrchestratorSpec,
    register_app,
    unregister_app,
)
from arvo_temporal.temporal._client import ArvoTemporalClient, with_arvo_converter
from arvo_temporal.temporal._search_attributes import register_search_attributes
from arvo_temporal.temporal._workflow import ArvoMachineWorkflow

__all__ = ["PASSTHROUGH_MODULES", "ArvoWorker", "create_worker", "sandbox_runner"]

logger = logging.getLogger(__name__)

PASSTHROUGH_MODULES = (
    "arvo_temporal",
    "pydantic",
    "pydantic_core",
    "cloudevents",
    "httpx",
    "opentelemetry",
)


def sandbox_runner(extra_passthrough: Iterable[str] = ()) -> SandboxedWorkflowRunner:
    """The sandboxed runner with our pure modules (and any given) passed through."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(
        *PASSTHROUGH_MODULES, *extra_passthrough
    )
    return SandboxedWorkflowRunner(restrictions=restrictions)


class ArvoWorker(Worker):
    """A Temporal ``Worker`` for an ``ArvoApp``.

    On start it registers Arvo's search attributes on its namespace (idempotent; a cluster that
    refuses, e.g. Temporal Cloud where attributes are managed in the console, only logs a
    warning). On stop it forgets its app's registration, so another app (or a replay) may serve
    the same task queue later in the same process.
    """

    def __init__(
        self, *args: Any, app: ArvoApp, register_attributes: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.app = app
        self.register_attributes = register_attributes

    async def _register_search_attributes(self) -> None:
        if not self.register_attributes:
            return
        namespace = self.client.namespace
        try:
            added = await register_search_attributes(self.client, namespace)
        except RPCError as error:
            logger.warning(
                "could not register Arvo search attributes on %s (%s); register them with "
                "`temporal operator search-attribute create` or your cloud console",
                namespace,
                error.message,
            )
            return
        if added:
            logger.info("registered search attributes %s on %s", added, namespace)

    async def run(self) -> None:
        try:
            await self._register_search_attributes()
            await super().run()
        finally:
            unregister_app(self.app)

    async def __aenter__(self) -> ArvoWorker:
        await self._register_search_attributes()
        await super().__aenter__()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *args: Any) -> None:
        try:
            await super().__aexit__(exc_type, *args)
        finally:
            unregister_app(self.app)


def create_worker(
    client: Client | ArvoTemporalClient,
    *,
    app: ArvoApp | None = None,
    task_queue: str | None = None,
    machines: Iterable[OrchestratorSpec | ArvoMachine | Sequence[ArvoMachine]] = (),
    handlers: Iterable[ArvoEventHandler] = (),
    sinks: Mapping[str, EventSink] | None = None,
    passthrough_modules: Iterable[str] = (),
    register_attributes: bool = True,
    **worker_options: Any,
) -> ArvoWorker:
    """A worker for an ``ArvoApp`` (or for machines, handlers and sinks given directly).

    Args:
        client: a connected client (plain ``temporalio`` or ``ArvoTemporalClient``).
        app: the deployment; if omitted one is built from ``machines``/``handlers``/``sinks``.
        task_queue: overrides the app's task queue.
        passthrough_modules: extra modules your machines import that are safe to share.
        register_attributes: register Arvo's search attributes on the namespace at start.
        worker_options: passed to ``temporalio.worker.Worker`` (concurrency limits, …).

    Raises:
        ConfigViolation: an orchestrator is already served by another app in this process.
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
    register_app(app)
    temporal = (
        client.temporal if isinstance(client, ArvoTemporalClient) else with_arvo_converter(client)
    )
    activities = ArvoActivities(app, temporal)
    return ArvoWorker(
        temporal,
        app=app,
        register_attributes=register_attributes,
        task_queue=app.task_queue,
        workflows=[ArvoMachineWorkflow],
        activities=[activities.handle, activities.dispatch],
        workflow_runner=sandbox_runner(passthrough_modules),
        **worker_options,
    )
