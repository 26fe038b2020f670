"""ArvoPlugin: one object that makes a Temporal client, worker and replayer serve an ``ArvoApp``.

Built on the SDK's plugin mechanism (``temporalio.plugin.SimplePlugin``)::

    client = await Client.connect("localhost:7233", plugins=[ArvoPlugin(app)])
    async with Worker(client, task_queue=app.task_queue):   # serves the app's machines and handlers
        await ArvoTemporalClient(client).send(init_event)

    await Replayer(workflows=[], plugins=[ArvoPlugin(app)]).replay_workflow(history)

What it configures:

* **Data converter**: pydantic payload conversion (events, records and results are pydantic
  models), composed with the converter it finds: the user's ``payload_codec`` (encryption,
  compression), failure converter and external storage are kept.
* **Worker**: ``ArvoMachineWorkflow``, the handler and dispatch activities (bound to the
  worker's own client), ``ArvoScheduledStart`` and its activity (what schedules run,
  ``arvo_temporal/temporal/_scheduled_start.py``), and the sandbox's passthrough of the
  library's pure modules. The user's machine modules are *not* passed through: each run
  builds its machines again inside the sandbox (see ``arvo_temporal.temporal._sandbox``), so
  nondeterministic machine code fails loudly. ``sandboxed_machines=False`` opts out.
* **Per-run binding**: a workflow interceptor hands the app to each run of
  ``ArvoMachineWorkflow`` when the run starts; nothing is registered process-wide, and a
  replay binds the same way, whatever task queue the history ran on.
* **Tracing**: Temporal's OpenTelemetry interceptor, when tracing is on (by default when an
  OpenTelemetry SDK tracer provider is installed).

``ArvoPlugin()`` without an app only configures the converter (and tracing): use it for clients
that send events and look at executions without serving anything.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from opentelemetry import trace
from temporalio import workflow
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, DefaultPayloadConverter
from temporalio.plugin import SimplePlugin
from temporalio.service import RPCError
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    Worker,
    WorkerConfig,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowRunner,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from arvo_temporal.errors import ConfigViolation
from arvo_temporal.temporal._activities import ArvoActivities
from arvo_temporal.temporal._app import ArvoApp, ResumableSpec
from arvo_temporal.temporal._binding import AppBinding
from arvo_temporal.temporal._sandbox import check_rebuildable, contract_modules, rebuild_resumable
from arvo_temporal.temporal._scheduled_start import ArvoScheduledStart, ScheduledStartActivities
from arvo_temporal.temporal._search_attributes import register_search_attributes
from arvo_temporal.temporal._workflow import ArvoMachineWorkflow, LegacyArvoMachineWorkflow

__all__ = ["PASSTHROUGH_MODULES", "ArvoPlugin", "arvo_data_converter", "tracing_configured"]

logger = logging.getLogger(__name__)

PLUGIN_NAME = "arvo_temporal.ArvoPlugin"

PASSTHROUGH_MODULES = (
    "arvo_temporal",
    "pydantic",
    "pydantic_core",
    "cloudevents",
    "opentelemetry",
)
"""Modules shared with the sandbox as they are: the library's pure core takes ids and time from
the workflow (docs/temporal.md §5), and re-importing it per run would cost time for nothing."""


def arvo_data_converter(existing: DataConverter | None = None) -> DataConverter:
    """``existing`` (or the default converter) with pydantic payload conversion.

    Keeps the codec, failure converter and external storage of ``existing``.

    Raises:
        ConfigViolation: ``existing`` uses a custom payload converter that is not pydantic's
            (it could not carry Arvo's models; compose it with ``PydanticPayloadConverter``).
    """
    base = existing or DataConverter.default
    current = base.payload_converter_class
    if issubclass(current, PydanticPayloadConverter):
        return base
    if current is not DefaultPayloadConverter:
        raise ConfigViolation(
            f"ArvoPlugin needs pydantic payload conversion, but the client's data converter "
            f"uses {current.__qualname__}; derive it from "
            "temporalio.contrib.pydantic.PydanticPayloadConverter"
        )
    return dataclasses.replace(base, payload_converter_class=PydanticPayloadConverter)


async def _register_attributes(client: Client) -> None:
    namespace = client.namespace
    try:
        added = await register_search_attributes(client, namespace)
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


def tracing_configured() -> bool:
    """True when an OpenTelemetry SDK tracer provider is installed (not the API's no-op)."""
    provider = trace.get_tracer_provider()
    return type(provider).__module__.startswith("opentelemetry.sdk")


class _BindingInterceptor(Interceptor):
    """Hands the app to each run of ``ArvoMachineWorkflow`` (and to nothing else)."""

    def __init__(self, binding: AppBinding) -> None:
        self._binding = binding

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        binding = self._binding

        class _BindRun(WorkflowInboundInterceptor):
            async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
                instance = workflow.instance()
                if isinstance(instance, ArvoMachineWorkflow):
                    instance._bind(binding)
                return await super().execute_workflow(input)

        return _BindRun


class ArvoPlugin(SimplePlugin):
    """Serve an ``ArvoApp`` with plain Temporal clients, workers and replayers.

    Args:
        app: what workers built with this plugin serve; None for a client that only sends
            events and looks at executions.
        sandboxed_machines: build each run's machines inside the workflow sandbox, so a machine
            function that reads the clock, draws random numbers or uuids, or does I/O fails with
            the sandbox's ``RestrictedWorkflowAccessError`` (the machine then fails with a
            ``sys.<source>.error``). False passes the machines built by the worker process in as
            they are: faster, and unguarded.
        passthrough_modules: more modules to share with the sandbox (modules your machines
            import that are deterministic and costly to import per run). The modules that
            define the machines' contract models are shared already, unless they also build a
            machine.
        tracing: add Temporal's OpenTelemetry interceptor; None (the default) adds it when an
            OpenTelemetry SDK tracer provider is installed.
        register_attributes: a worker registers Arvo's search attributes on its namespace when
            it starts (idempotent; a cluster that refuses, e.g. Temporal Cloud where attributes
            are managed in the console, only logs a warning).

    Raises:
        ConfigViolation: with ``sandboxed_machines``, a machine the sandbox cannot build again
            (built in ``__main__``, in a nested function, or by a function that needs
            arguments); the message says how to fix it.
    """

    def __init__(
        self,
        app: ArvoApp | None = None,
        *,
        sandboxed_machines: bool = True,
        passthrough_modules: Iterable[str] = (),
        tracing: bool | None = None,
        register_attributes: bool = True,
    ) -> None:
        self.app = app
        self.register_attributes = register_attributes
        self.sandboxed_machines = sandboxed_machines
        self.passthrough_modules = (*PASSTHROUGH_MODULES, *passthrough_modules)
        if app is not None and sandboxed_machines:
            machines = [machine for spec in app.orchestrators.values() for machine in spec.machines]
            for machine in machines:
                check_rebuildable(machine)
            for spec in app.orchestrators.values():
                if isinstance(spec, ResumableSpec):
                    rebuild_resumable(spec.resumable)  # refuses one the sandbox cannot build
            self.passthrough_modules += tuple(sorted(contract_modules(machines)))
        interceptors: list[Any] = []
        if tracing if tracing is not None else tracing_configured():
            interceptors.append(TracingInterceptor())
        if app is not None:
            interceptors.append(_BindingInterceptor(AppBinding(app, sandboxed_machines)))
        super().__init__(
            PLUGIN_NAME,
            data_converter=arvo_data_converter,
            interceptors=interceptors,
            workflows=(
                [ArvoMachineWorkflow, LegacyArvoMachineWorkflow, ArvoScheduledStart]
                if app is not None
                else None
            ),
            workflow_runner=self._sandbox_runner if app is not None else None,
        )

    def _sandbox_runner(self, runner: WorkflowRunner | None) -> WorkflowRunner:
        if runner is None:
            runner = SandboxedWorkflowRunner()
        if isinstance(runner, SandboxedWorkflowRunner):
            return dataclasses.replace(
                runner,
                restrictions=runner.restrictions.with_passthrough_modules(
                    *self.passthrough_modules
                ),
            )
        return runner

    async def run_worker(self, worker: Worker, next: Callable[[Worker], Awaitable[None]]) -> None:
        """Register Arvo's search attributes (see ``register_attributes``), then run."""
        if self.app is not None and self.register_attributes:
            await _register_attributes(worker.client)
        await super().run_worker(worker, next)

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """Add the app's activities, bound to the worker's client (see the base class)."""
        config = super().configure_worker(config)
        if self.app is not None:
            activities = ArvoActivities(self.app, config["client"])
            config["activities"] = [
                *config.get("activities", ()),
                activities.handle,
                activities.dispatch,
                activities.cancel_own_run,
                ScheduledStartActivities(config["client"]).start,
            ]
        return config
