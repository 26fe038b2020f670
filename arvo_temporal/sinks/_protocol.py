"""What every sink is: the :class:`EventSink` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from arvo_temporal.events import ArvoEvent

__all__ = ["EventSink"]


@runtime_checkable
class EventSink(Protocol):
    """Somewhere events go when they leave the system.

    ``deliver`` receives a batch in emission order and either returns (every event delivered) or
    raises :class:`SinkDeliveryError`. It may be called again with events it already delivered
    (at-least-once), so it must tolerate duplicates or leave dedupe to the receiver.
    """

    @property
    def name(self) -> str:
        """A short label for logs and errors; never carries credentials."""
        ...

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Deliver ``events`` in order, or raise :class:`SinkDeliveryError`."""
        ...

    async def aclose(self) -> None:
        """Release what the sink holds (connections, files). Safe to call more than once."""
        ...
