"""Temporal-only behaviour of the adapter, on the real dev server: idempotency, concurrency,
continue-as-new, finished and unknown executions, poison events, cancellation, execution
timeouts, durable timers, and what the Temporal UI shows."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from arvo_temporal import (
    ArvoEventFactory,
    ArvoOrchestratorEventFactory,
    ContractViolation,
    ExecutionViolation,
)
from arvo_temporal.errors import (
    ExecutionCancelledError,
    ExecutionClosedError,
    ExecutionFailedError,
    ExecutionNotFoundError,
)
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import (
    ArvoApp,
    ArvoTemporalClient,
    HandlerSettings,
    OrchestratorSpec,
    create_worker,
    workflow_id_for,
)
from arvo_temporal.temporal._search_attributes import (
    ARVO_INITIATOR,
    ARVO_ORCHESTRATOR,
    ARVO_STATUS,
    ARVO_VERSION,
)
from arvo_temporal.temporal._workflow import CANCEL_SIGNAL
from tests.fixtures import anchors
from tests.fixtures.machines import build_adder, build_faulty
from tests.fixtures.services import make_calculator_handler
from tests.fixtures.timing import build_counter, build_waiter, counter, ticker
from tests.temporal.waiting import eventually


def adder_init(a: float = 2, b: float = 3):
    return ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": None, "a": a, "b": b}
    )


def adder_reply(init, result: Any):
    return ArvoEventFactory(anchors.calculator.version("1.0.0")).emits(
        type="evt.calculator.add.success",
        source="com.calculator.add",
        subject=init.subject,
        to="arvo.orc.adder",
        data={"result": result},
    )


def tick(init, n: int):
    return ArvoEventFactory(ticker.version("1.0.0")).emits(
        type="evt.ticker.tick.success",
        source="com.ticker.tick",
        subject=init.subject,
        to="arvo.orc.counter",
        data={"n": n},
    )


def counter_init():
    return ArvoOrchestratorEventFactory(counter.version("1.0.0")).init(
        source="com.test.client", data={"parentSubject$$": None}
    )


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def client(temporal_client, task_queue) -> ArvoTemporalClient:
    return ArvoTemporalClient(temporal_client, task_queue=task_queue)


def app(task_queue: str, sink: MemorySink, *orchestrators: Any, handlers=()) -> ArvoApp:
    return ArvoApp(
        orchestrators=orchestrators,
        handlers=handlers,
        default_sink=sink,
        task_queue=task_queue,
    )


async def processed(client: ArvoTemporalClient, subject: str, count: int) -> bool:
    return (await client.status(subject)).processed >= count


async def test_the_same_events_sent_twice_are_applied_once(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_adder())):
        init = adder_init()
        assert await client.send(init) == await client.send(init)
        await eventually(lambda: processed(client, init.subject, 1), "the init")
        reply = adder_reply(init, 5)
        await client.send(reply)
        await client.send(reply)
        assert await client.result(init.subject) == {"success": True, "sum": 5, "errors": []}
        status = await client.status(init.subject)
        assert status.processed == 2, "init and reply, each exactly once"
        assert [e.type for e in sink.events] == ["com.calculator.add", "arvo.orc.adder.done"]


async def test_fifty_concurrent_senders_to_one_subject(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_counter())):
        init = counter_init()
        await client.send(init)
        ticks = [tick(init, n) for n in range(50)]
        await asyncio.gather(*(client.send(event) for event in ticks))
        await eventually(lambda: processed(client, init.subject, 51), "all 50 ticks")
        context = (await client.snapshot(init.subject))["state"]["context"]
        assert context["count"] == 50
        assert sorted(context["seen"]) == list(range(50)), "every event exactly once"


async def test_continue_as_new_carries_the_record_and_the_dedupe_window(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_counter())):
        init = counter_init()
        await client.execute(init)
        ticks = [tick(init, n) for n in range(40)]
        for event in ticks:
            await client.execute(event)
        status = await client.status(init.subject)
        assert status.runs > 1, "the test server suggests continue-as-new after 60 events"
        # Re-sending early events after continue-as-new applies nothing again.
        again = await client.execute(ticks[0])
        assert again.all_events == []
        await client.send(ticks[1])
        await client.execute(tick(init, 99))
        context = (await client.snapshot(init.subject))["state"]["context"]
        assert context["count"] == 41
        assert sorted(context["seen"]) == [*range(40), 99]


async def test_callers_never_see_continue_as_new(client, task_queue, sink):
    """Eight callers execute 25 events each while the execution continues as new several
    times; updates refused while a run hands over are retried by the client, unseen."""
    async with create_worker(client, app=app(task_queue, sink, build_counter())):
        init = counter_init()
        await client.execute(init)

        async def caller(lane: int) -> int:
            for n in range(25):
                await client.execute(tick(init, lane * 100 + n))
            return lane

        assert sorted(await asyncio.gather(*(caller(lane) for lane in range(8)))) == list(range(8))
        status = await client.status(init.subject)
        assert status.runs > 2 and status.rejections == []
        context = (await client.snapshot(init.subject))["state"]["context"]
        assert context["count"] == 200


def test_a_continuing_as_new_refusal_is_retried_and_a_violation_is_not():
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.exceptions import ApplicationError

    from arvo_temporal.temporal._client import _RetryUpdate
    from arvo_temporal.temporal._errors import CONTINUING_AS_NEW, failure_for

    def failed(cause: BaseException) -> WorkflowUpdateFailedError:
        return WorkflowUpdateFailedError(cause)

    handover = failed(ApplicationError("handing over", type=CONTINUING_AS_NEW))
    assert isinstance(ArvoTemporalClient._update_error(handover), _RetryUpdate)
    refused = ArvoTemporalClient._update_error(failed(failure_for(ContractViolation("bad a"))))
    assert isinstance(refused, ContractViolation) and "bad a" in str(refused)


async def test_handlers_heartbeat_and_take_their_own_settings(client, task_queue, sink):
    application = ArvoApp(
        orchestrators=[build_adder()],
        handlers=[make_calculator_handler()],
        default_sink=sink,
        task_queue=task_queue,
        handler_settings={
            "com.calculator.add": HandlerSettings(local=False, heartbeat=timedelta(seconds=4))
        },
    )
    assert application.handler_limits("com.other").heartbeat == timedelta(seconds=10)
    assert application.handler_limits("com.other").local is True
    async with create_worker(client, app=application):
        init = adder_init()
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == 5
    history = await client.temporal.get_workflow_handle(
        workflow_id_for(init.subject)
    ).fetch_history()
    (scheduled,) = [
        event.activity_task_scheduled_event_attributes
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    assert scheduled.heartbeat_timeout.ToTimedelta() == timedelta(seconds=4)
    assert scheduled.start_to_close_timeout.ToTimedelta() == timedelta(minutes=5)


async def test_events_for_finished_or_unknown_executions_are_refused(client, task_queue, sink):
    application = app(task_queue, sink, build_adder(), handlers=[make_calculator_handler()])
    async with create_worker(client, app=application):
        init = adder_init()
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == 5
        with pytest.raises(ExecutionClosedError, match="already finished"):
            await client.send(init)
        with pytest.raises(ExecutionClosedError):
            await client.send(adder_reply(init, 5))
        with pytest.raises(ExecutionClosedError):
            await client.execute(adder_reply(init, 5))
        stranger = adder_init()
        with pytest.raises(ExecutionNotFoundError, match="only an init event"):
            await client.send(adder_reply(stranger, 1))
        with pytest.raises(ExecutionNotFoundError):
            await client.execute(adder_reply(stranger, 1))


async def test_malformed_events_are_refused_at_the_client(client):
    not_orchestrated = adder_init().model_copy(update={"subject": "order-42"})
    with pytest.raises(ExecutionViolation, match="subject format"):
        await client.send(not_orchestrated)
    with pytest.raises(ExecutionViolation):
        await client.execute(not_orchestrated)


async def test_poison_events_never_wedge_the_workflow(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_adder())):
        init = adder_init()
        await client.execute(init)
        bad = adder_reply(init, 5).model_copy(update={"data": {"result": "five"}})
        with pytest.raises(ContractViolation, match="Input validation failed"):
            await client.execute(bad)
        other_bad = adder_reply(init, 5).model_copy(
            update={"id": "bad-signal", "data": {"nope": 1}}
        )
        await client.send(other_bad)
        status = await eventually(
            lambda: _with_rejections(client, init.subject, 2), "both rejections recorded"
        )
        assert {r.error_type for r in status.rejections} == {"ContractViolation"}
        result = await client.execute(adder_reply(init, 5))
        assert [e.type for e in result.events] == ["arvo.orc.adder.done"]
        assert (await client.result(init.subject))["sum"] == 5


async def _with_rejections(client, subject, count):
    status = await client.status(subject)
    return status if len(status.rejections) >= count else None


async def test_a_machine_error_becomes_a_system_error_event(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_faulty())):
        init = ArvoOrchestratorEventFactory(anchors.faulty.version("1.0.0")).init(
            source=anchors.CLIENT, data={"parentSubject$$": None, "mode": "error"}
        )
        await client.send(init)
        with pytest.raises(ExecutionFailedError, match="Deliberate failure"):
            await client.result(init.subject)
        (error,) = sink.events
        assert error.type == "sys.arvo.orc.faulty.error" and error.to == anchors.CLIENT
        await assert_ending(client, init.subject, "failed", WorkflowExecutionStatus.FAILED)


async def assert_ending(client, subject: str, status: str, run_status) -> None:
    """ArvoStatus, the status query, ``list --status`` and the Temporal run status agree, and
    no workflow task failed on the way."""
    handle = client.temporal.get_workflow_handle(workflow_id_for(subject))
    description = await handle.describe()
    assert description.status == run_status
    assert description.typed_search_attributes.get(ARVO_STATUS) == status
    assert (await client.status(subject)).status == status
    history = await handle.fetch_history()
    kinds = [event.event_type for event in history.events]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds


async def test_a_rejected_init_ends_the_run_with_the_reason(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_adder())):
        init = adder_init().model_copy(update={"data": {"parentSubject$$": None, "a": "x"}})
        await client.send(init)
        with pytest.raises(ExecutionFailedError, match=r"rejected.*Input validation failed"):
            await client.result(init.subject)
        await assert_ending(client, init.subject, "rejected", WorkflowExecutionStatus.FAILED)


async def test_an_orchestrator_the_worker_does_not_serve_fails_visibly(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_counter())):
        init = adder_init()
        await client.send(init)
        with pytest.raises(ExecutionFailedError, match=r"No orchestrator arvo\.orc\.adder"):
            await client.result(init.subject)
        await assert_ending(client, init.subject, "failed", WorkflowExecutionStatus.FAILED)


async def test_done_and_cancelled_endings_agree(client, task_queue, sink):
    application = app(task_queue, sink, build_adder(), handlers=[make_calculator_handler()])
    async with create_worker(client, app=application):
        done = adder_init()
        await client.send(done)
        await client.result(done.subject)
        await assert_ending(client, done.subject, "done", WorkflowExecutionStatus.COMPLETED)


async def test_cancel_ends_the_machine_and_tells_the_initiator(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_adder())):
        init = adder_init()
        await client.execute(init)
        await client.cancel(init.subject, reason="the customer gave up")
        with pytest.raises(ExecutionCancelledError):
            await client.result(init.subject)
        error = sink.events[-1]
        assert error.type == "sys.arvo.orc.adder.error" and error.to == anchors.CLIENT
        assert error.data["errorName"] == "ExecutionCancelled"
        assert error.data["errorMessage"] == "the customer gave up"
        assert error.parentid == init.id
        description = await client.temporal.get_workflow_handle(
            workflow_id_for(init.subject)
        ).describe()
        assert description.typed_search_attributes.get(ARVO_STATUS) == "cancelled"
        # One path: one cancel request, no workflow task failure, the initiator told once.
        await assert_ending(client, init.subject, "cancelled", WorkflowExecutionStatus.CANCELED)
        history = await client.temporal.get_workflow_handle(
            workflow_id_for(init.subject)
        ).fetch_history()
        kinds = [event.event_type for event in history.events]
        assert kinds.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED) == 1
        assert [e.type for e in sink.events].count("sys.arvo.orc.adder.error") == 1


async def test_the_execution_timeout_cancels_and_tells_the_initiator(client, task_queue, sink):
    spec = OrchestratorSpec(machines=(build_adder(),), execution_timeout=timedelta(seconds=1))
    async with create_worker(client, app=app(task_queue, sink, spec)):
        init = adder_init()
        await client.send(init)
        with pytest.raises(ExecutionCancelledError, match="the execution timeout was reached"):
            await client.result(init.subject)
        (error,) = [e for e in sink.events if e.type == "sys.arvo.orc.adder.error"]  # told once
        assert error.data["errorName"] == "ExecutionCancelled"
        assert error.data["errorMessage"] == "the execution timeout was reached"
        # Temporal shows it CANCELED too (not COMPLETED), with no workflow task failure.
        await assert_ending(client, init.subject, "cancelled", WorkflowExecutionStatus.CANCELED)


async def test_the_cancel_signal_ends_through_the_same_path(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_adder())):
        init = adder_init()
        await client.execute(init)
        handle = client.temporal.get_workflow_handle(workflow_id_for(init.subject))
        await handle.signal(CANCEL_SIGNAL, "stopped by an operator script")
        with pytest.raises(ExecutionCancelledError, match="stopped by an operator script"):
            await client.result(init.subject)
        (error,) = [e for e in sink.events if e.type == "sys.arvo.orc.adder.error"]
        assert error.data["errorMessage"] == "stopped by an operator script"
        await assert_ending(client, init.subject, "cancelled", WorkflowExecutionStatus.CANCELED)


async def test_after_is_a_durable_timer_cancelled_when_its_state_is_left(client, task_queue, sink):
    waiter_contract, waiter = build_waiter(delay_ms=1500)
    async with create_worker(client, app=app(task_queue, sink, waiter)):
        factory = ArvoOrchestratorEventFactory(waiter_contract.version("1.0.0"))
        slow = factory.init(source="com.test.client", data={"parentSubject$$": None})
        await client.execute(slow)
        (timer,) = (await client.status(slow.subject)).timers
        assert timer.id.startswith("xstate.after.1500.")
        assert await client.result(slow.subject) == {"timed_out": True}

        quick = factory.init(source="com.test.client", data={"parentSubject$$": None})
        await client.execute(quick)
        await client.execute(tick(quick, 1).model_copy(update={"to": "arvo.orc.waiter"}))
        assert await client.result(quick.subject) == {"timed_out": False}
        assert (await client.status(quick.subject)).timers == []


async def test_the_temporal_ui_shows_arvo_fields(client, task_queue, sink):
    application = app(task_queue, sink, build_adder(), handlers=[make_calculator_handler()])
    async with create_worker(client, app=application):
        init = adder_init()
        workflow_id = await client.send(init)
        await client.result(init.subject)
        assert workflow_id == workflow_id_for(init.subject)
        assert workflow_id.startswith("arvo.orc.adder/") and len(workflow_id) <= 255
        handle = client.temporal.get_workflow_handle(workflow_id)
        description = await handle.describe()
        attributes = description.typed_search_attributes
        assert attributes.get(ARVO_ORCHESTRATOR) == "arvo.orc.adder"
        assert attributes.get(ARVO_VERSION) == "1.0.0"
        assert attributes.get(ARVO_INITIATOR) == anchors.CLIENT
        assert attributes.get(ARVO_STATUS) == "done"
        assert (await description.memo())["subject"] == init.subject
        assert await description.static_summary() == "arvo.orc.adder 1.0.0 from com.anchor.client"
        history = await handle.fetch_history()
        summaries = [
            event.user_metadata.summary.data.decode()
            for event in history.events
            if event.HasField("user_metadata") and event.user_metadata.HasField("summary")
        ]
        assert any("→ handler com.calculator.add" in text for text in summaries), summaries
        listed = await eventually(
            lambda: client.list(orchestrator="arvo.orc.adder", status="done"), "visibility"
        )
        assert any(item.subject == init.subject for item in listed)


async def test_cancelling_many_executions_never_loses_an_initiators_error(client, task_queue, sink):
    # A cancel request may reach run() while it waits for deliveries; those must finish.
    async with create_worker(client, app=app(task_queue, sink, build_adder())):
        inits = [adder_init(a=n) for n in range(12)]
        for init in inits:
            await client.execute(init)
        await asyncio.gather(*(client.cancel(i.subject, reason=f"stop {i.id}") for i in inits))
        for init in inits:
            with pytest.raises(ExecutionCancelledError):
                await client.result(init.subject)
        errors = {e.subject: e for e in sink.events if e.type == "sys.arvo.orc.adder.error"}
        assert set(errors) == {init.subject for init in inits}
        assert all(errors[i.subject].data["errorMessage"] == f"stop {i.id}" for i in inits)
        told = [e.subject for e in sink.events if e.type == "sys.arvo.orc.adder.error"]
        assert len(told) == len(inits), "each initiator told exactly once"


async def test_a_stopped_worker_frees_its_task_queue_for_another_app(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_adder())):
        pass
    # Without unregistering on stop this would raise ConfigViolation ("already served").
    second = app(task_queue, sink, build_adder(), handlers=[make_calculator_handler()])
    async with create_worker(client, app=second):
        init = adder_init()
        await client.send(init)
        assert (await client.result(init.subject))["sum"] == 5


async def test_result_of_a_cancelled_execution_names_the_reason(client, task_queue, sink):
    async with create_worker(client, app=app(task_queue, sink, build_adder())):
        init = adder_init()
        await client.execute(init)
        await client.cancel(init.subject, reason="duplicate order")
        with pytest.raises(ExecutionCancelledError, match="duplicate order"):
            await client.result(init.subject)


async def test_a_worker_registers_the_search_attributes_on_its_namespace(
    temporal_server, task_queue
):
    import uuid

    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
    from temporalio.api.workflowservice.v1 import (
        DescribeNamespaceRequest,
        RegisterNamespaceRequest,
    )
    from temporalio.client import Client

    namespace = f"arvo-sa-{uuid.uuid4().hex[:8]}"
    admin = await temporal_server.connect()
    await admin.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )

    async def described():
        try:
            await admin.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=namespace)
            )
        except Exception:
            return False
        return True

    await eventually(described, "the new namespace")
    client = ArvoTemporalClient(
        await Client.connect(temporal_server.target, namespace=namespace), task_queue=task_queue
    )
    async with create_worker(client, app=app(task_queue, MemorySink(), build_adder())):
        pass
    listed = await admin.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert {"ArvoOrchestrator", "ArvoVersion", "ArvoStatus", "ArvoInitiator"} <= set(
        listed.custom_attributes
    )
