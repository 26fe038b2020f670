"""StdoutSink: one line per event for people watching a terminal."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from arvo_temporal.events import ArvoEvent

__all__ = ["StdoutSink"]


class StdoutSink:
    """Prints a one-line summary per event, ``[<domain or default>] <type> → <to> (<id>)``, then the
    indented JSON when ``pretty``. Meant for people watching a terminal, so it does not dedupe.

    Args:
        stream: where to write; ``None`` (the default) means ``sys.stdout`` as it is at delivery
            time, so redirection (and pytest's capture) set up after construction is honoured.
        pretty: also print each event's JSON, indented.
    """

    name = "stdout"

    def __init__(self, stream: TextIO | None = None, *, pretty: bool = False) -> None:
        self._stream = stream
        self.pretty = pretty

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Write the summaries (and JSON) and flush."""
        stream = self._stream if self._stream is not None else sys.stdout
        for event in events:
            stream.write(f"{_summary(event)}\n")
            if self.pretty:
                stream.write(f"{event.to_json_string(indent=2)}\n")
        stream.flush()

    async def aclose(self) -> None:
        """Nothing to release; the stream belongs to the caller."""


def _summary(event: ArvoEvent) -> str:
    """``[<domain or default>] <type> → <to> (<id>)``: one line a person can scan."""
    return f"[{event.domain or 'default'}] {event.type} → {event.to or '-'} ({event.id})"
