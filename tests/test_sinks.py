"""Sinks, against a real HTTP server on loopback, real files and real streams (no Temporal).

The HTTP receiver (``tests/http_receiver.py``) is a stdlib ``ThreadingHTTPServer`` in a
background thread: it records every request as it arrived on the wire and answers with what a
test queues, so the CloudEvents headers, bodies and retry classification are checked end to end
rather than against a mock.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import io
import json
import socket
import types
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from arvo_temporal import create_arvo_event
from arvo_temporal import sinks as sinks_module
from arvo_temporal.errors import ArvoError
from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks import (
    BATCH_CONTENT_TYPE,
    CompositeSink,
    EventSink,
    HttpSink,
    JsonLinesSink,
    MemorySink,
    SinkDeliveryError,
    SinkRouter,
    StdoutSink,
    idempotency_key,
    sink_from_url,
)
from arvo_temporal.sinks._errors import refusals
from arvo_temporal.transport import ARVO_BINARY_CONTENT_TYPE, from_http
from tests.http_receiver import Receiver, running_receiver


def make_event(n: int = 1, *, domain: str | None = None, event_id: str | None = None) -> ArvoEvent:
    return create_arvo_event(
        source="com.test.sinks",
        type="com.x.y.z",
        subject="s",
        data={"n": n, "text": "héllo", "nested": {"list": [1, 2.5, None]}},
        domain=domain,
        executionunits=2,
        id={"deduplication": "DEVELOPER_MANAGED", "value": event_id} if event_id else None,
    )


# ------------------------------------------------------------------------------ the HTTP receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A loopback HTTP server on a free port for one test, stopped afterwards."""
    with running_receiver() as running:
        yield running


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback URL nothing listens on: the port stays bound (so nobody else takes it) but is
    never put in listening state, so connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/events"


@pytest.fixture
async def closing() -> AsyncIterator[list[EventSink]]:
    """Sinks appended here are closed after the test, so no connection outlives it."""
    sinks: list[EventSink] = []
    yield sinks
    for sink in sinks:
        await sink.aclose()


def http_sink(closing: list[EventSink], url: str, **options: object) -> HttpSink:
    sink = HttpSink(url, **options)  # type: ignore[arg-type]
    closing.append(sink)
    return sink


# ----------------------------------------------------------------------------------- HttpSink


async def test_structured_mode_posts_the_event_as_cloudevents_json(receiver, closing):
    event = make_event(domain="external")
    await http_sink(closing, receiver.url + "/events").deliver([event])

    (request,) = receiver.requests
    assert request.method == "POST"
    assert request.path == "/events"
    assert request.headers["content-type"].startswith("application/cloudevents+json")
    assert request.headers["idempotency-key"] == event.id
    assert json.loads(request.body)["id"] == event.id
    assert from_http(request.headers, request.body) == event


async def test_binary_mode_carries_attributes_as_ce_headers(receiver, closing):
    event = make_event(domain="external")
    await http_sink(closing, receiver.url, mode="binary").deliver([event])

    (request,) = receiver.requests
    assert request.headers["ce-id"] == event.id
    assert request.headers["ce-type"] == "com.x.y.z"
    assert request.headers["ce-specversion"] == "1.0"
    assert request.headers["ce-domain"] == "external"
    assert request.headers["content-type"] == ARVO_BINARY_CONTENT_TYPE
    assert request.headers["idempotency-key"] == event.id
    assert json.loads(request.body) == event.data
    assert from_http(request.headers, request.body) == event


@pytest.mark.parametrize("mode", ["binary", "structured"])
async def test_per_event_modes_send_one_request_per_event_in_order(receiver, closing, mode):
    events = [make_event(n) for n in range(4)]
    await http_sink(closing, receiver.url, mode=mode).deliver(events)

    assert [from_http(r.headers, r.body) for r in receiver.requests] == events
    assert [r.headers["idempotency-key"] for r in receiver.requests] == [e.id for e in events]


async def test_batch_mode_posts_one_json_array(receiver, closing):
    events = [make_event(n, domain="external" if n % 2 else None) for n in range(3)]
    await http_sink(closing, receiver.url, mode="batch").deliver(events)

    (request,) = receiver.requests
    assert request.headers["content-type"] == BATCH_CONTENT_TYPE
    assert request.headers["content-type"].startswith("application/cloudevents-batch+json")
    assert json.loads(request.body) == [event.to_json() for event in events]
    assert [ArvoEvent.from_json(item) for item in json.loads(request.body)] == events
    assert request.headers["idempotency-key"] == ",".join(event.id for event in events)


async def test_an_empty_batch_sends_nothing(receiver, closing):
    await http_sink(closing, receiver.url, mode="batch").deliver([])
    await http_sink(closing, receiver.url).deliver([])
    assert receiver.requests == []


async def test_extra_headers_are_sent_but_never_override_the_event_headers(receiver, closing):
    sink = http_sink(
        closing,
        receiver.url,
        headers={"Authorization": "Bearer t0k3n", "Content-Type": "text/plain", "Ce-Id": "x"},
    )
    event = make_event()
    await sink.deliver([event])

    (request,) = receiver.requests
    assert request.headers["authorization"] == "Bearer t0k3n"
    assert request.headers["content-type"].startswith("application/cloudevents+json")
    assert not any(name.startswith("ce-") for name in request.headers)
    assert from_http(request.headers, request.body) == event


async def test_idempotency_key_is_ascii_and_decodes_to_the_id(receiver, closing):
    event = make_event(event_id='évé,1 "quoted"')
    other = make_event(2, event_id="plain-2")
    await http_sink(closing, receiver.url, mode="binary").deliver([event])
    await http_sink(closing, receiver.url, mode="batch").deliver([event, other])

    single, batch = (request.headers["idempotency-key"] for request in receiver.requests)
    assert single.isascii() and unquote(single) == event.id
    assert [unquote(part) for part in batch.split(",")] == [event.id, other.id]
    assert idempotency_key([event.id, other.id]) == batch
    assert from_http(receiver.requests[0].headers, receiver.requests[0].body) == event


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
async def test_transient_statuses_are_retryable(receiver, closing, status):
    receiver.answer(status)
    sink = http_sink(closing, receiver.url)
    event = make_event()

    with pytest.raises(SinkDeliveryError) as caught:
        await sink.deliver([event])

    error = caught.value
    assert isinstance(error, ArvoError)
    assert error.retryable is True
    assert error.status == status
    assert error.event_ids == (event.id,)
    assert error.sink == sink.name
    assert sink.name in str(error) and event.id in str(error) and str(status) in str(error)


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 409, 413, 422])
async def test_other_statuses_are_not_retryable(receiver, closing, status):
    receiver.answer(status, headers={"location": "/elsewhere"} if status == 301 else None)
    event = make_event()

    with pytest.raises(SinkDeliveryError) as caught:
        await http_sink(closing, receiver.url).deliver([event])

    assert caught.value.retryable is False
    assert caught.value.status == status
    assert caught.value.event_ids == (event.id,)
    assert len(receiver.requests) == 1  # redirects are not followed


async def test_retry_after_is_reported_for_retryable_answers(receiver, closing):
    receiver.answer(429, headers={"retry-after": "7"})
    receiver.answer(503, headers={"retry-after": "soon"})
    sink = http_sink(closing, receiver.url)

    with pytest.raises(SinkDeliveryError) as first:
        await sink.deliver([make_event()])
    with pytest.raises(SinkDeliveryError) as second:
        await sink.deliver([make_event()])

    assert first.value.retry_after == 7.0
    assert second.value.retry_after is None


async def test_a_failure_stops_the_batch_and_names_every_undelivered_event(receiver, closing):
    receiver.answer(200, 503)
    events = [make_event(n) for n in range(3)]

    with pytest.raises(SinkDeliveryError) as caught:
        await http_sink(closing, receiver.url, mode="binary").deliver(events)

    assert len(receiver.requests) == 2
    assert caught.value.event_ids == (events[1].id, events[2].id)
    assert caught.value.retryable is True


@pytest.mark.parametrize("mode", ["structured", "binary"])
async def test_a_refused_event_is_passed_over_and_the_rest_delivered(receiver, closing, mode):
    receiver.answer(400, 200, 413)
    events = [make_event(n) for n in range(4)]

    with pytest.raises(SinkDeliveryError) as caught:
        await http_sink(closing, receiver.url, mode=mode).deliver(events)

    error = caught.value
    assert len(receiver.requests) == 4, "the refusals held nothing back"
    assert error.retryable is False
    assert error.event_ids == (events[0].id, events[2].id), "only the refused ones"
    assert [(refusal.event_ids, refusal.status) for refusal in refusals(error)] == [
        ((events[0].id,), 400),
        ((events[2].id,), 413),
    ]


async def test_a_retryable_failure_after_a_refusal_stops_the_batch_and_names_both(
    receiver, closing
):
    receiver.answer(400, 503)
    events = [make_event(n) for n in range(3)]

    with pytest.raises(SinkDeliveryError) as caught:
        await http_sink(closing, receiver.url).deliver(events)

    error = caught.value
    assert len(receiver.requests) == 2
    assert error.retryable is True, "the 503 may pass; the batch is sent again"
    assert error.event_ids == tuple(event.id for event in events)
    assert [refusal.status for refusal in refusals(error)] == [400]


async def test_url_credentials_go_as_basic_authorization_and_never_in_the_url(receiver, closing):
    port = receiver.url.rsplit(":", 1)[1]
    sink = http_sink(closing, f"http://al%40ice:pa55:word@127.0.0.1:{port}/in?token=T0KEN")

    await sink.deliver([make_event()])

    (request,) = receiver.requests
    assert (
        request.headers["authorization"]
        == "Basic " + base64.b64encode(b"al@ice:pa55:word").decode()
    )
    assert request.path == "/in?token=T0KEN"
    assert sink.url == f"http://127.0.0.1:{port}/in?token=T0KEN"


async def test_an_authorization_header_wins_over_url_credentials(receiver, closing):
    port = receiver.url.rsplit(":", 1)[1]
    sink = http_sink(
        closing,
        f"http://alice:secret@127.0.0.1:{port}/in",
        headers={"Authorization": "Bearer B3ARER"},
    )
    await sink.deliver([make_event()])
    assert receiver.requests[0].headers["authorization"] == "Bearer B3ARER"


async def test_connection_refused_is_retryable(refused_url, closing):
    event = make_event()
    with pytest.raises(SinkDeliveryError) as caught:
        await http_sink(closing, refused_url).deliver([event])

    assert caught.value.retryable is True
    assert caught.value.status is None
    assert caught.value.event_ids == (event.id,)
    assert "ConnectError" in str(caught.value)


async def test_a_receiver_that_does_not_answer_in_time_is_retryable(receiver, closing):
    released = receiver.hold()
    try:
        with pytest.raises(SinkDeliveryError) as caught:
            await http_sink(closing, receiver.url, timeout=0.2).deliver([make_event()])
    finally:
        released.set()

    assert caught.value.retryable is True
    assert "Timeout" in str(caught.value)


async def test_a_shared_client_is_used_and_left_open(receiver):
    async with httpx.AsyncClient() as client:
        sink = HttpSink(receiver.url, client=client)
        await sink.deliver([make_event()])
        await sink.aclose()
        assert not client.is_closed
        await sink.deliver([make_event(2)])
    assert len(receiver.requests) == 2


async def test_an_owned_client_is_closed_by_aclose(receiver):
    sink = HttpSink(receiver.url)
    await sink.deliver([make_event()])
    await sink.aclose()
    with pytest.raises(RuntimeError):
        await sink.deliver([make_event(2)])


async def test_retry_after_may_be_an_http_date():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            503,
            headers={
                "date": "Wed, 21 Oct 2015 07:28:00 GMT",
                "retry-after": "Wed, 21 Oct 2015 07:28:30 GMT",
            },
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        with pytest.raises(SinkDeliveryError) as caught:
            await HttpSink("http://receiver.invalid/", client=client).deliver([make_event()])

    assert caught.value.retry_after == 30.0
    assert caught.value.status == 503


async def test_http_sink_name_hides_credentials_and_query(closing):
    sink = http_sink(closing, "https://user:secret@broker.example:8443/in?token=abc", mode="batch")
    assert sink.name == "http(batch) https://broker.example:8443/in"
    assert "secret" not in sink.name and "abc" not in sink.name


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("ftp://example/x", {}, "http"),
        ("/relative/path", {}, "http"),
        ("http://example/x", {"mode": "fast"}, "mode"),
        ("http://example/x", {"timeout": 0}, "timeout"),
    ],
)
def test_http_sink_refuses_bad_configuration(url, options, message):
    with pytest.raises(ValueError, match=message):
        HttpSink(url, **options)


# ------------------------------------------------------------------------------ JsonLinesSink


async def test_json_lines_sink_appends_one_parseable_line_per_event(tmp_path):
    path = tmp_path / "deep" / "folder" / "events.jsonl"
    sink = JsonLinesSink(path, fsync=True)
    first, second, third = make_event(1), make_event(2, domain="external"), make_event(3)

    await sink.deliver([first, second])
    await sink.deliver([third])
    await sink.aclose()

    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [event.to_json_string() for event in (first, second, third)]
    assert [ArvoEvent.from_json(line) for line in lines] == [first, second, third]
    assert sink.name == f"jsonl:{path}"


async def test_json_lines_sink_skips_ids_it_already_wrote(tmp_path):
    path = tmp_path / "events.jsonl"
    sink = JsonLinesSink(path)
    first, second = make_event(1), make_event(2)

    await sink.deliver([first, first])
    await sink.deliver([first, second])
    await sink.deliver([second])

    ids = [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert ids == [first.id, second.id]


async def test_json_lines_sink_remembers_a_bounded_number_of_ids(tmp_path):
    path = tmp_path / "events.jsonl"
    sink = JsonLinesSink(path, remember=1)
    first, second = make_event(1), make_event(2)

    await sink.deliver([first, second])
    await sink.deliver([second])  # still remembered
    await sink.deliver([first])  # forgotten: written again (best effort, receivers dedupe)

    ids = [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert ids == [first.id, second.id, first.id]


async def test_json_lines_sink_keeps_concurrent_batches_whole(tmp_path):
    path = tmp_path / "events.jsonl"
    sink = JsonLinesSink(path)
    batches = [[make_event(10 * b + n) for n in range(5)] for b in range(4)]

    await asyncio.gather(*(sink.deliver(batch) for batch in batches))

    ids = [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]
    runs = [ids[index : index + 5] for index in range(0, len(ids), 5)]
    assert sorted(runs) == sorted([event.id for event in batch] for batch in batches)


async def test_json_lines_sink_into_a_folder_is_not_retryable(tmp_path):
    event = make_event()
    with pytest.raises(SinkDeliveryError) as caught:
        await JsonLinesSink(tmp_path).deliver([event])

    assert caught.value.retryable is False
    assert caught.value.event_ids == (event.id,)
    assert "IsADirectoryError" in str(caught.value)


# --------------------------------------------------------------------------------- StdoutSink


async def test_stdout_sink_prints_one_summary_line_per_event(capsys):
    plain, external = make_event(1), make_event(2, domain="external")
    await StdoutSink().deliver([plain, external])

    assert capsys.readouterr().out == (
        f"[default] com.x.y.z → com.x.y.z ({plain.id})\n"
        f"[external] com.x.y.z → com.x.y.z ({external.id})\n"
    )


async def test_stdout_sink_pretty_adds_the_json(capsys):
    event = make_event()
    await StdoutSink(pretty=True).deliver([event])

    summary, _, rest = capsys.readouterr().out.partition("\n")
    assert summary == f"[default] com.x.y.z → com.x.y.z ({event.id})"
    assert ArvoEvent.from_json(rest) == event
    assert rest.startswith("{\n  ")


async def test_stdout_sink_writes_to_a_given_stream():
    stream = io.StringIO()
    event = make_event(domain="audit")
    await StdoutSink(stream).deliver([event])
    assert stream.getvalue() == f"[audit] com.x.y.z → com.x.y.z ({event.id})\n"


# --------------------------------------------------------------------------------- MemorySink


async def test_memory_sink_keeps_events_in_order_once_per_id():
    sink = MemorySink()
    first, second, third = make_event(1), make_event(2), make_event(3)

    await sink.deliver([first, first, second])
    await sink.deliver([second, third])

    assert sink.events == [first, second, third]


async def test_memory_sink_wait_for_returns_once_enough_events_arrived():
    sink = MemorySink()
    events = [make_event(n) for n in range(3)]
    waiter = asyncio.create_task(sink.wait_for(3))

    for event in events:
        await asyncio.sleep(0)
        assert not waiter.done()
        await sink.deliver([event])

    assert await waiter == events
    assert await sink.wait_for(2) == events  # already satisfied


async def test_memory_sink_wait_for_says_how_many_arrived_when_it_gives_up():
    sink = MemorySink()
    await sink.deliver([make_event()])
    with pytest.raises(TimeoutError, match="for 5 events, got 1"):
        await sink.wait_for(5, timeout=0.01)


# ---------------------------------------------------------------------------- composing sinks


class RecordingSink:
    """Records every batch it is given; fails with the queued errors first."""

    def __init__(self, name: str, *failures: SinkDeliveryError) -> None:
        self.name = name
        self.batches: list[list[ArvoEvent]] = []
        self.failures = list(failures)
        self.closes = 0

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        self.batches.append(list(events))
        if self.failures:
            raise self.failures.pop(0)

    async def aclose(self) -> None:
        self.closes += 1


def failure(sink: str, *ids: str, retryable: bool) -> SinkDeliveryError:
    return SinkDeliveryError("down", sink=sink, event_ids=ids, retryable=retryable)


async def test_every_sink_satisfies_the_protocol(tmp_path, closing):
    sinks = [
        http_sink(closing, "http://127.0.0.1:9/x"),
        JsonLinesSink(tmp_path / "x.jsonl"),
        StdoutSink(),
        MemorySink(),
        CompositeSink(MemorySink()),
        SinkRouter({}),
        RecordingSink("r"),
    ]
    assert all(isinstance(sink, EventSink) for sink in sinks)


async def test_composite_sink_delivers_to_every_sink():
    first, second = MemorySink(), MemorySink()
    events = [make_event(1), make_event(2)]
    sink = CompositeSink(first, second)

    await sink.deliver(events)

    assert first.events == events and second.events == events
    assert sink.name == "composite(memory, memory)"


async def test_composite_sink_tries_every_sink_then_raises():
    event = make_event()
    broken = RecordingSink("broken", failure("broken", event.id, retryable=True))
    healthy = RecordingSink("healthy")

    with pytest.raises(SinkDeliveryError) as caught:
        await CompositeSink(broken, healthy).deliver([event])

    assert caught.value.sink == "broken" and caught.value.retryable is True
    assert healthy.batches == [[event]]


async def test_composite_sink_combines_several_failures():
    event = make_event()
    transient = RecordingSink("a", failure("a", event.id, retryable=True))
    permanent = RecordingSink("b", failure("b", event.id, retryable=False))

    with pytest.raises(SinkDeliveryError) as caught:
        await CompositeSink(transient, permanent).deliver([event])

    error = caught.value
    # Sending again may still reach 'a'; 'b' refuses again, and is dead-lettered once 'a' took it.
    assert error.retryable is True
    assert error.event_ids == (event.id,)
    assert [cause.sink for cause in error.causes] == ["a", "b"]
    assert [refusal.sink for refusal in refusals(error)] == ["b"]
    assert "'a'" in str(error) and "'b'" in str(error)


async def test_composite_sink_refusals_alone_are_not_retryable():
    event = make_event()
    first = RecordingSink("a", failure("a", event.id, retryable=False))
    second = RecordingSink("b", failure("b", event.id, retryable=False))

    with pytest.raises(SinkDeliveryError) as caught:
        await CompositeSink(first, second).deliver([event])

    assert caught.value.retryable is False
    assert [refusal.sink for refusal in refusals(caught.value)] == ["a", "b"]


async def test_composite_sink_closes_every_sink():
    first, second = RecordingSink("a"), RecordingSink("b")
    await CompositeSink(first, second).aclose()
    assert (first.closes, second.closes) == (1, 1)


def test_composite_sink_needs_a_sink():
    with pytest.raises(ValueError, match="at least one"):
        CompositeSink()


# ------------------------------------------------------------------------------- sink_from_url


async def test_sink_from_url_builds_http_sinks(receiver):
    sink = sink_from_url(receiver.url + "/in?x=a%20b&mode=binary&y=1")
    try:
        assert isinstance(sink, HttpSink)
        assert sink.mode == "binary"
        assert sink.url == receiver.url + "/in?x=a%20b&y=1"
        event = make_event()
        await sink.deliver([event])
    finally:
        await sink.aclose()

    (request,) = receiver.requests
    assert request.path == "/in?x=a%20b&y=1"
    assert request.headers["ce-id"] == event.id


@pytest.mark.parametrize(
    ("url", "mode", "target"),
    [
        ("http://127.0.0.1:8080/events", "structured", "http://127.0.0.1:8080/events"),
        ("https://broker.example/in?mode=batch", "batch", "https://broker.example/in"),
        ("HTTPS://broker.example/in?mode=structured", "structured", "https://broker.example/in"),
    ],
)
async def test_sink_from_url_http_modes(url, mode, target):
    sink = sink_from_url(url)
    await sink.aclose()
    assert isinstance(sink, HttpSink)
    assert (sink.mode, sink.url) == (mode, target)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("file:///var/arvo/out.jsonl", "/var/arvo/out.jsonl"),
        ("file://localhost/var/arvo/with%20space.jsonl", "/var/arvo/with space.jsonl"),
        ("jsonl:events/out.jsonl", "events/out.jsonl"),
        ("jsonl:/abs/out.jsonl", "/abs/out.jsonl"),
    ],
)
def test_sink_from_url_builds_json_lines_sinks(url, path):
    sink = sink_from_url(url)
    assert isinstance(sink, JsonLinesSink)
    assert sink.path == Path(path)


@pytest.mark.parametrize(
    ("url", "kind"),
    [("stdout:", StdoutSink), ("STDOUT:", StdoutSink), ("memory:", MemorySink)],
)
def test_sink_from_url_builds_stdout_and_memory_sinks(url, kind):
    assert isinstance(sink_from_url(url), kind)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example/x", r"unsupported sink URL scheme 'ftp'; accepted: http:, https:, file:"),
        ("kafka://broker:9092/topic", r"scheme 'kafka'.*stdout:, memory:"),
        ("just-a-name", r"scheme none"),
        ("file:relative.jsonl", "jsonl:relative"),
        ("file://otherhost/x.jsonl", "absolute"),
        ("jsonl:", "need a path"),
        ("memory:something", "nothing after the colon"),
        ("http://example/x?mode=fast", "mode must be one of"),
        ("http://example/x?mode=binary&mode=batch", "more than once"),
        ("http:///no-host", "host"),
    ],
)
def test_sink_from_url_refuses_what_it_cannot_build(url, message):
    with pytest.raises(ValueError, match=message):
        sink_from_url(url)


def test_sink_from_url_errors_do_not_echo_credentials():
    with pytest.raises(ValueError) as caught:
        sink_from_url("amqp://user:secret@broker/queue")
    assert "secret" not in str(caught.value)


# --------------------------------------------------------------------------------- SinkRouter


async def test_router_groups_events_by_domain_in_order():
    default, external = RecordingSink("default"), RecordingSink("external")
    router = SinkRouter({"default": default, "external": external})
    events = [
        make_event(1),
        make_event(2, domain="external"),
        make_event(3),
        make_event(4, domain="external"),
    ]

    await router.deliver(events)

    assert default.batches == [[events[0], events[2]]]
    assert external.batches == [[events[1], events[3]]]


async def test_router_sends_one_batch_to_a_sink_serving_several_domains():
    shared = RecordingSink("shared")
    router = SinkRouter({"default": shared, "audit": shared})
    events = [make_event(1, domain="audit"), make_event(2), make_event(3, domain="audit")]

    await router.deliver(events)

    assert shared.batches == [events]


async def test_router_falls_back_to_the_catch_all():
    default, catch_all = MemorySink(), MemorySink()
    router = SinkRouter({"default": default}, default=catch_all)
    plain, audit = make_event(1), make_event(2, domain="audit")

    await router.deliver([plain, audit])

    assert router.sink_for(None) is default
    assert router.sink_for("audit") is catch_all
    assert default.events == [plain] and catch_all.events == [audit]
    assert SinkRouter({}, default=catch_all).sink_for(None) is catch_all
    assert SinkRouter({"default": default}).sink_for("audit") is None


async def test_router_refuses_a_domain_without_sink_and_delivers_the_rest():
    default = MemorySink()
    router = SinkRouter({"default": default})
    plain, external = make_event(1), make_event(2, domain="external")

    with pytest.raises(SinkDeliveryError) as caught:
        await router.deliver([plain, external])

    error = caught.value
    assert error.retryable is False  # waiting does not configure a sink
    assert error.event_ids == (external.id,)
    assert "no sink for domain 'external'" in str(error)
    assert "configured: default" in str(error)
    # A refusal never holds back the others (they would be lost to the dead letter otherwise).
    assert default.events == [plain]


async def test_router_reports_a_missing_default_domain():
    router = SinkRouter({"external": MemorySink()})
    with pytest.raises(SinkDeliveryError, match=r"no sink for domain None \(default\)"):
        await router.deliver([make_event()])


async def test_router_delivers_to_healthy_sinks_when_one_fails():
    plain, external = make_event(1), make_event(2, domain="external")
    broken = RecordingSink("broken", failure("broken", external.id, retryable=True))
    healthy = RecordingSink("healthy")

    with pytest.raises(SinkDeliveryError) as caught:
        await SinkRouter({"default": healthy, "external": broken}).deliver([plain, external])

    assert caught.value.retryable is True
    assert caught.value.event_ids == (external.id,)
    assert healthy.batches == [[plain]]


async def test_router_closes_each_sink_once():
    shared, catch_all = RecordingSink("shared"), RecordingSink("catch-all")
    await SinkRouter({"default": shared, "audit": shared}, default=catch_all).aclose()
    assert (shared.closes, catch_all.closes) == (1, 1)


def test_sinks_do_not_import_temporalio():
    """Sinks are plain async code (tested and reusable without a server); only the activity that
    calls them knows about Temporal. Read from the sources, since a package ``__init__`` elsewhere
    may import temporalio for its own reasons."""
    imported: set[str] = set()
    for source in Path(sinks_module.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert "temporalio" not in imported
    assert "httpx" in imported  # the check does see the modules' imports


def test_sinks_exports_are_sorted_and_complete():
    public = {
        name
        for name, value in vars(sinks_module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(sinks_module.__all__)
    assert sorted(sinks_module.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n)) == (
        sinks_module.__all__
    )
