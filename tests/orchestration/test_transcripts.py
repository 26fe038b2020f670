"""orchestrator-transcripts.json replayed step by step against the in-process orchestrator.

Per step we compare the returned events (modulo token renaming, tests/vectors/README.md §2), the thrown
violation, every memory operation in order, the stored records' portable parts, and the
structured domain view. Inputs that are earlier outputs are fed from *our* earlier outputs.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from arvo_temporal import ArvoEvent, ViolationError
from arvo_temporal.memory import SimpleMachineMemory
from arvo_temporal.orchestrator import create_arvo_orchestrator
from tests.conftest import load_vector
from tests.fixtures.anchors import FIXED_TIME
from tests.fixtures.machines import BUILDERS, EXECUTION_UNITS
from tests.fixtures.services import make_calculator_handler
from tests.vector_match import EMBEDDED_TOKEN, TOKEN, Matcher

TRANSCRIPTS = load_vector("arvo-ts-v3/orchestrator-transcripts.json")["transcripts"]


class RecordingMemory(SimpleMachineMemory[Any]):
    """SimpleMachineMemory that logs every operation as the transcripts' ``memory_ops`` do."""

    def __init__(self, label: str, log: list[dict[str, Any]]) -> None:
        super().__init__()
        self.label = label
        self.log = log

    async def read(self, id: str) -> Any:
        record = await super().read(id)
        self.log.append({"memory": self.label, "op": "read", "id": id, "found": record is not None})
        return record

    async def write(self, id: str, data: Any, prev_data: Any) -> None:
        await super().write(id, data, prev_data)
        self.log.append(
            {
                "memory": self.label,
                "op": "write",
                "id": id,
                "executionStatus": data.execution_status,
                "prevData": None if prev_data is None else "previous record",
            }
        )

    async def lock(self, id: str) -> bool:
        acquired = await super().lock(id)
        self.log.append({"memory": self.label, "op": "lock", "id": id, "acquired": acquired})
        return acquired

    async def unlock(self, id: str) -> bool:
        result = await super().unlock(id)
        self.log.append({"memory": self.label, "op": "unlock", "id": id, "result": result})
        return result


def _substitute(value: Any, matcher: Matcher) -> Any:
    """Replace tokens in a hand-made input by the raw values they are bound to."""
    if isinstance(value, dict):
        return {key: _substitute(item, matcher) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, matcher) for item in value]
    if isinstance(value, str):
        if value == "<TIME>":
            return FIXED_TIME
        if TOKEN.match(value):
            assert value in matcher.bindings, f"input token {value} was never produced"
            return matcher.bindings[value]
        if EMBEDDED_TOKEN.search(value):
            return EMBEDDED_TOKEN.sub(lambda m: str(matcher.bindings[m.group(0)]), value)
    return value


def _portable(record: Any) -> dict[str, Any]:
    data = record.to_json()
    if data["executionStatus"] == "failure":
        return {
            "executionStatus": "failure",
            "subject": data["subject"],
            "error": {"name": data["error"]["name"], "message": data["error"]["message"]},
        }
    return {
        "executionStatus": data["executionStatus"],
        "initEventId": data["initEventId"],
        "subject": data["subject"],
        "parentSubject": data["parentSubject"],
        "status": data["status"],
        "value": data["value"],
        "state": {"context": data["state"]["context"], "output": data["state"]["output"]},
        "events": data["events"],
    }


def _expected_portable(record: dict[str, Any]) -> dict[str, Any]:
    if record["executionStatus"] == "failure":
        error = record["error"]
        return {
            "executionStatus": "failure",
            "subject": record["subject"],
            "error": {"name": error["name"], "message": error["message"]},
        }
    return {
        "executionStatus": record["executionStatus"],
        "initEventId": record["initEventId"],
        "subject": record["subject"],
        "parentSubject": record["parentSubject"],
        "status": record["status"],
        "value": record["value"],
        "state": {"context": record["state"]["context"], "output": record["state"].get("output")},
        "events": record["events"],
    }


def _opening(message: str) -> str:
    """Messages embedding library-specific issue lists are compared by their opening text."""
    return re.split(r"[\[\n]", message, maxsplit=1)[0].strip()


def _check_thrown(expected: dict[str, Any], error: BaseException) -> None:
    assert isinstance(error, ViolationError), f"expected a violation, got {error!r}"
    assert error.name == expected["name"]
    assert error.kind == expected["type"]
    assert str(error).startswith(_opening(expected["message"])), (
        f"{str(error)!r} does not start like {expected['message']!r}"
    )


def _check_domain_view(expected: dict[str, Any], result: Any, matcher: Matcher) -> None:
    by_domain = {
        ("default" if name == "null" else name): ids
        for name, ids in expected["eventIdsByDomain"].items()
    }
    ours = {name: [e.id for e in events] for name, events in result.domained_events.items()}
    for name, ids in by_domain.items():
        matcher.match(ids, ours.get(name, []), f"domainedEvents[{name}]")
    assert [d for d in result.all_event_domains if d != "default"] == expected["allEventDomains"]
    if "default" in by_domain:
        assert "default" in result.all_event_domains
    assert [e.id for e in result.all_events] == [e.id for e in result.all_events]


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=lambda t: t["name"])
async def test_orchestrator_transcript(transcript):
    matcher = Matcher(subjects=transcript["subjects"])
    log: list[dict[str, Any]] = []
    memories = {name: RecordingMemory(name, log) for name in BUILDERS}
    executors: dict[str, Any] = {
        f"orchestrator arvo.orc.{name}": create_arvo_orchestrator(
            memory=memories[name], machines=[build()], execution_units=EXECUTION_UNITS[name]
        )
        for name, build in BUILDERS.items()
    }
    executors["handler com.calculator.add"] = make_calculator_handler()
    produced: dict[str, ArvoEvent] = {}

    for step in transcript["steps"]:
        where = f"{transcript['name']} step {step['step']} ({step['label']})"
        expected_input = step["input"]
        if TOKEN.match(expected_input["id"]) and expected_input["id"] in matcher.bindings:
            event = produced[matcher.bindings[expected_input["id"]]]
            matcher.match(expected_input, event.to_json(), f"{where} input")
        else:
            event = ArvoEvent.from_json(_substitute(expected_input, matcher))
        log.clear()
        executor = executors[step["handler"]]
        if "thrown" in step:
            with pytest.raises(ViolationError) as raised:
                await executor.execute(event)
            _check_thrown(step["thrown"], raised.value)
        else:
            result = await executor.execute(event)
            actual = [e.to_json() for e in result.all_events]
            matcher.match(step["events"], actual, f"{where} events")
            for produced_event in result.all_events:
                produced[produced_event.id] = produced_event
            _check_domain_view(step["derived_domain_view"], result, matcher)
        matcher.match(step["memory_ops"], log, f"{where} memory_ops")
        for entry in step.get("memory_after", []):
            record = await memories[entry["memory"]].read(_substitute(entry["id"], matcher))
            log.clear()
            if entry["record"] is None:
                assert record is None, f"{where}: expected no record"
                continue
            assert record is not None, f"{where}: expected a record"
            matcher.match(
                _expected_portable(entry["record"]), _portable(record), f"{where} memory_after"
            )
