"""Machine memory: where an orchestrator keeps one record per execution subject.

The interface follows Arvo's ``IMachineMemory`` (docs/arvo.md §5.8) and the design philosophy of the
Machine Memory seed: *reliable recovery matters more than perfect consistency*. That gives each
operation its own failure policy:

* ``read`` retries with exponential backoff — a store that is briefly unavailable should not fail
  an orchestration that would succeed a moment later, and reading twice changes nothing;
* ``write`` fails fast — retrying a write could apply a state transition twice or on top of a
  state that has moved on; the caller raises a transaction violation instead and the event is
  redelivered;
* ``lock`` is strict on acquire and every lock expires after a TTL — a holder that crashes
  before unlocking must never wedge its subject forever;
* ``unlock`` is tolerant — releasing a lock that has already expired (or never existed) is not an
  error, because the TTL is the safety net and a failed release must not block progress.

``prev_data`` on ``write`` is the record the caller read, so a real store can do an optimistic
compare-and-set; the in-process store has a single writer per event loop and ignores it.

Protocol 3.0.28 (arvo-event-handler) adds two things, both optional for a store to use:

* ``write`` receives a fourth argument, :class:`MachineMemoryMetadata` (the subject, the parent
  subject, the initiator and the orchestrator's source), so a store can index executions by
  hierarchy or owner without decoding records;
* ``cleanup(id)``, when a store has it, is called once an execution reaches a terminal status
  (done, failed, cancelled), so finished records need not be kept forever.

Stores written for the older three-argument ``write`` keep working: the drivers look at the
signature once, when they are built, and call it the way it was written.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

__all__ = [
    "LegacyMachineMemory",
    "MachineMemory",
    "MachineMemoryMetadata",
    "Materialized",
    "SimpleMachineMemory",
]

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True)
class Materialized(Generic[V]):
    """A value that is either known (``resolved``) or not determined yet (``pending``).

    Arvo keeps "we do not know the parent yet" apart from "there is no parent" (``None``), so a
    store can tell a root execution from one whose lineage was not established (a failure
    recorded before the init event was read).
    """

    state: Literal["pending", "resolved"]
    value: V | None = None

    @classmethod
    def pending(cls) -> Materialized[V]:
        """Not determined yet."""
        return cls("pending")

    @classmethod
    def resolved(cls, value: V) -> Materialized[V]:
        """Known to be ``value`` (which may itself be ``None``)."""
        return cls("resolved", value)

    @property
    def is_resolved(self) -> bool:
        """True when the value is known."""
        return self.state == "resolved"

    def to_json(self) -> dict[str, Any]:
        """Arvo's JSON shape: ``{"state": "pending"}`` or ``{"state": "resolved", "value": v}``."""
        return (
            {"state": self.state, "value": self.value}
            if self.is_resolved
            else {"state": self.state}
        )


@dataclass(frozen=True)
class MachineMemoryMetadata:
    """What a store learns about the execution it writes (Arvo's ``MachineMemoryMetadata``).

    Attributes:
        subject: the execution's subject, the same as the ``id`` written.
        parent_subject: the parent execution's subject (``None`` for a root), or pending.
        initiator: who started the execution (the subject's ``execution.initiator``).
        source: the orchestrator that owns the execution (``arvo.orc.<name>``).
    """

    subject: str
    parent_subject: Materialized[str | None]
    initiator: Materialized[str]
    source: str

    def to_json(self) -> dict[str, Any]:
        """Arvo's camelCase JSON shape, for stores that persist it."""
        return {
            "subject": self.subject,
            "parentSubject": self.parent_subject.to_json(),
            "initiator": self.initiator.to_json(),
            "source": self.source,
        }


class MachineMemory(Protocol[T]):
    """Persistence and locking for orchestration records, keyed by the event subject."""

    async def read(self, id: str) -> T | None:
        """The stored record, or ``None`` when there is none. Implementations should retry
        transient failures before raising."""
        ...

    async def write(
        self,
        id: str,
        data: T,
        prev_data: T | None,
        metadata: MachineMemoryMetadata | None = None,
    ) -> None:
        """Store ``data``; ``prev_data`` is what the caller read (for optimistic concurrency);
        ``metadata`` describes the execution (the drivers always pass it).
        Implementations must not retry: a failed write is reported at once."""
        ...

    async def lock(self, id: str) -> bool:
        """Try to take the subject's lock: ``False`` when someone else holds a live lock.
        Locks must expire by themselves after a TTL."""
        ...

    async def unlock(self, id: str) -> bool:
        """Release the subject's lock. Must tolerate an unknown or already expired lock."""
        ...


class LegacyMachineMemory(Protocol[T]):
    """A store written for Arvo before 3.0.28: ``write`` takes no metadata (still accepted)."""

    async def read(self, id: str) -> T | None:
        """The stored record, or ``None``."""
        ...

    async def write(self, id: str, data: T, prev_data: T | None) -> None:
        """Store ``data``."""
        ...

    async def lock(self, id: str) -> bool:
        """Try to take the subject's lock."""
        ...

    async def unlock(self, id: str) -> bool:
        """Release the subject's lock."""
        ...


def _check_id(id: str, operation: str) -> None:
    if not isinstance(id, str) or not id:
        raise ValueError(
            f"SimpleMachineMemory.{operation}: the id must be a non-empty string "
            "(it is the event subject that keys the record)"
        )


class SimpleMachineMemory(MachineMemory[T]):
    """In-process machine memory for tests, examples and single-process deployments.

    Records and locks live in two dictionaries. Each public operation checks and updates them
    without awaiting in between, so on one event loop a lock is taken atomically: of many tasks
    racing for a subject, exactly one wins.

    Args:
        lock_ttl: seconds after which a lock expires even if nobody releases it (as in Arvo's
            memory, the TTL is mandatory, so a crashed holder cannot deadlock its subject).
        read_attempts: how many times ``read`` tries the store before giving up.
        read_backoff: the delay before the first retry; it doubles after every failure.
        clock: a monotonic clock in seconds, injectable so tests can expire locks without sleeping.
        sleep: the coroutine used to wait between read attempts, injectable for the same reason.
        finished_retention: how many finished executions keep their record after ``cleanup``
            (the most recent ones; older ones are deleted). A kept record lets a late duplicate
            of an init event be recognised instead of starting the execution again; a bound keeps
            the process flat however many executions it runs. ``None`` keeps every record
            (the behaviour before protocol 3.0.28), ``0`` deletes a record as soon as it ends.

    Subclasses can override ``_read_once`` / ``_write_once`` to put a real store (or a failing
    fake) behind the same retry and fail-fast policies.
    """

    def __init__(
        self,
        *,
        lock_ttl: float = 30.0,
        read_attempts: int = 3,
        read_backoff: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        finished_retention: int | None = 10_000,
    ) -> None:
        if lock_ttl <= 0:
            raise ValueError("lock_ttl must be positive: every lock needs an expiry")
        if read_attempts < 1:
            raise ValueError("read_attempts must be at least 1")
        if read_backoff < 0:
            raise ValueError("read_backoff must not be negative")
        if finished_retention is not None and finished_retention < 0:
            raise ValueError("finished_retention must be None or a number >= 0")
        self.lock_ttl = lock_ttl
        self.read_attempts = read_attempts
        self.read_backoff = read_backoff
        self._clock = clock
        self._sleep = sleep
        self._records: dict[str, T] = {}
        self._locks: dict[str, float] = {}  # id → the clock reading at which the lock expires
        self.finished_retention = finished_retention
        self._finished: OrderedDict[str, None] = OrderedDict()  # oldest finished id first

    # ------------------------------------------------------------------ store steps

    async def _read_once(self, id: str) -> T | None:
        """One attempt at reading the store; raise to signal a (possibly transient) failure."""
        record = self._records.get(id)
        return copy.copy(record) if isinstance(record, dict) else record

    async def _write_once(self, id: str, data: T) -> None:
        """One attempt at writing the store. A shallow copy is kept so that the caller mutating
        its dict afterwards cannot change what was persisted."""
        self._records[id] = copy.copy(data) if isinstance(data, dict) else data

    # ------------------------------------------------------------------ the interface

    async def read(self, id: str) -> T | None:
        """The record for ``id`` or ``None``; retried with exponential backoff.

        Raises:
            ValueError: for an empty id (never retried: it cannot get better).
            Exception: the last store error once ``read_attempts`` attempts have failed.
        """
        _check_id(id, "read")
        delay, attempt = self.read_backoff, 1
        while True:
            try:
                return await self._read_once(id)
            except Exception:
                if attempt >= self.read_attempts:
                    raise
            await self._sleep(delay)
            delay, attempt = delay * 2, attempt + 1

    async def write(
        self,
        id: str,
        data: T,
        prev_data: T | None,
        metadata: MachineMemoryMetadata | None = None,
    ) -> None:
        """Store ``data`` for ``id``; a failure is raised at once, never retried. ``metadata``
        is not needed by an in-process store (the record holds the same facts)."""
        _check_id(id, "write")
        await self._write_once(id, data)

    async def cleanup(self, id: str) -> None:
        """Mark ``id``'s execution finished; keep its record while it is among the
        ``finished_retention`` most recent finished ones, then delete it (and any lock)."""
        _check_id(id, "cleanup")
        if self.finished_retention is None:
            return
        self._finished.pop(id, None)
        self._finished[id] = None
        while len(self._finished) > self.finished_retention:
            oldest, _ = self._finished.popitem(last=False)
            self._records.pop(oldest, None)
            self._locks.pop(oldest, None)

    def __len__(self) -> int:
        """How many records are stored (for tests, diagnostics and benchmarks)."""
        return len(self._records)

    async def lock(self, id: str) -> bool:
        """Take the lock for ``id`` for ``lock_ttl`` seconds; ``False`` while a live lock is held
        (by anyone: like Arvo's, locks have no owner)."""
        _check_id(id, "lock")
        now = self._clock()
        expires = self._locks.get(id)
        if expires is not None and expires > now:
            return False
        self._locks[id] = now + self.lock_ttl
        return True

    async def unlock(self, id: str) -> bool:
        """Release the lock for ``id``: ``True`` when a live lock was released, ``False`` when
        there was nothing to release (unknown or already expired). Never raises for those."""
        _check_id(id, "unlock")
        expires = self._locks.pop(id, None)
        return expires is not None and expires > self._clock()

    def is_locked(self, id: str) -> bool:
        """Whether a live lock is held for ``id`` (for tests and diagnostics)."""
        expires = self._locks.get(id)
        return expires is not None and expires > self._clock()
