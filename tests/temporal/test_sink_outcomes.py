"""What a sink's receiver answers decides what happens to an event, never how an execution ends:
on the real dev server, with real HTTP receivers on loopback.

* refused for good (4xx other than 408/425/429, redirects, 413): dead-lettered with the reason,
  and a finished machine's run still completes;
* ``Retry-After``: the delay before the next attempt;
* timeouts and 5xx: retried with the same event id; a receiver slower than the old 10 s request
  limit gets the event once;
* no credential, token or ``Authorization`` value in any log record of the worker.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import ActivityEnvironment

from arvo_temporal.errors import ConfigViolation
from arvo_temporal.sinks import (
    HttpSink,
    JsonLinesDeadLetterSink,
    MemorySink,
    read_dead_letters,
)
from arvo_temporal.temporal import ArvoApp, ArvoTemporalClient, create_worker
from arvo_temporal.temporal._activities import ArvoActivities
from arvo_temporal.temporal._models import DispatchBatch, Outgoing
from tests.fixtures.machines import build_adder
from tests.fixtures.services import make_calculator_handler
from tests.http_receiver import Receiver, running_receiver
from tests.temporal.test_adapter import adder_init

DONE = {"success": True, "sum": 5.0, "errors": []}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def client(temporal_client, task_queue) -> ArvoTemporalClient:
    return ArvoTemporalClient(temporal_client, task_queue=task_queue)


def adder_app(task_queue: str, sink: Any, dead_letter: JsonLinesDeadLetterSink) -> ArvoApp:
    """The adder and its calculator: the only event that leaves is ``arvo.orc.adder.done``."""
    return ArvoApp(
        orchestrators=[build_adder()],
        handlers=[make_calculator_handler()],
        default_sink=sink,
        task_queue=task_queue,
        dead_letter=dead_letter,
    )


async def finish(
    client: ArvoTemporalClient, app: ArvoApp, views: list[Any] | None = None
) -> tuple[Any, str, Any]:
    """Run one adder execution to its end: (result, ArvoStatus, Temporal's status); the status
    query's whole answer is appended to ``views`` when given."""
    init = adder_init(2, 3)
    async with create_worker(client, app=app):
        await client.send(init)
        result = await client.result(init.subject)
        view = await client.status(init.subject)
        status = view.status
        if views is not None:
            views.append(view)
    described = await client.temporal.get_workflow_handle(
        client.workflow_id(init.subject)
    ).describe()
    return result, status, described.status


async def test_a_done_machine_whose_completion_is_refused_completes_and_dead_letters_it(
    client, task_queue, receiver, tmp_path
):
    receiver.answer(400, body=b"unknown event type")
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead-letter.jsonl")
    sink = HttpSink(receiver.url + "/events")
    views: list[Any] = []
    try:
        result, status, temporal_status = await finish(
            client, adder_app(task_queue, sink, dead_letter), views
        )
    finally:
        await sink.aclose()
    # The execution keeps a record of it too (the status query; carried on continue-as-new).
    (view,) = views
    assert view.dead_letter_count == 1
    (recorded,) = view.dead_letters
    assert (recorded.event_type, recorded.status) == ("arvo.orc.adder.done", 400)

    assert result == DONE
    assert status == "done"
    assert temporal_status == WorkflowExecutionStatus.COMPLETED
    assert len(receiver.requests) == 1, "a refusal is not retried"
    (letter,) = read_dead_letters(dead_letter.path)
    assert letter.event.type == "arvo.orc.adder.done"
    assert letter.event.id == receiver.ids()[0]
    assert (letter.status, letter.reason) == (400, "HTTP 400 Bad Request: unknown event type")
    assert letter.sink == sink.name


async def test_retry_after_is_the_delay_before_the_next_attempt(
    client, task_queue, receiver, tmp_path
):
    receiver.answer(503, headers={"retry-after": "3"})
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead-letter.jsonl")
    sink = HttpSink(receiver.url)
    try:
        result, status, _ = await finish(client, adder_app(task_queue, sink, dead_letter))
    finally:
        await sink.aclose()

    assert (result, status) == (DONE, "done")
    first, second = receiver.requests
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    # A lower bound only: the dispatch retry policy alone would try again after 0.2 s.
    assert second.at - first.at >= 2.9, second.at - first.at
    assert read_dead_letters(dead_letter.path) == []


async def test_a_sink_failing_forever_is_given_up_on_and_dead_lettered(
    client, task_queue, receiver, tmp_path
):
    receiver.answer(503, 503, 503, 503, 503, 503)  # more failures than the app allows attempts
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead-letter.jsonl")
    sink = HttpSink(receiver.url)
    app = adder_app(task_queue, sink, dead_letter)
    app.sink_attempts = 3
    views: list[Any] = []
    try:
        result, status, temporal_status = await finish(client, app, views)
    finally:
        await sink.aclose()

    assert (result, status, temporal_status) == (DONE, "done", WorkflowExecutionStatus.COMPLETED)
    assert len(receiver.requests) == 3, "tried exactly sink_attempts times"
    assert len(set(receiver.ids())) == 1
    (letter,) = read_dead_letters(dead_letter.path)
    assert letter.event.type == "arvo.orc.adder.done"
    assert letter.status == 503
    assert letter.reason.startswith("gave up after 3 attempts: HTTP 503"), letter.reason
    (view,) = views
    assert view.dead_letter_count == 1


def test_sink_attempts_below_one_are_refused(task_queue, tmp_path):
    with pytest.raises(ConfigViolation, match="sink_attempts must be at least 1, not 0"):
        ArvoApp(orchestrators=[build_adder()], task_queue=task_queue, sink_attempts=0)


async def test_timeouts_and_5xx_are_retried_with_the_same_event_id(
    client, task_queue, receiver, tmp_path
):
    receiver.answer(200, delay=3)  # answered after the sink gave up (timeout=1)
    receiver.answer(502)
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead-letter.jsonl")
    sink = HttpSink(receiver.url, mode="binary", timeout=1)
    try:
        result, status, _ = await finish(client, adder_app(task_queue, sink, dead_letter))
    finally:
        await sink.aclose()

    assert (result, status) == (DONE, "done")
    assert len(receiver.requests) == 3
    assert len({request.headers["ce-id"] for request in receiver.requests}) == 1
    assert len(set(receiver.ids())) == 1
    assert read_dead_letters(dead_letter.path) == []


async def test_a_receiver_slower_than_ten_seconds_gets_the_event_once(
    client, task_queue, receiver, tmp_path
):
    receiver.answer(200, delay=11)
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead-letter.jsonl")
    sink = HttpSink(receiver.url)  # the default request limit (25 s)
    try:
        result, status, _ = await finish(client, adder_app(task_queue, sink, dead_letter))
    finally:
        await sink.aclose()

    assert (result, status) == (DONE, "done")
    assert len(receiver.requests) == 1


async def test_no_credential_reaches_a_log_record_of_the_worker(
    client, task_queue, receiver, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    password, token, bearer = "pa55word-4c1d", "T0KEN-93be20", "B3ARER-0a17f3"
    echo = f"got Authorization: Bearer {bearer} for token={token}".encode()
    receiver.answer(503, body=echo)
    receiver.answer(403, body=echo)
    port = receiver.url.rsplit(":", 1)[1]
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead-letter.jsonl")
    sink = HttpSink(
        f"http://alice:{password}@127.0.0.1:{port}/in?token={token}",
        headers={"X-Forwarded-Authorization": f"Bearer {bearer}"},
    )
    try:
        result, _, _ = await finish(client, adder_app(task_queue, sink, dead_letter))
    finally:
        await sink.aclose()

    assert result == DONE
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["x-forwarded-authorization"] == f"Bearer {bearer}"
    secrets = [password, token, bearer, base64.b64encode(f"alice:{password}".encode()).decode()]
    logged = caplog.text
    assert "Completing activity as failed" in logged  # the 503 attempt's failure was logged…
    assert "kept in dead-letter jsonl:" in logged  # …and so was the dead letter
    assert f"POST http://127.0.0.1:{port}/in?token=***" in logged
    assert [secret for secret in secrets if secret in logged] == []
    (letter,) = read_dead_letters(dead_letter.path)
    assert [secret for secret in secrets if secret in letter.reason] == []


async def test_the_dispatch_report_names_the_dead_letters(temporal_client, receiver, tmp_path):
    receiver.answer(409, body=b"duplicate")
    delivered, refused = adder_init(1, 1), adder_init(2, 2)
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead-letter.jsonl")
    app = ArvoApp(
        sinks={"default": HttpSink(receiver.url), "audit": MemorySink()},
        dead_letter=dead_letter,
    )
    batch = DispatchBatch(
        items=[
            Outgoing(event=refused, route="sink", target="default"),
            Outgoing(event=delivered, route="sink", target="default"),
        ]
    )
    try:
        report = await ActivityEnvironment().run(
            ArvoActivities(app, temporal_client).dispatch, batch
        )
    finally:
        await app.sinks.aclose()

    assert [(d.event_id, d.route) for d in report.deliveries] == [
        (refused.id, "dead_letter"),
        (delivered.id, "sink"),
    ]
    (entry,) = report.dead_letters
    assert (entry.event_id, entry.event_type, entry.status) == (refused.id, refused.type, 409)
    assert entry.reason == "HTTP 409 Conflict: duplicate"
    assert entry.dead_letter == dead_letter.name
    assert entry.sink == app.sinks.sinks["default"].name
