"""The ingress's pure parts, without a server: batch parsing, Prefer, tokens, the answer cache,
settings and the error → problem table. The HTTP behaviour is tested over loopback in
tests/temporal/test_ingress.py."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arvo_temporal.errors import (
    ArvoEventValidationError,
    ConfigViolation,
    ContractViolation,
    EventTooLargeError,
    ExecutionClosedError,
    ExecutionNotFoundError,
    ExecutionTimeoutError,
    InvalidSubjectError,
    TemporalUnavailableError,
    ViolationError,
)
from arvo_temporal.ingress import IngressSettings
from arvo_temporal.ingress._answers import Answer, AnswerCache, fingerprint
from arvo_temporal.ingress._auth import check_bearer
from arvo_temporal.ingress._decode import mode_of
from arvo_temporal.ingress._prefer import preferred_wait
from arvo_temporal.ingress._problems import ProblemError, problem_for
from arvo_temporal.transport import from_http_batch
from examples.calculator.starter import adder_init

BATCH = {"content-type": "application/cloudevents-batch+json"}


def parse_batch(body: str | bytes):
    return from_http_batch(BATCH, body.encode() if isinstance(body, str) else body)


def test_a_batch_is_parsed_in_order_and_a_bad_item_is_named_by_index():
    first, second = adder_init(1, 2), adder_init(3, 4)
    assert parse_batch(json.dumps([first.to_json(), second.to_json()])) == [first, second]
    bad = second.to_json()
    del bad["id"]
    with pytest.raises(ArvoEventValidationError) as refused:
        parse_batch(json.dumps([first.to_json(), bad, 7]))
    assert set(refused.value.errors) == {"events[1].id", "events[2]"}


@given(st.binary(max_size=200))
def test_any_batch_body_parses_or_is_refused_with_named_fields(body):
    try:
        events = parse_batch(body)
    except ArvoEventValidationError as error:
        assert error.errors and all(key.startswith("events") for key in error.errors)
    else:
        assert events


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["wait=10"], 10),
        (["respond-async, wait=5"], 5),
        (["handling=lenient", "WAIT=3"], 3),
        (['wait="4"'], 4),
        (["wait=0"], None),
        (["wait=-1"], None),
        (["wait=1.5"], None),
        (["wait=99999999999999999999"], 60),
        ([], None),
        (["return=minimal"], None),
    ],
)
def test_prefer_wait(values, expected):
    assert preferred_wait(values, cap=60) == expected


@given(st.lists(st.text(max_size=40), max_size=3))
def test_any_prefer_header_gives_a_wait_within_the_cap_or_none(values):
    wait = preferred_wait(values, cap=60)
    assert wait is None or 1 <= wait <= 60


def test_bearer_tokens_are_checked_against_every_token():
    tokens = (b"alpha", b"beta")
    check_bearer({"authorization": "Bearer beta"}, tokens)
    check_bearer({}, ())  # no tokens: open
    for headers in ({}, {"authorization": "Bearer gamma"}, {"authorization": "beta"}):
        with pytest.raises(ProblemError) as refused:
            check_bearer(headers, tokens)
        assert refused.value.problem.status == 401
        assert refused.value.problem.headers["WWW-Authenticate"].startswith("Bearer")


def test_modes_come_from_the_headers():
    assert mode_of({"content-type": "application/cloudevents+json; charset=utf-8"}) == "structured"
    assert mode_of({"content-type": "application/cloudevents-batch+json"}) == "batch"
    assert mode_of({"content-type": "application/json", "ce-specversion": "1.0"}) == "binary"
    for headers in ({"content-type": "text/plain"}, {}, {"content-type": "application/json"}):
        with pytest.raises(ProblemError) as refused:
            mode_of(headers)
        assert refused.value.problem.status == 415


def test_settings_are_checked():
    with pytest.raises(ConfigViolation, match=r"max_batch_events.*max_wait.*tokens"):
        IngressSettings(max_batch_events=0, max_wait=timedelta(0), tokens=(" padded ",))
    assert IngressSettings(tokens=("x",)).token_bytes == (b"x",)


def _problem(error):
    problem = problem_for(error, retry_after=3)
    assert problem is not None
    return problem.status, problem.field


def test_every_library_error_has_its_status_and_field():
    subject = adder_init(1, 2).subject
    assert _problem(ArvoEventValidationError({"time": "bad"})) == (400, "time")
    assert _problem(InvalidSubjectError("no")) == (400, "subject")
    assert _problem(ContractViolation("no")) == (400, "data")
    assert _problem(ConfigViolation("no")) == (400, "type")
    assert _problem(ViolationError("custom")) == (400, None)
    too_large = EventTooLargeError(event_id="e", size=9, limit=1, field="data", field_size=9)
    assert _problem(too_large) == (413, "data")
    assert _problem(ExecutionNotFoundError(subject, workflow_id="w")) == (404, "subject")
    assert _problem(ExecutionClosedError(subject, workflow_id="w")) == (409, "subject")
    for error in (TemporalUnavailableError("down"), ExecutionTimeoutError("t", workflow_id="w")):
        problem = problem_for(error, retry_after=3)
        assert problem is not None
        assert (problem.status, problem.headers["Retry-After"]) == (503, "3")
    assert problem_for(KeyError("bug"), retry_after=3) is None  # a bug: the 500 handler's


def _answer(event, digest: str, size: int = 0) -> Answer:
    events = ({"pad": "x" * size},) if size else None
    return Answer(event.id, digest, "wf", events=events, wait=1 if size else None)


async def test_the_answer_cache_remembers_within_its_bounds():
    cache = AnswerCache(max_entries=2, max_bytes=10_000)
    calls: list[str] = []
    events = [adder_init(1, n) for n in range(3)]

    async def produce(event, digest):
        calls.append(event.id)
        return _answer(event, digest)

    for event in events:
        await cache.answer(event, lambda digest, event=event: produce(event, digest))
    answer, replayed = await cache.answer(events[2], lambda d: produce(events[2], d))
    assert replayed and answer.event_id == events[2].id
    _, replayed = await cache.answer(events[0], lambda d: produce(events[0], d))
    assert not replayed  # evicted: the oldest of three with room for two
    assert calls == [events[0].id, events[1].id, events[2].id, events[0].id]
    assert len(cache) == 2

    small = AnswerCache(max_entries=100, max_bytes=5_000)
    big = adder_init(9, 9)
    await small.answer(big, lambda digest: asyncio.sleep(0, _answer(big, digest, size=10_000)))
    assert len(small) == 0  # over the byte budget alone: not kept


async def test_an_id_reused_for_other_content_is_409_and_failures_are_not_remembered():
    cache = AnswerCache(max_entries=10, max_bytes=10_000)
    event = adder_init(1, 2)

    async def failing(digest):
        raise TemporalUnavailableError("down")

    with pytest.raises(TemporalUnavailableError):
        await cache.answer(event, failing)
    assert len(cache) == 0
    await cache.answer(event, lambda digest: asyncio.sleep(0, _answer(event, digest)))
    impostor = event.model_copy(update={"data": {**event.data, "a": 5}})
    assert fingerprint(impostor) != fingerprint(event)
    with pytest.raises(ProblemError) as refused:
        await cache.answer(impostor, failing)
    assert (refused.value.problem.status, refused.value.problem.field) == (409, "id")


async def test_concurrent_answers_for_one_id_share_one_delivery():
    cache = AnswerCache(max_entries=10, max_bytes=10_000)
    event = adder_init(1, 2)
    release = asyncio.Event()
    deliveries = 0

    async def produce(digest):
        nonlocal deliveries
        deliveries += 1
        await release.wait()
        return _answer(event, digest)

    waiting = [asyncio.create_task(cache.answer(event, produce)) for _ in range(4)]
    await asyncio.sleep(0)
    release.set()
    answers = await asyncio.gather(*waiting)
    assert deliveries == 1
    assert sorted(replayed for _, replayed in answers) == [False, True, True, True]
