"""arvo_temporal: run Arvo event-driven state machines inside Temporal workflows.

The public API, re-exported from the modules that define it (see README.md for a tour).
"""

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
from arvo_temporal.memory import MachineMemory, SimpleMachineMemory
from arvo_temporal.orchestration import OrchestratorResult
from arvo_temporal.orchestration.record import MachineMemoryRecord
from arvo_temporal.orchestrator import ArvoOrchestrator, create_arvo_orchestrator
from arvo_temporal.registry import MachineRegistry
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
    "ArvoEventHandler",
    "ArvoEventValidationError",
    "ArvoMachine",
    "ArvoMachineSetup",
    "ArvoOrchestrationSubject",
    "ArvoOrchestrator",
    "ArvoOrchestratorEventFactory",
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
    "InvalidMachineDefinition",
    "InvalidSubjectError",
    "MachineExecutionEngine",
    "MachineExecutionResult",
    "MachineMemory",
    "MachineMemoryRecord",
    "MachineRegistry",
    "OrchestratorResult",
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
    "create_simple_arvo_contract",
    "enqueue_arvo_event",
    "from_cloudevent",
    "from_http",
    "parse_arvo_event_id",
    "parse_dataschema",
    "setup_arvo_machine",
    "to_cloudevent",
    "to_http",
]
