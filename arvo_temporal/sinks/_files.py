"""JsonLinesSink: one JSON line per event, appended to a file."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks._errors import SinkDeliveryError

__all__ = ["JsonLinesSink"]


class JsonLinesSink:
    """Appends one compact JSON line per event (``event.to_json_string()``) to a file.

    Useful as an audit trail, for local development, and for handing events to a tool that tails a
    file. Parent folders are created on first write. Batches are written whole, under a lock, in a
    worker thread (the event loop never blocks on disk), so lines of concurrent batches never
    interleave.

    Ids written during this process's lifetime are skipped on re-delivery, remembering the last
    ``remember`` of them. That is best effort only (a restarted worker forgets, another worker
    never knew); a reader that needs exactly-once dedupes on ``id``.

    Args:
        path: the file to append to.
        fsync: flush each batch to stable storage before ``deliver`` returns (slower, survives a
            machine crash, not only a process crash).
        remember: how many recent ids to keep for skipping duplicates.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: bool = False, remember: int = 10_000
    ) -> None:
        if remember < 0:
            raise ValueError(f"JsonLinesSink remember must be >= 0; got {remember!r}")
        self.path = Path(path)
        self.fsync = fsync
        self.name = f"jsonl:{self.path}"
        self._remember = remember
        # A dict keeps insertion order, so the oldest id is the first key: a bounded ordered set.
        self._written: dict[str, None] = {}
        self._lock = asyncio.Lock()

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Append the events not written before.

        Raises:
            SinkDeliveryError: when the file cannot be written; retryable unless the failure is
                about permissions or the path's shape, which waiting does not fix.
        """
        async with self._lock:
            fresh: list[ArvoEvent] = []
            batch_ids: set[str] = set()
            for event in events:
                if event.id not in self._written and event.id not in batch_ids:
                    fresh.append(event)
                    batch_ids.add(event.id)
            if not fresh:
                return
            text = "".join(event.to_json_string() + "\n" for event in fresh)
            try:
                await asyncio.to_thread(self._append, text)
            except OSError as error:
                # A file where a folder should be (or the reverse) or missing permissions need an
                # operator; a full disk or a flaky network mount may recover on its own.
                permanent = isinstance(
                    error,
                    PermissionError | IsADirectoryError | NotADirectoryError | FileExistsError,
                )
                raise SinkDeliveryError(
                    f"{type(error).__name__}: {error}",
                    sink=self.name,
                    event_ids=[event.id for event in fresh],
                    retryable=not permanent,
                ) from error
            for event in fresh:
                self._note(event.id)

    def _append(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())

    def _note(self, event_id: str) -> None:
        if self._remember == 0:
            return
        self._written[event_id] = None
        while len(self._written) > self._remember:
            del self._written[next(iter(self._written))]

    async def aclose(self) -> None:
        """Nothing to release: the file is opened per batch, so rotation and deletion are safe."""
