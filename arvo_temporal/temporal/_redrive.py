"""Redrive: a failed execution comes back from its last good record, on the code deployed now.

When a step fails the machine (an action or guard throws: Arvo's terminal failure), the run ends
FAILED with ``ExecutionFailed`` and its failure's details keep the redrive point
(``ExecutionState.redrive_from``): the record before that step, the failing event first in the
inbox, then the events accepted but never applied, and the de-dup window. A redrive starts a new
run of the same workflow id with that as its carried state, so the subject, its history and its
de-dup window stay one execution; the failing event is applied again (or skipped) by whatever
machine code the workers run now.

A new run with ``ALLOW_DUPLICATE_FAILED_ONLY`` was chosen over Temporal's reset: a reset replays
the failed run's history up to the reset point with the *new* code, so a fix that changes what an
earlier step did breaks that replay (or silently rebuilds different state), and it keeps the
failed run's workflow type and run-level settings. Carrying the record as data applies the new
code only from the failing event on, exactly as continue-as-new hands a record to the next run.

Idempotent: a redrive of an execution already redriven (its running run records which failed
run it came from) changes nothing; two racing redrives start one run (Temporal refuses the
second start while the first runs).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from arvo_temporal.errors import ExecutionNotFoundError, OperationRefusedError
from arvo_temporal.temporal._errors import EXECUTION_FAILED, EXECUTION_REJECTED
from arvo_temporal.temporal._models import RedriveInfo, WorkflowInput
from arvo_temporal.temporal._search_attributes import ARVO_SEARCH_ATTRIBUTES, ARVO_STATUS
from arvo_temporal.temporal._workflow import WORKFLOW_NAME

__all__ = ["RedriveOutcome", "redrive_execution"]

_ENDED = {
    WorkflowExecutionStatus.COMPLETED: "done",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed out",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued as new",
}


@dataclass(frozen=True)
class RedriveOutcome:
    """What a redrive did: ``changed`` is False when the execution had been redriven already."""

    workflow_id: str
    run_id: str
    changed: bool
    failed_run_id: str
    skipped_event: str | None = None


async def redrive_execution(
    temporal: Client,
    workflow_id: str,
    *,
    skip_event: str | None = None,
    identity: str = "arvo-temporal",
    reason: str = "",
) -> RedriveOutcome:
    """Start the failed execution ``workflow_id`` again from its redrive point.

    Args:
        skip_event: the id of the event that failed the machine, to leave it out (it stays in
            the de-dup window, so a re-send is ignored); any other id is refused.

    Raises:
        OperationRefusedError: the execution did not fail (it runs, is done, cancelled …), was
            rejected, failed without a redrive point, or ``skip_event`` is not its failing event.
        ExecutionNotFoundError: no such execution.
    """
    handle = temporal.get_workflow_handle(workflow_id)
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ExecutionNotFoundError("", workflow_id=workflow_id) from None
        raise
    run_id = description.run_id
    if description.status == WorkflowExecutionStatus.RUNNING:
        redriven = (await description.memo()).get("redriven")
        if isinstance(redriven, dict) and redriven.get("from_run_id"):
            return RedriveOutcome(
                workflow_id=workflow_id,
                run_id=run_id,
                changed=False,
                failed_run_id=str(redriven["from_run_id"]),
                skipped_event=redriven.get("skipped_event"),
            )
        raise _refused(workflow_id, "it is running, not failed")
    if description.status != WorkflowExecutionStatus.FAILED:
        ended = _ENDED.get(description.status, "closed") if description.status else "closed"
        raise _refused(workflow_id, f"it ended {ended}, not failed")
    start, failing = _redrive_point(workflow_id, await _failure(temporal, workflow_id, run_id))
    carried = start.carried
    assert carried is not None, "a redrive point always carries state"
    if skip_event is not None:
        if skip_event != failing:
            expected = f"the event that failed it is {failing}" if failing else "a timer failed it"
            raise _refused(workflow_id, f"{skip_event} is not its failing event ({expected})")
        carried = carried.model_copy(
            update={"inbox": carried.inbox[1:], "seen": [*carried.seen, skip_event]}
        )
    info = RedriveInfo(
        at_ms=time.time() * 1000,
        identity=identity,
        reason=reason,
        from_run_id=run_id,
        skipped_event=skip_event,
    )
    carried = carried.model_copy(update={"redriven": info})
    try:
        started = await temporal.start_workflow(
            WORKFLOW_NAME,
            start.model_copy(update={"carried": carried}),
            id=workflow_id,
            task_queue=description.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=_attributes(description),
            memo={**(await description.memo()), "redriven": info.model_dump(mode="json")},
            static_summary=f"redriven by {info.identity} from failed run {run_id}",
            static_details=_details(info),
        )
    except WorkflowAlreadyStartedError:
        return await redrive_execution(temporal, workflow_id, identity=identity, reason=reason)
    return RedriveOutcome(
        workflow_id=workflow_id,
        run_id=started.result_run_id or "",
        changed=True,
        failed_run_id=run_id,
        skipped_event=skip_event,
    )


def _refused(workflow_id: str, why: str) -> OperationRefusedError:
    return OperationRefusedError(f"cannot redrive execution {workflow_id}: {why}")


async def _failure(temporal: Client, workflow_id: str, run_id: str) -> ApplicationError | None:
    try:
        await temporal.get_workflow_handle(workflow_id, run_id=run_id).result(follow_runs=False)
    except WorkflowFailureError as error:
        cause = error.cause
        return cause if isinstance(cause, ApplicationError) else None
    return None


def _redrive_point(
    workflow_id: str, failure: ApplicationError | None
) -> tuple[WorkflowInput, str | None]:
    """The new run's input, and the id of the event that failed the machine (None for a
    timer)."""
    if failure is None or failure.type not in (EXECUTION_FAILED, EXECUTION_REJECTED):
        raise _refused(workflow_id, "its worker failed it (not its machine); fix and re-send")
    if failure.type == EXECUTION_REJECTED:
        raise _refused(workflow_id, "it was rejected (no event started it); send a valid init")
    fields = failure.details[0] if failure.details else None
    point = fields.get("redrive") if isinstance(fields, dict) else None
    if not isinstance(point, dict):
        omitted = fields.get("redrive_omitted") if isinstance(fields, dict) else None
        why = omitted or "it failed before redrive existed"
        raise _refused(workflow_id, f"no redrive point was kept ({why})")
    failing = fields.get("failing_event") if isinstance(fields, dict) else None
    return WorkflowInput.model_validate(point), str(failing) if failing else None


def _attributes(description: WorkflowExecutionDescription) -> TypedSearchAttributes:
    """The failed run's Arvo attributes (ArvoStatus back to active), nothing of Temporal's."""
    names = {key.name: key for key in ARVO_SEARCH_ATTRIBUTES}
    pairs: list[SearchAttributePair[Any]] = [
        pair
        for pair in description.typed_search_attributes.search_attributes
        if pair.key.name in names and pair.key.name != ARVO_STATUS.name
    ]
    pairs.append(SearchAttributePair(ARVO_STATUS, "active"))
    return TypedSearchAttributes(pairs)


def _details(info: RedriveInfo) -> str:
    skipped = f"; skipped event `{info.skipped_event}`" if info.skipped_event else ""
    why = f"\n\nreason: {info.reason}" if info.reason else ""
    return f"redriven by {info.identity} from failed run `{info.from_run_id}`{skipped}{why}"
