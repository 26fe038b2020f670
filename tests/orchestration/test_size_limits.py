"""SizeLimits in the pure step: a record or an emitted event that outgrows its limit fails the
execution with a ``sys.<source>.error`` to the initiator, as any machine error does."""

from __future__ import annotations

import pytest

from arvo_temporal import ArvoEventFactory, ArvoOrchestratorEventFactory, DeterministicSource
from arvo_temporal.errors import ConfigViolation
from arvo_temporal.orchestration.step import SizeLimits, StepOutcome, check_subject, step
from tests.fixtures import anchors
from tests.fixtures.machines import build_hoarder
from tests.orchestration.test_step import settings_for

LIMITS = SizeLimits(record_bytes=64 * 1024, event_bytes=16 * 1024)


def _init(kib: int, **fields):
    return ArvoOrchestratorEventFactory(anchors.adder.version("1.0.0")).init(
        source=anchors.CLIENT, data={"parentSubject$$": None, "a": kib, "b": 0}, **fields
    )


def _reply(init):
    return ArvoEventFactory(anchors.calculator.version("1.0.0")).emits(
        type="evt.calculator.add.success",
        source="com.calculator.add",
        subject=init.subject,
        to="arvo.orc.adder",
        data={"result": 2},
    )


def _step(settings, event, record=None, limits=LIMITS):
    return step(
        settings,
        record=record,
        event=event,
        subject=check_subject(event, settings.source),
        id_clock=DeterministicSource(),
        traceparent=event.traceparent,
        tracestate=event.tracestate,
        limits=limits,
    )


def test_a_record_that_outgrows_its_limit_fails_the_execution_and_tells_the_initiator():
    settings = settings_for(build_hoarder())
    init = _init(kib=20)
    result = _step(settings, init)
    steps = 0
    while result.outcome is StepOutcome.EXECUTED:
        steps += 1
        assert len(result.record.model_dump_json()) <= LIMITS.record_bytes
        result = _step(settings, _reply(init), record=result.record)
    assert steps == 4, "the init and three replies of 20 KiB fit in 64 KiB, a fourth does not"
    assert result.outcome is StepOutcome.FAILED and result.record.failed
    assert result.record.error.name == "SizeLimitExceeded"
    assert "over the limit of 64.0 KiB (SizeLimits.record_bytes)" in result.record.error.message
    (error,) = result.events
    assert (error.type, error.to) == ("sys.arvo.orc.adder.error", anchors.CLIENT)
    assert error.data["errorName"] == "SizeLimitExceeded"


def test_without_limits_the_same_record_grows_on():
    settings = settings_for(build_hoarder())
    init = _init(kib=20)
    result = _step(settings, init, limits=None)
    for _ in range(5):
        result = _step(settings, _reply(init), record=result.record, limits=None)
    assert result.outcome is StepOutcome.EXECUTED
    assert len(result.record.model_dump_json()) > 100 * 1024


def test_an_emitted_event_over_its_limit_fails_the_execution_without_the_huge_tracestate():
    settings = settings_for(build_hoarder())
    huge = "vendor=" + "t" * 40_000
    init = _init(kib=1, tracestate=huge)
    result = _step(settings, init)
    assert result.outcome is StepOutcome.FAILED
    assert "the emitted event com.calculator.add" in result.record.error.message
    assert "over the limit of 16.0 KiB for one event" in result.record.error.message
    (error,) = result.events
    assert error.tracestate is None, "the error must not be too large as well"
    assert len(error.model_dump_json()) < LIMITS.event_bytes


def test_an_event_within_its_limit_keeps_the_trace_headers():
    settings = settings_for(build_hoarder())
    init = _init(kib=1, tracestate="vendor=1")
    result = _step(settings, init)
    assert result.outcome is StepOutcome.EXECUTED
    assert [event.tracestate for event in result.events] == ["vendor=1"]


@pytest.mark.parametrize("field", ["record_bytes", "event_bytes"])
def test_limits_below_one_kib_are_refused(field):
    with pytest.raises(ConfigViolation, match="size limits must be at least 1 KiB"):
        SizeLimits(**{field: 100})
