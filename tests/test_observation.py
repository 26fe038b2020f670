"""The pure observation helpers: configuration of a record, the bounded context summary (for
thousands of generated contexts), requests awaiting a reply and the replies that answer them."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from arvo_temporal import ArvoEventFactory, create_arvo_event
from arvo_temporal.orchestration.observation import (
    CONTEXT_SUMMARY_CHARS,
    Configuration,
    awaited_replies,
    configuration_of,
    context_summary,
    replied_index,
)
from examples.approval.contracts import approval_contract
from examples.approval.machine import build_expense_machine
from examples.approval.starter import expense_init

MACHINE = build_expense_machine()


def test_a_configuration_holds_state_and_tag_conditions():
    configuration = configuration_of(MACHINE, "awaitingDecision")
    assert configuration == Configuration(
        states=("awaitingDecision",), accepts=("evt.expense.approval.decided",), tags=()
    )
    assert configuration.reached("awaitingDecision", None)
    assert configuration.reached(None, None)
    assert not configuration.reached("approved", None)
    assert not configuration.reached(None, "busy")
    assert configuration_of(None, "awaitingDecision") == Configuration()
    assert configuration_of(MACHINE, None) == Configuration()


def test_the_context_summary_hides_arvo_keys_and_is_cut_to_its_limit():
    context = {"amount": 12, "arvo$$": {"volatile$$": {}}, "note": "x" * 1000}
    summary = context_summary(context, limit=40)
    assert summary is not None and len(summary) == 40 and summary.endswith("…")
    assert summary.startswith('{"amount":12,"note":"xxx')
    assert context_summary({"a": [1, 2]}) == '{"a":[1,2]}'
    assert context_summary(None) is None


_CONTEXTS = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=30,
)


@settings(max_examples=2000, deadline=None)
@given(_CONTEXTS, st.integers(min_value=2, max_value=CONTEXT_SUMMARY_CHARS))
def test_any_context_gives_a_summary_within_its_limit(context, limit):
    summary = context_summary(context, limit=limit)
    if context is None:
        assert summary is None
        return
    assert summary is not None and len(summary) <= limit
    if not summary.endswith("…"):
        shown = context
        if isinstance(context, dict):  # Arvo's own top-level "…$$" keys are left out
            shown = {key: value for key, value in context.items() if not key.endswith("$$")}
        assert json.loads(summary) == json.loads(json.dumps(shown))


def test_arvos_own_keys_are_left_out_of_the_summary():
    assert context_summary({"$$": None, "parentSubject$$": "x", "a": 1}) == '{"a":1}'


def _request(subject: str, *, domain: str | None):
    return create_arvo_event(
        type="com.expense.approval",
        source="arvo.orc.expense",
        subject=subject,
        to="com.expense.approval",
        domain=domain,
        data={"amount": 1, "description": "d", "requester": "r"},
    )


def test_only_requests_into_a_domain_with_a_contract_await_a_reply():
    subject = expense_init(5, "tea").subject
    external = _request(subject, domain="external")
    local = _request(subject, domain=None)
    other = create_arvo_event(
        type="com.nobody.here", source="com.x.y", subject=subject, domain="external", data={}
    )
    (awaited,) = awaited_replies(MACHINE, [local, external, other])
    assert awaited.event is external
    assert awaited.reply_types == ("evt.expense.approval.decided",)


def test_a_reply_answers_its_parent_else_the_oldest_request_of_its_type():
    requests = [
        ("r1", "com.expense.approval", ("evt.expense.approval.decided",)),
        ("r2", "com.expense.approval", ("evt.expense.approval.decided",)),
    ]
    reply = ArvoEventFactory(approval_contract.version("1.0.0")).emits(
        type="evt.expense.approval.decided",
        source="com.example.approver",
        subject=expense_init(5, "tea").subject,
        to="arvo.orc.expense",
        parentid="r2",
        data={"approved": True, "approver": "a"},
    )
    assert replied_index(requests, reply.to_json()) == 1
    assert replied_index(requests, {**reply.to_json(), "parentid": None}) == 0
    assert replied_index(requests, {**reply.to_json(), "parentid": "elsewhere"}) == 0
    assert replied_index(requests, {"type": "sys.com.expense.approval.error"}) == 0
    assert replied_index(requests, {"type": "evt.unrelated"}) is None
    assert replied_index([], reply.to_json()) is None
