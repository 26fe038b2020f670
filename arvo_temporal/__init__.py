"""arvo_temporal: run Arvo event-driven state machines inside Temporal workflows.

The public API, re-exported from the modules that define it (see README.md for a tour).
"""

from arvo_temporal.contracts import (
    ArvoContract,
    ArvoErrorData,
    VersionedArvoContract,
    compare_semantic_versions,
    create_arvo_contract,
    create_arvo_orchestrator_contract,
    create_simple_arvo_contract,
    parse_dataschema,
)
from arvo_temporal.errors import (
    ArvoContractError,
    ArvoError,
    ArvoEventValidationError,
    ConfigViolation,
    ContractViolation,
    DataValidationError,
    ExecutionClosedError,
    ExecutionViolation,
    InvalidMachineDefinition,
    InvalidSubjectError,
    TransactionCause,
    TransactionViolation,
    ViolationError,
)
from arvo_temporal.events import (
    ARVO_DATA_CONTENT_TYPE,
    ArvoEvent,
    create_arvo_event,
    parse_arvo_event_id,
)
from arvo_temporal.factories import ArvoEventFactory, ArvoOrchestratorEventFactory
from arvo_temporal.sources import DeterministicSource, IdClockSource, SystemSource
from arvo_temporal.subject import ArvoOrchestrationSubject, SubjectContent
from arvo_temporal.transport import from_cloudevent, from_http, to_cloudevent, to_http

__all__ = [
    "ARVO_DATA_CONTENT_TYPE",
    "ArvoContract",
    "ArvoContractError",
    "ArvoError",
    "ArvoErrorData",
    "ArvoEvent",
    "ArvoEventFactory",
    "ArvoEventValidationError",
    "ArvoOrchestrationSubject",
    "ArvoOrchestratorEventFactory",
    "ConfigViolation",
    "ContractViolation",
    "DataValidationError",
    "DeterministicSource",
    "ExecutionClosedError",
    "ExecutionViolation",
    "IdClockSource",
    "InvalidMachineDefinition",
    "InvalidSubjectError",
    "SubjectContent",
    "SystemSource",
    "TransactionCause",
    "TransactionViolation",
    "VersionedArvoContract",
    "ViolationError",
    "compare_semantic_versions",
    "create_arvo_contract",
    "create_arvo_event",
    "create_arvo_orchestrator_contract",
    "create_simple_arvo_contract",
    "from_cloudevent",
    "from_http",
    "parse_arvo_event_id",
    "parse_dataschema",
    "to_cloudevent",
    "to_http",
]
