"""JsonLinesSink: one JSON line per event, appended to a file; and the line file it shares with
the dead-letter file (``arvo_temporal/sinks/_dead_letters.py``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks._errors import SinkDeliveryError

__all__ = ["JsonLinesSink", "LineFile", "is_permanent"]


class LineFile:
    """Appends batches of lines to a file, each line once per key (an event id) in this process.

    Parent folders are created on first write. Batches are written whole, under a lock, in a
    worker thread (the event loop never blocks on disk), so lines of concurrent batches never
    interleave. The last ``remember`` keys written are skipped when they come again; that is best
    effort only (a restarted worker forgets, another worker never knew).

    Args:
        path: the file to append to.
        fsync: flush each batch to stable storage before returning (slower, survives a machine
            crash, not only a process crash).
        remember: how many recent keys to keep for skipping duplicates.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool, remember: int) -> None:
        if remember < 0:
            raise ValueError(f"remember must be >= 0; got {remember!r}")
        self.path = Path(path)
        self.fsync = fsync
        self._remember = remember
        # A dict keeps insertion order, so the oldest key is the first one: a bounded ordered set.
        self._written: dict[str, None] = {}
        self._lock = asyncio.Lock()

    async def append(self, lines: Sequence[tuple[str, str]]) -> None:
        """Append the ``(key, line)`` pairs whose keys are new.

        Raises:
            OSError: the file could not be written; nothing of the batch is remembered.
        """
        async with self._lock:
            fresh: dict[str, str] = {}
            for key, line in lines:
                if key not in self._written and key not in fresh:
                    fresh[key] = line
            if not fresh:
                return
            text = "".join(line + "\n" for line in fresh.values())
            await asyncio.to_thread(self._write, text)
            for key in fresh:
                self._note(key)

    def unwritten(self, keys: Iterable[str]) -> list[str]:
        """``keys`` (once each, in order) that this file does not remember writing."""
        return [key for key in dict.fromkeys(keys) if key not in self._written]

    def _write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())

    def _note(self, key: str) -> None:
        if self._remember == 0:
            return
        self._written[key] = None
        while len(self._written) > self._remember:
            del self._written[next(iter(self._written))]


def is_permanent(error: OSError) -> bool:
    """A file where a folder should be (or the reverse) or missing permissions need an operator;
    a full disk or a flaky network mount may recover on its own."""
    return isinstance(
        error, PermissionError | IsADirectoryError | NotADirectoryError | FileExistsError
    )


class JsonLinesSink:
    """Appends one compact JSON line per event (``event.to_json_string()``) to a file.

    Useful as an audit trail, for local development, and for handing events to a tool that tails a
    file. Batches are written whole (see :class:`LineFile`), so lines of concurrent batches never
    interleave, and ids written during this process's lifetime are skipped on re-delivery,
    remembering the last ``remember`` of them; a reader that needs exactly-once dedupes on ``id``.

    Args:
        path: the file to append to; parent folders are created on first write.
        fsync: flush each batch to stable storage before ``deliver`` returns (slower, survives a
            machine crash, not only a process crash).
        remember: how many recent ids to keep for skipping duplicates.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: bool = False, remember: int = 10_000
    ) -> None:
        if remember < 0:
            raise ValueError(f"JsonLinesSink remember must be >= 0; got {remember!r}")
        self._file = LineFile(path, fsync=fsync, remember=remember)
        self.path = self._file.path
        self.fsync = fsync
        self.name = f"jsonl:{self.path}"

    async def deliver(self, events: Sequence[ArvoEvent]) -> None:
        """Append the events not written before.

        Raises:
            SinkDeliveryError: when the file cannot be written; retryable unless the failure is
                about permissions or the path's shape, which waiting does not fix.
        """
        try:
            await self._file.append([(event.id, event.to_json_string()) for event in events])
        except OSError as error:
            raise SinkDeliveryError(
                f"{type(error).__name__}: {error}",
                sink=self.name,
                event_ids=self._file.unwritten(event.id for event in events),
                retryable=not is_permanent(error),
            ) from error

    async def aclose(self) -> None:
        """Nothing to release: the file is opened per batch, so rotation and deletion are safe."""
