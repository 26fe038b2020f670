"""ArvoApp: what one deployment serves — orchestrators, service handlers and sinks.

The workflow needs each orchestrator's machines, and the activities need the handlers and sinks.
Machines hold Python callables, which cannot travel in a workflow payload: ``ArvoPlugin(app)``
hands the app to each workflow run (``arvo_temporal.temporal._plugin``).

Routing of emitted events, decided once, in the workflow (the dispatch activity carries it out):

1. an event with a non-null ``domain`` goes to the sink of that domain (e.g. ``external`` for a
   person), never to a service, as in Arvo's broker;
2. otherwise, by ``to``: an orchestrator of this app → its workflow; a handler of this app → the
   handler activity, whose results come back; anything else → the ``default`` sink.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from arvo_temporal.engine import MachineExecutionEngine, StatechartExecutionEngine
from arvo_temporal.errors import ConfigViolation
from arvo_temporal.events import ArvoEvent
from arvo_temporal.handler import ArvoEventHandler
from arvo_temporal.machine import ArvoMachine
from arvo_temporal.orchestration.resumable_step import ResumableSettings
from arvo_temporal.orchestration.step import EmissionDomains, OrchestratorSettings, SizeLimits
from arvo_temporal.registry import MachineRegistry
from arvo_temporal.resumable import ArvoResumable
from arvo_temporal.sinks import DeadLetterSink, EventSink, SinkRouter

__all__ = [
    "DEFAULT_SINK_ATTEMPTS",
    "DEFAULT_TASK_QUEUE",
    "AnySpec",
    "ArvoApp",
    "HandlerSettings",
    "OrchestratorSpec",
    "ResumableSpec",
    "Route",
]

DEFAULT_TASK_QUEUE = "arvo"
DEFAULT_SINK_ATTEMPTS = 20
"""Delivery attempts before a sink that keeps failing is given up on (see ``ArvoApp``)."""
Route = Literal["orchestrator", "handler", "sink"]


@dataclass(frozen=True)
class OrchestratorSpec:
    """One orchestrator: every version of its machine plus how it runs.

    Attributes:
        machines: the machine versions (same source, distinct versions).
        execution_units: Arvo's cost figure put on the events it emits.
        execution_timeout: end an execution that has not finished in this time (status
            ``cancelled`` with the reason "the execution timeout was reached", Temporal run
            CANCELED, initiator told once with ``sys.<source>.error``); None for no limit.
        domains: default emission domains.
        engine: the machine execution engine.
    """

    machines: tuple[ArvoMachine, ...]
    execution_units: float | None = None
    execution_timeout: timedelta | None = None
    domains: EmissionDomains = field(default_factory=EmissionDomains)
    engine: MachineExecutionEngine = field(default_factory=StatechartExecutionEngine)

    @property
    def source(self) -> str:
        """``arvo.orc.<name>``."""
        return self.machines[0].source

    def settings(self) -> OrchestratorSettings:
        """The pure core's view of this orchestrator."""
        return OrchestratorSettings(
            registry=MachineRegistry(*self.machines),
            engine=self.engine,
            execution_units=self.execution_units,
            domains=self.domains,
        )


@dataclass(frozen=True)
class ResumableSpec:
    """One resumable orchestrator (``create_arvo_resumable``) and how it runs on Temporal: in
    the same one-workflow-per-subject shell as machines, its handler functions called inside
    the workflow (held to the sandbox like machine code; its in-process memory is not used).

    Attributes:
        resumable: the resumable, built at module level or by a module-level function with
            plain-data arguments (the worker builds it again inside each run's sandbox).
        execution_timeout: as for ``OrchestratorSpec``.
    """

    resumable: ArvoResumable
    execution_timeout: timedelta | None = None

    @property
    def source(self) -> str:
        """``arvo.orc.<name>``."""
        return self.resumable.source

    @property
    def machines(self) -> tuple[ArvoMachine, ...]:
        """None: a resumable is code, not a statechart."""
        return ()

    def settings(self) -> ResumableSettings:
        """The pure core's view of this orchestrator."""
        return self.resumable.settings


AnySpec = OrchestratorSpec | ResumableSpec
"""What an app serves for one orchestrator source."""


@dataclass(frozen=True)
class HandlerSettings:
    """How one service handler runs as an activity; None takes the app's value.

    Attributes:
        local: run as a *local* activity, in the worker that runs the workflow, inside its
            workflow task: no activity task round trip through the server and two history
            events fewer per call (one marker instead of scheduled/started/completed and the
            next workflow task). For short handlers (the app's default); a worker lost in the
            middle is noticed when its workflow task times out (10 s) and the call is made again
            by the next worker. False: a regular activity, for long handlers (with heartbeats)
            or handlers that scale apart on their own ``task_queue``.
        timeout: how long one attempt may run.
        heartbeat: how soon a lost worker is noticed (the attempt is retried elsewhere);
            regular activities only.
        task_queue: the task queue of a regular activity (None: the app's); a worker started
            with ``create_worker(client, app=app, task_queue=...)`` serves it.
    """

    local: bool | None = None
    timeout: timedelta | None = None
    heartbeat: timedelta | None = None
    task_queue: str | None = None


def _as_spec(
    value: AnySpec | ArvoResumable | ArvoMachine | Sequence[ArvoMachine],
) -> AnySpec:
    if isinstance(value, (OrchestratorSpec, ResumableSpec)):
        return value
    if isinstance(value, ArvoResumable):
        return ResumableSpec(resumable=value)
    if isinstance(value, ArvoMachine):
        return OrchestratorSpec(machines=(value,))
    return OrchestratorSpec(machines=tuple(value))


class ArvoApp:
    """A deployable set of orchestrators, handlers and sinks.

    Args:
        orchestrators: ``OrchestratorSpec``s, or machines (one per orchestrator), or sequences of
            machine versions of one orchestrator.
        handlers: service handlers run as activities.
        sinks: where events leaving the system go, by domain (``"default"`` for domain null).
        default_sink: where events of any other domain go (None: to the dead-letter sink).
        task_queue: the task queue its workers poll and its workflows run on.
        handler_timeout: how long one handler activity attempt may run (5 minutes).
        handler_heartbeat: how soon a worker lost in the middle of a handler is noticed (10 s):
            the activity heartbeats while the handler runs, and Temporal retries the attempt
            elsewhere once no heartbeat came for this long.
        handler_settings: per handler source, ``HandlerSettings`` that override the two above,
            and ``local_handlers``.
        local_handlers: run handlers as local activities (``HandlerSettings.local``; True).
        dead_letter: where events a sink refused for good are kept
            (``arvo_temporal/sinks/_dead_letters.py``); None: the worker's default, the file
            ``.arvo-temporal/dead-letter.jsonl`` (the CLI and ``workers/main.py`` put it under
            ``ARVO_DATA_DIR`` or use ``ARVO_DEAD_LETTER``).
        sink_attempts: how many times a delivery a sink may accept later (timeout, 5xx,
            408/429) is tried before its events go to the dead-letter sink (20: about six and a
            half minutes of backing off from 0.2 s to 30 s, longer when a receiver asks with
            ``Retry-After``). A sink that fails forever then no longer holds the execution's
            later deliveries, which wait behind it to keep emission order.

        size_limits: how large a machine's record and each emitted event may grow
            (``SizeLimits``: 1 MiB and 256 KiB of JSON); an execution that outgrows them fails
            with ``sys.<source>.error`` rather than wedge its run on Temporal's 2 MiB limit.

    Raises:
        ConfigViolation: two orchestrators or handlers with the same source, or
            ``sink_attempts`` below 1.
    """

    def __init__(
        self,
        *,
        orchestrators: Iterable[
            AnySpec | ArvoResumable | ArvoMachine | Sequence[ArvoMachine]
        ] = (),
        handlers: Iterable[ArvoEventHandler] = (),
        sinks: Mapping[str, EventSink] | None = None,
        default_sink: EventSink | None = None,
        task_queue: str = DEFAULT_TASK_QUEUE,
        handler_timeout: timedelta = timedelta(minutes=5),
        handler_heartbeat: timedelta = timedelta(seconds=10),
        handler_settings: Mapping[str, HandlerSettings] | None = None,
        dead_letter: DeadLetterSink | None = None,
        sink_attempts: int = DEFAULT_SINK_ATTEMPTS,
        size_limits: SizeLimits | None = None,
        local_handlers: bool = True,
    ) -> None:
        self.local_handlers = local_handlers
        self.size_limits = size_limits or SizeLimits()
        if sink_attempts < 1:
            raise ConfigViolation(f"sink_attempts must be at least 1, not {sink_attempts}")
        self.sink_attempts = sink_attempts
        self.task_queue = task_queue
        self.handler_timeout = handler_timeout
        self.handler_heartbeat = handler_heartbeat
        self.handler_settings = dict(handler_settings or {})
        self.dead_letter = dead_letter
        self.orchestrators: dict[str, AnySpec] = {}
        for value in orchestrators:
            spec = _as_spec(value)
            if spec.source in self.orchestrators:
                raise ConfigViolation(f"Two orchestrators share the source {spec.source}")
            spec.settings()  # validates versions and sources now, not on the first event
            self.orchestrators[spec.source] = spec
        self.handlers: dict[str, ArvoEventHandler] = {}
        for handler in handlers:
            if handler.source in self.handlers or handler.source in self.orchestrators:
                raise ConfigViolation(f"Two services share the source {handler.source}")
            self.handlers[handler.source] = handler
        self.sinks = SinkRouter(dict(sinks or {}), default=default_sink)
        self._settings = {source: spec.settings() for source, spec in self.orchestrators.items()}

    def settings_for(self, source: str) -> OrchestratorSettings | ResumableSettings:
        """The orchestrator settings for a source.

        Raises:
            ConfigViolation: when this app has no such orchestrator.
        """
        try:
            return self._settings[source]
        except KeyError:
            raise ConfigViolation(
                f"No orchestrator {source} is registered in this worker "
                f"(registered: {sorted(self._settings)})"
            ) from None

    def handler_limits(self, source: str) -> HandlerSettings:
        """How one handler runs: its own settings, else the app's (every field resolved)."""
        own = self.handler_settings.get(source, HandlerSettings())
        return HandlerSettings(
            local=self.local_handlers if own.local is None else own.local,
            timeout=own.timeout or self.handler_timeout,
            heartbeat=own.heartbeat or self.handler_heartbeat,
            task_queue=own.task_queue or self.task_queue,
        )

    def route(self, event: ArvoEvent) -> tuple[Route, str]:
        """Where an emitted event goes, and the target (source or domain)."""
        if event.domain is not None:
            return "sink", event.domain
        target = event.to or ""
        if target in self.orchestrators:
            return "orchestrator", target
        if target in self.handlers:
            return "handler", target
        return "sink", "default"
