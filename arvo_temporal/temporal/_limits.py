"""What an event must satisfy before it is handed to Temporal.

Temporal refuses a payload over its blob size limit (2 MiB by default, with a warning from
512 KiB) and a gRPC message over 4 MiB; a signal or update that big fails at the server, after
the caller already waited, or worse, is accepted and then cannot be carried on continue-as-new.
An event whose text cannot be encoded (a lone surrogate) fails inside the SDK's converter with a
pydantic serialization error that names nothing. Both are checked here, on the client, with an
error that names the event, the field and the size.
"""

from __future__ import annotations

import json
from typing import Any

from arvo_temporal.errors import ArvoEventValidationError, EventTooLargeError
from arvo_temporal.events import ArvoEvent

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "check_event"]

DEFAULT_MAX_EVENT_BYTES = 1_572_864
"""1.5 MiB: below Temporal's 2 MiB payload limit, with room for the update/signal envelope."""


def _encoded(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _unencodable(document: dict[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    for field, value in document.items():
        try:
            _encoded({field: value})
        except UnicodeEncodeError as error:
            problems[field] = (
                f"holds text that is not valid Unicode ({error.reason}, "
                f"character {error.start}); it cannot be sent"
            )
    return problems


def check_event(event: ArvoEvent, *, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> int:
    """The event's JSON size in bytes, if it can travel through Temporal.

    Raises:
        ArvoEventValidationError: a field holds text that cannot be encoded (lone surrogates).
        EventTooLargeError: the event is over ``max_bytes``; names its largest field.
    """
    document = event.to_json()
    try:
        size = len(_encoded(document))
    except UnicodeEncodeError:
        raise ArvoEventValidationError(_unencodable(document)) from None
    if size <= max_bytes:
        return size
    sizes = {field: len(_encoded(value)) for field, value in document.items()}
    largest = max(sizes, key=lambda field: sizes[field])
    raise EventTooLargeError(
        event_id=event.id, size=size, limit=max_bytes, field=largest, field_size=sizes[largest]
    )
