"""SimpleMachineMemory: lock contention and TTL, tolerant unlock, read retries, fail-fast writes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from arvo_temporal.memory import MachineMemory, SimpleMachineMemory


class FakeClock:
    """A clock the test moves by hand, so TTL expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingSleep:
    """Records the requested backoff delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class FlakyMemory(SimpleMachineMemory[dict[str, Any]]):
    """Reads fail ``failures`` times before reaching the store; writes fail when asked."""

    def __init__(self, *, failures: int, fail_writes: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.failures = failures
        self.fail_writes = fail_writes
        self.read_calls = 0
        self.write_calls = 0

    async def _read_once(self, id: str) -> dict[str, Any] | None:
        self.read_calls += 1
        if self.read_calls <= self.failures:
            raise ConnectionError(f"store unavailable (attempt {self.read_calls})")
        return await super()._read_once(id)

    async def _write_once(self, id: str, data: dict[str, Any]) -> None:
        self.write_calls += 1
        if self.fail_writes:
            raise ConnectionError("store refused the write")
        await super()._write_once(id, data)


def test_satisfies_the_protocol() -> None:
    memory: MachineMemory[dict[str, Any]] = SimpleMachineMemory()
    assert memory is not None


async def test_read_write_round_trip_and_missing_record() -> None:
    memory: SimpleMachineMemory[dict[str, Any]] = SimpleMachineMemory()
    assert await memory.read("subject-1") is None
    await memory.write("subject-1", {"status": "active"}, None)
    assert await memory.read("subject-1") == {"status": "active"}


async def test_write_stores_a_shallow_copy() -> None:
    memory: SimpleMachineMemory[dict[str, Any]] = SimpleMachineMemory()
    record: dict[str, Any] = {"status": "active", "events": []}
    await memory.write("s", record, None)
    record["status"] = "done"
    stored = await memory.read("s")
    assert stored == {"status": "active", "events": []}
    assert stored is not record
    # Shallow: nested values are shared, as with Arvo's spread copy.
    assert stored["events"] is record["events"]


async def test_lock_contention() -> None:
    memory: SimpleMachineMemory[dict[str, Any]] = SimpleMachineMemory(clock=FakeClock())
    assert await memory.lock("s") is True
    assert await memory.lock("s") is False
    assert await memory.lock("other") is True
    assert await memory.unlock("s") is True
    assert await memory.lock("s") is True


async def test_lock_expires_after_its_ttl() -> None:
    clock = FakeClock()
    memory: SimpleMachineMemory[dict[str, Any]] = SimpleMachineMemory(lock_ttl=30.0, clock=clock)
    assert await memory.lock("s") is True
    clock.now += 29.999
    assert await memory.lock("s") is False
    assert memory.is_locked("s")
    clock.now += 0.001
    assert not memory.is_locked("s")
    # The holder never released it, yet a new caller gets it: no deadlock.
    assert await memory.lock("s") is True


async def test_unlock_is_tolerant() -> None:
    clock = FakeClock()
    memory: SimpleMachineMemory[dict[str, Any]] = SimpleMachineMemory(lock_ttl=5.0, clock=clock)
    assert await memory.unlock("never-locked") is False
    assert await memory.lock("s") is True
    clock.now += 10
    assert await memory.unlock("s") is False  # expired already: nothing to release
    assert await memory.unlock("s") is False  # twice: still fine
    assert await memory.lock("s") is True


@pytest.mark.parametrize("operation", ["read", "write", "lock", "unlock"])
async def test_empty_id_is_refused(operation: str) -> None:
    memory: SimpleMachineMemory[dict[str, Any]] = SimpleMachineMemory()
    call = {
        "read": lambda: memory.read(""),
        "write": lambda: memory.write("", {}, None),
        "lock": lambda: memory.lock(""),
        "unlock": lambda: memory.unlock(""),
    }[operation]
    with pytest.raises(ValueError, match=rf"SimpleMachineMemory\.{operation}: the id must be"):
        await call()


async def test_read_retries_transient_failures_with_exponential_backoff() -> None:
    sleep = RecordingSleep()
    memory = FlakyMemory(failures=2, read_attempts=3, read_backoff=0.5, sleep=sleep)
    await memory.write("s", {"v": 1}, None)
    assert await memory.read("s") == {"v": 1}
    assert memory.read_calls == 3
    assert sleep.delays == [0.5, 1.0]


async def test_read_gives_up_with_the_last_error() -> None:
    sleep = RecordingSleep()
    memory = FlakyMemory(failures=10, read_attempts=4, read_backoff=0.1, sleep=sleep)
    with pytest.raises(ConnectionError, match=r"attempt 4\)"):
        await memory.read("s")
    assert memory.read_calls == 4
    assert sleep.delays == [0.1, 0.2, 0.4]


async def test_write_fails_fast() -> None:
    sleep = RecordingSleep()
    memory = FlakyMemory(failures=0, fail_writes=True, read_attempts=5, sleep=sleep)
    with pytest.raises(ConnectionError, match="refused the write"):
        await memory.write("s", {"v": 1}, None)
    assert memory.write_calls == 1
    assert sleep.delays == []
    assert await memory.read("s") is None


async def test_one_winner_among_racing_tasks() -> None:
    memory: SimpleMachineMemory[dict[str, Any]] = SimpleMachineMemory()
    start = asyncio.Event()

    async def contender() -> bool:
        await start.wait()
        return await memory.lock("shared")

    tasks = [asyncio.create_task(contender()) for _ in range(100)]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*tasks)
    assert results.count(True) == 1
    assert results.count(False) == 99


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lock_ttl": 0}, "lock_ttl must be positive"),
        ({"read_attempts": 0}, "read_attempts must be at least 1"),
        ({"read_backoff": -1}, "read_backoff must not be negative"),
    ],
)
def test_options_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimpleMachineMemory(**options)


async def test_cleanup_keeps_the_most_recent_finished_records() -> None:
    memory: SimpleMachineMemory[dict[str, Any]] = SimpleMachineMemory(finished_retention=2)
    for n in range(4):
        await memory.write(f"s{n}", {"n": n}, None)
    await memory.lock("s0")
    for n in range(4):
        await memory.cleanup(f"s{n}")
    assert len(memory) == 2
    assert [await memory.read(f"s{n}") for n in range(4)] == [None, None, {"n": 2}, {"n": 3}]
    assert not memory.is_locked("s0")  # an evicted execution's lock goes with it


async def test_cleanup_without_retention_keeps_everything_and_zero_keeps_nothing() -> None:
    keep_all: SimpleMachineMemory[dict[str, Any]] = SimpleMachineMemory(finished_retention=None)
    keep_none: SimpleMachineMemory[dict[str, Any]] = SimpleMachineMemory(finished_retention=0)
    for memory in (keep_all, keep_none):
        await memory.write("s", {"done": True}, None)
        await memory.cleanup("s")
    assert await keep_all.read("s") == {"done": True}
    assert await keep_none.read("s") is None


def test_retention_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="finished_retention"):
        SimpleMachineMemory(finished_retention=-1)
