"""Dead letters: events a sink refused for good, kept instead of lost.

Sending an event again cannot help when its receiver refused it for what it is: a 4xx other than
408, 425 and 429 (including 413, payload too large), a redirect (not followed), a request httpx
cannot build, or a domain without a sink. Failing the dispatch for it would let one receiver
decide how an execution ends, so :func:`deliver_or_dead_letter` keeps each such event in a
*dead-letter sink* with the sink that refused it and why, and reports it; the other events are
delivered as usual. A failure that may pass (a timeout, a 5xx, 408/429, a dead-letter sink that
cannot write) is raised instead, and the whole batch is sent again later, with the same ids.

The deployable worker's default is a JSON-lines file, ``dead-letter.jsonl`` under its data dir
(``ARVO_DATA_DIR``, default ``.arvo-temporal``); ``ARVO_DEAD_LETTER`` or
``ArvoApp(dead_letter=...)`` choose another. One line per dead letter::

    {"dead_lettered_at": "2026-01-01T00:00:00.000000+00:00", "sink": "http(structured) …",
     "status": 400, "reason": "HTTP 400 Bad Request: …", "event": {…the Arvo event…}}

Like every delivery this is at least once: a batch retried after a timeout of another event may
dead-letter the same event again (same ``event.id``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from arvo_temporal.events import ArvoEvent
from arvo_temporal.sinks._errors import SinkDeliveryError, refusals
from arvo_temporal.sinks._files import JsonLinesSink, LineFile
from arvo_temporal.sinks._protocol import EventSink
from arvo_temporal.sinks._urls import sink_from_url

__all__ = [
    "DEAD_LETTER_FILE",
    "DEFAULT_DATA_DIR",
    "DeadLetter",
    "DeadLetterSink",
    "ForwardingDeadLetterSink",
    "JsonLinesDeadLetterSink",
    "dead_letter_sink_from_url",
    "default_dead_letter_sink",
    "deliver_or_dead_letter",
    "read_dead_letters",
]

DEFAULT_DATA_DIR = ".arvo-temporal"
"""The worker's data dir when none is configured, relative to its working directory."""
DEAD_LETTER_FILE = "dead-letter.jsonl"
"""The default dead-letter file's name, inside the data dir."""


@dataclass(frozen=True)
class DeadLetter:
    """An event a sink refused for good, with who refused it and why.

    Attributes:
        event: the event, exactly as it was emitted (same id).
        sink: the name of the sink that refused it (never carries credentials).
        reason: why, e.g. ``HTTP 400 Bad Request: <the receiver's answer>``.
        status: the HTTP status, when there was one.
        at: when it was dead-lettered.
    """

    event: ArvoEvent
    sink: str
    reason: str
    status: int | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, Any]:
        """The JSON object of a dead-letter line (the module docstring shows one)."""
        return {
            "dead_lettered_at": self.at.isoformat(),
            "sink": self.sink,
            "status": self.status,
            "reason": self.reason,
            "event": self.event.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeadLetter:
        """Read back what :meth:`to_json` wrote."""
        return cls(
            event=ArvoEvent.from_json(data["event"]),
            sink=str(data["sink"]),
            reason=str(data["reason"]),
            status=data.get("status"),
            at=datetime.fromisoformat(data["dead_lettered_at"]),
        )


@runtime_checkable
class DeadLetterSink(Protocol):
    """Where dead letters are kept.

    ``put`` either keeps every letter or raises a *retryable* :class:`SinkDeliveryError`: a
    dead letter must never be lost, so a dead-letter sink that cannot keep one makes the whole
    delivery wait and retry until it can.
    """

    @property
    def name(self) -> str:
        """A short label for logs; never carries credentials."""
        ...

    async def put(self, letters: Sequence[DeadLetter]) -> None:
        """Keep the letters, or raise a retryable :class:`SinkDeliveryError`."""
        ...

    async def aclose(self) -> None:
        """Release what the sink holds. Safe to call more than once."""
        ...


class JsonLinesDeadLetterSink:
    """Appends one JSON line per dead letter to a file (the default dead-letter sink).

    A letter for the same event and sink is written once per process (best effort, as in
    :class:`~arvo_temporal.sinks.JsonLinesSink`); a reader dedupes on ``event.id`` and ``sink``.

    Args:
        path: the file; parent folders are created on first write.
        fsync: flush each batch to stable storage before ``put`` returns.
        remember: how many recent letters to keep for skipping duplicates.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: bool = False, remember: int = 10_000
    ) -> None:
        self._file = LineFile(path, fsync=fsync, remember=remember)
        self.path = self._file.path
        self.name = f"dead-letter jsonl:{self.path}"

    async def put(self, letters: Sequence[DeadLetter]) -> None:
        """Append the letters.

        Raises:
            SinkDeliveryError: retryable, whatever kept the file from being written.
        """
        lines = [
            (
                f"{letter.event.id} {letter.sink}",
                json.dumps(letter.to_json(), ensure_ascii=False, separators=(",", ":")),
            )
            for letter in letters
        ]
        try:
            await self._file.append(lines)
        except OSError as error:
            raise SinkDeliveryError(
                f"{type(error).__name__}: {error}",
                sink=self.name,
                event_ids=dict.fromkeys(letter.event.id for letter in letters),
                retryable=True,
            ) from error

    async def aclose(self) -> None:
        """Nothing to release: the file is opened per batch."""


class ForwardingDeadLetterSink:
    """Dead letters delivered as plain events to an :class:`~arvo_temporal.sinks.EventSink`: a
    broker's dead-letter topic, an HTTP endpoint, stdout.

    The events go as they were emitted (same id, nothing added to them); who refused them and why
    is in the worker's log and in the execution's dispatch report.
    """

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink
        self.name = f"dead-letter {sink.name}"

    async def put(self, letters: Sequence[DeadLetter]) -> None:
        """Deliver the letters' events.

        Raises:
            SinkDeliveryError: retryable, whatever the sink's own verdict: a dead letter that
                cannot be kept is never dropped.
        """
        try:
            await self.sink.deliver([letter.event for letter in letters])
        except SinkDeliveryError as error:
            if error.retryable:
                raise
            raise SinkDeliveryError(
                error.reason,
                sink=self.name,
                event_ids=error.event_ids,
                retryable=True,
                status=error.status,
                causes=[error],
            ) from None

    async def aclose(self) -> None:
        """Close the sink."""
        await self.sink.aclose()


def dead_letter_sink_from_url(url: str) -> DeadLetterSink:
    """A dead-letter sink from a URL, as the worker builds it from ``ARVO_DEAD_LETTER``.

    ``file:///abs/path.jsonl`` and ``jsonl:relative/path.jsonl`` are dead-letter files (one JSON
    line per letter, reason included); every other sink URL of
    :func:`~arvo_temporal.sinks.sink_from_url` forwards the events there.

    Raises:
        ValueError: as :func:`~arvo_temporal.sinks.sink_from_url` (never repeating the URL).
    """
    sink = sink_from_url(url)
    if isinstance(sink, JsonLinesSink):
        return JsonLinesDeadLetterSink(sink.path)
    return ForwardingDeadLetterSink(sink)


@cache
def _dead_letter_file(path: Path) -> JsonLinesDeadLetterSink:
    return JsonLinesDeadLetterSink(path)


def default_dead_letter_sink(
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR,
) -> JsonLinesDeadLetterSink:
    """The dead-letter file ``<data_dir>/dead-letter.jsonl``; one object per file in a process,
    so the skipping of duplicates spans every app and worker that uses it."""
    return _dead_letter_file(Path(data_dir).resolve() / DEAD_LETTER_FILE)


def read_dead_letters(path: str | os.PathLike[str]) -> list[DeadLetter]:
    """The letters of a dead-letter file, in the order written ([] when there is no file)."""
    file = Path(path)
    if not file.exists():
        return []
    return [
        DeadLetter.from_json(json.loads(line))
        for line in file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _letters(error: SinkDeliveryError, events: Sequence[ArvoEvent]) -> list[DeadLetter]:
    """One letter per event and refusing sink. A sink that breaks the promise of
    ``arvo_temporal/sinks/_errors.py`` (a refusal naming no event of the batch) gets every
    event of the batch dead-lettered: kept twice is better than lost."""
    by_id = {event.id: event for event in events}
    letters: dict[tuple[str, str], DeadLetter] = {}

    def add(refusal: SinkDeliveryError, ids: Iterable[str]) -> None:
        for event_id in ids:
            event = by_id.get(event_id)
            if event is not None and (event_id, refusal.sink) not in letters:
                letters[event_id, refusal.sink] = DeadLetter(
                    event=event, sink=refusal.sink, reason=refusal.reason, status=refusal.status
                )

    for refusal in refusals(error):
        add(refusal, refusal.event_ids)
    if not letters:
        add(error, error.event_ids if by_id.keys() & set(error.event_ids) else by_id)
    return list(letters.values())


async def deliver_or_dead_letter(
    sink: EventSink,
    events: Sequence[ArvoEvent],
    dead_letter: DeadLetterSink,
    *,
    give_up: str | None = None,
) -> list[DeadLetter]:
    """Deliver ``events``; those refused for good go to ``dead_letter`` instead.

    Args:
        give_up: set on the last attempt (says why, e.g. ``after 20 attempts``): a delivery
            that could still pass later is dead-lettered too, instead of raised, so that a sink
            failing forever cannot hold the deliveries behind it.

    Returns:
        The dead letters kept (empty when everything was delivered).

    Raises:
        SinkDeliveryError: retryable only: a delivery that may succeed later (nothing is
            dead-lettered then; the whole batch is sent again), or a dead-letter sink that could
            not keep the letters.
    """
    try:
        await sink.deliver(events)
    except SinkDeliveryError as error:
        if error.retryable and give_up is None:
            raise
        letters = _letters(error, events)
        if error.retryable:
            letters = [
                replace(letter, reason=f"gave up {give_up}: {letter.reason}") for letter in letters
            ]
    else:
        return []
    await dead_letter.put(letters)
    return letters
