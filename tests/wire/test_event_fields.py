"""ArvoEvent validation field by field and the id rules, beyond the vectors: every invalid field
named at once (also through from_json, which unwraps pydantic's error), time formats, the JSON
cleaning of data, Arvo's 'to' rule, ids, and the indented text form."""

from __future__ import annotations

import base64
import json
import logging
import zlib

import pytest

from arvo_temporal import (
    ArvoEvent,
    ArvoEventValidationError,
    DeterministicSource,
    create_arvo_event,
)
from arvo_temporal.events import ARVO_DATA_CONTENT_TYPE, parse_arvo_event_id

VALID = {
    "id": "e-1",
    "source": "com.a.b",
    "type": "com.x.y.z",
    "subject": "s",
    "time": "2025-01-01T00:00:00.000+00:00",
    "to": "com.x.y.z",
    "data": {},
}


def errors_of(raw) -> dict[str, str]:
    with pytest.raises(ArvoEventValidationError) as raised:
        ArvoEvent.from_json(raw)
    return dict(raised.value.errors)


def test_every_invalid_field_is_named_at_once():
    raw = {
        "id": "",
        "source": 5,
        "type": "Bad_Type",
        "subject": None,
        "specversion": "0.3",
        "datacontenttype": "text/plain",
        "dataschema": "",
        "to": 3,
        "redirectto": "has space",
        "accesscontrol": "",
        "traceparent": 7,
        "executionunits": True,
        "domain": "UP",
        "data": [1],
        "extensions": {"Bad": 1, "to": 2, "ok": {"x": 1}},
    }
    assert errors_of(raw) == {
        "id": "is required and must be a non-empty string",
        "source": "is required and must be a non-empty string",
        "subject": "is required and must be a non-empty string",
        "specversion": "must be '1.0'",
        "type": (
            "must be at least three dot-separated segments of lowercase letters and digits "
            "(no '-', '_' or uppercase)"
        ),
        "datacontenttype": "must contain 'application/cloudevents+json' or 'application/json'",
        "dataschema": "must be null or a non-empty string",
        "to": "must be null or a non-empty string",
        "redirectto": "The redirectto must be a properly encoded URI",
        "accesscontrol": "must be null or a non-empty string",
        "traceparent": "must be null or a non-empty string",
        "executionunits": "must be null or a finite number",
        "domain": "must be null or match ^[a-z0-9.]+$",
        "time": "is required",
        "data": "must be a JSON object",
        "extensions.Bad": "extension keys must match ^[a-z0-9]+$",
        "extensions.to": "must not reuse the name of a CloudEvents or Arvo attribute",
        "extensions.ok": "extension values must be a string, boolean, finite number or null",
    }


def test_extensions_come_flat_or_under_an_extensions_key():
    event = ArvoEvent.from_json({**VALID, "priority": "high", "extensions": {"tier": 2}})
    assert event.extensions == {"priority": "high", "tier": 2}
    nested = ArvoEvent.from_json({**VALID, "extensions": "not a mapping"})
    assert nested.extensions == {"extensions": "not a mapping"}


@pytest.mark.parametrize(
    ("time", "problem"),
    [
        ("2025-01-01", "must be an ISO-8601 date-time with an offset (Z or ±HH:MM)"),
        ("2025-01-01T00:00:00", "must be an ISO-8601 date-time with an offset (Z or ±HH:MM)"),
        ("2025-13-01T00:00:00Z", "is not a valid date-time"),
    ],
)
def test_time_must_be_an_iso_date_time_with_an_offset(time, problem):
    assert errors_of({**VALID, "time": time}) == {"time": problem}


def test_an_arvo_event_needs_a_to_but_a_plain_cloudevent_does_not():
    assert errors_of({**VALID, "to": None}) == {
        "to": "The ArvoEvent must have a non-empty 'to' field"
    }
    plain = ArvoEvent.from_json({**VALID, "to": None, "datacontenttype": "application/json"})
    assert plain.to is None
    assert ArvoEvent.from_json(VALID).datacontenttype == ARVO_DATA_CONTENT_TYPE


def test_data_is_cleaned_as_javascript_would_print_it_and_bad_values_are_located():
    event = ArvoEvent.from_json(
        {**VALID, "data": {"nan": float("nan"), "inf": float("inf"), "ok": [1.5, {"x": None}]}}
    )
    assert event.data == {"nan": None, "inf": None, "ok": [1.5, {"x": None}]}
    assert errors_of({**VALID, "data": {"a": {1: "x"}}}) == {
        "data": "data.a: object keys must be strings, got 1"
    }
    assert errors_of({**VALID, "data": {"a": [0, {1, 2}]}}) == {
        "data": "data.a[1]: set has no JSON representation"
    }


def test_the_indented_text_form_keeps_non_ascii_text():
    event = create_arvo_event(
        source="com.a.b", type="com.x.y.z", subject="s", data={"note": "café", "n": 2.0},
        id={"deduplication": "DEVELOPER_MANAGED", "value": "e-1"},
        time="2025-01-01T00:00:00.000+00:00",
    )  # fmt: skip
    compact = event.to_json_string()
    assert '"data":{"note":"café","n":2}' in compact
    indented = event.to_json_string(indent=2)
    assert indented == json.dumps(json.loads(compact), indent=2, ensure_ascii=False)
    assert '\n  "data": {\n    "note": "café",\n    "n": 2\n  },' in indented


def test_ids_follow_arvo_3(caplog):
    source = DeterministicSource()

    def make(id):
        return create_arvo_event(
            source="com.a.b", type="com.x.y.z", subject="s", data={}, id=id, id_clock=source
        )

    with caplog.at_level(logging.WARNING, logger="arvo_temporal.events"):
        assert make("mine").id == "00000000-0000-4000-8000-000000000001"
    assert caplog.messages == [
        "create_arvo_event: a plain string id ('mine') is ignored as in Arvo 3.x; pass "
        "{'deduplication': 'DEVELOPER_MANAGED', 'value': ...} to keep your own id"
    ]
    empty = make({"deduplication": "DEVELOPER_MANAGED", "value": None})
    assert empty.id == "00000000-0000-4000-8000-000000000002"
    managed = make({"deduplication": "ARVO_MANAGED", "value": "order-7"}).id
    text = zlib.decompress(base64.b64decode(managed)).decode("utf-8")
    assert text == '{"uuid":"00000000-0000-4000-8000-000000000003","value":"order-7"}'
    assert parse_arvo_event_id(managed) == {
        "uuid": "00000000-0000-4000-8000-000000000003",
        "value": "order-7",
    }
    assert parse_arvo_event_id(managed[:4] + "!" + managed[4:]) is None, "strict base64"
    with pytest.raises(ArvoEventValidationError) as raised:
        make({"deduplication": "SOMETIMES", "value": "x"})
    assert raised.value.errors == {
        "id.deduplication": "must be 'DEVELOPER_MANAGED' or 'ARVO_MANAGED'"
    }


def test_more_rules_of_ids_uris_and_content_types(caplog):
    assert errors_of({**VALID, "to": ""}) == {"to": "must be null or a non-empty string"}, (
        "a malformed 'to' is reported as such, not as a missing one"
    )
    not_an_object = base64.b64encode(zlib.compress(b"[1, 2]")).decode("ascii")
    assert parse_arvo_event_id(not_an_object) is None
    with pytest.raises(ArvoEventValidationError) as raised:
        create_arvo_event(source="com.a\ud800", type="com.x.y.z", subject="s", data={})
    assert raised.value.errors == {
        "uri": "cannot encode 'com.a\\ud800' as a URI: surrogates not allowed"
    }
    with caplog.at_level(logging.DEBUG, logger="arvo_temporal.events"):
        create_arvo_event(source="com.a.b", type="com.x.y.z", subject="s", data={})
        assert caplog.messages == []
        create_arvo_event(
            source="com.a.b",
            type="com.x.y.z",
            subject="s",
            data={},
            datacontenttype="application/json",
        )
    assert caplog.messages == [
        "create_arvo_event: datacontenttype 'application/json' is not Arvo's"
    ]
