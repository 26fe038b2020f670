"""An execution's life, step by step, rebuilt from its Temporal history alone.

``arvo-temporal inspect``, ``export`` and ``graph ID`` need what each event did: the state before
and after, the context change, the events emitted (with the ids, times and subjects the execution
really gave them), violations and timers. The history holds the events that came in, but not
what the machine emitted to sinks or other orchestrators, nor the ids it minted (they come from
the run's seeded ``workflow.uuid4()``). So the history is replayed through the real workflow code
with Temporal's ``Replayer`` — which reproduces every id and time exactly, needs no worker and
no query — while the pure core is watched from the outside:

* the orchestrator's registry is asked for the machine at the start of every step (an event, a
  due timer, a cancellation), which is when the execution's record *before* the step is read
  through the workflow's own ``snapshot`` / ``status`` query methods;
* the execution engine is wrapped to learn what triggered the step (an event or a timer) and
  whether the machine raised.

The record before one step is the record after the previous one; the workflow instance gives the
last. A history that is not an Arvo execution, or that the app's code no longer replays, is a
clear error (:class:`TimelineError`). Executions that continued as new are several runs; each
run's history is replayed in turn and the steps are numbered across them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    Replayer,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from arvo_temporal.cli._errors import EXIT_RUNTIME, EXIT_USAGE, CommandError
from arvo_temporal.cli._json_patch import json_patch
from arvo_temporal.engine import MachineExecutionEngine, MachineExecutionResult, TimerCapableEngine
from arvo_temporal.events import ArvoEvent
from arvo_temporal.machine import ArvoMachine
from arvo_temporal.orchestration.step import OrchestratorSettings
from arvo_temporal.registry import MachineRegistry
from arvo_temporal.subject import ArvoOrchestrationSubject, SubjectContent
from arvo_temporal.temporal._app import ArvoApp, OrchestratorSpec
from arvo_temporal.temporal._plugin import ArvoPlugin
from arvo_temporal.temporal._workflow import WORKFLOW_NAME, WORKFLOW_NAMES, ArvoMachineWorkflow

__all__ = [
    "StepKind",
    "Timeline",
    "TimelineError",
    "TimelineStep",
    "iso_time",
    "replay_timeline",
    "workflow_type_of",
]

StepKind = Literal["event", "timer", "cancel", "rejected"]


class TimelineError(CommandError):
    """The history cannot be shown: not an Arvo execution or an orchestrator the app does not
    serve (exit 2), or the app's code no longer replays it (exit 1)."""

    def __init__(self, message: str, *, code: int = EXIT_USAGE) -> None:
        super().__init__(message, code=code)


def iso_time(epoch_ms: float | None) -> str | None:
    """ISO-8601 (UTC, milliseconds) for epoch milliseconds."""
    if epoch_ms is None:
        return None
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _timers(record: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    state = (record or {}).get("state") or {}
    return {
        str(timer["id"]): timer
        for timer in state.get("timers") or []
        if isinstance(timer, Mapping) and "id" in timer
    }


def _context(record: Mapping[str, Any] | None) -> Any:
    state = (record or {}).get("state") or {}
    return state.get("context")


@dataclass(frozen=True)
class TimelineStep:
    """One step of an execution: what came in, and what the machine did with it.

    Attributes:
        number: 1-based, across every run of the execution.
        run: the 1-based run (continue-as-new starts another) the step happened in.
        kind: ``event`` (an event was applied), ``timer`` (a delayed transition fired),
            ``cancel`` (the execution was cancelled or timed out), ``rejected`` (an event was
            refused: see ``violation``).
        time_ms: workflow time of the step, epoch milliseconds.
        event: the consumed ArvoEvent (``to_json`` form) for ``event`` steps.
        timer: the delivered timer event for ``timer`` steps.
        record_before / record_after: the machine memory record around the step.
        violation: why the event was refused or the machine failed (``Type: message``).
        rejected_event: the id and type of a refused event.
    """

    number: int
    run: int
    kind: StepKind
    time_ms: float
    event: dict[str, Any] | None = None
    timer: dict[str, Any] | None = None
    record_before: dict[str, Any] | None = None
    record_after: dict[str, Any] | None = None
    violation: str | None = None
    rejected_event: dict[str, str] | None = None

    @property
    def value_before(self) -> Any:
        return (self.record_before or {}).get("value")

    @property
    def value_after(self) -> Any:
        return (self.record_after or {}).get("value")

    @property
    def status_after(self) -> str | None:
        record = self.record_after or {}
        if record.get("executionStatus") == "failure":
            return "failed"
        status = record.get("status")
        return str(status) if status is not None else None

    @property
    def context_patch(self) -> list[dict[str, Any]]:
        """RFC 6902 operations from the context before to the context after."""
        return json_patch(_context(self.record_before), _context(self.record_after))

    @property
    def emitted(self) -> list[dict[str, Any]]:
        """The events the step emitted, in emission order (``to_json`` form)."""
        if self.kind == "rejected" or self.record_after is None:
            return []
        events = self.record_after.get("events") or {}
        if self.record_before is not None and events == self.record_before.get("events"):
            return []
        return list(events.get("produced") or [])

    @property
    def timers_scheduled(self) -> list[dict[str, Any]]:
        before, after = _timers(self.record_before), _timers(self.record_after)
        return [dict(timer) for key, timer in after.items() if before.get(key) != timer]

    @property
    def timers_cancelled(self) -> list[str]:
        """Timers pending before and gone after, other than the one that fired; a cancelled or
        failed execution keeps its timers in the record, but none of them will fire."""
        before, after = _timers(self.record_before), _timers(self.record_after)
        fired = (self.timer or {}).get("type")
        ended = self.status_after in ("cancelled", "failed")
        return [key for key in before if (ended or key not in after) and key != fired]

    def to_json(self, *, full: bool = False) -> dict[str, Any]:
        """The row ``inspect --json`` prints; ``full`` adds the whole record after the step."""
        event = self.event or {}
        row: dict[str, Any] = {
            "step": self.number,
            "run": self.run,
            "kind": self.kind,
            "time": iso_time(self.time_ms),
            "event": (
                {key: event.get(key) for key in ("type", "id", "source")}
                if self.event
                else self.rejected_event
            ),
            "timer": (self.timer or {}).get("type"),
            "state_before": self.value_before,
            "state_after": self.value_after,
            "status": self.status_after,
            "context_patch": self.context_patch,
            "emitted": [
                {key: emitted.get(key) for key in ("type", "id", "to", "domain")}
                for emitted in self.emitted
            ],
            "violation": self.violation,
            "timers_scheduled": [
                {"id": timer.get("id"), "due": iso_time(timer.get("due_ms"))}
                for timer in self.timers_scheduled
            ],
            "timers_cancelled": self.timers_cancelled,
        }
        if full:
            row["record"] = self.record_after
        return row


@dataclass(frozen=True)
class Timeline:
    """Every step of one execution, and where it stands at the end of its history.

    Attributes:
        workflow_id: the execution's workflow id.
        subject / orchestrator: whose execution it is.
        runs: how many runs (continue-as-new) the history covered.
        steps: in the order the execution took them.
        record: the machine memory record at the end.
        status: the ``status`` query's answer at the end, as JSON (None if it cannot be had).
    """

    workflow_id: str
    subject: str
    orchestrator: str
    runs: int
    steps: tuple[TimelineStep, ...]
    record: dict[str, Any] | None
    status: dict[str, Any] | None

    def events(self) -> list[dict[str, Any]]:
        """Every consumed and emitted ArvoEvent in order, each once (the audit log)."""
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        for step in self.steps:
            for event in ([step.event] if step.event else []) + step.emitted:
                if str(event.get("id")) not in seen:
                    seen.add(str(event.get("id")))
                    out.append(event)
        return out


# ------------------------------------------------------------------------------- observation


@dataclass
class _Observed:
    """What was seen at the start of one step (the registry was asked for the machine)."""

    time_ms: float
    record: dict[str, Any] | None
    rejections: list[dict[str, Any]]
    trigger: Literal["event", "timer"] | None = None
    event: dict[str, Any] | None = None
    timer: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class _Journal:
    """Shared by the observing registry, engine and interceptor of one replay."""

    observed: list[_Observed] = field(default_factory=list)
    instance: ArvoMachineWorkflow | None = None

    def step_starts(self) -> None:
        instance = workflow.instance()
        if not isinstance(instance, ArvoMachineWorkflow):
            return
        self.instance = instance
        self.observed.append(
            _Observed(
                time_ms=workflow.now().timestamp() * 1000,
                record=instance.snapshot(),
                rejections=_rejections(instance),
            )
        )

    def triggered(self, kind: Literal["event", "timer"], payload: dict[str, Any]) -> None:
        if self.observed:
            current = self.observed[-1]
            current.trigger = kind
            if kind == "event":
                current.event = payload
            else:
                current.timer = payload

    def failed(self, error: Exception) -> None:
        if self.observed:
            self.observed[-1].error = f"{type(error).__name__}: {error}"


def _rejections(instance: ArvoMachineWorkflow) -> list[dict[str, Any]]:
    try:
        view = instance.status()
    except Exception:  # a view that needs the workflow context, read outside it
        return []
    return [rejection.model_dump(mode="json") for rejection in view.rejections]


class _ObservedRegistry(MachineRegistry):
    """The orchestrator's registry; every step asks it for the machine first (docs/arvo.md §5.2)."""

    def __init__(self, journal: _Journal, *machines: ArvoMachine) -> None:
        super().__init__(*machines)
        self._journal = journal

    def resolve_subject(self, subject: SubjectContent) -> ArvoMachine | None:
        self._journal.step_starts()
        return super().resolve_subject(subject)


class _ObservedEngine:
    """The orchestrator's engine, unchanged, telling the journal what triggered the step."""

    def __init__(self, journal: _Journal, inner: MachineExecutionEngine) -> None:
        self._journal = journal
        self._inner = inner

    def execute(
        self,
        *,
        machine: ArvoMachine,
        state: Mapping[str, Any] | None,
        event: ArvoEvent,
        now_ms: float = 0,
    ) -> MachineExecutionResult:
        self._journal.triggered("event", event.to_json())
        try:
            return self._inner.execute(machine=machine, state=state, event=event, now_ms=now_ms)
        except Exception as error:
            self._journal.failed(error)
            raise


class _ObservedTimerEngine(_ObservedEngine):
    def __init__(self, journal: _Journal, inner: TimerCapableEngine) -> None:
        super().__init__(journal, inner)
        self._timers = inner

    def fire_timer(
        self,
        *,
        machine: ArvoMachine,
        state: Mapping[str, Any],
        timer_event: Mapping[str, Any],
        now_ms: float,
    ) -> MachineExecutionResult:
        self._journal.triggered("timer", dict(timer_event))
        try:
            return self._timers.fire_timer(
                machine=machine, state=state, timer_event=timer_event, now_ms=now_ms
            )
        except Exception as error:
            self._journal.failed(error)
            raise


@dataclass(frozen=True)
class _ObservedSpec(OrchestratorSpec):
    """An orchestrator whose pure-core settings report to a journal."""

    journal: _Journal = field(default_factory=_Journal, compare=False)

    def settings(self) -> OrchestratorSettings:
        inner = self.engine
        engine: MachineExecutionEngine = (
            _ObservedTimerEngine(self.journal, inner)
            if isinstance(inner, TimerCapableEngine)
            else _ObservedEngine(self.journal, inner)
        )
        return OrchestratorSettings(
            registry=_ObservedRegistry(self.journal, *self.machines),
            engine=engine,
            execution_units=self.execution_units,
            domains=self.domains,
        )


class _KeepInstance(Interceptor):
    """Keeps the replayed workflow instance, to read its final record after the replay."""

    def __init__(self, journal: _Journal) -> None:
        self._journal = journal

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        journal = self._journal

        class _Keep(WorkflowInboundInterceptor):
            async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
                instance = workflow.instance()
                if isinstance(instance, ArvoMachineWorkflow):
                    journal.instance = instance
                return await super().execute_workflow(input)

        return _Keep


def _observed_app(app: ArvoApp, journal: _Journal) -> ArvoApp:
    orchestrators = [
        _ObservedSpec(**{f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)},
                      journal=journal)
        for spec in app.orchestrators.values()
    ]  # fmt: skip
    return ArvoApp(
        orchestrators=orchestrators,
        handlers=app.handlers.values(),
        task_queue=app.task_queue,
    )


# ------------------------------------------------------------------------------------ replay


def workflow_type_of(history: WorkflowHistory) -> str | None:
    """The workflow type the history's first event started, or None for an empty history."""
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            return event.workflow_execution_started_event_attributes.workflow_type.name
    return None


async def _replay_run(
    history: WorkflowHistory, app: ArvoApp, data_converter: DataConverter
) -> _Journal:
    journal = _Journal()
    replayer = Replayer(
        workflows=[],
        plugins=[ArvoPlugin(_observed_app(app, journal), sandboxed_machines=False)],
        interceptors=[_KeepInstance(journal)],
        data_converter=data_converter,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    if result.replay_failure is not None:
        failure = result.replay_failure
        raise TimelineError(
            f"the history of {history.workflow_id} does not replay with this app's code "
            f"({type(failure).__name__}: {' '.join(str(failure).split())[:300]}); inspect it "
            "with the code that ran it",
            code=EXIT_RUNTIME,
        )
    return journal


def _steps(journal: _Journal, run: int, first_number: int) -> list[TimelineStep]:
    """Turn the observations of one run into steps: each observation's 'after' is the next one's
    'before' (or the instance's record at the end)."""
    instance = journal.instance
    final_record = instance.snapshot() if instance is not None else None
    final_rejections = _rejections(instance) if instance is not None else []
    steps: list[TimelineStep] = []
    observed = journal.observed
    known = {_rejection_key(item) for item in observed[0].rejections} if observed else set()
    for index, seen in enumerate(observed):
        later = observed[index + 1] if index + 1 < len(observed) else None
        after = later.record if later is not None else final_record
        rejections_after = later.rejections if later is not None else final_rejections
        new = [item for item in rejections_after if _rejection_key(item) not in known]
        known.update(_rejection_key(item) for item in new)
        number = first_number + len(steps)
        if seen.trigger is not None:
            steps.append(
                TimelineStep(
                    number=number,
                    run=run,
                    kind=seen.trigger,
                    time_ms=seen.time_ms,
                    event=seen.event,
                    timer=seen.timer,
                    record_before=seen.record,
                    record_after=after,
                    violation=seen.error,
                )
            )
        elif (after or {}).get("status") == "cancelled" and (seen.record or {}).get(
            "status"
        ) != "cancelled":
            steps.append(
                TimelineStep(
                    number=number,
                    run=run,
                    kind="cancel",
                    time_ms=seen.time_ms,
                    record_before=seen.record,
                    record_after=after,
                )
            )
        for rejection in new:
            steps.append(
                TimelineStep(
                    number=first_number + len(steps),
                    run=run,
                    kind="rejected",
                    time_ms=seen.time_ms,
                    record_before=after,
                    record_after=after,
                    violation=f"{rejection.get('error_type')}: {rejection.get('message')}",
                    rejected_event={
                        "type": str(rejection.get("event_type")),
                        "id": str(rejection.get("event_id")),
                    },
                )
            )
    if not observed:
        for rejection in final_rejections:
            steps.append(
                TimelineStep(
                    number=first_number + len(steps),
                    run=run,
                    kind="rejected",
                    time_ms=0,
                    violation=f"{rejection.get('error_type')}: {rejection.get('message')}",
                    rejected_event={
                        "type": str(rejection.get("event_type")),
                        "id": str(rejection.get("event_id")),
                    },
                )
            )
    return steps


def _rejection_key(rejection: Mapping[str, Any]) -> tuple[str, str, str]:
    return (
        str(rejection.get("event_id")),
        str(rejection.get("error_type")),
        str(rejection.get("message")),
    )


async def replay_timeline(
    histories: Sequence[WorkflowHistory],
    *,
    app: ArvoApp,
    data_converter: DataConverter | None = None,
) -> Timeline:
    """Replay the runs of one execution, oldest first, and return its steps.

    Args:
        histories: the history of each run (one unless it continued as new), oldest first.
        app: the app whose machines the execution ran (the same code).
        data_converter: the converter, with the codec, the history was written with.

    Raises:
        TimelineError: a history that is not an ``ArvoMachineWorkflow``, an orchestrator the app
            does not serve, or code that no longer replays the history.
    """
    if not histories:
        raise TimelineError("no history to inspect")
    converter = data_converter or DataConverter.default
    steps: list[TimelineStep] = []
    journal = _Journal()
    for run, history in enumerate(histories, start=1):
        kind = workflow_type_of(history)
        if kind not in WORKFLOW_NAMES:
            raise TimelineError(
                f"{history.workflow_id} is not an Arvo execution (its workflow type is "
                f"{kind or 'unknown: the history has no start event'}, not {WORKFLOW_NAME})"
            )
        if run == 1:
            _check_served(history, app, converter)
        journal = await _replay_run(history, app, converter)
        steps.extend(_steps(journal, run, len(steps) + 1))
    instance = journal.instance
    if instance is None:
        raise TimelineError(f"{histories[-1].workflow_id}: the replay never started the workflow")
    view = _final_view(instance)
    record = instance.snapshot()
    subject = str((view or record or {}).get("subject") or "")
    return Timeline(
        workflow_id=histories[-1].workflow_id,
        subject=subject,
        orchestrator=str((view or {}).get("orchestrator") or _orchestrator_name(subject)),
        runs=len(histories),
        steps=tuple(steps),
        record=record,
        status=view,
    )


def _orchestrator_name(subject: str) -> str:
    try:
        return ArvoOrchestrationSubject.parse(subject).orchestrator.name
    except ValueError:
        return ""


def _final_view(instance: ArvoMachineWorkflow) -> dict[str, Any] | None:
    try:
        return instance.status().model_dump(mode="json")
    except Exception:  # a view that needs the workflow context, read outside it
        return None


def _check_served(history: WorkflowHistory, app: ArvoApp, converter: DataConverter) -> None:
    """Refuse, before replaying, an orchestrator the app does not serve (one clear line)."""
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            continue
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        orchestrator = _orchestrator_of(payloads)
        if orchestrator is not None and orchestrator not in app.orchestrators:
            raise TimelineError(
                f"{history.workflow_id} runs {orchestrator}, which the app does not serve "
                f"(it serves {', '.join(sorted(app.orchestrators)) or 'nothing'})"
            )
        return


def _orchestrator_of(payloads: Sequence[Any]) -> str | None:
    """The ``orchestrator`` of the start input, when it is plain JSON (not encrypted)."""
    if not payloads:
        return None
    payload = payloads[0]
    if payload.metadata.get("encoding") != b"json/plain":
        return None
    try:
        value = json.loads(payload.data)
    except ValueError:
        return None
    found = value.get("orchestrator") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None
