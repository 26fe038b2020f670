"""Narrow an operator's visibility query to Arvo executions, so it cannot reach anything else.

A bulk operation lists ``ARVO_ONLY AND (<query>)``. Wrapping alone is not enough: a query such
as ``x = 1) OR (WorkflowType != ''`` would close our parenthesis and widen the selection to every
workflow in the namespace. So the query is scanned first the way Temporal's SQL parser reads it
(strings in single, double or back quotes, a doubled quote staying inside its string) and refused
when a parenthesis closes one it did not open, a string or parenthesis is left open, or it holds
a comment (which could swallow our closing parenthesis). Backslashes are refused outright: SQL
dialects disagree on whether they escape a quote, and a disagreement is exactly an escape.
Whatever passes is balanced on its own, so our parentheses always enclose all of it.
"""

from __future__ import annotations

from arvo_temporal.errors import InvalidQueryError
from arvo_temporal.temporal._workflow import WORKFLOW_NAMES

__all__ = ["ARVO_ONLY", "restrict_to_arvo"]

ARVO_ONLY = "WorkflowType IN (" + ", ".join(f"'{name}'" for name in WORKFLOW_NAMES) + ")"
"""The clause every bulk operation's query is restricted by."""

_QUOTES = "'\"`"
_COMMENTS = ("--", "/*", "*/", "#")


def restrict_to_arvo(query: str) -> str:
    """``ARVO_ONLY AND (query)``.

    Raises:
        InvalidQueryError: an empty query, or one that could escape the parentheses (module
            docstring); the message says where.
    """
    if not query.strip():
        raise InvalidQueryError(
            "the query is empty; to act on every running execution say so: "
            "\"ExecutionStatus = 'Running'\""
        )
    _check_enclosable(query)
    return f"{ARVO_ONLY} AND ({query})"


def _check_enclosable(query: str) -> None:
    depth = 0
    quote: str | None = None
    for position, char in enumerate(query):
        if char == "\\":
            raise _refused("a backslash", position)
        if quote is not None:
            if char == quote:
                quote = None  # a doubled quote closes and reopens: still inside one string
            continue
        if char in _QUOTES:
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise _refused("a ')' that closes nothing", position)
        elif any(query.startswith(mark, position) for mark in _COMMENTS):
            raise _refused("a comment", position)
        elif char == "\x00":
            raise _refused("a NUL character", position)
    if quote is not None:
        raise InvalidQueryError(f"the query leaves a string open (a {quote} without its pair)")
    if depth:
        raise InvalidQueryError(f"the query leaves {depth} '(' open")


def _refused(what: str, position: int) -> InvalidQueryError:
    return InvalidQueryError(f"the query has {what} at character {position + 1}")
