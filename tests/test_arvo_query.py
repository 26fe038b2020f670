"""A bulk operation's query stays inside the restriction to Arvo executions, whatever it says."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arvo_temporal.errors import InvalidQueryError
from arvo_temporal.temporal._arvo_query import ARVO_ONLY, restrict_to_arvo


def _top_level_spans(query: str) -> list[tuple[int, int]]:
    """Reference reading of a restricted query, written apart from the code under test: the
    character ranges at parenthesis depth 0 outside strings. The restriction holds when the
    only depth-0 text is ``ARVO_ONLY AND `` (everything the user wrote sits deeper)."""
    spans: list[tuple[int, int]] = []
    depth, quote, start = 0, "", 0
    for index, char in enumerate(query):
        if quote:
            quote = "" if char == quote else quote
            continue
        if char in "'\"`":
            quote = char
        elif char == "(":
            if depth == 0:
                spans.append((start, index))
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                start = index + 1
    spans.append((start, len(query)))
    return spans


def _stays_inside(restricted: str) -> bool:
    prefix = f"{ARVO_ONLY} AND ("
    if not restricted.startswith(prefix) or not restricted.endswith(")"):
        return False
    top = "".join(restricted[a:b] for a, b in _top_level_spans(restricted))
    return top == "WorkflowType IN  AND "


@pytest.mark.parametrize(
    "query",
    [
        "ExecutionStatus = 'Running'",
        "ArvoOrchestrator = 'arvo.orc.expense' AND (ArvoStatus = 'active' OR ArvoStatus = 'x')",
        "ArvoInitiator = 'a)b' AND WorkflowId = \"(\"",
        "ArvoInitiator = 'it''s'",
        "StartTime > '2026-01-01T00:00:00Z'\nAND ExecutionStatus = 'Running'",
    ],
)
def test_ordinary_queries_are_enclosed(query):
    restricted = restrict_to_arvo(query)
    assert restricted == f"{ARVO_ONLY} AND ({query})"
    assert _stays_inside(restricted)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("x = 1) OR (WorkflowType != ''", "')' that closes nothing at character 6"),
        ("(x = 1", "leaves 1 '(' open"),
        ("x = 'open", "leaves a string open"),
        ("x = 1 -- ) OR (1 = 1", "a comment at character 7"),
        ("x = 1 /* ) OR ( */", "a comment"),
        ("x = 1 # )", "a comment"),
        ("x = '\\' ) OR (y = '", "a backslash at character 6"),
        ("   ", "the query is empty"),
    ],
)
def test_queries_that_could_escape_are_refused(query, reason):
    with pytest.raises(InvalidQueryError) as refused:
        restrict_to_arvo(query)
    assert reason in str(refused.value)


_QUERY_ALPHABET = st.sampled_from(list("()'\"`\\ -/*#=aOR\n\x00"))


@settings(max_examples=5000, deadline=None)
@given(st.text(_QUERY_ALPHABET, max_size=40) | st.text(max_size=40))
def test_any_text_is_enclosed_or_refused_with_a_reason(query):
    try:
        restricted = restrict_to_arvo(query)
    except InvalidQueryError as error:
        assert str(error)
        return
    assert _stays_inside(restricted), restricted
