"""Event factories bound to a versioned contract (arvo-core's ``createArvoEventFactory`` and
``createArvoOrchestratorEventFactory``, docs/arvo.md §4).

They validate the data against the contract (the event carries the *parsed* data: defaults
applied, unknown keys stripped), set ``dataschema`` to ``<uri>/<version>`` (``<uri>/0.0.0`` for
system errors), force Arvo's content type, and derive a subject when none is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict, Unpack, cast

from arvo_temporal.contracts import (
    PARENT_SUBJECT_KEY,
    VersionedArvoContract,
    build_dataschema,
    error_to_data,
)
from arvo_temporal.errors import ArvoContractError, DataValidationError
from arvo_temporal.events import ArvoEvent, ArvoEventIdInput, ExtensionValue, create_arvo_event
from arvo_temporal.sources import SYSTEM_SOURCE, IdClockSource
from arvo_temporal.subject import ArvoOrchestrationSubject

__all__ = ["ArvoEventFactory", "ArvoOrchestratorEventFactory", "EventOptions"]


class _EventFields(TypedDict, total=False):
    id: ArvoEventIdInput
    to: str | None
    redirectto: str | None
    domain: str | None
    accesscontrol: str | None
    executionunits: float | None
    parentid: str | None
    traceparent: str | None
    tracestate: str | None
    extensions: Mapping[str, ExtensionValue] | None


class EventOptions(_EventFields, total=False):
    """The optional fields every factory method takes (Arvo's names)."""

    subject: str | None


class ArvoEventFactory:
    """Builds validated events for one version of a service contract."""

    def __init__(
        self, contract: VersionedArvoContract, *, id_clock: IdClockSource = SYSTEM_SOURCE
    ) -> None:
        self.contract = contract
        self.id_clock = id_clock

    def _event(
        self,
        *,
        event_type: str,
        data: Mapping[str, Any],
        source: str,
        dataschema: str,
        options: EventOptions,
    ) -> ArvoEvent:
        subject = options.get("subject")
        # Every key but "subject" is an _EventFields key (EventOptions only adds "subject").
        fields = cast(_EventFields, {k: v for k, v in options.items() if k != "subject"})
        if subject is None:
            # Arvo's default: a new root subject for the accepted type, initiated by the source.
            redirectto = options.get("redirectto")
            subject = ArvoOrchestrationSubject.new(
                orchestrator=self.contract.accepts_type,
                version=self.contract.version,
                initiator=source,
                domain=options.get("domain"),
                meta={"redirectto": redirectto} if redirectto else None,
                source=self.id_clock,
            )
        return create_arvo_event(
            source=source,
            type=event_type,
            subject=subject,
            data=data,
            dataschema=dataschema,
            id_clock=self.id_clock,
            **fields,
        )

    def accepts(
        self, *, source: str, data: Mapping[str, Any], **options: Unpack[EventOptions]
    ) -> ArvoEvent:
        """An event of the accepted type.

        Raises:
            DataValidationError: "Accept Event data validation failed" with the issues.
        """
        try:
            parsed = self.contract.validate_accepts(data)
        except DataValidationError as error:
            raise DataValidationError("Accept Event data validation failed", error.issues) from None
        return self._event(
            event_type=self.contract.accepts_type,
            data=parsed,
            source=source,
            dataschema=self.contract.dataschema,
            options=options,
        )

    def emits(
        self,
        *,
        type: str,
        source: str,
        data: Mapping[str, Any],
        **options: Unpack[EventOptions],
    ) -> ArvoEvent:
        """An event of one of the contract's emitted types.

        Raises:
            ArvoContractError: for a type the contract does not emit.
            DataValidationError: "Emit Event data validation failed" with the issues.
        """
        try:
            parsed = self.contract.validate_emit(type, data)
        except DataValidationError as error:
            raise DataValidationError("Emit Event data validation failed", error.issues) from None
        return self._event(
            event_type=type,
            data=parsed,
            source=source,
            dataschema=self.contract.dataschema,
            options=options,
        )

    def system_error(
        self, *, error: BaseException, source: str, **options: Unpack[EventOptions]
    ) -> ArvoEvent:
        """``sys.<type>.error`` from an exception, with the wildcard dataschema ``<uri>/0.0.0``."""
        return self._event(
            event_type=self.contract.system_error.type,
            data=error_to_data(error),
            source=source,
            dataschema=build_dataschema(self.contract.uri, "0.0.0"),
            options=options,
        )


class ArvoOrchestratorEventFactory(ArvoEventFactory):
    """Builds init, completion and system error events for an orchestrator contract version."""

    def __init__(
        self, contract: VersionedArvoContract, *, id_clock: IdClockSource = SYSTEM_SOURCE
    ) -> None:
        if not contract.is_orchestrator:
            raise ArvoContractError(
                f"{contract.uri} is not an orchestrator contract",
                {"metadata.contractType": "must be 'ArvoOrchestratorContract'"},
            )
        super().__init__(contract, id_clock=id_clock)

    def init(
        self, *, source: str, data: Mapping[str, Any], **options: Unpack[EventOptions]
    ) -> ArvoEvent:
        """The init event ``arvo.orc.<name>``.

        Without ``subject``: a root subject (``meta.redirectto`` = ``redirectto`` if given), or,
        when ``data["parentSubject$$"]`` is set, a child subject derived from it with
        ``meta.redirectto`` = ``redirectto`` or the parent's initiator (docs/arvo.md §4).
        """
        parent = data.get(PARENT_SUBJECT_KEY)
        if options.get("subject") is None and parent:
            parent_content = ArvoOrchestrationSubject.parse(parent)
            options["subject"] = ArvoOrchestrationSubject.from_parent(
                orchestrator=self.contract.accepts_type,
                version=self.contract.version,
                subject=parent,
                domain=options.get("domain"),
                meta={
                    "redirectto": options.get("redirectto") or parent_content.execution.initiator
                },
                source=self.id_clock,
            )
        return self.accepts(source=source, data=data, **options)

    def complete(
        self, *, source: str, data: Mapping[str, Any], **options: Unpack[EventOptions]
    ) -> ArvoEvent:
        """The completion event ``arvo.orc.<name>.done``, validated against the complete schema."""
        complete_type = self.contract.complete_event_type
        assert complete_type is not None  # guaranteed by the orchestrator check in __init__
        return self.emits(type=complete_type, source=source, data=data, **options)
