"""arvo_temporal: run Arvo event-driven state machines inside Temporal workflows.

The public API, re-exported from the modules that define it (see README.md for a tour).
"""

from arvo_temporal._json_limits import MAX_JSON_DEPTH, MAX_JSON_INTEGER_DIGITS
from arvo_temporal.broker import EventHandlerLike, SimpleEventBroker
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
from arvo_temporal.engine import (
    MachineExecutionEngine,
    MachineExecutionResult,
    StatechartExecutionEngine,
)
from arvo_temporal.errors import (
    ArvoContractError,
    ArvoError,
    ArvoEventValidationError,
    ConfigViolation,
    ContractViolation,
    DataValidationError,
    ExecutionCancelledError,
    ExecutionClosedError,
    ExecutionFailedError,
    ExecutionNotFoundError,
    ExecutionViolation,
    InvalidMachineDefinition,
    InvalidSubjectError,
    InvalidTestSuite,
    TransactionCause,
    TransactionViolation,
    UnknownStateError,
    ViolationError,
)
from arvo_temporal.events import (
    ARVO_DATA_CONTENT_TYPE,
    ArvoEvent,
    create_arvo_event,
    parse_arvo_event_id,
)
from arvo_temporal.factories import ArvoEventFactory, ArvoOrchestratorEventFactory
from arvo_temporal.handler import (
    ArvoEventHandler,
    HandlerDomains,
    HandlerInput,
    HandlerOutput,
    create_arvo_event_handler,
)
from arvo_temporal.machine import (
    ArvoMachine,
    ArvoMachineSetup,
    enqueue_arvo_event,
    setup_arvo_machine,
)
from arvo_temporal.memory import (
    MachineMemory,
    MachineMemoryMetadata,
    Materialized,
    SimpleMachineMemory,
)
from arvo_temporal.orchestration import OrchestratorResult
from arvo_temporal.orchestration.record import MachineMemoryRecord
from arvo_temporal.orchestration.status import InProcessStatus
from arvo_temporal.orchestrator import ArvoOrchestrator, create_arvo_orchestrator
from arvo_temporal.registry import MachineRegistry
from arvo_temporal.resumable import (
    ArvoResumable,
    ResumableInput,
    ResumableOutput,
    create_arvo_resumable,
)
from arvo_temporal.sources import DeterministicSource, IdClockSource, SystemSource
from arvo_temporal.subject import (
    MAX_SUBJECT_JSON_BYTES,
    MAX_SUBJECT_LENGTH,
    ArvoOrchestrationSubject,
    SubjectContent,
)
from arvo_temporal.transport import (
    from_cloudevent,
    from_http,
    from_http_batch,
    to_cloudevent,
    to_http,
)
from arvo_temporal.violations import violation_from_payload, violation_to_payload

__all__ = [
    "ARVO_DATA_CONTENT_TYPE",
    "MAX_JSON_DEPTH",
    "MAX_JSON_INTEGER_DIGITS",
    "MAX_SUBJECT_JSON_BYTES",
    "MAX_SUBJECT_LENGTH",
    "ArvoContract",
    "ArvoContractError",
    "ArvoError",
    "ArvoErrorData",
    "ArvoEvent",
    "ArvoEventFactory",
    "ArvoEventHandler",
    "ArvoEventValidationError",
    "ArvoMachine",
    "ArvoMachineSetup",
    "ArvoOrchestrationSubject",
    "ArvoOrchestrator",
    "ArvoOrchestratorEventFactory",
    "ArvoResumable",
    "ConfigViolation",
    "ContractViolation",
    "DataValidationError",
    "DeterministicSource",
    "EventHandlerLike",
    "ExecutionCancelledError",
    "ExecutionClosedError",
    "ExecutionFailedError",
    "ExecutionNotFoundError",
    "ExecutionViolation",
    "HandlerDomains",
    "HandlerInput",
    "HandlerOutput",
    "IdClockSource",
    "InProcessStatus",
    "InvalidMachineDefinition",
    "InvalidSubjectError",
    "InvalidTestSuite",
    "MachineExecutionEngine",
    "MachineExecutionResult",
    "MachineMemory",
    "MachineMemoryMetadata",
    "MachineMemoryRecord",
    "MachineRegistry",
    "Materialized",
    "OrchestratorResult",
    "ResumableInput",
    "ResumableOutput",
    "SimpleEventBroker",
    "SimpleMachineMemory",
    "StatechartExecutionEngine",
    "SubjectContent",
    "SystemSource",
    "TransactionCause",
    "TransactionViolation",
    "UnknownStateError",
    "VersionedArvoContract",
    "ViolationError",
    "compare_semantic_versions",
    "create_arvo_contract",
    "create_arvo_event",
    "create_arvo_event_handler",
    "create_arvo_orchestrator",
    "create_arvo_orchestrator_contract",
    "create_arvo_resumable",
    "create_simple_arvo_contract",
    "enqueue_arvo_event",
    "from_cloudevent",
    "from_http",
    "from_http_batch",
    "parse_arvo_event_id",
    "parse_dataschema",
    "setup_arvo_machine",
    "to_cloudevent",
    "to_http",
    "violation_from_payload",
    "violation_to_payload",
]
