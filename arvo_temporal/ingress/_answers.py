"""Idempotency by CloudEvents ``id``: a re-POST of an event is answered as it was the first time.

The *durable* de-duplication is Temporal's: the workflow applies an event id once, however often
it is signalled or updated with it (arvo_temporal/temporal/_client.py). This cache only makes
the HTTP answer identical (the same 202, or the same 200 with the same resulting events) for
re-POSTs that reach this ingress process while the answer is remembered. It is bounded by entry
count and bytes, least recently used first out; a re-POST after eviction (or to another replica)
is still applied once, and answered 202.

Two POSTs of one id at the same moment share one delivery: the second waits for the first's
answer. An id re-used for a different event (other content) is refused while remembered, since
Temporal would silently drop it as a duplicate.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from arvo_temporal.events import ArvoEvent
from arvo_temporal.ingress._problems import Problem, ProblemError

__all__ = ["Answer", "AnswerCache", "fingerprint"]


@dataclass(frozen=True)
class Answer:
    """How one event was answered.

    Attributes:
        event_id: the CloudEvents id.
        fingerprint: a digest of the event's JSON (to spot an id re-used for another event).
        workflow_id: the execution's workflow id.
        events: the resulting events' JSON when it was executed (``Prefer: wait``); None when it
            was only accepted (202).
        wait: the wait that was applied, in seconds (None when accepted).
    """

    event_id: str
    fingerprint: str
    workflow_id: str
    events: tuple[dict[str, Any], ...] | None = None
    wait: int | None = None

    @property
    def executed(self) -> bool:
        return self.events is not None

    def size(self) -> int:
        """Roughly the bytes this answer holds (what the cache budget counts)."""
        body = len(json.dumps(self.events, ensure_ascii=False)) if self.events else 0
        return 200 + len(self.event_id) + len(self.workflow_id) + body


def fingerprint(event: ArvoEvent) -> str:
    text = json.dumps(event.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _reused(event: ArvoEvent) -> ProblemError:
    return ProblemError(
        Problem(
            409,
            "event-id-reused",
            "This event id was already used for a different event",
            f"an event with id {event.id!r} and other content was accepted before; a new event "
            "needs a new id (Temporal applies each id once)",
            "id",
        )
    )


class AnswerCache:
    """Remembers answers by event id, bounded by ``max_entries`` and ``max_bytes``."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._answers: OrderedDict[str, tuple[Answer, int]] = OrderedDict()
        self._bytes = 0
        self._pending: dict[str, asyncio.Future[Answer]] = {}

    def __len__(self) -> int:
        return len(self._answers)

    async def answer(
        self, event: ArvoEvent, produce: Callable[[str], Awaitable[Answer]]
    ) -> tuple[Answer, bool]:
        """The answer for ``event``: remembered (second item True), or made by ``produce``
        (given the event's fingerprint) and remembered when it succeeds.

        Raises:
            ProblemError: 409 when the id was used for a different event; whatever ``produce``
                raised (shared with a concurrent POST of the same id).
        """
        digest = fingerprint(event)
        while True:
            remembered = self._answers.get(event.id)
            if remembered is not None:
                self._answers.move_to_end(event.id)
                if remembered[0].fingerprint != digest:
                    raise _reused(event)
                return remembered[0], True
            pending = self._pending.get(event.id)
            if pending is None:
                break
            try:
                answer = await asyncio.shield(pending)
            except asyncio.CancelledError:
                if pending.cancelled():
                    continue  # the first request went away before an answer: try ourselves
                raise
            if answer.fingerprint != digest:
                raise _reused(event)
            return answer, True
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._pending[event.id] = future
        try:
            answer = await produce(digest)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: nobody may be waiting, and that is fine
            raise
        else:
            future.set_result(answer)
            self._remember(answer)
            return answer, False
        finally:
            del self._pending[event.id]

    def _remember(self, answer: Answer) -> None:
        size = answer.size()
        if size > self._max_bytes or self._max_entries == 0:
            return
        self._answers[answer.event_id] = (answer, size)
        self._bytes += size
        while len(self._answers) > self._max_entries or self._bytes > self._max_bytes:
            _, (_, dropped) = self._answers.popitem(last=False)
            self._bytes -= dropped
