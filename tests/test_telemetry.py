"""Telemetry helpers: trace-header propagation with and without an SDK, nesting, errors.

Every test passes its tracer provider explicitly (or scopes it with ``use_tracer_provider``), so
OpenTelemetry's process-wide global is never touched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal

import pytest
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NoOpTracerProvider, SpanContext, SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from arvo_temporal.events import ArvoEvent, create_arvo_event
from arvo_temporal.telemetry import (
    child_span,
    current_trace_headers,
    execution_span,
    log_to_span,
    set_emittable_attributes,
    use_tracer_provider,
)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"
TRACESTATE = "vendor=abc"


def make_event(traceparent: str | None = None, tracestate: str | None = None) -> ArvoEvent:
    return create_arvo_event(
        source="com.anchor.client",
        type="com.calculator.add",
        subject="order-42",
        data={"a": 1, "b": 2},
        dataschema="#/anchors/calculator/add/1.0.0",
        traceparent=traceparent,
        tracestate=tracestate,
    )


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield tracer_provider
    tracer_provider.shutdown()


def test_without_sdk_the_incoming_headers_are_copied() -> None:
    event = make_event(TRACEPARENT, TRACESTATE)
    with execution_span(
        "Handler<#/x>", event=event, kind=SpanKind.CONSUMER, tracer_provider=NoOpTracerProvider()
    ) as span:
        assert not span.is_recording()
        assert current_trace_headers() == (TRACEPARENT, TRACESTATE)


def test_without_sdk_and_without_incoming_headers_there_are_none() -> None:
    with (
        use_tracer_provider(NoOpTracerProvider()),
        execution_span("Handler<#/x>", event=make_event(), kind=SpanKind.CONSUMER),
    ):
        assert current_trace_headers() == (None, None)
    assert current_trace_headers() == (None, None)


def test_with_sdk_same_trace_new_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    event = make_event(TRACEPARENT, TRACESTATE)
    with execution_span(
        "Handler<#/x>", event=event, kind=SpanKind.CONSUMER, tracer_provider=provider
    ) as span:
        traceparent, tracestate = current_trace_headers()
        own = span.get_span_context()
    assert traceparent == f"00-{TRACE_ID}-{own.span_id:016x}-01"
    assert traceparent != TRACEPARENT
    assert tracestate == TRACESTATE
    (finished,) = exporter.get_finished_spans()
    assert finished.name == "Handler<#/x>"
    assert finished.kind == SpanKind.CONSUMER
    assert finished.parent is not None
    assert f"{finished.parent.span_id:016x}" == PARENT_SPAN_ID
    assert f"{finished.context.trace_id:032x}" == TRACE_ID


def test_attributes_consumable_and_span_kind(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    event = make_event()
    with execution_span(
        "Orchestrator<#/o>@com.calculator.add",
        event=event,
        kind=SpanKind.PRODUCER,
        attributes={"arvo.handler.execution.type": "orchestrator"},
        tracer_provider=provider,
    ):
        pass
    (finished,) = exporter.get_finished_spans()
    attributes = dict(finished.attributes or {})
    assert attributes["arvo.span.kind"] == "ORCHESTRATOR"
    assert attributes["openinference.span.kind"] == "CHAIN"
    assert attributes["arvo.handler.execution.type"] == "orchestrator"
    assert attributes["consumable.0.cloudevents.event_id"] == event.id
    assert attributes["consumable.0.cloudevents.event_type"] == "com.calculator.add"
    assert attributes["consumable.0.cloudevents.arvo.event_domain"] == "N/A"


def test_inherit_from_context_ignores_the_event_headers(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("ambient") as ambient,
        execution_span(
            "Handler<#/x>",
            event=make_event(TRACEPARENT),
            kind=SpanKind.CONSUMER,
            inherit_from="CONTEXT",
            tracer_provider=provider,
        ),
    ):
        pass
    handler_span, ambient_span = exporter.get_finished_spans()
    assert handler_span.parent is not None
    assert handler_span.parent.span_id == ambient.get_span_context().span_id
    assert handler_span.context.trace_id == ambient_span.context.trace_id


def test_child_spans_nest_under_the_execution_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    with (
        use_tracer_provider(provider),
        execution_span("Handler<#/x>", event=make_event(TRACEPARENT), kind=SpanKind.CONSUMER),
    ):
        with child_span("lock", {"arvo.subject": "s"}):
            pass
        with child_span("read"), child_span("inner"):
            pass
    spans = {span.name: span for span in exporter.get_finished_spans()}
    root = spans["Handler<#/x>"]
    for name in ("lock", "read"):
        parent = spans[name].parent
        assert parent is not None and parent.span_id == root.context.span_id
        assert spans[name].context.trace_id == root.context.trace_id
        assert spans[name].kind == SpanKind.INTERNAL
    inner_parent = spans["inner"].parent
    assert inner_parent is not None and inner_parent.span_id == spans["read"].context.span_id
    assert dict(spans["lock"].attributes or {}) == {"arvo.subject": "s"}


def test_exception_is_recorded_and_reraised(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        execution_span(
            "Handler<#/x>", event=make_event(), kind=SpanKind.CONSUMER, tracer_provider=provider
        ),
    ):
        raise RuntimeError("boom")
    (finished,) = exporter.get_finished_spans()
    assert finished.status.status_code == StatusCode.ERROR
    (recorded,) = [event for event in finished.events if event.name == "exception"]
    assert dict(recorded.attributes or {})["exception.message"] == "boom"


def test_child_span_records_exceptions(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(KeyError), child_span("write", tracer_provider=provider):
        raise KeyError("missing")
    (finished,) = exporter.get_finished_spans()
    assert finished.status.status_code == StatusCode.ERROR


def test_emittables_and_logs(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    produced = [make_event(), make_event()]
    with execution_span(
        "Handler<#/x>", event=make_event(), kind=SpanKind.CONSUMER, tracer_provider=provider
    ) as span:
        set_emittable_attributes(span, produced)
        log_to_span(span, "WARNING", "no dataschema: using the latest version")
    (finished,) = exporter.get_finished_spans()
    attributes = dict(finished.attributes or {})
    assert attributes["emittables.0.cloudevents.event_id"] == produced[0].id
    assert attributes["emittables.1.cloudevents.event_id"] == produced[1].id
    (log,) = finished.events
    assert dict(log.attributes or {}) == {
        "log.severity": "WARNING",
        "log.message": "no dataschema: using the latest version",
    }


def _noop_reference(
    event: ArvoEvent, inherit_from: Literal["EVENT", "CONTEXT"]
) -> tuple[tuple[str | None, str | None], SpanContext]:
    """What OpenTelemetry's own no-op tracer makes current for an execution span: the headers
    and span context the no-op fast path must reproduce."""
    context = None
    if inherit_from == "EVENT" and event.traceparent:
        carrier = {"traceparent": event.traceparent}
        if event.tracestate:
            carrier["tracestate"] = event.tracestate
        context = TraceContextTextMapPropagator().extract(carrier, otel_context.get_current())
    tracer = NoOpTracerProvider().get_tracer("reference")
    with tracer.start_as_current_span("reference", context=context) as span:
        return current_trace_headers(), span.get_span_context()


@pytest.mark.parametrize("inherit_from", ["EVENT", "CONTEXT"])
@pytest.mark.parametrize(
    "headers",
    [(None, None), (TRACEPARENT, None), (TRACEPARENT, TRACESTATE), ("00-not-a-trace-01", None)],
)
@pytest.mark.parametrize("provider_given", ["explicit", "context", "global"])
@pytest.mark.parametrize("ambient", [False, True])
def test_the_no_op_fast_path_matches_the_no_op_tracer(
    provider: TracerProvider,
    inherit_from: Literal["EVENT", "CONTEXT"],
    headers: tuple[str | None, str | None],
    provider_given: str,
    ambient: bool,
) -> None:
    event = make_event(*headers)
    explicit = NoOpTracerProvider() if provider_given == "explicit" else None
    scoped = NoOpTracerProvider() if provider_given == "context" else None
    with contextlib.ExitStack() as stack:
        if ambient:  # a recording span of someone else's SDK is current
            stack.enter_context(provider.get_tracer("ambient").start_as_current_span("ambient"))
        before = current_trace_headers()
        expected_headers, expected_context = _noop_reference(event, inherit_from)
        stack.enter_context(use_tracer_provider(scoped))
        with execution_span(
            "Handler<#/x>",
            event=event,
            kind=SpanKind.CONSUMER,
            inherit_from=inherit_from,
            tracer_provider=explicit,
        ) as span:
            assert not span.is_recording()
            assert span.get_span_context() == expected_context
            assert current_trace_headers() == expected_headers
            with child_span("memory.read", tracer_provider=explicit) as child:
                assert not child.is_recording()
                assert current_trace_headers() == expected_headers
            set_emittable_attributes(span, [event])
        assert current_trace_headers() == before


def test_the_no_op_fast_path_lets_exceptions_through_and_restores_the_context() -> None:
    seen: list[tuple[str | None, str | None]] = []

    def fail_inside() -> None:
        with execution_span(
            "Handler<#/x>",
            event=make_event(TRACEPARENT),
            kind=SpanKind.CONSUMER,
            tracer_provider=NoOpTracerProvider(),
        ):
            seen.append(current_trace_headers())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    assert seen == [(TRACEPARENT, None)]
    assert current_trace_headers() == (None, None)


def test_child_spans_of_an_unrecorded_execution_record_under_a_provider_given_inside(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    with execution_span(
        "Handler<#/x>",
        event=make_event(TRACEPARENT),
        kind=SpanKind.CONSUMER,
        tracer_provider=NoOpTracerProvider(),
    ):
        with child_span("memory.read") as skipped:
            assert not skipped.is_recording()
        with use_tracer_provider(provider), child_span("memory.write") as recorded:
            assert recorded.is_recording()
        with child_span("memory.unlock", tracer_provider=provider) as explicit:
            assert explicit.is_recording()
    assert [span.name for span in exporter.get_finished_spans()] == [
        "memory.write",
        "memory.unlock",
    ]
    (write, unlock) = exporter.get_finished_spans()
    # Both continue the event's trace, as the no-op execution span carried it.
    assert f"{write.context.trace_id:032x}" == TRACE_ID
    assert f"{unlock.context.trace_id:032x}" == TRACE_ID
