"""SimpleEventBroker: an in-process event bus for tests, examples and local runs (docs/arvo.md §9).

Each handler (service or orchestrator) is subscribed on the topic ``handler.source``; an event is
routed by its ``to`` field. Whatever a handler returns is published again, so a whole
conversation — orchestrator → service → orchestrator → … — runs to completion from one event.

Semantics kept from Arvo's ``createSimpleEventBroker``:

* the queue is bounded (1000 by default) and processed **LIFO**: the most recently published
  event is delivered first, which makes a conversation run depth-first;
* an event nobody subscribes to goes to ``on_error`` — it has left the system. Without
  ``on_error`` the first such event of each topic is logged as a WARNING and later ones only at
  DEBUG: a conversation that ends at its initiator (every completion event does) would
  otherwise log on every execution, and formatting that line cost up to 12 % of an in-process
  execution (BENCHMARKS.md). ``unrouted`` keeps the count per topic;
* produced events with a non-null ``domain`` are not routed: they belong to another part of the
  system (a human review queue, another region…) and are handed to ``on_domained_events``.

Arvo waits 1 ms before each delivery so that its JavaScript event loop can breathe; that delay is
not needed here and is left out — delivery order is the same without it, and tests stay fast.

A handler that raises does not stop the bus: the exception goes to ``on_error`` together with the
event, and processing continues with the rest of the queue.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from arvo_temporal.events import ArvoEvent
from arvo_temporal.orchestration.result import OrchestratorResult

__all__ = ["EventHandlerLike", "SimpleEventBroker"]

logger = logging.getLogger(__name__)

ErrorCallback = Callable[[ArvoEvent, BaseException | None], Awaitable[None] | None]
DomainedEventsCallback = Callable[[list[ArvoEvent]], Awaitable[None] | None]


class EventHandlerLike(Protocol):
    """Anything the broker can deliver to: ArvoEventHandler, ArvoOrchestrator, a test fake."""

    @property
    def source(self) -> str:
        """The topic the handler listens on."""
        ...

    async def execute(self, event: ArvoEvent) -> OrchestratorResult:
        """Handle one event and return what it produced."""
        ...


def _log_unrouted(event: ArvoEvent, topic: str, *, first: bool) -> None:
    """A WARNING the first time a topic has no subscriber, DEBUG afterwards (guarded, so the
    hot path formats nothing unless someone listens)."""
    if first:
        logger.warning(
            "no subscriber for topic %r: event %s (%s); later events to this topic are logged "
            "at DEBUG and counted in SimpleEventBroker.unrouted",
            topic,
            event.id,
            event.type,
        )
    elif logger.isEnabledFor(logging.DEBUG):
        logger.debug("no subscriber for topic %r: event %s (%s)", topic, event.id, event.type)


async def _call(callback: Callable[..., Awaitable[None] | None], *args: object) -> None:
    """Call a callback that may be sync or async."""
    outcome = callback(*args)
    if inspect.isawaitable(outcome):
        await outcome


class SimpleEventBroker:
    """Routes events to handlers by ``event.to``, re-publishing their results until quiet.

    Args:
        handlers: subscribed on their ``source``; several handlers may share a topic, and then
            each receives the event.
        on_error: called with ``(event, None)`` for an event nobody subscribes to, and with
            ``(event, exception)`` when a handler raises or a produced event cannot be published.
            Without it these are logged.
        on_domained_events: called with the events of one ``execute`` result that carry a
            domain, instead of routing them.
        max_queue: how many events may wait at once; ``publish`` refuses more.
    """

    def __init__(
        self,
        handlers: Sequence[EventHandlerLike],
        *,
        on_error: ErrorCallback | None = None,
        on_domained_events: DomainedEventsCallback | None = None,
        max_queue: int = 1000,
    ) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self._subscribers: dict[str, list[EventHandlerLike]] = {}
        for handler in handlers:
            self._subscribers.setdefault(handler.source, []).append(handler)
        self._collectors: dict[str, list[ArvoEvent]] = {}
        self._queue: list[ArvoEvent] = []
        self._on_error = on_error
        self._on_domained_events = on_domained_events
        self.max_queue = max_queue
        self._unrouted: dict[str, int] = {}

    @property
    def topics(self) -> list[str]:
        """The subscribed topics (handler sources), in subscription order."""
        return list(self._subscribers)

    @property
    def unrouted(self) -> dict[str, int]:
        """How many events left the system because nobody subscribes to their topic, by topic
        (a copy; counted whether or not ``on_error`` is given)."""
        return dict(self._unrouted)

    @property
    def pending(self) -> int:
        """How many events wait in the queue."""
        return len(self._queue)

    def publish(self, event: ArvoEvent) -> None:
        """Queue an event for delivery to the handlers of ``event.to``.

        Raises:
            ValueError: when ``event.to`` is empty, or the queue already holds ``max_queue``.
        """
        if not event.to:
            raise ValueError(
                f"cannot publish event {event.id} ({event.type}): its 'to' is empty, "
                "so there is no topic to route it to"
            )
        if len(self._queue) >= self.max_queue:
            raise ValueError(
                f"cannot publish event {event.id} ({event.type}): the queue is full "
                f"({self.max_queue} events waiting)"
            )
        self._queue.append(event)

    async def run_until_quiet(self) -> list[ArvoEvent]:
        """Deliver queued events (last in, first out) until the queue is empty.

        Returns:
            The events that left the system, in the order they left: unrouted ones and
            domained ones.
        """
        left: list[ArvoEvent] = []
        while self._queue:
            await self._deliver(self._queue.pop(), left)
        return left

    async def send(self, event: ArvoEvent) -> list[ArvoEvent]:
        """Publish ``event`` and run until quiet; returns the events that left the system."""
        self.publish(event)
        return await self.run_until_quiet()

    async def resolve(self, event: ArvoEvent) -> ArvoEvent | None:
        """Send ``event`` and return the last event addressed back to its source (or ``None``).

        The source acts as a temporary subscriber, so it must not be a handler's topic — its
        replies would be indistinguishable from requests to that handler.

        Raises:
            ValueError: when ``event.source`` is a handler topic or is already being resolved.
        """
        if event.source in self._subscribers:
            raise ValueError(
                f"cannot resolve an event whose source '{event.source}' is a handler topic of "
                "this broker; use another source for the requester"
            )
        if event.source in self._collectors:
            raise ValueError(f"an event from '{event.source}' is already being resolved")
        collected: list[ArvoEvent] = []
        self._collectors[event.source] = collected
        try:
            await self.send(event)
        finally:
            del self._collectors[event.source]
        return collected[-1] if collected else None

    # ------------------------------------------------------------------ delivery

    async def _deliver(self, event: ArvoEvent, left: list[ArvoEvent]) -> None:
        topic = event.to or ""
        collector = self._collectors.get(topic)
        if collector is not None:
            collector.append(event)
            return
        subscribers = self._subscribers.get(topic)
        if not subscribers:
            left.append(event)
            seen = self._unrouted.get(topic, 0)
            self._unrouted[topic] = seen + 1
            if self._on_error is not None:
                await _call(self._on_error, event, None)
            else:
                _log_unrouted(event, topic, first=seen == 0)
            return
        for handler in subscribers:
            try:
                result = await handler.execute(event)
            except Exception as error:
                await self._report(event, error)
                continue
            await self._forward(result.all_events, left)

    async def _forward(self, produced: list[ArvoEvent], left: list[ArvoEvent]) -> None:
        """Re-publish a result's routable events; hand its domained events over."""
        domained = [event for event in produced if event.domain is not None]
        for event in produced:
            if event.domain is not None:
                continue
            try:
                self.publish(event)
            except ValueError as error:
                left.append(event)
                await self._report(event, error)
        if domained:
            left.extend(domained)
            if self._on_domained_events is not None:
                await _call(self._on_domained_events, domained)

    async def _report(self, event: ArvoEvent, error: BaseException) -> None:
        if self._on_error is not None:
            await _call(self._on_error, event, error)
        else:
            logger.error("event %s (%s) to %r failed: %r", event.id, event.type, event.to, error)
