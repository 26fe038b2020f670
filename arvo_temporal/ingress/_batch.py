"""CloudEvents JSON batch format (``application/cloudevents-batch+json``): a JSON array of
structured events. Each item is parsed with ``ArvoEvent.from_json``; a bad item is named by its
index (``events[3].data``) so the sender knows which one to fix.
"""

from __future__ import annotations

import json
from typing import Any

from arvo_temporal.errors import ArvoEventValidationError
from arvo_temporal.events import ArvoEvent

__all__ = ["BATCH_CONTENT_TYPE", "parse_batch"]

BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"


def parse_batch(body: bytes | str | list[Any]) -> list[ArvoEvent]:
    """The events of a batch, in order (an empty batch is refused: it would say nothing).

    Raises:
        ArvoEventValidationError: the body is not a JSON array of events; every bad item is
            reported under ``events[<index>].<field>``.
    """
    if isinstance(body, list):
        items: Any = body
    else:
        try:
            items = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ArvoEventValidationError({"events": f"not valid JSON: {error}"}) from None
        except RecursionError:
            raise ArvoEventValidationError({"events": "nested too deeply to process"}) from None
    if not isinstance(items, list):
        raise ArvoEventValidationError(
            {"events": f"a batch is a JSON array of events, got {type(items).__name__}"}
        )
    if not items:
        raise ArvoEventValidationError({"events": "a batch holds at least one event"})
    events: list[ArvoEvent] = []
    problems: dict[str, str] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems[f"events[{index}]"] = f"must be a JSON object, got {type(item).__name__}"
            continue
        try:
            events.append(ArvoEvent.from_json(item))
        except ArvoEventValidationError as error:
            for field, reason in error.errors.items():
                problems[f"events[{index}].{field}"] = reason
    if problems:
        raise ArvoEventValidationError(problems)
    return events
