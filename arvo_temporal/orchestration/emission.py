"""Turning a machine's raw events into ArvoEvents (docs/arvo.md §5.4) and errors into
``sys.<source>.error`` events (§5.6).

Everything that varies per call (ids, time, trace headers) comes in through ``EmissionContext``;
nothing here reads a clock or draws an id, so the Temporal workflow gets identical events on replay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from arvo_temporal.contracts import (
    PARENT_SUBJECT_KEY,
    VersionedArvoContract,
    build_dataschema,
    error_to_data,
    validate_data,
)
from arvo_temporal.domains import (
    ORCHESTRATION_CONTEXT,
    DomainToken,
    resolve_domain,
    unique_in_order,
)
from arvo_temporal.errors import (
    ContractViolation,
    DataValidationError,
    ExecutionViolation,
    InvalidSubjectError,
)
from arvo_temporal.events import ArvoEvent, create_arvo_event
from arvo_temporal.sources import IdClockSource
from arvo_temporal.subject import ArvoOrchestrationSubject, SubjectContent

__all__ = ["EmissionContext", "build_events", "build_system_errors", "completion_raw_event"]


@dataclass(frozen=True)
class EmissionContext:
    """What event building needs to know about the call in progress."""

    source: str
    execution_units: float | None
    consumed: ArvoEvent
    subject: SubjectContent
    parent_subject: str | None
    init_event_id: str | None
    self_contract: VersionedArvoContract
    service_contracts: Mapping[str, VersionedArvoContract]
    id_clock: IdClockSource
    traceparent: str | None = None
    tracestate: str | None = None

    def resolve(
        self, token: DomainToken, event_contract: VersionedArvoContract | None
    ) -> str | None:
        return resolve_domain(
            token,
            parent_subject=self.parent_subject,
            current_subject=self.consumed.subject,
            self_contract=self.self_contract,
            event_contract=event_contract,
            triggering_event=self.consumed,
        )


def completion_raw_event(
    output: Mapping[str, Any],
    *,
    complete_type: str,
    subject: SubjectContent,
    default_domains: tuple[DomainToken, ...],
) -> dict[str, Any]:
    """The raw completion event (docs/arvo.md §5.2 step 10): to ``meta.redirectto`` or the
    initiator;
    ``__id``, ``__domain`` and ``__executionunits`` in the output steer it."""
    domains = output.get("__domain")
    return {
        "type": complete_type,
        "id": output.get("__id"),
        "data": dict(output),
        "to": subject.meta.get("redirectto") or subject.execution.initiator,
        "domain": list(domains) if isinstance(domains, list) else list(default_domains),
        "executionunits": output.get("__executionunits"),
    }


def _service_index(
    contracts: Mapping[str, VersionedArvoContract],
) -> dict[str, VersionedArvoContract]:
    return {contract.accepts_type: contract for contract in contracts.values()}


def _child_subject(
    ctx: EmissionContext,
    raw: Mapping[str, Any],
    contract: VersionedArvoContract,
    data: Mapping[str, Any],
    domain: str | None,
) -> str:
    """A child orchestration's subject, derived from ``parentSubject$$`` when given."""
    meta = {"redirectto": raw.get("redirectto") or ctx.source}
    parent = data.get(PARENT_SUBJECT_KEY)
    if parent:
        try:
            return ArvoOrchestrationSubject.from_parent(
                orchestrator=contract.accepts_type,
                version=contract.version,
                subject=parent,
                domain=domain,
                meta=meta,
                source=ctx.id_clock,
            )
        except InvalidSubjectError as error:
            raise ExecutionViolation(
                f"Invalid parentSubject$$ for the event(type='{raw.get('type')}'): {error}"
            ) from None
    return ArvoOrchestrationSubject.new(
        orchestrator=contract.accepts_type,
        version=contract.version,
        initiator=ctx.source,
        domain=domain,
        meta=meta,
        source=ctx.id_clock,
    )


def _one_event(ctx: EmissionContext, raw: Mapping[str, Any], token: DomainToken) -> ArvoEvent:
    event_type = raw.get("type")
    if not isinstance(event_type, str):
        raise ValueError(f"a machine emitted an event without a string 'type': {raw!r}")
    data = raw.get("data") or {}
    subject = ctx.consumed.subject
    parentid: str | None = ctx.consumed.id
    contract: VersionedArvoContract | None = None
    complete_type = ctx.self_contract.complete_event_type
    services = _service_index(ctx.service_contracts)

    if event_type == complete_type:
        contract = ctx.self_contract
        domain = ctx.resolve(token, contract)
        subject = ctx.parent_subject or ctx.consumed.subject
        parentid = ctx.init_event_id
    elif event_type in services:
        contract = services[event_type]
        domain = ctx.resolve(token, contract)
        if contract.is_orchestrator:
            subject = _child_subject(ctx, raw, contract, data, domain)
    else:
        domain = ctx.resolve(token, None)

    if contract is not None:
        schema = contract.schema_for(event_type)
        assert schema is not None
        try:
            data = validate_data(schema, data, what=f"{event_type} data")
        except DataValidationError as error:
            raise ContractViolation(
                f"Invalid event (type='{event_type}') emitted by {ctx.source}: {error}"
            ) from None
        dataschema: str | None = build_dataschema(contract.uri, contract.version)
    else:
        dataschema = raw.get("dataschema")

    units = raw.get("executionunits")
    return create_arvo_event(
        id=raw.get("id"),
        source=ctx.source,
        type=event_type,
        subject=subject,
        dataschema=dataschema,
        data=data,
        to=raw.get("to") or event_type,
        accesscontrol=raw.get("accesscontrol") or ctx.consumed.accesscontrol,
        redirectto=raw.get("redirectto") or ctx.source,
        executionunits=units if units is not None else ctx.execution_units,
        traceparent=ctx.traceparent,
        tracestate=ctx.tracestate,
        parentid=parentid,
        domain=domain,
        extensions=raw.get("__extensions") or {},
        id_clock=ctx.id_clock,
    )


def build_events(
    ctx: EmissionContext,
    raw_events: Sequence[Mapping[str, Any]],
    *,
    default_service_domains: tuple[DomainToken, ...],
) -> list[ArvoEvent]:
    """One ArvoEvent per distinct domain token of each raw event, in emission order.

    Raises:
        ContractViolation: an emitted event's data breaks its contract.
        ExecutionViolation: a child orchestration's ``parentSubject$$`` is invalid.
        ArvoEventValidationError: a non-contract event is malformed (an ordinary error).
    """
    events: list[ArvoEvent] = []
    for raw in raw_events:
        requested = raw.get("domain")
        tokens = list(requested) if isinstance(requested, list) else list(default_service_domains)
        for token in unique_in_order(tokens):
            events.append(_one_event(ctx, raw, token))
    return events


def build_system_errors(
    ctx: EmissionContext,
    error: BaseException,
    *,
    domains: tuple[DomainToken, ...] = (ORCHESTRATION_CONTEXT,),
) -> list[ArvoEvent]:
    """``sys.<source>.error`` events for an ordinary failure (docs/arvo.md §5.6): to the initiator
    (never ``meta.redirectto``), on the parent's subject for a child, one per resolved domain."""
    resolved = unique_in_order(ctx.resolve(token, ctx.self_contract) for token in domains)
    data = error_to_data(error)
    return [
        create_arvo_event(
            source=ctx.source,
            type=f"sys.{ctx.source}.error",
            subject=ctx.parent_subject or ctx.consumed.subject,
            data=data,
            dataschema=build_dataschema(ctx.self_contract.uri, "0.0.0"),
            to=ctx.subject.execution.initiator or ctx.consumed.source,
            accesscontrol=ctx.consumed.accesscontrol,
            executionunits=ctx.execution_units,
            parentid=ctx.init_event_id or ctx.consumed.id,
            traceparent=ctx.traceparent,
            tracestate=ctx.tracestate,
            domain=domain,
            id_clock=ctx.id_clock,
        )
        for domain in resolved
    ]
