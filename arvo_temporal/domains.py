"""Domain tokens and their resolution (docs/arvo.md §7).

A raw event may ask for several domains; each token resolves against the execution's subjects,
contracts and the triggering event, and one ArvoEvent is emitted per distinct token (orchestrators
de-duplicate tokens *before* resolving, handlers and system errors *after*).
"""

from __future__ import annotations

from collections.abc import Iterable

from arvo_temporal._parsed_subjects import parsed_subject
from arvo_temporal.contracts import VersionedArvoContract
from arvo_temporal.errors import InvalidSubjectError
from arvo_temporal.events import ArvoEvent

__all__ = [
    "FROM_CURRENT_SUBJECT",
    "FROM_EVENT_CONTRACT",
    "FROM_PARENT_SUBJECT",
    "FROM_SELF_CONTRACT",
    "FROM_TRIGGERING_EVENT",
    "LOCAL",
    "ORCHESTRATION_CONTEXT",
    "DomainToken",
    "resolve_domain",
    "unique_in_order",
]

DomainToken = str | None

FROM_SELF_CONTRACT = "domain.contract.self.inherit"
FROM_EVENT_CONTRACT = "domain.contract.inherit"
FROM_TRIGGERING_EVENT = "domain.event.inherit"
FROM_CURRENT_SUBJECT = "domain.event.current.subject"
FROM_PARENT_SUBJECT = "domain.parent.subject"
ORCHESTRATION_CONTEXT = "domain.orchestration.context"
LOCAL: DomainToken = None


def _subject_domain(subject: str | None) -> str | None:
    if not subject:
        return None
    try:
        return parsed_subject(subject).execution.domain
    except InvalidSubjectError:
        return None


def resolve_domain(
    token: DomainToken,
    *,
    parent_subject: str | None,
    current_subject: str | None,
    self_contract: VersionedArvoContract | None,
    event_contract: VersionedArvoContract | None,
    triggering_event: ArvoEvent | None,
) -> str | None:
    """The domain a token stands for; any string that is not a token is a literal domain."""
    if token is None:
        return None
    if token == FROM_EVENT_CONTRACT:
        return event_contract.domain if event_contract else None
    if token == FROM_SELF_CONTRACT:
        return self_contract.domain if self_contract else None
    if token == FROM_TRIGGERING_EVENT:
        return triggering_event.domain if triggering_event else None
    if token == FROM_CURRENT_SUBJECT:
        return _subject_domain(current_subject)
    if token == FROM_PARENT_SUBJECT:
        return _subject_domain(parent_subject)
    if token == ORCHESTRATION_CONTEXT:
        current = _subject_domain(current_subject)
        if parent_subject is None:
            event_domain = triggering_event.domain if triggering_event else None
            return None if event_domain is None or event_domain == current else current
        parent = _subject_domain(parent_subject)
        return None if current == parent else parent
    return token


def unique_in_order(values: Iterable[DomainToken]) -> list[DomainToken]:
    """Distinct values, first appearance first (``None`` counts as a value)."""
    seen: list[DomainToken] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen
