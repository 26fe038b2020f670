"""arvo_temporal: run Arvo event-driven state machines inside Temporal workflows.

The public API is re-exported here; see DESIGN.md in the project's shared folder and README.md.
"""

from arvo_temporal.errors import (
    ArvoContractError,
    ArvoError,
    ArvoEventValidationError,
    ConfigViolation,
    ContractViolation,
    ExecutionClosedError,
    ExecutionViolation,
    InvalidMachineDefinition,
    InvalidSubjectError,
    TransactionCause,
    TransactionViolation,
    ViolationError,
)

__all__ = [
    "ArvoContractError",
    "ArvoError",
    "ArvoEventValidationError",
    "ConfigViolation",
    "ContractViolation",
    "ExecutionClosedError",
    "ExecutionViolation",
    "InvalidMachineDefinition",
    "InvalidSubjectError",
    "TransactionCause",
    "TransactionViolation",
    "ViolationError",
]
