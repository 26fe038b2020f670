"""Size limits inside the workflow, on the real dev server: an execution that outgrows its
record or emits an oversized event fails visibly (``sys.<source>.error``, run FAILED, no failed
workflow task), and what continue-as-new carries stays bounded for a busy execution."""

from __future__ import annotations

import json

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from arvo_temporal.errors import ExecutionFailedError
from arvo_temporal.sinks import MemorySink
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, SizeLimits, create_worker
from arvo_temporal.temporal._inbox import OUTCOME_BYTES, SEEN_WINDOW
from arvo_temporal.temporal._models import WorkflowInput
from arvo_temporal.temporal._workflow import LOCAL_HANDLERS_PER_TASK
from tests.fixtures.machines import build_adder, build_hoarder
from tests.fixtures.services import make_calculator_handler
from tests.temporal.test_adapter import adder_init, assert_ending
from tests.temporal.waiting import eventually


@pytest.fixture
def client(temporal_client, task_queue) -> ArvoTemporalClient:
    return ArvoTemporalClient(temporal_client, task_queue=task_queue)


def hoarder_app(task_queue: str, sink: MemorySink, limits: SizeLimits | None = None) -> ArvoApp:
    return ArvoApp(
        orchestrators=[build_hoarder()],
        handlers=[make_calculator_handler()],
        default_sink=sink,
        task_queue=task_queue,
        size_limits=limits,
    )


def system_errors(sink: MemorySink) -> list:
    return [event for event in sink.events if event.type == "sys.arvo.orc.adder.error"]


async def test_a_context_that_outgrows_the_record_limit_fails_the_execution(client, task_queue):
    sink = MemorySink()
    limits = SizeLimits(record_bytes=256 * 1024)
    async with create_worker(client, app=hoarder_app(task_queue, sink, limits)):
        init = adder_init(a=40)  # the hoarder keeps 40 KiB more after every reply
        await client.send(init)
        with pytest.raises(ExecutionFailedError, match=r"SizeLimitExceeded.*record would be"):
            await client.result(init.subject)
        (error,) = system_errors(sink)
        assert error.data["errorName"] == "SizeLimitExceeded"
        assert error.parentid is not None
        await assert_ending(client, init.subject, "failed", WorkflowExecutionStatus.FAILED)


async def test_an_event_whose_trace_state_makes_every_emitted_event_too_large(client, task_queue):
    sink = MemorySink()
    application = ArvoApp(
        orchestrators=[build_adder()],
        handlers=[make_calculator_handler()],
        default_sink=sink,
        task_queue=task_queue,
    )
    async with create_worker(client, app=application):
        init = adder_init().model_copy(update={"tracestate": "vendor=" + "t" * 1_100_000})
        result = await client.execute(init)  # accepted by the client: under Temporal's limits
        (error,) = result.all_events
        assert error.type == "sys.arvo.orc.adder.error"
        assert "over the limit of 256.0 KiB for one event" in error.data["errorMessage"]
        assert error.tracestate is None
        assert system_errors(sink) == [error]
        await assert_ending(client, init.subject, "failed", WorkflowExecutionStatus.FAILED)


async def test_what_continue_as_new_carries_stays_bounded_for_a_busy_execution(
    client, task_queue
):
    """The hoarder at 0 KiB a reply asks the calculator forever: a busy execution whose every
    step emits an event and stores an answer. After several continue-as-new cycles the carried
    answers stay within OUTCOME_BYTES and hold each event once."""
    sink = MemorySink()
    async with create_worker(client, app=hoarder_app(task_queue, sink)):
        init = adder_init(a=0)
        await client.send(init)

        async def several_runs() -> bool:
            return (await client.status(init.subject)).runs >= 4

        await eventually(several_runs, "four continue-as-new cycles")
        handle = client.temporal.get_workflow_handle(client.workflow_id(init.subject))
        history = await handle.fetch_history()
        await client.cancel(init.subject, reason="the test has seen enough")

    started = history.events[0]
    assert started.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    (payload,) = started.workflow_execution_started_event_attributes.input.payloads
    carried = WorkflowInput.model_validate_json(payload.data).carried
    assert carried is not None and carried.runs >= 4 and len(carried.outcomes) >= 10
    answers = json.dumps({k: v.model_dump(mode="json") for k, v in carried.outcomes.items()})
    assert len(answers) <= OUTCOME_BYTES
    emitted = [event.id for o in carried.outcomes.values() for event in o.result.all_events]
    assert len(emitted) == len(set(emitted)) > 0
    assert all(answers.count(event_id) == 1 for event_id in emitted), "each event stored once"
    # Bounded by its parts: the answers (OUTCOME_BYTES), the de-dup window (SEEN_WINDOW ids of
    # at most 40 bytes in JSON), a small record and the counters.
    assert len(carried.seen) <= SEEN_WINDOW
    assert len(payload.data) <= OUTCOME_BYTES + SEEN_WINDOW * 40 + 64 * 1024, len(payload.data)
    kinds = [event.event_type for event in history.events]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds
    # Each workflow task holds a bounded number of local handler calls (their markers).
    per_task = [0]
    for kind in kinds:
        if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            per_task.append(0)
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            per_task[-1] += 1
    assert 0 < max(per_task) <= LOCAL_HANDLERS_PER_TASK, per_task
