"""Event building (orchestration/emission.py) field by field: what each raw event key steers, what
comes from the call in progress, and how system errors are addressed. The transcripts cover the
fixture machines' paths; these cover the keys those machines never set."""

from __future__ import annotations

from dataclasses import replace

import pytest

from arvo_temporal import (
    ArvoOrchestrationSubject,
    ContractViolation,
    DeterministicSource,
    ExecutionViolation,
    create_arvo_event,
)
from arvo_temporal.domains import (
    FROM_EVENT_CONTRACT,
    FROM_PARENT_SUBJECT,
    FROM_SELF_CONTRACT,
    FROM_TRIGGERING_EVENT,
    ORCHESTRATION_CONTEXT,
)
from arvo_temporal.orchestration.emission import (
    EmissionContext,
    build_events,
    build_system_errors,
    completion_raw_event,
)
from tests.fixtures import anchors

SOURCE = "arvo.orc.domained"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
SELF = anchors.domained.version("1.0.0")
SERVICES = {
    "add": anchors.calculator.version("1.0.0"),
    "approval": anchors.approval.version("1.0.0"),
    "adder": anchors.adder.version("1.0.0"),
}


def subject_of(orchestrator: str, *, domain: str | None = None, **meta: str) -> str:
    return ArvoOrchestrationSubject.create(
        {
            "orchestrator": {"name": orchestrator, "version": "1.0.0"},
            "execution": {
                "id": f"run-of-{orchestrator}",
                "initiator": anchors.CLIENT,
                "domain": domain,
            },
            "meta": meta,
        }
    )


CURRENT = subject_of(SOURCE, domain="tenant.a", redirectto="com.anchor.sink")
PARENT = subject_of("arvo.orc.parent", domain="tenant.p")


def context(*, parent_subject: str | None = None, **consumed_fields) -> EmissionContext:
    fields = {
        "source": "com.calculator.add",
        "type": "evt.calculator.add.success",
        "subject": CURRENT,
        "data": {"result": 4},
        "id": {"deduplication": "DEVELOPER_MANAGED", "value": "the-reply"},
        "accesscontrol": "tenant:acme",
        "domain": "reply.domain",
        **consumed_fields,
    }
    consumed = create_arvo_event(**fields)
    return EmissionContext(
        source=SOURCE,
        execution_units=0.25,
        consumed=consumed,
        subject=ArvoOrchestrationSubject.parse(consumed.subject),
        parent_subject=parent_subject,
        init_event_id="the-init",
        self_contract=SELF,
        service_contracts=SERVICES,
        id_clock=DeterministicSource(),
        traceparent=TRACEPARENT,
        tracestate="vendor=1",
    )


def build(ctx: EmissionContext, *raw, defaults=(None,)):
    return build_events(ctx, list(raw), default_service_domains=defaults)


def test_a_service_event_takes_routing_from_the_call_unless_the_machine_sets_it():
    ctx = context()
    (plain,) = build(ctx, {"type": "com.calculator.add", "data": {"a": 1, "b": 2}})
    assert plain.to_json() == {
        **plain.to_json(),
        "source": SOURCE,
        "type": "com.calculator.add",
        "subject": CURRENT,
        "dataschema": "#/anchors/calculator/add/1.0.0",
        "data": {"a": 1, "b": 2},
        "to": "com.calculator.add",
        "accesscontrol": "tenant:acme",
        "redirectto": SOURCE,
        "executionunits": 0.25,
        "traceparent": TRACEPARENT,
        "tracestate": "vendor=1",
        "parentid": "the-reply",
        "domain": None,
    }
    assert plain.extensions == {}
    assert plain.id == "00000000-0000-4000-8000-000000000001", "ids come from the id source"

    (steered,) = build(
        ctx,
        {
            "type": "com.calculator.add",
            "data": {"a": 1, "b": 2},
            "id": {"deduplication": "DEVELOPER_MANAGED", "value": "mine"},
            "to": "com.other.calculator",
            "accesscontrol": "tenant:other",
            "redirectto": "com.anchor.sink",
            "executionunits": 3,
            "__extensions": {"priority": "high"},
        },
    )
    assert steered.id == "mine"
    assert steered.to == "com.other.calculator"
    assert steered.accesscontrol == "tenant:other"
    assert steered.redirectto == "com.anchor.sink"
    assert steered.executionunits == 3
    assert steered.extensions == {"priority": "high"}


def test_a_free_form_event_keeps_its_own_dataschema_and_resolves_domains_without_a_contract():
    ctx = context()
    (event,) = build(
        ctx,
        {"type": "notif.anchor.audit", "data": {"n": 1}, "dataschema": "#/free/1.0.0"},
        defaults=(FROM_EVENT_CONTRACT,),
    )
    assert event.dataschema == "#/free/1.0.0"
    assert event.data == {"n": 1}
    assert event.domain is None, "no contract to inherit a domain from"
    (triggered,) = build(ctx, {"type": "notif.anchor.audit"}, defaults=(FROM_TRIGGERING_EVENT,))
    assert triggered.domain == "reply.domain"
    assert triggered.dataschema is None and triggered.data == {}


def test_one_event_per_distinct_domain_token_in_emission_order():
    ctx = context()
    events = build(
        ctx,
        {
            "type": "com.approval.request",
            "data": {"amount": 5},
            "domain": [FROM_EVENT_CONTRACT, None, None],
        },
        {"type": "com.calculator.add", "data": {"a": 1, "b": 2}},
        defaults=("audit", FROM_EVENT_CONTRACT),
    )
    assert [(e.type, e.domain) for e in events] == [
        ("com.approval.request", "human.review"),
        ("com.approval.request", None),
        ("com.calculator.add", "audit"),
        ("com.calculator.add", None),
    ]


def test_completion_goes_on_the_parent_subject_and_names_the_init_event():
    ctx = context(parent_subject=PARENT)
    raw = completion_raw_event(
        {"sum": 3},
        complete_type="arvo.orc.domained.done",
        subject=ctx.subject,
        default_domains=(FROM_EVENT_CONTRACT,),
    )
    (done,) = build(ctx, raw)
    assert done.subject == PARENT
    assert done.parentid == "the-init"
    assert done.dataschema == "#/anchors/orchestrator/domained/1.0.0"
    assert done.domain == "orchestrators", "the completion's contract is the self contract"
    assert done.to == "com.anchor.sink", "meta.redirectto of the subject steers completion"
    without_parent = build(context(), raw)
    assert [e.subject for e in without_parent] == [CURRENT]


def test_completion_output_keys_steer_id_domain_and_units():
    subject = ArvoOrchestrationSubject.parse(subject_of(SOURCE))
    raw = completion_raw_event(
        {
            "sum": 3,
            "__id": {"deduplication": "DEVELOPER_MANAGED", "value": "done-1"},
            "__domain": ["audit", None],
            "__executionunits": 9,
        },
        complete_type="arvo.orc.domained.done",
        subject=subject,
        default_domains=(ORCHESTRATION_CONTEXT,),
    )
    assert raw["type"] == "arvo.orc.domained.done"
    assert raw["id"] == {"deduplication": "DEVELOPER_MANAGED", "value": "done-1"}
    assert raw["to"] == anchors.CLIENT, "no meta.redirectto: the initiator"
    assert raw["domain"] == ["audit", None]
    assert raw["executionunits"] == 9
    assert raw["data"]["sum"] == 3
    plain = completion_raw_event(
        {"sum": 3}, complete_type="t", subject=subject, default_domains=(ORCHESTRATION_CONTEXT,)
    )
    assert (plain["id"], plain["domain"], plain["executionunits"]) == (
        None,
        [ORCHESTRATION_CONTEXT],
        None,
    )


def test_a_child_orchestration_gets_a_new_subject_for_its_own_execution():
    ctx = context()
    (child,) = build(
        ctx,
        {"type": "arvo.orc.adder", "data": {"a": 1, "b": 2, "parentSubject$$": None}},
        defaults=("child.domain",),
    )
    content = ArvoOrchestrationSubject.parse(child.subject)
    assert content.orchestrator.name == "arvo.orc.adder"
    assert content.orchestrator.version == "1.0.0"
    assert content.execution.initiator == SOURCE
    assert content.execution.domain == "child.domain"
    assert content.execution.id == "00000000-0000-4000-8000-000000000001"
    assert content.meta == {"redirectto": SOURCE}

    (redirected,) = build(
        ctx,
        {
            "type": "arvo.orc.adder",
            "data": {"a": 1, "b": 2, "parentSubject$$": None},
            "redirectto": "com.anchor.sink",
        },
    )
    assert ArvoOrchestrationSubject.parse(redirected.subject).meta == {
        "redirectto": "com.anchor.sink"
    }


def test_a_child_of_a_given_parent_subject_inherits_from_it():
    ctx = context()
    (child,) = build(
        ctx,
        {"type": "arvo.orc.adder", "data": {"a": 1, "b": 2, "parentSubject$$": PARENT}},
        defaults=("child.domain",),
    )
    content = ArvoOrchestrationSubject.parse(child.subject)
    assert content.orchestrator.name == "arvo.orc.adder"
    assert content.execution.initiator == "arvo.orc.parent", "the parent's orchestrator"
    assert content.execution.domain == "child.domain"
    assert content.execution.id == "00000000-0000-4000-8000-000000000001"
    assert content.meta == {"redirectto": SOURCE}
    with pytest.raises(ExecutionViolation) as raised:
        build(ctx, {"type": "arvo.orc.adder", "data": {"a": 1, "b": 2, "parentSubject$$": "bad"}})
    assert str(raised.value) == (
        "ViolationError<Execution> Invalid parentSubject$$ for the event(type='arvo.orc.adder'): "
        "Error parsing orchestration subject string: not standard base64"
    )


def test_malformed_raw_events_are_refused_with_what_is_wrong():
    ctx = context()
    with pytest.raises(ContractViolation) as broken:
        build(ctx, {"type": "com.calculator.add", "data": {"a": "one", "b": 2}})
    assert str(broken.value) == (
        "ViolationError<Contract> Invalid event (type='com.calculator.add') emitted by "
        "arvo.orc.domained: com.calculator.add data failed validation: a: Input should be a "
        "valid number"
    )
    with pytest.raises(ValueError) as untyped:
        build(ctx, {"data": {}})
    assert str(untyped.value) == "a machine emitted an event without a string 'type': {'data': {}}"


def test_system_errors_go_to_the_initiator_on_the_parent_subject_per_resolved_domain():
    ctx = context(parent_subject=PARENT)
    errors = build_system_errors(
        ctx,
        RuntimeError("boom"),
        domains=(FROM_SELF_CONTRACT, FROM_PARENT_SUBJECT, "tenant.p", None, ORCHESTRATION_CONTEXT),
    )
    # FROM_PARENT_SUBJECT, "tenant.p" and ORCHESTRATION_CONTEXT all resolve to tenant.p: one event.
    assert [e.domain for e in errors] == ["orchestrators", "tenant.p", None]
    for error in errors:
        assert error.type == "sys.arvo.orc.domained.error"
        assert error.source == SOURCE
        assert error.subject == PARENT
        assert error.to == anchors.CLIENT
        assert error.dataschema == "#/anchors/orchestrator/domained/0.0.0"
        assert error.accesscontrol == "tenant:acme"
        assert error.executionunits == 0.25
        assert error.parentid == "the-init"
        assert (error.traceparent, error.tracestate) == (TRACEPARENT, "vendor=1")
        assert error.data["errorName"] == "RuntimeError"
        assert error.data["errorMessage"] == "boom"
    assert [e.id for e in errors] == [
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
        "00000000-0000-4000-8000-000000000003",
    ]
    (root,) = build_system_errors(replace(context(), init_event_id=None), RuntimeError("boom"))
    assert root.subject == CURRENT
    assert root.parentid == "the-reply", "without an init id, the consumed event"
    # ORCHESTRATION_CONTEXT for a root execution: the subject's domain when the trigger had
    # another domain (the default domains of a system error).
    assert root.domain == "tenant.a"


def test_a_system_error_asking_for_the_event_contract_gets_the_self_contracts_domain():
    (error,) = build_system_errors(context(), RuntimeError("boom"), domains=(FROM_EVENT_CONTRACT,))
    assert error.domain == "orchestrators"
