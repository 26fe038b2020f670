"""Event templates: each fire mints a new root subject, id and time; the rest is the template's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arvo_temporal import ArvoOrchestrationSubject
from arvo_temporal.errors import InvalidEventTemplate
from arvo_temporal.temporal import ArvoApp, EventTemplate
from arvo_temporal.temporal._app import ResumableSpec
from examples.app import build_app
from examples.calculator.starter import adder_init
from examples.summation.resumable import make_summation

APP = build_app(sinks={})
WHEN = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def adder_template(**changes) -> dict:
    """A real init event (as ``arvo-temporal event`` prints it) used as a template."""
    event = adder_init(2, 3).to_json()
    event["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    event.update(changes)
    return event


def test_a_fire_mints_subject_id_and_time_and_keeps_the_rest():
    source = adder_template(redirectto="com.example.inbox", domain="audit")
    template = EventTemplate.parse(source)
    event = template.mint(execution_id="exec-1", event_id="event-1", time=WHEN)

    assert (event.id, event.time) == ("event-1", "2026-05-01T12:00:00.000+00:00")
    assert event.traceparent is None  # a fire does not join the template's old trace
    assert event.subject != source["subject"]
    content = ArvoOrchestrationSubject.parse(event.subject)
    assert content.model_dump(mode="json") == {
        "orchestrator": {"name": "arvo.orc.adder", "version": "1.0.0"},
        "execution": {"id": "exec-1", "initiator": source["source"], "domain": "audit"},
        "meta": {"redirectto": "com.example.inbox"},
    }
    kept = ("type", "source", "dataschema", "data", "to", "redirectto", "domain")
    assert {key: event.to_json()[key] for key in kept} == {key: source[key] for key in kept}


def test_id_subject_and_time_may_be_left_out_and_to_defaults_to_the_type():
    source = {
        "type": "arvo.orc.adder",
        "source": "com.example.client",
        "dataschema": "#/examples/orchestrator/adder/1.0.0",
        "data": {"a": 1, "b": 2},
    }
    event = EventTemplate.parse(source).mint(execution_id="x", event_id="y", time=WHEN)
    assert event.to == "arvo.orc.adder"
    assert event.data == {"parentSubject$$": None, "a": 1, "b": 2}
    assert APP.orchestrators["arvo.orc.adder"].machines[0].validate_input(event).ok


def test_fires_are_distinct_and_a_replayed_fire_is_identical():
    template = EventTemplate.parse(adder_template())
    first = template.mint(execution_id="a", event_id="1", time=WHEN)
    second = template.mint(execution_id="b", event_id="2", time=WHEN)
    assert first.subject != second.subject and first.id != second.id
    assert template.mint(execution_id="a", event_id="1", time=WHEN) == first


def test_an_app_fills_the_newest_version_and_checks_the_contract():
    source = adder_template()
    del source["dataschema"]
    bare = EventTemplate.parse(source)
    assert bare.version is None
    with pytest.raises(InvalidEventTemplate, match="has no version"):
        bare.ready()
    filled = bare.for_app(APP)
    assert filled.version == "1.0.0"
    assert filled.fields["dataschema"] == "#/examples/orchestrator/adder/1.0.0"

    off_contract = EventTemplate.parse(adder_template(data={"a": "two", "b": 3}))
    with pytest.raises(InvalidEventTemplate, match=r"breaks arvo\.orc\.adder 1\.0\.0's contract"):
        off_contract.for_app(APP)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"type": "arvo.orc.adder.done"}, "is not an init event"),
        ({"type": "calculator.add"}, "is not an init event"),
        ({"type": 7}, "is not an init event"),
        ({"data": {"parentSubject$$": "eJx"}}, "starts root executions"),
        ({"source": "Not A Source"}, "cannot make a subject"),
        ({"data": [1]}, "not a valid event: data"),
    ],
)
def test_templates_that_cannot_start_executions_are_refused(changes, reason):
    with pytest.raises(InvalidEventTemplate, match=reason):
        EventTemplate.parse(adder_template(**changes))


def test_an_app_without_the_orchestrator_or_version_refuses():
    with pytest.raises(InvalidEventTemplate, match=r"has no orchestrator arvo\.orc\.nothing"):
        EventTemplate.parse(adder_template(type="arvo.orc.nothing")).for_app(APP)
    later = adder_template(dataschema="#/examples/orchestrator/adder/9.0.0")
    with pytest.raises(InvalidEventTemplate, match=r"does not serve arvo\.orc\.adder 9\.0\.0"):
        EventTemplate.parse(later).for_app(APP)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = st.sampled_from(
    ["type", "source", "data", "dataschema", "to", "domain", "redirectto", "id", "time", "x"]
)


@settings(max_examples=3000, deadline=None)
@given(
    st.dictionaries(_FIELDS, _JSON, max_size=6)
    | st.builds(lambda extra: {**adder_template(), **extra}, st.dictionaries(_FIELDS, _JSON))
    | _JSON
)
def test_any_json_is_a_template_or_refused_with_a_reason(value):
    try:
        template = EventTemplate.parse(value)
        event = template.for_app(APP).mint(execution_id="e", event_id="i", time=WHEN)
    except InvalidEventTemplate as error:
        assert str(error).startswith("the ")
        return
    assert event.type in APP.orchestrators and event.subject != value.get("subject")


def test_a_resumable_orchestrator_is_checked_against_its_own_contract():
    summation = ArvoApp(orchestrators=[ResumableSpec(make_summation())], sinks={})
    source = {
        "type": "arvo.orc.numbers.sum",
        "source": "com.example.client",
        "data": {"numbers": [1, 2, 3]},
    }
    filled = EventTemplate.parse(source).for_app(summation)
    assert filled.version == "1.0.0"
    with pytest.raises(InvalidEventTemplate, match="contract"):
        EventTemplate.parse({**source, "data": {"numbers": "many"}}).for_app(summation)
