"""The summation example (examples/summation) end to end in process: rounds of parallel calls
whose answers are collected, a calculator failure, and a single number."""

from __future__ import annotations

import pytest

from arvo_temporal import SimpleEventBroker, SimpleMachineMemory
from arvo_temporal.orchestration.record import MachineMemoryRecord
from examples.calculator.handlers import make_calculator_handler
from examples.summation import starter
from examples.summation.resumable import make_summation


@pytest.mark.parametrize(
    ("numbers", "total", "rounds"),
    [([7], 7.0, 0), ([1, 2], 3.0, 1), ([1, 2, 3, 4, 5], 15.0, 3), (list(range(16)), 120.0, 4)],
)
async def test_sums_in_rounds(numbers, total, rounds):
    assert await starter.main(numbers) == {
        "success": True,
        "total": total,
        "rounds": rounds,
        "errors": [],
    }


async def test_a_calculator_failure_ends_the_sum_with_its_error():
    output = await starter.main([1e308, 1e308, 1, 2])
    assert output["success"] is False and output["total"] is None
    (error,) = output["errors"]
    assert error["errorName"] == "ArithmeticError"


async def test_the_record_keeps_the_context_and_the_execution_units():
    memory = SimpleMachineMemory[MachineMemoryRecord]()
    summation = make_summation(memory)
    broker = SimpleEventBroker([summation, make_calculator_handler()])
    init = starter.summation_init([1, 2, 3])
    await broker.send(init)
    status = await summation.status(init.subject)
    # 2 calls out (1 unit each) + 2 answers (1 each) + the completion (1)
    assert (status.status, status.execution_units) == ("done", 5.0)
    record = await memory.read(init.subject)
    assert record is not None and record.state == {
        "state$$": {"carry": [], "calls": 1, "rounds": 2}
    }
