"""The summation orchestrator as a resumable: plain code instead of a statechart.

Each round pairs the numbers up and asks the calculator for every pair at once; the responses
are collected (``collected_events``) until the round is complete, then the next round starts
with the sums (plus the odd number out). How many calls a round makes depends on the input —
the kind of data-dependent branching a resumable states directly.
"""

from __future__ import annotations

from typing import Any

from arvo_temporal import (
    ArvoResumable,
    ResumableInput,
    ResumableOutput,
    SimpleMachineMemory,
    create_arvo_resumable,
)
from arvo_temporal.memory import MachineMemory
from arvo_temporal.orchestration.record import MachineMemoryRecord
from examples.calculator.contracts import calculator_contract
from examples.summation.contracts import summation_contract

ADD = "com.calculator.add"
ADDED = "evt.calculator.add.success"
FAILED = "sys.com.calculator.add.error"


def _round(numbers: list[float], rounds: int) -> ResumableOutput:
    """Ask for every pair's sum; keep the odd number out for the next round."""
    pairs = [numbers[i : i + 2] for i in range(0, len(numbers) - 1, 2)]
    carry = numbers[-1:] if len(numbers) % 2 else []
    return {
        "context": {"carry": carry, "calls": len(pairs), "rounds": rounds + 1},
        "services": [{"type": ADD, "data": {"a": a, "b": b}} for a, b in pairs],
    }


def sum_numbers(request: ResumableInput) -> ResumableOutput | None:
    """Version 1.0.0 of the orchestrator."""
    if request.input is not None:
        numbers = list(request.input["data"]["numbers"])
        if len(numbers) == 1:
            return {"output": {"success": True, "total": numbers[0], "rounds": 0, "errors": []}}
        return _round(numbers, rounds=0)
    context: dict[str, Any] = request.context
    errors = [event["data"] for event in request.collected_events.get(FAILED, [])]
    if errors:
        return {
            "output": {
                "success": False,
                "total": None,
                "rounds": context["rounds"],
                "errors": errors,
            }
        }
    sums = [event["data"]["result"] for event in request.collected_events.get(ADDED, [])]
    if len(sums) < context["calls"]:
        return None  # the round is not complete yet: keep waiting
    numbers = sums + context["carry"]
    if len(numbers) == 1:
        return {
            "output": {
                "success": True,
                "total": numbers[0],
                "rounds": context["rounds"],
                "errors": [],
            }
        }
    return _round(numbers, rounds=context["rounds"])


def make_summation(
    memory: MachineMemory[MachineMemoryRecord] | None = None,
) -> ArvoResumable:
    """The orchestrator over a memory (a fresh in-process one by default)."""
    return create_arvo_resumable(
        contracts={
            "self": summation_contract,
            "services": {"calculator": calculator_contract.version("1.0.0")},
        },
        memory=memory if memory is not None else SimpleMachineMemory(),
        handler={"1.0.0": sum_numbers},
        execution_units=1,
    )
