"""ArvoResumable on Temporal: the same one-workflow-per-subject shell as machines, the same
events out as in process, cancellation, and its handler held to the workflow sandbox."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowExecutionStatus

from arvo_temporal import ArvoOrchestratorEventFactory, SimpleEventBroker
from arvo_temporal.errors import ExecutionCancelledError, ExecutionFailedError
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, create_worker
from arvo_temporal.temporal._search_attributes import ARVO_EXECUTION_UNITS
from examples.calculator.handlers import make_calculator_handler
from examples.summation.resumable import make_summation
from examples.summation.starter import summation_init
from tests.fixtures import anchors
from tests.fixtures.impure import build_impure_resumable, impure
from tests.resumable.fixtures import BudgetExceeded, build_misbehaving_on_temporal
from tests.temporal.test_adapter import assert_ending

NUMBERS = [1.0, 2.0, 3.0, 4.0, 5.0]


@pytest.fixture
def client(temporal_client, task_queue) -> ArvoTemporalClient:
    return ArvoTemporalClient(temporal_client, task_queue=task_queue)


def shape(event) -> tuple:
    """What both drivers must agree on (ids and times come from each driver's own source)."""
    return (event.type, event.source, event.to, event.domain, dict(event.data))


async def test_the_summation_resumable_sends_the_same_events_on_both_drivers(client, task_queue):
    sink = MemorySink()
    app = ArvoApp(
        orchestrators=[make_summation()],
        handlers=[make_calculator_handler()],
        default_sink=sink,
        task_queue=task_queue,
    )
    async with create_worker(client, app=app):
        init = summation_init(NUMBERS)
        await client.send(init)
        output = await client.result(init.subject)
        record = await client.snapshot(init.subject)
        view = await client.status(init.subject)
        description = await client.temporal.get_workflow_handle(
            client.workflow_id(init.subject)
        ).describe()
        await assert_ending(client, init.subject, "done", WorkflowExecutionStatus.COMPLETED)
    assert output == {"success": True, "total": 15.0, "rounds": 3, "errors": []}
    (done,) = sink.events

    broker = SimpleEventBroker([make_summation(), make_calculator_handler()])
    (in_process,) = await broker.send(summation_init(NUMBERS))
    assert shape(done)[:4] == shape(in_process)[:4]
    assert done.data == in_process.data
    assert record is not None and record["status"] == "done"
    assert record["executionUnits"] > 0
    # The total is in the status query and, once the execution ended, in its search attribute.
    assert view.execution_units == record["executionUnits"]
    assert description.typed_search_attributes.get(ARVO_EXECUTION_UNITS) == view.execution_units
    summary = await client.temporal.get_workflow_handle(client.workflow_id(init.subject)).result()
    assert summary["execution_units"] == view.execution_units  # the run's result, in the UI


async def test_a_waiting_resumable_is_cancelled_and_its_initiator_told(client, task_queue):
    sink = MemorySink()
    app = ArvoApp(orchestrators=[make_summation()], default_sink=sink, task_queue=task_queue)
    async with create_worker(client, app=app):  # no calculator: it waits for replies
        init = summation_init(NUMBERS)
        await client.execute(init)
        await client.cancel(init.subject, reason="no calculator today")
        with pytest.raises(ExecutionCancelledError, match="no calculator today"):
            await client.result(init.subject)
        await assert_ending(client, init.subject, "cancelled", WorkflowExecutionStatus.CANCELED)
    errors = [event for event in sink.events if event.type.startswith("sys.")]
    (error,) = errors
    assert error.data["errorName"] == "ExecutionCancelled" and error.parentid == init.id


async def test_a_resumable_handler_is_held_to_the_sandbox(client, task_queue):
    sink = MemorySink()
    app = ArvoApp(
        orchestrators=[build_impure_resumable("clock")], default_sink=sink, task_queue=task_queue
    )
    async with create_worker(client, app=app):
        init = ArvoOrchestratorEventFactory(impure.version("1.0.0")).init(
            source="com.test.client", data={"parentSubject$$": None}
        )
        await client.send(init)
        with pytest.raises(ExecutionFailedError, match="RestrictedWorkflowAccessError"):
            await client.result(init.subject)
    (error,) = sink.events
    assert error.type == "sys.arvo.orc.impure.error" and "Cannot access" in error.data["errorMessage"]


async def test_a_user_violation_reaches_the_execute_caller_as_its_own_class(client, task_queue):
    sink = MemorySink()
    app = ArvoApp(
        orchestrators=[build_misbehaving_on_temporal()], default_sink=sink, task_queue=task_queue
    )
    factory = ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0"))
    async with create_worker(client, app=app):
        refused = factory.init(source=anchors.CLIENT, data={"parentSubject$$": None, "a": 2, "b": 30})
        with pytest.raises(BudgetExceeded) as raised:
            await client.execute(refused)
        assert (raised.value.limit, raised.value.asked) == (10, 30)
        assert raised.value.metadata == {"limit": 10}
        # Sent instead of executed, it is recorded as a rejection with its class name.
        sent = factory.init(source=anchors.CLIENT, data={"parentSubject$$": None, "a": 2, "b": 5})
        await client.send(sent)
        with pytest.raises(ExecutionFailedError, match="asked 5"):
            await client.result(sent.subject)
    assert sink.events == [], "a violation never becomes a sys.*.error event"
