"""events.json replayed: createArvoEvent, the bare constructor, ids, generated time, factories."""

from __future__ import annotations

import json
import re

import pytest

from arvo_temporal import (
    ArvoEvent,
    ArvoEventValidationError,
    ArvoOrchestratorEventFactory,
    DataValidationError,
    create_arvo_event,
    parse_arvo_event_id,
)
from arvo_temporal.errors import ArvoContractError
from arvo_temporal.factories import ArvoEventFactory
from arvo_temporal.sources import DeterministicSource
from tests.conftest import load_vector
from tests.fixtures import anchors
from tests.vector_match import Matcher

VECTORS = load_vector("arvo-ts-v3/events.json")
FIXED_SUBJECT = VECTORS["createArvoEvent_ok"][0]["input"]["subject"]
PARENT_SUBJECT = VECTORS["factories"]["orchestrator_init_child"]["data"]["parentSubject$$"]


@pytest.mark.parametrize("case", VECTORS["createArvoEvent_ok"], ids=lambda c: c["label"])
def test_create_arvo_event_accepts(case):
    event = create_arvo_event(**case["input"], extensions=case["extensions"])
    assert event.to_json() == case["toJSON"]
    assert list(event.to_json()) == list(case["toJSON"]), "key order differs from Arvo's"
    assert event.to_json_string() == case["toString"]
    assert ArvoEvent.from_json(case["toString"]) == event


def _reject_input(case):
    if case["label"] == "data has an undefined value":
        # JavaScript's undefined has no Python value; the Python equivalent is a value with no
        # JSON form, which must be refused for the same reason (the JSON round trip changes it).
        return {**case["input"], "data": {"a": object()}}
    return case["input"]


@pytest.mark.parametrize("case", VECTORS["createArvoEvent_rejects"], ids=lambda c: c["label"])
def test_create_arvo_event_rejects(case):
    assert case["throws"] is True
    with pytest.raises(ArvoEventValidationError) as raised:
        create_arvo_event(**_reject_input(case), extensions=case["extensions"])
    assert raised.value.errors, "the error must name the offending field"
    assert isinstance(raised.value, ValueError)


def _constructor_input(label):
    base = {
        "id": "evt-ctor",
        "source": "com.anchor.client",
        "type": "com.calculator.add",
        "subject": FIXED_SUBJECT,
        "data": {},
        "time": "2025-01-01T00:00:00.000+00:00",
        "dataschema": None,
        "to": None,
    }
    if label.startswith("constructor, application/json"):
        base["datacontenttype"] = "application/json"
    elif "dataschema with a space" in label:
        base.update(dataschema="#/my schema/1.0.0", to="com.calculator.add")
    elif "source with a space" in label:
        base.update(source="my service", to="com.calculator.add")
    return base


@pytest.mark.parametrize("case", VECTORS["constructor_cases"], ids=lambda c: c["label"])
def test_bare_constructor_validates_without_encoding(case):
    fields = _constructor_input(case["label"])
    if case["throws"]:
        with pytest.raises(ArvoEventValidationError) as raised:
            ArvoEvent(**fields)
        message = case["error"]
        if message.startswith("["):
            message = json.loads(message)[0]["message"]
        assert message in str(raised.value)
    else:
        assert ArvoEvent(**fields).to_json() == case["toJSON"]


def test_ids_follow_arvo_3():
    ids = VECTORS["ids"]
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    base = {"source": "com.anchor.client", "type": "com.x.y", "subject": "s", "data": {}}
    assert uuid.match(create_arvo_event(**base).id)
    managed = create_arvo_event(**base, id=ids["arvo_managed"]["input"])
    decoded = parse_arvo_event_id(managed.id)
    assert decoded is not None and decoded["value"] == ids["arvo_managed"]["decoded"]["value"]
    assert uuid.match(decoded["uuid"])
    developer = create_arvo_event(**base, id=ids["developer_managed"]["input"])
    assert developer.id == ids["developer_managed"]["id"]
    assert uuid.match(create_arvo_event(**base, id=ids["developer_managed_blank"]["input"]).id)
    plain = create_arvo_event(**base, id=ids["plain_string_id_is_ignored_in_v3"]["input"])
    assert plain.id != "my-own-id" and uuid.match(plain.id)
    assert parse_arvo_event_id(plain.id) is None


def test_generated_time_format_and_injected_clock():
    pattern = re.compile(VECTORS["time_format_regex"])
    event = create_arvo_event(source="com.a.b", type="com.x.y", subject="s", data={})
    assert pattern.match(event.time)
    fixed = create_arvo_event(
        source="com.a.b", type="com.x.y", subject="s", data={}, id_clock=DeterministicSource()
    )
    assert fixed.time == "2025-01-01T00:00:00.000+00:00"
    assert fixed.id == "00000000-0000-4000-8000-000000000001"


def _factories():
    source = DeterministicSource()
    calc = ArvoEventFactory(anchors.calculator.version("1.0.0"), id_clock=source)
    orc = ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0"), id_clock=source)
    dev = lambda value: {"deduplication": "DEVELOPER_MANAGED", "value": value}  # noqa: E731
    client = anchors.CLIENT
    produced = {
        "accepts_without_subject": calc.accepts(
            id=dev("f-1"), source=client, data={"a": 1, "b": 2}
        ),
        "accepts_with_subject_and_redirectto": calc.accepts(
            id=dev("f-2"),
            source=client,
            subject=FIXED_SUBJECT,
            redirectto="com.anchor.sink",
            data={"a": 1, "b": 2},
        ),
        "emits": calc.emits(
            id=dev("f-3"),
            type="evt.calculator.add.success",
            source="com.calculator.add",
            subject=FIXED_SUBJECT,
            to="arvo.orc.adder",
            data={"result": 3},
        ),
        "systemError": calc.system_error(
            id=dev("f-4"),
            error=TypeError("boom"),
            source="com.calculator.add",
            subject=FIXED_SUBJECT,
            to="arvo.orc.adder",
        ),
        "orchestrator_init_root": orc.init(
            id=dev("f-5"), source=client, data={"parentSubject$$": None, "a": 1, "b": 2}
        ),
        "orchestrator_init_root_with_redirectto": orc.init(
            id=dev("f-6"),
            source=client,
            redirectto="com.anchor.sink",
            data={"parentSubject$$": None, "a": 1, "b": 2},
        ),
        "orchestrator_init_child": orc.init(
            id=dev("f-7"),
            source="arvo.orc.parent",
            data={"parentSubject$$": PARENT_SUBJECT, "a": 1, "b": 2},
        ),
        "orchestrator_init_root_with_domain": orc.init(
            id=dev("f-8"),
            source=client,
            domain="orchestrators",
            data={"parentSubject$$": None, "a": 1, "b": 2},
        ),
        "orchestrator_complete": orc.complete(
            id=dev("f-9"),
            source="arvo.orc.adder",
            subject=FIXED_SUBJECT,
            to="com.anchor.client",
            data={"success": True, "sum": 3, "errors": []},
        ),
    }
    return calc, produced


def test_factories_match_arvo():
    calc, produced = _factories()
    matcher = Matcher(subjects=VECTORS["subjects"])
    for name, event in produced.items():
        matcher.match(VECTORS["factories"][name], event.to_json(), name)
    assert VECTORS["factories"]["accepts_invalid_data"] == "throws"
    with pytest.raises(DataValidationError, match="Accept Event data validation failed"):
        calc.accepts(source=anchors.CLIENT, data={"a": "1", "b": 2})
    assert VECTORS["factories"]["orchestrator_factory_on_plain_contract"] == "throws"
    with pytest.raises(ArvoContractError, match="not an orchestrator contract"):
        ArvoOrchestratorEventFactory(anchors.calculator.version("1.0.0"))
    with pytest.raises(ArvoContractError, match="is not emitted"):
        calc.emits(type="evt.other.thing", source="com.a.b", data={})
