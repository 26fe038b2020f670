"""OpenTelemetry helpers shared by handlers and orchestrators (docs/arvo.md §11).

Only ``opentelemetry-api`` is used here: the library never configures a tracer provider,
exporter or propagator globally. Without an SDK every span is non-recording and simply carries
its parent's span context, so an incoming ``traceparent`` is copied onto the produced events —
exactly what the conformance vectors recorded from TypeScript (a propagator, no provider). With
an SDK a new span id is minted in the same trace.

Which provider is used: an explicit ``tracer_provider`` argument, else the one installed with
:func:`use_tracer_provider` for the current context (tests use this so nothing leaks into other
tests), else OpenTelemetry's global provider.

When that provider is OpenTelemetry's no-op (no SDK installed, the common case in process), a
span would be a ``NonRecordingSpan`` carrying its parent's context and nothing else. The helpers
then skip the tracer and make only that parent current, which gives the same trace headers on
produced events for a fraction of the cost: opening the eleven no-op spans of one calculator
execution took about a fifth of its time (BENCHMARKS.md, in-process orchestrator).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import (
    NonRecordingSpan,
    NoOpTracerProvider,
    ProxyTracerProvider,
    Span,
    SpanKind,
    Tracer,
    TracerProvider,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from arvo_temporal.events import ArvoEvent

__all__ = [
    "TRACER_NAME",
    "child_span",
    "current_trace_headers",
    "execution_span",
    "get_tracer",
    "log_to_span",
    "records_spans",
    "set_emittable_attributes",
    "use_tracer_provider",
]

TRACER_NAME = "arvo_temporal"

# Arvo's span-kind attributes; CONSUMER spans are handlers, PRODUCER spans orchestrators.
ARVO_SPAN_KIND = "arvo.span.kind"
OPENINFERENCE_SPAN_KIND = "openinference.span.kind"
_ARVO_KIND_BY_OTEL_KIND = {SpanKind.CONSUMER: "EVENT_HANDLER", SpanKind.PRODUCER: "ORCHESTRATOR"}

_PROPAGATOR = TraceContextTextMapPropagator()
_PROVIDER: ContextVar[TracerProvider | None] = ContextVar(
    "arvo_temporal_tracer_provider", default=None
)
# True inside an execution span that found no recording provider: its child spans (memory
# operations, phases) take that answer instead of asking OpenTelemetry again, which reads the
# environment on every call and cost about 3 % of an in-process execution.
_UNRECORDED: ContextVar[bool] = ContextVar("arvo_temporal_unrecorded", default=False)


@contextmanager
def use_tracer_provider(provider: TracerProvider | None) -> Iterator[None]:
    """Use ``provider`` for arvo_temporal's spans in this context (and tasks started from it),
    without touching OpenTelemetry's process-wide global."""
    token = _PROVIDER.set(provider)
    unrecorded = _UNRECORDED.set(False)  # spans opened in here decide again, for ``provider``
    try:
        yield
    finally:
        _UNRECORDED.reset(unrecorded)
        _PROVIDER.reset(token)


def get_tracer(tracer_provider: TracerProvider | None = None) -> Tracer:
    """The ``arvo_temporal`` tracer from the explicit, context or global provider."""
    provider = tracer_provider if tracer_provider is not None else _PROVIDER.get()
    return trace.get_tracer(TRACER_NAME, tracer_provider=provider)


def records_spans(tracer_provider: TracerProvider | None = None) -> bool:
    """False when spans would go to OpenTelemetry's no-op provider (explicitly, or because no
    global provider is installed: the API then hands out a proxy of the no-op tracer).

    A driver that opens several child spans per call asks once and skips them all when False.
    """
    provider = tracer_provider if tracer_provider is not None else _PROVIDER.get()
    if provider is None:
        provider = trace.get_tracer_provider()
    return not isinstance(provider, (NoOpTracerProvider, ProxyTracerProvider))


def _as_current(span: Span) -> Iterator[Span]:
    """Make ``span`` current for the body, as ``use_span`` does (no recording to do)."""
    if trace.get_current_span() is span:
        yield span
        return
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        yield span
    finally:
        otel_context.detach(token)


def _parent_context(
    event: ArvoEvent, inherit_from: Literal["EVENT", "CONTEXT"]
) -> otel_context.Context:
    """The consumed event's trace headers on top of the current context; the current context
    alone when inheriting from it or when the event carries no ``traceparent``."""
    current = otel_context.get_current()
    if inherit_from != "EVENT" or not event.traceparent:
        return current
    carrier = {"traceparent": event.traceparent}
    if event.tracestate:
        carrier["tracestate"] = event.tracestate
    return _PROPAGATOR.extract(carrier, context=current)


@contextmanager
def execution_span(
    name: str,
    *,
    event: ArvoEvent,
    kind: SpanKind,
    inherit_from: Literal["EVENT", "CONTEXT"] = "EVENT",
    attributes: Mapping[str, AttributeValue] | None = None,
    tracer_provider: TracerProvider | None = None,
    records: bool | None = None,
) -> Iterator[Span]:
    """Open the span of one ``execute`` call, current for the body, ended on exit.

    The parent comes from the consumed event's ``traceparent``/``tracestate`` (``"EVENT"``) or
    from the ambient context (``"CONTEXT"``). The span gets the event as ``consumable.0.*``
    attributes and Arvo's span-kind attributes (``arvo.span.kind`` defaults from ``kind``;
    ``attributes`` are applied last and may override it). An exception escaping the body is
    recorded and sets the status to ERROR, then propagates. ``records`` is
    :func:`records_spans`'s answer when the caller has it already (None: ask).
    """
    if not (records_spans(tracer_provider) if records is None else records):
        # What the no-op tracer would start: the parent's span itself when it is non-recording,
        # else a non-recording span with the parent's context.
        parent = trace.get_current_span(_parent_context(event, inherit_from))
        if not isinstance(parent, NonRecordingSpan):
            parent = NonRecordingSpan(parent.get_span_context())
        unrecorded = _UNRECORDED.set(True)
        try:
            yield from _as_current(parent)
        finally:
            _UNRECORDED.reset(unrecorded)
        return
    initial: dict[str, AttributeValue] = {
        ARVO_SPAN_KIND: _ARVO_KIND_BY_OTEL_KIND.get(kind, "INTERNAL"),
        OPENINFERENCE_SPAN_KIND: "CHAIN",
    }
    for key, value in event.otel_attributes.items():
        initial[f"consumable.0.{key}"] = value
    initial.update(attributes or {})
    tracer = get_tracer(tracer_provider)
    with tracer.start_as_current_span(
        name,
        context=_parent_context(event, inherit_from),
        kind=kind,
        attributes=initial,
        record_exception=True,
        set_status_on_exception=True,
    ) as span:
        yield span


@contextmanager
def child_span(
    name: str,
    attributes: Mapping[str, AttributeValue] | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
) -> Iterator[Span]:
    """An INTERNAL span under the current one (lock, read, machine run, event creation, write).
    Exceptions are recorded and re-raised like in :func:`execution_span`."""
    if (tracer_provider is None and _UNRECORDED.get()) or not records_spans(tracer_provider):
        current = trace.get_current_span()
        if isinstance(current, NonRecordingSpan):
            # The no-op tracer would start this very span again: nothing changes.
            yield current
            return
    with get_tracer(tracer_provider).start_as_current_span(
        name, kind=SpanKind.INTERNAL, attributes=dict(attributes or {})
    ) as span:
        yield span


def current_trace_headers() -> tuple[str | None, str | None]:
    """W3C ``(traceparent, tracestate)`` of the current span, to stamp on produced events;
    ``(None, None)`` when there is no valid span context (as Arvo writes null)."""
    if trace.get_current_span().get_span_context() == trace.INVALID_SPAN_CONTEXT:
        return None, None  # what the propagator concludes too, without its carrier and setter
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent"), carrier.get("tracestate")


def set_emittable_attributes(span: Span, events: Sequence[ArvoEvent]) -> None:
    """Describe produced events on the span as ``emittables.<i>.<otel attribute>``."""
    if not span.is_recording():
        return
    for index, event in enumerate(events):
        for key, value in event.otel_attributes.items():
            span.set_attribute(f"emittables.{index}.{key}", value)


def log_to_span(span: Span, level: str, message: str) -> None:
    """Library logging goes to the span as an event, as Arvo does (``log.severity``,
    ``log.message``), so it is seen next to the execution it belongs to."""
    span.add_event("log_message", {"log.severity": level, "log.message": message})
