"""SimpleEventBroker: routing by ``to``, LIFO order, unrouted and domained events, limits, resolve."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from arvo_temporal.broker import EventHandlerLike, SimpleEventBroker
from arvo_temporal.events import ArvoEvent, create_arvo_event
from arvo_temporal.orchestration.result import OrchestratorResult
from tests.fixtures.anchors import CLIENT, FIXED_TIME
from tests.fixtures.services import make_calculator_handler

Respond = Callable[[ArvoEvent], list[ArvoEvent]]


def event(
    to: str | None,
    *,
    type: str = "com.test.ping",
    source: str = CLIENT,
    domain: str | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> ArvoEvent:
    return create_arvo_event(
        source=source,
        type=type,
        subject="subject-1",
        data=data if data is not None else {},
        to=to,
        domain=domain,
        **fields,
    )


class FakeHandler:
    """A tiny EventHandlerLike: records what it receives, answers with ``respond``."""

    def __init__(self, source: str, respond: Respond | None = None, log: list[str] | None = None):
        self.source = source
        self.respond = respond or (lambda _: [])
        self.received: list[ArvoEvent] = []
        self.log = log if log is not None else []

    async def execute(self, event: ArvoEvent) -> OrchestratorResult:
        self.received.append(event)
        self.log.append(f"{self.source}:{event.type}")
        return OrchestratorResult.from_events(self.respond(event))


class Recorder:
    """Collects on_error / on_domained_events calls (async, to show both styles work)."""

    def __init__(self) -> None:
        self.errors: list[tuple[ArvoEvent, BaseException | None]] = []
        self.domained: list[list[ArvoEvent]] = []

    async def on_error(self, event: ArvoEvent, error: BaseException | None) -> None:
        self.errors.append((event, error))

    def on_domained(self, events: list[ArvoEvent]) -> None:
        self.domained.append(events)


def broker_with(
    handlers: list[EventHandlerLike], recorder: Recorder, **options: Any
) -> SimpleEventBroker:
    return SimpleEventBroker(
        handlers, on_error=recorder.on_error, on_domained_events=recorder.on_domained, **options
    )


def add_request(a: float, b: float, **fields: Any) -> ArvoEvent:
    return event(
        "com.calculator.add",
        type="com.calculator.add",
        data={"a": a, "b": b},
        dataschema="#/anchors/calculator/add/1.0.0",
        **fields,
    )


async def test_routes_by_to_and_resolves_the_reply() -> None:
    recorder = Recorder()
    broker = broker_with([make_calculator_handler()], recorder)
    reply = await broker.resolve(add_request(2, 3))
    assert reply is not None
    assert reply.type == "evt.calculator.add.success"
    assert reply.data == {"result": 5}
    assert reply.to == CLIENT
    assert recorder.errors == []
    assert broker.topics == ["com.calculator.add"]


async def test_a_conversation_runs_to_completion() -> None:
    """A fake orchestrator calls the real calculator and answers its initiator."""

    def orchestrate(received: ArvoEvent) -> list[ArvoEvent]:
        if received.type == "arvo.orc.fake":
            return [
                add_request(
                    received.data["a"],
                    received.data["b"],
                    source="arvo.orc.fake",
                    redirectto="arvo.orc.fake",
                )
            ]
        return [
            event(
                CLIENT,
                type="arvo.orc.fake.done",
                source="arvo.orc.fake",
                data={"sum": received.data["result"]},
            )
        ]

    orchestrator = FakeHandler("arvo.orc.fake", orchestrate)
    broker = broker_with([orchestrator, make_calculator_handler()], Recorder())
    done = await broker.resolve(event("arvo.orc.fake", type="arvo.orc.fake", data={"a": 1, "b": 2}))
    assert done is not None
    assert done.type == "arvo.orc.fake.done"
    assert done.data == {"sum": 3}
    assert [e.type for e in orchestrator.received] == [
        "arvo.orc.fake",
        "evt.calculator.add.success",
    ]


async def test_lifo_order() -> None:
    log: list[str] = []
    fan_out = FakeHandler(
        "com.test.fan",
        lambda _: [event("com.test.a"), event("com.test.b"), event("com.test.c")],
        log,
    )
    leaves = [FakeHandler(f"com.test.{name}", log=log) for name in "abc"]
    broker = broker_with([fan_out, *leaves], Recorder())
    await broker.send(event("com.test.fan"))
    assert log == [
        "com.test.fan:com.test.ping",
        "com.test.c:com.test.ping",
        "com.test.b:com.test.ping",
        "com.test.a:com.test.ping",
    ]

    log.clear()
    for name in "abc":
        broker.publish(event(f"com.test.{name}"))
    assert broker.pending == 3
    assert await broker.run_until_quiet() == []
    assert log == [
        "com.test.c:com.test.ping",
        "com.test.b:com.test.ping",
        "com.test.a:com.test.ping",
    ]


async def test_unrouted_events_go_to_on_error_and_leave() -> None:
    recorder = Recorder()
    stray = event("com.nobody.home")
    echo = FakeHandler("com.test.echo", lambda _: [stray])
    broker = broker_with([echo], recorder)
    left = await broker.send(event("com.test.echo"))
    assert left == [stray]
    assert recorder.errors == [(stray, None)]


async def test_domained_events_are_handed_over_not_routed() -> None:
    recorder = Recorder()
    reviewed = event("com.test.sink", domain="human.review")
    audited = event("com.test.sink", domain="audit")
    local = event("com.test.sink")
    source = FakeHandler("com.test.source", lambda _: [reviewed, local, audited])
    sink = FakeHandler("com.test.sink")
    broker = broker_with([source, sink], recorder)
    left = await broker.send(event("com.test.source"))
    assert recorder.domained == [[reviewed, audited]]
    assert left == [reviewed, audited]
    assert sink.received == [local]
    assert recorder.errors == []


async def test_domained_events_without_a_callback_still_leave() -> None:
    domained = event("com.test.sink", domain="audit")
    broker = SimpleEventBroker([FakeHandler("com.test.source", lambda _: [domained])])
    assert await broker.send(event("com.test.source")) == [domained]


async def test_a_failing_handler_does_not_stop_the_bus() -> None:
    recorder = Recorder()
    boom = RuntimeError("handler crashed")

    def crash(_: ArvoEvent) -> list[ArvoEvent]:
        raise boom

    crashing = FakeHandler("com.test.crash", crash)
    healthy = FakeHandler("com.test.ok")
    broker = broker_with([crashing, healthy], recorder)
    broker.publish(event("com.test.ok"))
    failing = event("com.test.crash")
    broker.publish(failing)
    assert await broker.run_until_quiet() == []
    assert recorder.errors == [(failing, boom)]
    assert len(healthy.received) == 1
    assert broker.pending == 0


async def test_violations_from_a_real_handler_reach_on_error() -> None:
    recorder = Recorder()
    broker = broker_with([make_calculator_handler()], recorder)
    bad = event("com.calculator.add", type="com.calculator.add", data={"a": "x", "b": 1})
    await broker.send(bad)
    ((failed, error),) = recorder.errors
    assert failed is bad
    assert type(error).__name__ == "ContractViolation"


def test_publish_refuses_an_empty_to() -> None:
    no_to = ArvoEvent(
        id="e-1",
        source=CLIENT,
        type="com.test.ping",
        subject="s",
        data={},
        time=FIXED_TIME,
        datacontenttype="application/json",
    )
    broker = SimpleEventBroker([])
    with pytest.raises(ValueError, match="'to' is empty"):
        broker.publish(no_to)


async def test_publish_refuses_when_the_queue_is_full() -> None:
    broker = SimpleEventBroker([], max_queue=2)
    broker.publish(event("com.test.a"))
    broker.publish(event("com.test.b"))
    with pytest.raises(ValueError, match=r"queue is full \(2 events waiting\)"):
        broker.publish(event("com.test.c"))


async def test_results_that_overflow_the_queue_are_reported_not_lost() -> None:
    recorder = Recorder()
    burst = [event("com.test.sink", data={"n": n}) for n in range(3)]
    broker = broker_with(
        [FakeHandler("com.test.burst", lambda _: burst), FakeHandler("com.test.sink")],
        recorder,
        max_queue=2,
    )
    left = await broker.send(event("com.test.burst"))
    assert left == [burst[2]]
    ((overflowed, error),) = recorder.errors
    assert overflowed is burst[2]
    assert isinstance(error, ValueError)


async def test_resolve_refuses_a_handler_source() -> None:
    broker = SimpleEventBroker([make_calculator_handler()])
    with pytest.raises(ValueError, match="is a handler topic"):
        await broker.resolve(add_request(1, 1, source="com.calculator.add"))
    assert broker.pending == 0


async def test_resolve_returns_none_without_a_reply() -> None:
    broker = SimpleEventBroker([FakeHandler("com.test.silent")])
    assert await broker.resolve(event("com.test.silent")) is None


async def test_resolve_returns_the_last_reply() -> None:
    replies = [event(CLIENT, data={"n": 1}), event(CLIENT, data={"n": 2})]
    broker = SimpleEventBroker([FakeHandler("com.test.chatty", lambda _: replies)])
    last = await broker.resolve(event("com.test.chatty"))
    # LIFO: the second reply is delivered first, so the first one is delivered last.
    assert last is replies[0]


async def test_without_callbacks_problems_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    def crash(_: ArvoEvent) -> list[ArvoEvent]:
        raise RuntimeError("boom")

    broker = SimpleEventBroker([FakeHandler("com.test.crash", crash)])
    left = await broker.send(event("com.test.crash"))
    assert left == []
    await broker.send(event("com.nobody.home"))
    messages = [record.getMessage() for record in caplog.records]
    assert any("failed" in message and "boom" in message for message in messages)
    assert any("no subscriber for topic 'com.nobody.home'" in message for message in messages)


async def test_an_unrouted_topic_warns_once_then_counts(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="arvo_temporal.broker")
    broker = SimpleEventBroker([])
    for _ in range(3):
        await broker.send(event("com.nobody.home"))
    await broker.send(event("com.nobody.else"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    debugs = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(warnings) == 2
    assert "'com.nobody.home'" in warnings[0] and "'com.nobody.else'" in warnings[1]
    assert len(debugs) == 2 and all("'com.nobody.home'" in message for message in debugs)
    assert broker.unrouted == {"com.nobody.home": 3, "com.nobody.else": 1}


async def test_unrouted_events_are_counted_with_on_error_too() -> None:
    reported: list[tuple[ArvoEvent, BaseException | None]] = []
    broker = SimpleEventBroker([], on_error=lambda e, error: reported.append((e, error)))
    lost = event("com.nobody.home")
    assert await broker.send(lost) == [lost]
    assert reported == [(lost, None)]
    assert broker.unrouted == {"com.nobody.home": 1}
