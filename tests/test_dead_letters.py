"""Dead letters without Temporal: events refused for good are kept with the reason, the rest are
delivered, and what may pass is raised for a retry with nothing dead-lettered. Real HTTP on
loopback, real files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from arvo_temporal.sinks import (
    CompositeSink,
    DeadLetter,
    DeadLetterSink,
    ForwardingDeadLetterSink,
    HttpSink,
    JsonLinesDeadLetterSink,
    MemorySink,
    SinkDeliveryError,
    SinkRouter,
    StdoutSink,
    dead_letter_sink_from_url,
    default_dead_letter_sink,
    deliver_or_dead_letter,
    read_dead_letters,
)
from tests.http_receiver import Receiver, running_receiver
from tests.test_sinks import make_event


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


async def test_refused_events_are_kept_with_the_reason_and_the_rest_delivered(receiver, tmp_path):
    receiver.answer(400, body=b"schema mismatch")
    receiver.answer(200)
    receiver.answer(413)
    receiver.answer(301, headers={"location": "/elsewhere"})
    events = [make_event(n) for n in range(4)]
    sink = HttpSink(receiver.url, mode="binary")
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead" / "letters.jsonl")
    try:
        letters = await deliver_or_dead_letter(sink, events, dead_letter)
    finally:
        await sink.aclose()

    assert receiver.ids() == [event.id for event in events]
    assert [(letter.event, letter.status) for letter in letters] == [
        (events[0], 400),
        (events[2], 413),
        (events[3], 301),
    ]
    assert letters[0].reason == "HTTP 400 Bad Request: schema mismatch"
    assert "redirects are not followed" in letters[2].reason
    assert {letter.sink for letter in letters} == {sink.name}
    assert read_dead_letters(dead_letter.path) == letters
    first = json.loads((tmp_path / "dead" / "letters.jsonl").read_text().splitlines()[0])
    assert list(first) == ["dead_lettered_at", "sink", "status", "reason", "event"]
    assert first["event"] == events[0].to_json()


async def test_on_the_last_attempt_what_may_pass_is_dead_lettered_too(receiver, tmp_path):
    receiver.answer(503)
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead.jsonl")
    sink = HttpSink(receiver.url)
    events = [make_event(1), make_event(2)]
    try:
        letters = await deliver_or_dead_letter(
            sink, events, dead_letter, give_up="after 7 attempts"
        )
    finally:
        await sink.aclose()

    assert [letter.event for letter in letters] == events
    assert {letter.status for letter in letters} == {503}
    assert all(letter.reason.startswith("gave up after 7 attempts: HTTP 503") for letter in letters)
    assert read_dead_letters(dead_letter.path) == letters


async def test_what_may_pass_is_raised_and_nothing_is_dead_lettered(receiver, tmp_path):
    receiver.answer(400, 503)
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead.jsonl")
    sink = HttpSink(receiver.url)
    try:
        with pytest.raises(SinkDeliveryError) as caught:
            await deliver_or_dead_letter(sink, [make_event(1), make_event(2)], dead_letter)
    finally:
        await sink.aclose()

    assert caught.value.retryable is True
    assert read_dead_letters(dead_letter.path) == []  # the retry sends both again


async def test_an_unroutable_domain_is_dead_lettered_and_the_others_delivered(tmp_path):
    default = MemorySink()
    plain, lost = make_event(1), make_event(2, domain="nowhere")
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead.jsonl")

    letters = await deliver_or_dead_letter(
        SinkRouter({"default": default}), [plain, lost], dead_letter
    )

    assert default.events == [plain]
    assert [(letter.event, letter.sink) for letter in letters] == [(lost, "router")]
    assert "no sink for domain 'nowhere'" in letters[0].reason


async def test_each_refusing_sink_gets_its_own_letter(receiver, tmp_path):
    receiver.answer(422, 404)
    event = make_event()
    first, second = HttpSink(receiver.url + "/a"), HttpSink(receiver.url + "/b")
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead.jsonl")
    try:
        letters = await deliver_or_dead_letter(CompositeSink(first, second), [event], dead_letter)
    finally:
        await first.aclose()
        await second.aclose()

    assert [(letter.sink, letter.status) for letter in letters] == [
        (first.name, 422),
        (second.name, 404),
    ]
    assert len(read_dead_letters(dead_letter.path)) == 2


async def test_a_letter_is_written_once_per_event_and_sink_in_a_process(tmp_path):
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "dead.jsonl")
    letter = DeadLetter(event=make_event(), sink="s", reason="HTTP 400", status=400)

    await dead_letter.put([letter])
    await dead_letter.put([letter])  # the same batch, retried

    assert read_dead_letters(dead_letter.path) == [letter]


async def test_a_dead_letter_sink_that_cannot_write_makes_the_delivery_retry(tmp_path):
    (tmp_path / "taken").mkdir()
    dead_letter = JsonLinesDeadLetterSink(tmp_path / "taken")  # a folder, not a file
    refusing = SinkRouter({})

    with pytest.raises(SinkDeliveryError) as caught:
        await deliver_or_dead_letter(refusing, [make_event()], dead_letter)

    assert caught.value.retryable is True, "a dead letter is never dropped"
    assert caught.value.sink == dead_letter.name


async def test_forwarding_dead_letters_delivers_the_events_and_never_drops_one(receiver):
    kept = MemorySink()
    letter = DeadLetter(event=make_event(), sink="s", reason="HTTP 400", status=400)
    await ForwardingDeadLetterSink(kept).put([letter])
    assert kept.events == [letter.event]

    receiver.answer(400)
    refusing = ForwardingDeadLetterSink(HttpSink(receiver.url))
    try:
        with pytest.raises(SinkDeliveryError) as caught:
            await refusing.put([letter])
    finally:
        await refusing.aclose()
    assert caught.value.retryable is True
    assert caught.value.status == 400


def test_dead_letter_sinks_from_urls(tmp_path):
    file = dead_letter_sink_from_url(f"file://{tmp_path}/dead.jsonl")
    relative = dead_letter_sink_from_url("jsonl:dead/letters.jsonl")
    forwarded = dead_letter_sink_from_url("stdout:")

    assert isinstance(file, JsonLinesDeadLetterSink) and file.path == tmp_path / "dead.jsonl"
    assert isinstance(relative, JsonLinesDeadLetterSink)
    assert relative.path == Path("dead/letters.jsonl")
    assert isinstance(forwarded, ForwardingDeadLetterSink)
    assert isinstance(forwarded.sink, StdoutSink)
    assert all(isinstance(sink, DeadLetterSink) for sink in (file, relative, forwarded))
    with pytest.raises(ValueError, match="unsupported sink URL scheme 'ftp'"):
        dead_letter_sink_from_url("ftp://user:secret@host/x")


def test_the_default_is_one_file_per_data_dir(tmp_path):
    first = default_dead_letter_sink(tmp_path)
    assert first.path == tmp_path.resolve() / "dead-letter.jsonl"
    assert default_dead_letter_sink(tmp_path) is first  # one in-process memory of what it wrote
    assert default_dead_letter_sink(tmp_path / "other") is not first
