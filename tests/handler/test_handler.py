"""ArvoEventHandler beyond the transcripts: function styles, outputs, domains, errors, spans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NoOpTracerProvider, SpanKind, StatusCode
from pydantic import BaseModel

from arvo_temporal.contracts import ArvoContract, create_arvo_contract
from arvo_temporal.domains import (
    FROM_CURRENT_SUBJECT,
    FROM_EVENT_CONTRACT,
    FROM_SELF_CONTRACT,
    FROM_TRIGGERING_EVENT,
    ORCHESTRATION_CONTEXT,
)
from arvo_temporal.errors import ConfigViolation, ContractViolation, ExecutionViolation
from arvo_temporal.events import ArvoEvent, create_arvo_event
from arvo_temporal.handler import (
    ArvoEventHandler,
    HandlerDomains,
    HandlerFunction,
    HandlerInput,
    create_arvo_event_handler,
)
from arvo_temporal.sources import DeterministicSource
from arvo_temporal.subject import ArvoOrchestrationSubject
from arvo_temporal.telemetry import use_tracer_provider
from tests.fixtures.anchors import CLIENT, approval, calculator, multi
from tests.fixtures.services import make_calculator_handler

SUCCESS = "evt.calculator.add.success"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def request(
    contract: ArvoContract = calculator,
    *,
    data: dict[str, Any] | None = None,
    version: str | None = "1.0.0",
    subject: str = "order-42",
    **fields: Any,
) -> ArvoEvent:
    return create_arvo_event(
        source=CLIENT,
        type=contract.type,
        subject=subject,
        data=data if data is not None else {"a": 2, "b": 3},
        dataschema=f"{contract.uri}/{version}" if version else None,
        id={"deduplication": "DEVELOPER_MANAGED", "value": "req-1"},
        **fields,
    )


def handler_for(fn: HandlerFunction, contract: ArvoContract = calculator) -> ArvoEventHandler:
    return create_arvo_event_handler(
        contract=contract,
        handlers=dict.fromkeys(contract.versions, fn),
        execution_units=0.5,
    )


@pytest.fixture(autouse=True)
def no_sdk() -> Iterator[None]:
    with use_tracer_provider(NoOpTracerProvider()):
        yield


# ---------------------------------------------------------------- function styles and outputs


def add_sync(request: HandlerInput) -> dict[str, Any]:
    return {"type": SUCCESS, "data": {"result": request.event.data["a"] + request.event.data["b"]}}


async def add_async(request: HandlerInput) -> dict[str, Any]:
    return add_sync(request)


@pytest.mark.parametrize("fn", [add_sync, add_async], ids=["sync", "async"])
async def test_sync_and_async_functions(fn: HandlerFunction) -> None:
    result = await handler_for(fn).execute(request())
    (event,) = result.events
    assert event.type == SUCCESS
    assert event.data == {"result": 5}
    assert event.source == "com.calculator.add"
    assert event.to == CLIENT  # no redirectto on the request → back to its source
    assert event.parentid == "req-1"
    assert event.executionunits == 0.5
    assert event.dataschema == "#/anchors/calculator/add/1.0.0"


async def test_function_receives_the_raw_event_and_its_context() -> None:
    seen: list[HandlerInput] = []

    def spy(request: HandlerInput) -> None:
        seen.append(request)

    handler = handler_for(spy, approval)
    event = request(approval, data={"amount": 3, "extra": "kept"}, domain="edge")
    result = await handler.execute(event)
    assert result.all_events == []
    (received,) = seen
    assert received.event is event
    assert received.event.data == {"amount": 3, "extra": "kept"}  # not the parsed data
    assert received.source == "com.approval.request"
    assert received.contract.version == "1.0.0"
    assert received.domain == HandlerDomains(self="human.review", event="edge")
    with pytest.raises(AttributeError):
        received.source = "x"  # type: ignore[misc]


async def test_list_outputs_keep_their_order_and_overrides() -> None:
    def two(request: HandlerInput) -> list[dict[str, Any]]:
        return [
            {"type": SUCCESS, "data": {"result": 1}},
            {
                "type": SUCCESS,
                "data": {"result": 2, "dropped": True},
                "id": {"deduplication": "DEVELOPER_MANAGED", "value": "fixed"},
                "time": "2025-01-01T00:00:00.000+00:00",
                "to": "com.anchor.sink",
                "accesscontrol": "tenant:other",
                "redirectto": "com.anchor.back",
                "executionunits": 0,
                "__extensions": {"tenant": "acme"},
            },
        ]

    result = await handler_for(two).execute(
        request(accesscontrol="tenant:acme", redirectto="arvo.orc.adder")
    )
    first, second = result.events
    assert first.data == {"result": 1}
    assert (first.to, first.accesscontrol, first.redirectto) == (
        "arvo.orc.adder",
        "tenant:acme",
        None,
    )
    assert second.id == "fixed"
    assert second.time == "2025-01-01T00:00:00.000+00:00"
    assert second.data == {"result": 2}  # parsed: unknown keys stripped
    assert (second.to, second.accesscontrol, second.redirectto) == (
        "com.anchor.sink",
        "tenant:other",
        "com.anchor.back",
    )
    assert second.executionunits == 0  # an explicit 0 is kept (?? semantics, not `or`)
    assert second.extensions == {"tenant": "acme"}


async def test_version_from_dataschema_or_latest() -> None:
    versions: list[str] = []

    def record(request: HandlerInput) -> dict[str, Any]:
        versions.append(request.contract.version)
        return {"type": "evt.anchor.multi.done", "data": {"y": request.event.data["x"]}}

    handler = handler_for(record, multi)
    old = await handler.execute(request(multi, data={"x": 1}, version="1.0.0"))
    latest = await handler.execute(request(multi, data={"x": 1}, version=None))
    assert versions == ["1.0.0", "1.2.0"]
    assert old.events[0].dataschema == "#/anchors/multi/1.0.0"
    assert latest.events[0].dataschema == "#/anchors/multi/1.2.0"


async def test_ids_and_times_come_from_the_injected_source() -> None:
    clock = DeterministicSource()
    handler = make_calculator_handler(id_clock=clock)
    (event,) = (await handler.execute(request())).events
    assert event.id == "00000000-0000-4000-8000-000000000001"
    assert event.time == "2025-01-01T00:00:00.000+00:00"


# ---------------------------------------------------------------- domains


async def test_domain_fan_out_deduplicates_after_resolving() -> None:
    def fan_out(request: HandlerInput) -> dict[str, Any]:
        return {
            "type": "evt.approval.request.success",
            "data": {"approved": True},
            # null, null, "human.review", "audit", "edge", "human.review" → 4 distinct domains
            "domain": [
                ORCHESTRATION_CONTEXT,
                None,
                FROM_EVENT_CONTRACT,
                "audit",
                FROM_TRIGGERING_EVENT,
                FROM_SELF_CONTRACT,
            ],
        }

    result = await handler_for(fan_out, approval).execute(
        request(approval, data={"amount": 1}, domain="edge")
    )
    assert [event.domain for event in result.all_events] == [None, "human.review", "audit", "edge"]
    assert len({event.id for event in result.all_events}) == 4
    assert result.all_event_domains == ["default", "human.review", "audit", "edge"]
    assert [event.domain for event in result.events] == [None]
    assert [e.domain for e in result.domained_events["audit"]] == ["audit"]


async def test_fixed_id_is_shared_by_domain_copies() -> None:
    def copies(request: HandlerInput) -> dict[str, Any]:
        return {
            "type": SUCCESS,
            "data": {"result": 1},
            "id": {"deduplication": "DEVELOPER_MANAGED", "value": "same"},
            "domain": [None, "audit"],
        }

    result = await handler_for(copies).execute(request())
    assert [(event.id, event.domain) for event in result.all_events] == [
        ("same", None),
        ("same", "audit"),
    ]


async def test_subject_domain_tokens_on_a_plain_subject_resolve_to_null() -> None:
    def current(request: HandlerInput) -> dict[str, Any]:
        return {"type": SUCCESS, "data": {"result": 1}, "domain": [FROM_CURRENT_SUBJECT]}

    handler = handler_for(current)
    plain = await handler.execute(request(subject="order-42", domain="edge"))
    assert [event.domain for event in plain.all_events] == [None]
    subject = ArvoOrchestrationSubject.new(
        orchestrator="arvo.orc.adder", version="1.0.0", initiator=CLIENT, domain="orchestrators"
    )
    orchestrated = await handler.execute(request(subject=subject))
    assert [event.domain for event in orchestrated.all_events] == ["orchestrators"]


async def test_empty_domain_list_emits_nothing() -> None:
    def nowhere(request: HandlerInput) -> dict[str, Any]:
        return {"type": SUCCESS, "data": {"result": 1}, "domain": []}

    result = await handler_for(nowhere).execute(request())
    assert result.all_events == []


# ---------------------------------------------------------------- errors


async def test_emitted_data_breaking_the_schema_is_a_contract_violation() -> None:
    def bad(request: HandlerInput) -> dict[str, Any]:
        return {"type": SUCCESS, "data": {"result": "five"}}

    with pytest.raises(ContractViolation, match=r"^ViolationError<Contract> Emit event payload"):
        await handler_for(bad).execute(request())


async def test_unknown_emitted_type_is_a_contract_violation() -> None:
    def other(request: HandlerInput) -> dict[str, Any]:
        return {"type": "evt.calculator.sub.success", "data": {"result": 1}}

    with pytest.raises(ContractViolation, match="does not emit"):
        await handler_for(other).execute(request())


@pytest.mark.parametrize("returned", [42, "text", [{"type": SUCCESS, "data": {}}, 3]])
async def test_malformed_return_value_is_a_contract_violation(returned: Any) -> None:
    with pytest.raises(ContractViolation, match="must return None, an output mapping or a list"):
        await handler_for(lambda _: returned).execute(request())


async def test_violations_raised_by_the_function_are_reraised() -> None:
    def refuse(request: HandlerInput) -> None:
        raise ExecutionViolation("not today")

    with pytest.raises(ExecutionViolation, match="not today"):
        await handler_for(refuse).execute(request())


async def test_user_defined_violation_is_reraised() -> None:
    class QuotaViolation(Exception):
        is_arvo_violation_error = True
        name = "ViolationError<Quota>"

    def refuse(request: HandlerInput) -> None:
        raise QuotaViolation("ViolationError<Quota> over quota")

    with pytest.raises(QuotaViolation):
        await handler_for(refuse).execute(request())


async def test_other_errors_become_one_system_error_event() -> None:
    def explode(request: HandlerInput) -> None:
        raise KeyError("missing")

    event = request(accesscontrol="tenant:acme", redirectto="arvo.orc.adder")
    (error,) = (await handler_for(explode).execute(event)).events
    assert error.type == "sys.com.calculator.add.error"
    assert error.to == CLIENT  # the source, never the redirectto
    assert error.subject == event.subject
    assert error.parentid == event.id
    assert error.dataschema == "#/anchors/calculator/add/0.0.0"
    assert error.executionunits == 0.5
    assert error.accesscontrol == "tenant:acme"
    assert error.redirectto is None
    assert error.data["errorName"] == "KeyError"
    assert error.data["errorMessage"] == "'missing'"
    assert "Traceback" in error.data["errorStack"]


async def test_an_invalid_literal_domain_is_an_ordinary_failure() -> None:
    def bad_domain(request: HandlerInput) -> dict[str, Any]:
        return {"type": SUCCESS, "data": {"result": 1}, "domain": ["Not_A_Domain"]}

    (error,) = (await handler_for(bad_domain).execute(request())).events
    assert error.type == "sys.com.calculator.add.error"
    assert "domain" in error.data["errorMessage"]


def test_missing_version_implementation_is_refused_at_creation() -> None:
    with pytest.raises(ConfigViolation, match=r"no implementation for version\(s\) 1\.2\.0"):
        create_arvo_event_handler(contract=multi, handlers={"1.0.0": add_sync})


def test_unknown_or_uncallable_implementations_are_refused() -> None:
    with pytest.raises(ConfigViolation, match=r"unknown version\(s\) 2\.0\.0"):
        create_arvo_event_handler(
            contract=calculator, handlers={"1.0.0": add_sync, "2.0.0": add_sync}
        )
    with pytest.raises(ConfigViolation, match="non-callable"):
        create_arvo_event_handler(contract=calculator, handlers={"1.0.0": "add"})  # type: ignore[dict-item]


def test_source_and_system_error() -> None:
    handler = make_calculator_handler()
    assert handler.source == "com.calculator.add"
    assert handler.system_error.type == "sys.com.calculator.add.error"
    assert handler.system_error.dataschema == "#/anchors/calculator/add/0.0.0"


# ---------------------------------------------------------------- telemetry


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    with use_tracer_provider(provider):
        yield spans
    provider.shutdown()


async def test_handler_span_and_trace_headers(exporter: InMemorySpanExporter) -> None:
    result = await make_calculator_handler().execute(request(traceparent=TRACEPARENT))
    (span,) = exporter.get_finished_spans()
    assert span.name == "Handler<#/anchors/calculator/add>"
    assert span.kind == SpanKind.CONSUMER
    assert span.status.status_code == StatusCode.OK
    attributes = dict(span.attributes or {})
    assert attributes["arvo.handler.execution.status"] == "normal"
    assert attributes["arvo.span.kind"] == "EVENT_HANDLER"
    assert attributes["consumable.0.cloudevents.event_id"] == "req-1"
    assert attributes["emittables.0.cloudevents.event_type"] == SUCCESS
    (event,) = result.events
    assert event.traceparent == f"00-{TRACE_ID}-{span.context.span_id:016x}-01"


async def test_failure_marks_the_span(exporter: InMemorySpanExporter) -> None:
    await make_calculator_handler().execute(request(data={"a": -1, "b": 1}))
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert dict(span.attributes or {})["arvo.handler.execution.status"] == "failure"
    assert any(event.name == "exception" for event in span.events)


async def test_violation_is_recorded_on_the_span(exporter: InMemorySpanExporter) -> None:
    with pytest.raises(ContractViolation):
        await make_calculator_handler().execute(request(data={"a": "x", "b": 1}))
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR


async def test_missing_dataschema_is_logged_on_the_span(exporter: InMemorySpanExporter) -> None:
    await make_calculator_handler().execute(request(version=None))
    (span,) = exporter.get_finished_spans()
    (log,) = [event for event in span.events if event.name == "log_message"]
    assert dict(log.attributes or {})["log.severity"] == "WARNING"


async def test_without_sdk_the_incoming_traceparent_is_copied() -> None:
    incoming = request(traceparent=TRACEPARENT, tracestate="vendor=abc")
    (event,) = (await make_calculator_handler().execute(incoming)).events
    assert (event.traceparent, event.tracestate) == (TRACEPARENT, "vendor=abc")
    failing = request(data={"a": -1, "b": 0}, traceparent=TRACEPARENT)
    (error,) = (await make_calculator_handler().execute(failing)).events
    assert (error.traceparent, error.tracestate) == (TRACEPARENT, None)


# ---------------------------------------------------------------- exact messages and parameters


class Empty(BaseModel):
    pass


def test_every_implementation_problem_is_named_in_one_message() -> None:
    two_versions = create_arvo_contract(
        uri="#/t/two",
        type="com.t.two",
        versions={
            "2.0.0": {"accepts": Empty, "emits": {}},
            "1.0.0": {"accepts": Empty, "emits": {}},
        },
    )
    with pytest.raises(ConfigViolation) as raised:
        create_arvo_event_handler(
            contract=two_versions,
            handlers={"3.0.0": "not a function", "4.0.0": "neither"},  # type: ignore[dict-item]
        )
    assert str(raised.value) == (
        "ViolationError<Config> ArvoEventHandler for contract '#/t/two' (com.t.two): "
        "no implementation for version(s) 1.0.0, 2.0.0; "
        "implementations for unknown version(s) 3.0.0, 4.0.0; "
        "non-callable implementation(s) for 3.0.0, 4.0.0. "
        "Every contract version needs exactly one implementation."
    )


async def test_invalid_input_lists_every_issue_as_indented_json() -> None:
    with pytest.raises(ContractViolation) as raised:
        await make_calculator_handler().execute(request(data={"a": "x"}))
    issues = [
        {"path": "a", "message": "Input should be a valid number"},
        {"path": "b", "message": "Field required"},
    ]
    assert str(raised.value) == (
        "ViolationError<Contract> Input event payload validation failed: "
        + json.dumps(issues, indent=2)
    )


async def test_an_unknown_version_lists_the_versions_in_ascending_order() -> None:
    with pytest.raises(ConfigViolation) as raised:
        await handler_for(add_sync, multi).execute(request(multi, data={"x": 1}, version="9.0.0"))
    assert str(raised.value) == (
        "ViolationError<Config> Invalid contract version: 9.0.0. Available versions: 1.0.0, 1.2.0"
    )


async def test_output_errors_name_the_output_and_what_came_back() -> None:
    def second_is_wrong(request: HandlerInput) -> list[dict[str, Any]]:
        return [{"type": SUCCESS, "data": {"result": 1}}, {"type": "com.nope", "data": {}}]

    with pytest.raises(ContractViolation, match=r"^ViolationError<Contract> Handler output #1 "):
        await handler_for(second_is_wrong).execute(request())
    with pytest.raises(ContractViolation) as raised:
        await handler_for(lambda request: "done").execute(request())  # type: ignore[arg-type,return-value]
    assert str(raised.value).endswith(
        "must return None, an output mapping or a list of them; got str"
    )


async def test_the_function_gets_the_span_and_a_single_domain_string_works() -> None:
    seen: list[Any] = []

    def route(request: HandlerInput) -> list[dict[str, Any]]:
        seen.append(request.span)
        return [
            {"type": "evt.approval.request.success", "data": {"approved": True}, "domain": "audit"},
            {
                "type": "evt.approval.request.success",
                "data": {"approved": True},
                "domain": [FROM_SELF_CONTRACT],
            },
        ]

    events = (
        await handler_for(route, approval).execute(request(approval, data={"amount": 1}))
    ).all_events
    assert [event.domain for event in events] == ["audit", "human.review"]
    (span,) = seen
    assert span is not None and span.is_recording() is False, "the (no-op) span of the handler"


async def test_system_errors_carry_the_tracestate_and_ids_from_the_source() -> None:
    def explode(request: HandlerInput) -> None:
        raise KeyError("missing")

    handler = create_arvo_event_handler(
        contract=calculator,
        handlers={"1.0.0": explode},
        id_clock=DeterministicSource(),
    )
    incoming = request(traceparent=TRACEPARENT, tracestate="vendor=abc")
    (error,) = (await handler.execute(incoming)).events
    assert (error.traceparent, error.tracestate) == (TRACEPARENT, "vendor=abc")
    assert error.id == "00000000-0000-4000-8000-000000000001"
    assert error.time == "2025-01-01T00:00:00.000+00:00"


async def test_spans_say_what_ran_and_why_it_failed(exporter: InMemorySpanExporter) -> None:
    def explode(request: HandlerInput) -> None:
        raise KeyError("missing")

    await handler_for(explode).execute(request(version=None))
    (span,) = exporter.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert attributes["arvo.handler.execution.type"] == "handler"
    assert span.status.description == "'missing'"
    (exception,) = [event for event in span.events if event.name == "exception"]
    assert dict(exception.attributes or {})["exception.type"] == "KeyError"
    (log,) = [event for event in span.events if event.name == "log_message"]
    assert dict(log.attributes or {})["log.message"] == (
        "Event dataschema None is missing or unparseable; using the latest contract version"
    )


async def test_the_span_can_continue_the_callers_context() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    with (
        use_tracer_provider(provider),
        provider.get_tracer("test").start_as_current_span("caller") as caller,
    ):
        await make_calculator_handler().execute(
            request(traceparent=TRACEPARENT), inherit_from="CONTEXT"
        )
    provider.shutdown()
    handler_span = next(s for s in spans.get_finished_spans() if s.name.startswith("Handler"))
    assert handler_span.parent is not None
    assert handler_span.parent.span_id == caller.get_span_context().span_id
    assert handler_span.context.trace_id != int(TRACE_ID, 16), "not the event's trace"
