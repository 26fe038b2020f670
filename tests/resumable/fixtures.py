"""Resumables for the tests: the conformance adder written as a handler function, plus a
resumable that misbehaves on request."""

from __future__ import annotations

from typing import Any

from arvo_temporal import (
    ArvoResumable,
    ResumableInput,
    ResumableOutput,
    SimpleMachineMemory,
    create_arvo_resumable,
)
from arvo_temporal.errors import ViolationError
from arvo_temporal.sources import SYSTEM_SOURCE, IdClockSource
from tests.fixtures import anchors
from tests.fixtures.machines import Error


class BudgetExceeded(ViolationError):
    """A user-defined violation with fields of its own."""

    kind = "BudgetExceeded"

    def __init__(self, *, limit: float, asked: float) -> None:
        self.limit = limit
        self.asked = asked
        super().__init__(f"asked {asked}, the limit is {limit}", metadata={"limit": limit})


def adder(request: ResumableInput) -> ResumableOutput | None:
    """The fixtures' adder (tests/fixtures/machines.py ``build_adder``) as a resumable."""
    if request.input is not None:
        data = request.input["data"]
        return {
            "context": {"a": data["a"], "b": data["b"]},
            "services": [{"type": "com.calculator.add", "data": {"a": data["a"], "b": data["b"]}}],
        }
    assert request.service is not None
    if request.service["type"] == "sys.com.calculator.add.error":
        errors = [request.service["data"]]
        return {"output": {"success": False, "sum": None, "errors": errors}}
    return {"output": {"success": True, "sum": request.service["data"]["result"], "errors": []}}


def build_adder_resumable(
    memory: Any = None, *, id_clock: IdClockSource = SYSTEM_SOURCE, units: float | None = None
) -> ArvoResumable:
    return create_arvo_resumable(
        contracts={
            "self": anchors.adder,
            "services": {"add": anchors.calculator.version("1.0.0")},
        },
        memory=memory if memory is not None else SimpleMachineMemory(),
        handler={"1.0.0": adder},
        execution_units=units,
        id_clock=id_clock,
    )


def misbehaving(request: ResumableInput) -> Any:
    """Does what the init's ``a`` asks: 1 raises, 2 violates, 3 returns garbage, 4 asks twice
    and collects both answers before finishing, else asks once and finishes on the answer."""
    if request.input is not None:
        mode = request.input["data"]["a"]
        if mode == 1:
            raise Error("the handler broke")
        if mode == 2:
            raise BudgetExceeded(limit=10, asked=request.input["data"]["b"])
        if mode == 3:
            return ["not", "a", "mapping"]
        calls = 2 if mode == 4 else 1
        return {
            "context": {"calls": calls},
            "services": [
                {"type": "com.calculator.add", "data": {"a": n, "b": 1}} for n in range(calls)
            ],
        }
    answers = request.collected_events.get("evt.calculator.add.success", [])
    if len(answers) < request.context["calls"]:
        return {"context": {**request.context, "waiting": True}}
    total = sum(answer["data"]["result"] for answer in answers)
    return {"output": {"success": True, "sum": total, "errors": []}}


def build_misbehaving(memory: Any = None, **options: Any) -> ArvoResumable:
    return create_arvo_resumable(
        contracts={
            "self": anchors.adder,
            "services": {"add": anchors.calculator.version("1.0.0")},
        },
        memory=memory if memory is not None else SimpleMachineMemory(),
        handler={"1.0.0": misbehaving},
        **options,
    )


def build_misbehaving_on_temporal() -> ArvoResumable:
    """``build_misbehaving`` as the Temporal worker can build it again (plain arguments)."""
    return create_arvo_resumable(
        contracts={
            "self": anchors.adder,
            "services": {"add": anchors.calculator.version("1.0.0")},
        },
        memory=SimpleMachineMemory(),
        handler={"1.0.0": misbehaving},
    )


def build_adder_resumable_on_temporal() -> ArvoResumable:
    """``build_adder_resumable`` as the Temporal worker can build it again (no arguments)."""
    return create_arvo_resumable(
        contracts={
            "self": anchors.adder,
            "services": {"add": anchors.calculator.version("1.0.0")},
        },
        memory=SimpleMachineMemory(),
        handler={"1.0.0": adder},
    )
