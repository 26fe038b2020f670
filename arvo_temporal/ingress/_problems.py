"""HTTP problems (RFC 9457 ``application/problem+json``): every refusal the ingress gives.

A sender written in any language reads ``status``, ``type`` and ``field`` to know what to fix,
so every error the library raises is mapped here, in one table, to a status and a stable
``type``; nothing else ever reaches the client (a last-resort handler answers 500 without
internals, arvo_temporal/ingress/_app.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arvo_temporal.errors import (
    ArvoEventValidationError,
    ConfigViolation,
    ContractViolation,
    DataValidationError,
    EventTooLargeError,
    ExecutionCancelledError,
    ExecutionClosedError,
    ExecutionFailedError,
    ExecutionNotFoundError,
    ExecutionTimeoutError,
    ExecutionViolation,
    InvalidSubjectError,
    TemporalUnavailableError,
    TransactionViolation,
    ViolationError,
)

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "PROBLEM_TYPE_PREFIX",
    "Problem",
    "ProblemError",
    "problem_for",
]

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:arvo-temporal:problem:"
"""Problem ``type`` URIs are ``urn:arvo-temporal:problem:<slug>`` (listed in README.md)."""


@dataclass(frozen=True)
class Problem:
    """One RFC 9457 problem: ``slug`` becomes the ``type`` URI; ``field`` names what to fix."""

    status: int
    slug: str
    title: str
    detail: str
    field: str | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The JSON body: the RFC's members, then ``field`` and any extension members."""
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_PREFIX + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field is not None:
            body["field"] = self.field
        body.update(self.extra)
        return body

    def body(self) -> bytes:
        return json.dumps(self.document(), ensure_ascii=False).encode("utf-8")

    def at(self, prefix: str) -> Problem:
        """The same problem about one event of a batch (``events[3].data``)."""
        return dataclasses.replace(self, field=f"{prefix}.{self.field}" if self.field else prefix)

    def with_extra(self, **members: Any) -> Problem:
        return dataclasses.replace(self, extra={**self.extra, **members})


class ProblemError(Exception):
    """Carries a :class:`Problem` from deep in a request to the response; never leaves the
    ingress (it is the HTTP answer, not a library error)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.detail)


def _first_field(errors: Mapping[str, str], default: str) -> str:
    return next(iter(errors), default)


def problem_for(error: Exception, *, retry_after: int) -> Problem | None:
    """The problem that answers a library error, or None for an error that is a bug here.

    ``retry_after`` (seconds) goes into the ``Retry-After`` of the 503s.
    """
    if isinstance(error, ProblemError):
        return error.problem
    if isinstance(error, ArvoEventValidationError):
        return Problem(
            400,
            "invalid-event",
            "The event is not a valid Arvo CloudEvent",
            str(error),
            _first_field(error.errors, "event"),
            extra={"errors": dict(error.errors)},
        )
    if isinstance(error, EventTooLargeError):
        return Problem(
            413,
            "event-too-large",
            "The event is over the size one Temporal payload can carry",
            str(error),
            error.field,
            extra={"size": error.size, "limit": error.limit},
        )
    if isinstance(error, DataValidationError):
        where = error.issues[0][0] if error.issues else "(root)"
        return Problem(
            400,
            "contract-violation",
            "The event's data breaks its contract",
            str(error),
            "data" if where == "(root)" else f"data.{where}",
        )
    if isinstance(error, InvalidSubjectError | ExecutionViolation):
        return Problem(
            400, "invalid-subject", "The event's subject is not usable", str(error), "subject"
        )
    if isinstance(error, ContractViolation):
        return Problem(
            400, "contract-violation", "The event breaks its contract", str(error), "data"
        )
    if isinstance(error, ConfigViolation):
        return Problem(
            400,
            "config-violation",
            "The orchestrator cannot handle an event of this type",
            str(error),
            "type",
        )
    if isinstance(error, ExecutionNotFoundError):
        title = "No execution exists for this subject"
        return Problem(404, "execution-not-found", title, str(error), "subject")
    if isinstance(error, ExecutionClosedError | ExecutionFailedError | ExecutionCancelledError):
        return Problem(
            409, "execution-closed", "The execution has already finished", str(error), "subject"
        )
    if isinstance(error, TransactionViolation | TemporalUnavailableError | ExecutionTimeoutError):
        return Problem(
            503,
            "temporal-unavailable",
            "Temporal did not accept the event in time; send it again later",
            f"{error}; the same event (same id) may be sent again, it is applied once",
            headers={"Retry-After": str(retry_after)},
        )
    if isinstance(error, ViolationError):
        # A user-defined violation (docs/arvo.md): the caller's to read, by its Arvo name.
        return Problem(
            400,
            "violation",
            "The orchestrator refused the event",
            str(error),
            None,
            extra={"violation": error.name},
        )
    return None
