"""Matching an incoming event to one of a machine's contracts.

See docs/arvo.md §2.6 (orchestrator side).

The result names what went wrong so the orchestrator can raise the violation Arvo raises:
``CONTRACT_UNRESOLVED`` → ConfigViolation, ``INVALID`` and ``INVALID_DATA`` → ContractViolation
(Arvo's ``validateInput``, docs/arvo.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from arvo_temporal.contracts import (
    WILDCARD_VERSION,
    VersionedArvoContract,
    check_data,
    parse_dataschema,
)
from arvo_temporal.errors import ConfigViolation, ContractViolation, DataValidationError
from arvo_temporal.events import ArvoEvent

__all__ = ["InputValidation", "ValidationKind", "validate_machine_input"]

_INPUT_FAILED = "Input validation failed - Event data does not meet contract requirements: "


class ValidationKind(StrEnum):
    """The outcome kinds of Arvo's ``validateInput``."""

    VALID = "VALID"
    CONTRACT_UNRESOLVED = "CONTRACT_UNRESOLVED"
    INVALID = "INVALID"
    INVALID_DATA = "INVALID_DATA"


@dataclass(frozen=True)
class InputValidation:
    """The verdict on an incoming event, with the contract it matched (if any) and why."""

    kind: ValidationKind
    contract: VersionedArvoContract | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when the event may be given to the machine."""
        return self.kind is ValidationKind.VALID

    def raise_for_violation(self) -> None:
        """Raise the violation Arvo raises for this verdict; do nothing when valid."""
        if self.kind is ValidationKind.CONTRACT_UNRESOLVED:
            raise ConfigViolation(self.reason)
        if self.kind in (ValidationKind.INVALID, ValidationKind.INVALID_DATA):
            raise ContractViolation(_INPUT_FAILED + self.reason)


def _describe(contract: VersionedArvoContract, role: str) -> str:
    return (
        f"{role} Contract(version='{contract.version}', type='{contract.accepts_type}', "
        f"uri={contract.uri})"
    )


def validate_machine_input(
    event: ArvoEvent,
    *,
    self_contract: VersionedArvoContract,
    service_contracts: Mapping[str, VersionedArvoContract],
) -> InputValidation:
    """Check an event against the machine's self contract or one of its service contracts."""
    parsed = parse_dataschema(event.dataschema)
    if parsed is None:
        return InputValidation(
            ValidationKind.INVALID,
            reason=(
                f"Event dataschema resolution failed: Unable to parse dataschema="
                f"'{event.dataschema if event.dataschema is not None else 'null'}' for "
                f"event(id='{event.id}', type='{event.type}'). This makes the event opaque and "
                "does not allow contract resolution"
            ),
        )
    uri, version = parsed

    role = "self"
    contract: VersionedArvoContract | None = None
    if event.type == self_contract.accepts_type:
        contract = self_contract
    else:
        role = "service"
        for candidate in service_contracts.values():
            if event.type in candidate.emits or event.type == candidate.system_error.type:
                contract = candidate
                break
    if contract is None:
        return InputValidation(
            ValidationKind.CONTRACT_UNRESOLVED,
            reason=(
                "Contract validation failed - Event does not match any registered contract "
                "schemas in the machine"
            ),
        )

    event_view = f"Event(dataschema='{event.dataschema}', type='{event.type}')"
    if uri != contract.uri:
        return InputValidation(
            ValidationKind.INVALID,
            contract,
            f"Contract URI mismatch: {_describe(contract, role)} does not match {event_view}",
        )
    if version != WILDCARD_VERSION and version != contract.version:
        return InputValidation(
            ValidationKind.INVALID,
            contract,
            f"Contract version mismatch: {_describe(contract, role)} does not match {event_view}",
        )

    schema = contract.schema_for(event.type)
    assert schema is not None  # the contract was chosen because it knows this type
    try:
        check_data(schema, event.data, what=f"{event.type} data")
    except DataValidationError as error:
        issues = [{"path": where, "message": what} for where, what in error.issues]
        return InputValidation(ValidationKind.INVALID_DATA, contract, json.dumps(issues, indent=2))
    return InputValidation(ValidationKind.VALID, contract)
