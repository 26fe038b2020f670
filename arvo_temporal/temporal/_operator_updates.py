"""One operator update (``arvo_pause``, ``arvo_resume`` …) sent to one execution by workflow id.

Shared by ``ArvoTemporalClient`` (one execution, by subject) and the bulk operations (many, by
workflow id): the update's refusal comes back as the Arvo error it carries, and Temporal's
NOT_FOUND (which it answers for a closed run too) as a reason that says how the execution ended.
"""

from __future__ import annotations

import uuid

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.errors import ExecutionNotFoundError, OperationRefusedError
from arvo_temporal.temporal._errors import OPERATION_UNCHANGED, error_from_failure
from arvo_temporal.temporal._models import ExecutionStatusView, OperatorOutcome, OperatorRequest

__all__ = ["send_operator_update"]


async def send_operator_update(
    temporal: Client,
    workflow_id: str,
    name: str,
    request: OperatorRequest,
    *,
    subject: str = "",
) -> OperatorOutcome:
    """Send update ``name`` and return what it did.

    Raises:
        OperationRefusedError: the execution has ended, or refused the request with a reason.
        ExecutionNotFoundError: no such execution.
        RPCError: anything else Temporal answered (the caller decides whether to retry).
    """
    handle = temporal.get_workflow_handle(workflow_id)
    try:
        outcome: OperatorOutcome = await handle.execute_update(
            name, request, id=f"{name}/{uuid.uuid4()}", result_type=OperatorOutcome
        )
        return outcome
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type == OPERATION_UNCHANGED:
            view = cause.details[0] if cause.details else {}
            return OperatorOutcome(changed=False, status=ExecutionStatusView.model_validate(view))
        if isinstance(cause, ApplicationError):
            raise error_from_failure(cause) from None
        raise
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ExecutionNotFoundError(subject, workflow_id=workflow_id) from None
        raise
    ended = description.status.name.lower() if description.status else "closed"
    verb = name.removeprefix("arvo_")
    raise OperationRefusedError(
        f"cannot {verb} execution {workflow_id}: it has already ended ({ended})"
    )
