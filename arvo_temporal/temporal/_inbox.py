"""ExecutionInbox: the events waiting to be applied, and what an execution remembers of past ones.

The workflow's message handlers only *offer* events here; its main loop takes them one at a
time, in arrival order, and reports each outcome back. Keeping this bookkeeping in a plain class
(no Temporal in it) lets it be tested on its own and keeps the workflow a thin wiring of
Temporal's signals, updates and timers to it.

It remembers, in bounded windows carried across continue-as-new:

* the ids of applied events (``seen``), so a re-sent event is applied once;
* the outcome of recent events (``outcomes``), so a repeated ``execute`` gets the first answer
  (bounded in count and in bytes, since every continue-as-new carries them; an answer an
  ``execute`` caller still waits for is never dropped);
* the most recent rejections, for the ``status`` query.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from arvo_temporal.events import ArvoEvent
from arvo_temporal.temporal._models import Rejection, StoredOutcome

__all__ = ["OUTCOME_BYTES", "OUTCOME_WINDOW", "REJECTION_WINDOW", "SEEN_WINDOW", "ExecutionInbox"]

SEEN_WINDOW = 4096
OUTCOME_WINDOW = 256
OUTCOME_BYTES = 256 * 1024
"""The stored answers kept, in JSON bytes (the oldest go first; the most recent always stays)."""
REJECTION_WINDOW = 50


class ExecutionInbox:
    """Pending events in arrival order, plus the de-dup window, stored answers and rejections.

    Args:
        pending: events carried from the previous run, still to apply.
        seen: ids of events applied before (oldest first).
        outcomes: stored answers by event id (oldest first).
        rejections: recent rejections (oldest first).
    """

    def __init__(
        self,
        *,
        pending: Iterable[ArvoEvent] = (),
        seen: Iterable[str] = (),
        outcomes: dict[str, StoredOutcome] | None = None,
        rejections: Iterable[Rejection] = (),
    ) -> None:
        self._pending: deque[ArvoEvent] = deque(pending)
        self._queued: set[str] = {event.id for event in self._pending}
        self._seen: dict[str, None] = dict.fromkeys(seen)
        self._outcomes: dict[str, StoredOutcome] = {}
        self._outcome_sizes: dict[str, int] = {}
        self._outcome_bytes = 0
        self._awaited: dict[str, int] = {}  # event id → callers waiting for its answer
        for event_id, outcome in (outcomes or {}).items():
            self._store(event_id, outcome)
        self._rejections: list[Rejection] = list(rejections)

    # -------------------------------------------------------------------------------- intake

    def offer(self, event: ArvoEvent) -> bool:
        """Queue an event unless it was applied or is queued already; True when queued."""
        if event.id in self._seen or event.id in self._queued:
            return False
        self._queued.add(event.id)
        self._pending.append(event)
        return True

    def take(self) -> ArvoEvent | None:
        """The next event to apply, skipping any applied meanwhile; None when there is none."""
        while self._pending:
            event = self._pending.popleft()
            self._queued.discard(event.id)
            if event.id not in self._seen:
                return event
        return None

    def peek(self) -> ArvoEvent | None:
        """The event ``take`` would return next, left in place (a resume compares its arrival
        with the timers that fell due)."""
        while self._pending and self._pending[0].id in self._seen:
            self._queued.discard(self._pending.popleft().id)
        return self._pending[0] if self._pending else None

    def __len__(self) -> int:
        return len(self._pending)

    def __bool__(self) -> bool:
        return bool(self._pending)

    def __iter__(self) -> Iterator[ArvoEvent]:
        return iter(self._pending)

    # -------------------------------------------------------------------------------- memory

    def was_applied(self, event_id: str) -> bool:
        """True when the event was applied (or refused) before, within the window."""
        return event_id in self._seen

    def outcome(self, event_id: str) -> StoredOutcome | None:
        """The stored answer for an event, if it is still remembered."""
        return self._outcomes.get(event_id)

    def settle(self, event_id: str, outcome: StoredOutcome) -> None:
        """Record that an event was applied (or refused) and what it produced."""
        self._seen[event_id] = None
        while len(self._seen) > SEEN_WINDOW:
            del self._seen[next(iter(self._seen))]
        self._store(event_id, outcome)

    def await_outcome(self, event_id: str) -> None:
        """An ``execute`` caller waits for this event's answer: keep it until ``release``."""
        self._awaited[event_id] = self._awaited.get(event_id, 0) + 1

    def release(self, event_id: str) -> None:
        """The caller has its answer (or gave up); the window may drop it again."""
        left = self._awaited.pop(event_id, 0) - 1
        if left > 0:
            self._awaited[event_id] = left

    def _store(self, event_id: str, outcome: StoredOutcome) -> None:
        self._forget(event_id)
        size = len(outcome.model_dump_json())
        self._outcomes[event_id] = outcome
        self._outcome_sizes[event_id] = size
        self._outcome_bytes += size
        while len(self._outcomes) > OUTCOME_WINDOW or self._outcome_bytes > OUTCOME_BYTES:
            oldest = next(
                (key for key in self._outcomes if key not in self._awaited and key != event_id),
                None,
            )
            if oldest is None:
                break
            self._forget(oldest)

    def _forget(self, event_id: str) -> None:
        if self._outcomes.pop(event_id, None) is not None:
            self._outcome_bytes -= self._outcome_sizes.pop(event_id)

    def reject(self, rejection: Rejection) -> None:
        """Keep a rejection for the ``status`` query (the most recent ones only)."""
        self._rejections.append(rejection)
        del self._rejections[:-REJECTION_WINDOW]

    @property
    def rejections(self) -> list[Rejection]:
        """Recent rejections, oldest first."""
        return list(self._rejections)

    @property
    def seen(self) -> list[str]:
        """Ids of applied events in the window, oldest first."""
        return list(self._seen)

    @property
    def outcomes(self) -> dict[str, StoredOutcome]:
        """Stored answers in the window, oldest first."""
        return dict(self._outcomes)
