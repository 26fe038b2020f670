"""ArvoEventHandler: a stateless service bound to one contract (docs/arvo.md §6).

A handler receives an event of its contract's type, checks it against the contract (§2.6), calls
the implementation of the event's contract version, and turns what the implementation returns
into ArvoEvents with Arvo's routing defaults. Two kinds of failure are kept apart, as everywhere
in Arvo: *violations* (the event or the output breaks the contract, the deployment lacks the
version) are raised to the caller, while any other exception inside the implementation becomes a
``sys.<type>.error`` event sent back to whoever asked — a failed request is an answer, not a
crash.

Example::

    def add(request: HandlerInput) -> HandlerOutput:
        data = request.event.data
        return {"type": "evt.calculator.add.success", "data": {"result": data["a"] + data["b"]}}

    handler = create_arvo_event_handler(contract=calculator, handlers={"1.0.0": add})
    result = await handler.execute(event)
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, NotRequired, TypeAlias, TypedDict

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from arvo_temporal.contracts import (
    ArvoContract,
    SystemErrorSpec,
    VersionedArvoContract,
    error_to_data,
    parse_dataschema,
)
from arvo_temporal.domains import (
    ORCHESTRATION_CONTEXT,
    DomainToken,
    resolve_domain,
    unique_in_order,
)
from arvo_temporal.errors import (
    ArvoContractError,
    ConfigViolation,
    ContractViolation,
    DataValidationError,
    is_violation,
)
from arvo_temporal.events import ArvoEvent, ArvoEventIdInput, ExtensionValue, create_arvo_event
from arvo_temporal.orchestration.result import OrchestratorResult
from arvo_temporal.sources import SYSTEM_SOURCE, IdClockSource
from arvo_temporal.telemetry import (
    current_trace_headers,
    execution_span,
    log_to_span,
    set_emittable_attributes,
)

__all__ = [
    "ArvoEventHandler",
    "HandlerDomains",
    "HandlerFunction",
    "HandlerInput",
    "HandlerOutput",
    "HandlerResult",
    "create_arvo_event_handler",
]


class HandlerDomains(NamedTuple):
    """The domains an implementation may want to route by: its contract's and the event's."""

    self: str | None
    event: str | None


@dataclass(frozen=True)
class HandlerInput:
    """What an implementation is called with.

    ``event`` is the consumed event as received (its data is not replaced by the parsed data, as
    in Arvo); ``contract`` is the contract version the event was matched to; ``span`` is the
    handler's span, for implementations that want to add attributes or events.
    """

    event: ArvoEvent
    source: str
    contract: VersionedArvoContract
    domain: HandlerDomains
    span: Span | None = None


HandlerOutput = TypedDict(
    "HandlerOutput",
    {
        "type": str,
        "data": Mapping[str, Any],
        "id": NotRequired[ArvoEventIdInput],
        "time": NotRequired[str],
        "to": NotRequired[str | None],
        "accesscontrol": NotRequired[str | None],
        "redirectto": NotRequired[str | None],
        "executionunits": NotRequired[float | None],
        "domain": NotRequired[Sequence[DomainToken] | None],
        "__extensions": NotRequired[Mapping[str, ExtensionValue]],
    },
)
"""One raw output event; only ``type`` and ``data`` are required (any mapping of this shape
is accepted)."""

HandlerResult: TypeAlias = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
HandlerFunction: TypeAlias = Callable[[HandlerInput], HandlerResult | Awaitable[HandlerResult]]


def _first(*values: Any) -> Any:
    """JavaScript's ``a ?? b ?? c``: the first value that is not None."""
    for value in values:
        if value is not None:
            return value
    return None


def _issue_list(error: DataValidationError) -> str:
    return json.dumps([{"path": where, "message": what} for where, what in error.issues], indent=2)


def _check_implementations(contract: ArvoContract, handlers: Mapping[str, Any]) -> None:
    """Definition-time check: exactly one callable implementation per contract version."""
    missing = [v for v in contract.sorted_versions("asc") if v not in handlers]
    unknown = sorted(v for v in handlers if v not in contract.versions)
    not_callable = sorted(v for v, fn in handlers.items() if not callable(fn))
    problems = []
    if missing:
        problems.append(f"no implementation for version(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"implementations for unknown version(s) {', '.join(unknown)}")
    if not_callable:
        problems.append(f"non-callable implementation(s) for {', '.join(not_callable)}")
    if problems:
        raise ConfigViolation(
            f"ArvoEventHandler for contract '{contract.uri}' ({contract.type}): "
            + "; ".join(problems)
            + ". Every contract version needs exactly one implementation."
        )


class ArvoEventHandler:
    """A service handler for one contract; build it with :func:`create_arvo_event_handler`.

    Raises:
        ConfigViolation: at construction, when a contract version has no implementation (or an
            implementation names a version the contract does not have).
    """

    def __init__(
        self,
        *,
        contract: ArvoContract,
        handlers: Mapping[str, HandlerFunction],
        execution_units: float | None = None,
        id_clock: IdClockSource = SYSTEM_SOURCE,
    ) -> None:
        _check_implementations(contract, handlers)
        self.contract = contract
        self.handlers: dict[str, HandlerFunction] = dict(handlers)
        self.execution_units = execution_units
        self.id_clock = id_clock

    @property
    def source(self) -> str:
        """The handler's address on the bus: the contract's accepted type."""
        return self.contract.type

    @property
    def system_error(self) -> SystemErrorSpec:
        """The ``sys.<type>.error`` event this handler emits when its implementation fails."""
        return self.contract.system_error

    # ------------------------------------------------------------------ execute

    async def execute(
        self, event: ArvoEvent, *, inherit_from: Literal["EVENT", "CONTEXT"] = "EVENT"
    ) -> OrchestratorResult:
        """Handle one event (docs/arvo.md §6).

        Returns:
            The produced events: the implementation's outputs, or one system error event.

        Raises:
            ConfigViolation: wrong event type, or a dataschema version the contract lacks.
            ContractViolation: a foreign dataschema uri, data that breaks the accepts schema, or
                an output that breaks the emit schema.
            ViolationError: any violation the implementation raises, unchanged.
        """
        with execution_span(
            f"Handler<{self.contract.uri}>",
            event=event,
            kind=SpanKind.CONSUMER,
            inherit_from=inherit_from,
            attributes={"arvo.handler.execution.type": "handler"},
        ) as span:
            versioned = self._match(event, span)
            try:
                events = await self._run(event, versioned, span)
            except Exception as error:
                if is_violation(error):
                    raise
                span.set_attribute("arvo.handler.execution.status", "failure")
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, str(error)))
                events = self._system_error_events(event, versioned, error)
            else:
                span.set_attribute("arvo.handler.execution.status", "normal")
                span.set_status(Status(StatusCode.OK))
            set_emittable_attributes(span, events)
            return OrchestratorResult.from_events(events)

    def _match(self, event: ArvoEvent, span: Span) -> VersionedArvoContract:
        """The checks of docs/arvo.md §2.6 for a service handler; the version the event is for."""
        if event.type != self.contract.type:
            raise ConfigViolation(
                f"Event type mismatch: Received '{event.type}', expected '{self.contract.type}'"
            )
        parsed = parse_dataschema(event.dataschema)
        if parsed is not None and parsed[0] != self.contract.uri:
            raise ContractViolation(
                f"Contract URI mismatch: Handler expects '{self.contract.uri}' but event "
                f"dataschema specifies '{event.dataschema}'. Events must reference the same "
                "contract URI as their handler."
            )
        if parsed is None:
            log_to_span(
                span,
                "WARNING",
                f"Event dataschema {event.dataschema!r} is missing or unparseable; "
                "using the latest contract version",
            )
        version = parsed[1] if parsed is not None else "latest"
        try:
            versioned = self.contract.version(version)
        except ArvoContractError:
            available = ", ".join(self.contract.sorted_versions("asc"))
            raise ConfigViolation(
                f"Invalid contract version: {version}. Available versions: {available}"
            ) from None
        try:
            versioned.validate_accepts(event.data)
        except DataValidationError as error:
            raise ContractViolation(
                f"Input event payload validation failed: {_issue_list(error)}"
            ) from None
        return versioned

    async def _run(
        self, event: ArvoEvent, versioned: VersionedArvoContract, span: Span
    ) -> list[ArvoEvent]:
        request = HandlerInput(
            event=event,
            source=self.source,
            contract=versioned,
            domain=HandlerDomains(self=versioned.domain, event=event.domain),
            span=span,
        )
        result = self.handlers[versioned.version](request)
        if inspect.isawaitable(result):
            result = await result
        events: list[ArvoEvent] = []
        for index, output in enumerate(self._outputs(result)):
            events.extend(self._output_events(event, versioned, output, index))
        return events

    def _outputs(self, result: object) -> list[Mapping[str, Any]]:
        """None, one output or a list of outputs; anything else breaks the handler's contract."""
        if result is None:
            return []
        outputs = [result] if type(result) is dict or isinstance(result, Mapping) else result
        if not isinstance(outputs, (list, tuple)) or not all(
            type(output) is dict or isinstance(output, Mapping) for output in outputs
        ):
            raise ContractViolation(
                f"Handler for '{self.contract.uri}' must return None, an output mapping or a "
                f"list of them; got {type(result).__name__}"
            )
        return list(outputs)

    def _domains(
        self, tokens: Sequence[DomainToken], event: ArvoEvent, versioned: VersionedArvoContract
    ) -> list[str | None]:
        """Resolve the tokens, then de-duplicate: handlers de-duplicate *after* resolving."""
        return unique_in_order(
            resolve_domain(
                token,
                parent_subject=None,
                current_subject=event.subject,
                self_contract=versioned,
                event_contract=versioned,
                triggering_event=event,
            )
            for token in tokens
        )

    def _output_events(
        self,
        event: ArvoEvent,
        versioned: VersionedArvoContract,
        output: Mapping[str, Any],
        index: int,
    ) -> list[ArvoEvent]:
        event_type = output.get("type")
        if not isinstance(event_type, str) or event_type not in versioned.emits:
            raise ContractViolation(
                f"Handler output #{index} has type {event_type!r}, which {versioned.uri} "
                f"version {versioned.version} does not emit (expected one of "
                f"{versioned.emit_types})"
            )
        try:
            data = versioned.validate_emit(event_type, output.get("data"))
        except DataValidationError as error:
            raise ContractViolation(
                f"Emit event payload validation failed for '{event_type}': {_issue_list(error)}"
            ) from None
        tokens = output.get("domain")
        if tokens is None:
            tokens = [ORCHESTRATION_CONTEXT]
        elif isinstance(tokens, str):
            tokens = [tokens]
        traceparent, tracestate = current_trace_headers()
        return [
            create_arvo_event(
                id=output.get("id"),
                time=output.get("time"),
                source=self.source,
                type=event_type,
                subject=event.subject,
                dataschema=versioned.dataschema,
                data=data,
                to=_first(output.get("to"), event.redirectto, event.source),
                accesscontrol=_first(output.get("accesscontrol"), event.accesscontrol),
                redirectto=output.get("redirectto"),
                executionunits=_first(output.get("executionunits"), self.execution_units),
                parentid=event.id,
                domain=domain,
                traceparent=traceparent,
                tracestate=tracestate,
                extensions=output.get("__extensions"),
                id_clock=self.id_clock,
            )
            for domain in self._domains(tokens, event, versioned)
        ]

    def _system_error_events(
        self, event: ArvoEvent, versioned: VersionedArvoContract, error: Exception
    ) -> list[ArvoEvent]:
        """One ``sys.<type>.error`` per distinct resolved domain, back to the event's source
        (not its ``redirectto``: an error goes to whoever asked)."""
        traceparent, tracestate = current_trace_headers()
        system_error = self.contract.system_error
        return [
            create_arvo_event(
                source=self.source,
                type=system_error.type,
                subject=event.subject,
                dataschema=system_error.dataschema,
                data=error_to_data(error),
                to=event.source,
                accesscontrol=event.accesscontrol,
                executionunits=self.execution_units,
                parentid=event.id,
                domain=domain,
                traceparent=traceparent,
                tracestate=tracestate,
                id_clock=self.id_clock,
            )
            for domain in self._domains([ORCHESTRATION_CONTEXT], event, versioned)
        ]


def create_arvo_event_handler(
    *,
    contract: ArvoContract,
    handlers: Mapping[str, HandlerFunction],
    execution_units: float | None = None,
    id_clock: IdClockSource = SYSTEM_SOURCE,
) -> ArvoEventHandler:
    """Arvo's ``createArvoEventHandler``: one implementation per contract version.

    Args:
        contract: the service contract; the handler's ``source`` is its type.
        handlers: ``{"X.Y.Z": function}`` for every version; functions may be sync or async.
        execution_units: the cost stamped on produced events unless an output sets its own.
        id_clock: where event ids and times come from (deterministic inside workflows).

    Raises:
        ConfigViolation: when a version has no implementation.
    """
    return ArvoEventHandler(
        contract=contract, handlers=handlers, execution_units=execution_units, id_clock=id_clock
    )
