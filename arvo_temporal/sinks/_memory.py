"""MemorySink: delivered events kept in memory, for tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from arvo_temporal.events import ArvoEvent

__all__ = ["MemorySink"]


class MemorySink:
    """Keeps delivered events in memory, in order, once per id: the sink for tests.

    A re-delivery of an id already kept is ignored, as a well-behaved receiver would, so tests can
    assert on exactly what a deduping receiver ends up with. :meth:`wait_for` lets a test await
    deliveries made by a worker running concurrently.
    """

    name = "memory"

    def __init__(self) -> None:
        self._events: list[ArvoEvent] = []
        self._ids: set[str] = set()
        self._changed = asyncio.Event()

    @property
    def events(self) -> list[ArvoEvent]:
        """The events kept so far, in delivery order (a copy)."""
        return list(self._events)

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Keep the events whose ids are new; never fails."""
        added = False
        for event in events:
            if event.id not in self._ids:
                self._ids.add(event.id)
                self._events.append(event)
                added = True
        if added:
            self._changed.set()

    # A timeout argument, not asyncio.timeout() around the call: it reads better in tests and
    # lets the error say how many events did arrive.
    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ArvoEvent]:  # noqa: ASYNC109
        """Wait until at least ``count`` events are kept, then return all of them.

        Raises:
            TimeoutError: when fewer than ``count`` arrived within ``timeout`` seconds; the message
                says how many did.
        """
        try:
            async with asyncio.timeout(timeout):
                while len(self._events) < count:
                    # Clearing first and re-checking after each wake-up means a delivery can never
                    # be missed between the check and the wait.
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"MemorySink: waited {timeout}s for {count} events, got {len(self._events)}"
            ) from None
        return self.events

    async def aclose(self) -> None:
        """Nothing to release; the events stay readable."""
